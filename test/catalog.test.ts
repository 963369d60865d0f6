import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  allMatches,
  allTargets,
  BUILTIN_CHAINS,
  checkValue,
  CORE_RULE_OPTIONS,
  CT_STATES,
  extensionsDefining,
  findCoreOption,
  findMatch,
  findTarget,
  formatIPv6,
  ICMP_TYPES,
  ICMPV6_TYPES,
  implicitMatchFor,
  matchExistsInOtherFamily,
  matchOptionPrefix,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parsePortRange,
  protocolNumber,
  PROTOCOL_SAVE_NAMES,
  PROTOCOLS,
  servicePort,
  stringSurelyFits,
  TABLE_NAMES,
  targetExistsInOtherFamily,
  type ExtensionSpec,
  type Family,
  type OptionSpec,
  type ValueKind,
} from "../src/catalog/index.js";
import { MATCHES } from "../src/catalog/matches.js";
import { TARGETS } from "../src/catalog/targets.js";

const ALL_SPECS: readonly ExtensionSpec[] = [...MATCHES, ...TARGETS];

describe("catalog lookups", () => {
  it("resolves core option aliases", () => {
    expect(findCoreOption("--source")?.name).toBe("-s");
    expect(findCoreOption("--in-interface")?.name).toBe("-i");
    expect(findCoreOption("--ipv6")?.name).toBe("-6");
    expect(findCoreOption("--bogus")).toBeUndefined();
  });
  it("finds matches and targets per family", () => {
    expect(findMatch("iprange", "ipv4")?.spec.name).toBe("iprange");
    expect(findMatch("icmp", "ipv6")).toBeUndefined();
    expect(matchExistsInOtherFamily("icmp", "ipv6")).toBe(true);
    expect(findTarget("DNAT", "ipv4")?.spec.tables).toEqual(["nat"]);
    expect(targetExistsInOtherFamily("DNPT", "ipv4")).toBe(true);
    expect(findTarget("NOSUCH", "ipv4")).toBeUndefined();
  });
  it("gives the per-family variant of ah", () => {
    expect(findMatch("ah", "ipv4")?.byName.has("--ahlen")).toBe(false);
    expect(findMatch("ah", "ipv6")?.byName.has("--ahlen")).toBe(true);
    expect(findMatch("ah", "ipv4")?.spec.protocols).toEqual([51]);
  });
  it("knows which extensions define an option", () => {
    expect(extensionsDefining("--src-range", "ipv4").map((e) => e.spec.name)).toEqual(["iprange"]);
    expect(extensionsDefining("--dport", "ipv4").map((e) => e.spec.name)).toEqual(expect.arrayContaining(["tcp", "udp", "sctp", "dccp"]));
    expect(extensionsDefining("--icmpv6-type", "ipv4")).toEqual([]);
  });
  it("maps -p spellings to implicit matches as iptables 1.8.9 does", () => {
    expect(implicitMatchFor("tcp", "ipv4")?.spec.name).toBe("tcp");
    expect(implicitMatchFor("TCP", "ipv4")?.spec.name).toBe("tcp");
    expect(implicitMatchFor("6", "ipv6")?.spec.name).toBe("tcp");
    expect(implicitMatchFor("ipv6-icmp", "ipv6")?.spec.name).toBe("icmp6");
    expect(implicitMatchFor("58", "ipv6")?.spec.name).toBe("icmp6");
    expect(implicitMatchFor("icmp", "ipv6")).toBeUndefined();
    expect(implicitMatchFor("mh", "ipv6")?.spec.name).toBe("mh");
    expect(implicitMatchFor("ipv6-mh", "ipv6")).toBeUndefined();
    expect(implicitMatchFor("udplite", "ipv4")).toBeUndefined();
  });
  it("maps -p words to protocol numbers", () => {
    expect(protocolNumber("udp")).toBe(17);
    expect(protocolNumber("ipv6-icmp")).toBe(58);
    expect(protocolNumber("icmpv6")).toBe(58);
    expect(protocolNumber("icmp6")).toBeUndefined();
    expect(protocolNumber("ip-encap")).toBeUndefined();
    expect(protocolNumber("300")).toBeUndefined();
  });
  it("resolves getopt-style abbreviations like iptables", () => {
    const tcp = findMatch("tcp", "ipv4")!;
    expect(matchOptionPrefix("--dpor", [tcp], "ipv4").map((o) => o.name)).toEqual(["--dport"]);
    expect(matchOptionPrefix("--destination-po", [tcp], "ipv4").map((o) => o.name)).toEqual(["--dport"]);
    const redirect = findTarget("REDIRECT", "ipv4")!;
    expect(matchOptionPrefix("--to", [redirect], "ipv4").map((o) => o.name)).toEqual(["--to-ports"]);
    const snat = findTarget("SNAT", "ipv4")!;
    expect(matchOptionPrefix("--random", [snat], "ipv4").map((o) => o.name)).toEqual(["--random"]);
    expect(matchOptionPrefix("--ran", [snat], "ipv4").map((o) => o.name).sort()).toEqual(["--random", "--random-fully"]);
    expect(matchOptionPrefix("--nosuch", [tcp], "ipv4")).toEqual([]);
  });
});

/**
 * Extensions and family markers as listed by man iptables-extensions (iptables 1.8.9). One correction: the man
 * page does not mark osf as IPv4-specific, but libxt_osf registers for IPv4 only (`ip6tables -m osf` fails).
 */
const MAN_MATCHES: Readonly<Record<string, readonly Family[]>> = Object.fromEntries(
  (
    "addrtype ah bpf cgroup cluster comment connbytes connlabel connlimit connmark conntrack cpu dccp devgroup dscp dst:6 ecn esp eui64:6 frag:6 hashlimit hbh:6 helper hl:6 icmp:4 icmp6:6 iprange ipv6header:6 ipvs length limit mac mark mh:6 multiport nfacct osf:4 owner physdev pkttype policy quota rateest realm:4 recent rpfilter rt:6 sctp set socket state statistic string tcp tcpmss time tos ttl:4 u32 udp"
  )
    .split(" ")
    .map((w) => {
      const [name, fam] = w.split(":");
      return [name!, fam === "4" ? ["ipv4"] : fam === "6" ? ["ipv6"] : ["ipv4", "ipv6"]] as const;
    }),
);
const MAN_TARGETS: Readonly<Record<string, readonly Family[]>> = Object.fromEntries(
  (
    "AUDIT CHECKSUM CLASSIFY CLUSTERIP:4 CONNMARK CONNSECMARK CT DNAT DNPT:6 DSCP ECN:4 HL:6 HMARK IDLETIMER LED LOG MARK MASQUERADE NETMAP NFLOG NFQUEUE NOTRACK RATEEST REDIRECT REJECT SECMARK SET SNAT SNPT:6 SYNPROXY TCPMSS TCPOPTSTRIP TEE TOS TPROXY TRACE TTL:4 ULOG:4"
  )
    .split(" ")
    .map((w) => {
      const [name, fam] = w.split(":");
      return [name!, fam === "4" ? ["ipv4"] : fam === "6" ? ["ipv6"] : ["ipv4", "ipv6"]] as const;
    }),
);

