/**
 * The canonical form (src/canonical.ts) without a kernel: every case of test/support/canonical-cases.ts (observed
 * on the kernel, and replayed there by test/roundtrip.test.ts) plus properties of the printer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Family, Rule } from "../src/ast/iptables.js";
import { canonicalRule, canonicalRuleLines, canonicalSaveLine, canonicalSaveLines } from "../src/canonical.js";
import { parse } from "../src/parse/index.js";
import { CANONICAL_CASES, CASE_USER_CHAIN } from "./support/canonical-cases.js";
import { corpusFiles } from "./support/corpus.js";

/** The only rule of a one-rule restore file. */
function ruleOf(family: Family, table: string, chain: string, spec: string): Rule {
  const rs = parse(`*${table}\n:${CASE_USER_CHAIN} - [0:0]\n-A ${chain} ${spec}\nCOMMIT\n`, { family, format: "save" });
  const rules = rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
  expect(rules).toHaveLength(1);
  return rules[0]!;
}

describe("canonical form: cases observed on the kernel", () => {
  for (const c of CANONICAL_CASES) {
    it(`${c.family} ${c.table} ${c.chain} ${c.rule}`, () => {
      expect(canonicalRuleLines(ruleOf(c.family, c.table, c.chain, c.rule), c.family)).toEqual(c.expected);
    });
  }
});

/** Every rule of a ruleset with its canonical lines. */
function canonicalOf(text: string, options: Parameters<typeof parse>[1] = {}): string[] {
  const rs = parse(text, options);
  return rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.flatMap((r) => canonicalSaveLines(r, rs.family))));
}

describe("canonical form: the same rule in every spelling", () => {
  it("aliases, abbreviations and criteria order do not matter", () => {
    const spellings = [
      "-A INPUT -s 10.0.0.1/32 -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT",
      "-A INPUT --source 10.0.0.1 --in-interface eth0 --protocol tcp --destination-port 22 --jump ACCEPT",
      "-A INPUT -p 6 -i eth0 --src 10.0.0.1/255.255.255.255 --dpo ssh -j ACCEPT",
      "-A INPUT -i eth0 -p TCP -m tcp --dport=22 -s 10.0.0.1 --jump=ACCEPT",
    ];
    const forms = spellings.map((s) => canonicalOf(`*filter\n${s}\nCOMMIT\n`, { family: "ipv4" }));
    for (const f of forms) expect(f).toEqual(["-A INPUT -s 10.0.0.1/32 -i eth0 -p tcp -m tcp --dport 22 -j ACCEPT"]);
  });

  it("a script, iptables -S output and a restore file give the same lines", () => {
    const save = canonicalOf('*nat\n-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n*filter\n-A DOCKER-USER -i eth0 ! -s 192.168.1.1/32 -j DROP\n-A INPUT -m comment --comment "allow ssh" -p tcp --dport 22 -j ACCEPT\nCOMMIT\n', { family: "ipv4" });
    const script = canonicalOf(
      [
        "#!/bin/sh",
        "sudo iptables -t nat -A DOCKER ! --in-interface docker0 -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
        "iptables -I DOCKER-USER -i eth0 ! -s 192.168.1.1 -j DROP",
        "iptables -A INPUT -m comment --comment 'allow ssh' -p tcp --dport 22 -j ACCEPT",
      ].join("\n"),
    );
    expect([...script].sort()).toEqual([...save].sort());
    const listRules = canonicalOf('-P INPUT ACCEPT\n-A DOCKER-USER -i eth0 ! -s 192.168.1.1/32 -j DROP\n-A INPUT -p tcp -m comment --comment "allow ssh" -m tcp --dport 22 -j ACCEPT\n', { format: "list-rules" });
    expect(listRules).toEqual(save.slice(1));
  });

  it("counters and -c are not part of the canonical form", () => {
    expect(canonicalOf("*filter\n[5:300] -A INPUT -j ACCEPT\n-A INPUT -c 1 2 -j DROP\nCOMMIT\n")).toEqual(["-A INPUT -j ACCEPT", "-A INPUT -j DROP"]);
  });

  it("legacy negation reads as prefix negation", () => {
    expect(canonicalOf("*filter\n-A INPUT -s ! 10.0.0.0/8 -p ! udp -j DROP\nCOMMIT\n")).toEqual(canonicalOf("*filter\n-A INPUT ! -s 10.0.0.0/8 ! -p udp -j DROP\nCOMMIT\n"));
  });
});

