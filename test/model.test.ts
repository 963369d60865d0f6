/**
 * The packet model without a kernel: set arithmetic, interface classes, traces (JSON fields, NAT,
 * conntrack, unknown matches, routing, the host's own packets, IPv6), exposure, and the two commands.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatAddrSet } from "../src/model/addr.js";
import { computeExposure } from "../src/model/exposure.js";
import { IfaceUniverse } from "../src/model/ifaces.js";
import { Model } from "../src/model/model.js";
import { IntervalSet, IPV4, IPV6, PORTS } from "../src/model/sets.js";
import { trace, type PacketSpec } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";
import { kube, kubePackets } from "../scripts/bench/generate.mjs";
import { run } from "../src/cli.js";
import type { CliIO } from "../src/commands/shared.js";
import { makeTree, runCli } from "./support/cli.js";
import { CORPUS } from "./support/corpus.js";

const DOCKER2010 = readFileSync(`${CORPUS}/docker-real/docker20.10-one-published-port.rules`, "utf8");
const LOCAL = ["10.99.0.1/24", "172.17.0.1"];
const docker = (extra = "", local = LOCAL) => new Model(parse(extra ? DOCKER2010.replace("-A DOCKER-USER -j RETURN\n", `${extra}\n-A DOCKER-USER -j RETURN\n`) : DOCKER2010), { local });
const fromOutside = (o: Partial<PacketSpec> = {}): PacketSpec => ({ in: "eth0", src: "198.51.100.7", dst: "10.99.0.1", proto: "tcp", dport: 8080, ...o });

describe("interval sets", () => {
  it("keeps intervals sorted, disjoint and merged", () => {
    const a = IntervalSet.fromRanges(PORTS, [[10, 20], [21, 30], [40, 50], [5, 12]]);
    expect([...a.ranges()]).toEqual([[5, 30], [40, 50]]);
    expect([...a.complement().ranges()]).toEqual([[0, 4], [31, 39], [51, 65535]]);
    expect([...a.subtract(IntervalSet.of(PORTS, 8, 45)).ranges()]).toEqual([[5, 7], [46, 50]]);
    expect(a.has(30) && !a.has(31) && a.has(40)).toBe(true);
    expect(a.intersects(IntervalSet.of(PORTS, 31, 39))).toBe(false);
    expect(a.union(a.complement()).isFull).toBe(true);
  });

  it("tells subsets: each interval must lie inside one interval of the other set", () => {
    const a = IntervalSet.fromRanges(PORTS, [[5, 30], [40, 50]]);
    const cases: [[number, number][], boolean][] = [
      [[], true],
      [[[5, 30]], true],
      [[[6, 8], [41, 50]], true],
      [[[5, 30], [40, 50]], true],
      [[[4, 6]], false],
      [[[25, 45]], false], // spans the gap
      [[[31, 39]], false],
      [[[45, 51]], false],
      [[[10, 12], [60, 61]], false],
    ];
    for (const [ranges, want] of cases) {
      const s = IntervalSet.fromRanges(PORTS, ranges);
      expect(s.isSubsetOf(a), JSON.stringify(ranges)).toBe(want);
      expect(s.isSubsetOf(a)).toBe(s.subtract(a).isEmpty);
    }
    expect(a.isSubsetOf(IntervalSet.full(PORTS))).toBe(true);
    expect(IntervalSet.full(PORTS).isSubsetOf(a)).toBe(false);
  });

  it("works on 128-bit addresses", () => {
    const s = IntervalSet.of(IPV6, 0x20010db8n << 96n, (0x20010db8n << 96n) | ((1n << 96n) - 1n));
    expect(formatAddrSet("ipv6", s)).toEqual(["2001:db8::/32"]);
    expect(formatAddrSet("ipv4", IntervalSet.of(IPV4, 0x0a000001, 0x0a000005))).toEqual(["10.0.0.1-10.0.0.5"]);
  });
});

describe("interface classes", () => {
  it("makes every prefix an interval of classes", () => {
    const u = new IfaceUniverse(["eth0", "eth10", "docker0"], ["eth", "eth1"]);
    const eth = u.pattern("eth+");
    for (const n of ["eth0", "eth10", "eth7", "eth1x"]) expect(eth.has(u.classOf(n)), n).toBe(true);
    expect(eth.has(u.classOf("docker0"))).toBe(false);
    const eth1 = u.pattern("eth1+");
    expect(eth1.has(u.classOf("eth10")) && eth1.has(u.classOf("eth12")) && !eth1.has(u.classOf("eth0"))).toBe(true);
    expect(u.pattern("+").isFull).toBe(true);
    expect(u.label(u.classOf("wlan0"))).toBe("*");
  });
});

describe("trace", () => {
  it("gives exactly the documented JSON fields, with the reply of an accepted new connection", () => {
    const r = trace(docker(), fromOutside()).result;
    expect(Object.keys(r).slice(0, 6)).toEqual(["verdict", "delivery", "nat", "path", "reply", "connection"]);
    expect(r).toMatchObject({ verdict: "ACCEPT", delivery: "forward", nat: { src: null, dst: "172.17.0.2:80" }, connection: "open", reply: { verdict: "ACCEPT" } });
    expect(r.path[0]).toEqual({ table: "nat", chain: "PREROUTING", line: 31, target: "DOCKER" });
    expect(r.path.find((p) => p.chain === "DOCKER" && p.table === "filter")).toEqual({ table: "filter", chain: "DOCKER", line: 16, target: "ACCEPT" });
    expect(r.reply!.path.at(-1)).toEqual({ table: "filter", chain: "FORWARD", line: 14, target: "ACCEPT" });
  });

  it("says closed when the request or the reply is dropped", () => {
    expect(trace(docker(), fromOutside({ dst: "172.17.0.2", dport: 81 })).result).toMatchObject({ verdict: "DROP", connection: "closed", reply: null });
    // Dropping everything from 172.17.0.2 in DOCKER-USER kills the reply, not the request.
    const r = trace(docker("-A DOCKER-USER -s 172.17.0.2/32 -j DROP"), fromOutside()).result;
    expect(r).toMatchObject({ verdict: "ACCEPT", connection: "closed", reply: { verdict: "DROP" } });
  });

  it("REDIRECT in PREROUTING delivers to the host's address, never to 127.0.0.0/8 (found by the random kernel test)", () => {
    const text = [
      "*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
      "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A INPUT -m conntrack --ctorigdstport 443 -j ACCEPT", "COMMIT",
      "*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]",
      "-A PREROUTING -p tcp -m tcp --dport 443 -j REDIRECT --to-ports 80", "-A OUTPUT -p tcp -m tcp --dport 8443 -j REDIRECT --to-ports 80", "COMMIT", "",
    ].join("\n");
    for (const local of [["10.99.0.1/24"], []]) {
      const model = new Model(parse(text), { local });
      const r = trace(model, { in: "eth0", src: "10.99.0.2", dst: "10.99.0.1", proto: "tcp", dport: 443 }).result;
      expect(r, `local ${local.join()}`).toMatchObject({ verdict: "ACCEPT", delivery: "local", connection: "open" });
      expect(r.outcomes).toBeUndefined();
      expect(r.path.some((p) => p.table === "routing")).toBe(false);
    }
    // from the host itself (nat OUTPUT), REDIRECT goes to 127.0.0.1
    const own = trace(new Model(parse(text), { local: ["10.99.0.1/24"] }), { src: "10.99.0.1", dst: "10.99.0.1", proto: "tcp", dport: 8443 }).result;
    expect(own.nat.dst).toBe("127.0.0.1:80");
  });

  it("reads IPv6 address types as xt_addrtype does: a local address is UNICAST too; several types are all required (found by the random kernel test)", () => {
    const six = (rule: string) =>
      new Model(parse(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`, { family: "ipv6" }), { local: ["fd00:99::1/64"] });
    const to = (m: Model, dst: string) => trace(m, { in: "eth0", src: "fd00:99::2", dst, proto: "tcp", dport: 22 }).result.verdict;
    expect(to(six("-A INPUT -m addrtype --dst-type UNICAST -j DROP"), "fd00:99::1")).toBe("DROP");
    expect(to(six("-A INPUT -m addrtype ! --dst-type UNICAST -j DROP"), "fd00:99::1")).toBe("ACCEPT");
    expect(to(six("-A INPUT -m addrtype --dst-type LOCAL,UNICAST -j DROP"), "fd00:99::1")).toBe("DROP");
    expect(to(six("-A INPUT -m addrtype --dst-type MULTICAST -j DROP"), "fd00:99::1")).toBe("ACCEPT");
    expect(to(six("-A INPUT -m addrtype --dst-type LOCAL,MULTICAST -j DROP"), "fd00:99::1")).toBe("ACCEPT");
    // no assumption about the host: UNICAST is the address's own property
    const r = trace(new Model(parse("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m addrtype --dst-type UNICAST -j DROP\nCOMMIT\n", { family: "ipv6" })), { in: "eth0", src: "fd00:99::2", dst: "fd00:99::1", proto: "tcp", dport: 22 }).result;
    expect(r.verdict).toBe("DROP");
  });

  it("follows both outcomes of matches it cannot know, and says so", () => {
    const r = trace(docker("-A DOCKER-USER -m limit --limit 5/sec -j DROP"), fromOutside()).result;
    expect(r.verdict).toBe("UNKNOWN");
    expect(r.connection).toBe("unknown");
    expect(r.unknown.join()).toMatch(/-m limit --limit 5\/sec/);
    expect(r.outcomes!.map((o) => [o.verdict, o.assumptions[0]!.holds])).toEqual(expect.arrayContaining([["DROP", true], ["ACCEPT", false]]));
    // An unknown match that does not change the outcome leaves the verdict known.
    expect(trace(docker("-A DOCKER-USER -m limit --limit 5/sec -j LOG"), fromOutside()).result.verdict).toBe("ACCEPT");
  });

  it("treats the conntrack tuple of a connection it did not see as unknown", () => {
    const m = docker("-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 -j DROP");
    expect(trace(m, fromOutside()).result.verdict).toBe("DROP");
    const est = trace(m, { in: "eth0", src: "198.51.100.7", dst: "172.17.0.2", proto: "tcp", dport: 80, state: "ESTABLISHED" }).result;
    expect(est.verdict).toBe("UNKNOWN");
    expect(est.connection).toBeNull();
  });

  it("knows --ctproto is the packet's protocol, but not for an ICMP error RELATED to another connection", () => {
    const text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctproto udp -j DROP\nCOMMIT\n";
    const m = new Model(parse(text), { local: ["192.0.2.1"] });
    const at = (proto: string, state: string) => trace(m, { in: "eth0", src: "198.51.100.7", dst: "192.0.2.1", proto, ...(proto === "icmp" ? {} : { dport: 53 }), state }).result.verdict;
    expect(at("udp", "NEW")).toBe("DROP");
    expect(at("tcp", "ESTABLISHED")).toBe("ACCEPT");
    expect(at("icmp", "ESTABLISHED")).toBe("ACCEPT");
    // a port unreachable about a UDP datagram has conntrack's protocol udp (the kernel counts it: see
    // test/unmatchable-kernel.test.ts); the model cannot tell which connection an error is about
    expect(at("icmp", "RELATED")).toBe("UNKNOWN");
    // no connection, no protocol: the match fails
    expect(at("udp", "INVALID")).toBe("ACCEPT");
  });

  it("routes by the host's addresses and Docker's subnets, with --out for the rest", () => {
    expect(trace(docker(), fromOutside({ dst: "172.17.0.2", dport: 80 })).result).toMatchObject({ delivery: "forward", verdict: "ACCEPT" });
    expect(trace(docker(), fromOutside({ dst: "10.99.0.1", dport: 22 })).result).toMatchObject({ delivery: "local", verdict: "ACCEPT" });
    // Container egress: masqueraded to an address of the host, reply de-NATed back.
    const out = trace(docker(), { in: "docker0", out: "eth0", src: "172.17.0.2", dst: "198.51.100.7", proto: "udp", dport: 53 }).result;
    expect(out).toMatchObject({ verdict: "ACCEPT", delivery: "forward", connection: "open" });
    expect(out.nat.src).toMatch(/^10\.99\.0\.1\b/);
    // Loopback sources from outside never get past routing.
    expect(trace(docker(), fromOutside({ src: "127.0.0.1" })).result.path.at(-1)).toEqual({ table: "routing", chain: "martian source", line: null, target: "DROP" });
  });

  it("traces the host's own packets through OUTPUT (nat OUTPUT DNAT included)", () => {
    const r = trace(docker(), { src: "10.99.0.1", dst: "10.99.0.1", proto: "tcp", dport: 8080 }).result;
    expect(r.path.map((p) => `${p.table}/${p.chain}`)).toContain("nat/OUTPUT");
    expect(r).toMatchObject({ nat: { dst: "172.17.0.2:80" }, connection: "open" });
  });

  it("evaluates ICMP types, marks, iprange and multiport", () => {
    const text = [
      "*mangle",
      ":PREROUTING ACCEPT [0:0]",
      "-A PREROUTING -i eth1 -j MARK --set-xmark 0x2/0xffffffff",
      "COMMIT",
      "*filter",
      ":INPUT DROP [0:0]",
      "-A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT",
      "-A INPUT -m mark --mark 0x2/0x2 -j DROP",
      "-A INPUT -m iprange --src-range 192.0.2.10-192.0.2.20 -p tcp -m multiport --dports 22,443:445 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n");
    const m = new Model(parse(text), { local: ["192.0.2.1"] });
    const t = (o: Partial<PacketSpec>) => trace(m, { in: "eth0", src: "192.0.2.15", dst: "192.0.2.1", proto: "tcp", dport: 444, ...o }).result.verdict;
    expect(t({ proto: "icmp" })).toBe("ACCEPT");
    expect(t({ proto: "icmp", icmpType: "echo-reply" } as Partial<PacketSpec>)).toBe("DROP");
    expect(t({})).toBe("ACCEPT");
    expect(t({ in: "eth1" })).toBe("DROP");
    expect(t({ src: "192.0.2.21" })).toBe("DROP");
    expect(t({ dport: 446 })).toBe("DROP");
  });

  it("applies every way MARK and CONNMARK set a mark: (mark & ~mask) ^ value", () => {
    const text = [
      "*mangle",
      ":PREROUTING ACCEPT [0:0]",
      "-A PREROUTING -i eth1 -j MARK --set-mark 0x6/0x4",
      "-A PREROUTING -i eth2 -j MARK --or-mark 0x5",
      "-A PREROUTING -i eth3 -j MARK --set-xmark 0x3/0x0",
      "-A PREROUTING -i eth3 -j MARK --and-mark 0x1",
      "-A PREROUTING -i eth4 -j MARK --xor-mark 0x9",
      "-A PREROUTING -i eth5 -j CONNMARK --set-xmark 0x7/0xffffffff",
      "-A PREROUTING -i eth5 -j CONNMARK --restore-mark",
      "-A PREROUTING -i eth6 -j CONNMARK --or-mark 0x10",
      "COMMIT",
      "*filter",
      ":INPUT DROP [0:0]",
      "-A INPUT -i eth1 -m mark --mark 0x6 -j ACCEPT",
      "-A INPUT -i eth2 -m mark --mark 0x5 -j ACCEPT",
      "-A INPUT -i eth3 -m mark --mark 0x1 -j ACCEPT",
      "-A INPUT -i eth4 -m mark --mark 0x9 -j ACCEPT",
      "-A INPUT -i eth5 -m mark --mark 0x7 -j ACCEPT",
      "-A INPUT -i eth6 -m connmark --mark 0x10 -j ACCEPT",
      "-A INPUT -i eth7 -m mark --mark 0x0 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n");
    const m = new Model(parse(text), { local: ["192.0.2.1"] });
    const t = (i: string) => trace(m, { in: i, src: "192.0.2.15", dst: "192.0.2.1", proto: "tcp", dport: 22 }).result;
    for (const i of ["eth1", "eth2", "eth3", "eth4", "eth5", "eth6", "eth7"]) expect(t(i).verdict, i).toBe("ACCEPT");
    // the matching rule is the one for the interface's expected mark, not a later catch-all
    expect(t("eth3").path.at(-1)).toMatchObject({ table: "filter", chain: "INPUT", line: 16 });
    expect(t("eth8").verdict).toBe("DROP");
  });

  it("traces IPv6", () => {
    const text = "*filter\n:INPUT DROP [0:0]\n-A INPUT -s 2001:db8::/32 -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n";
    const m = new Model(parse(text, { family: "ipv6" }), { local: ["2001:db8:ffff::1"] });
    expect(trace(m, { in: "eth0", src: "2001:db8::7", dst: "2001:db8:ffff::1", proto: "tcp", dport: 22 }).result).toMatchObject({ verdict: "ACCEPT", delivery: "local", connection: "open" });
    expect(trace(m, { in: "eth0", src: "2001:db9::7", dst: "2001:db8:ffff::1", proto: "tcp", dport: 22 }).result.verdict).toBe("DROP");
  });
});

describe("exposure", () => {
  it("lists published ports with their exact sources per interface, widest first", () => {
    const m = docker("-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP");
    const items = computeExposure(m, { routed: false });
    const pub = items.find((i) => i.kind === "published")!;
    expect(pub).toMatchObject({ proto: "tcp", hostAddress: "*", hostPort: 8080, container: "172.17.0.2:80", openToAny: true });
    expect(pub.allowed).toEqual([
      { inInterface: "*", sources: ["0.0.0.0/0"] },
      { inInterface: "eth0", sources: ["192.0.2.0/24"] },
    ]);
    const widths = items.map((i) => i.width);
    expect([...widths].sort((a, b) => b - a)).toEqual(widths.filter((_, k) => items[k]!.openToAny === items[0]!.openToAny).concat(widths.filter((_, k) => items[k]!.openToAny !== items[0]!.openToAny)));
  });

  it("counts only the external interfaces for openToAny when they are known", () => {
    const text = DOCKER2010.replace("-A DOCKER-USER -j RETURN\n", "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP\n-A DOCKER-USER -j RETURN\n");
    const m = new Model(parse(text), { local: LOCAL, external: ["eth0"] });
    expect(computeExposure(m).find((i) => i.kind === "published")!.openToAny).toBe(false);
  });

  it("keeps interfaces apart that only a chain called from a shared chain tells apart (chain answers are shared by class)", () => {
    // eth0 and eth1 look alike to FORWARD-level rules; only GUARD (two calls deep) drops eth1, and only
    // for the second published port. A chain answer shared between the two interfaces would get one wrong.
    const text = [
      "*filter",
      ":INPUT DROP [0:0]",
      ":FORWARD DROP [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      ":OUTER - [0:0]",
      ":GUARD - [0:0]",
      "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A FORWARD -i br0 -j ACCEPT",
      "-A FORWARD -o br0 -j OUTER",
      "-A OUTER -i br0 -j DROP",
      "-A OUTER -j GUARD",
      "-A OUTER -o br0 -j ACCEPT",
      "-A GUARD -d 172.30.0.3/32 -i eth1 -j DROP",
      "COMMIT",
      "*nat",
      ":PREROUTING ACCEPT [0:0]",
      ":POSTROUTING ACCEPT [0:0]",
      "-A PREROUTING -i eth0 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 172.30.0.2:80",
      "-A PREROUTING -i eth1 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 172.30.0.2:80",
      "-A PREROUTING -i eth0 -p tcp -m tcp --dport 9001 -j DNAT --to-destination 172.30.0.3:80",
      "-A PREROUTING -i eth1 -p tcp -m tcp --dport 9001 -j DNAT --to-destination 172.30.0.3:80",
      "-A POSTROUTING -s 172.30.0.0/16 ! -o br0 -j MASQUERADE",
      "COMMIT",
      "",
    ].join("\n");
    const m = new Model(parse(text), { local: ["10.99.0.1"] });
    const pub = computeExposure(m, { routed: false }).filter((i) => i.kind === "published");
    const ifacesOf = (container: string) => pub.find((i) => i.container === container)?.allowed.map((a) => a.inInterface);
    expect(ifacesOf("172.30.0.2:80")).toEqual(["eth0", "eth1"]);
    expect(ifacesOf("172.30.0.3:80")).toEqual(["eth0"]);
    // trace agrees, packet by packet
    for (const [iface, dport, verdict] of [["eth0", 9001, "ACCEPT"], ["eth1", 9001, "DROP"], ["eth1", 9000, "ACCEPT"]] as const)
      expect(trace(m, { in: iface, out: "br0", src: "198.51.100.7", dst: "10.99.0.1", proto: "tcp", dport }).result.verdict).toBe(verdict);
  });

  it("lists the unknown matches an answer depends on in line order", () => {
    const m = docker("-A DOCKER-USER -m set --match-set b src -j DROP\n-A DOCKER-USER -m set --match-set a src -j DROP");
    const pub = computeExposure(m, { routed: false }).find((i) => i.kind === "published")!;
    const lines = pub.unknown!.map((u) => Number(/^line (\d+)/.exec(u)![1]));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("follows SCTP when a rule names it (a port published with /sctp), and not otherwise", () => {
    const sctp = DOCKER2010.replace(
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n-A DOCKER ! -i docker0 -p sctp -m sctp --dport 9100 -j DNAT --to-destination 172.17.0.2:9000\n",
    ).replace("-A DOCKER-USER -j RETURN\n", "-A DOCKER-USER -i eth0 -p sctp ! -s 192.0.2.0/24 -j DROP\n-A DOCKER-USER -j RETURN\n")
      .replace("-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT\n", "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT\n-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p 132 -m sctp --dport 9000 -j ACCEPT\n");
    const m = new Model(parse(sctp), { local: LOCAL });
    expect(m.namesSctp).toBe(true);
    const pub = computeExposure(m, { routed: false }).filter((i) => i.kind === "published");
    expect(pub.map((i) => `${i.proto} ${i.hostPort} ${i.container}`).sort()).toEqual(["sctp 9100 172.17.0.2:9000", "tcp 8080 172.17.0.2:80"]);
    expect(pub.find((i) => i.proto === "sctp")!.allowed).toEqual([
      { inInterface: "*", sources: ["0.0.0.0/0"] },
      { inInterface: "eth0", sources: ["192.0.2.0/24"] },
    ]);
    // Told which protocols, it follows only those.
    expect(new Set(computeExposure(m, { protocols: [132] }).map((i) => i.proto))).toEqual(new Set(["sctp"]));
    // No rule names SCTP: TCP and UDP only, as before.
    const plain = docker();
    expect(plain.namesSctp).toBe(false);
    expect(new Set(computeExposure(plain).map((i) => i.proto))).toEqual(new Set(["tcp", "udp"]));
    // trace follows an SCTP association like a TCP connection: the reply and the client's next packet.
    const t = trace(m, { in: "eth0", src: "198.51.100.7", dst: "10.99.0.1", proto: "sctp", dport: 9100 }).result;
    expect(t).toMatchObject({ verdict: "DROP", connection: "closed" });
    const ok = trace(m, { in: "eth0", src: "192.0.2.9", dst: "10.99.0.1", proto: "sctp", dport: 9100 }).result;
    expect(ok).toMatchObject({ verdict: "ACCEPT", connection: "open", reply: { verdict: "ACCEPT" }, followup: { verdict: "ACCEPT" } });
  });

  it("reports what it cannot decide as possible sources", () => {
    const items = computeExposure(docker("-A DOCKER-USER -m set ! --match-set allowed src -j DROP"), { routed: false });
    const pub = items.find((i) => i.kind === "published")!;
    expect(pub.openToAny).toBe(false);
    expect(pub.allowed[0]!.possibleSources).toEqual(["0.0.0.0/0"]);
    expect(pub.unknown!.join()).toMatch(/--match-set allowed src/);
  });
});

describe("fwlint trace and fwlint exposure", () => {
  const root = makeTree({
    "rules.v4": DOCKER2010,
    "packets.jsonl": [
      JSON.stringify({ in: "eth0", src: "198.51.100.7", dst: "10.99.0.1", proto: "tcp", dport: 8080 }),
      "not json",
      JSON.stringify({ src: "198.51.100.7" }),
      JSON.stringify({ in: "eth0", src: "198.51.100.7", dst: "::1" }),
      JSON.stringify({ in: "eth0", src: "198.51.100.7", dst: "10.99.0.1", dport: 70000 }),
      JSON.stringify({ in: "eth0", src: "198.51.100.7", dst: "10.99.0.1", proto: "nope" }),
    ].join("\n"),
    ".fwlintrc.json": JSON.stringify({ facts: { hostAddresses: ["10.99.0.1/24", "172.17.0.1"] } }),
  });

  it("prints a readable trace", async () => {
    const r = await runCli(["trace", "rules.v4", "--in", "eth0", "--src", "198.51.100.7", "--dst", "10.99.0.1", "--dport", "8080"], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nat\/DOCKER\n(?:.*\n)*?\s+line 36 match: ! -i docker0 -p tcp --dport 8080 → DNAT --to-destination 172\.17\.0\.2:80/);
    expect(r.stdout).toMatch(/Reply \(ESTABLISHED/);
    expect(r.stdout).toMatch(/Verdict: ACCEPT, forward; connection open/);
  });

  it("prints JSON, and reads the host's addresses from the configuration", async () => {
    const r = await runCli(["trace", "rules.v4", "--in", "eth0", "--src", "198.51.100.7", "--dst", "10.99.0.1", "--dport", "22", "--format", "json"], { cwd: root });
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: "ACCEPT", delivery: "local", connection: "open" });
  });

  it("takes an ICMP type, says a packet the host sends is sent out, and shows no NAT for a connection it did not see", async () => {
    const v6 = makeTree({
      "rules.v6": "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT\nCOMMIT\n",
      "packets.jsonl": JSON.stringify({ in: "eth0", src: "fe80::1", dst: "2001:db8::2", proto: "ipv6-icmp", icmpType: "neighbour-advertisement", state: "UNTRACKED" }),
    });
    const args = ["trace", "rules.v6", "--local", "2001:db8::2", "--in", "eth0", "--src", "fe80::1", "--dst", "2001:db8::2", "--proto", "ipv6-icmp", "--state", "UNTRACKED"];
    const na = await runCli([...args, "--icmp-type", "neighbour-advertisement"], { cwd: v6 });
    expect(na.stdout).toMatch(/line 5 match: -p ipv6-icmp --icmpv6-type neighbour-advertisement → ACCEPT/);
    expect(na.stdout).not.toMatch(/NAT:/);
    expect(na.stdout).toMatch(/Verdict: ACCEPT, local/);
    expect((await runCli([...args, "--icmp-type", "neighbour-solicitation"], { cwd: v6 })).stdout).toMatch(/Verdict: DROP, local/);
    // the default is echo-request; a type that is not one is refused
    expect((await runCli(args, { cwd: v6 })).stdout).toMatch(/Verdict: DROP/);
    const bad = await runCli([...args, "--icmp-type", "nope"], { cwd: v6 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--icmp-type nope is not an ICMP type/);
    const batch = await runCli(["trace", "rules.v6", "--local", "2001:db8::2", "--packets", "packets.jsonl"], { cwd: v6 });
    expect(JSON.parse(batch.stdout)).toMatchObject({ verdict: "ACCEPT", delivery: "local", nat: { src: null, dst: null } });
    const out = await runCli(["trace", "rules.v4", "--src", "10.99.0.1", "--dst", "198.51.100.7", "--dport", "443", "--out", "eth0"], { cwd: root });
    expect(out.stdout).toMatch(/→ ACCEPT \(sent out\)/);
    expect(out.stdout).not.toMatch(/\(forwarded\)/);
  });

  it("traces a batch, one JSON line per packet, errors included", async () => {
    const r = await runCli(["trace", "rules.v4", "--packets", "packets.jsonl"], { cwd: root });
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ verdict: "ACCEPT", connection: "open" });
    expect(lines[1]).toEqual({ error: "line 2: not JSON" });
    expect(lines[2]).toEqual({ error: "line 3: src and dst are required" });
    // A wrong value names its line and its JSON field (not the command-line option).
    expect(lines[3]).toEqual({ error: "line 4: dst ::1 is not an IPv4 address" });
    expect(lines[4]).toEqual({ error: "line 5: dport 70000 is not a port" });
    expect(lines[5]).toEqual({ error: "line 6: proto nope is not a protocol" });
    const stdin = await runCli(["trace", "rules.v4", "--packets", "-"], { cwd: root, stdin: JSON.stringify({ in: "eth0", src: "198.51.100.7", dst: "172.17.0.2", dport: 81 }) });
    expect(JSON.parse(stdin.stdout)).toMatchObject({ verdict: "DROP", connection: "closed" });
  });

  it("waits for a slow reader: a batch writes its next block only after standard output drains", async () => {
    const dir = makeTree({ "kube.rules": kube(1000), "packets.jsonl": kubePackets(1000, 300) });
    const expected = (await runCli(["trace", "kube.rules", "--packets", "packets.jsonl"], { cwd: dir })).stdout;
    const writes: string[] = [];
    let drain: (() => void) | null = null;
    const io: CliIO = {
      cwd: dir,
      env: {},
      // Like a pipe that is always full: every write asks the writer to wait for "drain".
      stdout: { write: (s: string) => (writes.push(s), false), once: (_event: "drain", listener: () => void) => (drain = listener) },
      stderr: { write: () => true },
      stdin: { isPiped: () => false, read: async () => "" },
    };
    let finished = false;
    const done = run(["trace", "kube.rules", "--packets", "packets.jsonl"], io).then((code) => ((finished = true), code));
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    for (let k = 0; k < 400 && drain === null; k++) await tick();
    expect(writes).toHaveLength(1);
    await tick();
    await tick();
    // Not drained yet: nothing more was written.
    expect(writes).toHaveLength(1);
    while (!finished) {
      const d = drain as (() => void) | null;
      drain = null;
      d?.();
      await tick();
    }
    expect(await done).toBe(0);
    expect(writes.length).toBeGreaterThan(5);
    expect(writes.join("")).toBe(expected);
  });

  it("refuses bad arguments with exit code 2", async () => {
    const r = await runCli(["trace", "rules.v4", "--src", "198.51.100.7"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--src and --dst/);
    const bad = await runCli(["trace", "rules.v4", "--src", "1.2.3.4.5", "--dst", "10.99.0.1"], { cwd: root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--src 1\.2\.3\.4\.5 is not an IPv4 address/);
    for (const [flag, value] of [["--sport", "abc"], ["--dport", "80x"], ["--dport", "70000"]]) {
      const port = await runCli(["trace", "rules.v4", "--src", "198.51.100.7", "--dst", "10.99.0.1", flag!, value!], { cwd: root });
      expect(port.code).toBe(2);
      expect(port.stderr).toContain(`${flag} ${value} is not a port`);
    }
    // Host facts on the command line are checked like the configuration's, not dropped.
    for (const [args, message] of [
      [["--local", "999.1.1.1"], /--local 999\.1\.1\.1: not an IPv4 or IPv6 address/],
      [["--local", "fe80::1/200"], /--local fe80::1\/200: not an IPv4 or IPv6 address/],
      [["--external", "eth 0"], /--external eth 0: not an interface name/],
    ] as const) {
      for (const cmd of [["exposure", "rules.v4"], ["trace", "rules.v4", "--src", "198.51.100.7", "--dst", "10.99.0.1"]]) {
        const r2 = await runCli([...cmd, ...args], { cwd: root });
        expect(r2.code).toBe(2);
        expect(r2.stderr).toMatch(message);
        expect(r2.stderr).not.toMatch(/\n\s+at /);
      }
    }
    const missing = await runCli(["exposure", "nope.rules"], { cwd: root });
    expect(missing.code).toBe(2);
  });

  it("prints the exposure as a table and as JSON", async () => {
    const t = await runCli(["exposure", "rules.v4", "--no-routed"], { cwd: root });
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/PROTO\s+HOST ADDRESS\s+PORT\s+CONTAINER\s+INTERFACE\s+SOURCES/);
    expect(t.stdout).toMatch(/!\s+tcp\s+\*\s+8080\s+172\.17\.0\.2:80\s+\*\s+any \(0\.0\.0\.0\/0\)/);
    const j = await runCli(["exposure", "rules.v4", "--format", "json"], { cwd: root });
    const items = JSON.parse(j.stdout) as Record<string, unknown>[];
    expect(items.find((i) => i.kind === "published")).toMatchObject({ proto: "tcp", hostAddress: "*", hostPort: 8080, container: "172.17.0.2:80", openToAny: true, family: "ipv4" });
    for (const i of items) expect(Object.keys(i)).toEqual(expect.arrayContaining(["proto", "hostAddress", "hostPort", "container", "allowed", "openToAny"]));
  });

  it("follows the protocols --proto names, and refuses others with exit code 2", async () => {
    const protos = async (...args: string[]) => {
      const r = await runCli(["exposure", "rules.v4", "--format", "json", ...args], { cwd: root });
      expect(r.code, r.stderr).toBe(0);
      return [...new Set((JSON.parse(r.stdout) as { proto: string }[]).map((i) => i.proto))].sort();
    };
    expect(await protos()).toEqual(["tcp", "udp"]);
    expect(await protos("--proto", "sctp")).toEqual(["sctp"]);
    expect(await protos("--proto", "tcp,sctp", "--proto", "UDP")).toEqual(["sctp", "tcp", "udp"]);
    const bad = await runCli(["exposure", "rules.v4", "--proto", "icmp"], { cwd: root });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--proto icmp: exposure follows tcp, udp and sctp/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("README", () => {
  it.each(["trace", "exposure"])("documents every option of fwlint %s --help", async (cmd) => {
    const help = (await runCli([cmd, "--help"])).stdout;
    const readme = readFileSync("README.md", "utf8");
    const title = cmd === "trace" ? "## Tracing packets" : "## Exposure";
    const section = readme.slice(readme.indexOf(title), readme.indexOf("\n## ", readme.indexOf(title) + 1));
    const global = new Set(["--help", "--version", "--color", "--debug"]);
    const options = [...new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!))].filter((o) => !global.has(o));
    expect(options.length).toBeGreaterThan(4);
    const mentions = (o: string) => new RegExp(`(^|[\\s\`,])${o}(?![a-z-])`, "m").test(section);
    expect(options.filter((o) => !mentions(o) && !mentions(`--no-${o.slice(2)}`) && !(cmd === "exposure" && /--(local|external)$/.test(o) && section.includes(`\`${o} `)))).toEqual([]);
  });
});
