/**
 * Validators and canonicalizers for every ValueKind of the catalog.
 *
 * `checkValue` answers two questions about one value word of an option: would iptables 1.8.9 (and the kernel)
 * accept it, and how does iptables-save print it back. Every rule of thumb here was checked by restoring rules
 * into a throw-away network namespace and reading them back with iptables-save; `test/catalog-kernel.test.ts`
 * keeps checking it. Where iptables accepts something that only produces a broken or never-matching rule, the
 * check still says ok but adds a `warning`.
 *
 * The parsing helpers (`parseIPv4`, `parseIPv6`, `parseCidr`, `parsePortRange`, `servicePort`, `ICMP_TYPES`,
 * `ICMPV6_TYPES`, `CT_STATES`) follow iptables' own parsers, so the packet model can use them to evaluate matches.
 */
import { defaultLimit, nearest } from "../util/suggest.js";
import { PROTOCOLS, PROTOCOL_SAVE_NAMES } from "./core.js";
import type { Family, OptionSpec, ValueKind } from "./types.js";

export type ValueCheck =
  | {
      ok: true;
      /** How iptables-save prints the value (unquoted; quoting is the printer's business). */
      canonical: string;
      /** iptables accepts it, but something is off (never matches, truncated, resolved at restore time, …). */
      warning?: string;
      /** iptables-save drops the option altogether for this value (match-all ranges, 0.0.0.0/0, `-i +`, …). */
      omitted?: true;
      /** The value is printed under another option than the one given (e.g. hex-string that is printable → --string). */
      savedAs?: string;
    }
  | { ok: false; message: string };

export interface ValueContext {
  readonly family: Family;
  readonly option: OptionSpec;
  /** Name of the extension the option belongs to (undefined for core options). */
  readonly extension?: string;
}

const ok = (canonical: string, extra: Partial<Extract<ValueCheck, { ok: true }>> = {}): ValueCheck => ({ ok: true, canonical, ...extra });
const fail = (message: string): ValueCheck => ({ ok: false, message });
const U32_MAX = 4294967295;
const U64_MAX = 18446744073709551615n;

// ---------------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------------

/**
 * Unsigned integer as iptables' xtables_strtoui reads it (strtoul with base 0): decimal, 0x hex, or octal with a
 * leading 0. Returns null for anything else (signs, garbage, empty).
 */
export function parseUnsigned(text: string): bigint | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]*$/.test(text)) return text.length === 1 ? 0n : BigInt("0o" + text.slice(1));
  if (/^[1-9][0-9]*$/.test(text)) return BigInt(text);
  return null;
}

function parseBounded(text: string, min: number, max: number): number | null {
  const v = parseUnsigned(text);
  if (v === null || v < BigInt(min) || v > BigInt(max)) return null;
  return Number(v);
}

const hex = (n: number | bigint, width = 0) => "0x" + n.toString(16).padStart(width, "0");

function formatNumber(n: number, option: OptionSpec): string {
  switch (option.format) {
    case "hex":
      return hex(n);
    case "hex2":
      return hex(n, 2);
    case "hex4":
      return hex(n, 4);
    case "signed32":
      return String(n > 0x7fffffff ? n - 0x100000000 : n);
    case "hex8":
      return hex(n, 8);
    default:
      return String(n);
  }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  return nearest(word, candidates, defaultLimit(word), { ignoreCase: true });
}

const didYouMean = (word: string, candidates: readonly string[]) => {
  const c = closest(word, candidates);
  return c ? ` (did you mean ${c}?)` : "";
};

// ---------------------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------------------

/**
 * The common spelling, read without allocating: four decimal parts of 0–255 without leading zeros
 * ("10.0.0.1"). The value, or -1 for anything else (which parseIPv4 reads the general way).
 */
function dottedQuad(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; /* a final "." closes the last part */
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      if (++parts > 4) return -1;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1; // leading zero: octal in inet_aton
      part = part * 10 + (c - 48);
      if (++digits > 3) return -1;
    } else return -1;
  }
  return parts === 4 ? value : -1;
}

/**
 * IPv4 address as iptables reads it (xtables_numeric_to_ipaddr, then the inet_aton fallback of the resolver):
 * 1 to 4 dot-separated parts, each decimal, 0x hex or 0-octal. iptables' own parser fills missing trailing parts
 * with 0 ("10.1" = 10.1.0.0, "10" = 10.0.0.0); a single part above 255 is read as a 32-bit number by inet_aton.
 * Returns the address as an unsigned 32-bit number, or null.
 */
export function parseIPv4(text: string): number | null {
  const plain = dottedQuad(text);
  if (plain !== -1) return plain;
  const parts = text.split(".");
  if (parts.length < 1 || parts.length > 4) return null;
  const nums = parts.map((p) => parseUnsigned(p));
  if (nums.some((n) => n === null)) return null;
  const values = nums as bigint[];
  if (values.every((n) => n <= 255n)) {
    let v = 0;
    for (let i = 0; i < 4; i++) v = v * 256 + Number(values[i] ?? 0n);
    return v;
  }
  // inet_aton forms: a (32 bits), a.b (8.24), a.b.c (8.8.16)
  const lastBits = [32, 24, 16, 8][values.length - 1]!;
  const head = values.slice(0, -1);
  const last = values[values.length - 1]!;
  if (head.some((n) => n > 255n) || last >= 1n << BigInt(lastBits)) return null;
  let v = 0n;
  for (const h of head) v = (v << 8n) | h;
  return Number((v << BigInt(lastBits)) | last);
}

/** Dotted-quad text of a 32-bit address. */
export function formatIPv4(v: number): string {
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join(".");
}

/** IPv6 address as inet_pton reads it (hex groups, one "::", optional dotted IPv4 tail). Returns a 128-bit bigint or null. */
export function parseIPv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  let head = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = text.slice(lastColon + 1);
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return null;
    const bytes = v4.split(".").map(Number);
    if (bytes.some((b) => b > 255)) return null;
    tail = [(bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const double = head.indexOf("::");
  if (double !== head.lastIndexOf("::")) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const groups = s.split(":");
    if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
    return groups.map((g) => parseInt(g, 16));
  };
  let groups: number[];
  if (double >= 0) {
    const left = parseGroups(head.slice(0, double));
    const right = parseGroups(head.slice(double + 2));
    if (!left || !right) return null;
    const missing = 8 - left.length - right.length - tail.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right, ...tail];
  } else {
    const all = parseGroups(head);
    if (!all) return null;
    groups = [...all, ...tail];
    if (groups.length !== 8) return null;
  }
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** IPv6 text as glibc's inet_ntop prints it (lower case, longest zero run of ≥ 2 groups as "::", IPv4 tail for ::ffff:a.b.c.d and ::a.b.c.d). */
export function formatIPv6(v: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i > 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ":";
  return out;
}

const BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };
/**
 * The masks of every prefix length, per family, made once: every address of a dump is checked, and
 * computing masks with BigInt arithmetic on each check was a large share of that work.
 */
function prefixMasks(bits: number): { masks: bigint[]; lengths: Map<bigint, number> } {
  const ones = (1n << BigInt(bits)) - 1n;
  const masks: bigint[] = [];
  const lengths = new Map<bigint, number>();
  for (let len = 0; len <= bits; len++) {
    const m = ones ^ ((1n << BigInt(bits - len)) - 1n);
    masks.push(m);
    lengths.set(m, len);
  }
  return { masks, lengths };
}
const MASKS: Record<Family, { masks: bigint[]; lengths: Map<bigint, number> }> = { ipv4: prefixMasks(32), ipv6: prefixMasks(128) };
const allOnes = (family: Family) => MASKS[family].masks[BITS[family]]!;
const prefixMask = (family: Family, len: number) => MASKS[family].masks[len]!;

/** The prefix length of a contiguous mask, or -1. */
function maskLength(mask: bigint, family: Family): number {
  return MASKS[family].lengths.get(mask) ?? -1;
}

/** Numeric address of either family (no hostnames), as a bigint. */
function parseAddress(text: string, family: Family): bigint | null {
  if (family === "ipv4") {
    const v = parseIPv4(text);
    return v === null ? null : BigInt(v);
  }
  return parseIPv6(text);
}

function formatAddress(v: bigint, family: Family): string {
  return family === "ipv4" ? formatIPv4(Number(v)) : formatIPv6(v);
}

/**
 * `address[/prefix|/mask]` of the given family. `address` is masked (the network), `prefix` is -1 when the mask is
 * not contiguous (then `mask` is the only truth). Hostnames are not resolved (null).
 */
export function parseCidr(text: string, family: Family): { address: bigint; prefix: number; mask: bigint } | null {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText, family);
  if (addr === null) return null;
  let mask = allOnes(family);
  if (slash >= 0) {
    const m = parseMask(text.slice(slash + 1), family);
    if (m === null) return null;
    mask = m;
  }
  return { address: addr & mask, prefix: maskLength(mask, family), mask };
}

function parseMask(text: string, family: Family): bigint | null {
  const len = parseUnsigned(text);
  if (len !== null) return len <= BigInt(BITS[family]) ? prefixMask(family, Number(len)) : null;
  if (family === "ipv4" && text.includes(".")) {
    const v = parseIPv4(text);
    return v === null ? null : BigInt(v);
  }
  if (family === "ipv6" && text.includes(":")) return parseIPv6(text);
  return null;
}

