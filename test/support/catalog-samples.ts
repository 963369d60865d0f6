/**
 * Sample rules for every option of the catalog: candidate values per value kind, the companion options an
 * option needs, and the table, chains and protocol a rule with it needs. Shared by the kernel tests that
 * restore such rules (test/catalog-kernel.test.ts, test/option-pairs-kernel.test.ts).
 */
import { BUILTIN_CHAINS, checkValue, type ExtensionSpec, type Family, type Hook, type OptionSpec, type TableName, type ValueCheck, type ValueKind } from "../../src/catalog/index.js";

// ------------------------------------------------------------------------------------------------------------
// Candidate values per kind (the catalog decides which are valid; the kernel must agree)
// ------------------------------------------------------------------------------------------------------------

/**
 * Extensions (or single options) this kernel cannot load, with the message it gives. The test asserts they
 * still fail that way, so the list cannot silently go stale. Key: "ext" or "ext --option"; value: backends it
 * applies to and a regular expression for the message.
 */
export const UNLOADABLE: Readonly<Record<string, { backends: readonly string[]; message: RegExp; why: string; sample: string; family?: Family; table?: TableName; chain?: string }>> = {
  ipvs: { backends: ["nf_tables", "legacy"], message: /No such file or directory|revision 0 not supported|Invalid argument/, why: "xt_ipvs/ip_vs not in this kernel", sample: "-m ipvs --ipvs -j ACCEPT" },
  CLUSTERIP: { backends: ["nf_tables", "legacy"], message: /No such file or directory|not supported|failed/, why: "CLUSTERIP was removed from the kernel", sample: "-d 10.0.0.5 -j CLUSTERIP --new --hashmode sourceip --clustermac 01:00:5e:00:00:20 --total-nodes 2 --local-node 1" },
  LED: { backends: ["nf_tables", "legacy"], message: /No such file or directory|not supported|failed/, why: "xt_LED not in this kernel", sample: "-j LED --led-trigger-id ssh" },
  ULOG: { backends: ["nf_tables", "legacy"], message: /No such file or directory|not supported|failed/, why: "ULOG was removed in Linux 3.17", sample: "-j ULOG" },
  SECMARK: { backends: ["nf_tables", "legacy"], message: /No such file or directory|Invalid argument|failed/, why: "needs an LSM (SELinux) security context", sample: "-j SECMARK --selctx system_u:object_r:ssh_packet_t:s0", table: "security", chain: "INPUT" },
  nfacct: { backends: ["nf_tables", "legacy"], message: /No such file or directory|failed/, why: "needs an nfacct object (nfacct add NAME); the nfacct tool is not installed", sample: "-m nfacct --nfacct-name fwlint -j ACCEPT" },
  "bpf --object-pinned": { backends: ["nf_tables", "legacy"], message: /bpf object|No such file/, why: "needs a pinned eBPF object", sample: "-m bpf --object-pinned /sys/fs/bpf/fwlint-none -j ACCEPT" },
  "CT --timeout": { backends: ["nf_tables", "legacy"], message: /Invalid argument|No such file|failed/, why: "needs a conntrack timeout policy (nfct timeout add)", sample: "-j CT --timeout fwlint", table: "raw", chain: "PREROUTING" },
};

