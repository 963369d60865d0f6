/**
 * What the model knows about the host: its own addresses, its bridges and their subnets, the containers
 * behind them. Bridges and containers come from Docker's rules (`dockerBridges`); the host's addresses
 * come from the user (`--local`, facts.hostAddresses), never from the machine running fwlint.
 */
import type { Family, Rule, Ruleset } from "../ast/iptables.js";
import { allRules, criterion } from "../ast/iptables.js";
import { addrDomain, addrSetOf, cidrSet } from "./addr.js";
import { IntervalSet, type AddrSet, type Scalar } from "./sets.js";
import { parseAddress, parseCidr } from "./values.js";
import { prefixRange } from "./addr.js";

export interface BridgeInfo {
  readonly name: string;
  /** Subnets routed to the bridge (empty set when only the name is known). */
  readonly subnets: AddrSet;
  /** Container addresses known to sit behind the bridge. */
  readonly containers: readonly Scalar[];
}

/**
 * Docker's bridges, subnets and containers as read from its rules. This is the one function to swap for
 * the Docker layout model (src/docker) once it is available.
 */
export function dockerBridges(ruleset: Ruleset): BridgeInfo[] {
  const family = ruleset.family;
  const subnets = new Map<string, AddrSet[]>();
  const containers = new Map<string, Scalar[]>();
  const names = new Set<string>();
  const loose: Scalar[] = [];
  const first = (r: Rule, name: string) => criterion(r, name);
  const plainValue = (r: Rule, name: string, negated: boolean): string | null => {
    const o = first(r, name);
    return o && o.negated === negated && o.values[0] ? o.values[0].text : null;
  };
  const addSubnet = (br: string, text: string) => {
    const s = cidrSet(text, family);
    if (!s) return;
    names.add(br);
    subnets.set(br, [...(subnets.get(br) ?? []), s]);
  };
  const addContainer = (br: string, text: string) => {
    const c = parseCidr(text, family);
    if (!c || c.prefix !== (family === "ipv4" ? 32 : 128)) return;
    names.add(br);
    const list = containers.get(br) ?? [];
    if (!list.includes(c.address)) list.push(c.address);
    containers.set(br, list);
  };
  for (const r of allRules(ruleset)) {
    const target = r.target?.name;
    if (r.table === "nat" && r.chain === "POSTROUTING" && target === "MASQUERADE") {
      const src = plainValue(r, "-s", false);
      const out = plainValue(r, "-o", true);
      if (src && out && !out.endsWith("+") && !src.endsWith("/32") && !src.endsWith("/128")) addSubnet(out, src);
    }
    if (r.table === "filter" && target === "DROP") {
      const src = plainValue(r, "-s", true);
      const out = plainValue(r, "-o", false);
      if (src && out && !out.endsWith("+")) addSubnet(out, src);
      const dst = plainValue(r, "-d", true);
      const inn = plainValue(r, "-i", false);
      if (dst && inn && !inn.endsWith("+")) addSubnet(inn, dst);
    }
    if (r.table === "filter" && r.chain === "DOCKER" && target === "ACCEPT") {
      const dst = plainValue(r, "-d", false);
      const out = plainValue(r, "-o", false);
      if (dst && out && !out.endsWith("+")) addContainer(out, dst);
    }
    if (r.table === "raw" && r.chain === "PREROUTING" && target === "DROP") {
      const dst = plainValue(r, "-d", false);
      const inn = plainValue(r, "-i", true);
      if (dst && inn && !inn.endsWith("+")) addContainer(inn, dst);
    }
    if (r.table === "filter" && /^DOCKER/.test(r.chain) || (r.table === "filter" && r.chain === "FORWARD" && r.target?.name === "DOCKER")) {
      const out = plainValue(r, "-o", false);
      if (out && !out.endsWith("+") && (r.chain === "DOCKER-CT" || r.chain === "DOCKER-BRIDGE" || r.target?.name === "DOCKER")) names.add(out);
    }
    if (r.table === "nat" && target === "DNAT") {
      const to = r.target?.options.find((o) => o.name === "--to-destination")?.values[0]?.text;
      const host = to ? natAddress(to) : null;
      const a = host ? parseAddress(host, family) : null;
      if (a !== null) loose.push(a);
    }
  }
  const out: BridgeInfo[] = [];
  for (const name of [...names].sort()) {
    const d = addrDomain(family);
    let set = IntervalSet.empty(d);
    for (const s of subnets.get(name) ?? []) set = set.union(s as IntervalSet<Scalar>);
    const cs = [...(containers.get(name) ?? [])];
    for (const a of loose) if (set.has(a) && !cs.includes(a)) cs.push(a);
    out.push({ name, subnets: set as AddrSet, containers: cs });
  }
  return out;
}

