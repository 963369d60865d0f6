/**
 * The value readers the packet model uses, in the shapes it wants. Every parse goes through the
 * catalog's parsers (src/catalog/values.ts): the model never has its own idea of what an address, a port
 * or an ICMP type is.
 */
import type { Family } from "../ast/iptables.js";
import * as cat from "../catalog/values.js";

export const parseIPv4 = cat.parseIPv4;

export function parseIPv6(text: string): bigint | null {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  return cat.parseIPv6(s);
}

export function parseAddress(text: string, family: Family): number | bigint | null {
  return family === "ipv4" ? cat.parseIPv4(text) : parseIPv6(text);
}

/**
 * `addr`, `addr/len` or `addr/mask` as the network address (host bits cleared, as iptables stores it) and
 * prefix length; null when it is not an address or when the mask is not contiguous (not one range).
 */
export function parseCidr(text: string, family: Family): { address: number | bigint; prefix: number } | null {
  const c = cat.parseCidr(text, family);
  if (!c || c.prefix < 0) return null;
  return { address: family === "ipv4" ? Number(c.address) : c.address, prefix: c.prefix };
}

export function servicePort(name: string, protocol?: string): number | null {
  return cat.servicePort(name, protocol) ?? null;
}

/** parsePortRange's results, per separator (":" then "-") and protocol. */
const PORT_RANGES = [new Map<string | undefined, Map<string, readonly [number, number] | null>>(), new Map<string | undefined, Map<string, readonly [number, number] | null>>()] as const;

/** `p`, `p:q`, `:q`, `p:` (or `p-q` for NAT targets' --to-ports) as an inclusive range, or null. */
export function parsePortRange(text: string, separator: ":" | "-" = ":", protocol?: string): readonly [number, number] | null {
  // A dump repeats the same few ports thousands of times: each text is read once per separator and protocol.
  // The ranges are shared, so they are read-only.
  const known = PORT_RANGES[separator === ":" ? 0 : 1];
  let byProtocol = known.get(protocol);
  if (!byProtocol) known.set(protocol, (byProtocol = new Map()));
  let range = byProtocol.get(text);
  if (range === undefined) {
    const r = cat.parsePortRange(separator === ":" ? text : text.replace("-", ":"), protocol);
    range = !r ? null : r.from <= r.to ? [r.from, r.to] : [r.to, r.from];
    if (byProtocol.size >= 100_000) byProtocol.clear();
    byProtocol.set(text, range);
  }
  return range;
}

/**
 * `name`, `type` or `type/code` as [type, code-from, code-to]; type -1 matches every type (IPv4's "any",
 * which the kernel reads as type 255). null when unknown.
 */
export function parseIcmpType(text: string, family: Family): readonly [number, number, number] | null {
  const r = cat.parseIcmpType(text, family);
  if ("error" in r) return null;
  if (family === "ipv4" && r.type === 255) return [-1, 0, 255];
  return [r.type, r.codes[0], r.codes[1]];
}