export function candidates(kind: ValueKind, opt: OptionSpec, family: Family, ext: string): string[] {
  const v4 = family === "ipv4";
  const n = (x: number | bigint) => String(x);
  switch (kind) {
    case "address":
      return v4
        ? ["10.1.2.3", "10.1.2.3/24", "10.0.0.0/255.0.255.0", "192.168.0.0/16", "010.1.2.3", "10.0.0.0/33", "::1", "256.1.2.3"]
        : ["2001:db8::1", "2001:DB8:0:0:0:0:0:1/48", "fe80::/64", "::ffff:1.2.3.4", "2001:db8::/ffff:ff00:ffff::", "10.1.2.3", "2001:db8::/129", "2001:db8:::1"];
    case "address-list":
      return v4 ? ["10.1.2.3", "10.0.0.0/8", "0.0.0.0/0", "300.1.1.1"] : ["2001:db8::1", "::/0", "2001:db8::/200"];
    case "address-range":
      return v4 ? ["10.0.0.1-10.0.0.9", "10.0.0.5", "10.0.0.9-10.0.0.1", "10.0.0.1/24-10.0.0.9", "localhost"] : ["2001:db8::1-2001:db8::9", "2001:DB8::1", "10.0.0.1"];
    case "address-mask":
      return v4 ? ["255.255.255.0", "255.0.255.0", "::1"] : ["ffff:ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "255.255.255.0"];
    case "prefix-length":
      return v4 ? ["0", "24", "32", "33", "64", "129"] : ["0", "64", "128", "129"];
    case "interface":
      return ["eth0", "eth+", "0123456789abcde", "0123456789abcdef"];
    case "protocol":
      return ["tcp", "6", "udp", "gre", "47", "ipv6-icmp", "icmpv6", "foo", "256", "icmp6"];
    case "port":
      return ["22", "0", "65535", "ssh", "65536", "0x16", "-1"];
    case "port-range":
      return ["22", "1000:2000", ":1024", "1024:", "ssh", "0:65535", "2000:1000", "65536", "1-5", "SSH"];
    case "port-list":
      return ["22", "22,80,443", "1000:2000,3000", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "1:2,3,4,5,6,7,8,9,10,11,12,13,14,15", "4:3", "5:", "ssh,http", "5,"];
    case "port-range-dash":
      return ["8080", "8080-8090", "8090-8080", "1000:2000", "ssh"];
    case "nat-range":
      return v4
        ? ["10.0.0.1", "10.0.0.1-10.0.0.9", "10.0.0.1:80", "10.0.0.1:80-90", ":80", "10.0.0.1:80-90/85", "10.0.0.1/24", "localhost", "10.0.0.1:90-80", "10.0.0.1:http"]
        : ["2001:db8::1", "[2001:db8::1]:80", "[2001:db8::1-2001:db8::9]:80-90", "2001:db8::1/64", "10.0.0.1"];
    case "icmp-type":
      return ["echo-request", "8", "3/1", "any", "host-unreachable", "ECHO-REQUEST", "echo-req", "echo", "256", "3/256", "255", "tos-host-redirect"];
    case "icmpv6-type":
      return ["echo-request", "128", "1/4", "neighbour-solicitation", "ttl-zero-during-transit", "Echo-Request", "any", "256", "echo"];
    case "ctstate-list":
      return ["NEW", "ESTABLISHED,RELATED", "new,established", "INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT", "ESTABLISED", "NEW,"];
    case "state-list":
      return ["NEW", "RELATED,ESTABLISHED", "established", "INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED", "SNAT", "bogus"];
    case "ctstatus-list":
      return ["ASSURED", "ASSURED,CONFIRMED,EXPECTED,SEEN_REPLY,NONE", "NONE", "FOO"];
    case "tcp-flag-list":
      return ["SYN", "SYN,ACK,FIN,RST", "ALL", "syn,ack", "ECE"];
    case "mark":
      return ["1", "0x10/0xff", "0xffffffff", "010", "0x100000000", "-1", "0x1/"];
    case "number": {
      const min = opt.min ?? 0;
      const max = opt.max ?? 4294967295;
      const out = [n(min), n(max), n(max + 1), "abc", "-1"];
      if (max - min > 2) out.push(n(Math.floor((min + max) / 2)));
      if (min > 0) out.push(n(min - 1));
      if (max >= 16) out.push("0x10");
      return out;
    }
    case "number-range": {
      const min = opt.min ?? 0;
      const max = opt.max ?? 4294967295;
      const mid = Math.floor((min + max) / 2);
      return [n(min), `${min}:${mid}`, `${mid}:`, `:${mid}`, `${mid}:${mid}`, `${max}:${min}`, n(max + 1), "1-2"];
    }
    case "number64":
      return ["0", "1000", "18446744073709551615", "18446744073709551616", "-1"];
    case "number64-range":
      return ["10", "10:100", "10:", ":10", "18446744073709551616", "10:5", "5:5"];
    case "rate":
      return ["5/min", "5/minute", "1/s", "10000/s", "10001/s", "0/s", "5", "7/day", "24/day", "60/minute", "5/fortnight", "5/se", "5/Second"];
    case "enum":
    case "enum-list": {
      const vals = opt.values ?? [];
      const out = [...vals, ...Object.keys(opt.valueAliases ?? {}), "bogus"];
      const first = vals[0];
      if (first !== undefined) out.push(first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase());
      if (kind === "enum-list" && vals.length > 1) out.push(`${vals[1]},${vals[0]}`, vals.join(","));
      return out;
    }
    case "string": {
      const out = ["x", "hello world", "with\"quote"];
      if (opt.maxLength !== undefined) out.push("s".repeat(opt.maxLength), "t".repeat(opt.maxLength + 1));
      if (opt.minLength !== 0) out.push("");
      return out;
    }
    case "hex-string":
      return ["|0d 0a|", "abc", "|00|abc", "|0D0|", "|zz|", "a|41|b"];
    case "chain":
      return [];
    case "mac":
      return ["00:11:22:33:44:55", "00:11:22:AA:bb:Cc", "0:1:2:3:4:5", "00-11-22-33-44-55"];
    case "time":
      return ["12:30", "06:03", "6:3", "23:59:59", "24:00", "23:60"];
    case "datetime":
      return ["2007-12-24", "2007-01-01T17:00", "2007", "2039-01-01", "1969-01-01"];
    case "weekdays":
      return ["Sa,Su", "1,7,3", "Mon", "mon", "Mo,Tu", "monday", "8"];
    case "monthdays":
      return ["31,1", "5", "32", "0"];
    case "user":
    case "group":
      return ["0", "root", "1000-2000", "2000-1000", "4294967294", "4294967295"];
    case "set-name":
      return ["fwlint_set", "x".repeat(32)];
    case "set-flags":
      return ["src", "src,dst", "dst", "foo"];
    case "dscp-class":
      return ["AF41", "ef", "BE", "CS7", "CS8", "AF44"];
    case "tos":
      return ["0x10", "0x10/0x3f", "Minimize-Delay", "minimize-delay", "16", "256"];
    case "u32-expr":
      return ["0>>22&0x3C@12>>26&0x3C@8=1,2,5,8", "6 & 0xFF = 6 && 4 & 0x3FFF = 0", "0=1:2", "0=", "foo"];
    case "bpf-bytecode":
      return ["4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0", "1,6 0 0 1", "2,6 0 0 1"];
    case "path":
      return ["/"];
    case "raw":
      return [];
    case "host":
      return v4 ? ["10.0.0.1", "localhost", "10.0.0.1/24", "0.0.0.0"] : ["2001:db8::1", "::", "10.0.0.1"];
    case "host-list":
      return v4 ? [] : ["::1,fe80::1", "2001:db8::1", "10.0.0.1"];
    case "prefix":
      return v4 ? ["10.0.0.0/8"] : ["2001:db8::/64", "fd00::/48", "2001:db8::1", "2001:db8::/129"];
    case "probability":
      return ["0.5", "0.25", "1", "0.1", "0", "1.5", "abc"];
    case "hashlimit-rate":
      return ["10/sec", "10", "10/minute", "3/hour", "3/h", "1000000/sec", "1000001/sec", "0/sec", "4/day", "3/day", "1kb/s", "2mb/s", "2048kb/s"];
    case "hashlimit-burst":
      return ["5", "10", "0", "1000000", "1000001"];
    case "bandwidth":
      return ["1mbit", "2500kbit", "100kbps", "5foo"];
    case "duration":
      return ["250ms", "250000us", "0.25s", "1s", "x"];
    case "log-level":
      return ["4", "warning", "debug", "7", "8", "err", "warn", "panic", "emerg", "0x7", "010", "ERROR", "alert", "crit", "error", "notice", "info"];
    case "class-id":
      return ["1:10", "0x1:0x10", "ffff:ffff", "1", "10000:1"];
    case "ct-zone":
      return ["5", "mark", "65535", "65536"];
    case "named-mark":
      return opt.name === "--realm" ? ["1", "0x10/0xff", "0", "cosmos", "foo/0xff"] : ["1", "0x5/0xff", "0", "default"];
    case "connlabel":
      return ["0", "5", "127", "128"];
    case "led-delay":
      return ["100", "inf", "x"];
    case "mh-type":
      return ["binding-update", "1:5", "bu:ba", "0:255", "5:2", "Binding-Update", "binding-upd", "256"];
    case "sctp-chunk-list":
      return ["DATA,INIT", "INIT,DATA", "DATA:Be,ABORT:T", "data", "INIT:B", "ALL", "FOO", "PAD,ASCONF,RE_CONFIG,ASCONF_ACK,I_DATA,SHUTDOWN_COMPLETE", "INIT_ACK,SACK,HEARTBEAT,HEARTBEAT_ACK,SHUTDOWN,SHUTDOWN_ACK,ERROR,COOKIE_ECHO,COOKIE_ACK,ECN_ECNE,ECN_CWR"];
    case "ipv6-option-list":
      return ["1:2,5", "1", "256", "1:2,5:0"];
    case "ipv6-header-list":
      return ["hop,dst,route,frag,auth,esp,none,prot", "60,43", "ipv6-frag", "hop-by-hop", "HOP", "tcp", "6"];
    case "tcp-option-list":
      return ["wscale,mss,sack-permitted,sack,timestamp,md5", "2,3,19,250", "256", "foo"];
    case "reject-type":
      return [
        "icmp-port-unreachable", "icmp-net-unreachable", "net-unreach", "icmp-host-unreachable", "host-unreach", "icmp-proto-unreachable",
        "icmp-net-prohibited", "net-prohib", "icmp-host-prohibited", "icmp-admin-prohibited", "admin-prohib", "tcp-reset", "tcp-rst", "TCP-RESET",
        "icmp6-no-route", "no-route", "icmp6-adm-prohibited", "adm-prohibited", "icmp6-addr-unreachable", "addr-unreach", "icmp6-port-unreachable",
        "port-unreach", "icmp6-policy-fail", "policy-fail", "icmp6-reject-route", "reject-route", "net-unreachable", "echo-reply",
        "icmp-h", "port", "adm", "icmpv6-no-route",
      ];
    default: {
      const unhandled: never = kind;
      throw new Error(`no candidates for ${String(unhandled)} (${ext} ${opt.name})`);
    }
  }
}

// ------------------------------------------------------------------------------------------------------------
// Rule context: table, chain, protocol and companion options a sample needs (derived from the catalog, plus a
// short list of cross-option rules the catalog states only in descriptions)
// ------------------------------------------------------------------------------------------------------------

export interface Override {
  /** Extra words inside the extension before the tested option. */
  readonly extra?: readonly string[];
  /** Extra words after the tested option. */
  readonly after?: readonly string[];
  /** Replace the generated candidates. */
  readonly values?: readonly string[];
  /** Core options (e.g. "-p 6") to add. */
  readonly core?: string;
  readonly table?: TableName;
  /** Why an option is not sampled at all. */
  readonly skip?: string;
}

/** Cross-option needs the catalog describes in prose (checked by the kernel, not derivable from the fields). */
export const OVERRIDES: Readonly<Record<string, Override>> = {
  "statistic --mode": { skip: "random needs --probability, nth needs --every/--packet; covered by the other statistic options" },
  "statistic --probability": { extra: ["--mode", "random"] },
  "statistic --every": { extra: ["--mode", "nth", "--packet", "0"] },
  "statistic --packet": { extra: ["--mode", "nth", "--every", "4294967295"] },
  "time --contiguous": { extra: ["--timestart", "23:00", "--timestop", "01:00"] },
  "rt --rt-0-res": { extra: ["--rt-type", "0"] },
  "rt --rt-0-addrs": { extra: ["--rt-type", "0"] },
  "rt --rt-0-not-strict": { extra: ["--rt-type", "0"] },
  "policy --tunnel-src": { extra: ["--mode", "tunnel"] },
  "policy --tunnel-dst": { extra: ["--mode", "tunnel"] },
  "policy --next": { extra: ["--strict", "--reqid", "1"], after: ["--reqid", "2"] },
  "policy --strict": { extra: ["--reqid", "1"] },
  "CT --helper": { values: ["ftp", "sip"], core: "-p 6" },
  "connmark --mark": {},
  "string --to": { extra: ["--from", "0"] },
  "SET --map-set": { table: "mangle", values: ["fwlint_map"] },
  "SET --map-mark": { table: "mangle" },
  "SET --map-prio": { table: "mangle" },
  "SET --map-queue": { table: "mangle" },
  "RATEEST --rateest-interval": { extra: [], values: ["250ms", "250000us", "0.25s", "x"] },
  "RATEEST --rateest-ewmalog": { values: ["0.5s", "500ms", "x"] },
  "hashlimit --hashlimit-burst": {},
  // with a mark operation instead, iptables-save does not print them (conflicting-options warns)
  "CONNMARK --nfmask": { extra: ["--save-mark"] },
  "CONNMARK --ctmask": { extra: ["--save-mark"] },
  "CONNMARK --mask": { extra: ["--save-mark"] },
  "TCPMSS --set-mss": { core: "-p 6 --tcp-flags SYN,RST SYN" },
  "TCPMSS --clamp-mss-to-pmtu": { core: "-p 6 --tcp-flags SYN,RST SYN" },
};

/** Options whose saved spelling is not one option/value pair, with the reason (acceptance is still checked). */
export const PRINT_UNCHECKED: Readonly<Record<string, string>> = {
  "HMARK --hmark-tuple": "saved as the --hmark-*-prefix/--hmark-*-mask options the tuple stands for (and --hmark-tuple ct)",
};

/** Whole extensions sampled only through hand-made rules (their options depend on each other too much). */
export const EXT_SKIP: Readonly<Record<string, string>> = {
  rateest: "options only make sense in the combinations the man page lists; checked by the rateest example below",
};

/** Fixture values for options when a sample needs them as companions. */
export const FIXTURE_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  "policy --dir": ["in"],
  "statistic --mode": ["random"],
  "RATEEST --rateest-interval": ["250ms"],
  "RATEEST --rateest-ewmalog": ["0.5s"],
  "SET --add-set": ["fwlint_set", "src"],
  "SET --del-set": ["fwlint_set", "src"],
  "SET --map-set": ["fwlint_map", "src"],
  "set --match-set": ["fwlint_set", "src"],
  "cluster --cluster-local-node": ["1"],
  "cluster --cluster-total-nodes": ["32"],
  // the kernel refuses a second rule that reuses a hashlimit name or IDLETIMER label with other settings
  "hashlimit --hashlimit-name": ["@uniq"],
  "IDLETIMER --label": ["@uniq"],
  // a helper the kernel has (an unknown name is refused when the rule is added)
  "CT --helper": ["ftp"],
};

