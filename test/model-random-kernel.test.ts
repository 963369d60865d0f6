/**
 * The packet model against the kernel on random rulesets. Each seed writes a filter table for a host with
 * TCP and UDP servers: INPUT and OUTPUT rules (and two user chains reached by -j and -g) built from source
 * and destination prefixes and negations, address ranges, ports, port ranges and multiport lists, TCP flags,
 * conntrack and state states and --ctproto, the loopback interface, address types, marks and connection
 * marks set in mangle and original destinations after nat's REDIRECT and DNAT between the host's ports,
 * ACCEPT, DROP, REJECT and RETURN, over either policy; raw may untrack some connections on the way in, on
 * the way out or both (src/model/conntrack.ts). The real
 * iptables-restore loads it into a throw-away namespace, a client on three addresses connects to every port
 * and the host to the client's, and `fwlint trace` must predict every outcome: open or closed, as the kernel decides; `fwlint exposure`
 * must list every source that got through (and may list more: it holds for some source port). A second topology
 * routes to a container behind docker0: random FORWARD rules (TCP flags, conntrack's reply addresses too),
 * ports nat publishes (or not, and then the host's own server answers), MASQUERADE, connections to the
 * container untracked in raw, and a client connecting to the container directly and through the host. The hand-written scenarios of kernel-model.test.ts check what fwlint was built for; these look for
 * what nobody thought of. FWLINT_RANDOM_SEEDS=N runs N rulesets (a longer search by hand), =A-B the seeds A
 * to B. Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { rng } from "../scripts/bench/generate.mjs";
import type { Family } from "../src/ast/iptables.js";
import { computeExposure } from "../src/model/exposure.js";
import { Model, type ModelOptions } from "../src/model/model.js";
import { trace, type PacketSpec } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";
import { exposureSays } from "./support/exposure.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type ProbeResult, type TopologySpec } from "./support/topology.js";

const HOST = "10.99.0.1";
const CLIENTS = ["10.99.0.2", "10.99.0.3", "10.99.0.4"];
const TCP = [22, 80, 443, 8080];
const UDP = [53, 5353];
/** The client's servers, for the host's own connections. */
const CL_TCP = [7000, 7001];
const CL_UDP = [7002];

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: `${HOST}/24`, addrs: CLIENTS.map((a) => `${a}/24`), tcp: CL_TCP, udp: CL_UDP }],
  host: { tcp: TCP, udp: UDP },
};

const HOST6 = "fd00:99::1";
const CLIENTS6 = ["fd00:99::2", "fd00:99::3", "fd00:99::4"];
const TOPOLOGY6: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: `${HOST}/24`, hostAddr6: `${HOST6}/64`, addrs: CLIENTS.map((a) => `${a}/24`), addrs6: CLIENTS6.map((a) => `${a}/64`), tcp: CL_TCP, udp: CL_UDP }],
  host: { tcp: TCP, udp: UDP },
};

/**
 * The seed's IPv4 ruleset for ip6tables: the same rules on fd00:99::/64 (10.99.0.N is fd00:99::N, prefixes
 * grow by 96), with ICMPv6 accepted first in INPUT and OUTPUT. Without neighbour discovery nothing connects
 * at all (neighbor-discovery-blocked's business, not the trace's).
 */
function randomRuleset6(seed: number): string {
  const v6 = (a: string) => `fd00:99::${a.split(".")[3]}`;
  return randomRuleset(seed)
    .replace(/192\.0\.2\.0\/24/g, "2001:db8::/120")
    .replace(/(10\.99\.0\.\d+):(\d+)/g, (_, a: string, port: string) => `[${v6(a)}]:${port}`)
    .replace(/10\.99\.0\.\d+(?:\/(\d+))?/g, (m: string, len?: string) => `${v6(m.split("/")[0]!)}${len ? `/${Number(len) + 96}` : ""}`)
    .replace(/-m addrtype (! )?--dst-type BROADCAST/g, "-m addrtype $1--dst-type MULTICAST")
    .replace(/(:deny - \[0:0\]\n)/, "$1-A INPUT -p ipv6-icmp -j ACCEPT\n-A OUTPUT -p ipv6-icmp -j ACCEPT\n");
}


