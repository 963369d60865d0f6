/**
 * Address arithmetic for the Docker model on top of the catalog's parsers (src/catalog/values.ts): an
 * address or prefix of either family as one bigint-based value, containment and overlap.
 */
import type { Family } from "../ast/iptables.js";
import { formatIPv4, formatIPv6, parseCidr, parseIPv4, parseIPv6 } from "../catalog/values.js";

export interface Prefix {
  readonly family: Family;
  /** Network address (host bits cleared). */
  readonly network: bigint;
  readonly length: number;
}

const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An address of either family, or null. Accepts `[v6]` brackets. IPv4 must be a plain dotted quad (as
 * iptables-save prints and Go's net.ParseIP accepts), not the shorthand forms iptables also reads.
 */
export function parseAddress(text: string): { family: Family; value: bigint } | null {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (DOTTED_QUAD.test(t)) return { family: "ipv4", value: BigInt(parseIPv4(t)!) };
  const v6 = parseIPv6(t);
  return v6 === null ? null : { family: "ipv6", value: v6 };
}

const width = (f: Family) => (f === "ipv4" ? 32 : 128);

/**
 * `addr`, `addr/len` or `addr/dotted-mask` (iptables accepts all three; a mask must be contiguous). Returns
 * null for host names and anything malformed. With `strict`, host bits must be clear (as dockerd wants for
 * a network like fixed-cidr).
 */
export function parsePrefix(text: string, strict = false): Prefix | null {
  const key = strict ? `!${text}` : text;
  const cached = prefixCache.get(key);
  if (cached !== undefined) return cached;
  const p = readPrefix(text, strict);
  if (prefixCache.size > 100_000) prefixCache.clear();
  prefixCache.set(key, p);
  return p;
}

/** Parsed prefixes by text: rules repeat the same few addresses thousands of times. */
const prefixCache = new Map<string, Prefix | null>();

function readPrefix(text: string, strict: boolean): Prefix | null {
  const slash = text.indexOf("/");
  const addr = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (!addr) return null;
  const cidr = parseCidr(text, addr.family);
  if (!cidr || cidr.prefix < 0) return null;
  if (strict && cidr.address !== addr.value) return null;
  return { family: addr.family, network: cidr.address, length: cidr.prefix };
}

const mask = (family: Family, length: number): bigint => {
  const w = BigInt(width(family));
  return ((1n << w) - 1n) ^ ((1n << (w - BigInt(length))) - 1n);
};

/** `outer` contains every address of `inner`. */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && outer.length <= inner.length && (inner.network & mask(outer.family, outer.length)) === outer.network;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/** Text form of an address (IPv6 compressed the way ip6tables-save prints it). */
export function formatAddress(family: Family, value: bigint): string {
  return family === "ipv4" ? formatIPv4(Number(value)) : formatIPv6(value);
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.family, p.network)}/${p.length}`;
}

/** Loopback: 127.0.0.0/8 or ::1. */
export function isLoopback(text: string): boolean {
  const p = parsePrefix(text);
  if (!p) return false;
  return p.family === "ipv4" ? prefixContains(parsePrefix("127.0.0.0/8")!, p) : p.length === 128 && p.network === 1n;
}

/** 0.0.0.0 or :: (what Docker means by "every host address"), or a /0 prefix. */
export function isUnspecified(text: string): boolean {
  const p = parsePrefix(text);
  return p !== null && (p.length === 0 || (p.network === 0n && p.length === width(p.family)));
}
