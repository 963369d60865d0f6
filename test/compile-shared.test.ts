/**
 * Rules of a model that compile alike share their compiled expansions (compile.ts `matchKey`,
 * `compileRuleShared`): the key must tell apart every pair of rules that compile differently, and what is
 * shared must be what each rule compiles to on its own.
 */
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast/iptables.js";
import { compileRule, compileRuleShared, matchKey, type CompileContext, type CompiledMatch } from "../src/model/compile.js";
import { FIELD_NAMES, ST } from "../src/model/fields.js";
import { Model } from "../src/model/model.js";
import { parse } from "../src/parse/index.js";

/** The rules of `lines`, appended to one nat chain. */
function rulesOf(lines: readonly string[], table = "nat"): Rule[] {
  const text = [`*${table}`, ":KUBE-SEP-A - [0:0]", ":KUBE-MARK-MASQ - [0:0]", ...lines.map((l) => `-A KUBE-SEP-A ${l}`), "COMMIT", ""].join("\n");
  const rs = parse(text, { format: "save" });
  expect(rs.diagnostics).toEqual([]);
  return rs.tables[0]!.chains.find((c) => c.name === "KUBE-SEP-A")!.rules;
}

/** What a compiled match says, as text: its tests (field, set, source text), unknown matches, never. */
function describeMatch(m: CompiledMatch): string {
  const sets = m.sets.map((t) => `${t.f}:${t.set.key()}:${t.text}`).join("|");
  const certain = m.certain.map((t) => `${t.f}:${t.set.key()}`).join("|");
  return JSON.stringify({ sets, certain, fns: m.fns.map((t) => `${t.reads.join(",")}:${t.text}`), unknown: m.unknown, never: m.never });
}

/** The context the rules of rulesOf's nat table compile in. */
function natContext(): CompileContext {
  const model = new Model(parse("*nat\n:KUBE-SEP-A - [0:0]\n:KUBE-MARK-MASQ - [0:0]\nCOMMIT\n", { format: "save" }));
  return { family: "ipv4", table: "nat", ifaces: model.ifaces, layout: model.layout, chainExists: (n) => n === "KUBE-SEP-A" || n === "KUBE-MARK-MASQ", texts: new Map() };
}

describe("match keys", () => {
  it("are equal for rules that differ only in comments and targets", () => {
    const [a, b, c] = rulesOf([
      '-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.0.9:8080',
      '-p tcp -m comment --comment "shop/api:grpc" -m tcp -j DNAT --to-destination 10.244.1.3:9090',
      "-p tcp -m tcp -j KUBE-MARK-MASQ",
    ]);
    expect(matchKey(a!)).not.toBeNull();
    expect(matchKey(b!)).toBe(matchKey(a!));
    expect(matchKey(c!)).toBe(matchKey(a!));
  });

  it("differ whenever a criterion, a module, an option, a negation or a value differs", () => {
    const rules = rulesOf([
      "-p tcp -m tcp --dport 80 -j KUBE-MARK-MASQ",
      "-p tcp -m tcp --dport 8080 -j KUBE-MARK-MASQ",
      "-p tcp -m tcp ! --dport 80 -j KUBE-MARK-MASQ",
      "-p tcp -m tcp --sport 80 -j KUBE-MARK-MASQ",
      "-p udp -m udp --dport 80 -j KUBE-MARK-MASQ",
      "! -p tcp -j KUBE-MARK-MASQ",
      "-p tcp -j KUBE-MARK-MASQ",
      "-p tcp -m multiport --dports 1,2 -j KUBE-MARK-MASQ",
      "-p tcp -m multiport --dports 12 -j KUBE-MARK-MASQ",
      "-i eth0 -j KUBE-MARK-MASQ",
      "-o eth0 -j KUBE-MARK-MASQ",
      "-m statistic --mode random --probability 0.50000000000 -j KUBE-MARK-MASQ",
      "-m statistic --mode random --probability 0.33333333333 -j KUBE-MARK-MASQ",
      "-m mark --mark 0x4000/0x4000 -j KUBE-MARK-MASQ",
      "-m connmark --mark 0x4000/0x4000 -j KUBE-MARK-MASQ",
      "-m conntrack --ctstate NEW -j KUBE-MARK-MASQ",
      "-m conntrack --ctstate NEW,ESTABLISHED -j KUBE-MARK-MASQ",
      "-j KUBE-MARK-MASQ",
    ]);
    const keys = rules.map(matchKey);
    expect(keys.every((k) => k !== null)).toBe(true);
    expect(new Set(keys).size).toBe(rules.length);
  });

  it("write every name and value with its length, so that no two splits of the same text meet", () => {
    // the same characters cut into two values differently: written one after the other they would read the same
    const [a, b] = rulesOf(["-p tcp -m tcp --tcp-flags SYN,ACK SYN -j KUBE-MARK-MASQ", "-p tcp -m tcp --tcp-flags SYN ,ACKSYN -j KUBE-MARK-MASQ"]);
    expect(a!.matches[0]!.options[0]!.valueCount).toBe(2);
    expect(matchKey(a!)).not.toBe(matchKey(b!));
  });

  it("are null for rules with addresses (nearly never alike) and with orphan options", () => {
    const [withSource, withDest, listed] = rulesOf(["-s 10.244.0.9/32 -j KUBE-MARK-MASQ", "-d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-MARK-MASQ", "-s 10.0.0.1,10.0.0.2 -j KUBE-MARK-MASQ"]);
    expect(matchKey(withSource!)).toBeNull();
    expect(matchKey(withDest!)).toBeNull();
    expect(matchKey(listed!)).toBeNull();
    const orphan = parse("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT --dport 22 -j ACCEPT\nCOMMIT\n", { format: "save" }).tables[0]!.chains[0]!.rules[0]!;
    expect(orphan.orphans.length).toBeGreaterThan(0);
    expect(matchKey(orphan)).toBeNull();
  });
});

