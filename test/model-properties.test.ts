/**
 * Properties of the packet model on random small rulesets and random packets (fast-check):
 *  - a rule reported unreachable is never a rule that any traced packet matches;
 *  - a rule reported redundant can be deleted without changing any traced packet's verdict;
 *  - every source that trace lets open a connection lies in exposure's allowed set;
 *  - a concrete trace and the symbolic traversal agree on the verdict.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast/iptables.js";
import { cidrSet, rangeSet } from "../src/model/addr.js";
import { Coverage } from "../src/model/coverage.js";
import { toArray, type Visit } from "../src/model/engine.js";
import { computeExposure } from "../src/model/exposure.js";
import { Model } from "../src/model/model.js";
import type { IntervalSet, Scalar } from "../src/model/sets.js";
import { trace, type PacketSpec } from "../src/model/trace.js";
import { parseAddress } from "../src/model/values.js";
import { parse } from "../src/parse/index.js";

const LOCAL = "10.0.0.1";
const ADDRS = ["10.0.0.1", "10.0.0.2", "10.0.0.7", "10.0.1.5", "192.0.2.1", "192.0.2.130", "172.17.0.2", "172.17.0.3", "203.0.113.9", "8.8.8.8"];
const CIDRS = ["10.0.0.0/24", "10.0.0.0/16", "10.0.0.2", "192.0.2.0/25", "192.0.2.128/25", "172.17.0.0/16", "172.17.0.2/32", "0.0.0.0/1", "203.0.113.0/24"];
const RANGES = ["10.0.0.1-10.0.0.5", "192.0.2.100-192.0.2.200", "172.17.0.2-172.17.0.3"];
const IFACES = ["eth0", "eth1", "eth+", "docker0", "lo"];
const PORTS = [22, 53, 80, 443, 8080, 1024, 5000];
const STATES = ["NEW", "ESTABLISHED", "RELATED", "INVALID", "NEW,ESTABLISHED", "RELATED,ESTABLISHED"];

const neg = fc.integer({ min: 0, max: 3 }).map((n) => (n === 0 ? "! " : ""));
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
/** Mostly absent: rules test few things, so that rules overlap and cover each other. */
const rarely = <T>(arb: fc.Arbitrary<T>, weight = 1) => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight, arbitrary: arb });

/** One rule's match part (empty string for none). */
const matchPart = fc
  .record({
    src: rarely(fc.tuple(neg, pick(CIDRS))),
    dst: rarely(fc.tuple(neg, pick(CIDRS))),
    inIf: rarely(fc.tuple(neg, pick(IFACES))),
    proto: rarely(pick(["tcp", "udp", "icmp"]), 3),
    dport: rarely(fc.tuple(neg, pick(PORTS), fc.option(pick(PORTS), { nil: undefined })), 3),
    multi: rarely(fc.array(pick(PORTS), { minLength: 1, maxLength: 3 })),
    range: rarely(fc.tuple(neg, pick(RANGES))),
    state: rarely(fc.tuple(neg, pick(STATES))),
    mark: rarely(fc.tuple(neg, pick(["0x1", "0x2", "0x1/0x1"]))),
    limit: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  })
  .map((m) => {
    const p: string[] = [];
    if (m.src) p.push(`${m.src[0]}-s ${m.src[1]}`);
    if (m.dst) p.push(`${m.dst[0]}-d ${m.dst[1]}`);
    if (m.inIf) p.push(`${m.inIf[0]}-i ${m.inIf[1]}`);
    if (m.proto) {
      p.push(`-p ${m.proto}`);
      if (m.proto !== "icmp" && m.dport) {
        const [n, a, b] = m.dport;
        p.push(`-m ${m.proto} ${n}--dport ${b !== undefined && b > a ? `${a}:${b}` : a}`);
      } else if (m.proto !== "icmp" && m.multi) p.push(`-m multiport --dports ${[...new Set(m.multi)].join(",")}`);
      if (m.proto === "icmp" && m.dport) p.push("-m icmp --icmp-type echo-request");
    }
    if (m.range) p.push(`-m iprange ${m.range[0]}--src-range ${m.range[1]}`);
    if (m.state) p.push(`-m conntrack ${m.state[0]}--ctstate ${m.state[1]}`);
    if (m.mark) p.push(`-m mark ${m.mark[0]}--mark ${m.mark[1]}`);
    if (m.limit) p.push("-m limit --limit 5/sec");
    return p.join(" ");
  });

