/**
 * What the model knows about the host: its own addresses, its bridges and their subnets, the containers
 * behind them. Bridges and containers come from Docker's rules (`dockerBridges`); the host's addresses
 * come from the user (`--local`, facts.hostAddresses), never from the machine running fwlint.
 */
import type { Family, Ruleset } from "../ast/iptables.js";
import { analyzeDocker } from "../docker/layout.js";
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

/** Docker's bridges, subnets and containers, from the Docker layout model (src/docker). */
export function dockerBridges(ruleset: Ruleset): BridgeInfo[] {
  const family = ruleset.family;
  const d = addrDomain(family);
  const out: BridgeInfo[] = [];
  for (const b of [...analyzeDocker(ruleset).bridges.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    let set = IntervalSet.empty(d);
    for (const text of b.subnets) {
      const s = cidrSet(text, family);
      if (s) set = set.union(s as IntervalSet<Scalar>);
    }
    const containers: Scalar[] = [];
    for (const text of b.containers) {
      const c = parseCidr(text, family);
      if (c && c.prefix === (family === "ipv4" ? 32 : 128) && !containers.includes(c.address)) containers.push(c.address);
    }
    out.push({ name: b.name, subnets: set as AddrSet, containers });
  }
  return out;
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
  /**
   * Where REDIRECT in PREROUTING sends a packet: the primary address of the interface it came in on, which
   * the layout does not know apart from the host's other addresses; never a loopback address.
   */
  readonly redirected: AddrSet;
  /** Where REDIRECT in OUTPUT sends the host's own packet: the loopback address (127.0.0.1, ::1). */
  readonly redirectedOutput: AddrSet;
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
      // The host's own address (before the "/"), and its subnet's broadcast address.
      const c = parseCidr(t, family)!;
      const own = parseAddress(t.split("/")[0]!, family);
      if (own !== null) local = local.union(IntervalSet.of(d, own));
      if (v4 && c.prefix < 31) {
        const [, hi] = prefixRange(family, c.address, c.prefix);
        broadcast = broadcast.union(IntervalSet.of(d, hi));
      }
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
    redirected: local.subtract(loopback) as AddrSet,
    redirectedOutput: (v4 ? IntervalSet.of(d, 0x7f000001) : IntervalSet.of(d, 1n)) as AddrSet,
    broadcast: broadcast as AddrSet,
    multicast: multicast as AddrSet,
    bridged: bridged as AddrSet,
    external: opts.external ?? [],
  };
}

/** The bridge a destination is routed to, or null. */
export function bridgeFor(layout: HostLayout, dst: Scalar): string | null {
  const name = containerBridges(layout).get(dst);
  if (name !== undefined) return name;
  for (const b of layout.bridges) if ((b.subnets as IntervalSet<Scalar>).has(dst)) return b.name;
  return null;
}

/** Container address → the first bridge listing it, made once per layout (a host may have thousands). */
const containerBridgeCache = new WeakMap<HostLayout, Map<Scalar, string>>();
function containerBridges(layout: HostLayout): Map<Scalar, string> {
  let map = containerBridgeCache.get(layout);
  if (!map) {
    map = new Map();
    for (const b of layout.bridges) for (const c of b.containers) if (!map.has(c)) map.set(c, b.name);
    containerBridgeCache.set(layout, map);
  }
  return map;
}