/**
 * One rule's conditions as one text with a single -p: the first condition that names a protocol keeps its
 * `-p`, a later one of the same protocol loses it, and one of another protocol is left out.
 */
function oneProtocol(parts: readonly string[]): string {
  let proto: string | null = null;
  const out: string[] = [];
  for (const part of parts) {
    const p = /-p (\w+) ?/.exec(part);
    if (!p) out.push(part);
    else if (proto === null) {
      proto = p[1]!;
      out.push(part);
    } else if (p[1] === proto) out.push(part.replace(p[0], ""));
  }
  return out.filter((x) => x !== "").join(" ");
}

/** One random ruleset for seed `seed`. */
function randomRuleset(seed: number): string {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const chance = (p: number) => r() < p;
  const neg = (p = 0.25) => (chance(p) ? "! " : "");

  const address = () => {
    const c = pick(CLIENTS);
    return pick([`${c}/32`, `${c}/31`, "10.99.0.0/30", "10.99.0.4/30", "10.99.0.0/24", "192.0.2.0/24"]);
  };
  const ports = (proto: "tcp" | "udp") => {
    const list = proto === "tcp" ? TCP : UDP;
    const p = pick(list);
    switch (Math.floor(r() * 5)) {
      case 0:
        return `-p ${proto} -m ${proto} ${neg(0.2)}--dport ${p}`;
      case 4:
        // the replies to the host's own connections
        return `-p ${proto} -m ${proto} ${neg(0.2)}--sport ${pick(proto === "tcp" ? CL_TCP : CL_UDP)}`;
      case 1:
        return `-p ${proto} -m ${proto} --dport ${Math.max(1, p - Math.floor(r() * 60))}:${p + Math.floor(r() * 400)}`;
      case 2: {
        const set = [...new Set([p, pick(list), pick(list)])].sort((a, b) => a - b);
        return `-p ${proto} -m multiport ${neg(0.2)}--dports ${set.join(",")}`;
      }
      default:
        return `-p ${proto}`;
    }
  };
  /** Conditions of one rule (some rules have none). */
  const conditions = (inChain: "INPUT" | "OUTPUT" | "user"): string => {
    const out: string[] = [];
    const n = Math.floor(r() * 3);
    const used = new Set<string>();
    for (let k = 0; k < n; k++) {
      const kind = pick(["src", "dst", "range", "ports", "flags", "state", "oldstate", "ctproto", "connmark", "iface", "addrtype", ...(inChain === "OUTPUT" ? [] : ["mark", "ctorig"])]);
      if (used.has(kind)) continue;
      used.add(kind);
      const dir = inChain === "OUTPUT" ? "d" : "s";
      switch (kind) {
        case "src":
          out.push(`${neg()}-${dir} ${address()}`);
          break;
        case "dst":
          // the host's own address (or its network's broadcast, or a client's) on the other side
          out.push(`${neg()}-${dir === "s" ? "d" : "s"} ${pick([`${HOST}/32`, `${HOST}/32`, "10.99.0.0/24", "10.99.0.255/32", `${pick(CLIENTS)}/32`])}`);
          break;
        case "flags":
          // TCP flags of the handshake (masks without PSH, FIN and URG: the model's packets are the SYN, the
          // SYN-ACK and the client's ACK, and the echoed data must fare as that ACK does)
          out.push(
            chance(0.4)
              ? `-p tcp -m tcp ${neg(0.3)}--syn`
              : `-p tcp -m tcp ${neg(0.2)}--tcp-flags ${pick(["SYN,ACK SYN", "SYN,ACK ACK", "SYN,ACK SYN,ACK", "SYN,RST,ACK SYN", "ACK ACK", "SYN NONE", "RST RST", "SYN,RST SYN"])}`,
          );
          break;
        case "oldstate":
          out.push(`-m state ${neg(0.15)}--state ${pick(["NEW", "ESTABLISHED", "RELATED,ESTABLISHED", "INVALID", "UNTRACKED", "NEW,UNTRACKED"])}`);
          break;
        case "ctproto":
          out.push(`-m conntrack ${neg(0.2)}--ctproto ${pick(["tcp", "udp"])}`);
          break;
        case "connmark":
          out.push(`-m connmark ${neg(0.2)}--mark ${pick(["0x1", "0x2", "0x1/0x1", "0x0/0x3"])}`);
          break;
        case "range": {
          const a = pick(CLIENTS);
          out.push(`-m iprange ${neg(0.2)}--${dir === "s" ? "src" : "dst"}-range ${a}-${pick(CLIENTS.filter((c) => c >= a))}`);
          break;
        }
        case "ports":
          if (inChain === "OUTPUT") {
            const proto = pick(["tcp", "udp"] as const);
            // replies of the host's servers, or the host's own connections to the client's
            if (chance(0.5)) out.push(`-p ${proto} -m ${proto} ${neg(0.2)}--sport ${pick(proto === "tcp" ? TCP : UDP)}`);
            else out.push(`-p ${proto} -m ${proto} ${neg(0.2)}--dport ${pick(proto === "tcp" ? CL_TCP : CL_UDP)}`);
          } else out.push(ports(pick(["tcp", "udp"])));
          break;
        case "state":
          out.push(`-m conntrack ${neg(0.15)}--ctstate ${pick(["NEW", "ESTABLISHED", "RELATED,ESTABLISHED", "INVALID", "NEW,ESTABLISHED", "UNTRACKED", "INVALID,UNTRACKED"])}`);
          break;
        case "iface":
          out.push(inChain === "OUTPUT" ? `${neg(0.5)}-o lo` : `${neg(0.5)}-i ${pick(["lo", "eth0", "eth+"])}`);
          break;
        case "mark":
          out.push(`-m mark ${neg(0.2)}--mark ${pick(["0x1", "0x2", "0x1/0x1", "0x0/0xff"])}`);
          break;
        case "ctorig":
          out.push(pick([`-m conntrack ${neg(0.2)}--ctorigdstport ${pick(TCP)}`, `-m conntrack ${neg(0.2)}--ctstate DNAT`, `-m conntrack --ctorigdst ${HOST}/32`]));
          break;
        case "addrtype":
          out.push(`-m addrtype ${neg(0.2)}--dst-type ${pick(["LOCAL", "UNICAST", "BROADCAST"])}`);
          break;
      }
    }
    return oneProtocol(out);
  };
  const verdict = (user: boolean, proto: string | null): string => {
    const v = pick(user ? ["ACCEPT", "DROP", "RETURN", "REJECT", "ACCEPT"] : ["ACCEPT", "DROP", "REJECT", "ACCEPT", "jump", "goto"]);
    if (v === "REJECT") return proto === "tcp" && chance(0.5) ? "-j REJECT --reject-with tcp-reset" : "-j REJECT";
    if (v === "jump") return `-j ${pick(["allow", "deny"])}`;
    if (v === "goto") return `-g ${pick(["allow", "deny"])}`;
    return `-j ${v}`;
  };
  const rule = (chain: string, where: "INPUT" | "OUTPUT" | "user") => {
    const cond = conditions(where);
    const proto = /-p (tcp|udp)/.exec(cond)?.[1] ?? null;
    let target = verdict(where === "user", proto);
    if (where === "OUTPUT" && /-[jg] (allow|deny)/.test(target)) target = "-j ACCEPT";
    if (/tcp-reset/.test(target) && proto !== "tcp") target = "-j REJECT";
    return `-A ${chain} ${cond ? `${cond} ` : ""}${target}`.replace(/ {2,}/g, " ");
  };

  const lines = ["*filter", `:INPUT ${pick(["ACCEPT", "DROP", "DROP"])} [0:0]`, ":FORWARD DROP [0:0]", `:OUTPUT ${pick(["ACCEPT", "ACCEPT", "DROP"])} [0:0]`, ":allow - [0:0]", ":deny - [0:0]"];
  if (chance(0.6)) lines.push("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
  for (let k = 3 + Math.floor(r() * 8); k > 0; k--) lines.push(rule("INPUT", "INPUT"));
  if (chance(0.7)) lines.push("-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
  for (let k = Math.floor(r() * 4); k > 0; k--) lines.push(rule("OUTPUT", "OUTPUT"));
  for (const c of ["allow", "deny"]) for (let k = 1 + Math.floor(r() * 3); k > 0; k--) lines.push(rule(c, "user"));
  lines.push("COMMIT");
  // marks from mangle PREROUTING, by source address; connection marks of the client's connections (set on
  // their first packet) and of the host's own (set in OUTPUT)
  const mangle: string[] = [];
  if (chance(0.4)) for (let k = 1 + Math.floor(r() * 3); k > 0; k--) mangle.push(`-A PREROUTING ${neg(0.2)}-s ${address()} -j MARK --set-xmark ${pick(["0x1/0xffffffff", "0x2/0xffffffff", "0x1/0x1", "0x3/0x2"])}`);
  if (chance(0.3)) {
    for (let k = 1 + Math.floor(r() * 2); k > 0; k--) {
      const cond = chance(0.5) ? `-m conntrack --ctstate NEW ` : "";
      mangle.push(`-A ${pick(["PREROUTING", "PREROUTING", "OUTPUT"])} ${neg(0.2)}-${chance(0.5) ? "s" : "d"} ${address()} ${cond}-j CONNMARK --set-xmark ${pick(["0x1/0xffffffff", "0x2/0xffffffff", "0x1/0x1"])}`);
    }
  }
  if (mangle.length) lines.push("*mangle", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ...mangle, "COMMIT");
  // connections left untracked in raw: the client's to some ports, maybe the replies too, the host's own
  if (chance(0.35)) {
    lines.push("*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]");
    for (let k = 1 + Math.floor(r() * 2); k > 0; k--) {
      const proto = pick(["tcp", "udp", "udp"] as const);
      const port = pick(proto === "tcp" ? TCP : UDP);
      const notrack = chance(0.5) ? "-j NOTRACK" : "-j CT --notrack";
      const src = chance(0.3) ? `-s ${address()} ` : "";
      // TCP: the whole connection, or some of its packets by their flags (the SYN alone, the client's ACK and
      // later packets; the SYN-ACK alone, the server's data)
      const inFlags = proto === "tcp" ? pick(["", "", "", "--syn ", "--tcp-flags SYN,ACK ACK "]) : "";
      lines.push(`-A PREROUTING ${src}-p ${proto} -m ${proto} --dport ${port} ${inFlags}${notrack}`);
      if (chance(0.5)) lines.push(`-A OUTPUT -p ${proto} -m ${proto} --sport ${port} ${proto === "tcp" ? pick(["", "", "--tcp-flags SYN,ACK SYN,ACK ", "--tcp-flags SYN,ACK ACK "]) : ""}${notrack}`);
    }
    if (chance(0.3)) lines.push(`-A OUTPUT -p udp -m udp --dport ${pick(CL_UDP)} -j NOTRACK`);
    lines.push("COMMIT");
  }
  // the host's ports redirected to one another in nat PREROUTING (every TCP port has a server)
  if (chance(0.5)) {
    lines.push("*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]");
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
      const from = pick(TCP);
      const to = pick(TCP.filter((p) => p !== from));
      const cond = chance(0.4) ? `${neg(0.2)}-s ${address()} ` : "";
      lines.push(`-A PREROUTING ${cond}-p tcp -m tcp --dport ${from} ${chance(0.5) ? `-j REDIRECT --to-ports ${to}` : `-j DNAT --to-destination ${HOST}:${to}`}`);
    }
    lines.push("COMMIT");
  }
  lines.push("");
  return lines.join("\n");
}

const CONTAINER = "172.17.0.2";
const C_TCP = [80, 8080];
const C_UDP = [53];
/** Ports of the host that nat may publish: TCP to the container's 80 and 8080, UDP to its 53. */
const PUBLISHED: readonly (readonly ["tcp" | "udp", number, number])[] = [
  ["tcp", 9080, 80],
  ["tcp", 9443, 8080],
  ["udp", 9053, 53],
];

const ROUTED: TopologySpec = {
  bridges: [{ name: "docker0", gateway: "172.17.0.1/16" }],
  containers: [{ name: "c1", bridge: "docker0", addr: `${CONTAINER}/16`, tcp: C_TCP, udp: C_UDP }],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: `${HOST}/24`, addrs: CLIENTS.map((a) => `${a}/24`), tcp: [], udp: [] }],
  // a port nat does not publish reaches the host: a server answers there too (the model knows no listeners)
  host: { tcp: PUBLISHED.filter(([p]) => p === "tcp").map(([, port]) => port), udp: PUBLISHED.filter(([p]) => p === "udp").map(([, port]) => port) },
};