const HOSTNAME = /^(?=.*[A-Za-z_])[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

function otherFamily(family: Family): Family {
  return family === "ipv4" ? "ipv6" : "ipv4";
}

function wrongFamilyMessage(text: string, family: Family): string | undefined {
  const other = otherFamily(family);
  const bare = text.split("/")[0]!;
  if (other === "ipv6" ? parseIPv6(bare) !== null : /^\d{1,3}(\.\d{1,3}){3}$/.test(bare)) {
    return `${other === "ipv6" ? "IPv6" : "IPv4"} address '${text}' used in an ${family === "ipv4" ? "IPv4" : "IPv6"} rule`;
  }
  return undefined;
}

function familyName(family: Family) {
  return family === "ipv4" ? "IPv4" : "IPv6";
}

function checkAddress(text: string, ctx: ValueContext): ValueCheck {
  const { family } = ctx;
  if (text === "") return fail("empty address");
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const wrong = wrongFamilyMessage(text, family);
  if (wrong) return fail(wrong);
  let mask = allOnes(family);
  let longPrefix: string | undefined;
  if (slash >= 0) {
    const maskText = text.slice(slash + 1);
    const m = parseMask(maskText, family);
    const asNumber = parseUnsigned(maskText);
    if (m === null && asNumber !== null && asNumber <= 128n && (ctx.option.format === "compact" || ctx.option.format === "masked-prefix" || ctx.option.format === "unmasked-prefix")) {
      // HOSTMASK-style options accept any prefix up to 128 and treat a longer one as a host
      longPrefix = maskText;
    } else if (m === null) return fail(`'${text}' is not a valid ${familyName(family)} prefix`);
    else mask = m;
  }
  const addr = parseAddress(addrText, family);
  if (addr === null) {
    if (HOSTNAME.test(addrText) && !/^[0-9.]+$/.test(addrText)) {
      return ok(text, { warning: `host name '${addrText}' is resolved when the rules are loaded` });
    }
    return fail(`'${text}' is not a valid ${familyName(family)} address`);
  }
  const len = maskLength(mask, family);
  const bits = BITS[family];
  const longWarning = longPrefix !== undefined ? { warning: `prefix /${longPrefix} is longer than ${bits} bits; iptables treats it as a single host` } : {};
  if (longPrefix !== undefined) return ok(ctx.option.format === "compact" ? formatAddress(addr, family) : `${formatAddress(addr, family)}/${bits}`, longWarning);
  if (ctx.option.format === "compact") {
    // xtables HOSTMASK options print the address as given and only a contiguous, shorter mask
    const host = formatAddress(addr, family);
    if (len < 0) return ok(host, { warning: `iptables-save drops the non-contiguous mask of ${text}; the rule reads back as ${host}` });
    return ok(len === bits ? host : `${host}/${len}`);
  }
  const network = formatAddress(addr & mask, family);
  if (ctx.option.format === "masked-prefix" || ctx.option.format === "unmasked-prefix") {
    const given = formatAddress(addr, family);
    if (len < 0) return ok(`${given}/${bits}`, { warning: `non-contiguous mask in ${text}: iptables-save prints it as ${given}/${bits}` });
    return ok(`${ctx.option.format === "masked-prefix" ? network : given}/${len}`);
  }
  const suffix = len >= 0 ? String(len) : formatAddress(mask, family);
  const canonical = `${network}/${suffix}`;
  const warning = (addr & mask) !== addr ? `host bits of ${addrText} are cleared by the mask: the rule matches ${canonical}` : undefined;
  return ok(canonical, { ...(warning ? { warning } : {}), ...(len === 0 && ctx.extension === undefined ? { omitted: true as const } : {}) });
}

function checkHost(text: string, ctx: ValueContext): ValueCheck {
  if (text.includes("/")) return fail(`'${text}' must be a single address without a mask`);
  const wrong = wrongFamilyMessage(text, ctx.family);
  if (wrong) return fail(wrong);
  const v = parseAddress(text, ctx.family);
  if (v === null) {
    if (text === "localhost") return ok(ctx.family === "ipv4" ? "127.0.0.1" : "::1");
    if (HOSTNAME.test(text) && !/^[0-9.]+$/.test(text)) return ok(text, { warning: `host name '${text}' is resolved when the rules are loaded` });
    return fail(`'${text}' is not a valid ${familyName(ctx.family)} address`);
  }
  if (v === 0n && ctx.option.name === "--gateway") return fail(`the gateway cannot be ${formatAddress(0n, ctx.family)}`);
  return ok(formatAddress(v, ctx.family));
}

// ---------------------------------------------------------------------------------------------------------
// Ports and services
// ---------------------------------------------------------------------------------------------------------

/**
 * Common /etc/services names (Debian netbase) → [port, protocols] with t = tcp, u = udp, s = sctp. iptables
 * resolves other names through /etc/services on the machine that loads the rules.
 */
const SERVICES: Readonly<Record<string, readonly [number, string]>> = {
  tcpmux: [1, "t"], discard: [9, "tu"], echo: [7, "tu"], daytime: [13, "tu"], "ftp-data": [20, "t"], ftp: [21, "t"],
  ssh: [22, "t"], telnet: [23, "t"], smtp: [25, "t"], mail: [25, "t"], time: [37, "tu"], whois: [43, "t"],
  nicname: [43, "t"], tacacs: [49, "tu"], domain: [53, "tu"], bootps: [67, "u"], bootpc: [68, "u"], tftp: [69, "u"],
  gopher: [70, "t"], finger: [79, "t"], http: [80, "t"], www: [80, "t"], kerberos: [88, "tu"], "pop-3": [110, "t"],
  pop3: [110, "t"], sunrpc: [111, "tu"], portmapper: [111, "tu"], auth: [113, "t"], ident: [113, "t"],
  nntp: [119, "t"], ntp: [123, "u"], epmap: [135, "t"], "netbios-ns": [137, "u"], "netbios-dgm": [138, "u"],
  "netbios-ssn": [139, "t"], imap: [143, "t"], imap2: [143, "t"], snmp: [161, "tu"], "snmp-trap": [162, "tu"],
  snmptrap: [162, "tu"], bgp: [179, "t"], ldap: [389, "tu"], https: [443, "tu"], "microsoft-ds": [445, "t"],
  kpasswd: [464, "tu"], isakmp: [500, "u"], syslog: [514, "u"], printer: [515, "t"], talk: [517, "u"],
  ntalk: [518, "u"], route: [520, "u"], uucp: [540, "t"], klogin: [543, "t"], kshell: [544, "t"],
  "dhcpv6-client": [546, "u"], "dhcpv6-server": [547, "u"], rtsp: [554, "tu"], nntps: [563, "t"],
  submission: [587, "t"], ipp: [631, "t"], ldaps: [636, "tu"], "kerberos-adm": [749, "t"], "domain-s": [853, "tu"],
  rsync: [873, "t"], "ftps-data": [989, "t"], ftps: [990, "t"], telnets: [992, "t"], imaps: [993, "t"],
  pop3s: [995, "t"], socks: [1080, "t"], openvpn: [1194, "tu"], "ms-sql-s": [1433, "t"], "ms-sql-m": [1434, "u"],
  l2tp: [1701, "u"], radius: [1812, "tu"], "radius-acct": [1813, "tu"], radacct: [1813, "tu"], nfs: [2049, "tu"],
  mysql: [3306, "t"], svn: [3690, "t"], sieve: [4190, "t"], "ipsec-nat-t": [4500, "u"], sip: [5060, "tu"],
  "sip-tls": [5061, "tu"], "xmpp-client": [5222, "t"], "xmpp-server": [5269, "t"], mdns: [5353, "u"],
  postgresql: [5432, "t"], postgres: [5432, "t"], amqps: [5671, "t"], amqp: [5672, "st"], x11: [6000, "t"],
  redis: [6379, "t"], "syslog-tls": [6514, "t"], "http-alt": [8080, "t"], webcache: [8080, "t"], puppet: [8140, "t"],
  git: [9418, "t"], "zabbix-agent": [10050, "t"], "zabbix-trapper": [10051, "t"], hkp: [11371, "t"],
};

/**
 * Port of a service name from fwlint's table of common /etc/services names; with `protocol` ("tcp", "udp",
 * "sctp") only if /etc/services lists the name for it (iptables looks names up per protocol).
 */
export function servicePort(name: string, protocol?: string): number | undefined {
  const entry = SERVICES[name];
  if (!entry) return undefined;
  if (protocol && !entry[1].includes(protocol[0]!)) return undefined;
  return entry[0];
}

/**
 * The protocol iptables uses for service lookups of this option: tcp and sctp look names up for their own
 * protocol; the generic xtables port parser (numberSyntax "decimal") and the NAT targets accept any protocol.
 */
function serviceProtocol(ctx: ValueContext): string | undefined {
  if (ctx.option.numberSyntax === "decimal") return undefined;
  const ext = ctx.extension;
  return ext === "tcp" || ext === "sctp" ? ext : undefined;
}

type PortResult = { port: number; wrapped?: number } | { error: string } | { unknownName: string };

function parsePort(text: string, proto?: string, option?: OptionSpec): PortResult {
  if (/^[0-9]/.test(text)) {
    if (option?.numberSyntax === "decimal") {
      // xtables' generic parser: decimal only, keeps the low 16 bits
      if (!/^\d+$/.test(text)) return { error: `'${text}' is not a decimal port number` };
      const v = BigInt(text);
      if (v > 0xffffffffffffffffn) return { error: `port ${text} is too large` };
      if (v > 65535n) return { port: Number(v & 0xffffn), wrapped: Number(v & 0xffffn) };
      return { port: Number(v) };
    }
    const v = parseUnsigned(text);
    if (v === null) return { error: `'${text}' is not a port number` };
    if (v > 65535n) return { error: `port ${text} is outside 0-65535` };
    return { port: Number(v) };
  }
  if (text === "") return { error: "empty port" };
  if (!/^[A-Za-z][A-Za-z0-9_.+-]*$/.test(text)) return { error: `'${text}' is not a port number or service name` };
  const p = servicePort(text, proto);
  if (p !== undefined) return { port: p };
  if (servicePort(text) !== undefined) return { error: `service '${text}' is not defined for ${proto} in /etc/services` };
  const lower = text.toLowerCase();
  if (lower !== text && servicePort(lower, proto) !== undefined) return { error: `service names are case-sensitive: '${text}' (did you mean ${lower}?)` };
  return { unknownName: text };
}

/** `port`, `port:port`, `:port`, `port:` (tcp/udp style) with numbers or common service names; null when invalid. */
export function parsePortRange(text: string, protocol?: string): { from: number; to: number } | null {
  const r = portRange(text, protocol, ":");
  return "from" in r ? { from: r.from, to: r.to } : null;
}

type RangeResult = { from: number; to: number; unknown: string[]; wrapped: string[] } | { error: string };

function portRange(text: string, proto: string | undefined, sep: ":" | "-", allowOpen = true, option?: OptionSpec): RangeResult {
  const parts = text.split(sep);
  if (parts.length > 2) return { error: `'${text}' is not a port or port range` };
  const unknown: string[] = [];
  const wrapped: string[] = [];
  const one = (t: string, dflt: number): number | string => {
    if (t === "" && allowOpen) return dflt;
    const r = parsePort(t, proto, option);
    if ("error" in r) return r.error;
    if ("unknownName" in r) {
      unknown.push(r.unknownName);
      return 0;
    }
    if (r.wrapped !== undefined) wrapped.push(`${t} → ${r.wrapped}`);
    return r.port;
  };
  const from = one(parts[0]!, 0);
  if (typeof from === "string") return { error: from };
  if (parts.length === 1) {
    if (parts[0] === "") return { error: "empty port" };
    return { from, to: from, unknown, wrapped };
  }
  const to = one(parts[1]!, 65535);
  if (typeof to === "string") return { error: to };
  return { from, to, unknown, wrapped };
}

const unknownServiceWarning = (names: string[]) =>
  names.length ? { warning: `service name${names.length > 1 ? "s" : ""} ${names.map((n) => `'${n}'`).join(", ")} must be in /etc/services where the rules are loaded` } : {};

// ---------------------------------------------------------------------------------------------------------
// ICMP, conntrack states, TCP flags
// ---------------------------------------------------------------------------------------------------------

export interface IcmpTypeSpec {
  readonly type: number;
  /** Inclusive code range; [0, 255] means any code. */
  readonly codes: readonly [number, number];
}

const any = (type: number): IcmpTypeSpec => ({ type, codes: [0, 255] });
const code = (type: number, c: number): IcmpTypeSpec => ({ type, codes: [c, c] });

/** ICMP type names as `iptables -p icmp -h` lists them (aliases included). "any" is type 255 with any code. */
export const ICMP_TYPES: Readonly<Record<string, IcmpTypeSpec>> = {
  any: any(255),
  "echo-reply": any(0),
  pong: any(0),
  "destination-unreachable": any(3),
  "network-unreachable": code(3, 0),
  "host-unreachable": code(3, 1),
  "protocol-unreachable": code(3, 2),
  "port-unreachable": code(3, 3),
  "fragmentation-needed": code(3, 4),
  "source-route-failed": code(3, 5),
  "network-unknown": code(3, 6),
  "host-unknown": code(3, 7),
  "network-prohibited": code(3, 9),
  "host-prohibited": code(3, 10),
  "TOS-network-unreachable": code(3, 11),
  "TOS-host-unreachable": code(3, 12),
  "communication-prohibited": code(3, 13),
  "host-precedence-violation": code(3, 14),
  "precedence-cutoff": code(3, 15),
  "source-quench": any(4),
  redirect: any(5),
  "network-redirect": code(5, 0),
  "host-redirect": code(5, 1),
  "TOS-network-redirect": code(5, 2),
  "TOS-host-redirect": code(5, 3),
  "echo-request": any(8),
  ping: any(8),
  "router-advertisement": any(9),
  "router-solicitation": any(10),
  "time-exceeded": any(11),
  "ttl-exceeded": any(11),
  "ttl-zero-during-transit": code(11, 0),
  "ttl-zero-during-reassembly": code(11, 1),
  "parameter-problem": any(12),
  "ip-header-bad": code(12, 0),
  "required-option-missing": code(12, 1),
  "timestamp-request": any(13),
  "timestamp-reply": any(14),
  "address-mask-request": any(17),
  "address-mask-reply": any(18),
};

/** ICMPv6 type names as `ip6tables -p ipv6-icmp -h` lists them (aliases included). There is no "any". */
export const ICMPV6_TYPES: Readonly<Record<string, IcmpTypeSpec>> = {
  "destination-unreachable": any(1),
  "no-route": code(1, 0),
  "communication-prohibited": code(1, 1),
  "beyond-scope": code(1, 2),
  "address-unreachable": code(1, 3),
  "port-unreachable": code(1, 4),
  "failed-policy": code(1, 5),
  "reject-route": code(1, 6),
  "packet-too-big": any(2),
  "time-exceeded": any(3),
  "ttl-exceeded": any(3),
  "ttl-zero-during-transit": code(3, 0),
  "ttl-zero-during-reassembly": code(3, 1),
  "parameter-problem": any(4),
  "bad-header": code(4, 0),
  "unknown-header-type": code(4, 1),
  "unknown-option": code(4, 2),
  "echo-request": any(128),
  ping: any(128),
  "echo-reply": any(129),
  pong: any(129),
  "router-solicitation": any(133),
  "router-advertisement": any(134),
  "neighbour-solicitation": any(135),
  "neighbor-solicitation": any(135),
  "neighbour-advertisement": any(136),
  "neighbor-advertisement": any(136),
  redirect: any(137),
};

/** Resolve an ICMP(v6) type word the way iptables does: unique case-insensitive name prefix, or type[/code]. */
export function parseIcmpType(text: string, family: Family): IcmpTypeSpec | { error: string } {
  const table = family === "ipv4" ? ICMP_TYPES : ICMPV6_TYPES;
  const label = family === "ipv4" ? "ICMP" : "ICMPv6";
  if (/^[0-9]/.test(text)) {
    const [t, c, ...rest] = text.split("/");
    const type = parseUnsigned(t!);
    if (type === null || type > 255n || rest.length) return { error: `unknown ${label} type '${text}' (types are 0-255)` };
    if (c === undefined) return any(Number(type));
    const cv = parseUnsigned(c);
    if (cv === null || cv > 255n) return { error: `unknown ${label} code in '${text}' (codes are 0-255)` };
    return code(Number(type), Number(cv));
  }
  const lower = text.toLowerCase();
  const names = Object.keys(table);
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact) return table[exact]!;
  const hits = names.filter((n) => n.toLowerCase().startsWith(lower));
  const distinct = [...new Set(hits.map((n) => JSON.stringify(table[n])))];
  if (hits.length > 0 && distinct.length === 1) return table[hits[0]!]!;
  if (hits.length > 1) return { error: `ambiguous ${label} type '${text}': ${hits.join(" or ")}?` };
  const other = family === "ipv4" ? ICMPV6_TYPES : ICMP_TYPES;
  const otherHas = Object.keys(other).some((n) => n.toLowerCase() === lower) && !exact;
  return { error: `unknown ${label} type '${text}'${otherHas ? ` (it is an ${family === "ipv4" ? "ICMPv6" : "ICMP"} type)` : didYouMean(text, names)}` };
}

