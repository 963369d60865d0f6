/**
 * Chains the concrete path of `trace --packets` answers from memory (src/model/chainmemo.ts, fast.ts): which
 * chains qualify and the fields their ways depend on, the keys, and that the tracer with its memory gives
 * exactly the JSON of the tracer without it (and of the symbolic trace) on the bench's rulesets, including a
 * chain whose memory serves too rarely and is turned off, and a test that cannot tell inside a remembered chain.
 */
import { describe, expect, it } from "vitest";
import { docker, kube, kubePackets, longChain, rng } from "../scripts/bench/generate.mjs";
import { ChainMemoShapes, memoKey } from "../src/model/chainmemo.js";
import { FastTracer } from "../src/model/fast.js";
import { F } from "../src/model/fields.js";
import { Model, type CChain } from "../src/model/model.js";
import { trace, type PacketSpec } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";

const RULES = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -s 10.0.0.1/32 -m iprange --src-range 10.0.0.2-10.0.0.3 -j CT --notrack
-A PREROUTING -s 10.0.0.0/8 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.1:80
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:U1 - [0:0]
:L1 - [0:0]
:L2 - [0:0]
:M - [0:0]
:S - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 10.0.0.0/8 -j U1
-A U1 -d 10.0.0.1 -j DROP
-A U1 -m conntrack --ctstate DNAT -j DROP
-A FORWARD -m mark --mark 0x1/0x1 -j DROP
-A FORWARD -j L1
-A L1 -j L2
-A L2 -j L1
-A M -j MARK --set-mark 0x2
-A S -m statistic --mode random --probability 0.5 -j ACCEPT
-A OUTPUT -j S
COMMIT
`;

function chainOf(model: Model, table: string, name: string): CChain {
  const ch = model.chains.find((c) => c.table === table && c.name === name);
  if (!ch) throw new Error(`${table} ${name}: no such chain`);
  return ch;
}

describe("chain memo shapes", () => {
  const model = new Model(parse(RULES), { local: ["10.0.0.1"] });
  const shapes = new ChainMemoShapes(model);
  const shape = (table: string, name: string) => shapes.shapeOf(chainOf(model, table, name));

  it("a chain of verdicts and jumps to such chains depends on the fields its rules and their chains test", () => {
    const u1 = shape("filter", "U1")!;
    // -d with a set; --ctstate DNAT reads the state and the NAT status (a test keyed by value).
    expect(u1.fields).toEqual([F.DST, F.STATE, F.NATTED]);
    expect(u1.starts[0]).toEqual([0, 0x0a000001, 0x0a000002]);
    expect(u1.starts[1]).toBeNull();
    const size = (f: number) => Number(model.doms[f]!.max) - Number(model.doms[f]!.min) + 1;
    expect(u1.radix).toEqual([3, size(F.STATE), size(F.NATTED)]);
    expect(u1.height).toBe(0);
    const input = shape("filter", "INPUT")!;
    expect(input.fields).toEqual([F.SRC, F.DST, F.PROTO, F.DPORT, F.IIF, F.STATE, F.NATTED]);
    expect(input.height).toBe(1);
    // U1's bounds come along: 10.0.0.1 is cut out of the destinations.
    expect(input.starts[1]).toEqual([0, 0x0a000001, 0x0a000002]);
    expect(input.starts[0]).toEqual([0, 0x0a000000, 0x0b000000]);
  });

  it("a rule that matches no packet in its place does not count: its NOTRACK target is never taken", () => {
    const pre = shape("raw", "PREROUTING")!;
    expect(pre.fields).toEqual([F.SRC]);
    expect(shape("raw", "OUTPUT")).toEqual({ fields: [], starts: [], radix: [], base: [], height: 0 });
  });

  it("no memory for a chain that changes the packet, follows a match both ways, loops, or calls such a chain", () => {
    expect(shape("filter", "M")).toBeNull(); // MARK
    expect(shape("nat", "PREROUTING")).toBeNull(); // DNAT
    expect(shape("filter", "S")).toBeNull(); // statistic
    expect(shape("filter", "OUTPUT")).toBeNull(); // calls S
    expect(shape("filter", "L1")).toBeNull();
    expect(shape("filter", "L2")).toBeNull();
    expect(shape("filter", "FORWARD")).toBeNull(); // calls the loop
  });

  it("keys: one per combination of intervals and values; none for a field that is a variable", () => {
    const u1 = shape("filter", "U1")!;
    const c = new Array<number>(23).fill(0);
    const s = new Array<number>(23).fill(-1);
    const key = (dst: number, state: number, natted = 0) => {
      c[F.DST] = dst;
      c[F.STATE] = state;
      c[F.NATTED] = natted;
      return memoKey(u1, c, s);
    };
    expect(key(0x0a000001, 1)).not.toBe(key(0x0a000002, 1));
    expect(key(0x0a000002, 1)).toBe(key(0xc0000201, 1)); // both above 10.0.0.1
    expect(key(5, 1)).toBe(key(0x0a000000, 1)); // both below
    expect(key(5, 1)).not.toBe(key(5, 2));
    expect(key(5, 1, 2)).not.toBe(key(5, 1, 0));
    s[F.DST] = 0;
    expect(memoKey(u1, c, s)).toBe(-1);
  });
});

function specs(lines: string): PacketSpec[] {
  return lines
    .trim()
    .split("\n")
    .map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      return { ...(o as unknown as PacketSpec), in: (o.in as string) ?? null };
    });
}

/** Both tracers on the same packets: the same JSON for each; returns the remembering tracer. */
function same(model: Model, packets: readonly PacketSpec[]): FastTracer {
  const plain = new FastTracer(model, { memo: false });
  const remembering = new FastTracer(model);
  for (const p of packets) expect(remembering.traceJson(p), JSON.stringify(p)).toBe(plain.traceJson(p));
  expect(plain.stats.remembered).toBe(0);
  return remembering;
}

describe("trace with chain memory", () => {
  it("kube-proxy dump: the same results, most filter walks answered from memory", () => {
    const model = new Model(parse(kube(2000)), {});
    const t = same(model, specs(kubePackets(2000, 3000)));
    expect(t.stats.fast).toBe(3000);
    // INPUT and OUTPUT (with the chains they call) are met by nearly every request, reply and follow-up.
    expect(t.stats.remembered).toBeGreaterThan(3000 * 3);
    expect(t.stats.forgotten).toBe(0);
    expect(t.stats.kept).toBeGreaterThan(3);
    // A tracer keeps a bounded number of ways in all; the ones it keeps still serve.
    const plain = new FastTracer(model, { memo: false });
    const bounded = new FastTracer(model, { maxWays: 3 });
    for (const p of specs(kubePackets(2000, 3000))) expect(bounded.traceJson(p)).toBe(plain.traceJson(p));
    expect(bounded.stats.kept).toBe(3);
    expect(bounded.stats.remembered).toBeGreaterThan(0);
    expect(bounded.stats.remembered).toBeLessThan(t.stats.remembered);
    // A chain is remembered from its fourth walk on: one packet (request, reply, follow-up) meets INPUT twice.
    const once = new FastTracer(model);
    once.traceJson(specs(kubePackets(2000, 1))[0]!);
    expect(once.stats.remembered).toBe(0);
  });

  it("Docker host with an allowlist and a 20,000-rule chain: the same results; memory that serves rarely is turned off", () => {
    const r = rng(11);
    const ext = Array.from({ length: 3000 }, (): PacketSpec => ({
      in: "eth0",
      src: r() < 0.5 ? `198.51.0.${Math.floor(r() * 100)}` : `192.0.2.${Math.floor(r() * 250)}`,
      dst: "203.0.113.5",
      proto: r() < 0.9 ? "tcp" : "udp",
      dport: 10000 + Math.floor(r() * 200),
      state: r() < 0.8 ? "NEW" : "ESTABLISHED",
    }));
    same(new Model(parse(docker(200)), { local: ["203.0.113.5"], external: ["eth0"] }), ext);
    const long = Array.from({ length: 3000 }, (): PacketSpec => ({
      in: "eth0",
      src: `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 250)}`,
      dst: "10.255.0.1",
      proto: r() < 0.7 ? "tcp" : "udp",
      dport: 1 + Math.floor(r() * 2000),
    }));
    const t = same(new Model(parse(longChain(20_000)), { local: ["10.255.0.1"] }), long);
    // LONG is keyed on sources, ports and protocols: nearly every packet is a new combination.
    expect(t.stats.forgotten).toBeGreaterThanOrEqual(1);
    // Its ways (64 or more when it was turned off) were given back: what is kept is what the other chains hold.
    expect(t.stats.kept).toBeLessThan(16);
  });

  it("a test that cannot tell inside a remembered chain: both ways, each exit with the path before the chain, nothing kept", () => {
    const text = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":U - [0:0]", "-A INPUT -p tcp -j LOG", "-A INPUT -j U", "-A U -m mark --mark 0x1/0x1 -j DROP", "-A U -j ACCEPT", "COMMIT", ""].join("\n");
    const model = new Model(parse(text), { local: ["10.0.0.1"] });
    const u = chainOf(model, "filter", "U");
    const fn = u.rules[0]!.match.fns[0]!;
    // As a test the model cannot evaluate on a given mark would answer.
    (fn as { test: unknown }).test = () => undefined;
    expect(new ChainMemoShapes(model).shapeOf(u)).not.toBeNull();
    const tracer = new FastTracer(model);
    const spec: PacketSpec = { in: "eth0", src: "192.0.2.1", dst: "10.0.0.1", proto: "tcp", dport: 22 };
    // Again and again: a way kept from the first packet would give the next ones a single outcome.
    for (let k = 0; k < 8; k++) {
      const fast = tracer.traceJson(spec);
      expect(fast).toBe(JSON.stringify(trace(model, spec).result));
      const o = JSON.parse(fast!) as { outcomes: { path: { chain: string; target: string }[] }[] };
      expect(o.outcomes.map((x) => x.path.map((e) => `${e.chain} ${e.target}`))).toEqual([
        ["INPUT LOG", "INPUT U", "U DROP"],
        ["INPUT LOG", "INPUT U", "U ACCEPT"],
      ]);
    }
  });
});
