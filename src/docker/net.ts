/**
 * Just enough address arithmetic for the Docker model: parse IPv4/IPv6 addresses and prefixes, test
 * containment. Values are kept as bigints so both families share one code path.
 * (Syntax validation of option values for the validity rules lives in src/catalog/values.ts.)
 */
import type { Family } from "../ast/iptables.js";

export interface Prefix {
  readonly family: Family;
  /** Network address (host bits cleared). */
  readonly network: bigint;
  readonly length: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | null {
  const m = V4.exec(text);
  if (!m) return null;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const n = Number(m[i]);
    if (n > 255 || (m[i]!.length > 1 && m[i]!.startsWith("0"))) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseV4(p);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  let v = 0n;
  for (const g of all) v = (v << 16n) | BigInt(g);
  return v;
}

/** An address of either family, or null. Accepts `[v6]` brackets. */
export function parseAddress(text: string): { family: Family; value: bigint } | null {
  const t = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const v4 = parseV4(t);
  if (v4 !== null) return { family: "ipv4", value: v4 };
  const v6 = parseV6(t);
  if (v6 !== null) return { family: "ipv6", value: v6 };
  return null;
}

const width = (f: Family) => (f === "ipv4" ? 32 : 128);

function mask(family: Family, length: number): bigint {
  const w = BigInt(width(family));
  return ((1n << w) - 1n) ^ ((1n << (w - BigInt(length))) - 1n);
}

/**
 * `addr`, `addr/len` or `addr/dotted-mask` (iptables accepts all three). Returns null for host names and
 * anything malformed. With `strict`, host bits must be clear (as dockerd wants for a CIDR like fixed-cidr).
 */
export function parsePrefix(text: string, strict = false): Prefix | null {
  const slash = text.indexOf("/");
  const addr = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (!addr) return null;
  let length = width(addr.family);
  if (slash !== -1) {
    const rest = text.slice(slash + 1);
    if (/^\d{1,3}$/.test(rest)) length = Number(rest);
    else {
      const m = addr.family === "ipv4" ? parseV4(rest) : null;
      if (m === null) return null;
      const bits = m.toString(2).padStart(32, "0");
      if (!/^1*0*$/.test(bits)) return null;
      length = bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
    }
    if (length > width(addr.family)) return null;
  }
  const network = addr.value & mask(addr.family, length);
  if (strict && network !== addr.value) return null;
  return { family: addr.family, network, length };
}

/** `outer` contains every address of `inner`. */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && outer.length <= inner.length && (inner.network & mask(outer.family, outer.length)) === outer.network;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/** Text form of an address (IPv6 compressed the way ip6tables-save prints it). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === "ipv4") return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups = [...Array(8).keys()].map((i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
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