function checkIcmp(text: string, family: Family): ValueCheck {
  const r = parseIcmpType(text, family);
  if ("error" in r) return fail(r.error);
  if (family === "ipv4" && r.type === 255 && r.codes[0] === 0 && r.codes[1] === 255) return ok("any");
  if (r.codes[0] === 0 && r.codes[1] === 255) return ok(String(r.type));
  return ok(`${r.type}/${r.codes[0]}`);
}

/** Conntrack states in the order iptables-save prints them; `state` accepts all but SNAT and DNAT. */
export const CT_STATES = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"] as const;
const STATE_STATES = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED"] as const;
/** Conntrack statuses in print order (NONE is printed only alone). */
export const CT_STATUSES = ["NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"] as const;
/** TCP flags in the order iptables-save prints them. ALL stands for all six, NONE for none. */
export const TCP_FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG"] as const;

function checkWordList(
  text: string,
  what: string,
  canonicalOrder: readonly string[],
  opts: { ignoreCase?: boolean; prefix?: boolean; aliases?: Readonly<Record<string, string>>; expand?: Readonly<Record<string, readonly string[]>>; allWords?: readonly string[] } = {},
): { values: string[] } | { error: string } {
  if (text === "") return { error: `empty ${what} list` };
  const chosen = new Set<string>();
  const vocabulary = [...canonicalOrder, ...Object.keys(opts.aliases ?? {}), ...Object.keys(opts.expand ?? {})];
  for (const raw of text.split(",")) {
    if (raw === "") return { error: `empty entry in ${what} list '${text}'` };
    let word = opts.ignoreCase ? vocabulary.find((v) => v.toLowerCase() === raw.toLowerCase()) : vocabulary.find((v) => v === raw);
    // iptables compares with strncasecmp(name, word, strlen(word)): any prefix selects the first name it starts
    if (word === undefined && opts.prefix) word = canonicalOrder.find((v) => v.toLowerCase().startsWith(raw.toLowerCase()));
    if (word === undefined) {
      const hint = !opts.ignoreCase && vocabulary.some((v) => v.toLowerCase() === raw.toLowerCase()) ? ` (values are case-sensitive: ${vocabulary.find((v) => v.toLowerCase() === raw.toLowerCase())})` : didYouMean(raw, opts.allWords ?? vocabulary);
      return { error: `unknown ${what} '${raw}'${hint}` };
    }
    const expanded = opts.expand?.[word] ?? [opts.aliases?.[word] ?? word];
    for (const w of expanded) chosen.add(w);
  }
  return { values: canonicalOrder.filter((v) => chosen.has(v)) };
}

// ---------------------------------------------------------------------------------------------------------
// Marks, TOS, DSCP
// ---------------------------------------------------------------------------------------------------------

function parseMark(text: string, allowMask: boolean): { value: number; mask: number | undefined } | { error: string } {
  const [v, m, ...rest] = text.split("/");
  const value = parseUnsigned(v!);
  if (value === null || rest.length) return { error: `'${text}' is not a mark: expected value[/mask] with 32-bit numbers` };
  if (value > BigInt(U32_MAX)) return { error: `mark ${v} is larger than 32 bits (max 0xffffffff)` };
  if (m === undefined) return { value: Number(value), mask: undefined };
  if (!allowMask) return { error: `'${text}': this option takes a plain number, not value/mask` };
  const mask = parseUnsigned(m);
  if (mask === null) return { error: `'${text}' is not a mark: the mask must be a number` };
  if (mask > BigInt(U32_MAX)) return { error: `mask ${m} is larger than 32 bits (max 0xffffffff)` };
  return { value: Number(value), mask: Number(mask) };
}

function checkMark(text: string, option: OptionSpec): ValueCheck {
  const mnemonic = option.name === "--and-mark" || option.name === "--or-mark" || option.name === "--xor-mark";
  const r = parseMark(text, !mnemonic);
  if ("error" in r) return fail(r.error);
  // MARK/CONNMARK --set-mark value/mask clears mask|value and sets value: saved as --set-xmark value/(mask|value)
  if (option.name === "--set-mark" && r.mask !== undefined) r.mask = (r.mask | r.value) >>> 0;
  const { value } = r;
  switch (option.name) {
    case "--and-mark":
      return ok(`${hex(0)}/${hex(~value >>> 0)}`);
    case "--or-mark":
      return ok(`${hex(value)}/${hex(value)}`);
    case "--xor-mark":
      return ok(`${hex(value)}/${hex(0)}`);
  }
  const mask = r.mask ?? U32_MAX;
  // In a match (value & mask == value never holds when value has bits outside the mask) that never matches; in a
  // target (--set-xmark is mark = (mark & ~mask) ^ value) it is how XOR and OR are written: kube-proxy's
  // --xor-mark 0x4000 is saved as --set-xmark 0x4000/0x0.
  const warning = option.format !== "with-mask" && (value & ~mask) >>> 0 ? { warning: `value ${hex(value)} has bits outside mask ${hex(mask)}: the match never matches` } : {};
  if (option.format === "with-mask" || mask !== U32_MAX) return ok(`${hex(value)}/${hex(mask)}`, warning);
  return ok(hex(value), warning);
}