/**
 * One random ruleset of a host that routes to a container behind docker0: FORWARD rules (interfaces,
 * addresses, ports, conntrack states and original destinations, user chains), ports published by DNAT in nat
 * PREROUTING (some for some sources only), MASQUERADE of what leaves through eth0 or enters docker0.
 */
function randomForwardRuleset(seed: number): string {
  const r = rng(seed * 7 + 1000);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const chance = (p: number) => r() < p;
  const neg = (p = 0.25) => (chance(p) ? "! " : "");
  const conditions = (): string => {
    const out: string[] = [];
    const used = new Set<string>();
    for (let n = Math.floor(r() * 3); n > 0; n--) {
      const kind = pick(["in", "out", "src", "dst", "ports", "flags", "state", "oldstate", "orig", "ctaddr"]);
      if (used.has(kind)) continue;
      used.add(kind);
      switch (kind) {
        case "in":
          out.push(`${neg(0.3)}-i ${pick(["eth0", "docker0", "eth+"])}`);
          break;
        case "out":
          out.push(`${neg(0.3)}-o ${pick(["eth0", "docker0"])}`);
          break;
        case "src":
          out.push(`${neg()}-s ${pick([`${pick(CLIENTS)}/32`, "10.99.0.2/31", "10.99.0.0/24", "172.17.0.0/16", `${CONTAINER}/32`])}`);
          break;
        case "dst":
          out.push(`${neg()}-d ${pick([`${CONTAINER}/32`, "172.17.0.0/16", `${HOST}/32`, "10.99.0.0/24"])}`);
          break;
        case "ports": {
          const proto = pick(["tcp", "tcp", "udp"] as const);
          const ports = proto === "tcp" ? C_TCP : C_UDP;
          out.push(chance(0.7) ? `-p ${proto} -m ${proto} ${neg(0.2)}--${chance(0.8) ? "dport" : "sport"} ${pick(ports)}` : `-p ${proto} -m multiport --ports ${pick(ports)},${pick(PUBLISHED)[1]}`);
          break;
        }
        case "state":
          out.push(`-m conntrack ${neg(0.15)}--ctstate ${pick(["NEW", "ESTABLISHED", "RELATED,ESTABLISHED", "DNAT", "SNAT", "NEW,DNAT"])}`);
          break;
        case "orig":
          out.push(pick([`-m conntrack --ctorigdstport ${pick(PUBLISHED)[1]}`, `-m conntrack ${neg(0.2)}--ctorigdst ${HOST}/32`, `-m conntrack --ctdir ${pick(["ORIGINAL", "REPLY"])}`]));
          break;
        case "flags":
          out.push(chance(0.4) ? `-p tcp -m tcp ${neg(0.3)}--syn` : `-p tcp -m tcp ${neg(0.2)}--tcp-flags ${pick(["SYN,ACK SYN", "SYN,ACK ACK", "SYN,ACK SYN,ACK", "ACK ACK", "SYN NONE"])}`);
          break;
        case "oldstate":
          out.push(`-m state ${neg(0.15)}--state ${pick(["NEW", "ESTABLISHED", "RELATED,ESTABLISHED", "INVALID", "UNTRACKED"])}`);
          break;
        case "ctaddr":
          out.push(
            pick([
              `-m conntrack ${neg(0.2)}--ctorigsrc ${pick(CLIENTS)}/32`,
              `-m conntrack ${neg(0.2)}--ctreplsrc ${CONTAINER}/32`,
              `-m conntrack ${neg(0.2)}--ctrepldst ${pick(CLIENTS)}/32`,
              `-m conntrack ${neg(0.2)}--ctproto ${pick(["tcp", "udp"])}`,
            ]),
          );
          break;
      }
    }
    return oneProtocol(out);
  };
  const rule = (chain: string, user: boolean) => {
    const cond = conditions();
    const v = pick(user ? ["ACCEPT", "DROP", "RETURN", "REJECT"] : ["ACCEPT", "ACCEPT", "DROP", "REJECT", "jump", "goto"]);
    const target = v === "jump" ? `-j ${pick(["fw-a", "fw-b"])}` : v === "goto" ? `-g ${pick(["fw-a", "fw-b"])}` : `-j ${v}`;
    return `-A ${chain} ${cond ? `${cond} ` : ""}${target}`;
  };
  const lines = ["*filter", ":INPUT ACCEPT [0:0]", `:FORWARD ${pick(["ACCEPT", "DROP", "DROP"])} [0:0]`, ":OUTPUT ACCEPT [0:0]", ":fw-a - [0:0]", ":fw-b - [0:0]"];
  if (chance(0.6)) lines.push("-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
  for (let k = 2 + Math.floor(r() * 7); k > 0; k--) lines.push(rule("FORWARD", false));
  for (const c of ["fw-a", "fw-b"]) for (let k = 1 + Math.floor(r() * 3); k > 0; k--) lines.push(rule(c, true));
  lines.push("COMMIT", "*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]");
  for (const [proto, from, to] of PUBLISHED) {
    if (!chance(0.7)) continue;
    const cond = chance(0.3) ? `${neg(0.3)}-s ${pick(CLIENTS)}/32 ` : "";
    lines.push(`-A PREROUTING ${cond}-d ${HOST}/32 -p ${proto} -m ${proto} --dport ${from} -j DNAT --to-destination ${CONTAINER}:${to}`);
  }
  // Docker's own rule: it also tells fwlint that docker0 holds 172.17.0.0/16 (how it routes to the container)
  lines.push("-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE");
  if (chance(0.3)) lines.push(`-A POSTROUTING ${chance(0.5) ? "-s 10.99.0.3/32 " : ""}-o docker0 -j MASQUERADE`);
  lines.push("COMMIT");
  // connections to the container left untracked in raw (their replies too, or not): no NAT for them either
  if (chance(0.3)) {
    lines.push("*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]");
    for (let k = 1 + Math.floor(r() * 2); k > 0; k--) {
      const [proto, port] = pick([["tcp", 80], ["tcp", 8080], ["udp", 53], ["udp", 53]] as const);
      const src = chance(0.4) ? `-s ${pick(CLIENTS)}/32 ` : "";
      const inFlags = proto === "tcp" ? pick(["", "", "", "--syn ", "--tcp-flags SYN,ACK ACK "]) : "";
      lines.push(`-A PREROUTING -i eth0 ${src}-p ${proto} -m ${proto} --dport ${port} ${inFlags}-j NOTRACK`);
      if (chance(0.5)) lines.push(`-A PREROUTING -i docker0 -p ${proto} -m ${proto} --sport ${port} ${proto === "tcp" ? pick(["", "", "--tcp-flags SYN,ACK SYN,ACK ", "--tcp-flags SYN,ACK ACK "]) : ""}-j CT --notrack`);
    }
    lines.push("COMMIT");
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * FWLINT_RANDOM_SEEDS: how many (from seed 1), a range "from-to", or a list of seeds and ranges
 * ("75,100,171-173", to look at some seeds again).
 */
function seeds(spec = "24"): number[] {
  if (spec.includes(",")) return spec.split(",").flatMap((part) => (part.includes("-") ? seeds(part) : [Number(part)]));
  const [from, to] = spec.includes("-") ? spec.split("-").map(Number) : [1, Number(spec)];
  return Array.from({ length: to! - from! + 1 }, (_, k) => from! + k);
}
const SEEDS = seeds(process.env.FWLINT_RANDOM_SEEDS);

/** The host's one link: its packets to the client leave through eth0, and the replies come in there. */
const HOST_OPTIONS: ModelOptions = { interfaces: ["eth0"], external: ["eth0"] };

/** The client's connections to every port of the host, from each of its addresses, and the host's own to the client's. */
function hostAttempts(host: string, clients: readonly string[], sport: () => number): Attempt[] {
  const out: Attempt[] = [];
  let id = 0;
  for (const src of clients) {
    for (const [proto, list] of [["tcp", TCP], ["udp", UDP]] as const) {
      for (const port of list) {
        const probe: Probe = { id: id++, proto, src, dst: host, port, sport: sport(), timeout: 700 };
        out.push({ probe, spec: { in: "eth0", src, dst: host, proto, sport: probe.sport!, dport: port } });
      }
    }
  }
  for (const dst of clients) {
    for (const [proto, list] of [["tcp", CL_TCP], ["udp", CL_UDP]] as const) {
      for (const port of list) {
        const probe: Probe = { id: id++, proto, src: host, dst, port, sport: sport(), timeout: 700 };
        out.push({ node: "host", probe, spec: { src: host, dst, proto, sport: probe.sport!, dport: port } });
      }
    }
  }
  return out;
}

interface Tally {
  compared: number;
  unknown: number;
  opened: number;
  /** Connections from outside whose outcome `fwlint exposure` was asked about, and of those it left "maybe". */
  exposed: number;
  /** The connections exposure answered "maybe" for (no unknown matches here: it should know). */
  readonly maybe: string[];
  /** Connections the kernel refused from their source port that exposure lists (open from another one). */
  otherPorts: number;
  readonly problems: string[];
}

/** A connection to try, and the packet fwlint trace is asked about. */
interface Attempt {
  /** Where the connection starts: the client (default) or the host. */
  readonly node?: "cl1" | "host";
  readonly probe: Probe;
  readonly spec: PacketSpec;
}

/**
 * Load each seed's ruleset into the topology, make the attempts, and compare the kernel's outcomes with the
 * model's. Each attempt has a source port not used before in the run: a connection of an earlier ruleset
 * (its conntrack entry and NAT binding outlive the ruleset) cannot be taken up again.
 */
async function compare(topology: TopologySpec, make: (seed: number) => string, attempts: (sport: () => number) => Attempt[], options: ModelOptions, family: Family = "ipv4"): Promise<Tally> {
  const topo = await Topology.build(topology);
  const tally: Tally = { compared: 0, unknown: 0, opened: 0, exposed: 0, maybe: [], otherPorts: 0, problems: [] };
  let sportsUsed = 0;
  const sport = () => 20000 + ((sportsUsed++ * 7919) % 30000);
  try {
    for (const seed of SEEDS) {
      const text = make(seed);
      topo.restore(text, family);
      const local = topo.hostAddresses().filter((a) => a.includes(":") === (family === "ipv6"));
      const model = new Model(parse(text, { family }), { local, ...options });
      const tries = attempts(sport);
      const byId = new Map<number, ProbeResult>();
      for (const node of ["cl1", "host"] as const) {
        const mine = tries.filter((a) => (a.node ?? "cl1") === node).map((a) => a.probe);
        if (mine.length) for (const r of await topo.probe(node, mine)) byId.set(r.id, r);
      }
      const results = tries.map((a) => byId.get(a.probe.id)!);
      const items = computeExposure(model);
      tries.forEach((a, k) => {
        const kernel = results[k]!;
        const p = a.probe;
        // what exposure says of every connection from outside (no unknown matches here, so never "maybe"): a
        // source opens a port there when it can from some source port, so a connection the kernel let through
        // must be listed, and one it refused may still be (another source port, such as one the rules name)
        if ((a.node ?? "cl1") === "cl1") {
          const exposure = exposureSays(items, model, p, a.spec, family);
          tally.exposed++;
          if (exposure === "maybe") tally.maybe.push(`seed ${seed}: ${p.proto} ${p.src} → ${p.dst}:${p.port}: kernel ${kernel.open ? "open" : "closed"}, exposure maybe\n${text}`);
          else if (kernel.open && exposure !== "open") tally.problems.push(`seed ${seed}: ${p.proto} ${p.src} → ${p.dst}:${p.port}: kernel open, exposure ${exposure}\n${text}`);
          else if (!kernel.open && exposure === "open") tally.otherPorts++;
        }
        const t = trace(model, a.spec).result;
        const predicted = t.connection ?? (t.verdict === "ACCEPT" ? "open" : t.verdict === "UNKNOWN" ? "unknown" : "closed");
        if (predicted === "unknown") {
          tally.unknown++;
          return;
        }
        tally.compared++;
        if (kernel.open) tally.opened++;
        if ((predicted === "open") !== kernel.open) tally.problems.push(`seed ${seed}: ${p.proto} ${p.src}:${p.sport} → ${p.dst}:${p.port}: kernel ${kernel.open ? "open" : `closed (${kernel.detail})`}, trace ${predicted}\n${text}`);
      });
    }
  } finally {
    topo.dispose();
  }
  return tally;
}

function expectAgreement(what: string, t: Tally) {
  console.log(`${what}, ${SEEDS.length} random rulesets: ${t.compared} connections compared (${t.opened} open in the kernel), ${t.unknown} the model leaves unknown; exposure asked of ${t.exposed}, "maybe" for ${t.maybe.length}, open from another source port for ${t.otherPorts}; ${t.problems.length} disagreements`);
  expect(t.problems, t.problems.slice(0, 3).join("\n\n")).toEqual([]);
  expect(t.maybe, t.maybe.slice(0, 3).join("\n\n")).toEqual([]);
  // both outcomes are common: the rulesets exercise the rules rather than a policy
  expect(t.opened).toBeGreaterThan(t.compared / 5);
  expect(t.opened).toBeLessThan((t.compared * 4) / 5);
  // the rulesets must leave the model something to say: nearly every connection has a definite answer
  expect(t.unknown).toBeLessThan(t.compared / 10);
  expect(t.compared).toBeGreaterThan(SEEDS.length * 10);
}

describe.skipIf(!kernelAvailable)("the packet model against the kernel on random rulesets", () => {
  it(`agrees on every connection to the host, ${SEEDS.length} rulesets`, async () => {
    expectAgreement("the host", await compare(TOPOLOGY, randomRuleset, (sport) => hostAttempts(HOST, CLIENTS, sport), HOST_OPTIONS));
  }, 600_000);

  it(`agrees on every connection to the host over IPv6, ${SEEDS.length} rulesets`, async () => {
    expectAgreement("the host over IPv6", await compare(TOPOLOGY6, randomRuleset6, (sport) => hostAttempts(HOST6, CLIENTS6, sport), HOST_OPTIONS, "ipv6"));
  }, 600_000);

  it(`agrees on every connection routed to a container, directly or by a published port, ${SEEDS.length} rulesets`, async () => {
    const tally = await compare(ROUTED, randomForwardRuleset, (sport) => {
      const out: Attempt[] = [];
      let id = 0;
      for (const src of CLIENTS) {
        for (const [proto, port] of [["tcp", 80], ["tcp", 8080], ["udp", 53]] as const) {
          const probe: Probe = { id: id++, proto, src, dst: CONTAINER, port, sport: sport(), timeout: 700 };
          out.push({ probe, spec: { in: "eth0", src, dst: CONTAINER, proto, sport: probe.sport!, dport: port } });
        }
        for (const [proto, port] of PUBLISHED) {
          const probe: Probe = { id: id++, proto, src, dst: HOST, port, sport: sport(), timeout: 700 };
          out.push({ probe, spec: { in: "eth0", src, dst: HOST, proto, sport: probe.sport!, dport: port } });
        }
      }
      return out;
    }, { interfaces: ["eth0", "docker0"], external: ["eth0"] });
    expectAgreement("routed", tally);
  }, 600_000);
});

describe.skipIf(kernelAvailable)("the packet model against the kernel on random rulesets", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
