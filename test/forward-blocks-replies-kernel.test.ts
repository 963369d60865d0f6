/**
 * `forward-blocks-replies` against the kernel: the host routes between a client on eth1 and a server on
 * eth0 (real iptables-restore, real TCP and UDP connections through it) under rulesets that let the client's
 * connections out with and without their replies. fwlint must name exactly the protocols whose connections
 * fail. Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [
    { name: "lan", hostIf: "eth1", hostAddr: "10.91.1.1/24", addrs: ["10.91.1.2/24"] },
    { name: "srv", hostIf: "eth0", hostAddr: "10.91.2.1/24", addrs: ["10.91.2.2/24"], tcp: [80], udp: [53] },
  ],
};

const ruleset = (lines: readonly string[], policy = "DROP") =>
  ["*filter", ":INPUT ACCEPT [0:0]", `:FORWARD ${policy} [0:0]`, ":OUTPUT ACCEPT [0:0]", ...lines.map((l) => `-A FORWARD ${l}`), "COMMIT", ""].join("\n");

const CASES = [
  { name: "LAN out, no replies", text: ruleset(["-i eth1 -o eth0 -j ACCEPT"]) },
  { name: "LAN out, RELATED,ESTABLISHED first", text: ruleset(["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-i eth1 -o eth0 -j ACCEPT"]) },
  { name: "LAN out, TCP replies only", text: ruleset(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -p tcp -m state --state ESTABLISHED -j ACCEPT"]) },
  { name: "ACCEPT policy, replies dropped", text: ruleset(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -j DROP"], "ACCEPT") },
  // the SYN-ACK gets back and the server's data after it does not
  { name: "LAN out, UDP replies, TCP SYN-ACKs by their flags", text: ruleset(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -p udp -j ACCEPT", "-i eth0 -o eth1 -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT"]) },
];

describe.skipIf(!kernelAvailable)("forward-blocks-replies agrees with the kernel", () => {
  it("names exactly the protocols whose connections through the host fail", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      const probes: Probe[] = [
        { id: 0, proto: "tcp", src: "10.91.1.2", dst: "10.91.2.2", port: 80, timeout: 1500 },
        { id: 1, proto: "udp", src: "10.91.1.2", dst: "10.91.2.2", port: 53, timeout: 1500 },
      ];
      const seen: string[] = [];
      for (const c of CASES) {
        topo.restore(c.text);
        const open = (await topo.probe("lan", probes)).map((r) => r.open);
        const failed = ["TCP", "UDP"].filter((_, k) => !open[k]);
        const found = run("forward-blocks-replies", c.text);
        const named = found.flatMap((d) => /new ((?:TCP|UDP)(?: and (?:TCP|UDP))?) connections from eth1 out through eth0/.exec(d.message)?.[1]!.split(" and ") ?? []);
        expect({ case: c.name, named, others: found.length - (named.length ? 1 : 0) }).toEqual({ case: c.name, named: failed, others: 0 });
        seen.push(`${c.name}: ${failed.join(",") || "-"}`);
      }
      expect(seen).toEqual(["LAN out, no replies: TCP,UDP", "LAN out, RELATED,ESTABLISHED first: -", "LAN out, TCP replies only: UDP", "ACCEPT policy, replies dropped: TCP,UDP", "LAN out, UDP replies, TCP SYN-ACKs by their flags: TCP"]);
    } finally {
      topo.dispose();
    }
  }, 60_000);
});

describe.skipIf(kernelAvailable)("forward-blocks-replies against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