/** Symbolic TOS names iptables knows (case-insensitive); they imply mask 0x3f. */
export const TOS_NAMES: Readonly<Record<string, number>> = {
  "Minimize-Delay": 0x10,
  "Maximize-Throughput": 0x08,
  "Maximize-Reliability": 0x04,
  "Minimize-Cost": 0x02,
  "Normal-Service": 0x00,
};

function checkTos(text: string): ValueCheck {
  const name = Object.keys(TOS_NAMES).find((n) => n.toLowerCase() === text.toLowerCase());
  if (name) return ok(`${hex(TOS_NAMES[name]!, 2)}/${hex(0x3f, 2)}`);
  const [v, m, ...rest] = text.split("/");
  const value = parseUnsigned(v!);
  if (value === null || rest.length) return fail(`unknown TOS '${text}': use value[/mask] or one of ${Object.keys(TOS_NAMES).join(", ")}${didYouMean(text, Object.keys(TOS_NAMES))}`);
  if (value > 255n) return fail(`TOS value ${v} is outside 0-255`);
  let mask = 0xff;
  if (m !== undefined) {
    const mv = parseUnsigned(m);
    if (mv === null || mv > 255n) return fail(`TOS mask '${m}' is not a number in 0-255`);
    mask = Number(mv);
  }
  return ok(`${hex(value, 2)}/${hex(mask, 2)}`);
}

/** DiffServ class names → DSCP value. */
export const DSCP_CLASSES: Readonly<Record<string, number>> = (() => {
  const t: Record<string, number> = { BE: 0, EF: 46 };
  for (let x = 0; x <= 7; x++) t[`CS${x}`] = x << 3;
  for (let x = 1; x <= 4; x++) for (let y = 1; y <= 3; y++) t[`AF${x}${y}`] = (x << 3) | (y << 1);
  return t;
})();

// ---------------------------------------------------------------------------------------------------------
// Rates
// ---------------------------------------------------------------------------------------------------------

const RATE_UNITS: readonly (readonly [string, number])[] = [
  ["second", 1],
  ["minute", 60],
  ["hour", 3600],
  ["day", 86400],
];

/** Parse n[/unit] like iptables: the unit may be any prefix of second/minute/hour/day, any case. */
function parseRateUnit(text: string): { n: number; seconds: number; junk: boolean } | { error: string } {
  const slash = text.indexOf("/");
  const num = slash < 0 ? text : text.slice(0, slash);
  let seconds = 1;
  if (slash >= 0) {
    const unit = text.slice(slash + 1).toLowerCase();
    const hit = unit ? RATE_UNITS.find(([name]) => name.startsWith(unit)) : undefined;
    if (!hit) return { error: `bad rate '${text}': the unit must be /second, /minute, /hour or /day` };
    seconds = hit[1];
  }
  const m = /^\s*\+?(\d+)(.*)$/.exec(num);
  if (!m || Number(m[1]) === 0) return { error: `bad rate '${text}': the amount must be a positive integer` };
  return { n: Number(m[1]), seconds, junk: m[2] !== "" };
}

/**
 * A packet rate as limit and hashlimit read it (`n[/unit]`), in packets per second; undefined for a byte rate
 * (hashlimit's `1mb/s`) or a rate iptables refuses.
 */
export function packetsPerSecond(text: string): number | undefined {
  if (/^\d+(b|kb|mb)\//i.test(text)) return undefined;
  const r = parseRateUnit(text);
  return "error" in r ? undefined : r.n / r.seconds;
}

/** The limit match's rate printer: largest unit whose count comes out whole enough (libxt_limit print_rate). */
function printRate(period: bigint, scale: bigint): string {
  const units: [string, bigint][] = [
    ["day", scale * 86400n],
    ["hour", scale * 3600n],
    ["min", scale * 60n],
    ["sec", scale],
  ];
  let i = 1;
  for (; i < units.length; i++) {
    const mult = units[i]![1];
    if (period > mult || mult / period < mult % period) break;
  }
  const [name, mult] = units[i - 1]!;
  return `${mult / period}/${name}`;
}

function checkRate(text: string): ValueCheck {
  const r = parseRateUnit(text);
  if ("error" in r) return fail(r.error);
  const SCALE = 10000n;
  const period = (SCALE * BigInt(r.seconds)) / BigInt(r.n);
  if (period === 0n) return fail(`rate '${text}' is too fast: at most 10000/second`);
  const canonical = printRate(period, SCALE);
  return ok(canonical, r.junk ? { warning: `iptables ignores the text after the number in '${text}'` } : {});
}

/** hashlimit's byte amounts: n b, n kb (1024) or n mb (1024²). */
export const byteAmount = (n: string, unit: string) => Number(n) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as "b" | "kb" | "mb"];

function checkHashlimitRate(text: string): ValueCheck {
  const bytes = /^(\d+)(b|kb|mb)\/s(ec(ond)?)?$/i.exec(text);
  if (bytes) {
    const total = byteAmount(bytes[1]!, bytes[2]!);
    if (total === 0) return fail(`bad rate '${text}'`);
    if (total % (1024 * 1024) === 0) return ok(`${total / (1024 * 1024)}mb/s`);
    if (total % 1024 === 0) return ok(`${total / 1024}kb/s`);
    return ok(`${total}b/s`, { warning: "byte rates that are not a multiple of 1kb are rounded by iptables" });
  }
  const r = parseRateUnit(text);
  if ("error" in r) return fail(r.error);
  const SCALE = 1000000n;
  const period = (SCALE * BigInt(r.seconds)) / BigInt(r.n);
  if (period === 0n) return fail(`rate '${text}' is too fast: at most 1000000/second`);
  if (period > 21600n * SCALE) return fail(`rate '${text}' is too slow: the kernel refuses hashlimit rates below 4/day`);
  return ok(printRate(period, SCALE), r.junk ? { warning: `iptables ignores the text after the number in '${text}'` } : {});
}

function checkHashlimitBurst(text: string): ValueCheck {
  const bytes = /^(\d+)(b|kb|mb)$/i.exec(text);
  if (bytes) {
    const total = byteAmount(bytes[1]!, bytes[2]!);
    if (total % (1024 * 1024) === 0 && total > 0) return ok(`${total / (1024 * 1024)}mb`);
    return ok(String(total), { warning: "a byte burst that is not a whole number of mb is printed in bytes" });
  }
  const v = parseBounded(text, 1, 1000000);
  if (v === null) return fail(`burst '${text}' must be 1-1000000 packets or a byte amount like 1mb`);
  return ok(String(v));
}

/** rateest rate units (xtables_parse_rate): bit and byte based, SI and IEC; printed back in bit/s units. */
const BANDWIDTH_UNITS: Readonly<Record<string, number>> = {
  bit: 1 / 8, kbit: 1000 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8, tbit: 1e12 / 8,
  kibit: 1024 / 8, mibit: 1024 ** 2 / 8, gibit: 1024 ** 3 / 8, tibit: 1024 ** 4 / 8,
  bps: 1, kbps: 1000, mbps: 1e6, gbps: 1e9, tbps: 1e12,
  kibps: 1024, mibps: 1024 ** 2, gibps: 1024 ** 3, tibps: 1024 ** 4,
};

function checkBandwidth(text: string): ValueCheck {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(text);
  if (!m) return fail(`'${text}' is not a rate: use a number with a unit like 2mbit or 100KBps`);
  const unit = m[2]!.toLowerCase();
  const factor = unit === "" ? 1 / 8 : BANDWIDTH_UNITS[unit];
  if (factor === undefined) return fail(`unknown rate unit '${m[2]}' in '${text}'${didYouMean(unit, Object.keys(BANDWIDTH_UNITS))}`);
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes > U32_MAX) return fail(`rate '${text}' exceeds 32 bits of bytes per second`);
  // tc's print_rate, as iptables-save uses it: Mbit from 10^9 bit/s, Kbit from 10^6, else bit (%.0f)
  const bits = bytes * 8;
  if (bits >= 1e9) return ok(`${Math.round(bits / 1e6)}Mbit`);
  if (bits >= 1e6) return ok(`${Math.round(bits / 1e3)}Kbit`);
  return ok(`${bits}bit`);
}

function checkDuration(text: string): ValueCheck {
  const m = /^(\d+(?:\.\d+)?)(s|sec|ms|msec|us|usec)?$/.exec(text);
  if (!m) return fail(`'${text}' is not a duration: use a number with s, ms or us`);
  const us = Math.round(Number(m[1]) * ({ s: 1e6, sec: 1e6, ms: 1e3, msec: 1e3, us: 1, usec: 1 }[m[2] ?? "s"] ?? 1e6));
  if (us >= 1e6) return ok(`${(us / 1e6).toFixed(1)}s`);
  if (us >= 1e3) return ok(`${(us / 1e3).toFixed(1)}ms`);
  return ok(`${us}us`);
}

// ---------------------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------------------

const pad2 = (n: number) => String(n).padStart(2, "0");

function checkTime(text: string): ValueCheck {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (!m) return fail(`invalid time '${text}': expected hh:mm[:ss]`);
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return fail(`invalid time '${text}': must be within 00:00:00 and 23:59:59`);
  return ok(`${pad2(h)}:${pad2(mi)}:${pad2(s)}`);
}

function checkDatetime(text: string): ValueCheck {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/.exec(text);
  if (!m) return fail(`invalid date '${text}': expected YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`);
  const [y, mo, d, h, mi, s] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (y < 1970 || y > 2038) return fail(`invalid date '${text}': the year must be 1970-2038`);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return fail(`invalid date '${text}'`);
  const canonical = `${y}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}`;
  if (Date.UTC(y, mo - 1, d, h, mi, s) / 1000 > 2 ** 31 - 1) return ok(canonical, { warning: "dates after 2038-01-19T03:14:07 overflow the kernel's 32-bit time" });
  return ok(canonical);
}

/** Weekday names in the order the time match prints them. */
export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

function checkWeekdays(text: string): ValueCheck {
  const days = new Set<number>();
  for (const word of text.split(",")) {
    let idx = WEEKDAYS.findIndex((d) => d === word || d.slice(0, 2) === word);
    if (idx < 0 && /^\d+$/.test(word)) {
      const n = Number(word);
      if (n < 1 || n > 7) return fail(`weekday ${word} is outside 1-7`);
      idx = n - 1;
    }
    if (idx < 0) return fail(`'${word}' is not a weekday: use Mon-Sun, Mo-Su or 1-7${didYouMean(word, WEEKDAYS)}`);
    days.add(idx);
  }
  const canonical = WEEKDAYS.filter((_, i) => days.has(i)).join(",");
  return days.size === 7 ? ok(canonical, { omitted: true }) : ok(canonical);
}

