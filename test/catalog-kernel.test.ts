/**
 * The catalog against the running kernel: every claim that can be checked by restoring rules into a throw-away
 * network namespace and reading them back with iptables-save.
 *
 * For each option of each extension the test makes candidate values (generic ones per value kind plus the
 * option's bounds and enum words), asks `checkValue` whether the catalog thinks iptables accepts each one, and
 * restores it: the kernel must agree, and iptables-save must print `checkValue(...).canonical`. The same run checks
 * negation and alias claims, print order, target/match tables and hooks (including user chains reached from a
 * wrong hook), protocol requirements, implicit protocol matches and the -p names iptables-save prints.
 *
 * Needs root, `ip`, iptables-restore/-save and ip6tables-restore/-save; otherwise the suite is skipped with a note.
 * Things this kernel cannot load at all are listed in UNLOADABLE with the kernel's message (and checked to still
 * fail); places where the catalog deliberately differs from iptables are listed in KNOWN_DIVERGENCES with a reason.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iptablesBackend, KernelSession, kernelUnavailableReason, splitSaveLine } from "../scripts/kernel-probe.js";
import {
  BUILTIN_CHAINS,
  checkValue,
  CORE_RULE_OPTIONS,
  PROTOCOL_SAVE_NAMES,
  PROTOCOLS,
  TABLE_NAMES,
  type ExtensionSpec,
  type Family,
  type Hook,
  type OptionSpec,
  type TableName,
  type ValueCheck,
  type ValueKind,
} from "../src/catalog/index.js";
import { MATCHES } from "../src/catalog/matches.js";
import { TARGETS } from "../src/catalog/targets.js";

const reason = kernelUnavailableReason();
const canUseKernel = reason === undefined;
if (!canUseKernel) console.warn(`catalog-kernel: kernel checks skipped (${reason}); run the tests as root with iptables installed`);
const backend = canUseKernel ? iptablesBackend() : "none";
const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];
/** Each kernel check restores hundreds to thousands of rules; iptables-nft needs ~20 ms per restore. */
const KERNEL_TIMEOUT = 300_000;

// ------------------------------------------------------------------------------------------------------------
// Explicit exceptions
// ------------------------------------------------------------------------------------------------------------

/**
 * Extensions (or single options) this kernel cannot load, with the message it gives. The test asserts they
 * still fail that way, so the list cannot silently go stale. Key: "ext" or "ext --option"; value: backends it
 * applies to and a regular expression for the message.
 */
const UNLOADABLE: Readonly<Record<string, { backends: readonly string[]; message: RegExp; why: string; sample: string; family?: Family; table?: TableName; chain?: string }>> = {
  ipvs: { backends: ["nf_tables", "legacy"], message: /No such file or directory|revision 0 not supported|Invalid argument/, why: "xt_ipvs/ip_vs not in this kernel", sample: "-m ipvs --ipvs -j ACCEPT" },
  CLUSTERIP: { backends: ["nf_tables", "legacy"], message: /No such file or directory|not supported|failed/, why: "CLUSTERIP was removed from the kernel", sample: "-d 10.0.0.5 -j CLUSTERIP --new --hashmode sourceip --clustermac 01:00:5e:00:00:20 --total-nodes 2 --local-node 1" },
  LED: { backends: ["nf_tables", "legacy"], message: /No such file or directory|not supported|failed/, why: "xt_LED not in this kernel", sample: "-j LED --led-trigger-id ssh" },
  ULOG: { backends: ["nf_tables", "legacy"], message: /No such file or directory|not supported|failed/, why: "ULOG was removed in Linux 3.17", sample: "-j ULOG" },
  SECMARK: { backends: ["nf_tables", "legacy"], message: /No such file or directory|Invalid argument|failed/, why: "needs an LSM (SELinux) security context", sample: "-j SECMARK --selctx system_u:object_r:ssh_packet_t:s0", table: "security", chain: "INPUT" },
  nfacct: { backends: ["nf_tables", "legacy"], message: /No such file or directory|failed/, why: "needs an nfacct object (nfacct add NAME); the nfacct tool is not installed", sample: "-m nfacct --nfacct-name fwlint -j ACCEPT" },
  "bpf --object-pinned": { backends: ["nf_tables", "legacy"], message: /bpf object|No such file/, why: "needs a pinned eBPF object", sample: "-m bpf --object-pinned /sys/fs/bpf/fwlint-none -j ACCEPT" },
  "CT --timeout": { backends: ["nf_tables", "legacy"], message: /Invalid argument|No such file|failed/, why: "needs a conntrack timeout policy (nfct timeout add)", sample: "-j CT --timeout fwlint", table: "raw", chain: "PREROUTING" },
};

/**
 * Where the catalog deliberately says something else than this iptables/kernel, and why. Key:
 * "family ext option value" (value "!" for the negation claim, "alias:<spelling>" for aliases). The test fails
 * when a divergence is not listed, and when a listed one no longer happens.
 */