/** The address part of a NAT range `addr[-addr][:port[-port]]` (IPv6 in brackets), or null. */
export function natAddress(text: string): string | null {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    return end < 0 ? null : text.slice(1, end).split("-")[0]!;
  }
  if (text.startsWith(":")) return null;
  const colon = text.split(":").length === 2 ? text.indexOf(":") : -1;
  const addr = colon >= 0 ? text.slice(0, colon) : text;
  return addr.split("-")[0] || null;
}

export interface HostOptions {
  /** The host's own addresses (`addr` or `addr/len`, the length gives the subnet's broadcast address). */
  readonly local?: readonly string[];
  /** The host's external interfaces. */
  readonly external?: readonly string[];
}

export interface HostLayout {
  readonly family: Family;
  readonly bridges: readonly BridgeInfo[];
  /** True when the user listed the host's addresses. */
  readonly localGiven: boolean;
  /** Addresses delivered locally (addrtype LOCAL). */
  readonly local: AddrSet;
  readonly broadcast: AddrSet;
  readonly multicast: AddrSet;
  /** Addresses routed to a bridge (subnets and known containers). */
  readonly bridged: AddrSet;
  readonly external: readonly string[];
}

export function hostLayout(ruleset: Ruleset, opts: HostOptions = {}): HostLayout {
  const family = ruleset.family;
  const d = addrDomain(family);
  const bridges = dockerBridges(ruleset);
  let bridged = IntervalSet.empty(d);
  for (const b of bridges) {
    bridged = bridged.union(b.subnets as IntervalSet<Scalar>);
    for (const c of b.containers) bridged = bridged.union(IntervalSet.of(d, c));
  }
  const v4 = family === "ipv4";
  const multicast = (v4 ? cidrSet("224.0.0.0/4", family) : cidrSet("ff00::/8", family))! as IntervalSet<Scalar>;
  let broadcast = (v4 ? addrSetOf(family, [[0xffffffff, 0xffffffff], [0, 0x00ffffff]]) : IntervalSet.empty(d)) as IntervalSet<Scalar>;
  const loopback = (v4 ? cidrSet("127.0.0.0/8", family) : cidrSet("::1", family))! as IntervalSet<Scalar>;
  const given = (opts.local ?? []).filter((t) => parseCidr(t, family) !== null);
  let local: IntervalSet<Scalar>;
  if (given.length > 0) {
    local = loopback;
    for (const t of given) {
      const c = parseCidr(t, family)!;
      local = local.union(IntervalSet.of(d, c.address));
      const bits = v4 ? 32 : 128;
      if (v4 && c.prefix < 31) {
        const [, hi] = prefixRange(family, c.address, c.prefix);
        broadcast = broadcast.union(IntervalSet.of(d, hi));
      }
      void bits;
    }
  } else {
    local = IntervalSet.full(d).subtract(bridged).subtract(multicast).subtract(broadcast);
  }
  if (v4) {
    for (const b of bridges) {
      for (const [lo, hi] of (b.subnets as IntervalSet<Scalar>).ranges()) {
        if (Number(hi) - Number(lo) >= 3) broadcast = broadcast.union(IntervalSet.of(d, hi));
      }
    }
  }
  return {
    family,
    bridges,
    localGiven: given.length > 0,
    local: local as AddrSet,
    broadcast: broadcast as AddrSet,
    multicast: multicast as AddrSet,
    bridged: bridged as AddrSet,
    external: opts.external ?? [],
  };
}

/** The bridge a destination is routed to, or null. */
export function bridgeFor(layout: HostLayout, dst: Scalar): string | null {
  for (const b of layout.bridges) if (b.containers.includes(dst)) return b.name;
  for (const b of layout.bridges) if ((b.subnets as IntervalSet<Scalar>).has(dst)) return b.name;
  return null;
}
