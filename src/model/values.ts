/**
 * Value readers the packet model needs: addresses, ports, ICMP types.
 *
 * TEMPORARY: the extension catalog (branch `catalog`, `src/catalog/values.ts`) owns the parsers of iptables
 * values. Until it lands, this file holds minimal versions with the same names and shapes, so the switch is
 * to replace this file's body with re-exports from `../catalog/values.js`. Nothing else in src/model parses
 * addresses or ports itself.
 */
import type { Family } from "../ast/iptables.js";

/** Dotted-quad IPv4 address as an unsigned 32-bit number, or null. */
export function parseIPv4(text: string): number | null {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + part;
}

/** IPv6 address (with `::` and an embedded IPv4 tail) as a 128-bit bigint, or null. */
export function parseIPv6(text: string): bigint | null {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const pct = s.indexOf("%");
  if (pct >= 0) s = s.slice(0, pct);
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === "") return [];
    const out: number[] = [];
    const items = h.split(":");
    for (let k = 0; k < items.length; k++) {
      const it = items[k]!;
      if (k === items.length - 1 && it.includes(".")) {
        const v4 = parseIPv4(it);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  let all: number[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return null;
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    all = head;
  }
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(g);
  return n;
}

export function parseAddress(text: string, family: Family): number | bigint | null {
  return family === "ipv4" ? parseIPv4(text) : parseIPv6(text);
}

/** `addr`, `addr/len` or `addr/mask` as the address and prefix length (null when the mask is not contiguous). */
export function parseCidr(text: string, family: Family): { address: number | bigint; prefix: number } | null {
  const slash = text.indexOf("/");
  const bits = family === "ipv4" ? 32 : 128;
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash), family);
  if (address === null) return null;
  if (slash < 0) return { address, prefix: bits };
  const m = text.slice(slash + 1);
  if (/^\d{1,3}$/.test(m)) {
    const prefix = Number(m);
    return prefix <= bits ? { address, prefix } : null;
  }
  const mask = parseAddress(m, family);
  if (mask === null) return null;
  const big = BigInt(mask);
  let prefix = 0;
  for (let k = bits - 1; k >= 0 && (big >> BigInt(k)) & 1n; k--) prefix++;
  const expect = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return expect === big ? { address, prefix } : null;
}

/** Well-known service names (the subset of /etc/services iptables users write). */
const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, "ftp-data": 20, ssh: 22, telnet: 23, smtp: 25, domain: 53, dns: 53, bootps: 67, bootpc: 68, tftp: 69, http: 80, www: 80,
  kerberos: 88, pop3: 110, sunrpc: 111, ntp: 123, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, imap: 143, imap2: 143,
  snmp: 161, "snmp-trap": 162, ldap: 389, https: 443, "microsoft-ds": 445, isakmp: 500, syslog: 514, submission: 587, ldaps: 636,
  imaps: 993, pop3s: 995, openvpn: 1194, "ms-sql-s": 1433, mysql: 3306, "ipsec-nat-t": 4500, postgresql: 5432, "http-alt": 8080,
};

export function servicePort(name: string): number | null {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n <= 65535 ? n : null;
  }
  return SERVICES[name.toLowerCase()] ?? null;
}

/** `p`, `p:q`, `:q`, `p:` (and `p-q` with dash) as an inclusive range, or null. */
export function parsePortRange(text: string, separator: ":" | "-" = ":"): [number, number] | null {
  const at = text.indexOf(separator);
  if (at < 0) {
    const p = servicePort(text);
    return p === null ? null : [p, p];
  }
  const a = text.slice(0, at);
  const b = text.slice(at + 1);
  const lo = a === "" ? 0 : servicePort(a);
  const hi = b === "" ? 65535 : servicePort(b);
  if (lo === null || hi === null) return null;
  return lo <= hi ? [lo, hi] : [hi, lo];
}

/** ICMP type names → [type, code] (code -1 = any code). Source: `iptables -p icmp -h`. */
export const ICMP_TYPES: Readonly<Record<string, readonly [number, number]>> = {
  "echo-reply": [0, -1], pong: [0, -1],
  "destination-unreachable": [3, -1], "network-unreachable": [3, 0], "host-unreachable": [3, 1], "protocol-unreachable": [3, 2],
  "port-unreachable": [3, 3], "fragmentation-needed": [3, 4], "source-route-failed": [3, 5], "network-unknown": [3, 6],
  "host-unknown": [3, 7], "network-prohibited": [3, 9], "host-prohibited": [3, 10], "TOS-network-unreachable": [3, 11],
  "TOS-host-unreachable": [3, 12], "communication-prohibited": [3, 13], "host-precedence-violation": [3, 14], "precedence-cutoff": [3, 15],
  "source-quench": [4, -1],
  redirect: [5, -1], "network-redirect": [5, 0], "host-redirect": [5, 1], "TOS-network-redirect": [5, 2], "TOS-host-redirect": [5, 3],
  "echo-request": [8, -1], ping: [8, -1],
  "router-advertisement": [9, -1], "router-solicitation": [10, -1],
  "time-exceeded": [11, -1], "ttl-exceeded": [11, -1], "ttl-zero-during-transit": [11, 0], "ttl-zero-during-reassembly": [11, 1],
  "parameter-problem": [12, -1], "ip-header-bad": [12, 0], "required-option-missing": [12, 1],
  "timestamp-request": [13, -1], "timestamp-reply": [14, -1], "address-mask-request": [17, -1], "address-mask-reply": [18, -1],
};

/** ICMPv6 type names → [type, code]. Source: `ip6tables -p icmpv6 -h`. */
export const ICMPV6_TYPES: Readonly<Record<string, readonly [number, number]>> = {
  "destination-unreachable": [1, -1], "no-route": [1, 0], "communication-prohibited": [1, 1], "beyond-scope": [1, 2],
  "address-unreachable": [1, 3], "port-unreachable": [1, 4], "failed-policy": [1, 5], "reject-route": [1, 6],
  "packet-too-big": [2, -1],
  "time-exceeded": [3, -1], "ttl-exceeded": [3, -1], "ttl-zero-during-transit": [3, 0], "ttl-zero-during-reassembly": [3, 1],
  "parameter-problem": [4, -1], "bad-header": [4, 0], "unknown-header-type": [4, 1], "unknown-option": [4, 2],
  "echo-request": [128, -1], ping: [128, -1], "echo-reply": [129, -1], pong: [129, -1],
  "mld-listener-query": [130, -1], "mld-listener-report": [131, -1], "mld-listener-done": [132, -1],
  "router-solicitation": [133, -1], "router-advertisement": [134, -1],
  "neighbour-solicitation": [135, -1], "neighbor-solicitation": [135, -1],
  "neighbour-advertisement": [136, -1], "neighbor-advertisement": [136, -1], redirect: [137, -1],
};

/** `name`, `type` or `type/code` (or `any`) as [type, code] with code -1 for any code; null when unknown. */
export function parseIcmpType(text: string, family: Family): readonly [number, number] | null {
  if (text === "any") return [-1, -1];
  const table = family === "ipv4" ? ICMP_TYPES : ICMPV6_TYPES;
  const named = table[text] ?? Object.entries(table).find(([k]) => k.toLowerCase() === text.toLowerCase())?.[1];
  if (named) return named;
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return null;
  const t = Number(m[1]);
  const c = m[2] === undefined ? -1 : Number(m[2]);
  return t <= 255 && c <= 255 ? [t, c] : null;
}
