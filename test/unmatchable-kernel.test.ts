/**
 * `unmatchable-rule` against the kernel's own counters. Each contradiction is loaded three times into a real
 * ruleset: each condition alone and both together, as rules without a target (they only count). Real
 * connections then go through the host, and the counters say what the kernel matched: each condition alone
 * must have matched packets (the traffic does exercise it), both together none. fwlint must report exactly
 * the rules written to contradict themselves, and none of the rules that look alike but can match, whose
 * counters must show packets. Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: "10.99.0.1/24", addrs: ["10.99.0.2/24", "10.99.0.3/24", "10.99.0.4/24"], tcp: [7000], udp: [] }],
  host: { tcp: [22, 80, 443], udp: [] },
};

/**
 * Conditions that no packet meets together, each met by some packet of the traffic below: the first alone,
 * the second alone, and the rule with both (written out where both need `-p`, which a rule gives once).
 */
const CONTRADICTIONS: readonly (readonly [string, string, string?])[] = [
  ["-s 10.99.0.2/32", "-m iprange --src-range 10.99.0.3-10.99.0.4"],
  ["-p tcp -m tcp --dport 22", "-p tcp -m multiport --dports 80,443", "-p tcp -m tcp --dport 22 -m multiport --dports 80,443"],
  ["-m conntrack --ctstate NEW", "-m state --state ESTABLISHED"],
  ["-m conntrack --ctdir ORIGINAL", "-m conntrack --ctdir REPLY"],
  ["-p tcp -m tcp --syn", "-p tcp -m tcp --tcp-flags SYN,ACK ACK", "-p tcp -m tcp --syn -m tcp --tcp-flags SYN,ACK ACK"],
  ["-m mark --mark 0x1", "-m mark --mark 0x2"],
  ["-s 10.99.0.2/32", "-m iprange ! --src-range 10.99.0.1-10.99.0.3"],
];

/** Rules like those that some packet of the traffic does match. */
const SATISFIABLE: readonly string[] = [
  "-s 10.99.0.2/31 -m iprange --src-range 10.99.0.3-10.99.0.4",
  "-p tcp -m tcp --dport 20:30 -m multiport --dports 22,80",
  "-m conntrack --ctstate NEW,ESTABLISHED -m state --state ESTABLISHED",
  "-p tcp -m tcp --tcp-flags SYN,ACK ACK -m multiport --dports 80,443",
  "-m mark --mark 0x1/0x1 -m mark --mark 0x3",
];

/** In filter OUTPUT: the host's port unreachable about a UDP datagram belongs to the datagram's connection. */
const RELATED_ICMP = "-p icmp -m conntrack --ctstate RELATED --ctproto udp";

/** In raw PREROUTING: a packet looped back through lo has its connection there (the host connects to itself). */
const RAW = "-p tcp -m conntrack --ctorigdstport 22";

interface Line {
  readonly chain: string;
  readonly rule: string;
  /** Expected: "none" (contradiction), "some" (matches packets). */
  readonly expect: "none" | "some";
}

function ruleset(): { text: string; lines: Map<number, Line> } {
  const lines = new Map<number, Line>();
  const out = ["*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"];
  const add = (chain: string, rule: string, expect: Line["expect"]) => {
    out.push(`-A ${chain} ${rule}`);
    lines.set(out.length, { chain, rule, expect });
  };
  add("PREROUTING", RAW, "some");
  out.push("COMMIT", "*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]");
  out.push("-A PREROUTING -s 10.99.0.2/32 -j MARK --set-xmark 0x1/0xffffffff", "-A PREROUTING -s 10.99.0.3/32 -j MARK --set-xmark 0x3/0xffffffff");
  out.push("-A PREROUTING -s 10.99.0.4/32 -j MARK --set-xmark 0x2/0xffffffff", "COMMIT");
  out.push("*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]");
  for (const [a, b, both] of CONTRADICTIONS) {
    add("INPUT", a, "some");
    add("INPUT", b, "some");
    add("INPUT", both ?? `${a} ${b}`, "none");
  }
  for (const r of SATISFIABLE) add("INPUT", r, "some");
  add("OUTPUT", RELATED_ICMP, "some");
  out.push("COMMIT");
  return { text: `${out.join("\n")}\n`, lines };
}

/** Packet counts of the rules of one table and chain, in order. */
function counters(ns: string, table: string, chain: string): number[] {
  const r = spawnSync("ip", ["netns", "exec", ns, "iptables-save", "-c", "-t", table], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`iptables-save failed: ${r.stderr}`);
  const counts: number[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^\[(\d+):\d+\] -A (\S+) /.exec(line);
    if (m && m[2] === chain) counts.push(Number(m[1]));
  }
  return counts;
}

describe.skipIf(!kernelAvailable)("unmatchable-rule agrees with the kernel's counters", () => {
  it("reports the rules that never count a packet, and only those", async () => {
    const { text, lines } = ruleset();
    const topo = await Topology.build(TOPOLOGY);
    try {
      topo.restore(text);
      let id = 0;
      const fromClient: Probe[] = [];
      for (const src of ["10.99.0.2", "10.99.0.3", "10.99.0.4"]) for (const port of [22, 80, 443]) fromClient.push({ id: id++, proto: "tcp", src, dst: "10.99.0.1", port, timeout: 1500 });
      // a datagram to a closed port: the host answers with a port unreachable
      const closed: Probe = { id: id++, proto: "udp", src: "10.99.0.2", dst: "10.99.0.1", port: 9, timeout: 1000 };
      const fromHost: Probe[] = [
        { id: id++, proto: "tcp", src: "10.99.0.1", dst: "10.99.0.2", port: 7000, timeout: 1500 },
        { id: id++, proto: "tcp", src: "10.99.0.1", dst: "10.99.0.1", port: 22, timeout: 1500 },
      ];
      const results = [...(await topo.probe("cl1", fromClient)), ...(await topo.probe("host", fromHost))];
      expect(results.filter((r) => !r.open), "every connection opens (the rules only count)").toEqual([]);
      expect((await topo.probe("cl1", [closed]))[0]!.open).toBe(false);

      const host = topo.nsOf("host");
      const byChain = new Map<string, number[]>([
        ["raw/PREROUTING", counters(host, "raw", "PREROUTING")],
        ["filter/INPUT", counters(host, "filter", "INPUT")],
        ["filter/OUTPUT", counters(host, "filter", "OUTPUT")],
      ]);
      const seen = new Map<string, number>();
      const kernel = new Map<number, number>();
      for (const [line, l] of lines) {
        const key = l.chain === "PREROUTING" ? "raw/PREROUTING" : `filter/${l.chain}`;
        const k = seen.get(key) ?? 0;
        seen.set(key, k + 1);
        kernel.set(line, byChain.get(key)![k]!);
      }
      const wrong = [...lines].filter(([line, l]) => (l.expect === "none") !== (kernel.get(line) === 0)).map(([line, l]) => `line ${line} ${l.rule}: ${kernel.get(line)} packets`);
      expect(wrong, "the traffic exercises each condition, and the kernel matches no contradiction").toEqual([]);

      const reported = run("unmatchable-rule", text).map((d) => d.span.line);
      const neverCounted = [...lines].filter(([line]) => kernel.get(line) === 0).map(([line]) => line);
      expect(reported).toEqual(neverCounted);
      expect(reported.length).toBe(CONTRADICTIONS.length);
    } finally {
      topo.dispose();
    }
  }, 120_000);
});

describe.skipIf(kernelAvailable)("unmatchable-rule against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