const KNOWN_DIVERGENCES: Readonly<Record<string, { backends: readonly string[]; why: string }>> = {
  "ipv4 limit --limit-burst 0": { backends: ["legacy"], why: "the xt_limit module (legacy) refuses burst 0; iptables-nft turns limit into an nft limit, which takes it as its default 5. The catalog follows nf_tables (0 is saved as the default) and invalid-argument reports it through legacyMin (a warning, an error in a legacy dump)" },
  "ipv6 limit --limit-burst 0": { backends: ["legacy"], why: "as for IPv4" },
  "ipv4 time --weekdays 8": { backends: ["nf_tables", "legacy"], why: "iptables takes 8 as an empty day set and saves '--weekdays ' that cannot be restored; the catalog refuses it" },
  "ipv6 time --weekdays 8": { backends: ["nf_tables", "legacy"], why: "as for IPv4" },
  "ipv4 time --monthdays 0": { backends: ["nf_tables", "legacy"], why: "iptables takes 0 as an empty day set and saves '--monthdays ' that cannot be restored; the catalog refuses it" },
  "ipv6 time --monthdays 0": { backends: ["nf_tables", "legacy"], why: "as for IPv4" },
  "ipv6 hbh --hbh-opts 256": { backends: ["nf_tables", "legacy"], why: "iptables silently wraps option types above 255 (256 → 0); the catalog refuses them" },
  "ipv6 dst --dst-opts 256": { backends: ["nf_tables", "legacy"], why: "as hbh" },
  "ipv4 NFLOG --nflog-prefix tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt": { backends: ["nf_tables"], why: "xt_NFLOG holds 63 characters (legacy cuts there); iptables-nft hands the prefix to nft log, which keeps 64+" },
  "ipv6 NFLOG --nflog-prefix tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt": { backends: ["nf_tables"], why: "as for IPv4" },
  "ipv4 TRACE @*": { backends: ["nf_tables"], why: "iptables-nft turns TRACE into nft's meta nftrace, which any table takes; the xt_TRACE module (legacy) is raw-only, as the catalog says" },
  "ipv6 TRACE @*": { backends: ["nf_tables"], why: "as for IPv4" },
  "ipv4 limit --limit-burst 10000": { backends: ["legacy"], why: "xt_limit refuses a burst whose credit (rate period × burst) overflows 32 bits, so the largest burst depends on --limit (here the default 3/hour); not modelled" },
  "ipv6 limit --limit-burst 10000": { backends: ["legacy"], why: "as for IPv4" },
};

// ------------------------------------------------------------------------------------------------------------
// Candidate values per kind (the catalog decides which are valid; the kernel must agree)
// ------------------------------------------------------------------------------------------------------------

