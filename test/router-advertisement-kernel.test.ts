/**
 * `neighbor-discovery-blocked` on router advertisements, against the kernel: a router on the host's link sends
 * an ICMPv6 router advertisement (a default route and a SLAAC prefix) to all nodes, under ip6tables rulesets
 * that accept it or not. The host, which does not forward, configures itself from it exactly when its INPUT
 * lets the advertisement through; fwlint must warn exactly for the rulesets under which the host ends up
 * without a default route. Runs as root with ip6tables, iproute2 and python3; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason, Netns } from "./support/kernel.js";

/** A router advertisement: router lifetime 1800 s and the prefix 2001:db8:95::/64 (on-link, autonomous). */
const SEND_RA = `
import socket, struct, sys
ifname = sys.argv[1]
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
pio = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, "2001:db8:95::")
s.sendto(ra + pio, ("ff02::1", 0, 0, socket.if_nametoindex(ifname)))
`;

const BASE = ["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];
const ND = ["-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT", "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT"];
const RA = "-p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT";
const ruleset = (input: readonly string[], policy = "DROP") =>
  ["*filter", `:INPUT ${policy} [0:0]`, ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ...input.map((r) => `-A INPUT ${r}`), "COMMIT", ""].join("\n");

const CASES: { name: string; text: string }[] = [
  { name: "neighbour discovery by type, no router advertisements", text: ruleset([...BASE, ...ND]) },
  { name: "router advertisements too", text: ruleset([...BASE, ...ND, RA]) },
  { name: "all ICMPv6", text: ruleset([...BASE, "-p ipv6-icmp -j ACCEPT"]) },
  { name: "router advertisements only from link-local addresses", text: ruleset([...BASE, ...ND, `-s fe80::/10 ${RA}`]) },
  { name: "router advertisements only from a global address", text: ruleset([...BASE, ...ND, `-s 2001:db8::/32 ${RA}`]) },
  { name: "ICMPv6 dropped by a rule before", text: ruleset(["-p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j DROP", ...BASE, ...ND, "-p ipv6-icmp -j ACCEPT"]) },
];

function sh(ns: Netns, ...args: string[]): string {
  const r = ns.exec(args[0]!, args.slice(1));
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Whether the host learns a default route from the router's advertisement under `rules`. */
async function learnsDefaultRoute(rules: string): Promise<boolean> {
  const [h, r] = [new Netns("rah"), new Netns("rar")];
  try {
    for (const ns of [h, r]) for (const k of ["all", "default"]) sh(ns, "sh", "-c", `echo 0 > /proc/sys/net/ipv6/conf/${k}/accept_dad`);
    const loaded = h.restore(rules, "ipv6");
    expect(loaded.ok).toBe(true);
    sh(h, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "r0", "netns", r.name);
    sh(h, "ip", "link", "set", "eth0", "up");
    sh(r, "ip", "link", "set", "r0", "up");
    // both ends need their link-local addresses before the router can send
    for (let i = 0; i < 50 && !(sh(r, "ip", "-6", "addr", "show", "dev", "r0", "scope", "link").includes("fe80") && sh(h, "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link").includes("fe80")); i++) {
      await new Promise((res) => setTimeout(res, 100));
    }
    sh(r, "python3", "-c", SEND_RA, "r0");
    for (let i = 0; i < 10; i++) {
      if (sh(h, "ip", "-6", "route", "show", "default").includes("via fe80")) return true;
      await new Promise((res) => setTimeout(res, 100));
    }
    return false;
  } finally {
    h.dispose();
    r.dispose();
  }
}

const warned = (text: string) => run("neighbor-discovery-blocked", text, { filePath: "rules.v6" }).some((d) => d.severity === "warning" && d.message.includes("router advertisements"));

describe.skipIf(!kernelAvailable)("router advertisements against the kernel", () => {
  it("fwlint warns exactly when the host gets no default route from its router", async () => {
    const outcomes: Record<string, { kernel: boolean; fwlint: boolean }> = {};
    for (const c of CASES) outcomes[c.name] = { kernel: !(await learnsDefaultRoute(c.text)), fwlint: warned(c.text) };
    // the rulesets tell the outcomes apart
    expect(Object.values(outcomes).map((o) => o.kernel)).toEqual([true, false, false, false, true, true]);
    for (const [name, o] of Object.entries(outcomes)) expect({ name, blocked: o.fwlint }).toEqual({ name, blocked: o.kernel });
  }, 60_000);
});

describe.skipIf(kernelAvailable)("router advertisements against the kernel", () => {
  it.skip(`needs root, ip6tables, iproute2 and python3: ${kernelSkipReason}`, () => {});
});
