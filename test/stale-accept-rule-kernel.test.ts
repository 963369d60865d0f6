/**
 * `stale-accept-rule` on the kernel's own counters. A host with INPUT policy DROP opens TCP 22, 80, 8080 (for
 * one source only) and 9999, and UDP 53 and 123 through a user chain; a client connects to some of them. The
 * kernel's `iptables-save -c` and `iptables -S -v` are then linted as they come: the rule must report exactly
 * the ACCEPT rules whose counters stayed at zero in chains packets entered (not the replies-only rule, not the
 * chain nothing jumped to), in both listings, and the traffic must leave the counters the test expects.
 * Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { lintFiles } from "../src/lint.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: "10.99.0.1/24", addrs: ["10.99.0.2/24"], tcp: [], udp: [] }],
  host: { tcp: [22, 80, 8080, 9999], udp: [53, 123] },
};

/** The rules, each with whether the traffic below uses it (a stale ACCEPT is one it does not). */
const RULES: readonly (readonly [string, "used" | "stale" | "other"])[] = [
  ["-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "used"],
  ["-A INPUT -i lo -j ACCEPT", "stale"],
  ["-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", "used"],
  ["-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT", "used"],
  ["-A INPUT -s 10.99.0.9/32 -p tcp -m tcp --dport 8080 -j ACCEPT", "stale"],
  ["-A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT", "stale"],
  ["-A INPUT -p udp -j udp-in", "used"],
  ["-A INPUT -s 10.99.0.200/32 -j never", "other"],
  ["-A udp-in -p udp -m udp --dport 53 -j ACCEPT", "used"],
  ["-A udp-in -p udp -m udp --dport 123 -j ACCEPT", "stale"],
  ["-A never -j ACCEPT", "other"],
  ["-A INPUT -m conntrack --ctstate RELATED -j ACCEPT", "other"],
];

const RULESET = ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ":udp-in - [0:0]", ":never - [0:0]", ...RULES.map(([r]) => r), "COMMIT", ""].join("\n");

/** The rule specification of a linted line, without its counters, as the test's list writes it. */
function specOf(line: string): string {
  return line.replace(/^\[\d+:\d+\] /, "").replace(/ -c \d+ \d+/, "");
}

function reported(text: string): string[] {
  const [r] = lintFiles([{ text }], { config: { rules: { "stale-accept-rule": { severity: "warning", options: { minPackets: 1 } } }, facts: {} } });
  const lines = text.split("\n");
  return r!.messages.filter((m) => m.ruleId === "stale-accept-rule").map((m) => specOf(lines[m.span.line - 1]!));
}

describe.skipIf(!kernelAvailable)("stale-accept-rule on the kernel's counters", () => {
  it("reports exactly the ACCEPT rules the traffic did not use, in iptables-save -c and in iptables -S -v", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      topo.restore(RULESET);
      let id = 0;
      const probes: Probe[] = [];
      for (let k = 0; k < 3; k++) for (const port of [22, 80]) probes.push({ id: id++, proto: "tcp", src: "10.99.0.2", dst: "10.99.0.1", port, timeout: 1500 });
      probes.push({ id: id++, proto: "udp", src: "10.99.0.2", dst: "10.99.0.1", port: 53, timeout: 1500 });
      probes.push({ id: id++, proto: "tcp", src: "10.99.0.2", dst: "10.99.0.1", port: 8080, timeout: 800 });
      const results = await topo.probe("cl1", probes);
      expect(results.map((r) => r.open)).toEqual([true, true, true, true, true, true, true, false]);

      const host = topo.nsOf("host");
      const save = spawnSync("ip", ["netns", "exec", host, "iptables-save", "-c", "-t", "filter"], { encoding: "utf8" });
      expect(save.status, save.stderr).toBe(0);
      // the traffic left the counters as the list says: "used" rules counted packets, "stale" ones none
      const counted = new Map<string, number>();
      for (const line of save.stdout.split("\n")) {
        const m = /^\[(\d+):\d+\] (-A .*)$/.exec(line);
        if (m) counted.set(m[2]!, Number(m[1]));
      }
      for (const [rule, use] of RULES) if (use !== "other") expect(counted.get(rule) ?? -1, rule).toSatisfy((n: number) => (use === "used" ? n > 0 : n === 0));

      const stale = RULES.filter(([, use]) => use === "stale").map(([r]) => r);
      expect(reported(save.stdout)).toEqual(stale);
      const listing = spawnSync("ip", ["netns", "exec", host, "iptables", "-S", "-v", "-t", "filter"], { encoding: "utf8" });
      expect(listing.status, listing.stderr).toBe(0);
      expect(reported(listing.stdout)).toEqual(stale);
    } finally {
      topo.dispose();
    }
  }, 120_000);
});

describe.skipIf(kernelAvailable)("stale-accept-rule on the kernel's counters", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