function candidates(kind: ValueKind, opt: OptionSpec, family: Family, ext: string): string[] {
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
      return ["10", "10:100", "10:", ":10", "18446744073709551616"];
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

interface Override {
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
const OVERRIDES: Readonly<Record<string, Override>> = {
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
  "TCPMSS --set-mss": { core: "-p 6 --tcp-flags SYN,RST SYN" },
  "TCPMSS --clamp-mss-to-pmtu": { core: "-p 6 --tcp-flags SYN,RST SYN" },
};

/** Options whose saved spelling is not one option/value pair, with the reason (acceptance is still checked). */
const PRINT_UNCHECKED: Readonly<Record<string, string>> = {
  "HMARK --hmark-tuple": "saved as the --hmark-*-prefix/--hmark-*-mask options the tuple stands for (and --hmark-tuple ct)",
};

/** Whole extensions sampled only through hand-made rules (their options depend on each other too much). */
const EXT_SKIP: Readonly<Record<string, string>> = {
  rateest: "options only make sense in the combinations the man page lists; checked by the rateest example below",
};

/** Fixture values for options when a sample needs them as companions. */
const FIXTURE_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
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
};

/** Targets that get -p 6 so port ranges are allowed. */
const NAT_TARGETS = new Set(["DNAT", "SNAT", "MASQUERADE", "REDIRECT"]);

const ALL_HOOKS: readonly Hook[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

function okCheck(kind: ValueKind, value: string, spec: ExtensionSpec, opt: OptionSpec, family: Family): ValueCheck {
  return checkValue(kind, value, { family, option: opt, extension: spec.name });
}

function fixtureWords(spec: ExtensionSpec, opt: OptionSpec, family: Family): string[] | undefined {
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

const quote = (w: string) => (w === "" || /[\s"'\\|&;<>()$`*]/.test(w) ? `"${w.replace(/(["\\])/g, "\\$1")}"` : w);

interface Context {
  table: TableName;
  chains: Hook[];
  core: string[];
  extArgs: string[];
  after: string[];
  skip?: string;
}

/** Companion options an option needs (its requiresAnyOf, recursively, and the extension's requirements). */
function companions(spec: ExtensionSpec, opt: OptionSpec, family: Family, extra: readonly string[]): { args: string[]; opts: OptionSpec[] } | string {
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

function contextFor(spec: ExtensionSpec, opt: OptionSpec, family: Family, valueCanonical?: string): Context {
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
function ruleText(spec: ExtensionSpec, ctx: Context, optWords: string[]): string {
  const ext = [...ctx.extArgs, ...optWords, ...ctx.after].map((w) => (w === "@uniq" ? `u${uniq++}` : quote(w))).join(" ");
  const core = ctx.core.join(" ");
  return spec.type === "match" ? `${core} -m ${spec.name} ${ext} -j ACCEPT`.trim() : `${core} -j ${spec.name} ${ext}`.trim();
}


/** Extra words the smallest loadable rule of an extension needs beyond its catalog requirements. */
const MINIMAL_EXTRA: Readonly<Record<string, readonly string[]>> = {
  statistic: ["--probability", "0.5"],
};

/** Extensions whose print order cannot be checked by reordering (positional options). */
const ORDER_SKIP: Readonly<Record<string, string>> = {
  policy: "options after --next belong to the next element; their position is meaningful",
};

/** Table refusals the catalog's `tables` cannot express (none so far). */
const EXT_TABLE_OVERRIDES: Readonly<Record<string, { refused?: readonly TableName[] }>> = {};

/** The smallest rule that loads the extension: required options and one of each requiresOneOf group. */
function minimalRule(spec: ExtensionSpec, family: Family): { rule: string; hooks: readonly Hook[] } | undefined {
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

// ------------------------------------------------------------------------------------------------------------
// Running cases in batches
// ------------------------------------------------------------------------------------------------------------

interface Case {
  readonly id: string;
  readonly family: Family;
  readonly table: TableName;
  /** Built-in chain, or a user chain reached from `from`. */
  readonly chain: string;
  readonly from?: Hook;
  readonly rule: string;
  readonly expectAccept: boolean;
}

interface Outcome {
  readonly accepted: boolean;
  readonly message: string;
  /** The saved rule's words (comment id included), when accepted. */
  readonly words?: string[];
  /** The saved rule as printed. */
  readonly line?: string;
}

let nextId = 0;
const newId = () => `fwlint${nextId++}`;

function fileFor(cases: readonly Case[]): { text: string; lineOf: Map<number, Case> } {
  const lines: string[] = [];
  const lineOf = new Map<number, Case>();
  for (const table of TABLE_NAMES) {
    const here = cases.filter((c) => c.table === table);
    if (here.length === 0) continue;
    lines.push(`*${table}`);
    for (const c of here) if (c.from) lines.push(`:${c.chain} - [0:0]`);
    for (const c of here) {
      if (c.from) lines.push(`-A ${c.from} -j ${c.chain}`);
      lines.push(`-A ${c.chain} -m comment --comment ${c.id} ${c.rule}`);
      lineOf.set(lines.length, c);
    }
    lines.push("COMMIT");
  }
  return { text: lines.join("\n") + "\n", lineOf };
}

function findSaved(rules: readonly string[], id: string): { words: string[]; line: string } | undefined {
  for (const r of rules) {
    const w = splitSaveLine(r);
    const i = w.indexOf("--comment");
    if (i >= 0 && w[i + 1] === id) return { words: w, line: r };
  }
  return undefined;
}

function runAlone(s: KernelSession, c: Case): Outcome {
  const { text } = fileFor([c]);
  const r = s.restore(text);
  if (!r.ok) return { accepted: false, message: r.message };
  const saved = findSaved(s.saveRules(c.table), c.id);
  return { accepted: true, message: r.message, ...(saved ?? {}) };
}

/**
 * Restore all cases expected to pass in one go, the rest one by one. When the batch fails, iptables-nft names the
 * failing line (that case is run alone and dropped); iptables-legacy only names the COMMIT, so the batch is halved.
 */
function runCases(s: KernelSession, cases: readonly Case[]): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  const batch = (pending: readonly Case[]): void => {
    while (pending.length > 0) {
      if (pending.length === 1) {
        out.set(pending[0]!.id, runAlone(s, pending[0]!));
        return;
      }
      const { text, lineOf } = fileFor(pending);
      const r = s.restore(text);
      if (r.ok) {
        const saved = s.saveRules();
        for (const c of pending) out.set(c.id, { accepted: true, message: "", ...(findSaved(saved, c.id) ?? {}) });
        return;
      }
      const bad = r.line !== undefined ? lineOf.get(r.line) : undefined;
      if (!bad) {
        const half = Math.ceil(pending.length / 2);
        batch(pending.slice(0, half));
        batch(pending.slice(half));
        return;
      }
      out.set(bad.id, runAlone(s, bad));
      pending = pending.filter((c) => c !== bad);
    }
  };
  batch(cases.filter((c) => c.expectAccept));
  for (const c of cases) if (!c.expectAccept) out.set(c.id, runAlone(s, c));
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Shared state
// ------------------------------------------------------------------------------------------------------------

const sessions = new Map<Family, KernelSession>();
const session = (f: Family) => sessions.get(f)!;
const disagreements: string[] = [];
let agreeCount = 0;
const seenDivergences = new Set<string>();

/** A KNOWN_DIVERGENCES key matches exactly, or as a prefix when it ends in "*". */
function knownDivergence(key: string): string | undefined {
  if (KNOWN_DIVERGENCES[key]?.backends.includes(backend)) return key;
  return Object.keys(KNOWN_DIVERGENCES).find((k) => k.endsWith("*") && key.startsWith(k.slice(0, -1)) && KNOWN_DIVERGENCES[k]!.backends.includes(backend));
}

function note(key: string, problem: string | undefined) {
  if (problem === undefined) {
    agreeCount++;
    return;
  }
  const known = knownDivergence(key);
  if (known) {
    seenDivergences.add(known);
    return;
  }
  disagreements.push(`${key}: ${problem}`);
}

function setupNamespace(s: KernelSession) {
  if (!hasIpset) return;
  s.exec("ipset", ["create", "fwlint_set", "hash:ip,port", "family", s.family === "ipv6" ? "inet6" : "inet"]);
  s.exec("ipset", ["create", "fwlint_map", "hash:ip", "skbinfo", "family", s.family === "ipv6" ? "inet6" : "inet"]);
}

/** The set match and SET target need an ipset to exist; without the ipset tool none can be created. */
const hasIpset = canUseKernel && spawnSync("sh", ["-c", "command -v ipset"], { stdio: "ignore" }).status === 0;
const RUNTIME_SKIP: Readonly<Record<string, string>> = hasIpset ? {} : { set: "the ipset tool is not installed", SET: "the ipset tool is not installed" };
if (canUseKernel && !hasIpset) console.warn("catalog-kernel: set/SET not checked: the ipset tool is not installed (apt-get install ipset)");

const unloadableKey = (spec: ExtensionSpec, opt?: OptionSpec) =>
  RUNTIME_SKIP[spec.name] ? spec.name : opt && UNLOADABLE[`${spec.name} ${opt.name}`] ? `${spec.name} ${opt.name}` : UNLOADABLE[spec.name] ? spec.name : undefined;
const unloadableHere = (key: string | undefined) => key !== undefined && (RUNTIME_SKIP[key] !== undefined || UNLOADABLE[key]!.backends.includes(backend));

/** Does the saved rule contain these words in a row? */
function containsRun(words: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= words.length; i++) {
    for (let j = 0; j < run.length; j++) if (words[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

const d = canUseKernel ? describe : describe.skip;

d(`catalog against the kernel (iptables-restore backend: ${backend})`, () => {
  beforeAll(() => {
    for (const f of FAMILIES) {
      const s = new KernelSession(f);
      setupNamespace(s);
      sessions.set(f, s);
    }
  });
  afterAll(() => {
    for (const s of sessions.values()) s.close();
    console.log(`catalog-kernel summary (${backend}): ${agreeCount} claims agree with the kernel, ${disagreements.length} disagree, ${seenDivergences.size} known divergences seen`);
    if (disagreements.length) console.log(disagreements.join("\n"));
  }, KERNEL_TIMEOUT);

  it("UNLOADABLE entries still fail with the listed message", () => {
    const stale: string[] = [];
    for (const [key, u] of Object.entries(UNLOADABLE)) {
      if (!u.backends.includes(backend)) continue;
      const [name] = key.split(" ");
      const spec = [...MATCHES, ...TARGETS].find((e) => e.name === name)!;
      expect(spec, key).toBeDefined();
      const family = u.family ?? spec.families[0]!;
      const table = u.table ?? spec.tables?.[0] ?? "filter";
      const chain = u.chain ?? (BUILTIN_CHAINS[table] as readonly string[])[0]!;
      const r = runAlone(session(family), { id: newId(), family, table, chain, rule: u.sample, expectAccept: false });
      if (r.accepted || !u.message.test(r.message)) stale.push(`${key}: ${r.accepted ? "now loads" : r.message}`);
    }
    expect(stale).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("option values: kernel acceptance and iptables-save spelling agree with checkValue", () => {
    const since = disagreements.length;
    type Sample = { case: Case; key: string; check: ValueCheck; opt: OptionSpec; spec: ExtensionSpec; words: string[]; position: number; negated: boolean; line: string };
    const samples: Sample[] = [];
    for (const family of FAMILIES) {
      for (const spec of [...MATCHES, ...TARGETS]) {
        if (!spec.families.includes(family) || EXT_SKIP[spec.name]) continue;
        for (const opt of spec.options) {
          if (opt.families && !opt.families.includes(family)) continue;
          if (unloadableHere(unloadableKey(spec, opt))) continue;
          const ov = OVERRIDES[`${spec.name} ${opt.name}`] ?? {};
          if (ov.skip) continue;
          const kinds = opt.kinds ?? [];
          const fixtures = fixtureWords(spec, opt, family);
          const positions = kinds.length === 0 ? [-1] : kinds.map((_, i) => i);
          for (const position of positions) {
            const values = position < 0 ? [""] : ov.values ?? candidates(kinds[position]!, opt, family, spec.name);
            for (const value of values) {
              const words = position < 0 ? [] : fixtures ? fixtures.map((f, i) => (i === position ? value : f)) : undefined;
              if (!words) continue;
              const check: ValueCheck = position < 0 ? { ok: true, canonical: "" } : okCheck(kinds[position]!, value, spec, opt, family);
              if (check.ok && check.warning && /resolved|looked up|must be (in|defined)/.test(check.warning)) continue; // host-dependent
              const ctx = contextFor(spec, opt, family, check.ok ? check.canonical : undefined);
              if (ctx.skip || ctx.chains.length === 0) continue;
              const c: Case = { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule: ruleText(spec, ctx, [opt.name, ...words]), expectAccept: check.ok };
              samples.push({ case: c, key: `${family} ${spec.name} ${opt.name} ${value}`, check, opt, spec, words, position, negated: false, line: "" });
            }
          }
          // negation claim, with fixture values
          if (fixtures || kinds.length === 0) {
            const ctx = contextFor(spec, opt, family, fixtures && kinds[0] ? (okCheck(kinds[0], fixtures[0]!, spec, opt, family) as { canonical?: string }).canonical : undefined);
            if (!ctx.skip && ctx.chains.length > 0) {
              const words = fixtures ?? [];
              const c: Case = { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule: ruleText(spec, ctx, ["!", opt.name, ...words]), expectAccept: opt.negatable };
              samples.push({ case: c, key: `${family} ${spec.name} ${opt.name} !`, check: { ok: opt.negatable, canonical: "" } as ValueCheck, opt, spec, words, position: -2, negated: true, line: "" });
              for (const alias of opt.aliases ?? []) {
                const a: Case = { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule: ruleText(spec, ctx, [alias, ...words]), expectAccept: true };
                samples.push({ case: a, key: `${family} ${spec.name} ${opt.name} alias:${alias}`, check: { ok: true, canonical: "" }, opt, spec, words, position: -3, negated: false, line: "" });
              }
            }
          }
        }
      }
    }
    for (const family of FAMILIES) {
      const mine = samples.filter((x) => x.case.family === family);
      const outcomes = runCases(session(family), mine.map((x) => x.case));
      for (const x of mine) {
        const o = outcomes.get(x.case.id)!;
        if (o.accepted !== x.check.ok) {
          note(x.key, `catalog says ${x.check.ok ? "valid" : `invalid (${(x.check as { message: string }).message})`}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.case.rule}]`);
          continue;
        }
        if (!o.accepted || !o.words) {
          note(x.key, undefined);
          continue;
        }
        note(x.key, savedProblem({ ...x, line: ` ${o.line ?? ""} ` }, o.words));
      }
    }
    function savedProblem(x: Sample, words: string[]): string | undefined {
      const { opt, check } = x;
      if (!check.ok) return undefined;
      if (PRINT_UNCHECKED[`${x.spec.name} ${opt.name}`]) return undefined;
      const shown = words.join(" ");
      // an alias is saved under the option's own name (unless the option is saved differently anyway)
      if (x.position === -3) return words.includes(opt.name) || opt.savedAs !== undefined || opt.save !== undefined ? undefined : `alias not saved as ${opt.name}: ${shown}`;
      if (x.negated) {
        if (opt.invertsTo) return words.includes(opt.invertsTo) && !words.includes("!") ? undefined : `! ${opt.name} not saved as ${opt.invertsTo}: ${shown}`;
        if (opt.kinds?.[0] === "weekdays" || opt.kinds?.[0] === "monthdays") return undefined; // saved as the complement
        if (opt.savedAs || opt.save === "never") return undefined;
        return containsRun(words, ["!", opt.name]) ? undefined : `negation not saved: ${shown}`;
      }
      if (x.position === -1) {
        if (opt.save === "never" || opt.save === "omit-default") return words.includes(opt.name) ? `${opt.name} should be dropped: ${shown}` : undefined;
        if (opt.savedAs !== undefined) return containsRun(words, splitSaveLine(opt.savedAs)) ? undefined : `expected "${opt.savedAs}": ${shown}`;
        return words.includes(opt.name) ? undefined : `${opt.name} missing: ${shown}`;
      }
      const name = check.savedAs ?? opt.savedAs ?? opt.name;
      if (check.omitted) return words.includes(name) && !(opt.save === "always") ? `expected ${name} to be dropped: ${shown}` : undefined;
      // all value words canonicalized
      const canon = x.words.map((w, i) => {
        const r = okCheck(opt.kinds![i]!, w, x.spec, opt, x.case.family);
        return r.ok ? r.canonical : w;
      });
      const run = [name, ...canon];
      if (containsRun(words, run)) return undefined;
      // values iptables-save prints raw (saveQuoting "never") only show up in the unsplit line
      if (opt.saveQuoting === "never" && x.line.includes(` ${run.join(" ")} `)) return undefined;
      return `expected "${run.join(" ")}" in: ${shown}`;
    }
    expect(samples.length).toBeGreaterThan(500);
    const unexpected = disagreements.slice(since);
    expect(unexpected, unexpected.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("tables and hooks: targets and matches load exactly where the catalog says, also behind user chains", () => {
    const since = disagreements.length;
    const problems: string[] = [];
    for (const family of FAMILIES) {
      const cases: { c: Case; spec: ExtensionSpec; where: string }[] = [];
      for (const spec of [...MATCHES, ...TARGETS]) {
        if (!spec.families.includes(family) || EXT_SKIP[spec.name] || unloadableHere(unloadableKey(spec))) continue;
        const base = minimalRule(spec, family);
        if (!base) {
          problems.push(`${family} ${spec.name}: no minimal rule`);
          continue;
        }
        for (const table of TABLE_NAMES) {
          for (const chain of BUILTIN_CHAINS[table] as readonly Hook[]) {
            const expectAccept = (!spec.tables || spec.tables.includes(table)) && (!spec.hooks || spec.hooks.includes(chain)) && base.hooks.includes(chain) && !EXT_TABLE_OVERRIDES[spec.name]?.refused?.includes(table);
            cases.push({ c: { id: newId(), family, table, chain, rule: base.rule, expectAccept }, spec, where: `${table}/${chain}` });
          }
        }
        // a user chain is checked against every built-in chain that reaches it
        if (spec.hooks) {
          const table = spec.tables?.[0] ?? "filter";
          const builtins = BUILTIN_CHAINS[table] as readonly Hook[];
          const good = builtins.find((c) => spec.hooks!.includes(c) && base.hooks.includes(c));
          const bad = builtins.find((c) => !spec.hooks!.includes(c));
          if (good) cases.push({ c: { id: newId(), family, table, chain: `FWL_OK_${uniq++}`, from: good, rule: base.rule, expectAccept: true }, spec, where: `${table}/user chain from ${good}` });
          if (bad) cases.push({ c: { id: newId(), family, table, chain: `FWL_BAD_${uniq++}`, from: bad, rule: base.rule, expectAccept: false }, spec, where: `${table}/user chain from ${bad}` });
        }
      }
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        note(`${family} ${x.spec.name} @${x.where}`, o.accepted === x.c.expectAccept ? undefined : `catalog says ${x.c.expectAccept ? "allowed" : "refused"}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.c.rule}]`);
      }
    }
    expect(problems).toEqual([]);
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("family-only extensions are refused by the other family", () => {
    const since = disagreements.length;
    for (const spec of [...MATCHES, ...TARGETS]) {
      if (spec.families.length !== 1 || EXT_SKIP[spec.name]) continue;
      const other: Family = spec.families[0] === "ipv4" ? "ipv6" : "ipv4";
      if ([...MATCHES, ...TARGETS].some((e) => e.name === spec.name && e.families.includes(other))) continue; // per-family variants (ah)
      const base = minimalRule(spec, spec.families[0]!);
      if (!base) continue;
      const table = spec.tables?.[0] ?? "filter";
      const chain = (BUILTIN_CHAINS[table] as readonly Hook[]).find((c) => (!spec.hooks || spec.hooks.includes(c)) && base.hooks.includes(c))!;
      const o = runAlone(session(other), { id: newId(), family: other, table, chain, rule: base.rule, expectAccept: false });
      note(`${other} ${spec.name} @other-family`, o.accepted ? `${spec.name} is ${spec.families[0]}-only in the catalog, but ${other} accepts it` : undefined);
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("protocol needs and implicit protocol matches", () => {
    const since = disagreements.length;
    for (const family of FAMILIES) {
      const cases: { c: Case; key: string; mustShow?: string }[] = [];
      for (const spec of MATCHES) {
        if (!spec.families.includes(family) || !spec.protocols || unloadableHere(unloadableKey(spec))) continue;
        const base = minimalRule(spec, family);
        if (!base) continue;
        const table = spec.tables?.[0] ?? "filter";
        const chain = (BUILTIN_CHAINS[table] as readonly Hook[]).find((c) => base.hooks.includes(c) && (!spec.hooks || spec.hooks.includes(c)))!;
        // without -p the rule is refused (by iptables or the kernel)
        cases.push({ c: { id: newId(), family, table, chain, rule: base.rule.replace(/^-p \d+ /, ""), expectAccept: false }, key: `${family} ${spec.name} without -p` });
        // implicit loading: -p SPELLING --option value, no -m
        const first = spec.options.find((o) => o.args > 0 && (!o.families || o.families.includes(family)));
        const words = first ? fixtureWords(spec, first, family) : undefined;
        if (!first || !words) continue;
        const spellings = Object.entries(PROTOCOLS).filter(([, n]) => n === spec.protocols![0]).map(([name]) => name);
        for (const spelling of [...new Set([...spellings, String(spec.protocols[0])])]) {
          const implicit = (spec.implicitFor ?? []).includes(spelling);
          const rule = `-p ${spelling} ${first.name} ${words.map(quote).join(" ")} -j ACCEPT`;
          cases.push({ c: { id: newId(), family, table, chain, rule, expectAccept: implicit }, key: `${family} ${spec.name} implicit via -p ${spelling}`, mustShow: implicit ? `-m ${spec.name}` : undefined });
        }
      }
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        let problem: string | undefined;
        if (o.accepted !== x.c.expectAccept) problem = `catalog says ${x.c.expectAccept ? "accepted" : "refused"}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.c.rule}]`;
        else if (x.mustShow && o.line && !o.line.includes(x.mustShow)) problem = `expected ${x.mustShow} in ${o.line}`;
        note(x.key, problem);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("-p names: every accepted spelling and the name iptables-save prints per number", () => {
    const since = disagreements.length;
    for (const family of FAMILIES) {
      const cases: { c: Case; key: string; expect: string | undefined }[] = [];
      for (const [name, n] of Object.entries(PROTOCOLS)) {
        cases.push({ c: { id: newId(), family, table: "filter", chain: "INPUT", rule: `-p ${name} -j ACCEPT`, expectAccept: true }, key: `${family} -p ${name}`, expect: n === 0 ? undefined : PROTOCOL_SAVE_NAMES[n] ?? String(n) });
      }
      for (let n = 0; n <= 255; n++) {
        cases.push({ c: { id: newId(), family, table: "filter", chain: "INPUT", rule: `-p ${n} -j ACCEPT`, expectAccept: true }, key: `${family} -p ${n}`, expect: n === 0 ? undefined : PROTOCOL_SAVE_NAMES[n] ?? String(n) });
      }
      for (const bad of ["icmp6", "256", "nosuchproto"]) cases.push({ c: { id: newId(), family, table: "filter", chain: "INPUT", rule: `-p ${bad} -j ACCEPT`, expectAccept: false }, key: `${family} -p ${bad}`, expect: undefined });
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        let problem: string | undefined;
        if (o.accepted !== x.c.expectAccept) problem = `kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`}`;
        else if (o.accepted && o.words) {
          const i = o.words.indexOf("-p");
          const shown = i >= 0 ? o.words[i + 1] : undefined;
          if (shown !== x.expect) problem = `iptables-save prints ${shown === undefined ? "no -p" : `-p ${shown}`}, catalog says ${x.expect === undefined ? "none" : x.expect}`;
        }
        note(x.key, problem);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("options are declared in the order iptables-save prints them", () => {
    const since = disagreements.length;
    const problems: string[] = [];
    for (const family of FAMILIES) {
      for (const spec of [...MATCHES, ...TARGETS]) {
        if (!spec.families.includes(family) || EXT_SKIP[spec.name] || unloadableHere(unloadableKey(spec)) || ORDER_SKIP[spec.name]) continue;
        const chosen: { opt: OptionSpec; words: string[] }[] = [];
        for (const opt of spec.options) {
          if (opt.families && !opt.families.includes(family)) continue;
          if (opt.savedAs !== undefined || opt.save === "never" || opt.save === "omit-default" || opt.optionalArg || PRINT_UNCHECKED[`${spec.name} ${opt.name}`]) continue;
          if (unloadableHere(unloadableKey(spec, opt)) || OVERRIDES[`${spec.name} ${opt.name}`]) continue;
          if (chosen.some((c) => c.opt.conflicts?.includes(opt.name) || opt.conflicts?.includes(c.opt.name))) continue;
          if (opt.requiresAnyOf && !opt.requiresAnyOf.some((n) => chosen.some((c) => c.opt.name === n))) continue;
          const words = opt.kinds?.length ? fixtureWords(spec, opt, family) : [];
          if (!words) continue;
          chosen.push({ opt, words });
        }
        const comp = companions(spec, chosen[0]?.opt ?? { name: "", args: 0, negatable: false }, family, chosen.flatMap((c) => [c.opt.name]));
        if (typeof comp !== "string") comp.args.push(...(MINIMAL_EXTRA[spec.name] ?? []));
        if (typeof comp === "string" || chosen.length < 2) continue;
        const ctx = contextFor(spec, chosen[0]!.opt, family);
        for (const c of chosen) if (c.opt.hooks) ctx.chains = ctx.chains.filter((h) => c.opt.hooks!.includes(h));
        for (const c of chosen) for (const p of c.opt.protocols ?? []) if (!ctx.core.length) ctx.core.push(`-p ${p}`);
        if (ctx.skip || ctx.chains.length === 0) continue;
        // reversed, except that an option needing another one (requiresAnyOf) stays right after it
        const reversed = [...chosen].reverse();
        const input: typeof chosen = [];
        for (const c of reversed) if (!c.opt.requiresAnyOf) input.push(c);
        for (const c of reversed.filter((r) => r.opt.requiresAnyOf)) {
          const at = input.findIndex((i) => c.opt.requiresAnyOf!.includes(i.opt.name));
          input.splice(at + 1, 0, c);
        }
        const extra = comp.args;
        const rule = ruleText(spec, { ...ctx, extArgs: [...extra, ...input.flatMap((c) => [c.opt.name, ...c.words])], after: [] }, []);
        const o = runAlone(session(family), { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule, expectAccept: true });
        if (!o.accepted || !o.words) {
          note(`${family} ${spec.name} @order`, `order sample refused: ${o.message} [rule: ${rule}]`);
          continue;
        }
        const positions = chosen.map((c) => o.words!.indexOf(c.opt.name));
        const printed = chosen.filter((_, i) => positions[i]! >= 0).map((c) => c.opt.name);
        const order = [...printed].sort((a, b) => o.words!.indexOf(a) - o.words!.indexOf(b));
        note(`${family} ${spec.name} @order`, order.join(" ") === printed.join(" ") ? undefined : `catalog order ${printed.join(" ")}, iptables-save order ${order.join(" ")}`);
        if (printed.length < 2) problems.push(`${family} ${spec.name}: order not observable (${o.line})`);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("rateest: the man page's relative-mode example loads and prints in catalog order", () => {
    const s = session("ipv4");
    const rules = [
      "-A POSTROUTING -o eth0 -j RATEEST --rateest-name eth0 --rateest-interval 250ms --rateest-ewmalog 0.5s",
      "-A POSTROUTING -o ppp0 -j RATEEST --rateest-name ppp0 --rateest-interval 250ms --rateest-ewmalog 0.5s",
      // the estimators must come first in table order (legacy checks rules in that order)
      "-A POSTROUTING -m rateest --rateest-delta --rateest1 eth0 --rateest-bps1 2.5mbit --rateest-gt --rateest2 ppp0 --rateest-bps2 2mbit -j ACCEPT",
      "-A POSTROUTING -m rateest --rateest eth0 --rateest-gt --rateest-bps 1mbit -j ACCEPT",
    ];
    const r = s.restore(`*mangle\n${rules.join("\n")}\nCOMMIT\n`);
    expect(r.ok, r.message).toBe(true);
    const saved = s.saveRules("mangle").filter((l) => l.includes("-m rateest"));
    expect(saved).toHaveLength(2);
    const rateest = MATCHES.find((m) => m.name === "rateest")!;
    for (const line of saved) {
      const words = splitSaveLine(line);
      const names = rateest.options.map((o) => o.name).filter((n) => words.includes(n));
      expect(names.length).toBeGreaterThan(2);
      expect([...names].sort((a, b) => words.indexOf(a) - words.indexOf(b))).toEqual(names);
    }
    const bps = rateest.options.find((o) => o.name === "--rateest-bps")!;
    const check = checkValue("bandwidth", "1mbit", { family: "ipv4", option: bps, extension: "rateest" });
    expect(check.ok && saved.some((l) => l.includes(`--rateest-bps ${check.canonical}`)), saved.join("\n")).toBe(true);
  }, KERNEL_TIMEOUT);

  it("core options: values, saved spelling, hooks and families", () => {
    const since = disagreements.length;
    for (const family of FAMILIES) {
      const cases: { c: Case; key: string; opt: OptionSpec; check: ValueCheck }[] = [];
      for (const opt of CORE_RULE_OPTIONS) {
        if (opt.save === "never") continue;
        const allowed = !opt.families || opt.families.includes(family);
        const hooks = (BUILTIN_CHAINS.filter as readonly Hook[]).filter((h) => !opt.hooks || opt.hooks.includes(h));
        const values = opt.kinds?.length ? candidates(opt.kinds[0]!, opt, family, "").filter((v) => !v.includes(",")) : [""];
        for (const value of values) {
          const check: ValueCheck = opt.kinds?.length ? checkValue(opt.kinds[0]!, value, { family, option: opt }) : allowed ? { ok: true, canonical: "" } : { ok: false, message: `${opt.name} is not available for ${family}` };
          if (check.ok && check.warning && /resolved/.test(check.warning)) continue;
          const rule = `${opt.name} ${value === "" ? "" : quote(value)} -j ACCEPT`.replace("  ", " ");
          cases.push({ c: { id: newId(), family, table: "filter", chain: hooks[0]!, rule, expectAccept: check.ok && allowed }, key: `${family} core ${opt.name} ${value}`, opt, check });
        }
        // hook claims: each filter chain outside opt.hooks must refuse it
        const fixture = opt.kinds?.length ? values.find((v) => checkValue(opt.kinds![0]!, v, { family, option: opt }).ok) : "";
        if (fixture === undefined) continue;
        for (const chain of BUILTIN_CHAINS.filter as readonly Hook[]) {
          const expectAccept = allowed && (!opt.hooks || opt.hooks.includes(chain));
          const rule = `${opt.name} ${fixture} -j ACCEPT`.replace("  ", " ");
          cases.push({ c: { id: newId(), family, table: "filter", chain, rule, expectAccept }, key: `${family} core ${opt.name} @${chain}`, opt, check: { ok: true, canonical: "" } });
        }
      }
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        let problem: string | undefined;
        if (o.accepted !== x.c.expectAccept) problem = `catalog says ${x.c.expectAccept ? "accepted" : "refused"}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.c.rule}]`;
        else if (o.accepted && o.words && x.check.ok && x.check.canonical !== "" && !x.key.includes("@")) {
          const shown = o.words.join(" ");
          if (x.check.omitted) problem = o.words.includes(x.opt.name) ? `expected ${x.opt.name} to be dropped: ${shown}` : undefined;
          else problem = containsRun(o.words, [x.opt.name, x.check.canonical]) ? undefined : `expected "${x.opt.name} ${x.check.canonical}" in: ${shown}`;
        }
        note(x.key, problem);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("KNOWN_DIVERGENCES all still happen", () => {
    const expected = Object.entries(KNOWN_DIVERGENCES).filter(([, v]) => v.backends.includes(backend)).map(([k]) => k);
    expect(expected.filter((k) => !seenDivergences.has(k))).toEqual([]);
  }, KERNEL_TIMEOUT);
});
