/**
 * `neighbor-discovery-blocked` against the kernel: a client and the host on one IPv6 link, each opening a
 * TCP connection to the other, with the real ip6tables-restore on the host and empty neighbour caches. fwlint
 * must report exactly the rulesets under which IPv6 fails on the link, and name the messages that are
 * dropped. It also shows that conntrack leaves neighbour discovery untracked: a DROP of INVALID does not
 * drop it, and RELATED,ESTABLISHED or NEW do not accept it. Runs as root with iptables and iproute2;
 * skipped elsewhere with the reason.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl", hostIf: "eth0", hostAddr: "10.97.0.1/24", hostAddr6: "2001:db8:97::1/64", addrs: ["10.97.0.2/24"], addrs6: ["2001:db8:97::2/64"], tcp: [443] }],
  host: { tcp: [22] },
};

const BASE = ["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];
const NS = "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT";
const NA = "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT";
const ruleset = (input: readonly string[], output: readonly string[] | null = null) =>
  [
    "*filter",
    ":INPUT DROP [0:0]",
    ":FORWARD DROP [0:0]",
    `:OUTPUT ${output ? "DROP" : "ACCEPT"} [0:0]`,
    ...input.map((r) => `-A INPUT ${r}`),
    ...(output ?? []).map((r) => `-A OUTPUT ${r}`),
    "COMMIT",
    "",
  ].join("\n");

const CASES: { name: string; text: string; names: string[] }[] = [
  { name: "no ICMPv6 rule", text: ruleset(BASE), names: ["in 135", "in 136"] },
  { name: "all ICMPv6", text: ruleset([...BASE, "-p ipv6-icmp -j ACCEPT"]), names: [] },
  { name: "both types", text: ruleset([...BASE, NS, NA]), names: [] },
  { name: "INVALID dropped first", text: ruleset(["-m conntrack --ctstate INVALID -j DROP", ...BASE, NS, NA]), names: [] },
  { name: "NEW,RELATED,ESTABLISHED ICMPv6 only", text: ruleset([...BASE, "-p ipv6-icmp -m conntrack --ctstate NEW,RELATED,ESTABLISHED -j ACCEPT"]), names: ["in 135", "in 136"] },
  { name: "advertisements only", text: ruleset([...BASE, NA]), names: ["in 135"] },
  { name: "solicitations only", text: ruleset([...BASE, NS]), names: ["in 136"] },
  { name: "OUTPUT without ND", text: ruleset([...BASE, NS, NA], ["-o lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 443 -j ACCEPT"]), names: ["out 135", "out 136"] },
  { name: "OUTPUT with ND", text: ruleset([...BASE, NS, NA], ["-o lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 443 -j ACCEPT", NS, NA]), names: [] },
];

/** "in 135", "out 136", … from a finding's text. */
function named(message: string): string[] {
  const out: string[] = [];
  for (const part of message.split("; and ")) {
    const dir = part.includes("from the host's neighbours") ? "in" : part.includes("that the host sends") ? "out" : null;
    if (!dir) continue;
    for (const t of ["135", "136"]) if (part.split(". Without")[0]!.includes(`(type ${t})`)) out.push(`${dir} ${t}`);
  }
  return out;
}

describe.skipIf(!kernelAvailable)("neighbor-discovery-blocked agrees with the kernel", () => {
  it("reports exactly the rulesets under which IPv6 fails on the link, naming what they drop", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      const toHost: Probe[] = [{ id: 0, proto: "tcp", src: "2001:db8:97::2", dst: "2001:db8:97::1", port: 22, timeout: 2000 }];
      const toClient: Probe[] = [{ id: 1, proto: "tcp", src: "2001:db8:97::1", dst: "2001:db8:97::2", port: 443, timeout: 2000 }];
      const flush = () => {
        for (const node of ["host", "cl"]) spawnSync("ip", ["-n", topo.nsOf(node), "neigh", "flush", "all"]);
      };
      const facts = { hostAddresses: ["2001:db8:97::1/64"], externalInterfaces: ["eth0"] };
      for (const c of CASES) {
        topo.restore(c.text, "ipv6");
        flush();
        const [a] = await topo.probe("cl", toHost);
        flush();
        const [b] = await topo.probe("host", toClient);
        const works = a!.open && b!.open;
        const found = run("neighbor-discovery-blocked", c.text, { filePath: "rules.v6", facts });
        const names = found.flatMap((d) => named(d.message)).sort();
        expect({ case: c.name, works, names }).toEqual({ case: c.name, works: c.names.length === 0, names: c.names });
      }
    } finally {
      topo.dispose();
    }
  }, 180_000);
});

describe.skipIf(kernelAvailable)("neighbor-discovery-blocked against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
