/**
 * `default-accept-policy` against the kernel: the ACCEPT rules it reports allow nothing, so taking them out
 * of the ruleset must change no real connection's outcome, while taking out an ACCEPT rule it does not report
 * (an exception to a DROP below) must. Connections from a client with several addresses to the host's
 * TCP and UDP ports, in network namespaces with the real iptables-restore. Runs as root with iptables and
 * iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: "10.99.0.1/24", addrs: ["10.99.0.2/24", "10.99.0.3/24"], tcp: [], udp: [] }],
  host: { tcp: [22, 80, 443], udp: [53] },
};

const RULES = [
  "-s 10.99.0.2/32 -p tcp -m tcp --dport 22 -j ACCEPT",
  "-p tcp -m tcp --dport 22 -j DROP",
  "-p tcp -m tcp --dport 80 -j ACCEPT",
  "-p udp -m udp --dport 53 -j ACCEPT",
  "-s 10.99.0.3/32 -p tcp -m tcp --dport 443 -j ACCEPT",
];
/** Line of RULES[k] in the file. */
const lineOf = (k: number) => k + 5;
const ruleset = (keep: (k: number) => boolean) =>
  ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ...RULES.filter((_, k) => keep(k)).map((r) => `-A INPUT ${r}`), "COMMIT", ""].join("\n");

describe.skipIf(!kernelAvailable)("default-accept-policy agrees with the kernel", () => {
  it("the ACCEPT rules it reports change no connection when taken out; one it does not report does", async () => {
    const full = ruleset(() => true);
    const [d] = run("default-accept-policy", full);
    const reported = (d?.related ?? []).map((r) => r.span.line);
    expect(reported).toEqual([lineOf(2), lineOf(3), lineOf(4)]);

    const topo = await Topology.build(TOPOLOGY);
    try {
      let id = 0;
      const probes: Probe[] = [];
      for (const src of ["10.99.0.2", "10.99.0.3"]) {
        for (const port of [22, 80, 443]) probes.push({ id: id++, proto: "tcp", src, dst: "10.99.0.1", port, timeout: 1500 });
        probes.push({ id: id++, proto: "udp", src, dst: "10.99.0.1", port: 53, timeout: 1500 });
      }
      const outcomes = async (text: string) => {
        topo.restore(text);
        return (await topo.probe("cl1", probes)).map((r) => r.open);
      };
      const before = await outcomes(full);
      // the DROP for port 22 works (so the traffic can tell rules apart)
      expect(before).toEqual([true, true, true, true, false, true, true, true]);
      const withoutReported = await outcomes(ruleset((k) => !reported.includes(lineOf(k))));
      expect(withoutReported).toEqual(before);
      const withoutException = await outcomes(ruleset((k) => k !== 0));
      expect(withoutException).not.toEqual(before);
    } finally {
      topo.dispose();
    }
  }, 120_000);
});

describe.skipIf(kernelAvailable)("default-accept-policy against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