/** Targets that get -p 6 so port ranges are allowed. */
export const NAT_TARGETS = new Set(["DNAT", "SNAT", "MASQUERADE", "REDIRECT"]);

export const ALL_HOOKS: readonly Hook[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

export function okCheck(kind: ValueKind, value: string, spec: ExtensionSpec, opt: OptionSpec, family: Family): ValueCheck {
  return checkValue(kind, value, { family, option: opt, extension: spec.name });
}

export function fixtureWords(spec: ExtensionSpec, opt: OptionSpec, family: Family): string[] | undefined {
  const forced = FIXTURE_OVERRIDES[`${spec.name} ${opt.name}`];
  if (forced) return [...forced];
  const words: string[] = [];
  for (const kind of opt.kinds ?? []) {
    const c = (kind === "enum" || kind === "enum-list" ? opt.values ?? [] : candidates(kind, opt, family, spec.name)).find((v) => {
      const r = okCheck(kind, v, spec, opt, family);
      return r.ok && !r.warning && !r.omitted;
    });
    if (c === undefined) return undefined;
    words.push(c);
  }
  return words;
}

export const quote = (w: string) => (w === "" || /[\s"'\\|&;<>()$`*]/.test(w) ? `"${w.replace(/(["\\])/g, "\\$1")}"` : w);

export interface Context {
  table: TableName;
  chains: Hook[];
  core: string[];
  extArgs: string[];
  after: string[];
  skip?: string;
}

/** Companion options an option needs (its requiresAnyOf, recursively, and the extension's requirements). */
export function companions(spec: ExtensionSpec, opt: OptionSpec, family: Family, extra: readonly string[]): { args: string[]; opts: OptionSpec[] } | string {
  const chosen: OptionSpec[] = [opt];
  const given = new Set(extra.filter((w) => w.startsWith("--")));
  const has = (name: string) => chosen.some((o) => o.name === name || o.aliases?.includes(name)) || given.has(name);
  const conflicts = (o: OptionSpec) => chosen.some((c) => c.conflicts?.includes(o.name) || o.conflicts?.includes(c.name));
  const byName = (name: string) => spec.options.find((o) => o.name === name && (!o.families || o.families.includes(family)));
  const add = (o: OptionSpec): boolean => {
    if (has(o.name)) return true;
    if (conflicts(o)) return false;
    chosen.push(o);
    for (const need of o.requiresAnyOf ?? []) if (!need.split(" ").some((n) => has(n))) {
      const cand = (o.requiresAnyOf ?? []).map(byName).find((c) => c && !conflicts(c));
      if (!cand || !add(cand)) return false;
      break;
    }
    return true;
  };
  for (const need of opt.requiresAnyOf ?? []) {
    if ((opt.requiresAnyOf ?? []).some((n) => has(n))) break;
    const cand = (opt.requiresAnyOf ?? []).map(byName).find((c) => c && !conflicts(c));
    if (!cand || !add(cand)) return `cannot satisfy ${opt.name} needs ${need}`;
  }
  for (const o of spec.options) if (o.required && (!o.families || o.families.includes(family)) && !has(o.name)) if (!add(o)) return `conflicts with required ${o.name}`;
  for (const group of spec.requiresOneOf ?? []) {
    if (group.some((n) => has(n))) continue;
    const cand = group.map(byName).find((c) => c && !conflicts(c) && !c.requiresAnyOf);
    if (!cand || !add(cand)) return `cannot satisfy one of ${group.join(", ")}`;
  }
  const args: string[] = [];
  for (const o of chosen.slice(1)) {
    const w = fixtureWords(spec, o, family);
    if (!w) return `no fixture value for ${o.name}`;
    args.push(o.name, ...w);
  }
  return { args, opts: chosen };
}

export function contextFor(spec: ExtensionSpec, opt: OptionSpec, family: Family, valueCanonical?: string): Context {
  const ov = OVERRIDES[`${spec.name} ${opt.name}`] ?? {};
  const comp = companions(spec, opt, family, ov.extra ?? []);
  if (typeof comp === "string") return { table: "filter", chains: [], core: [], extArgs: [], after: [], skip: comp };
  const table: TableName = ov.table ?? spec.tables?.[0] ?? "filter";
  let chains = (BUILTIN_CHAINS[table] as readonly Hook[]).filter((c) => !spec.hooks || spec.hooks.includes(c));
  const protocols: number[] = [];
  const constrain = (o: OptionSpec, canonical?: string) => {
    if (o.hooks) chains = chains.filter((c) => o.hooks!.includes(c));
    const vc = canonical !== undefined ? o.valueConstraints?.[canonical] : undefined;
    if (vc?.hooks) chains = chains.filter((c) => vc.hooks!.includes(c));
    for (const p of [...(o.protocols ?? []), ...(vc?.protocols ?? [])]) protocols.push(p);
  };
  constrain(opt, valueCanonical);
  for (const o of comp.opts.slice(1)) {
    const fw = fixtureWords(spec, o, family);
    const kind = o.kinds?.[0];
    constrain(o, fw && kind ? (okCheck(kind, fw[0]!, spec, o, family) as { canonical?: string }).canonical : undefined);
  }
  const core: string[] = [];
  const proto = protocols[0] ?? spec.protocols?.[0] ?? (NAT_TARGETS.has(spec.name) ? 6 : undefined);
  if (ov.core) core.push(ov.core);
  else if (proto !== undefined) core.push(`-p ${proto}`);
  return { table, chains, core, extArgs: [...(ov.extra ?? []), ...comp.args], after: [...(ov.after ?? [])] };
}

let uniq = 0;
/** A number no earlier sample used (names that must differ between the rules of one restore). */
export const nextUniq = () => uniq++;
export function ruleText(spec: ExtensionSpec, ctx: Context, optWords: string[]): string {
  const ext = [...ctx.extArgs, ...optWords, ...ctx.after].map((w) => (w === "@uniq" ? `u${uniq++}` : quote(w))).join(" ");
  const core = ctx.core.join(" ");
  return spec.type === "match" ? `${core} -m ${spec.name} ${ext} -j ACCEPT`.trim() : `${core} -j ${spec.name} ${ext}`.trim();
}


/** Extra words the smallest loadable rule of an extension needs beyond its catalog requirements. */
export const MINIMAL_EXTRA: Readonly<Record<string, readonly string[]>> = {
  statistic: ["--probability", "0.5"],
};

/** Extensions whose print order cannot be checked by reordering (positional options). */
export const ORDER_SKIP: Readonly<Record<string, string>> = {
  policy: "options after --next belong to the next element; their position is meaningful",
};

/** Table refusals the catalog's `tables` cannot express (none so far). */
export const EXT_TABLE_OVERRIDES: Readonly<Record<string, { refused?: readonly TableName[] }>> = {};

/** The smallest rule that loads the extension: required options and one of each requiresOneOf group. */
export function minimalRule(spec: ExtensionSpec, family: Family): { rule: string; hooks: readonly Hook[] } | undefined {
  const none: OptionSpec = { name: "", args: 0, negatable: false };
  const comp = companions(spec, none, family, []);
  if (typeof comp === "string") return undefined;
  let hooks: readonly Hook[] = ALL_HOOKS;
  const protocols: number[] = [...(spec.protocols ?? [])];
  for (const o of comp.opts.slice(1)) {
    if (o.hooks) hooks = hooks.filter((h) => o.hooks!.includes(h));
    protocols.push(...(o.protocols ?? []));
    const fw = fixtureWords(spec, o, family);
    const kind = o.kinds?.[0];
    const canonical = fw && kind ? (okCheck(kind, fw[0]!, spec, o, family) as { canonical?: string }).canonical : undefined;
    const vc = canonical !== undefined ? o.valueConstraints?.[canonical] : undefined;
    if (vc?.hooks) hooks = hooks.filter((h) => vc.hooks!.includes(h));
  }
  const ov = Object.entries(OVERRIDES).find(([k]) => k.startsWith(`${spec.name} `) && comp.opts.some((o) => k === `${spec.name} ${o.name}`))?.[1];
  const core = ov?.core ?? (protocols[0] !== undefined ? `-p ${protocols[0]}` : NAT_TARGETS.has(spec.name) ? "-p 6" : "");
  const ctx: Context = { table: "filter", chains: [], core: core ? [core] : [], extArgs: [...comp.args, ...(MINIMAL_EXTRA[spec.name] ?? [])], after: [] };
  return { rule: ruleText(spec, ctx, []), hooks };
}

