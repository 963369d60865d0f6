import type { OptionSpec } from "./types.js";

/**
 * Options of iptables itself (not of an extension) that may appear in a rule specification.
 * `-j`, `-g` and `-m` are handled by the reader directly but are listed so aliases resolve in one place.
 */
export const CORE_RULE_OPTIONS: readonly OptionSpec[] = [
  { name: "-s", aliases: ["--source", "--src"], args: 1, kinds: ["address-list"], negatable: true, description: "source address[/mask][,...]" },
  { name: "-d", aliases: ["--destination", "--dst"], args: 1, kinds: ["address-list"], negatable: true, description: "destination address[/mask][,...]" },
  { name: "-i", aliases: ["--in-interface"], args: 1, kinds: ["interface"], negatable: true, description: "input interface name (+ wildcard)" },
  { name: "-o", aliases: ["--out-interface"], args: 1, kinds: ["interface"], negatable: true, description: "output interface name (+ wildcard)" },
  { name: "-p", aliases: ["--protocol"], args: 1, kinds: ["protocol"], negatable: true, description: "protocol by number or name" },
  { name: "-f", aliases: ["--fragment"], args: 0, negatable: true, families: ["ipv4"], description: "second and further IPv4 fragments only" },
  { name: "-c", aliases: ["--set-counters"], args: 2, kinds: ["number", "number"], negatable: false, min: 0, description: "initialise the packet and byte counters" },
];

export const CORE_JUMP = { name: "-j", aliases: ["--jump"] } as const;
export const CORE_GOTO = { name: "-g", aliases: ["--goto"] } as const;
export const CORE_MATCH = { name: "-m", aliases: ["--match"] } as const;

/** Verdicts built into iptables (not extensions). */
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
 * Protocol names iptables knows without /etc/protocols (xtables_chain_protos) plus the common ones from
 * /etc/protocols, mapped to their numbers. iptables-save prints the name for these numbers.
 */
export const PROTOCOLS: Readonly<Record<string, number>> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6: 41,
  "ipv6-route": 43,
  "ipv6-frag": 44,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  "ipv6-icmp": 58,
  icmpv6: 58,
  icmp6: 58,
  "ipv6-nonxt": 59,
  "ipv6-opts": 60,
  ospf: 89,
  ipip: 94,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  "mobility-header": 135,
  mh: 135,
  "ipv6-mh": 135,
  udplite: 136,
  dccp: 33,
};