function checkMonthdays(text: string): ValueCheck {
  const days = new Set<number>();
  for (const word of text.split(",")) {
    if (!/^\d+$/.test(word)) return fail(`'${word}' is not a day of the month`);
    const n = Number(word);
    if (n < 1 || n > 31) return fail(`day of month ${word} is outside 1-31`);
    days.add(n);
  }
  const canonical = [...days].sort((a, b) => a - b).join(",");
  return days.size === 31 ? ok(canonical, { omitted: true }) : ok(canonical);
}

// ---------------------------------------------------------------------------------------------------------
// Extension-specific syntaxes
// ---------------------------------------------------------------------------------------------------------

/** u32 test language: parse, enforce iptables' limits, print as iptables-save does (hex, no spaces). */
function checkU32(text: string): ValueCheck {
  const src = text.replace(/\s+/g, "");
  const tests = src.split("&&");
  if (tests.length > 10) return fail("u32: at most 10 tests ('=') are allowed");
  const num = (s: string): string | null => {
    const v = parseUnsigned(s);
    return v === null || v > BigInt(U32_MAX) ? null : hex(v);
  };
  const out: string[] = [];
  for (const t of tests) {
    const eq = t.indexOf("=");
    if (eq < 0) return fail(`u32: test '${t}' has no '='`);
    const location = t.slice(0, eq);
    const value = t.slice(eq + 1);
    if (value === "") return fail("u32: test ended with no value specified");
    const tokens = location.split(/(&|<<|>>|@)/).filter((x) => x !== "");
    if (tokens.length === 0) return fail(`u32: test '${t}' has no location`);
    let loc = "";
    let expectNumber = true;
    let count = 0;
    for (const tok of tokens) {
      if (expectNumber) {
        const n = num(tok);
        if (n === null) return fail(`u32: '${tok}' is not a number or out of range`);
        loc += n;
        count++;
        expectNumber = false;
      } else {
        if (!["&", "<<", ">>", "@"].includes(tok)) return fail(`u32: unexpected '${tok}'`);
        loc += tok;
        expectNumber = true;
      }
    }
    if (expectNumber) return fail(`u32: location '${location}' ends with an operator`);
    if (count > 10) return fail("u32: at most 10 numbers per location");
    const ranges = value.split(",");
    if (ranges.length > 10) return fail("u32: at most 10 ranges per value");
    const vals: string[] = [];
    for (const r of ranges) {
      const [a, b, ...rest] = r.split(":");
      const na = num(a!);
      if (na === null || rest.length) return fail(`u32: '${r}' is not a number or range`);
      if (b === undefined) vals.push(na);
      else {
        const nb = num(b);
        if (nb === null) return fail(`u32: '${r}' is not a number or range`);
        vals.push(`${na}:${nb}`);
      }
    }
    out.push(`${loc}=${vals.join(",")}`);
  }
  return ok(out.join("&&"));
}

function checkBpf(text: string): ValueCheck {
  const parts = text.split(",");
  const count = Number(parts[0]);
  if (!/^\d+$/.test(parts[0] ?? "") || count < 1) return fail("bpf: the program must start with the number of instructions");
  if (count > 64) return fail(`bpf: at most 64 instructions (got ${count})`);
  if (parts.length - 1 !== count) return fail(`bpf: the program announces ${count} instructions but has ${parts.length - 1}`);
  for (const ins of parts.slice(1)) {
    if (!/^\s*\d+ \d+ \d+ \d+\s*$/.test(ins)) return fail(`bpf: instruction '${ins}' must be 'code jt jf k' in decimal`);
  }
  return ok(text);
}

function checkHexString(text: string, ctx: ValueContext): ValueCheck {
  const bytes: number[] = [];
  let i = 0;
  let inHex = false;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "|") {
      inHex = !inHex;
      i++;
      continue;
    }
    if (inHex) {
      if (ch === " ") {
        i++;
        continue;
      }
      const pair = text.slice(i, i + 2);
      if (!/^[0-9a-fA-F]{2}$/.test(pair)) {
        return fail(/^[0-9a-fA-F]$/.test(ch) ? `invalid hex block in '${text}' (odd number of hex digits)` : `invalid hex char '${ch}' in '${text}'`);
      }
      bytes.push(parseInt(pair, 16));
      i += 2;
      continue;
    }
    if (ch === "\\" && i + 1 < text.length) {
      bytes.push(text.charCodeAt(i + 1));
      i += 2;
      continue;
    }
    bytes.push(...Buffer.from(ch, "utf8"));
    i++;
  }
  if (inHex) return fail(`unterminated |hex| block in '${text}'`);
  if (bytes.length === 0) return fail("empty pattern");
  const max = ctx.option.maxLength ?? 128;
  if (bytes.length > max) return fail(`pattern is ${bytes.length} bytes; at most ${max}`);
  if (bytes.every((b) => b >= 0x20 && b < 0x7f)) return ok(String.fromCharCode(...bytes), { savedAs: "--string" });
  return ok(`|${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}|`);
}

/** SCTP chunk types: the flags each accepts, and the chunk type number (iptables-save prints lists in that order). */
export const SCTP_CHUNKS: Readonly<Record<string, string>> = {
  DATA: "IUBE", INIT: "", INIT_ACK: "", SACK: "", HEARTBEAT: "", HEARTBEAT_ACK: "", ABORT: "T", SHUTDOWN: "",
  SHUTDOWN_ACK: "", ERROR: "", COOKIE_ECHO: "", COOKIE_ACK: "", ECN_ECNE: "", ECN_CWR: "", SHUTDOWN_COMPLETE: "T",
  I_DATA: "IUBE", RE_CONFIG: "", PAD: "", ASCONF: "", ASCONF_ACK: "", FORWARD_TSN: "", I_FORWARD_TSN: "",
};
export const SCTP_CHUNK_TYPES: Readonly<Record<string, number>> = {
  DATA: 0, INIT: 1, INIT_ACK: 2, SACK: 3, HEARTBEAT: 4, HEARTBEAT_ACK: 5, ABORT: 6, SHUTDOWN: 7, SHUTDOWN_ACK: 8,
  ERROR: 9, COOKIE_ECHO: 10, COOKIE_ACK: 11, ECN_ECNE: 12, ECN_CWR: 13, SHUTDOWN_COMPLETE: 14, I_DATA: 64,
  ASCONF_ACK: 128, RE_CONFIG: 130, PAD: 132, FORWARD_TSN: 192, ASCONF: 193, I_FORWARD_TSN: 194,
};

function checkSctpChunks(text: string): ValueCheck {
  if (/^(all|none)$/i.test(text)) return ok(text.toUpperCase());
  const out: [number, string][] = [];
  for (const item of text.split(",")) {
    const [name, flags, ...rest] = item.split(":");
    const chunk = Object.keys(SCTP_CHUNKS).find((c) => c.toLowerCase() === name!.toLowerCase());
    if (!chunk || rest.length) return fail(`unknown SCTP chunk type '${name}'${didYouMean(name!, Object.keys(SCTP_CHUNKS))}`);
    if (flags === undefined || flags === "") {
      out.push([SCTP_CHUNK_TYPES[chunk]!, chunk]);
      continue;
    }
    const allowed = SCTP_CHUNKS[chunk]!;
    for (const f of flags) if (!allowed.includes(f.toUpperCase())) return fail(`invalid flag '${f}' for chunk type ${chunk}${allowed ? ` (valid: ${allowed} / ${allowed.toLowerCase()})` : " (it takes no flags)"}`);
    // flags are kept as given (iptables-save may drop a flag set that means "any": a known gap)
    out.push([SCTP_CHUNK_TYPES[chunk]!, `${chunk}:${flags}`]);
  }
  return ok(out.sort((a, b) => a[0] - b[0]).map(([, t]) => t).join(","));
}

/** Mobility Header type names (ip6tables -p mh -h), with their short aliases. */
export const MH_TYPES: Readonly<Record<string, number>> = {
  "binding-refresh-request": 0, brr: 0, "home-test-init": 1, hoti: 1, "careof-test-init": 2, coti: 2,
  "home-test": 3, hot: 3, "careof-test": 4, cot: 4, "binding-update": 5, bu: 5, "binding-acknowledgement": 6,
  ba: 6, "binding-error": 7, be: 7,
};

function parseMhType(word: string): number | string {
  if (/^[0-9]/.test(word)) {
    const v = parseUnsigned(word);
    return v === null || v > 255n ? `MH type '${word}' is outside 0-255` : Number(v);
  }
  const lower = word.toLowerCase();
  const hits = Object.keys(MH_TYPES).filter((n) => n.startsWith(lower));
  const exact = Object.keys(MH_TYPES).find((n) => n === lower);
  if (exact) return MH_TYPES[exact]!;
  const values = new Set(hits.map((h) => MH_TYPES[h]));
  if (values.size === 1) return MH_TYPES[hits[0]!]!;
  return hits.length ? `ambiguous MH type '${word}'` : `unknown MH type '${word}'${didYouMean(word, Object.keys(MH_TYPES))}`;
}

/** ipv6header --header words → header number (255 = any upper-layer protocol), and their printed names. */
const IPV6_HEADERS: Readonly<Record<string, number>> = {
  hop: 0, "hop-by-hop": 0, hopopt: 0, dst: 60, "ipv6-opts": 60, route: 43, "ipv6-route": 43, frag: 44,
  "ipv6-frag": 44, auth: 51, ah: 51, esp: 50, none: 59, "ipv6-nonxt": 59, prot: 255, protocol: 255,
};
const IPV6_HEADER_PRINT: readonly (readonly [number, string])[] = [
  [0, "hop-by-hop"], [60, "ipv6-opts"], [43, "ipv6-route"], [44, "ipv6-frag"], [51, "ah"], [50, "esp"], [59, "ipv6-nonxt"], [255, "protocol"],
];

function checkIpv6Headers(text: string): ValueCheck {
  const chosen = new Set<number>();
  for (const word of text.split(",")) {
    let n: number | undefined = IPV6_HEADERS[word];
    if (n === undefined && /^\d+$/.test(word)) {
      const v = Number(word);
      if (IPV6_HEADER_PRINT.some(([num]) => num === v)) n = v;
    }
    if (n === undefined) return fail(`unknown IPv6 header '${word}': use hop, dst, route, frag, auth, esp, none or prot${didYouMean(word, Object.keys(IPV6_HEADERS))}`);
    chosen.add(n);
  }
  return ok(IPV6_HEADER_PRINT.filter(([n]) => chosen.has(n)).map(([, name]) => name).join(","));
}

