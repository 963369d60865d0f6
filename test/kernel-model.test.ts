/**
 * The packet model against the Linux kernel. Docker-like hosts are built in network namespaces (no
 * dockerd): bridges, "containers" with echo servers, clients on veth links with several source addresses.
 * Each ruleset (Docker's real dumps and its documented layouts, plus DOCKER-USER / INPUT / mangle
 * variations) is loaded with iptables-restore, real connections are opened — published ports, host ports,
 * direct routing to containers, container egress, connections from the host itself — and every outcome
 * is compared with what `fwlint trace` predicts and with what `fwlint exposure` says about the source.
 * Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { Family } from "../src/ast/iptables.js";
import { parse } from "../src/parse/index.js";
import { computeExposure } from "../src/model/exposure.js";
import { Model } from "../src/model/model.js";
import { trace, type PacketSpec } from "../src/model/trace.js";
import { makeTree, runCli } from "./support/cli.js";
import { exposureSays } from "./support/exposure.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type ClientSpec, type Probe, type ProbeResult, type TopologySpec } from "./support/topology.js";
import { CORPUS } from "./support/corpus.js";

const read = (p: string) => readFileSync(p.startsWith("/") ? p : `${CORPUS}/${p}`, "utf8");

// ── rulesets ─────────────────────────────────────────────────────────────────────────────────────────

interface Patch {
  readonly table: string;
  /** New chains. */
  readonly declare?: readonly string[];
  readonly policy?: Readonly<Record<string, "ACCEPT" | "DROP">>;
  /** Lines added at the end of the table's block (use -I CHAIN n to insert, -A to append). */
  readonly lines: readonly string[];
}

/** A ruleset with extra chains, policies and rules (a new table block when the dump has none). */
function patched(text: string, patches: readonly Patch[]): string {
  let out = text;
  for (const p of patches) {
    const header = `*${p.table}\n`;
    if (!out.includes(header)) {
      const chains = { raw: ["PREROUTING", "OUTPUT"], mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"], filter: ["INPUT", "FORWARD", "OUTPUT"], nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"] }[p.table] ?? [];
      out += `${header}${chains.map((c) => `:${c} ACCEPT [0:0]\n`).join("")}COMMIT\n`;
    }
    const start = out.indexOf(header);
    const end = out.indexOf("\nCOMMIT", start);
    let block = out.slice(start, end);
    for (const [chain, pol] of Object.entries(p.policy ?? {})) block = block.replace(new RegExp(`^:${chain} \\w+`, "m"), `:${chain} ${pol}`);
    const decl = (p.declare ?? []).map((c) => `:${c} - [0:0]\n`).join("");
    block = block.replace(header, header + decl);
    out = `${out.slice(0, start)}${block}\n${p.lines.join("\n")}${out.slice(end)}`;
  }
  return out;
}

// ── topologies ───────────────────────────────────────────────────────────────────────────────────────

const CLIENTS: readonly ClientSpec[] = [
  {
    name: "cl1",
    hostIf: "eth0",
    hostAddr: "10.99.0.1/24",
    hostAddr6: "fd00:99::1/64",
    addrs: ["10.99.0.2/24", "10.99.0.3/24", "10.99.0.4/24"],
    addrs6: ["fd00:99::2/64", "fd00:99::3/64"],
    tcp: [7000],
    udp: [7000],
  },
  {
    name: "cl2",
    hostIf: "eth1",
    hostAddr: "10.98.0.1/24",
    hostAddr6: "fd00:98::1/64",
    addrs: ["10.98.0.2/24", "10.98.0.3/24"],
    addrs6: ["fd00:98::2/64"],
    tcp: [7000],
    udp: [7000],
  },
];
const HOST = { tcp: [22, 2222, 9000], udp: [5000] };

const docker0One: TopologySpec = {
  bridges: [{ name: "docker0", gateway: "172.17.0.1/16" }],
  containers: [{ name: "c1", bridge: "docker0", addr: "172.17.0.2/16", tcp: [80, 81], udp: [53] }],
  clients: CLIENTS,
  host: HOST,
};