const rulesetArb = fc
  .record({
    policy: pick(["ACCEPT", "DROP"]),
    chains: fc.array(
      fc.array(
        fc.tuple(
          matchPart,
          fc.constantFrom("ACCEPT", "DROP", "REJECT", "RETURN", "LOG", "MARK", "JUMP", "GOTO", "NONE"),
        ),
        { minLength: 0, maxLength: 7 },
      ),
      { minLength: 2, maxLength: 4 },
    ),
  })
  .map(({ policy, chains }) => {
    // chains[0] is INPUT, chains[1] is FORWARD, the rest are user chains U2, U3…; a chain only jumps to a
    // user chain with a higher number (no loops).
    const names = chains.map((_, k) => (k === 0 ? "INPUT" : k === 1 ? "FORWARD" : `U${k}`));
    const lines = ["*filter", `:INPUT ${policy} [0:0]`, `:FORWARD ${policy === "ACCEPT" ? "DROP" : "ACCEPT"} [0:0]`, ":OUTPUT ACCEPT [0:0]", ...names.slice(2).map((n) => `:${n} - [0:0]`)];
    chains.forEach((rules, k) => {
      for (const [match, t] of rules) {
        const later = names.slice(Math.max(2, k + 1));
        let target: string;
        if (t === "JUMP" || t === "GOTO") {
          if (later.length === 0) target = "-j DROP";
          else target = `${t === "GOTO" ? "-g" : "-j"} ${later[(match.length + k) % later.length]}`;
        } else if (t === "MARK") target = "-j MARK --set-xmark 0x1/0xffffffff";
        else if (t === "NONE") target = "";
        else if (t === "RETURN" && k < 2) target = "-j ACCEPT";
        else target = `-j ${t}`;
        lines.push(`-A ${names[k]} ${match} ${target}`.replace(/\s+/g, " ").trim());
      }
    });
    lines.push("COMMIT", "");
    return lines.join("\n");
  });

const packetArb = fc.record({
  in: fc.option(pick(["eth0", "eth1", "eth7", "docker0", "lo"]), { nil: undefined }),
  out: pick(["eth0", "eth1", "docker0"]),
  src: pick(ADDRS),
  dst: pick(ADDRS),
  proto: pick(["tcp", "udp", "icmp"]),
  sport: pick([1024, 40000, 53]),
  dport: pick(PORTS),
  state: pick(["NEW", "ESTABLISHED", "RELATED", "INVALID"]),
});

function specOf(p: typeof packetArb extends fc.Arbitrary<infer T> ? T : never): PacketSpec {
  return {
    ...(p.in ? { in: p.in } : {}),
    out: p.out,
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    ...(p.proto === "icmp" ? {} : { sport: p.sport, dport: p.dport }),
    state: p.state,
  };
}

/** Every rule a traced packet matched (in any outcome, unknown matches assumed to hold included). */
function matchedRules(model: Model, spec: PacketSpec): Set<Rule> {
  const t = trace(model, spec, { verbose: true });
  const out = new Set<Rule>();
  for (const o of [...t.request, ...t.replies, ...t.followups])
    for (const v of toArray(o.b.visits) as Visit[]) if (v.krule && (v.outcome === "match" || v.outcome === "unknown")) out.add(v.krule.rule);
  return out;
}

const RUNS = Number(process.env.FWLINT_PROPERTY_RUNS ?? 200);