function checkIpv6Options(text: string): ValueCheck {
  const items = text.split(",");
  if (items.length > 16) return fail("at most 16 options");
  for (const item of items) {
    const [t, l, ...rest] = item.split(":");
    const tv = parseUnsigned(t!);
    if (tv === null || rest.length) return fail(`'${item}' is not type[:length]`);
    if (tv > 255n) return fail(`option type ${t} is outside 0-255`);
    if (l !== undefined) {
      const lv = parseUnsigned(l);
      if (lv === null || lv > 255n) return fail(`option length '${l}' is outside 0-255`);
    }
  }
  return ok(items.map((i) => i.split(":").map((x) => String(Number(parseUnsigned(x)))).join(":")).join(","));
}

/** TCPOPTSTRIP option names → TCP option numbers. */
export const TCP_OPTION_NAMES: Readonly<Record<string, number>> = { wscale: 3, mss: 2, "sack-permitted": 4, sack: 5, timestamp: 8, md5: 19 };

function checkTcpOptionList(text: string): ValueCheck {
  const nums = new Set<number>();
  for (const word of text.split(",")) {
    const named = TCP_OPTION_NAMES[word];
    const n = named ?? (parseUnsigned(word) !== null ? Number(parseUnsigned(word)) : NaN);
    if (Number.isNaN(n)) return fail(`unknown TCP option '${word}'${didYouMean(word, Object.keys(TCP_OPTION_NAMES))}`);
    if (n > 255) return fail(`TCP option ${word} is outside 0-255`);
    nums.add(n);
  }
  return ok([...nums].sort((a, b) => a - b).join(","));
}

/**
 * REJECT --reject-with types per family: canonical name → accepted aliases, in iptables' table order. iptables
 * takes the first entry whose name or alias starts with the given word (case-insensitive), so abbreviations
 * such as "icmp-h" or "port" work.
 */
export const REJECT_TYPES: Readonly<Record<Family, Readonly<Record<string, readonly string[]>>>> = {
  ipv4: {
    "icmp-net-unreachable": ["net-unreach"],
    "icmp-host-unreachable": ["host-unreach"],
    "icmp-proto-unreachable": ["proto-unreach"],
    "icmp-port-unreachable": ["port-unreach"],
    "icmp-net-prohibited": ["net-prohib"],
    "icmp-host-prohibited": ["host-prohib"],
    "tcp-reset": ["tcp-rst"],
    "icmp-admin-prohibited": ["admin-prohib"],
  },
  ipv6: {
    "icmp6-no-route": ["no-route"],
    "icmp6-adm-prohibited": ["adm-prohibited"],
    "icmp6-addr-unreachable": ["addr-unreach"],
    "icmp6-port-unreachable": ["port-unreach"],
    "tcp-reset": [],
    "icmp6-policy-fail": ["policy-fail"],
    "icmp6-reject-route": ["reject-route"],
  },
};

function checkRejectType(text: string, family: Family): ValueCheck {
  const lower = text.toLowerCase();
  const table = REJECT_TYPES[family];
  for (const [name, aliases] of Object.entries(table)) if (name === lower || aliases.includes(lower)) return ok(name);
  if (lower !== "") {
    for (const [name, aliases] of Object.entries(table)) {
      if ([name, ...aliases].some((w) => w.startsWith(lower))) return ok(name, { warning: `'${text}' is taken as an abbreviation of ${name}` });
    }
  }
  const other = REJECT_TYPES[otherFamily(family)];
  const inOther = Object.entries(other).some(([n, a]) => n === lower || a.includes(lower));
  const valid = Object.keys(table).join(", ");
  return fail(`unknown reject type '${text}' for ${familyName(family)}${inOther ? ` (it is an ${familyName(otherFamily(family))} type)` : didYouMean(text, Object.keys(table))}; valid: ${valid}`);
}

/** LOG levels: names → numbers (iptables-save prints the number). */
export const LOG_LEVELS: Readonly<Record<string, number>> = { emerg: 0, panic: 0, alert: 1, crit: 2, error: 3, warning: 4, notice: 5, info: 6, debug: 7 };

/** iproute2 tables iptables-save uses to print realm and device-group numbers as names (Debian defaults). */
const IPROUTE2_NAMES: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  "--realm": { 0: "cosmos" },
  "--src-group": { 0: "default" },
  "--dst-group": { 0: "default" },
};

function checkNamedMark(text: string, option: OptionSpec): ValueCheck {
  const names = IPROUTE2_NAMES[option.name] ?? {};
  if (/^[0-9]/.test(text)) {
    const r = parseMark(text, true);
    if ("error" in r) return fail(r.error);
    if (r.mask === undefined || r.mask === U32_MAX) return ok(names[r.value] ?? hex(r.value));
    return ok(`${hex(r.value)}/${hex(r.mask)}`);
  }
  if (text.includes("/")) return fail(`'${text}': a mask can only be used with a numeric value`);
  if (Object.values(names).includes(text)) return ok(text);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(text)) return fail(`'${text}' is neither value[/mask] nor a name`);
  return ok(text, { warning: `name '${text}' must be defined in ${option.name === "--realm" ? "/etc/iproute2/rt_realms" : "/etc/iproute2/group"} where the rules are loaded` });
}

function checkUserOrGroup(text: string, what: "user" | "group"): ValueCheck {
  const MAX = 4294967294;
  if (/^[0-9]/.test(text)) {
    const [a, b, ...rest] = text.split("-");
    const from = parseBounded(a!, 0, MAX);
    const to = b === undefined ? from : parseBounded(b, 0, MAX);
    if (from === null || to === null || rest.length) return fail(`'${text}' is not a ${what} id or id range (0-${MAX})`);
    if (from > to) return fail(`reversed ${what} id range ${text}`);
    return ok(from === to ? String(from) : `${from}-${to}`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(text)) return fail(`'${text}' is not a ${what} name or id`);
  if (text === "root") return ok("0");
  return ok(text, { warning: `${what} name '${text}' is looked up when the rules are loaded and saved as its numeric id` });
}

// ---------------------------------------------------------------------------------------------------------
// Generic helpers per kind
// ---------------------------------------------------------------------------------------------------------

function checkNumber(text: string, ctx: ValueContext): ValueCheck {
  const { option } = ctx;
  const min = option.min ?? 0;
  const max = option.maxByFamily?.[ctx.family] ?? option.max ?? U32_MAX;
  const v = option.numberSyntax === "decimal" ? (/^\d+$/.test(text) ? BigInt(text) : null) : parseUnsigned(text);
  if (v === null) return fail(`'${text}' is not a number`);
  if (option.valueBits !== undefined && v > BigInt(max) && v <= BigInt(U32_MAX)) {
    const low = Number(v & ((1n << BigInt(option.valueBits)) - 1n));
    return ok(formatNumber(low, option), { warning: `${option.name} ${text} does not fit ${option.valueBits} bits; iptables keeps ${low}` });
  }
  if (option.clampMax !== undefined && v > BigInt(option.clampMax) && v <= BigInt(max)) {
    return ok(formatNumber(option.clampMax, option), { warning: `${option.name} ${text} is lowered to ${option.clampMax}` });
  }
  if (v < BigInt(min) || v > BigInt(max)) return fail(`${option.name} ${text} is outside ${min}-${max}`);
  const n = Number(v);
  // nf_tables puts its default in place of what the legacy backend refuses (`--limit-burst 0` is saved as 5)
  if (option.legacyMin !== undefined && n < option.legacyMin && typeof option.default === "string") return ok(option.default);
  switch (option.name) {
    case "--cluster-local-node":
      return ok(hex(2 ** (n - 1), 8));
    case "--and-tos":
      return ok(`${hex(0, 2)}/${hex(~n & 0xff, 2)}`);
    case "--or-tos":
      return ok(`${hex(n, 2)}/${hex(n, 2)}`);
    case "--xor-tos":
      return ok(`${hex(n, 2)}/${hex(0, 2)}`);
  }
  return ok(formatNumber(n, option));
}

function checkNumberRange(text: string, ctx: ValueContext): ValueCheck {
  const { option } = ctx;
  const min = option.min ?? 0;
  const max = option.max ?? U32_MAX;
  const parts = text.split(":");
  if (parts.length > 2 || text === "") return fail(`'${text}' is not a number or range n:m`);
  const read = (t: string, dflt: number) => {
    if (t === "" && parts.length === 2) return dflt;
    const v = parseUnsigned(t);
    return v === null || v < BigInt(min) || v > BigInt(max) ? null : Number(v);
  };
  const from = read(parts[0]!, min);
  const to = parts.length === 2 ? read(parts[1]!, max) : from;
  if (from === null || to === null) return fail(`${option.name} ${text}: values must be numbers in ${min}-${max}`);
  if (option.name === "--queue-balance") {
    if (from >= to) return fail(`--queue-balance ${text}: the first queue must be below the last`);
    if (from === 0 && to === 65535) return fail("--queue-balance 0:65535 is refused: with 0 as first queue the last can be at most 65534");
  }
  let warning: string | undefined;
  if (from > to) {
    if (!option.reversedRangeOk) return fail(`reversed range ${text}`);
    warning = `reversed range ${text} never matches`;
  }
  const canonical = from === to ? String(from) : `${from}:${to}`;
  return ok(canonical, warning ? { warning } : {});
}

function checkNumber64Range(text: string, ctx: ValueContext): ValueCheck {
  const parts = text.split(":");
  if (parts.length > 2 || text === "") return fail(`'${text}' is not a number or range n:m`);
  const read = (t: string) => {
    const v = parseUnsigned(t);
    return v === null || v > U64_MAX ? null : v;
  };
  const from = parts[0] === "" ? 0n : read(parts[0]!);
  const to = parts.length === 1 || parts[1] === "" ? U64_MAX : read(parts[1]!);
  if (from === null || to === null) return fail(`${ctx.option.name} ${text}: values must be numbers in 0-${U64_MAX}`);
  // iptables refuses a reversed connbytes range ("10 should be less than 5")
  if (from > to) return ctx.option.reversedRangeOk ? ok(`${from}:${to}`, { warning: `reversed range ${text} never matches` }) : fail(`reversed range ${text}: the first value must not be above the second`);
  return ok(to === U64_MAX ? String(from) : `${from}:${to}`);
}

/** Longest interface name the kernel takes, in bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

/**
 * `text` takes more than `limit` bytes in UTF-8, as the kernel counts names and strings. UTF-8 takes at most
 * 3 bytes per UTF-16 unit, so a text of at most a third of the limit is not measured (the rules ask this of
 * every comment and interface name of a dump).
 */
export function exceedsBytes(text: string, limit: number): boolean {
  return text.length * 3 > limit && Buffer.byteLength(text, "utf8") > limit;
}

/**
 * A string value checkString takes as written and without a warning, seen from its length alone: at least
 * `minLength` UTF-16 units (each is at least one byte), and at most a third of `maxLength` (each is at most
 * three bytes). Rules skip such values (most comments of a dump) without checking or remembering them.
 */
export function stringSurelyFits(text: string, option: OptionSpec): boolean {
  return text.length >= (option.minLength ?? 1) && (option.maxLength === undefined || text.length * 3 <= option.maxLength);
}

function checkString(text: string, ctx: ValueContext): ValueCheck {
  const { option } = ctx;
  if (stringSurelyFits(text, option)) return ok(text);
  const minLength = option.minLength ?? 1;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes < minLength) return fail(`${option.name} needs at least ${minLength} character${minLength > 1 ? "s" : ""}`);
  if (option.maxLength !== undefined && bytes > option.maxLength) {
    if (option.truncates) {
      const cut = Buffer.from(text, "utf8").subarray(0, option.maxLength).toString("utf8");
      return ok(cut, { warning: `${option.name} is cut to ${option.maxLength} bytes (${bytes} given): '${cut}'` });
    }
    return fail(`${option.name} is ${bytes} bytes long; at most ${option.maxLength}`);
  }
  return ok(text);
}