const docker0Multi: TopologySpec = {
  bridges: [
    { name: "docker0", gateway: "172.17.0.1/16" },
    { name: "br-02516fb767bf", gateway: "172.18.0.1/16" },
    { name: "br-9226596bcd72", gateway: "172.19.0.1/16" },
  ],
  containers: [
    { name: "c1", bridge: "docker0", addr: "172.17.0.2/16", tcp: [80] },
    { name: "c3", bridge: "docker0", addr: "172.17.0.3/16", tcp: [443, 22] },
    { name: "c2", bridge: "br-02516fb767bf", addr: "172.18.0.2/16", tcp: [9000], udp: [53] },
    { name: "c4", bridge: "br-9226596bcd72", addr: "172.19.0.2/16", tcp: [80] },
  ],
  clients: CLIENTS,
  host: HOST,
};

const bridge1: TopologySpec = {
  bridges: [
    { name: "docker0", gateway: "172.17.0.1/16" },
    { name: "bridge1", gateway: "192.0.2.1/24" },
  ],
  containers: [{ name: "c1", bridge: "bridge1", addr: "192.0.2.2/24", tcp: [80, 81], udp: [53] }],
  clients: CLIENTS,
  host: HOST,
};

const internal: TopologySpec = {
  bridges: [
    { name: "docker0", gateway: "172.17.0.1/16" },
    { name: "bridgeICC", gateway: "192.0.2.1/24" },
    { name: "bridgeNoICC", gateway: "198.51.100.1/24" },
  ],
  containers: [
    { name: "c1", bridge: "bridgeICC", addr: "192.0.2.2/24", tcp: [80] },
    { name: "c2", bridge: "bridgeNoICC", addr: "198.51.100.2/24", tcp: [80] },
  ],
  clients: CLIENTS,
  host: HOST,
};

// SCTP peers on raw sockets (test/support/sctpagent.py): the machines have no SCTP stack.
const SCTP_CLIENTS: readonly ClientSpec[] = CLIENTS.map((c) => ({ ...c, sctp: [7000] }));
const docker0Sctp: TopologySpec = {
  bridges: [{ name: "docker0", gateway: "172.17.0.1/16" }],
  containers: [{ name: "c1", bridge: "docker0", addr: "172.17.0.2/16", tcp: [80], sctp: [9000, 9001] }],
  clients: SCTP_CLIENTS,
  host: { tcp: [22], sctp: [7777, 7778] },
};

const dual: TopologySpec = {
  bridges: [{ name: "br-dummy", gateway: "192.168.0.1/24", gateway6: "fd49:efd7:54aa::fe/64" }],
  containers: [{ name: "c1", bridge: "br-dummy", addr: "192.168.0.2/24", addr6: "fd49:efd7:54aa::1/64", tcp: [80, 81], udp: [53] }],
  clients: CLIENTS,
  host: HOST,
};

const dualSctp: TopologySpec = {
  ...dual,
  containers: [{ ...dual.containers[0]!, tcp: [80], udp: [], sctp: [9000] }],
  clients: SCTP_CLIENTS,
  host: { tcp: [22], sctp: [7777] },
};

// ── scenarios ────────────────────────────────────────────────────────────────────────────────────────

type Proto = "tcp" | "udp" | "sctp";
const PROTOS: readonly Proto[] = ["tcp", "udp", "sctp"];

interface Scenario {
  readonly name: string;
  readonly family: Family;
  readonly topology: TopologySpec;
  readonly rules: string;
  /** Published host ports to probe at every client's host address. */
  readonly published: readonly { readonly proto: Proto; readonly port: number }[];
}

const D2010 = read("docker-real/docker20.10-one-published-port.rules");
const D2010_MULTI = read("docker-real/docker20.10-bridge-usernet-internal-published.rules");
const DOC = (v: string, kind = "usernet-portmap") => read(`docker/iptablesdoc_${kind}__docker-${v}.rules`);
const GOLDEN = (f: string) => read(`docker/moby-iptabler-golden_docker-29.0.0_to_master/${f}`);
const user = (lines: readonly string[], declare: readonly string[] = []): Patch => ({ table: "filter", declare, lines });
const ins = (...rules: string[]) => rules.map((r, k) => `-I DOCKER-USER ${k + 1} ${r}`);

const P8080 = [{ proto: "tcp", port: 8080 }] as const;