describe("canonical form: structure", () => {
  const one = (spec: string, family: Family = "ipv4", table = "filter") => ruleOf(family, table, "INPUT", spec);

  it("comma lists in -s/-d expand sources outermost, and canonicalRule joins the lines", () => {
    const r = one("-s 10.0.0.1,10.0.0.2 -d 10.9.0.0/16,10.8.0.0/16 -j ACCEPT");
    expect(canonicalRuleLines(r, "ipv4")).toEqual([
      "-s 10.0.0.1/32 -d 10.9.0.0/16 -j ACCEPT",
      "-s 10.0.0.1/32 -d 10.8.0.0/16 -j ACCEPT",
      "-s 10.0.0.2/32 -d 10.9.0.0/16 -j ACCEPT",
      "-s 10.0.0.2/32 -d 10.8.0.0/16 -j ACCEPT",
    ]);
    expect(canonicalRule(r, "ipv4").split("\n")).toHaveLength(4);
    expect(canonicalSaveLines(r, "ipv4")[0]).toBe("-A INPUT -s 10.0.0.1/32 -d 10.9.0.0/16 -j ACCEPT");
    expect(canonicalSaveLine(r, "ipv4").split("\n")).toEqual(canonicalSaveLines(r, "ipv4"));
  });

  it("a rule without target or criteria prints as the bare -A line", () => {
    const r = one("-m comment --comment x");
    expect(canonicalRule(r, "ipv4")).toBe("-m comment --comment x");
    const rs = parse("*filter\n-A INPUT\nCOMMIT\n", { family: "ipv4" });
    const empty = rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules[0]!;
    expect(canonicalRule(empty, "ipv4")).toBe("");
    expect(canonicalSaveLine(empty, "ipv4")).toBe("-A INPUT");
  });

  it("the family decides defaults and value spellings", () => {
    expect(canonicalRule(one("-j REJECT"), "ipv4")).toBe("-j REJECT --reject-with icmp-port-unreachable");
    expect(canonicalRule(one("-j REJECT", "ipv6"), "ipv6")).toBe("-j REJECT --reject-with icmp6-port-unreachable");
    expect(canonicalRule(one("-m recent --set", "ipv6"), "ipv6")).toBe("-m recent --set --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource");
    expect(canonicalRule(one("-d ::ffff:10.0.0.1 -s 2001:0DB8:0000::/48", "ipv6"), "ipv6")).toBe("-s 2001:db8::/48 -d ::ffff:10.0.0.1/128");
  });

  it("unknown matches, targets and options are kept as written (quoted when needed)", () => {
    expect(canonicalRule(one('-m nosuchmatch --foo "a b" -j ACCEPT'), "ipv4")).toBe('-m nosuchmatch --foo "a b" -j ACCEPT');
    expect(canonicalRule(one("-j NOSUCHCHAIN"), "ipv4")).toBe("-j NOSUCHCHAIN");
    expect(canonicalRule(one("--src-range 10.0.0.1-10.0.0.2 -j ACCEPT"), "ipv4")).toBe("--src-range 10.0.0.1-10.0.0.2 -j ACCEPT");
  });

  it("invalid values are kept as written", () => {
    expect(canonicalRule(one("-p tcp --dport 70000:1 -j ACCEPT"), "ipv4")).toBe("-p tcp -m tcp --dport 70000:1 -j ACCEPT");
  });

  it("quoting follows xtables_save_string, and 'always' options escape only \" and \\", () => {
    expect(canonicalRule(one(`-m comment --comment "it's \\"x\\""`), "ipv4")).toBe(`-m comment --comment "it\\'s \\"x\\""`);
    expect(canonicalRule(one(`-m string --algo bm --string "it's"`), "ipv4")).toBe(`-m string --string "it's" --algo bm`);
    expect(canonicalRule(one(`-j LOG --log-prefix ""`), "ipv4")).toBe(`-j LOG --log-prefix ""`);
  });
});

describe("canonical form is a fixed point", () => {
  it("re-reading the canonical lines gives the same lines (every case)", () => {
    for (const c of CANONICAL_CASES) {
      const text = `*${c.table}\n:${CASE_USER_CHAIN} - [0:0]\n${c.expected.map((l) => `-A ${c.chain} ${l}`).join("\n")}\nCOMMIT\n`;
      expect(canonicalOf(text, { family: c.family, format: "save" }).map((l) => l.slice(4 + c.chain.length).replace(/^ /, ""))).toEqual(c.expected);
    }
  });

  it("re-reading the canonical form of every corpus rule gives the same lines", () => {
    const unstable: string[] = [];
    let rules = 0;
    for (const file of corpusFiles()) {
      const rs = parse(readFileSync(file, "utf8"), { filePath: file });
      if (rs.diagnostics.length) continue; // a broken file's rules may read differently once printed
      const blocks = rs.tables.map((t) => {
        const lines = t.chains.flatMap((c) => c.rules.flatMap((r) => canonicalSaveLines(r, rs.family)));
        rules += lines.length;
        return { lines, text: `*${t.name}\n${t.chains.map((c) => `:${c.name} ${c.builtin ? "ACCEPT" : "-"} [0:0]`).join("\n")}\n${lines.join("\n")}\nCOMMIT\n` };
      });
      const again = canonicalOf(blocks.map((b) => b.text).join(""), { family: rs.family, format: "save" });
      const before = blocks.flatMap((b) => b.lines);
      if (JSON.stringify(again) !== JSON.stringify(before)) {
        const k = again.findIndex((l, i) => l !== before[i]);
        unstable.push(`${file}: ${before[k]} → ${again[k]}`);
      }
    }
    expect(rules).toBeGreaterThan(10000);
    expect(unstable).toEqual([]);
  });
});