function checkEnum(text: string, ctx: ValueContext, list: boolean): ValueCheck {
  const { option } = ctx;
  const values = option.values ?? [];
  const r = checkWordList(text, `value for ${option.name}`, values, { ignoreCase: option.ignoreCase ?? false, aliases: option.valueAliases ?? {} });
  if ("error" in r) return fail(`${r.error}; valid: ${values.join(", ")}`);
  if (!list && (text.includes(",") || r.values.length !== 1)) return fail(`${option.name} takes one value, not a list; valid: ${values.join(", ")}`);
  for (const v of r.values) {
    const families = option.valueConstraints?.[v]?.families;
    if (families && !families.includes(ctx.family)) return fail(`${v} is not available for ${familyName(ctx.family)} (${option.name})`);
  }
  if (option.name === "--hmark-tuple" && r.values.includes("spi") && (r.values.includes("sport") || r.values.includes("dport"))) {
    return fail("--hmark-tuple cannot combine spi with sport/dport");
  }
  return ok(r.values.join(","));
}

// ---------------------------------------------------------------------------------------------------------
// checkValue
// ---------------------------------------------------------------------------------------------------------

/** Validate one value word of an option as the extension would, and give its canonical iptables-save spelling. */
export function checkValue(kind: ValueKind, text: string, ctx: ValueContext): ValueCheck {
  const result = checkKind(kind, text, ctx);
  if (!result.ok) return result;
  const { option } = ctx;
  const dflt = typeof option.default === "string" ? option.default : option.default?.[ctx.family];
  if (option.save === "omit-default" && dflt !== undefined && result.canonical === dflt && option.args === 1) return { ...result, omitted: true };
  if (option.save === "never") return { ...result, omitted: true };
  return result;
}