/** The rules Docker 20.10 adds for `-p 9100:9000/sctp` on docker0 (nat DNAT, filter DOCKER, hairpin, checksum). */
const SCTP_D2010: readonly Patch[] = [
  { table: "filter", lines: ["-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p sctp -m sctp --dport 9000 -j ACCEPT"] },
  { table: "nat", lines: ["-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p sctp -m sctp --dport 9000 -j MASQUERADE", "-A DOCKER ! -i docker0 -p sctp -m sctp --dport 9100 -j DNAT --to-destination 172.17.0.2:9000"] },
  { table: "mangle", lines: ["-A POSTROUTING -p sctp -m sctp --sport 9000 -j CHECKSUM --checksum-fill"] },
];
const PSCTP = [{ proto: "tcp", port: 8080 }, { proto: "sctp", port: 9100 }] as const;
const GOLDEN6 = "hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=false__ip6tables.rules";

const scenarios: Scenario[] = [
  { name: "docker 20.10 real dump, one published port", family: "ipv4", topology: docker0One, rules: D2010, published: P8080 },
  { name: "DOCKER-USER rule inserted before RETURN: -i eth0 ! -s", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-i eth0 ! -s 10.99.0.2/32 -j DROP"))]), published: P8080 },
  { name: "DOCKER-USER rule appended after RETURN (dead)", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(["-A DOCKER-USER -i eth0 ! -s 10.99.0.2/32 -j DROP"])]), published: P8080 },
  { name: "negated source without -i (breaks replies to egress)", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("! -s 10.99.0.0/24 -j DROP"))]), published: P8080 },
  { name: "host port in DOCKER-USER (after DNAT: no effect)", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-p tcp -m tcp --dport 8080 -j DROP"))]), published: P8080 },
  { name: "container port in DOCKER-USER", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-p tcp -m tcp --dport 80 -j DROP"))]), published: P8080 },
  { name: "--ctorigdstport in DOCKER-USER", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-p tcp -m conntrack --ctorigdstport 8080 ! --ctorigsrc 10.99.0.3/32 -j DROP"))]), published: P8080 },
  { name: "iprange allowlist", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-i eth0 -m iprange ! --src-range 10.99.0.2-10.99.0.3 -j DROP"))]), published: P8080 },
  {
    name: "allowlist chain with ESTABLISHED first",
    family: "ipv4",
    topology: docker0One,
    rules: patched(D2010, [
      user(
        [
          ...ins("-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-i eth0 -j ALLOW", "-i eth1 -j ALLOW"),
          "-A ALLOW -s 10.99.0.3/32 -j RETURN",
          "-A ALLOW -s 10.98.0.0/24 -p tcp -j RETURN",
          "-A ALLOW -j DROP",
        ],
        ["ALLOW"],
      ),
    ]),
    published: P8080,
  },
  { name: "REJECT (icmp and tcp-reset)", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-s 10.99.0.4/32 -j REJECT", "-s 10.98.0.3/32 -p tcp -j REJECT --reject-with tcp-reset"))]), published: P8080 },
  { name: "conntrack and state matches", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-m state --state INVALID -j DROP", "-i eth0 -s 10.99.0.4/32 -m conntrack --ctstate NEW -j DROP"))]), published: P8080 },
  { name: "DOCKER-USER drop without ESTABLISHED (kills egress replies)", family: "ipv4", topology: docker0One, rules: patched(D2010, [user(ins("-i eth0 -j DROP"))]), published: P8080 },
  {
    name: "INPUT policy DROP with allowlist and a bypassed port rule",
    family: "ipv4",
    topology: docker0One,
    rules: patched(D2010, [
      {
        table: "filter",
        policy: { INPUT: "DROP" },
        lines: [
          "-A INPUT -i lo -j ACCEPT",
          "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
          "-A INPUT -s 10.99.0.3/32 -p tcp -m tcp --dport 22 -j ACCEPT",
          "-A INPUT -p tcp -m tcp --dport 8080 -j DROP",
          "-A INPUT -i eth1 -p udp -m udp --dport 5000 -j ACCEPT",
          "-A INPUT -p tcp -m multiport --dports 2222,9000 -j REJECT --reject-with tcp-reset",
        ],
      },
    ]),
    published: P8080,
  },
  {
    name: "mangle MARK and mark match",
    family: "ipv4",
    topology: docker0One,
    rules: patched(D2010, [{ table: "mangle", lines: ["-A PREROUTING -i eth1 -j MARK --set-xmark 0x1/0xffffffff"] }, user(ins("-m mark --mark 0x1 -p tcp -j DROP"))]),
    published: P8080,
  },
  {
    // raw PREROUTING sees the connection of a packet looped back through lo, and none of a packet from outside
    name: "raw table: conntrack matches before conntrack, on lo and from outside",
    family: "ipv4",
    topology: docker0One,
    rules: patched(D2010, [
      {
        table: "raw",
        lines: [
          "-A PREROUTING -i lo -p tcp -m tcp --dport 2222 -m conntrack --ctstate NEW -j DROP",
          "-A PREROUTING -p tcp -m conntrack --ctorigdstport 9000 -j DROP",
          "-A PREROUTING -p udp -m conntrack --ctstate INVALID --ctorigdstport 5000 -j DROP",
          "-A OUTPUT -p tcp -m conntrack --ctorigdstport 22 -j DROP",
        ],
      },
    ]),
    published: P8080,
  },
  {
    name: "OUTPUT policy DROP",
    family: "ipv4",
    topology: docker0One,
    rules: patched(D2010, [{ table: "filter", policy: { OUTPUT: "DROP" }, lines: ["-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A OUTPUT -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT"] }]),
    published: P8080,
  },
  {
    name: "docker 20.10 real dump, three networks (internal, loopback-only and host-address-only ports)",
    family: "ipv4",
    topology: docker0Multi,
    rules: D2010_MULTI,
    published: [
      { proto: "tcp", port: 8080 },
      { proto: "tcp", port: 8443 },
      { proto: "tcp", port: 2222 },
      { proto: "tcp", port: 9000 },
      { proto: "udp", port: 5353 },
    ],
  },
  { name: "SCTP: docker 20.10 dump with a port published for SCTP", family: "ipv4", topology: docker0Sctp, rules: patched(D2010, SCTP_D2010), published: PSCTP },
  {
    name: "SCTP: the published port restricted in DOCKER-USER",
    family: "ipv4",
    topology: docker0Sctp,
    rules: patched(D2010, [
      ...SCTP_D2010,
      user(ins("-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-i eth0 -p sctp -m conntrack --ctorigdstport 9100 ! --ctorigsrc 10.99.0.2/32 -j DROP", "-i eth1 -p sctp -m sctp --dport 9000 -j REJECT")),
    ]),
    published: PSCTP,
  },
  { name: "SCTP: a negated source without -i drops the replies", family: "ipv4", topology: docker0Sctp, rules: patched(D2010, [...SCTP_D2010, user(ins("-p sctp ! -s 10.99.0.0/24 -j DROP"))]), published: PSCTP },
  {
    name: "SCTP: INPUT policy DROP, host ports for some sources, SCTP forwarding dropped by protocol",
    family: "ipv4",
    topology: docker0Sctp,
    rules: patched(D2010, [
      ...SCTP_D2010,
      {
        table: "filter",
        policy: { INPUT: "DROP" },
        lines: [
          "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
          "-A INPUT -s 10.99.0.3/32 -p sctp -m sctp --dport 7777 -j ACCEPT",
          "-A INPUT -i eth1 -p sctp -m multiport --dports 7777,7778 -j ACCEPT",
          "-I DOCKER-USER 1 -i eth0 -s 10.99.0.4/32 -p 132 -j DROP",
        ],
      },
    ]),
    published: PSCTP,
  },
  { name: "docker 27.x layout", family: "ipv4", topology: bridge1, rules: DOC("27.x-style"), published: P8080 },
  { name: "docker 28.0.1-28.1.1 layout (per-port raw rule, DOCKER-USER RETURN)", family: "ipv4", topology: bridge1, rules: DOC("28.0.1_to_28.1.1"), published: P8080 },
  { name: "docker 28.0.1-28.1.1 layout, rule appended after RETURN", family: "ipv4", topology: bridge1, rules: patched(DOC("28.0.1_to_28.1.1"), [user(["-A DOCKER-USER -j DROP"])]), published: P8080 },
  { name: "docker 28.2.2-28.5.2 layout", family: "ipv4", topology: bridge1, rules: DOC("28.2.2_to_28.5.2"), published: P8080 },
  { name: "docker 29 layout", family: "ipv4", topology: bridge1, rules: DOC("29.0.0_to_29.7.2+master"), published: P8080 },
  {
    name: "docker 29 layout, DOCKER-USER allowlist by original port",
    family: "ipv4",
    topology: bridge1,
    rules: patched(DOC("29.0.0_to_29.7.2+master"), [
      user([
        "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        "-A DOCKER-USER -i eth0 -p tcp -m conntrack --ctorigdstport 8080 -s 10.99.0.2/32 -j RETURN",
        "-A DOCKER-USER -i eth0 -j DROP",
      ], ["DOCKER-USER"]),
      { table: "filter", lines: ["-I FORWARD 1 -j DOCKER-USER"] },
    ]),
    published: P8080,
  },
  { name: "docker 29 routed gateway mode", family: "ipv4", topology: bridge1, rules: DOC("29.0.0_to_29.7.2+master", "usernet-portmap-routed"), published: [] },
  { name: "docker 29 nat-unprotected gateway mode", family: "ipv4", topology: bridge1, rules: DOC("29.0.0_to_29.7.2+master", "usernet-portmap-natunprot"), published: P8080 },
  { name: "docker 29 internal networks", family: "ipv4", topology: internal, rules: DOC("29.0.0_to_29.7.2+master", "usernet-internal"), published: [] },
  { name: "moby golden (nat mode), IPv4", family: "ipv4", topology: dual, rules: GOLDEN("hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=false__iptables.rules"), published: P8080 },
  { name: "moby golden (nat mode), IPv6", family: "ipv6", topology: dual, rules: GOLDEN("hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=false__ip6tables.rules"), published: P8080 },
  {
    name: "moby golden (nat mode), IPv6 with a DOCKER-USER allowlist",
    family: "ipv6",
    topology: dual,
    rules: patched(GOLDEN("hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=false__ip6tables.rules"), [
      { table: "filter", declare: ["DOCKER-USER"], lines: ["-I FORWARD 1 -j DOCKER-USER", "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-A DOCKER-USER -i eth0 ! -s fd00:99::2/128 -j DROP"] },
    ]),
    published: P8080,
  },
  {
    name: "SCTP: moby golden (nat mode), IPv6, a port published for SCTP and an allowlist for it",
    family: "ipv6",
    topology: dualSctp,
    rules: patched(GOLDEN(GOLDEN6), [
      {
        table: "filter",
        declare: ["DOCKER-USER"],
        lines: [
          "-A DOCKER -d fd49:efd7:54aa::1/128 ! -i br-dummy -o br-dummy -p sctp -m sctp --dport 9000 -j ACCEPT",
          "-I FORWARD 1 -j DOCKER-USER",
          "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
          "-A DOCKER-USER -i eth1 -p sctp ! -s fd00:98::2/128 -j DROP",
        ],
      },
      { table: "nat", lines: ["-A DOCKER ! -s fe80::/10 ! -i br-dummy -p sctp -m sctp --dport 9100 -j DNAT --to-destination [fd49:efd7:54aa::1]:9000"] },
    ]),
    published: PSCTP,
  },
];

// ── probes and predictions ───────────────────────────────────────────────────────────────────────────

const bare = (a: string) => a.split("/")[0]!;

interface Case {
  readonly node: string;
  readonly probe: Probe;
  readonly spec: PacketSpec;
  /** A client's connection from outside: exposure must agree too. */
  readonly fromOutside: boolean;
}

function casesFor(s: Scenario): Case[] {
  const v6 = s.family === "ipv6";
  const t = s.topology;
  const cases: Case[] = [];
  let id = 0;
  const add = (node: string, proto: Proto, src: string, dst: string, port: number, inIf: string | undefined, out: string | undefined, fromOutside: boolean) => {
    const probe: Probe = { id: id++, proto, src, dst, port, timeout: 1500 };
    const spec: PacketSpec = { ...(inIf ? { in: inIf } : {}), ...(out ? { out } : {}), src, dst, proto, dport: port, state: "NEW" };
    cases.push({ node, probe, spec, fromOutside });
  };
  const clientAddrs = (c: ClientSpec) => (v6 ? (c.addrs6 ?? []) : c.addrs).map(bare);
  const hostAddr = (c: ClientSpec) => bare(v6 ? c.hostAddr6! : c.hostAddr);
  const containerAddr = (c: TopologySpec["containers"][number]) => (v6 ? c.addr6 && bare(c.addr6) : bare(c.addr));
  const clientOf = (addr: string) => t.clients.find((c) => clientAddrs(c).includes(addr));
  for (const c of t.clients) {
    const srcs = clientAddrs(c);
    for (const src of srcs) {
      for (const p of s.published) add(c.name, p.proto, src, hostAddr(c), p.port, c.hostIf, undefined, true);
      for (const proto of PROTOS) for (const p of t.host?.[proto] ?? []) add(c.name, proto, src, hostAddr(c), p, c.hostIf, undefined, true);
    }
    // Direct routing to container addresses.
    for (const k of t.containers) {
      const dst = containerAddr(k);
      if (!dst) continue;
      for (const proto of PROTOS) for (const p of k[proto] ?? []) add(c.name, proto, srcs[0]!, dst, p, c.hostIf, undefined, true);
    }
  }
  // Container egress to the clients' servers.
  for (const k of t.containers) {
    const src = containerAddr(k);
    if (!src) continue;
    for (const c of t.clients) {
      const dst = clientAddrs(c)[0]!;
      for (const proto of PROTOS) for (const p of c[proto] ?? []) add(k.name, proto, src, dst, p, k.bridge, c.hostIf, false);
    }
  }
  // The host itself as a client.
  const c0 = t.clients[0]!;
  for (const k of t.containers) {
    const dst = containerAddr(k);
    if (!dst) continue;
    for (const p of k.tcp ?? []) add("host", "tcp", hostAddr(c0), dst, p, undefined, undefined, false);
    for (const p of k.sctp ?? []) add("host", "sctp", hostAddr(c0), dst, p, undefined, undefined, false);
  }
  for (const p of s.published) add("host", p.proto, hostAddr(c0), hostAddr(c0), p.port, undefined, undefined, false);
  // To its own ports: out through OUTPUT and back in through lo, with the connection OUTPUT gave the packet.
  for (const proto of PROTOS) for (const p of t.host?.[proto] ?? []) add("host", proto, hostAddr(c0), hostAddr(c0), p, undefined, undefined, false);
  const dst0 = clientAddrs(c0)[0]!;
  for (const p of c0.tcp ?? []) add("host", "tcp", hostAddr(c0), dst0, p, undefined, clientOf(dst0)?.hostIf, false);
  for (const p of c0.sctp ?? []) add("host", "sctp", hostAddr(c0), dst0, p, undefined, clientOf(dst0)?.hostIf, false);
  return cases;
}

// ── the suite ────────────────────────────────────────────────────────────────────────────────────────

interface Row {
  readonly scenario: string;
  readonly what: string;
  readonly kernel: boolean;
  readonly trace: string;
  readonly exposure: string | null;
  readonly detail: string;
}
const rows: Row[] = [];

function describeCase(c: Case): string {
  return `${c.probe.proto} ${c.probe.src} → ${c.probe.dst}:${c.probe.port} (${c.node}${c.spec.in ? `, in ${c.spec.in}` : ", from the host"})`;
}


describe.skipIf(!kernelAvailable)("the packet model agrees with the kernel", () => {
  afterAll(() => {
    if (rows.length === 0) return;
    const traceAgree = rows.filter((r) => (r.trace === "open") === r.kernel && r.trace !== "unknown").length;
    const withExposure = rows.filter((r) => r.exposure !== null);
    const expAgree = withExposure.filter((r) => (r.exposure === "open") === r.kernel && r.exposure !== "maybe").length;
    const opened = rows.filter((r) => r.kernel).length;
    const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : "100.0");
    console.log(
      `\nKernel agreement (${scenarios.length} rulesets, ${rows.length} real connections, ${opened} open / ${rows.length - opened} closed):\n` +
        `  fwlint trace:    ${traceAgree}/${rows.length} (${pct(traceAgree, rows.length)}%)\n` +
        `  fwlint exposure: ${expAgree}/${withExposure.length} (${pct(expAgree, withExposure.length)}%) of the connections from outside\n` +
        `  by protocol:     ${PROTOS.map((p) => {
          const mine = rows.filter((r) => r.what.startsWith(`${p} `));
          return `${p} ${mine.length} (${mine.filter((r) => r.kernel).length} open)`;
        }).join(", ")}`,
    );
    const bad = rows.filter((r) => (r.trace === "open") !== r.kernel || r.trace === "unknown" || (r.exposure !== null && (r.exposure === "open") !== r.kernel));
    for (const r of bad) console.log(`  DISAGREE ${r.scenario}: ${r.what}: kernel ${r.kernel ? "open" : "closed"} (${r.detail}), trace ${r.trace}, exposure ${r.exposure ?? "-"}`);
  });

  for (const s of scenarios) {
    it(s.name, async () => {
      const topo = await Topology.build(s.topology);
      try {
        topo.restore(s.rules, s.family);
        const local = topo.hostAddresses().filter((a) => (s.family === "ipv6") === a.includes(":"));
        const ruleset = parse(s.rules, { family: s.family });
        const model = new Model(ruleset, { local, interfaces: ["eth0", "eth1"] });
        const items = computeExposure(model);
        const cases = casesFor(s);
        const byNode = new Map<string, Case[]>();
        for (const c of cases) byNode.set(c.node, [...(byNode.get(c.node) ?? []), c]);
        const results = new Map<number, ProbeResult>();
        await Promise.all([...byNode].map(async ([node, cs]) => (await topo.probe(node, cs.map((c) => c.probe))).forEach((r) => results.set(r.id, r))));
        const problems: string[] = [];
        for (const c of cases) {
          const kernel = results.get(c.probe.id)!;
          const t = trace(model, c.spec).result;
          const predicted = t.connection ?? (t.verdict === "ACCEPT" ? "open" : t.verdict === "UNKNOWN" ? "unknown" : "closed");
          const exposure = c.fromOutside ? exposureSays(items, model, c.probe, c.spec, s.family) : null;
          rows.push({ scenario: s.name, what: describeCase(c), kernel: kernel.open, trace: predicted, exposure, detail: kernel.detail });
          if ((predicted === "open") !== kernel.open || predicted === "unknown") problems.push(`${describeCase(c)}: kernel ${kernel.open ? "open" : `closed (${kernel.detail})`}, trace ${predicted} ${JSON.stringify(t.path.map((p) => `${p.table}/${p.chain}:${p.line ?? "policy"}→${p.target}`))} reply ${t.reply?.verdict} ${JSON.stringify(t.reply?.path.map((p) => `${p.chain}:${p.line ?? "policy"}→${p.target}`))} followup ${t.followup?.verdict}`);
          if (exposure !== null && (exposure === "open") !== kernel.open) problems.push(`${describeCase(c)}: kernel ${kernel.open ? "open" : "closed"}, exposure ${exposure}`);
        }
        expect(problems, problems.join("\n")).toEqual([]);
      } finally {
        topo.dispose();
      }
    }, 120_000);
  }

  it("fwlint trace --packets gives the same answers in a batch", async () => {
    const s = scenarios[1]!;
    const cases = casesFor(s);
    const packets = cases.map((c) => JSON.stringify({ in: c.spec.in ?? null, out: c.spec.out ?? null, src: c.spec.src, dst: c.spec.dst, proto: c.spec.proto, dport: c.spec.dport, state: "NEW" })).join("\n");
    const root = makeTree({ "rules.v4": s.rules, "packets.jsonl": packets });
    const local = ["10.99.0.1/24", "10.98.0.1/24", "172.17.0.1"];
    const r = await runCli(["trace", "rules.v4", "--packets", "packets.jsonl", ...local.flatMap((a) => ["--local", a])], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { connection: string | null; verdict: string });
    expect(lines.length).toBe(cases.length);
    const model = new Model(parse(s.rules), { local, interfaces: ["eth0", "eth1"] });
    cases.forEach((c, k) => expect(lines[k]!.connection, describeCase(c)).toBe(trace(model, c.spec).result.connection));
  });

});

describe.skipIf(kernelAvailable)("kernel agreement (skipped)", () => {
  it("needs root, iptables and iproute2", () => {
    console.log(`kernel agreement tests skipped: ${kernelSkipReason}`);
  });
});