describe("shared expansions", () => {
  it("are what each rule compiles to on its own, and one object for rules of one key", () => {
    const rules = rulesOf([
      '-p tcp -m comment --comment "a" -m tcp -j DNAT --to-destination 10.244.0.9:8080',
      '-p tcp -m comment --comment "b" -m tcp -j DNAT --to-destination 10.244.1.3:9090',
      "-m statistic --mode random --probability 0.50000000000 -j KUBE-MARK-MASQ",
      "-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A",
      "-s 10.244.0.9/32 -j KUBE-MARK-MASQ",
      "-s 10.244.0.9/32 -j KUBE-MARK-MASQ",
    ]);
    const ctx = natContext();
    const shared = new Map<string, readonly CompiledMatch[]>();
    const got = rules.map((r) => compileRuleShared(r, ctx, shared));
    rules.forEach((r, k) => {
      const alone = compileRule(r, ctx);
      expect(got[k]!.expansions.map(describeMatch)).toEqual(alone.expansions.map(describeMatch));
      expect(got[k]!.action).toEqual(alone.action);
    });
    expect(got[1]!.expansions).toBe(got[0]!.expansions);
    expect(got[3]!.expansions).toBe(got[2]!.expansions);
    // the targets are each rule's own
    expect(got[1]!.action).not.toEqual(got[0]!.action);
    // rules with addresses are compiled one by one
    expect(got[5]!.expansions).not.toBe(got[4]!.expansions);
    expect(shared.size).toBe(2);
  });

  it("compile conntrack's options on the connection alike in the raw table: a packet looped back through lo has one there", () => {
    const text = [
      "*raw",
      ":PREROUTING ACCEPT [0:0]",
      "-A PREROUTING -m conntrack --ctorigdstport 80 -j NOTRACK",
      "COMMIT",
      "*filter",
      ":INPUT ACCEPT [0:0]",
      "-A INPUT -m conntrack --ctorigdstport 80 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n");
    const model = new Model(parse(text, { format: "save" }));
    const raw = model.chain("raw", "PREROUTING")!.rules[0]!;
    const filter = model.chain("filter", "INPUT")!.rules[0]!;
    expect(matchKey(raw.rule)).toBe(matchKey(filter.rule));
    // both test the port, on packets that have a connection (state NEW, ESTABLISHED or RELATED)
    for (const k of [raw, filter]) {
      expect(k.match.never).toBeNull();
      expect(k.match.certain.map((t) => [FIELD_NAMES[t.f], [...t.set.ranges()]])).toEqual([
        ["state", [[ST.NEW, ST.RELATED]]],
        ["ctorigdstport", [[80, 80]]],
      ]);
    }
  });

  it("serve a Kubernetes-like chain set: the endpoint rules of every service share one compiled match", () => {
    const lines = ["*nat", ":KUBE-MARK-MASQ - [0:0]", "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000"];
    for (let i = 0; i < 50; i++) lines.push(`:KUBE-SEP-${i} - [0:0]`);
    for (let i = 0; i < 50; i++) {
      lines.push(`-A KUBE-SEP-${i} -s 10.244.0.${i}/32 -m comment --comment "ns/svc-${i}" -j KUBE-MARK-MASQ`);
      lines.push(`-A KUBE-SEP-${i} -p tcp -m comment --comment "ns/svc-${i}" -m tcp -j DNAT --to-destination 10.244.0.${i}:8080`);
    }
    lines.push("COMMIT", "");
    const model = new Model(parse(lines.join("\n"), { format: "save" }));
    model.compileAll();
    const dnats = model.rules.filter((k) => k.action.t === "dnat");
    expect(dnats).toHaveLength(50);
    expect(new Set(dnats.map((k) => k.match)).size).toBe(1);
    expect(new Set(dnats.map((k) => JSON.stringify(k.action))).size).toBe(50);
    const marks = model.rules.filter((k) => k.action.t === "jump");
    expect(new Set(marks.map((k) => k.match)).size).toBe(50);
  });
});
