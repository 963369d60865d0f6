/** Addresses of one family as sets, and as text for people. */
import type { Family } from "../ast/iptables.js";
import { IntervalSet, IPV4, IPV6, type AddrSet, type Domain, type Scalar } from "./sets.js";
import { parseAddress, parseCidr } from "./values.js";

export function addrDomain(family: Family): Domain<Scalar> {
  return (family === "ipv4" ? IPV4 : IPV6) as unknown as Domain<Scalar>;
}

const bitsOf = (family: Family) => (family === "ipv4" ? 32 : 128);

/** The inclusive range of a prefix. */
export function prefixRange(family: Family, address: Scalar, prefix: number): [Scalar, Scalar] {
  if (family === "ipv4") {
    const a = Number(address);
    if (prefix >= 32) return [a, a];
    if (prefix <= 0) return [0, 0xffffffff];
    const size = 2 ** (32 - prefix);
    const lo = Math.floor(a / size) * size;
    return [lo, lo + size - 1];
  }
  const bits = bitsOf(family);
  const a = BigInt(address);
  const host = prefix >= bits ? 0n : (1n << BigInt(bits - prefix)) - 1n;
  const lo = a & ~host & ((1n << BigInt(bits)) - 1n);
  const hi = lo | host;
  return [lo, hi];
}

/** `addr` or `addr/len|mask` as a set; null when it is not an address (e.g. a host name). */
const cidrCache = new Map<string, AddrSet | null>();
export function cidrSet(text: string, family: Family): AddrSet | null {
  const key = family === "ipv4" ? text : `6${text}`;
  const hit = cidrCache.get(key);
  if (hit !== undefined) return hit;
  const c = parseCidr(text, family);
  let out: AddrSet | null = null;
  if (c) {
    const [lo, hi] = prefixRange(family, c.address, c.prefix);
    out = IntervalSet.of(addrDomain(family), lo, hi) as AddrSet;
  }
  if (cidrCache.size > 200_000) cidrCache.clear();
  cidrCache.set(key, out);
  return out;
}

/** `a-b` (iprange) as a set. */
export function rangeSet(text: string, family: Family): AddrSet | null {
  const at = text.indexOf("-");
  const a = parseAddress(at < 0 ? text : text.slice(0, at), family);
  const b = at < 0 ? a : parseAddress(text.slice(at + 1), family);
  if (a === null || b === null) return null;
  return IntervalSet.of(addrDomain(family), a, b) as AddrSet;
}

export function addrSetOf(family: Family, ranges: readonly (readonly [Scalar, Scalar])[]): AddrSet {
  return IntervalSet.fromRanges(addrDomain(family), ranges) as AddrSet;
}

export function formatAddress(family: Family, a: Scalar): string {
  if (family === "ipv4") {
    const n = Number(a);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  let v = BigInt(a);
  const groups: number[] = [];
  for (let k = 0; k < 8; k++) {
    groups.unshift(Number(v & 0xffffn));
    v >>= 16n;
  }
  // Longest run of zero groups (length ≥ 2) becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && groups[e] === 0) e++;
    if (e - k > bestLen && e - k >= 2) {
      best = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (g: number) => g.toString(16);
  if (best < 0) return groups.map(hex).join(":");
  return `${groups.slice(0, best).map(hex).join(":")}::${groups.slice(best + bestLen).map(hex).join(":")}`;
}

/** The range [lo, hi] as the fewest CIDR blocks. */
export function rangeToCidrs(family: Family, lo: Scalar, hi: Scalar): string[] {
  const out: string[] = [];
  cidrBlocks(family, lo, hi, Infinity, (a, len) => out.push(`${formatAddress(family, a)}/${len}`));
  return out;
}

/**
 * The blocks of [lo, hi] in order (start and prefix length), at most `limit` of them; returns how many
 * there are, counting up to `limit + 1`.
 */
function cidrBlocks(family: Family, lo: Scalar, hi: Scalar, limit: number, each?: (a: Scalar, len: number) => void): number {
  let n = 0;
  if (family === "ipv4") {
    let a = Number(lo);
    const b = Number(hi);
    while (a <= b) {
      if (n === limit) return n + 1;
      // The largest block starting at a: as aligned as a is, and no longer than what is left.
      const tz = a === 0 ? 32 : 31 - Math.clz32(a & -a);
      const left = b - a + 1;
      const fit = left >= 0x100000000 ? 32 : 31 - Math.clz32(left);
      const size = tz < fit ? tz : fit;
      each?.(a, 32 - size);
      n++;
      a += 2 ** size;
    }
    return n;
  }
  const bits = bitsOf(family);
  let a = BigInt(lo);
  const b = BigInt(hi);
  while (a <= b) {
    if (n === limit) return n + 1;
    let size = 0;
    while (size < bits && (a & ((1n << BigInt(size + 1)) - 1n)) === 0n && a + (1n << BigInt(size + 1)) - 1n <= b) size++;
    each?.(a, bits - size);
    n++;
    a += 1n << BigInt(size);
  }
  return n;
}

/**
 * A set of addresses as short text items: a whole prefix as CIDR, other ranges as `a-b` (or as CIDRs when
 * that takes at most two blocks).
 */
const formatted = new WeakMap<object, string[]>();
export function formatAddrSet(family: Family, set: AddrSet): string[] {
  const hit = formatted.get(set);
  if (hit) return hit;
  const out = formatAddrSetUncached(family, set);
  formatted.set(set, out);
  return out;
}

function formatAddrSetUncached(family: Family, set: AddrSet): string[] {
  const out: string[] = [];
  for (const [lo, hi] of (set as IntervalSet<Scalar>).ranges()) {
    if (lo === hi) {
      out.push(formatAddress(family, lo));
      continue;
    }
    if (cidrBlocks(family, lo, hi, 2) <= 2) out.push(...rangeToCidrs(family, lo, hi));
    else out.push(`${formatAddress(family, lo)}-${formatAddress(family, hi)}`);
  }
  return out;
}