function familiesOf(name: string, type: "match" | "target"): Family[] {
  return [...new Set(ALL_SPECS.filter((s) => s.name === name && s.type === type).flatMap((s) => s.families))].sort();
}

describe("catalog structure", () => {
  it("has every match and target of man iptables-extensions 1.8.9 with its families", () => {
    for (const [name, fams] of Object.entries(MAN_MATCHES)) expect(familiesOf(name, "match"), name).toEqual([...fams].sort());
    for (const [name, fams] of Object.entries(MAN_TARGETS)) expect(familiesOf(name, "target"), name).toEqual([...fams].sort());
  });
  it("marks what is not in the man page as undocumented", () => {
    for (const spec of ALL_SPECS) {
      const listed = spec.type === "match" ? spec.name in MAN_MATCHES : spec.name in MAN_TARGETS;
      expect(listed || spec.undocumented === true, spec.name).toBe(true);
    }
  });
  it("declares matches and targets in alphabetical order, each with a description and a type", () => {
    const sorted = (list: readonly ExtensionSpec[]) => list.map((s) => s.name).every((n, i, a) => i === 0 || a[i - 1]!.toLowerCase() <= n.toLowerCase());
    expect(sorted(MATCHES)).toBe(true);
    expect(sorted(TARGETS)).toBe(true);
    for (const s of MATCHES) expect(s.type, s.name).toBe("match");
    for (const s of TARGETS) expect(s.type, s.name).toBe("target");
    for (const s of ALL_SPECS) expect(s.description.length, s.name).toBeGreaterThanOrEqual(8);
    for (const s of TARGETS) expect(["terminal", "continue"], s.name).toContain(s.verdict);
    for (const s of MATCHES) expect(s.verdict, s.name).toBeUndefined();
  });
  it("never has two variants of one extension for the same family", () => {
    for (const spec of ALL_SPECS) {
      const same = ALL_SPECS.filter((s) => s.name === spec.name && s.type === spec.type && s !== spec);
      for (const other of same) expect(other.families.filter((f) => spec.families.includes(f)), spec.name).toEqual([]);
    }
  });
  it("has no duplicate option spellings within one extension", () => {
    for (const spec of ALL_SPECS) {
      const spellings = spec.options.flatMap((o) => [o.name, ...(o.aliases ?? [])]);
      expect(new Set(spellings).size, spec.name).toBe(spellings.length);
    }
    const core = CORE_RULE_OPTIONS.flatMap((o) => [o.name, ...(o.aliases ?? [])]);
    expect(new Set(core).size).toBe(core.length);
  });
  it("gives one kind per value word, values for enums, bounds that make sense", () => {
    for (const spec of ALL_SPECS) {
      for (const o of [...spec.options, ...CORE_RULE_OPTIONS]) {
        const where = `${spec.name} ${o.name}`;
        expect(o.kinds?.length ?? 0, where).toBe(o.args);
        if (o.kinds?.some((k) => k === "enum" || k === "enum-list")) {
          expect(o.values?.length, where).toBeGreaterThan(0);
          expect(new Set(o.values).size, where).toBe(o.values!.length);
        }
        if (o.min !== undefined && o.max !== undefined) expect(o.min, where).toBeLessThanOrEqual(o.max);
        expect(o.name.startsWith("-"), where).toBe(true);
        if (o.optionalArg) expect(o.args, where).toBe(1);
      }
    }
  });
  it("only refers to options, tables and hooks that exist", () => {
    for (const spec of ALL_SPECS) {
      const names = new Set(spec.options.map((o) => o.name));
      const where = (o?: OptionSpec) => `${spec.name} ${o?.name ?? ""}`;
      for (const group of spec.requiresOneOf ?? []) for (const n of group) expect(names.has(n), `${where()} requiresOneOf ${n}`).toBe(true);
      for (const o of spec.options) {
        for (const n of [...(o.conflicts ?? []), ...(o.requiresAnyOf ?? [])]) expect(names.has(n), `${where(o)} refers to ${n}`).toBe(true);
        if (o.invertsTo) expect(names.has(o.invertsTo), where(o)).toBe(true);
        if (o.savedAs) expect(names.has(o.savedAs.split(" ")[0]!), where(o)).toBe(true);
        if ((o.save === "always" || o.save === "omit-default") && o.args > 0) expect(o.default, where(o)).toBeDefined();
      }
      for (const t of spec.tables ?? []) expect(TABLE_NAMES, spec.name).toContain(t);
      const chains = new Set((spec.tables ?? TABLE_NAMES).flatMap((t) => [...BUILTIN_CHAINS[t]]));
      for (const h of spec.hooks ?? []) expect(chains.has(h), `${spec.name} hook ${h} in ${spec.tables}`).toBe(true);
    }
  });
  it("gives protocol matches -p spellings that name their protocol", () => {
    for (const spec of MATCHES) {
      for (const spelling of spec.implicitFor ?? []) {
        const n = protocolNumber(spelling);
        expect(n, `${spec.name} ${spelling}`).toBeDefined();
        if (spec.protocols) expect(spec.protocols, `${spec.name} ${spelling}`).toContain(n);
      }
    }
  });
  it("keeps defaults and value constraints in canonical spelling", () => {
    for (const spec of ALL_SPECS) {
      for (const family of spec.families) {
        for (const o of spec.options) {
          const kind = o.kinds?.[0];
          if (!kind || o.args !== 1) continue;
          const dflt = typeof o.default === "string" ? o.default : o.default?.[family];
          if (dflt !== undefined) {
            const r = checkValue(kind, dflt, { family, option: o, extension: spec.name });
            expect(r.ok && r.canonical, `${family} ${spec.name} ${o.name} default ${dflt}`).toBe(dflt);
          }
          for (const key of Object.keys(o.valueConstraints ?? {})) {
            const r = checkValue(kind, key, { family: "ipv4", option: o, extension: spec.name });
            expect(r.ok && r.canonical, `${spec.name} ${o.name} constraint key ${key}`).toBe(key);
          }
        }
      }
    }
  });
  it("has -p names and saved names that agree", () => {
    for (const [n, name] of Object.entries(PROTOCOL_SAVE_NAMES)) expect(PROTOCOLS[name], name).toBe(Number(n));
    for (const [name, n] of Object.entries(PROTOCOLS)) {
      expect(name, "lower case").toBe(name.toLowerCase());
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(255);
    }
  });
  it("ships service names that match this machine's /etc/services", () => {
    if (!existsSync("/etc/services")) return;
    const table = new Map<string, Map<number, Set<string>>>();
    for (const line of readFileSync("/etc/services", "utf8").split("\n")) {
      const [name, portProto, ...aliases] = line.split("#")[0]!.trim().split(/\s+/);
      if (!name || !portProto) continue;
      const [port, proto] = portProto.split("/");
      for (const n of [name, ...aliases]) {
        const ports = table.get(n) ?? new Map<number, Set<string>>();
        ports.set(Number(port), (ports.get(Number(port)) ?? new Set()).add(proto!));
        table.set(n, ports);
      }
    }
    let checked = 0;
    for (const [name, ports] of table) {
      for (const proto of ["tcp", "udp"]) {
        const ours = servicePort(name, proto);
        if (ours === undefined) continue;
        checked++;
        expect(ports.get(ours)?.has(proto), `${name}/${proto} = ${ours}`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

// -------------------------------------------------------------------------------------------------------
// checkValue: every kind, with examples observed on iptables 1.8.9 (iptables-restore → iptables-save)
// -------------------------------------------------------------------------------------------------------

/** Every ValueKind; the `satisfies` makes the compiler reject this list when a kind is added or removed. */
const KIND_LIST = {
  address: 1, "address-list": 1, "address-range": 1, "address-mask": 1, "prefix-length": 1, interface: 1, protocol: 1, port: 1,
  "port-range": 1, "port-list": 1, "port-range-dash": 1, "nat-range": 1, "icmp-type": 1, "icmpv6-type": 1, "ctstate-list": 1,
  "state-list": 1, "ctstatus-list": 1, "tcp-flag-list": 1, mark: 1, number: 1, "number-range": 1, rate: 1, enum: 1, "enum-list": 1,
  string: 1, "hex-string": 1, chain: 1, mac: 1, time: 1, datetime: 1, weekdays: 1, monthdays: 1, user: 1, group: 1, "set-name": 1,
  "set-flags": 1, "dscp-class": 1, tos: 1, "u32-expr": 1, "bpf-bytecode": 1, path: 1, raw: 1, host: 1, "host-list": 1, prefix: 1,
  number64: 1, "number64-range": 1, probability: 1, "hashlimit-rate": 1, "hashlimit-burst": 1, bandwidth: 1, duration: 1,
  "log-level": 1, "class-id": 1, "ct-zone": 1, "named-mark": 1, connlabel: 1, "led-delay": 1, "mh-type": 1, "sctp-chunk-list": 1,
  "ipv6-option-list": 1, "ipv6-header-list": 1, "tcp-option-list": 1, "reject-type": 1,
} satisfies Record<ValueKind, 1>;
const ALL_KINDS = Object.keys(KIND_LIST) as ValueKind[];

/** An option of the catalog (ext "" = core option), so examples run with the real OptionSpec. */
function option(ext: string, name: string, family: Family = "ipv4"): { option: OptionSpec; extension?: string } {
  if (ext === "") return { option: findCoreOption(name)! };
  const e = findMatch(ext, family) ?? findTarget(ext, family);
  const o = e?.byName.get(name);
  if (!o) throw new Error(`no ${ext} ${name} for ${family}`);
  return { option: o, extension: ext };
}

type Expect = string | null | { canonical: string; warning?: true; omitted?: true; savedAs?: string } | { error: RegExp };
type Row = readonly [ValueKind, string, string, string, Expect, Family?];

/** [kind, extension, option, input, expected canonical | null (invalid) | details, family] */
const ROWS: readonly Row[] = [
  ["address", "", "-s", "10.1.2.3/24", { canonical: "10.1.2.0/24", warning: true }],
  ["address", "", "-s", "10.1", "10.1.0.0/32"],
  ["address", "", "-s", "010.1.2.3", "8.1.2.3/32"],
  ["address", "", "-s", "0x0a.1.2.3", "10.1.2.3/32"],
  ["address", "", "-s", "4294967295", "255.255.255.255/32"],
  ["address", "", "-s", "10.0.0.0/255.0.255.0", "10.0.0.0/255.0.255.0"],
  ["address", "", "-s", "1.2.3.4/010", { canonical: "1.0.0.0/8", warning: true }],
  ["address", "", "-s", "1.2.3.4/08", null],
  ["address", "", "-s", "10.0.0.0/33", { error: /'10\.0\.0\.0\/33' is not a valid IPv4 prefix/ }],
  ["address", "", "-s", "256.1.2.3", null],
  ["address", "", "-s", "::1", { error: /IPv6 address '::1' used in an IPv4 rule/ }],
  ["address", "", "-s", "0.0.0.0/0", { canonical: "0.0.0.0/0", omitted: true }],
  ["address", "", "-s", "localhost", { canonical: "localhost", warning: true }],
  ["address", "", "-s", "2001:DB8:0:0:0:0:0:1/48", { canonical: "2001:db8::/48", warning: true }, "ipv6"],
  ["address", "", "-s", "::ffff:1.2.3.4", "::ffff:1.2.3.4/128", "ipv6"],
  ["address", "", "-s", "2001:db8::/ffff:ff00:ffff::", { canonical: "2001:d00::/ffff:ff00:ffff::", warning: true }, "ipv6"],
  ["address", "", "-s", "1.2.3.4", { error: /IPv4 address '1\.2\.3\.4' used in an IPv6 rule/ }, "ipv6"],
  ["address", "conntrack", "--ctorigsrc", "10.1.2.3/255.255.0.0", "10.1.2.3/16"],
  ["address", "conntrack", "--ctorigsrc", "10.0.0.0/33", { canonical: "10.0.0.0", warning: true }],
  ["address", "conntrack", "--ctorigsrc", "10.0.0.0/255.0.255.0", { canonical: "10.0.0.0", warning: true }],
  ["address", "NETMAP", "--to", "10.0.0.5/24", "10.0.0.0/24"],
  ["address", "NETMAP", "--to", "10.0.0.5", "10.0.0.5/32"],
  ["address", "NETMAP", "--to", "10.0.0.0/255.0.255.0", { canonical: "10.0.0.0/32", warning: true }],
  ["address-list", "", "-s", "1.2.3.4,5.6.7.8/24", { canonical: "1.2.3.4/32,5.6.7.0/24", warning: true }],
  ["address-range", "iprange", "--src-range", "1.2.3.4-1.2.3.10", "1.2.3.4-1.2.3.10"],
  ["address-range", "iprange", "--dst-range", "5.6.7.8", "5.6.7.8-5.6.7.8"],
  ["address-range", "iprange", "--src-range", "010.2.3.4-1.2.3.10", { canonical: "8.2.3.4-1.2.3.10", warning: true }],
  ["address-range", "iprange", "--src-range", "1.2.3.4/24-1.2.3.10", null],
  ["address-range", "iprange", "--src-range", "localhost", null],
  ["address-range", "iprange", "--src-range", "2001:DB8::1", "2001:db8::1-2001:db8::1", "ipv6"],
  ["address-mask", "recent", "--mask", "255.255.255.0", "255.255.255.0"],
  ["address-mask", "recent", "--mask", "ffff:ffff::", "ffff:ffff::", "ipv6"],
  ["address-mask", "recent", "--mask", "::1", null],
  ["prefix-length", "connlimit", "--connlimit-mask", "24", "24"],
  ["prefix-length", "connlimit", "--connlimit-mask", "64", { canonical: "32", warning: true }],
  ["prefix-length", "connlimit", "--connlimit-mask", "129", null, "ipv6"],
  ["prefix-length", "hashlimit", "--hashlimit-srcmask", "33", null],
  ["interface", "", "-i", "eth0+", "eth0+"],
  ["interface", "", "-i", "0123456789abcde", "0123456789abcde"],
  ["interface", "", "-i", "0123456789abcdef", null],
  ["interface", "", "-i", "+", { canonical: "+", omitted: true }],
  ["interface", "TEE", "--oif", "0123456789abcdefg", { canonical: "0123456789abcde", warning: true }],
  ["protocol", "", "-p", "TCP", "tcp"],
  ["protocol", "", "-p", "0x6", "tcp"],
  ["protocol", "", "-p", "58", "ipv6-icmp", "ipv6"],
  ["protocol", "", "-p", "icmpv6", "ipv6-icmp", "ipv6"],
  ["protocol", "", "-p", "135", "mobility-header", "ipv6"],
  ["protocol", "", "-p", "mh", "mobility-header", "ipv6"],
  ["protocol", "", "-p", "47", "gre"],
  ["protocol", "", "-p", "all", { canonical: "all", omitted: true }],
  ["protocol", "", "-p", "icmp6", { error: /icmp6 is the match name/ }, "ipv6"],
  ["protocol", "", "-p", "256", null],
  ["protocol", "conntrack", "--ctproto", "udp", "17"],
  ["port", "TPROXY", "--on-port", "http", "80"],
  ["port", "TPROXY", "--on-port", "70000", { canonical: "4464", warning: true }],
  ["port", "TPROXY", "--on-port", "0x16", null],
  ["port-range", "tcp", "--dport", "2000:1000", { error: /reversed port range 2000:1000/ }],
  ["port-range", "tcp", "--dport", "1000:", "1000:65535"],
  ["port-range", "tcp", "--dport", ":1000", "0:1000"],
  ["port-range", "tcp", "--dport", "5:5", "5"],
  ["port-range", "tcp", "--dport", "0x16", "22"],
  ["port-range", "tcp", "--dport", "022", "18"],
  ["port-range", "tcp", "--dport", "http-alt", "8080"],
  ["port-range", "tcp", "--dport", "65536", { error: /port 65536 is outside 0-65535/ }],
  ["port-range", "tcp", "--dport", "SSH", null],
  ["port-range", "tcp", "--dport", "ntp", null],
  ["port-range", "tcp", "--dport", "1-5", null],
  ["port-range", "tcp", "--sport", "0:65535", { canonical: "0:65535", omitted: true }],
  ["port-range", "sctp", "--dport", "http", null],
  ["port-range", "udp", "--dport", "2000:1000", { canonical: "2000:1000", warning: true }],
  ["port-range", "udp", "--dport", "65536", { canonical: "0", warning: true }],
  ["port-range", "udp", "--dport", "70000:80000", { canonical: "4464:14464", warning: true }],
  ["port-range", "udp", "--dport", "022", "22"],
  ["port-range", "udp", "--dport", "0x16", null],
  ["port-range", "udp", "--dport", "ntp", "123"],
  ["port-range", "udp", "--dport", "ssh", "22"],
  ["port-range", "conntrack", "--ctorigsrcport", "20:10", { canonical: "20:10", warning: true }],
  ["port-list", "multiport", "--dports", "1,2,3:4,ssh", "1,2,3:4,22"],
  ["port-list", "multiport", "--dports", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"],
  ["port-list", "multiport", "--dports", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", { error: /too many ports/ }],
  ["port-list", "multiport", "--dports", "1:2,3,4,5,6,7,8,9,10,11,12,13,14,15", "1:2,3,4,5,6,7,8,9,10,11,12,13,14,15"],
  ["port-list", "multiport", "--dports", "1:2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", null],
  ["port-list", "multiport", "--ports", "4:3", null],
  ["port-list", "multiport", "--dports", "5:", null],
  ["port-list", "multiport", "--dports", "5,", null],
  ["port-list", "multiport", "--dports", "5,5", "5,5"],
  ["port-range-dash", "MASQUERADE", "--to-ports", "1000-2000", "1000-2000"],
  ["port-range-dash", "MASQUERADE", "--to-ports", "ssh", "22"],
  ["port-range-dash", "MASQUERADE", "--to-ports", "1000:2000", { error: /use a dash/ }],
  ["port-range-dash", "REDIRECT", "--to-ports", "8090-8080", null],
  ["nat-range", "DNAT", "--to-destination", "1.2.3.4:http", "1.2.3.4:80"],
  ["nat-range", "DNAT", "--to-destination", "1.2.3.4-1.2.3.10:80-90", "1.2.3.4-1.2.3.10:80-90"],
  ["nat-range", "DNAT", "--to-destination", "1.2.3.4:80-90/85", "1.2.3.4:80-90/85"],
  ["nat-range", "DNAT", "--to-destination", ":80", ":80"],
  ["nat-range", "DNAT", "--to-destination", "1.2.3.10-1.2.3.4", "1.2.3.10-1.2.3.4"],
  ["nat-range", "DNAT", "--to-destination", "1.2.3.4/24", null],
  ["nat-range", "DNAT", "--to-destination", "localhost", null],
  ["nat-range", "DNAT", "--to-destination", "1.2.3.4:90-80", null],
  ["nat-range", "SNAT", "--to-source", "1.2.3.4:1000-2000/1500", { canonical: "1.2.3.4:1000-2000/0", warning: true }],
  ["nat-range", "DNAT", "--to-destination", "[2001:db8::1]:80", "[2001:db8::1]:80", "ipv6"],
  ["icmp-type", "icmp", "--icmp-type", "echo-req", "8"],
  ["icmp-type", "icmp", "--icmp-type", "ECHO-REQUEST", "8"],
  ["icmp-type", "icmp", "--icmp-type", "echo", { error: /ambiguous/i }],
  ["icmp-type", "icmp", "--icmp-type", "255", "any"],
  ["icmp-type", "icmp", "--icmp-type", "any", "any"],
  ["icmp-type", "icmp", "--icmp-type", "host-unreachable", "3/1"],
  ["icmp-type", "icmp", "--icmp-type", "tos-host-redirect", "5/3"],
  ["icmp-type", "icmp", "--icmp-type", "pong", "0"],
  ["icmp-type", "icmp", "--icmp-type", "0x8", "8"],
  ["icmp-type", "icmp", "--icmp-type", "3/256", null],
  ["icmp-type", "icmp", "--icmp-type", "256", null],
  ["icmpv6-type", "icmp6", "--icmpv6-type", "ping", "128", "ipv6"],
  ["icmpv6-type", "icmp6", "--icmpv6-type", "neighbour-solicitation", "135", "ipv6"],
  ["icmpv6-type", "icmp6", "--icmpv6-type", "ttl-zero-during-transit", "3/0", "ipv6"],
  ["icmpv6-type", "icmp6", "--icmpv6-type", "255", "255", "ipv6"],
  ["icmpv6-type", "icmp6", "--icmpv6-type", "1/255", "1/255", "ipv6"],
  ["icmpv6-type", "icmp6", "--icmpv6-type", "any", null, "ipv6"],
  ["ctstate-list", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "RELATED,ESTABLISHED"],
  ["ctstate-list", "conntrack", "--ctstate", "new", "NEW"],
  ["ctstate-list", "conntrack", "--ctstate", "NEW,ESTABLISHED,RELATED,INVALID,UNTRACKED,SNAT,DNAT", "INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT"],
  ["ctstate-list", "conntrack", "--ctstate", "ESTABLISED", { error: /unknown conntrack state 'ESTABLISED' \(did you mean ESTABLISHED\?\)/ }],
  ["ctstate-list", "conntrack", "--ctstate", "NEW,", null],
  ["state-list", "state", "--state", "established", "ESTABLISHED"],
  ["state-list", "state", "--state", "SNAT", { error: /conntrack/ }],
  ["ctstatus-list", "conntrack", "--ctstatus", "ASSURED,CONFIRMED,EXPECTED,SEEN_REPLY,NONE", "EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED"],
  ["ctstatus-list", "conntrack", "--ctstatus", "NONE", "NONE"],
  ["tcp-flag-list", "tcp", "--tcp-flags", "SYN,ACK,FIN,RST", "FIN,SYN,RST,ACK"],
  ["tcp-flag-list", "tcp", "--tcp-flags", "ALL", "FIN,SYN,RST,PSH,ACK,URG"],
  ["tcp-flag-list", "tcp", "--tcp-flags", "syn,ack", "SYN,ACK"],
  ["tcp-flag-list", "tcp", "--tcp-flags", "NONE", "NONE"],
  ["tcp-flag-list", "tcp", "--tcp-flags", "SYN,ECE,CWR", null],
  ["mark", "mark", "--mark", "1", "0x1"],
  ["mark", "mark", "--mark", "16/0xff", "0x10/0xff"],
  ["mark", "mark", "--mark", "0x1/0xffffffff", "0x1"],
  ["mark", "mark", "--mark", "010", "0x8"],
  ["mark", "mark", "--mark", "-1", null],
  ["mark", "mark", "--mark", "0x1/", null],
  ["mark", "connmark", "--mark", "0x100000000", null],
  ["mark", "MARK", "--set-mark", "1", "0x1/0xffffffff"],
  ["mark", "MARK", "--set-xmark", "0x1/0xff", "0x1/0xff"],
  ["mark", "MARK", "--and-mark", "0xf", "0x0/0xfffffff0"],
  ["mark", "MARK", "--or-mark", "0xf", "0xf/0xf"],
  ["mark", "MARK", "--xor-mark", "0xf", "0xf/0x0"],
  ["mark", "CONNMARK", "--and-mark", "0xf0", "0x0/0xffffff0f"],
  ["mark", "TPROXY", "--tproxy-mark", "1", "0x1/0xffffffff"],
  ["number", "dscp", "--dscp", "10", "0x0a"],
  ["number", "dscp", "--dscp", "64", null],
  ["number", "cluster", "--cluster-local-node", "1", "0x00000001"],
  ["number", "cluster", "--cluster-hash-seed", "10", "0x0000000a"],
  ["number", "TOS", "--and-tos", "0x10", "0x00/0xef"],
  ["number", "TOS", "--or-tos", "0x10", "0x10/0x10"],
  ["number", "TOS", "--xor-tos", "0x10", "0x10/0x00"],
  ["number", "ttl", "--ttl-gt", "255", "255"],
  ["number", "ttl", "--ttl-gt", "256", null],
  ["number", "tcp", "--tcp-option", "0", null],
  ["number", "recent", "--seconds", "4294967295", "-1"],
  ["number", "SYNPROXY", "--mss", "65536", { canonical: "0", warning: true }],
  ["number", "hashlimit", "--hashlimit-htable-size", "1048577", { canonical: "1048576", warning: true }],
  ["number", "TCPMSS", "--set-mss", "65515", "65515"],
  ["number", "TCPMSS", "--set-mss", "65496", null, "ipv6"],
  ["number", "HMARK", "--hmark-sport-mask", "0x10", "0x0010"],
  ["number", "IDLETIMER", "--timeout", "2147483", null],
  ["number", "NFLOG", "--nflog-group", "0", { canonical: "0", omitted: true }],
  ["number-range", "length", "--length", "10:", "10:65535"],
  ["number-range", "length", "--length", "20:10", { canonical: "20:10", warning: true }],
  ["number-range", "conntrack", "--ctexpire", "5:5", "5"],
  ["number-range", "esp", "--espspi", "0:4294967295", { canonical: "0:4294967295", omitted: true }],
  ["number-range", "NFQUEUE", "--queue-balance", "0:3", "0:3"],
  ["number-range", "NFQUEUE", "--queue-balance", "1:1", null],
  ["number-range", "NFQUEUE", "--queue-balance", "3:1", null],
  ["number-range", "NFQUEUE", "--queue-balance", "0:65535", null],
  ["number-range", "tcpmss", "--mss", "1500:1000", null],
  ["number64", "quota", "--quota", "18446744073709551615", "18446744073709551615"],
  ["number64", "quota", "--quota", "18446744073709551616", null],
  ["number64-range", "connbytes", "--connbytes", "10:", "10"],
  ["number64-range", "connbytes", "--connbytes", ":10", "0:10"],
  ["number64-range", "connbytes", "--connbytes", "10000:100000", "10000:100000"],
  ["rate", "limit", "--limit", "5/minute", "5/min"],
  ["rate", "limit", "--limit", "24/day", "1/hour"],
  ["rate", "limit", "--limit", "60/minute", "1/sec"],
  ["rate", "limit", "--limit", "5", "5/sec"],
  ["rate", "limit", "--limit", "5/se", "5/sec"],
  ["rate", "limit", "--limit", "5/Second", "5/sec"],
  ["rate", "limit", "--limit", "7/day", "7/day"],
  ["rate", "limit", "--limit", "10000/s", "10000/sec"],
  ["rate", "limit", "--limit", "10001/s", null],
  ["rate", "limit", "--limit", "0/s", null],
  ["rate", "limit", "--limit", "5/seconds", null],
  ["rate", "limit", "--limit", "5/fortnight", null],
  ["enum", "connbytes", "--connbytes-dir", "both", "both"],
  ["enum", "conntrack", "--ctdir", "original", "ORIGINAL"],
  ["enum", "policy", "--dir", "IN", null],
  ["enum", "pkttype", "--pkt-type", "host", "unicast"],
  ["enum", "pkttype", "--pkt-type", "bcast", "broadcast"],
  ["enum", "pkttype", "--pkt-type", "BROADCAST", "broadcast"],
  ["enum", "AUDIT", "--type", "DROP", "drop"],
  ["enum", "string", "--algo", "fsm", null],
  ["enum-list", "addrtype", "--src-type", "LOCAL,UNICAST", "UNICAST,LOCAL"],
  ["enum-list", "addrtype", "--dst-type", "local", "LOCAL"],
  ["enum-list", "addrtype", "--dst-type", "BROADCAST", null, "ipv6"],
  ["enum-list", "dccp", "--dccp-types", "SYNC,REQUEST,INVALID", "REQUEST,SYNC,INVALID"],
  ["enum-list", "CT", "--ctevents", "assured,new", "new,assured"],
  ["enum-list", "hashlimit", "--hashlimit-mode", "none", null],
  ["enum-list", "HMARK", "--hmark-tuple", "sport,spi", null],
  ["string", "comment", "--comment", "", ""],
  ["string", "comment", "--comment", "c".repeat(256), { canonical: "c".repeat(255), warning: true }],
  ["string", "LOG", "--log-prefix", "p".repeat(30), { canonical: "p".repeat(29), warning: true }],
  ["string", "LOG", "--log-prefix", "", null],
  ["string", "string", "--string", "s".repeat(128), "s".repeat(128)],
  ["string", "string", "--string", "s".repeat(129), null],
  ["string", "helper", "--helper", "h".repeat(31), { canonical: "h".repeat(29), warning: true }],
  ["hex-string", "string", "--hex-string", "|0D 0A|", "|0d0a|"],
  ["hex-string", "string", "--hex-string", "|03|www|09|netfilter|03|org|00|", "|03777777096e657466696c746572036f726700|"],
  ["hex-string", "string", "--hex-string", "abc", { canonical: "abc", savedAs: "--string" }],
  ["hex-string", "string", "--hex-string", "a|41|b", { canonical: "aAb", savedAs: "--string" }],
  ["hex-string", "string", "--hex-string", "|0D0|", null],
  ["hex-string", "string", "--hex-string", "|zz|", null],
  ["mac", "mac", "--mac-source", "00:11:22:AA:bb:Cc", "00:11:22:aa:bb:cc"],
  ["mac", "mac", "--mac-source", "0:1:2:3:4:5", "00:01:02:03:04:05"],
  ["mac", "mac", "--mac-source", "00-11-22-33-44-55", null],
  ["time", "time", "--timestart", "6:3", "06:03:00"],
  ["time", "time", "--timestart", "12:30", "12:30:00"],
  ["time", "time", "--timestart", "24:00", null],
  ["time", "time", "--timestart", "23:60", null],
  ["time", "time", "--timestop", "23:59:59", { canonical: "23:59:59", omitted: true }],
  ["datetime", "time", "--datestart", "2007", "2007-01-01T00:00:00"],
  ["datetime", "time", "--datestart", "2007-01-01T17:00", "2007-01-01T17:00:00"],
  ["datetime", "time", "--datestart", "2039-01-01", null],
  ["datetime", "time", "--datestart", "1969-01-01", null],
  ["weekdays", "time", "--weekdays", "Sa,Su", "Sat,Sun"],
  ["weekdays", "time", "--weekdays", "1,7,3", "Mon,Wed,Sun"],
  ["weekdays", "time", "--weekdays", "Mon,Tue,Wed,Thu,Fri,Sat,Sun", { canonical: "Mon,Tue,Wed,Thu,Fri,Sat,Sun", omitted: true }],
  ["weekdays", "time", "--weekdays", "mon", null],
  ["weekdays", "time", "--weekdays", "monday", null],
  ["monthdays", "time", "--monthdays", "31,1", "1,31"],
  ["monthdays", "time", "--monthdays", "32", null],
  ["user", "owner", "--uid-owner", "root", "0"],
  ["user", "owner", "--uid-owner", "1000-2000", "1000-2000"],
  ["user", "owner", "--uid-owner", "4294967294", "4294967294"],
  ["user", "owner", "--uid-owner", "4294967295", null],
  ["user", "owner", "--uid-owner", "2000-1000", null],
  ["group", "owner", "--gid-owner", "10-20", "10-20"],
  ["set-name", "set", "--match-set", "x".repeat(31), "x".repeat(31)],
  ["set-name", "set", "--match-set", "x".repeat(32), null],
  ["set-flags", "SET", "--add-set", "src,dst", "src,dst"],
  ["set-flags", "SET", "--add-set", "src,dst,src,dst,src,dst,src", null],
  ["set-flags", "SET", "--add-set", "foo", null],
  ["dscp-class", "dscp", "--dscp-class", "AF41", "0x22"],
  ["dscp-class", "dscp", "--dscp-class", "ef", "0x2e"],
  ["dscp-class", "dscp", "--dscp-class", "BE", "0x00"],
  ["dscp-class", "DSCP", "--set-dscp-class", "af11", "0x0a"],
  ["dscp-class", "dscp", "--dscp-class", "CS8", null],
  ["tos", "tos", "--tos", "0x10", "0x10/0xff"],
  ["tos", "tos", "--tos", "Minimize-Delay", "0x10/0x3f"],
  ["tos", "tos", "--tos", "minimize-delay", "0x10/0x3f"],
  ["tos", "tos", "--tos", "16", "0x10/0xff"],
  ["tos", "TOS", "--set-tos", "Maximize-Throughput", "0x08/0x3f"],
  ["tos", "tos", "--tos", "256", null],
  ["u32-expr", "u32", "--u32", "0>>22&0x3C@12>>26&0x3C@8=1,2,5,8", "0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x8=0x1,0x2,0x5,0x8"],
  ["u32-expr", "u32", "--u32", "6 & 0xFF = 6 && 4 & 0x3FFF = 0", "0x6&0xff=0x6&&0x4&0x3fff=0x0"],
  ["u32-expr", "u32", "--u32", "0=1:2", "0x0=0x1:0x2"],
  ["u32-expr", "u32", "--u32", "0=", null],
  ["u32-expr", "u32", "--u32", "foo", null],
  ["bpf-bytecode", "bpf", "--bytecode", "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0", "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"],
  ["bpf-bytecode", "bpf", "--bytecode", "2,6 0 0 1", null],
  ["path", "cgroup", "--path", "/", "/"],
  ["path", "cgroup", "--path", "", null],
  ["host", "TEE", "--gateway", "localhost", "127.0.0.1"],
  ["host", "TEE", "--gateway", "1.2.3.4", "1.2.3.4"],
  ["host", "TEE", "--gateway", "1.2.3.4/24", null],
  ["host", "TEE", "--gateway", "0.0.0.0", null],
  ["host", "TEE", "--gateway", "::", null, "ipv6"],
  ["host-list", "rt", "--rt-0-addrs", "::1,FE80::1", "::1,fe80::1", "ipv6"],
  ["prefix", "DNPT", "--src-pfx", "fd00::/64", "fd00::/64", "ipv6"],
  ["prefix", "DNPT", "--src-pfx", "2001:db8::1", null, "ipv6"],
  ["probability", "statistic", "--probability", "0.5", "0.50000000000"],
  ["probability", "statistic", "--probability", "0.1", "0.10000000009"],
  ["probability", "statistic", "--probability", "1", "1.00000000000"],
  ["probability", "statistic", "--probability", "1.5", null],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "10", "10/sec"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "10/minute", "10/min"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "3/h", "3/hour"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "24/day", "1/hour"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "60/min", "1/sec"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "1024b/s", "1kb/s"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "2048kb/s", "2mb/s"],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "1000001/sec", null],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "0/sec", null],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "3/day", null],
  ["hashlimit-rate", "hashlimit", "--hashlimit-upto", "4/day", "4/day"],
  ["hashlimit-burst", "hashlimit", "--hashlimit-burst", "10kb", { canonical: "10240", warning: true }],
  ["hashlimit-burst", "hashlimit", "--hashlimit-burst", "1mb", "1mb"],
  ["hashlimit-burst", "hashlimit", "--hashlimit-burst", "0", null],
  ["bandwidth", "rateest", "--rateest-bps", "1mbit", "1000Kbit"],
  ["bandwidth", "rateest", "--rateest-bps1", "2.5mbit", "2500Kbit"],
  ["bandwidth", "rateest", "--rateest-bps", "100kbps", "800000bit"],
  ["bandwidth", "rateest", "--rateest-bps", "1000", "1000bit"],
  ["bandwidth", "rateest", "--rateest-bps", "12345bps", "98760bit"],
  ["duration", "RATEEST", "--rateest-interval", "250ms", "250.0ms"],
  ["duration", "RATEEST", "--rateest-interval", "250000us", "250.0ms"],
  ["duration", "RATEEST", "--rateest-ewmalog", "0.5s", "500.0ms"],
  ["log-level", "LOG", "--log-level", "warning", { canonical: "4", omitted: true }],
  ["log-level", "LOG", "--log-level", "debug", "7"],
  ["log-level", "LOG", "--log-level", "panic", "0"],
  ["log-level", "LOG", "--log-level", "0x7", "7"],
  ["log-level", "LOG", "--log-level", "err", null],
  ["log-level", "LOG", "--log-level", "warn", null],
  ["log-level", "LOG", "--log-level", "8", null],
  ["log-level", "LOG", "--log-level", "010", null],
  ["log-level", "LOG", "--log-level", "ERROR", null],
  ["class-id", "CLASSIFY", "--set-class", "1:10", "0001:0010"],
  ["class-id", "CLASSIFY", "--set-class", "0x1:0x10", "0001:0010"],
  ["class-id", "CLASSIFY", "--set-class", "10000:1", { canonical: "0000:0001", warning: true }],
  ["class-id", "CLASSIFY", "--set-class", "1", null],
  ["ct-zone", "CT", "--zone", "65535", "65535"],
  ["ct-zone", "CT", "--zone", "mark", "mark"],
  ["ct-zone", "CT", "--zone", "65536", null],
  ["named-mark", "realm", "--realm", "1", "0x1"],
  ["named-mark", "realm", "--realm", "0", "cosmos"],
  ["named-mark", "realm", "--realm", "0x10/0xff", "0x10/0xff"],
  ["named-mark", "devgroup", "--src-group", "0", "default"],
  ["named-mark", "devgroup", "--src-group", "0x5/0xff", "0x5/0xff"],
  ["connlabel", "connlabel", "--label", "127", "127"],
  ["connlabel", "connlabel", "--label", "128", null],
  ["led-delay", "LED", "--led-delay", "inf", "inf"],
  ["led-delay", "LED", "--led-delay", "x", null],
  ["mh-type", "mh", "--mh-type", "binding-update", "5", "ipv6"],
  ["mh-type", "mh", "--mh-type", "Binding-Update", "5", "ipv6"],
  ["mh-type", "mh", "--mh-type", "binding-upd", "5", "ipv6"],
  ["mh-type", "mh", "--mh-type", "bu:ba", "5:6", "ipv6"],
  ["mh-type", "mh", "--mh-type", "0:255", { canonical: "0:255", omitted: true }, "ipv6"],
  ["mh-type", "mh", "--mh-type", "5:2", null, "ipv6"],
  ["sctp-chunk-list", "sctp", "--chunk-types", "DATA:Be,ABORT:T", "DATA:Be,ABORT:T"],
  ["sctp-chunk-list", "sctp", "--chunk-types", "data", "DATA"],
  ["sctp-chunk-list", "sctp", "--chunk-types", "INIT,DATA", "DATA,INIT"],
  ["sctp-chunk-list", "sctp", "--chunk-types", "ASCONF,RE_CONFIG,PAD,ASCONF_ACK", "ASCONF_ACK,RE_CONFIG,PAD,ASCONF"],
  ["sctp-chunk-list", "sctp", "--chunk-types", "INIT:B", null],
  ["ipv6-option-list", "hbh", "--hbh-opts", "1:2,5", "1:2,5", "ipv6"],
  ["ipv6-option-list", "dst", "--dst-opts", "256", null, "ipv6"],
  ["ipv6-header-list", "ipv6header", "--header", "hop,dst,route,frag,auth,esp,none,prot", "hop-by-hop,ipv6-opts,ipv6-route,ipv6-frag,ah,esp,ipv6-nonxt,protocol", "ipv6"],
  ["ipv6-header-list", "ipv6header", "--header", "60,43", "ipv6-opts,ipv6-route", "ipv6"],
  ["ipv6-header-list", "ipv6header", "--header", "ipv6-opts,ah,ipv6-nonxt,hopopt", "hop-by-hop,ipv6-opts,ah,ipv6-nonxt", "ipv6"],
  ["ipv6-header-list", "ipv6header", "--header", "tcp", null, "ipv6"],
  ["ipv6-header-list", "ipv6header", "--header", "HOP", null, "ipv6"],
  ["tcp-option-list", "TCPOPTSTRIP", "--strip-options", "wscale,mss,sack-permitted,sack,timestamp,md5", "2,3,4,5,8,19"],
  ["tcp-option-list", "TCPOPTSTRIP", "--strip-options", "256", null],
  ["reject-type", "REJECT", "--reject-with", "net-unreach", "icmp-net-unreachable"],
  ["reject-type", "REJECT", "--reject-with", "TCP-RESET", "tcp-reset"],
  ["reject-type", "REJECT", "--reject-with", "tcp-rst", "tcp-reset"],
  ["reject-type", "REJECT", "--reject-with", "net-unreachable", null],
  ["reject-type", "REJECT", "--reject-with", "icmp-h", { canonical: "icmp-host-unreachable", warning: true }],
  ["reject-type", "REJECT", "--reject-with", "host", { canonical: "icmp-host-unreachable", warning: true }],
  ["reject-type", "REJECT", "--reject-with", "t", { canonical: "tcp-reset", warning: true }],
  ["reject-type", "REJECT", "--reject-with", "adm", { canonical: "icmp6-adm-prohibited", warning: true }, "ipv6"],
  ["reject-type", "REJECT", "--reject-with", "icmpv6-no-route", null, "ipv6"],
  ["reject-type", "REJECT", "--reject-with", "icmp6-adm-prohibited", { error: /unknown reject type 'icmp6-adm-prohibited' for IPv4.*valid: icmp-net-unreachable/ }],
  ["reject-type", "REJECT", "--reject-with", "adm-prohibited", "icmp6-adm-prohibited", "ipv6"],
  ["reject-type", "REJECT", "--reject-with", "no-route", "icmp6-no-route", "ipv6"],
  ["reject-type", "REJECT", "--reject-with", "tcp-rst", null, "ipv6"],
  ["reject-type", "REJECT", "--reject-with", "admin-prohibited", null, "ipv6"],
  ["chain", "", "-s", "DOCKER-USER", "DOCKER-USER"],
  ["chain", "", "-s", "", null],
  ["chain", "", "-s", "c".repeat(29), null],
  ["raw", "", "-s", "anything at all", "anything at all"],
];

describe("checkValue", () => {
  it("handles every ValueKind (exhaustive switch)", () => {
    const opt: OptionSpec = { name: "--x", args: 1, kinds: ["raw"], negatable: false, values: ["a"] };
    for (const kind of ALL_KINDS) {
      const r = checkValue(kind, "1", { family: "ipv4", option: opt });
      if (!r.ok) expect(r.message, kind).not.toMatch(/unhandled/);
    }
  });

  it("has examples for every kind", () => {
    const covered = new Set(ROWS.map((r) => r[0]));
    expect(ALL_KINDS.filter((k) => !covered.has(k))).toEqual([]);
  });

  it.each(ROWS.map((r) => [`${r[5] ?? "ipv4"} ${r[1] || "core"} ${r[2]} ${JSON.stringify(r[3]).slice(0, 60)}`, r] as const))("%s", (_, row) => {
    const [kind, ext, opt, input, expected, family = "ipv4"] = row;
    const ctx = { family, ...option(ext, opt, family) };
    const r = checkValue(kind, input, ctx);
    if (expected === null) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message.length).toBeGreaterThan(8);
      return;
    }
    if (typeof expected === "object" && "error" in expected) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(expected.error);
      return;
    }
    expect(r.ok, r.ok ? "" : r.message).toBe(true);
    if (!r.ok) return;
    const want = typeof expected === "string" ? { canonical: expected } : expected;
    expect(r.canonical).toBe(want.canonical);
    expect(Boolean(r.omitted)).toBe(Boolean(want.omitted));
    expect(Boolean(r.warning)).toBe(Boolean(want.warning));
    expect(r.savedAs).toBe(want.savedAs);
  });
});

describe("stringSurelyFits", () => {
  const limited: OptionSpec = { name: "--log-prefix", args: 1, kinds: ["string"], negatable: false, maxLength: 29, truncates: true };
  const atLeastOne: OptionSpec = { name: "--x", args: 1, kinds: ["string"], negatable: false };
  it("says yes only where checkValue takes the string as written, without a warning", () => {
    const texts = ["", "a", "é", "日本", "x".repeat(9), "é".repeat(9), "日".repeat(9), "日".repeat(10), "x".repeat(29), "x".repeat(30), "😀".repeat(4), "😀".repeat(8)];
    let yes = 0;
    for (const option of [limited, atLeastOne]) {
      for (const text of texts) {
        if (!stringSurelyFits(text, option)) continue;
        yes++;
        const r = checkValue("string", text, { family: "ipv4", option });
        expect(r.ok && r.canonical === text && !r.warning, `${option.name} ${text}`).toBe(true);
      }
    }
    expect(yes).toBeGreaterThan(8);
    // the length alone cannot tell: 10 three-byte characters are 30 bytes, 10 ASCII ones are 10
    expect(stringSurelyFits("日".repeat(10), limited)).toBe(false);
    expect(stringSurelyFits("x".repeat(10), limited)).toBe(false);
    expect(stringSurelyFits("", atLeastOne)).toBe(false);
  });
});

describe("parsing helpers", () => {
  it.each<[string, number | null]>([
    ["10.1.2.3", 0x0a010203],
    ["10.1", 0x0a010000],
    ["010.0.0.1", 0x08000001],
    ["4294967295", 0xffffffff],
    ["255.255.255.255", 0xffffffff],
    ["0.0.0.0", 0],
    ["0x0a.0.0.1", 0x0a000001],
    ["1.2.3.4.5", null],
    ["1..2", null],
    ["1.2.3.09", null],
    ["256.0.0.1", null],
    ["1.2.3.4.", null],
    ["1.2.3.1000", null],
    ["", null],
  ])("parses IPv4 like iptables: %s", (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });
  it("reads masks as prefix lengths, and says when one is not contiguous", () => {
    expect(parseCidr("10.1.2.3/255.255.0.0", "ipv4")).toEqual({ address: 0x0a010000n, prefix: 16, mask: 0xffff0000n });
    expect(parseCidr("10.1.2.3/24", "ipv4")?.prefix).toBe(24);
    expect(parseCidr("10.1.2.3", "ipv4")?.prefix).toBe(32);
    expect(parseCidr("10.1.2.3/0", "ipv4")).toEqual({ address: 0n, prefix: 0, mask: 0n });
    expect(parseCidr("10.0.0.0/255.0.255.0", "ipv4")?.prefix).toBe(-1);
    expect(parseCidr("2001:db8::1/64", "ipv6")?.prefix).toBe(64);
    expect(parseCidr("10.1.2.3/33", "ipv4")).toBeNull();
  });
  it("parses and prints IPv6 like inet_pton/inet_ntop", () => {
    const cases: [string, string][] = [
      ["::", "::"],
      ["::1", "::1"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
      ["2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"],
      ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
      ["fe80::1:0:0:1", "fe80::1:0:0:1"],
      ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ];
    for (const [input, out] of cases) expect(formatIPv6(parseIPv6(input)!), input).toBe(out);
    for (const bad of ["1::2::3", "12345::", ":1", "1.2.3.4", "::g"]) expect(parseIPv6(bad), bad).toBeNull();
  });
  it("parses CIDR with prefixes and masks", () => {
    expect(parseCidr("10.1.2.3/24", "ipv4")).toEqual({ address: 0x0a010200n, prefix: 24, mask: 0xffffff00n });
    expect(parseCidr("10.0.0.0/255.0.255.0", "ipv4")?.prefix).toBe(-1);
    expect(parseCidr("2001:db8::1/32", "ipv6")?.address).toBe(parseIPv6("2001:db8::"));
    expect(parseCidr("10.0.0.0/33", "ipv4")).toBeNull();
  });
  it("parses port ranges and services", () => {
    expect(parsePortRange("1000:")).toEqual({ from: 1000, to: 65535 });
    expect(parsePortRange(":22")).toEqual({ from: 0, to: 22 });
    expect(parsePortRange("ssh", "tcp")).toEqual({ from: 22, to: 22 });
    expect(parsePortRange("ntp", "tcp")).toBeNull();
    expect(parsePortRange("70000")).toBeNull();
    expect(servicePort("domain", "udp")).toBe(53);
    expect(servicePort("nosuch")).toBeUndefined();
  });
  it("has the ICMP tables of iptables -p icmp -h", () => {
    expect(ICMP_TYPES["echo-request"]).toEqual({ type: 8, codes: [0, 255] });
    expect(ICMP_TYPES["port-unreachable"]).toEqual({ type: 3, codes: [3, 3] });
    expect(Object.keys(ICMP_TYPES)).toHaveLength(40);
    expect(ICMPV6_TYPES["neighbor-solicitation"]).toEqual({ type: 135, codes: [0, 255] });
    expect(Object.keys(ICMPV6_TYPES)).toHaveLength(28);
    expect(CT_STATES).toEqual(["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"]);
  });
});

describe("all entries", () => {
  it("are reachable through allMatches/allTargets", () => {
    expect(allMatches().length).toBe(MATCHES.length);
    expect(allTargets().length).toBe(TARGETS.length);
  });
});