function checkKind(kind: ValueKind, text: string, ctx: ValueContext): ValueCheck {
  const { family, option } = ctx;
  switch (kind) {
    case "address":
      return checkAddress(text, ctx);
    case "address-list": {
      const parts = text.split(",");
      const results = parts.map((p) => checkAddress(p, ctx));
      const bad = results.find((r) => !r.ok);
      if (bad) return bad;
      const oks = results as Extract<ValueCheck, { ok: true }>[];
      const warnings = oks.map((r) => r.warning).filter(Boolean);
      return ok(oks.map((r) => r.canonical).join(","), {
        ...(warnings.length ? { warning: warnings.join("; ") } : {}),
        ...(parts.length === 1 && oks[0]!.omitted ? { omitted: true as const } : {}),
      });
    }
    case "address-range": {
      const [a, b, ...rest] = text.split("-");
      if (rest.length || a === "" || b === "") return fail(`'${text}' is not an address range from[-to]`);
      const wrong = wrongFamilyMessage(a!, family) ?? (b !== undefined ? wrongFamilyMessage(b, family) : undefined);
      if (wrong) return fail(wrong);
      const from = parseAddress(a!, family);
      const to = b === undefined ? from : parseAddress(b, family);
      if (from === null || to === null) return fail(`'${text}' is not a valid ${familyName(family)} address range (numeric addresses, no masks or names)`);
      const canonical = `${formatAddress(from, family)}-${formatAddress(to, family)}`;
      if (from > to) return option.reversedRangeOk ? ok(canonical, { warning: `reversed range ${text} never matches` }) : fail(`reversed range ${text}`);
      return ok(canonical);
    }
    case "address-mask": {
      const wrong = wrongFamilyMessage(text, family);
      if (wrong) return fail(wrong);
      const v = parseAddress(text, family);
      if (v === null) return fail(`'${text}' is not a valid ${familyName(family)} netmask`);
      return ok(formatAddress(v, family), maskLength(v, family) < 0 ? { warning: `netmask ${text} is not contiguous` } : {});
    }
    case "prefix-length": {
      let len: number | null = null;
      const v = parseUnsigned(text);
      if (v !== null) len = v <= 4096n ? Number(v) : null;
      else {
        const m = parseMask(text, family);
        if (m !== null) len = maskLength(m, family);
        if (len === -1) return fail(`netmask ${text} is not contiguous`);
      }
      const bits = BITS[family];
      const max = option.max ?? bits;
      // options parsed as "prefix length or netmask" (max 128 in the catalog) take any number for IPv4 and treat >32 as 32
      const ipv4Lenient = family === "ipv4" && max > bits && v !== null && v <= BigInt(U32_MAX);
      if (ipv4Lenient && len === null) len = Number(v);
      if (len === null || (len > Math.max(max, bits) && !ipv4Lenient)) return fail(`prefix length ${text} is outside 0-${bits}`);
      if (len > bits) return ok(String(bits), { warning: `prefix length ${text} is more than ${bits}; iptables treats it as ${bits}` });
      return ok(String(len));
    }
    case "interface": {
      if (text === "") return fail("empty interface name");
      if (exceedsBytes(text, IFNAME_MAX)) {
        if (option.truncates) return ok(text.slice(0, IFNAME_MAX), { warning: `interface name '${text}' is cut to ${IFNAME_MAX} characters` });
        return fail(`interface name '${text}' is longer than ${IFNAME_MAX} characters`);
      }
      if (text === "+") return ok("+", { omitted: true });
      return ok(text, /[\s/:]/.test(text) ? { warning: `no Linux interface can be called '${text}'` } : {});
    }
    case "protocol": {
      const lower = text.toLowerCase();
      let n: number | undefined;
      if (/^[0-9]/.test(lower)) {
        const v = parseUnsigned(lower);
        if (v === null || v > 255n) return fail(`protocol '${text}' is outside 0-255`);
        n = Number(v);
      } else if (lower === "mptcp") {
        return ok("mptcp", { warning: "mptcp is protocol 262 in /etc/protocols: iptables-nft loads it as tcp (6), iptables-legacy as 262, which matches nothing; MPTCP traffic is plain TCP (-p tcp)" });
      } else n = PROTOCOLS[lower];
      if (n === undefined) return fail(`unknown protocol '${text}'${lower === "icmp6" ? " (the protocol is icmpv6 or ipv6-icmp; icmp6 is the match name)" : didYouMean(lower, Object.keys(PROTOCOLS))}`);
      if (option.format === "numeric") return ok(String(n));
      if (n === 0) return ok("all", ctx.extension === undefined ? { omitted: true } : {});
      const warning =
        family === "ipv4" && n === 58 ? { warning: "ICMPv6 in an IPv4 rule never matches" } : family === "ipv6" && n === 1 ? { warning: "ICMP (v4) in an IPv6 rule never matches; use icmpv6" } : {};
      return ok(PROTOCOL_SAVE_NAMES[n] ?? String(n), warning);
    }
    case "port": {
      const r = parsePort(text, serviceProtocol(ctx), option);
      if ("error" in r) return fail(r.error);
      if ("unknownName" in r) return ok(text, unknownServiceWarning([text]));
      return ok(String(r.port), r.wrapped !== undefined ? { warning: `port ${text} is above 65535; iptables keeps the low 16 bits: ${r.wrapped}` } : {});
    }
    case "port-range": {
      const r = portRange(text, serviceProtocol(ctx), ":", true, option);
      if ("error" in r) return fail(r.error);
      const canonical = r.from === r.to ? String(r.from) : `${r.from}:${r.to}`;
      if (r.unknown.length) return ok(text, unknownServiceWarning(r.unknown));
      if (r.wrapped.length) return ok(canonical, { warning: `ports above 65535 keep only their low 16 bits (${r.wrapped.join(", ")})` });
      if (r.from > r.to) {
        if (!option.reversedRangeOk) return fail(`reversed port range ${text}`);
        return ok(canonical, { warning: `reversed port range ${text} never matches` });
      }
      return ok(canonical);
    }
    case "port-list": {
      const items = text.split(",");
      let count = 0;
      const out: string[] = [];
      const unknown: string[] = [];
      for (const item of items) {
        const r = portRange(item, serviceProtocol(ctx), ":", false);
        if ("error" in r) return fail(item === "" ? `empty entry in port list '${text}'` : r.error);
        unknown.push(...r.unknown);
        if (r.from > r.to) return fail(`reversed port range ${item}`);
        count += item.includes(":") ? 2 : 1;
        out.push(r.unknown.length ? item : item.includes(":") ? `${r.from}:${r.to}` : String(r.from));
      }
      if (count > 15) return fail(`too many ports in '${text}': at most 15, and a range counts as two (${count})`);
      return ok(out.join(","), unknownServiceWarning(unknown));
    }
    case "port-range-dash": {
      if (text.includes(":")) return fail(`'${text}': use a dash for port ranges (port-port)`);
      const r = portRange(text, undefined, "-", false);
      if ("error" in r) return fail(r.error);
      if (r.unknown.length) return ok(text, unknownServiceWarning(r.unknown));
      if (r.from > r.to) return fail(`reversed port range ${text}`);
      return ok(r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);
    }
    case "nat-range":
      return checkNatRange(text, ctx);
    case "icmp-type":
      if (family === "ipv6") return fail("--icmp-type is IPv4 only; use -p icmpv6 --icmpv6-type");
      return checkIcmp(text, "ipv4");
    case "icmpv6-type":
      if (family === "ipv4") return fail("--icmpv6-type is IPv6 only; use -p icmp --icmp-type");
      return checkIcmp(text, "ipv6");
    case "ctstate-list":
    case "state-list": {
      const order = kind === "ctstate-list" ? CT_STATES : STATE_STATES;
      const r = checkWordList(text, kind === "ctstate-list" ? "conntrack state" : "state", order, { ignoreCase: true, prefix: true, allWords: CT_STATES });
      if ("error" in r) {
        const snat = kind === "state-list" && /(^|,)(s|d)nat(,|$)/i.test(text);
        return fail(snat ? `the state match does not know SNAT/DNAT; use -m conntrack --ctstate` : r.error);
      }
      return ok(r.values.join(","));
    }
    case "ctstatus-list": {
      const r = checkWordList(text, "conntrack status", CT_STATUSES, { ignoreCase: true, prefix: true });
      if ("error" in r) return fail(r.error);
      const vals = r.values.length > 1 ? r.values.filter((v) => v !== "NONE") : r.values;
      return ok(vals.join(","));
    }
    case "tcp-flag-list": {
      const r = checkWordList(text, "TCP flag", TCP_FLAGS, { ignoreCase: true, expand: { ALL: TCP_FLAGS, NONE: [] } });
      if ("error" in r) return fail(/^(ece|cwr)$/i.test(text.split(",").find((w) => /^(ece|cwr)$/i.test(w)) ?? "") ? `iptables 1.8.9 knows only FIN, SYN, RST, PSH, ACK, URG (not ECE/CWR)` : r.error);
      return ok(r.values.length ? r.values.join(",") : "NONE");
    }
    case "mark":
      return checkMark(text, option);
    case "number":
      return checkNumber(text, ctx);
    case "number-range":
      return checkNumberRange(text, ctx);
    case "number64": {
      const v = parseUnsigned(text);
      if (v === null || v > U64_MAX) return fail(`${option.name} ${text} is not a number in 0-${U64_MAX}`);
      return ok(String(v));
    }
    case "number64-range":
      return checkNumber64Range(text, ctx);
    case "rate":
      return checkRate(text);
    case "enum":
      return checkEnum(text, ctx, false);
    case "enum-list":
      return checkEnum(text, ctx, true);
    case "string":
      return checkString(text, ctx);
    case "hex-string":
      return checkHexString(text, ctx);
    case "chain":
      if (text === "" || text.length > 28) return fail(`chain name '${text}' must be 1-28 characters`);
      if (/\s/.test(text) || text.startsWith("-") || text === "!") return fail(`'${text}' is not a valid chain name`);
      return ok(text);
    case "mac": {
      const parts = text.split(":");
      if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) return fail(`'${text}' is not a MAC address XX:XX:XX:XX:XX:XX`);
      return ok(parts.map((p) => p.toLowerCase().padStart(2, "0")).join(":"));
    }
    case "time":
      return checkTime(text);
    case "datetime":
      return checkDatetime(text);
    case "weekdays":
      return checkWeekdays(text);
    case "monthdays":
      return checkMonthdays(text);
    case "user":
      return checkUserOrGroup(text, "user");
    case "group":
      return checkUserOrGroup(text, "group");
    case "set-name":
      if (text === "" || Buffer.byteLength(text) > 31) return fail(`ipset name '${text}' must be 1-31 characters`);
      return ok(text);
    case "set-flags": {
      const flags = text.split(",");
      if (flags.length > 6) return fail(`at most 6 set flags (got ${flags.length})`);
      const bad = flags.find((f) => f !== "src" && f !== "dst");
      if (bad !== undefined) return fail(`set flag '${bad}' must be src or dst`);
      return ok(text);
    }
    case "dscp-class": {
      const name = Object.keys(DSCP_CLASSES).find((c) => c.toLowerCase() === text.toLowerCase());
      if (!name) return fail(`unknown DSCP class '${text}': use BE, EF, AF11-AF43 or CS0-CS7${didYouMean(text, Object.keys(DSCP_CLASSES))}`);
      return ok(hex(DSCP_CLASSES[name]!, 2));
    }
    case "tos":
      return checkTos(text);
    case "u32-expr":
      return checkU32(text);
    case "bpf-bytecode":
      return checkBpf(text);
    case "path":
      if (text === "") return fail("empty path");
      return ok(text);
    case "raw":
      return ok(text);
    case "host":
      return checkHost(text, ctx);
    case "host-list": {
      const out: string[] = [];
      for (const part of text.split(",")) {
        const r = checkHost(part, ctx);
        if (!r.ok) return r;
        out.push(r.canonical);
      }
      if (out.length > 16) return fail("at most 16 addresses");
      return ok(out.join(","));
    }
    case "prefix": {
      if (!text.includes("/")) return fail(`'${text}' must be prefix/length`);
      const wrong = wrongFamilyMessage(text, family);
      if (wrong) return fail(wrong);
      const c = parseCidr(text, family);
      if (!c || c.prefix < 0) return fail(`'${text}' is not a valid ${familyName(family)} prefix`);
      return ok(`${formatAddress(parseAddress(text.split("/")[0]!, family)!, family)}/${c.prefix}`);
    }
    case "probability": {
      if (!/^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return fail(`probability '${text}' is not a number`);
      const p = Number(text);
      if (p < 0 || p > 1) return fail(`probability ${text} is outside 0-1`);
      const steps = Math.round(p * 0x80000000);
      return ok((steps / 0x80000000).toFixed(11));
    }
    case "hashlimit-rate":
      return checkHashlimitRate(text);
    case "hashlimit-burst":
      return checkHashlimitBurst(text);
    case "bandwidth":
      return checkBandwidth(text);
    case "duration":
      return checkDuration(text);
    case "log-level": {
      const named = LOG_LEVELS[text];
      if (named !== undefined) return ok(String(named));
      const v = /^(0x[0-9a-fA-F]+|[0-9])$/.test(text) ? parseUnsigned(text) : null;
      if (v === null || v > 7n) return fail(`unknown log level '${text}': use 0-7 or ${Object.keys(LOG_LEVELS).join(", ")}${didYouMean(text, Object.keys(LOG_LEVELS))}`);
      return ok(String(v));
    }
    case "class-id": {
      const m = /^(?:0x)?([0-9a-fA-F]+):(?:0x)?([0-9a-fA-F]+)$/.exec(text);
      if (!m) return fail(`bad class '${text}': use major:minor in hex`);
      const major = parseInt(m[1]!, 16);
      const minor = parseInt(m[2]!, 16);
      const warn = major > 0xffff || minor > 0xffff ? { warning: `class ${text} does not fit 16:16 bits; iptables keeps the low 16 bits` } : {};
      return ok(`${(major & 0xffff).toString(16).padStart(4, "0")}:${(minor & 0xffff).toString(16).padStart(4, "0")}`, warn);
    }
    case "ct-zone": {
      if (text === "mark") return ok("mark");
      const v = parseBounded(text, 0, 65535);
      if (v === null) return fail(`zone '${text}' must be 0-65535 or mark`);
      return ok(String(v));
    }
    case "named-mark":
      return checkNamedMark(text, option);
    case "connlabel": {
      if (/^\d+$/.test(text)) {
        const n = Number(text);
        if (n > 127) return fail(`connlabel ${text} is outside 0-127`);
        return ok(String(n));
      }
      return ok(text, { warning: `label name '${text}' must be defined in /etc/xtables/connlabel.conf where the rules are loaded` });
    }
    case "led-delay": {
      if (text === "inf") return ok("inf");
      const v = parseBounded(text, 0, U32_MAX);
      if (v === null) return fail(`LED delay '${text}' must be milliseconds or inf`);
      return ok(String(v));
    }
    case "mh-type": {
      const [a, b, ...rest] = text.split(":");
      if (rest.length) return fail(`'${text}' is not an MH type or range`);
      const from = parseMhType(a!);
      const to = b === undefined ? from : parseMhType(b);
      if (typeof from === "string") return fail(from);
      if (typeof to === "string") return fail(to);
      if (from > to) return fail(`reversed MH type range ${text}`);
      return ok(from === to ? String(from) : `${from}:${to}`);
    }
    case "sctp-chunk-list":
      return checkSctpChunks(text);
    case "ipv6-option-list":
      return checkIpv6Options(text);
    case "ipv6-header-list":
      return checkIpv6Headers(text);
    case "tcp-option-list":
      return checkTcpOptionList(text);
    case "reject-type":
      return checkRejectType(text, family);
    default: {
      const unhandled: never = kind;
      return fail(`unhandled value kind ${String(unhandled)}`);
    }
  }
}

function checkNatRange(text: string, ctx: ValueContext): ValueCheck {
  const { family } = ctx;
  if (text === "") return fail("empty NAT range");
  let addrPart = "";
  let portPart: string | undefined;
  if (family === "ipv6") {
    if (text.startsWith("[")) {
      const close = text.indexOf("]");
      if (close < 0) return fail(`'${text}': missing ']'`);
      addrPart = text.slice(1, close);
      const after = text.slice(close + 1);
      if (after !== "" && !after.startsWith(":")) return fail(`'${text}': expected :port after ]`);
      portPart = after === "" ? undefined : after.slice(1);
    } else if (text.startsWith(":")) portPart = text.slice(1);
    else addrPart = text;
  } else {
    const colon = text.indexOf(":");
    addrPart = colon < 0 ? text : text.slice(0, colon);
    portPart = colon < 0 ? undefined : text.slice(colon + 1);
  }
  let out = "";
  if (addrPart !== "") {
    if (addrPart.includes("/")) return fail(`'${addrPart}' is not an address: NAT ranges take no mask`);
    const [a, b, ...rest] = addrPart.split("-");
    if (rest.length) return fail(`bad address range '${addrPart}'`);
    const wrong = wrongFamilyMessage(a!, family);
    if (wrong) return fail(wrong);
    const from = parseAddress(a!, family);
    const to = b === undefined ? from : parseAddress(b, family);
    if (from === null || to === null) return fail(`bad IP address '${addrPart}' (numeric ${familyName(family)} addresses only)`);
    const f = formatAddress(from, family);
    const t = formatAddress(to, family);
    out = b === undefined ? f : `${f}-${t}`;
    if (family === "ipv6" && portPart !== undefined) out = `[${out}]`;
  }
  let warning: string | undefined;
  if (portPart !== undefined) {
    const [range, base, ...rest] = portPart.split("/");
    if (rest.length) return fail(`bad port specification '${portPart}'`);
    const r = portRange(range!, undefined, "-", false);
    if ("error" in r) return fail(r.error);
    if (r.unknown.length) return fail(`unknown service '${r.unknown[0]}' in NAT range`);
    if (r.from > r.to) return fail(`reversed port range ${range}`);
    out += `:${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;
    if (base !== undefined) {
      const bp = parsePort(base);
      if ("error" in bp || "unknownName" in bp) return fail(`bad base port '${base}'`);
      if (ctx.extension !== "DNAT") warning = `a base port is only used by DNAT; ${ctx.extension ?? "this target"} ignores it`;
      out += `/${ctx.extension === "DNAT" ? bp.port : 0}`;
    }
  }
  return ok(out, warning ? { warning } : {});
}
