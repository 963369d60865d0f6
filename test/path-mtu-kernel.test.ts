/**
 * `path-mtu-discovery-blocked` against the kernel: a host sends 300 kB over TCP to a server behind a router
 * whose link to the server has an MTU of 1280, so the router answers the host's full-size packets with ICMP
 * "fragmentation needed" (IPv4) or ICMPv6 "packet too big". Under rulesets on the host (real
 * iptables-restore) that drop or accept those messages, fwlint must report exactly the rulesets under which the
 * transfer hangs. The same for a container behind a Docker host's docker0, under DOCKER-USER variants. Fresh
 * namespaces per case (the host caches a path MTU it has learnt). Runs as root with
 * iptables, iproute2 and python3; skipped elsewhere with the reason.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Family } from "../src/ast/iptables.js";
import { CORPUS } from "./support/corpus.js";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason, Netns } from "./support/kernel.js";

const BYTES = 300_000;
const SERVER = `
import socket, sys, threading
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001))
s.listen(8)
print("ready", flush=True)
def serve(c):
    got = 0
    while got < ${BYTES}:
        d = c.recv(65536)
        if not d: break
        got += len(d)
    c.sendall(b"ok")
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;
const CLIENT = `
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
c = socket.socket(fam, socket.SOCK_STREAM)
c.settimeout(3)
try:
    c.connect((sys.argv[1], 5001))
    c.sendall(b"x" * ${BYTES})
    print("ok" if c.recv(2) == b"ok" else "short")
except Exception as e:
    print("fail", type(e).__name__)
`;

const ADDR = {
  ipv4: { host: "10.93.1.2/24", routerH: "10.93.1.1/24", routerS: "10.93.2.1/24", server: "10.93.2.2/24" },
  ipv6: { host: "2001:db8:931::2/64", routerH: "2001:db8:931::1/64", routerS: "2001:db8:932::1/64", server: "2001:db8:932::2/64" },
} as const;
const bare = (a: string) => a.split("/")[0]!;

/** host — router — server, the router's link to the server at MTU 1280. */
function build(family: Family) {
  const [h, r, s] = [new Netns("mtuh"), new Netns("mtur"), new Netns("mtus")];
  const a = ADDR[family];
  const sh = (ns: Netns, ...args: string[]) => {
    const res = ns.exec(args[0]!, args.slice(1));
    if (res.status !== 0) throw new Error(`${args.join(" ")}: ${res.stderr}`);
  };
  for (const ns of [h, r, s]) for (const k of ["all", "default"]) sh(ns, "sh", "-c", `echo 0 > /proc/sys/net/ipv6/conf/${k}/accept_dad`);
  sh(r, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
  sh(h, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "r0", "netns", r.name);
  sh(r, "ip", "link", "add", "r1", "mtu", "1280", "type", "veth", "peer", "name", "eth0", "netns", s.name);
  const v6 = family === "ipv6" ? ["nodad"] : [];
  sh(h, "ip", "addr", "add", a.host, "dev", "eth0", ...v6);
  sh(r, "ip", "addr", "add", a.routerH, "dev", "r0", ...v6);
  sh(r, "ip", "addr", "add", a.routerS, "dev", "r1", ...v6);
  sh(s, "ip", "addr", "add", a.server, "dev", "eth0", ...v6);
  // the server's side stays at 1500: it advertises a full-size MSS, so only the router knows the path is narrower
  sh(s, "ip", "link", "set", "eth0", "mtu", "1500");
  for (const [ns, dev] of [[h, "eth0"], [r, "r0"], [r, "r1"], [s, "eth0"]] as const) sh(ns, "ip", "link", "set", dev, "up");
  const fam = family === "ipv6" ? ["-6"] : [];
  sh(h, "ip", ...fam, "route", "add", "default", "via", bare(a.routerH));
  sh(s, "ip", ...fam, "route", "add", "default", "via", bare(a.routerS));
  return { h, r, s, dispose: () => [h, r, s].forEach((n) => n.dispose()) };
}

/** The same path, with the host a Docker host: the sender is a container behind the host's docker0. */
function buildDocker() {
  const net = build("ipv4");
  const c = new Netns("mtuc");
  const sh = (ns: Netns, ...args: string[]) => {
    const res = ns.exec(args[0]!, args.slice(1));
    if (res.status !== 0) throw new Error(`${args.join(" ")}: ${res.stderr}`);
  };
  sh(net.h, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
  sh(net.h, "ip", "link", "add", "docker0", "type", "bridge");
  sh(net.h, "ip", "addr", "add", "172.17.0.1/16", "dev", "docker0");
  sh(net.h, "ip", "link", "set", "docker0", "up");
  sh(net.h, "ip", "link", "add", "vethc", "type", "veth", "peer", "name", "eth0", "netns", c.name);
  sh(net.h, "ip", "link", "set", "vethc", "master", "docker0");
  sh(net.h, "ip", "link", "set", "vethc", "up");
  sh(c, "ip", "addr", "add", "172.17.0.2/16", "dev", "eth0");
  sh(c, "ip", "link", "set", "eth0", "up");
  sh(c, "ip", "route", "add", "default", "via", "172.17.0.1");
  return { ...net, c, dispose: () => [net.dispose(), c.dispose()] };
}

function startServer(ns: Netns, addr: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn("ip", ["netns", "exec", ns.name, "python3", "-c", SERVER, addr], { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => reject(new Error("server did not start")), 10_000);
    p.stdout!.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        resolve(p);
      }
    });
  });
}

