/**
 * `input-blocks-replies` against the kernel: the host opens connections (DNS, HTTPS, HTTP, NTP) to a server
 * namespace behind its eth0, with the real iptables-restore, and the services fwlint says get no replies must
 * be exactly those whose connections fail while OUTPUT lets them out. Runs as root with iptables and
 * iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { SERVICES } from "../rules/input-blocks-replies.js";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "srv", hostIf: "eth0", hostAddr: "10.98.0.1/24", addrs: ["10.98.0.2/24"], tcp: [443, 80], udp: [53, 123] }],
};

const ruleset = (input: readonly string[], output: readonly string[] = [], outputPolicy = "ACCEPT", raw: readonly string[] = []) =>
  [
    ...(raw.length ? ["*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ...raw, "COMMIT"] : []),
    ...["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", `:OUTPUT ${outputPolicy} [0:0]`, "-A INPUT -i lo -j ACCEPT", ...input.map((r) => `-A INPUT ${r}`), ...output.map((r) => `-A OUTPUT ${r}`), "COMMIT", ""],
  ].join("\n");
const UNTRACK_OUT = ["-A OUTPUT -p udp -m udp --dport 53 -j NOTRACK", "-A OUTPUT -p tcp -m tcp --dport 443 -j CT --notrack"];
const STATEFUL = ["-m conntrack --ctstate RELATED,ESTABLISHED,UNTRACKED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];

const CASES: { name: string; text: string }[] = [
  { name: "no rule for replies", text: ruleset(["-p tcp -m tcp --dport 22 -j ACCEPT"]) },
  { name: "conntrack first", text: ruleset(["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]) },
  {
    name: "stateless, NTP forgotten",
    text: ruleset(["-p tcp -m tcp ! --tcp-flags SYN,RST,ACK SYN -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]),
  },
  { name: "state ESTABLISHED for TCP only", text: ruleset(["-p tcp -m state --state ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]) },
  { name: "egress allowlist: DNS only, its replies accepted", text: ruleset(["-p udp -m udp --sport 53 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"], ["-o lo -j ACCEPT", "-p udp -m udp --dport 53 -j ACCEPT"], "DROP") },
  // the replies of requests raw left untracked are NEW (UDP) or INVALID (TCP): RELATED,ESTABLISHED,UNTRACKED misses them
  { name: "DNS and HTTPS untracked on the way out only", text: ruleset(STATEFUL, [], "ACCEPT", UNTRACK_OUT) },
  { name: "DNS and HTTPS untracked both ways", text: ruleset(STATEFUL, [], "ACCEPT", [...UNTRACK_OUT, "-A PREROUTING -p udp -m udp --sport 53 -j NOTRACK", "-A PREROUTING -p tcp -m tcp --sport 443 -j NOTRACK"]) },
  // the SYN-ACKs get in and the servers' data after them does not
  { name: "SYN-ACKs accepted by their flags", text: ruleset(["-p tcp -m tcp --dport 22 -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", "-p udp -m udp --sport 123 -j ACCEPT", "-p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT"]) },
];

describe.skipIf(!kernelAvailable)("input-blocks-replies agrees with the kernel", () => {
  it("names exactly the services whose connections OUTPUT lets out and whose replies INPUT drops", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      const probes: Probe[] = SERVICES.map((s, id) => ({ id, proto: s.proto, src: "10.98.0.1", dst: "10.98.0.2", port: s.port, timeout: 1500 }));
      const facts = { hostAddresses: ["10.98.0.1/24"], externalInterfaces: ["eth0"] };
      const seen: string[] = [];
      for (const c of CASES) {
        topo.restore(c.text);
        const open = (await topo.probe("host", probes)).map((r) => r.open);
        // what the kernel lets out at all: the same connections with INPUT accepting everything
        topo.restore(c.text.replace(":INPUT DROP", ":INPUT ACCEPT").replace(/^-A INPUT .*\n/gm, ""));
        const sent = (await topo.probe("host", probes)).map((r) => r.open);
        const kernel = SERVICES.filter((_, k) => sent[k] && !open[k]).map((s) => s.name);
        // one finding per dropping rule and raw rule that untracks the requests, each service in one of them
        const ds = run("input-blocks-replies", c.text, { facts });
        const named = SERVICES.filter((s) => ds.some((d) => d.message.includes(`${s.name} (${s.proto} ${s.port})`))).map((s) => s.name);
        expect(named.length).toBe(ds.flatMap((d) => SERVICES.filter((s) => d.message.includes(`${s.name} (${s.proto} ${s.port})`))).length);
        expect({ case: c.name, named }).toEqual({ case: c.name, named: kernel });
        seen.push(`${c.name}: ${kernel.join(",") || "-"}`);
      }
      // the cases tell services apart: all, none, one, the UDP ones
      expect(seen).toEqual([
        "no rule for replies: DNS,HTTPS,HTTP,NTP",
        "conntrack first: -",
        "stateless, NTP forgotten: NTP",
        "state ESTABLISHED for TCP only: DNS,NTP",
        "egress allowlist: DNS only, its replies accepted: -",
        "DNS and HTTPS untracked on the way out only: DNS,HTTPS",
        "DNS and HTTPS untracked both ways: -",
        "SYN-ACKs accepted by their flags: HTTPS,HTTP",
      ]);
    } finally {
      topo.dispose();
    }
  }, 120_000);
});

describe.skipIf(kernelAvailable)("input-blocks-replies against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
