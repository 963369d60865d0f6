/**
 * `neighbor-discovery-blocked` on the host's router solicitations, against the kernel: the host's link comes
 * up and its kernel (which does not forward) asks the routers on the link for an advertisement with an ICMPv6
 * router solicitation to ff02::2, under ip6tables rulesets whose OUTPUT lets it out or not. A router on the
 * link listens for it; fwlint must warn exactly for the rulesets under which it never arrives. Runs as root
 * with ip6tables, iproute2 and python3; skipped elsewhere with the reason.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason, Netns } from "./support/kernel.js";

/** Waits up to 3 s on r0 for an ICMPv6 router solicitation to all routers; prints "yes" or "no". */
const LISTEN = `
import socket, struct, sys, time, select
ifname, ready = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, "ff02::2") + struct.pack("@I", socket.if_nametoindex(ifname)))
open(ready, "w").close()
end = time.time() + 3
while time.time() < end:
    r, _, _ = select.select([s], [], [], max(0, end - time.time()))
    if r and s.recv(2048)[0] == 133:
        print("yes")
        sys.exit(0)
print("no")
`;

const INPUT = [
  "-i lo -j ACCEPT",
  "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
  "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT",
  "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT",
  "-p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT",
  "-p tcp -m tcp --dport 22 -j ACCEPT",
];
const ND_OUT = ["-o lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT", "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT", "-p tcp -m tcp --dport 443 -j ACCEPT"];
const ruleset = (output: readonly string[], policy: string) =>
  ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", `:OUTPUT ${policy} [0:0]`, ...INPUT.map((r) => `-A INPUT ${r}`), ...output.map((r) => `-A OUTPUT ${r}`), "COMMIT", ""].join("\n");

const CASES: { name: string; text: string }[] = [
  { name: "OUTPUT accepts", text: ruleset([], "ACCEPT") },
  { name: "default-deny OUTPUT, neighbour discovery only", text: ruleset(ND_OUT, "DROP") },
  { name: "router solicitations accepted by type", text: ruleset([...ND_OUT, "-p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation -j ACCEPT"], "DROP") },
  { name: "ICMPv6 from link-local addresses", text: ruleset([...ND_OUT, "-s fe80::/10 -p ipv6-icmp -j ACCEPT"], "DROP") },
  { name: "ICMPv6 from a global prefix only", text: ruleset([...ND_OUT, "-s 2001:db8::/32 -p ipv6-icmp -j ACCEPT"], "DROP") },
  { name: "OUTPUT accepts, a DROP to all routers", text: ruleset(["-d ff02::2/128 -j DROP"], "ACCEPT") },
];

function sh(ns: Netns, ...args: string[]): string {
  const r = ns.exec(args[0]!, args.slice(1));
  if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Whether the router hears the host's router solicitation when the host's link comes up under `rules`. */
async function solicits(rules: string): Promise<boolean> {
  const [h, r] = [new Netns("rsh"), new Netns("rsr")];
  const dir = mkdtempSync(join(tmpdir(), "fwlint-rs-"));
  try {
    // addresses without duplicate detection, so the host solicits as soon as its link is up
    for (const ns of [h, r]) for (const k of ["all", "default"]) sh(ns, "sh", "-c", `echo 0 > /proc/sys/net/ipv6/conf/${k}/accept_dad`);
    expect(h.restore(rules, "ipv6").ok).toBe(true);
    sh(h, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "r0", "netns", r.name);
    sh(r, "ip", "link", "set", "r0", "up");
    const ready = join(dir, "ready");
    const heard = r.execAsync("python3", ["-c", LISTEN, "r0", ready]);
    for (let i = 0; i < 50 && !existsSync(ready); i++) await new Promise((res) => setTimeout(res, 50));
    sh(h, "ip", "link", "set", "eth0", "up");
    const out = await heard;
    expect(out.stderr).toBe("");
    return out.stdout.trim() === "yes";
  } finally {
    h.dispose();
    r.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const warned = (text: string) => run("neighbor-discovery-blocked", text, { filePath: "rules.v6" }).some((d) => d.severity === "warning" && d.message.includes("router solicitations"));

describe.skipIf(!kernelAvailable)("router solicitations against the kernel", () => {
  it("fwlint warns exactly when the host's router solicitation never reaches the router", async () => {
    const outcomes: Record<string, { blocked: boolean; fwlint: boolean }> = {};
    for (const c of CASES) outcomes[c.name] = { blocked: !(await solicits(c.text)), fwlint: warned(c.text) };
    // the rulesets tell the outcomes apart
    expect(Object.values(outcomes).map((o) => o.blocked)).toEqual([false, true, false, false, true, true]);
    for (const [name, o] of Object.entries(outcomes)) expect({ name, blocked: o.fwlint }).toEqual({ name, blocked: o.blocked });
  }, 90_000);
});

describe.skipIf(kernelAvailable)("router solicitations against the kernel", () => {
  it.skip(`needs root, ip6tables, iproute2 and python3: ${kernelSkipReason}`, () => {});
});