describe("packet model properties", () => {
  it("a rule reported unreachable is never matched by any traced packet", () => {
    fc.assert(
      fc.property(rulesetArb, fc.array(packetArb, { minLength: 20, maxLength: 40 }), (text, packets) => {
        const model = new Model(parse(text), { local: [LOCAL] });
        const cov = new Coverage(model);
        const dead = new Set(cov.unreachable.map((u) => u.rule));
        if (dead.size === 0) return;
        for (const p of packets) {
          const hit = [...matchedRules(model, specOf(p))].filter((r) => dead.has(r));
          expect(hit.map((r) => `line ${r.span.line}`), `${text}\npacket ${JSON.stringify(p)}`).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  // Long chains take the indexed paths (one-field index, bitsets over every field, dodging points).
  const longChainArb = fc
    .array(fc.tuple(matchPart, fc.constantFrom("ACCEPT", "DROP", "REJECT", "LOG")), { minLength: 300, maxLength: 600 })
    .map((rules) => ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ...rules.map(([m, t]) => `-A INPUT ${m} -j ${t}`.replace(/\s+/g, " ")), "COMMIT", ""].join("\n"));

  it("on long chains too, unreachable rules are never matched and redundant ones change no verdict", () => {
    fc.assert(
      fc.property(longChainArb, fc.array(packetArb, { minLength: 30, maxLength: 60 }), (text, packets) => {
        const model = new Model(parse(text), { local: [LOCAL] });
        const cov = new Coverage(model);
        const dead = new Set(cov.unreachable.map((u) => u.rule));
        for (const p of packets) {
          const hit = [...matchedRules(model, specOf(p))].filter((r) => dead.has(r));
          expect(hit.map((r) => `line ${r.span.line}`), `packet ${JSON.stringify(p)}`).toEqual([]);
        }
        for (const r of cov.redundant.slice(0, 3)) {
          const lines = text.split("\n");
          lines.splice(r.rule.span.line - 1, 1);
          const without = new Model(parse(lines.join("\n")), { local: [LOCAL] });
          for (const p of packets) expect(trace(without, specOf(p)).result.verdict, `without line ${r.rule.span.line}: ${JSON.stringify(p)}`).toBe(trace(model, specOf(p)).result.verdict);
        }
      }),
      { numRuns: Math.max(10, Math.round(RUNS / 10)) },
    );
  });

  it("deleting a rule reported redundant changes no traced packet's verdict", () => {
    fc.assert(
      fc.property(rulesetArb, fc.array(packetArb, { minLength: 20, maxLength: 40 }), (text, packets) => {
        const model = new Model(parse(text), { local: [LOCAL] });
        const cov = new Coverage(model);
        for (const r of cov.redundant.slice(0, 2)) {
          const lines = text.split("\n");
          lines.splice(r.rule.span.line - 1, 1);
          const without = new Model(parse(lines.join("\n")), { local: [LOCAL] });
          for (const p of packets) {
            const spec = specOf(p);
            const a = trace(model, spec).result;
            const b = trace(without, spec).result;
            expect(b.verdict, `${text}\nwithout line ${r.rule.span.line}\npacket ${JSON.stringify(p)}`).toBe(a.verdict);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  const natArb = fc
    .record({
      filter: rulesetArb,
      dnats: fc.array(
        fc.record({ proto: pick(["tcp", "udp", "sctp"]), port: pick([8080, 8443, 2222]), to: pick(["172.17.0.2:80", "172.17.0.3:443", "172.17.0.2:22"]), dst: fc.option(pick([LOCAL, "10.0.1.1"]), { nil: undefined }), notIn: fc.boolean() }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ filter, dnats }) => {
      const nat = [
        "*nat",
        ":PREROUTING ACCEPT [0:0]",
        ":INPUT ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
        ":DOCKER - [0:0]",
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
        ...dnats.map((d) => `-A DOCKER ${d.dst ? `-d ${d.dst}/32 ` : ""}${d.notIn ? "! -i docker0 " : ""}-p ${d.proto} -m ${d.proto} --dport ${d.port} -j DNAT --to-destination ${d.to}`),
        "COMMIT",
        "",
      ];
      return `${filter}${nat.join("\n")}`;
    });

  const outsideArb = fc.record({
    in: pick(["eth0", "eth1", "eth7"]),
    src: pick([...ADDRS, "198.51.100.4", "127.0.0.5"]),
    dst: pick([LOCAL, "10.0.1.1", "172.17.0.2", "172.17.0.3"]),
    proto: pick(["tcp", "udp", "sctp"]),
    dport: pick([...PORTS, 8443, 2222]),
  });

  it("every source trace lets open a connection lies in exposure's allowed set, and only those", () => {
    fc.assert(
      fc.property(natArb, fc.array(outsideArb, { minLength: 15, maxLength: 30 }), (text, packets) => {
        const model = new Model(parse(text), { local: [LOCAL, "10.0.1.1"], interfaces: ["eth0", "eth1"] });
        // SCTP too, whether or not the random rules name it (exposure's default follows it only when they do).
        const items = computeExposure(model, { protocols: [6, 17, 132] });
        for (const p of packets) {
          const spec: PacketSpec = { in: p.in, src: p.src, dst: p.dst, proto: p.proto, dport: p.dport, state: "NEW" };
          const t = trace(model, spec).result;
          const label = model.ifaces.label(model.ifaces.classOf(p.in));
          const a = parseAddress(p.src, "ipv4")!;
          const inList = (list: readonly string[] | undefined) =>
            (list ?? []).some((s) => ((s.includes("-") && !s.includes("/") ? rangeSet(s, "ipv4") : cidrSet(s, "ipv4")) as IntervalSet<Scalar> | null)?.has(a));
          const covering = items.filter((it) => {
            if (it.proto !== p.proto) return false;
            const ports = typeof it.hostPort === "number" ? [[it.hostPort, it.hostPort]] : it.hostPort.split(",").map((r) => r.split("-").map(Number));
            if (!ports.some(([lo, hi]) => p.dport >= lo! && p.dport <= (hi ?? lo)!)) return false;
            if (it.kind === "routed") return inListFor((it.container ?? "").slice(0, (it.container ?? "").lastIndexOf(":")), p.dst) && t.delivery === "forward" && t.nat.dst === null;
            if (it.hostAddress !== "*" && !inListFor(it.hostAddress ?? "", p.dst)) return false;
            return it.kind === "host" ? t.delivery === "local" : it.container === t.nat.dst;
          });
          const entries = covering.flatMap((it) => it.allowed.filter((e) => e.inInterface === label));
          const definite = entries.some((e) => inList(e.sources));
          const possible = entries.some((e) => inList(e.possibleSources));
          const ctx = `${text}\npacket ${JSON.stringify(spec)} → ${JSON.stringify({ verdict: t.verdict, connection: t.connection, nat: t.nat, unknown: t.unknown })}`;
          // Exposure counts a source when some source port gets through (an attacker picks it); trace's
          // default source ports are the usual ephemeral range. So: trace open ⇒ exposure allows the source.
          if (t.connection === "open") expect(definite || (t.unknown.length > 0 && possible), ctx).toBe(true);
          // And the reverse: a source exposure allows opens with some source port (the rules only name ports
          // of the pool, so trying each of them and one ephemeral port covers every case). "0.0.0.0/0" in
          // exposure means every valid source: loopback sources from outside are martians.
          if (definite && t.unknown.length === 0 && !p.src.startsWith("127.")) {
            const some = [...PORTS, 8443, 2222, 40000].some((sport) => trace(model, { ...spec, sport }).result.connection === "open");
            expect(some, ctx).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("the random rulesets do exercise the claims (some unreachable and redundant rules)", () => {
    let dead = 0;
    let redundant = 0;
    const samples = fc.sample(rulesetArb, { numRuns: 200, seed: 42 });
    for (const text of samples) {
      const cov = new Coverage(new Model(parse(text), { local: [LOCAL] }));
      if (cov.unreachable.length) dead++;
      if (cov.redundant.length) redundant++;
    }
    console.log(`random rulesets: ${dead}/200 with unreachable rules, ${redundant}/200 with redundant ones`);
    expect(dead).toBeGreaterThan(20);
    expect(redundant).toBeGreaterThan(10);
  });

  it("tracing is deterministic and never throws on random input", () => {
    fc.assert(
      fc.property(rulesetArb, packetArb, (text, p) => {
        const model = new Model(parse(text), { local: [LOCAL] });
        const a = trace(model, specOf(p)).result;
        const b = trace(model, specOf(p)).result;
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      }),
      { numRuns: RUNS },
    );
  });
});

function inListFor(list: string, addr: string): boolean {
  const a = parseAddress(addr, "ipv4");
  if (a === null) return false;
  return list.split(",").some((s) => ((s.includes("-") && !s.includes("/") ? rangeSet(s, "ipv4") : cidrSet(s, "ipv4")) as IntervalSet<Scalar> | null)?.has(a) ?? false);
}