const SSH = "-p tcp -m tcp --dport 22 -j ACCEPT";
const MSG = { ipv4: "-p icmp -m icmp --icmp-type fragmentation-needed -j ACCEPT", ipv6: "-p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big -j ACCEPT" };
const ICMP = { ipv4: "-p icmp -j DROP", ipv6: "-p ipv6-icmp -j DROP" };
/** IPv6 needs neighbour discovery (which neighbor-discovery-blocked checks) before anything else works. */
const ND = ["-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT", "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT"];
const CASES = (f: Family) => {
  const ruleset = (lines: readonly string[]) =>
    ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ...[...(f === "ipv6" ? ND : []), ...lines].map((l) => `-A INPUT ${l}`), "COMMIT", ""].join("\n");
  return [
  { name: "ESTABLISHED only", text: ruleset(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", SSH]), hangs: true },
  { name: "RELATED,ESTABLISHED", text: ruleset(["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", SSH]), hangs: false },
  { name: "ICMP dropped before RELATED", text: ruleset([ICMP[f], "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", SSH]), hangs: true },
  { name: "ESTABLISHED and the message itself", text: ruleset(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", MSG[f], SSH]), hangs: false },
  ];
};

describe.skipIf(!kernelAvailable)("path-mtu-discovery-blocked agrees with the kernel", () => {
  for (const family of ["ipv4", "ipv6"] as const) {
    it(`${family}: reports exactly the rulesets under which a full-size transfer through a narrower link hangs`, async () => {
      const seen: string[] = [];
      for (const c of CASES(family)) {
        const net = build(family);
        let server: ChildProcess | undefined;
        try {
          server = await startServer(net.s, bare(ADDR[family].server));
          expect(net.h.restore(c.text, family).ok).toBe(true);
          const res = await net.h.execAsync("python3", ["-c", CLIENT, bare(ADDR[family].server)]);
          const hangs = !res.stdout.startsWith("ok");
          const found = run("path-mtu-discovery-blocked", c.text, { filePath: family === "ipv6" ? "rules.v6" : "rules.v4" });
          expect({ case: c.name, hangs, reported: found.length > 0 }).toEqual({ case: c.name, hangs: c.hangs, reported: c.hangs });
          seen.push(`${c.name}: ${hangs ? "hangs" : "ok"}`);
        } finally {
          server?.kill("SIGKILL");
          net.dispose();
        }
      }
      expect(seen).toHaveLength(4);
    }, 90_000);
  }
});

/** Docker 20.10's own rules for docker0 (a real dockerd's dump, one published port), with DOCKER-USER as given. */
const DOCKER2010 = readFileSync(`${CORPUS}/docker-real/docker20.10-one-published-port.rules`, "utf8");
const dockerRules = (user: readonly string[]) => DOCKER2010.replace("-A DOCKER-USER -j RETURN\n", [...user.map((l) => `-A DOCKER-USER ${l}`), "-A DOCKER-USER -j RETURN", ""].join("\n"));

const DOCKER_CASES = [
  { name: "Docker's rules", user: [], hangs: false },
  { name: "DOCKER-USER drops all ICMP", user: ["-p icmp -j DROP"], hangs: true },
  { name: "DOCKER-USER drops pings only", user: ["-p icmp -m icmp --icmp-type 8 -j DROP"], hangs: false },
  { name: "DOCKER-USER returns RELATED first", user: ["-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-p icmp -j DROP"], hangs: false },
];

describe.skipIf(!kernelAvailable)("path-mtu-discovery-blocked agrees with the kernel for a Docker host's containers", () => {
  it("reports exactly the DOCKER-USER rules under which a container's transfer through a narrower link hangs", async () => {
    for (const c of DOCKER_CASES) {
      const net = buildDocker();
      let server: ChildProcess | undefined;
      try {
        server = await startServer(net.s, bare(ADDR.ipv4.server));
        const text = dockerRules(c.user);
        const restored = net.h.restore(text);
        expect(restored.stderr).toBe("");
        const res = await net.c.execAsync("python3", ["-c", CLIENT, bare(ADDR.ipv4.server)]);
        const hangs = !res.stdout.startsWith("ok");
        const found = run("path-mtu-discovery-blocked", text, { filePath: "rules.v4" });
        const aboutContainers = found.filter((d) => d.message.includes("containers on docker0"));
        expect({ case: c.name, hangs, reported: aboutContainers.length > 0, others: found.length - aboutContainers.length }).toEqual({ case: c.name, hangs: c.hangs, reported: c.hangs, others: 0 });
      } finally {
        server?.kill("SIGKILL");
        net.dispose();
      }
    }
  }, 90_000);
});

describe.skipIf(kernelAvailable)("path-mtu-discovery-blocked against the kernel", () => {
  it.skip(`needs root, iptables, iproute2 and python3: ${kernelSkipReason}`, () => {});
});
