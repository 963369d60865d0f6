/**
 * The packet model's routing of broadcast and multicast destinations against the kernel: a neighbour sends
 * UDP datagrams to the limited broadcast address, its subnet's broadcast address, the all-hosts group
 * 224.0.0.1 and (IPv6) the all-nodes group ff02::1, and the host's counting rules in INPUT and FORWARD say
 * which chain saw each. `fwlint trace` must deliver the same datagrams to the host. Runs as root with
 * iptables, iproute2 and python3; skipped elsewhere with the reason.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Family } from "../src/ast/iptables.js";
import { Model } from "../src/model/model.js";
import { trace } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl", hostIf: "eth0", hostAddr: "10.94.0.1/24", hostAddr6: "2001:db8:94::1/64", addrs: ["10.94.0.2/24"], addrs6: ["2001:db8:94::2/64"] }],
};
const PORT = 9999;
const RULES = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport ${PORT}\n-A FORWARD -p udp -m udp --dport ${PORT}\nCOMMIT\n`;

/** One datagram from the client's eth0 to `dst` (broadcast allowed, multicast and link scope on eth0). */
const SEND = `
import socket, sys
dst, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
if fam == socket.AF_INET:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.sendto(b"x", (dst, port))
else:
    s.sendto(b"x", (dst, port, 0, socket.if_nametoindex("eth0")))
`;

/** The packet counts of the host's INPUT and FORWARD counting rules. */
function counts(ns: string, family: Family): { input: number; forward: number } {
  const out = spawnSync("ip", ["netns", "exec", ns, family === "ipv6" ? "ip6tables-save" : "iptables-save", "-c"], { encoding: "utf8" }).stdout;
  const of = (chain: string) => Number(new RegExp(`^\\[(\\d+):\\d+\\] -A ${chain} `, "m").exec(out)?.[1] ?? NaN);
  return { input: of("INPUT"), forward: of("FORWARD") };
}

const CASES: { dst: string; family: Family }[] = [
  { dst: "255.255.255.255", family: "ipv4" },
  { dst: "10.94.0.255", family: "ipv4" },
  { dst: "224.0.0.1", family: "ipv4" },
  { dst: "10.94.0.1", family: "ipv4" },
  { dst: "ff02::1", family: "ipv6" },
  { dst: "2001:db8:94::1", family: "ipv6" },
];

describe.skipIf(!kernelAvailable)("broadcast and multicast destinations against the kernel", () => {
  it("are delivered to the host (INPUT), never forwarded, as fwlint trace says", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      const host = topo.nsOf("host");
      topo.restore(RULES, "ipv4");
      topo.restore(RULES, "ipv6");
      const local = ["10.94.0.1/24", "2001:db8:94::1/64"];
      for (const c of CASES) {
        const before = counts(host, c.family);
        const sent = spawnSync("ip", ["netns", "exec", topo.nsOf("cl"), "python3", "-c", SEND, c.dst, String(PORT)], { encoding: "utf8" });
        expect(sent.stderr).toBe("");
        const after = counts(host, c.family);
        const kernel = { input: after.input - before.input, forward: after.forward - before.forward };
        const model = new Model(parse(RULES, { family: c.family }), { local });
        const t = trace(model, { in: "eth0", src: c.family === "ipv4" ? "10.94.0.2" : "fe80::2", dst: c.dst, proto: "udp", dport: PORT }).result;
        expect({ dst: c.dst, kernel }).toEqual({ dst: c.dst, kernel: { input: 1, forward: 0 } });
        expect({ dst: c.dst, delivery: t.delivery, verdict: t.verdict, connection: t.connection }).toEqual({ dst: c.dst, delivery: "local", verdict: "ACCEPT", connection: c.dst.includes(".255") || c.dst.startsWith("224.") || c.dst.startsWith("ff") ? null : "open" });
      }
    } finally {
      topo.dispose();
    }
  }, 60_000);
});

describe.skipIf(kernelAvailable)("broadcast and multicast destinations against the kernel", () => {
  it.skip(`needs root, iptables, iproute2 and python3: ${kernelSkipReason}`, () => {});
});
