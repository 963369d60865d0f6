/**
 * `ipv6-parity` against the kernel: a dual-stack host in network namespaces gets an IPv4 and an IPv6 ruleset
 * with the real iptables-restore and ip6tables-restore, a client opens real connections to the host's ports
 * over both families, and the ports fwlint reports must be exactly those the client reaches over IPv6 and not
 * over IPv4. Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { runProject } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const PORTS = [22, 80, 443, 8443];

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: "10.99.0.1/24", hostAddr6: "fd00:99::1/64", addrs: ["10.99.0.2/24"], addrs6: ["fd00:99::2/64"], tcp: [], udp: [] }],
  host: { tcp: PORTS, udp: [] },
};

const filter = (input: readonly string[]) =>
  ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", "-A INPUT -i lo -j ACCEPT", "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", ...input.map((r) => `-A INPUT ${r}`), "COMMIT", ""].join("\n");

// 22: IPv4 only from a network the client is not in, IPv6 from everyone; 80: both open; 443: both closed;
// 8443: IPv4 open, IPv6 closed (more closed over IPv6 is fine).
const V4 = filter(["-p tcp -m tcp --dport 80 -j ACCEPT", "-s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -m tcp --dport 8443 -j ACCEPT"]);
const V6 = filter(["-p ipv6-icmp -j ACCEPT", "-p tcp -m tcp --dport 80 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);

describe.skipIf(!kernelAvailable)("ipv6-parity agrees with the kernel", () => {
  it("reports exactly the ports a client reaches over IPv6 and not over IPv4", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      topo.restore(V4, "ipv4");
      topo.restore(V6, "ipv6");
      let id = 0;
      const probes: (Probe & { family: "ipv4" | "ipv6" })[] = [];
      for (const port of PORTS) {
        probes.push({ id: id++, proto: "tcp", src: "10.99.0.2", dst: "10.99.0.1", port, timeout: 1500, family: "ipv4" });
        probes.push({ id: id++, proto: "tcp", src: "fd00:99::2", dst: "fd00:99::1", port, timeout: 1500, family: "ipv6" });
      }
      const results = await topo.probe("cl1", probes);
      const open = (family: string, port: number) => results[probes.findIndex((p) => p.family === family && p.port === port)]!.open;
      const kernelOnly6 = PORTS.filter((p) => open("ipv6", p) && !open("ipv4", p));
      // the rulesets do what the comments above say
      expect(PORTS.map((p) => [p, open("ipv4", p), open("ipv6", p)])).toEqual([
        [22, false, true],
        [80, true, true],
        [443, false, false],
        [8443, true, false],
      ]);

      const found = runProject("ipv6-parity", [
        { text: V4, filePath: "host/rules.v4" },
        { text: V6, filePath: "host/rules.v6" },
      ]);
      const reported = found.map((f) => Number(/port (\d+),/.exec(f.diagnostic.message)?.[1]));
      expect(reported).toEqual(kernelOnly6);
    } finally {
      topo.dispose();
    }
  }, 120_000);
});

describe.skipIf(kernelAvailable)("ipv6-parity against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
