import type { OptionSpec } from "./types.js";

/**
 * Options of iptables itself (not of an extension) that may appear in a rule specification.
 * `-j`, `-g` and `-m` are handled by the reader directly but are listed so aliases resolve in one place.
 */
export const CORE_RULE_OPTIONS: readonly OptionSpec[] = [
  { name: "-s", aliases: ["--source", "--src"], args: 1, kinds: ["address-list"], negatable: true, description: "source address[/mask][,...]" },
  { name: "-d", aliases: ["--destination", "--dst"], args: 1, kinds: ["address-list"], negatable: true, description: "destination address[/mask][,...]" },
  { name: "-i", aliases: ["--in-interface"], args: 1, kinds: ["interface"], negatable: true, hooks: ["PREROUTING", "INPUT", "FORWARD"], description: "input interface name (+ wildcard); not in OUTPUT/POSTROUTING" },
  { name: "-o", aliases: ["--out-interface"], args: 1, kinds: ["interface"], negatable: true, hooks: ["FORWARD", "OUTPUT", "POSTROUTING"], description: "output interface name (+ wildcard); not in PREROUTING/INPUT" },
  { name: "-p", aliases: ["--protocol"], args: 1, kinds: ["protocol"], negatable: true, description: "protocol by number or name" },
  { name: "-f", aliases: ["--fragment"], args: 0, negatable: true, families: ["ipv4"], description: "second and further IPv4 fragments only" },
  { name: "-c", aliases: ["--set-counters"], args: 2, kinds: ["number64", "number64"], negatable: false, save: "never", description: "initialise the packet and byte counters (iptables-save prints them only with -c, as [p:b])" },
  { name: "-4", aliases: ["--ipv4"], args: 0, negatable: false, save: "never", description: "rule is for IPv4 only; ip6tables-restore skips the line" },
  { name: "-6", aliases: ["--ipv6"], args: 0, negatable: false, save: "never", description: "rule is for IPv6 only; iptables-restore skips the line" },
];

export const CORE_JUMP = { name: "-j", aliases: ["--jump"] } as const;
export const CORE_GOTO = { name: "-g", aliases: ["--goto"] } as const;
export const CORE_MATCH = { name: "-m", aliases: ["--match"] } as const;

/** Verdicts built into iptables (not extensions). QUEUE needs the legacy ip_queue path: iptables-nft on current kernels refuses it. */
export const BUILTIN_TARGETS = ["ACCEPT", "DROP", "RETURN", "QUEUE"] as const;

/** Built-in chains of each table. */
export const BUILTIN_CHAINS = {
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  raw: ["PREROUTING", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
} as const;

export const TABLE_NAMES = ["filter", "nat", "mangle", "raw", "security"] as const;

/**
 * `-p` spellings iptables 1.8.9 accepts, lower-cased (iptables lower-cases the word before looking it up), mapped
 * to protocol numbers. Sources: the names of Debian's /etc/protocols (netbase), which iptables reads through
 * getprotobyname(); the upper-case aliases there only work when they lower-case to the name (TCP, IPv6-ICMP),
 * so IP-ENCAP, IPSEC-ESP, IPSEC-AH, CPHB and OSPFIGP are refused; plus iptables' built-in fallback list (xtables_chain_protos: icmpv6, ipv6-mh, mh,
 * all). Numbers 0-255 (decimal, 0x hex or 0 octal) are accepted too; "icmp6" is NOT a protocol name (it is only
 * the name of the icmp6 match). A host with another /etc/protocols may accept other names.
 */
export const PROTOCOLS: Readonly<Record<string, number>> = {
  ip: 0,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ggp: 3,
  ipencap: 4,
  st: 5,
  tcp: 6,
  egp: 8,
  igp: 9,
  pup: 12,
  udp: 17,
  hmp: 20,
  "xns-idp": 22,
  rdp: 27,
  "iso-tp4": 29,
  dccp: 33,
  xtp: 36,
  ddp: 37,
  "idpr-cmtp": 38,
  ipv6: 41,
  "ipv6-route": 43,
  "ipv6-frag": 44,
  idrp: 45,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  skip: 57,
  "ipv6-icmp": 58,
  "ipv6-nonxt": 59,
  "ipv6-opts": 60,
  rspf: 73,
  vmtp: 81,
  eigrp: 88,
  ospf: 89,
  "ax.25": 93,
  ipip: 94,
  etherip: 97,
  encap: 98,
  pim: 103,
  ipcomp: 108,
  vrrp: 112,
  l2tp: 115,
  isis: 124,
  sctp: 132,
  fc: 133,
  "mobility-header": 135,
  udplite: 136,
  "mpls-in-ip": 137,
  manet: 138,
  hip: 139,
  shim6: 140,
  wesp: 141,
  rohc: 142,
  ethernet: 143,
  // iptables' built-in fallback names (used when /etc/protocols lacks them)
  all: 0,
  icmpv6: 58,
  "ipv6-mh": 135,
  mh: 135,
  // Not listed: mptcp (262 in /etc/protocols). iptables-nft keeps the low 8 bits and loads it as tcp,
  // iptables-legacy stores 262, which no packet has. checkValue accepts it with a warning.
};

/**
 * The name iptables-save prints after `-p` for each protocol number: getprotobynumber()'s first name from
 * /etc/protocols (Debian netbase), checked on iptables-save 1.8.9. Numbers missing here are printed as numbers;
 * 0 (all) is not printed at all. Without /etc/protocols iptables falls back to its built-in names
 * (58 → icmpv6, 135 → ipv6-mh); see PROTOCOL_FALLBACK_SAVE_NAMES.
 */
export const PROTOCOL_SAVE_NAMES: Readonly<Record<number, string>> = {
  1: "icmp",
  2: "igmp",
  3: "ggp",
  4: "ipencap",
  5: "st",
  6: "tcp",
  8: "egp",
  9: "igp",
  12: "pup",
  17: "udp",
  20: "hmp",
  22: "xns-idp",
  27: "rdp",
  29: "iso-tp4",
  33: "dccp",
  36: "xtp",
  37: "ddp",
  38: "idpr-cmtp",
  41: "ipv6",
  43: "ipv6-route",
  44: "ipv6-frag",
  45: "idrp",
  46: "rsvp",
  47: "gre",
  50: "esp",
  51: "ah",
  57: "skip",
  58: "ipv6-icmp",
  59: "ipv6-nonxt",
  60: "ipv6-opts",
  73: "rspf",
  81: "vmtp",
  88: "eigrp",
  89: "ospf",
  93: "ax.25",
  94: "ipip",
  97: "etherip",
  98: "encap",
  103: "pim",
  108: "ipcomp",
  112: "vrrp",
  115: "l2tp",
  124: "isis",
  132: "sctp",
  133: "fc",
  135: "mobility-header",
  136: "udplite",
  137: "mpls-in-ip",
  138: "manet",
  139: "hip",
  140: "shim6",
  141: "wesp",
  142: "rohc",
  143: "ethernet",
};

/** What iptables-save prints when the host has no /etc/protocols entry (iptables' built-in list). */
export const PROTOCOL_FALLBACK_SAVE_NAMES: Readonly<Record<number, string>> = {
  1: "icmp",
  6: "tcp",
  17: "udp",
  50: "esp",
  51: "ah",
  58: "icmpv6",
  132: "sctp",
  135: "ipv6-mh",
  136: "udplite",
};
