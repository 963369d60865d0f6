import type { ExtensionSpec } from "./types.js";

/** Target extensions (`-j NAME`), in alphabetical order. Source: man iptables-extensions (iptables 1.8.9). */
export const TARGETS: readonly ExtensionSpec[] = [
  {
    name: "DNAT",
    type: "target",
    families: ["ipv4", "ipv6"],
    tables: ["nat"],
    hooks: ["PREROUTING", "OUTPUT"],
    verdict: "terminal",
    description: "Rewrite the destination address (and port) of a new connection",
    options: [
      { name: "--to-destination", args: 1, kinds: ["nat-range"], negatable: false, required: true },
      { name: "--random", args: 0, negatable: false },
      { name: "--persistent", args: 0, negatable: false },
    ],
  },
  {
    name: "LOG",
    type: "target",
    families: ["ipv4", "ipv6"],
    verdict: "continue",
    description: "Log matching packets to the kernel log",
    options: [
      { name: "--log-level", args: 1, kinds: ["enum"], values: ["0", "1", "2", "3", "4", "5", "6", "7", "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"], negatable: false },
      { name: "--log-prefix", args: 1, kinds: ["string"], maxLength: 29, negatable: false },
      { name: "--log-tcp-sequence", args: 0, negatable: false },
      { name: "--log-tcp-options", args: 0, negatable: false },
      { name: "--log-ip-options", args: 0, negatable: false },
      { name: "--log-uid", args: 0, negatable: false },
    ],
  },
  {
    name: "MASQUERADE",
    type: "target",
    families: ["ipv4", "ipv6"],
    tables: ["nat"],
    hooks: ["POSTROUTING"],
    verdict: "terminal",
    description: "Source NAT to the address of the outgoing interface",
    options: [
      { name: "--to-ports", args: 1, kinds: ["port-range-dash"], negatable: false },
      { name: "--random", args: 0, negatable: false },
      { name: "--random-fully", args: 0, negatable: false },
    ],
  },
  {
    name: "REJECT",
    type: "target",
    families: ["ipv4", "ipv6"],
    tables: ["filter", "mangle", "raw"],
    hooks: ["INPUT", "FORWARD", "OUTPUT"],
    verdict: "terminal",
    description: "Drop the packet and send an error reply",
    options: [{ name: "--reject-with", args: 1, kinds: ["enum"], values: ["icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable", "icmp-proto-unreachable", "icmp-net-prohibited", "icmp-host-prohibited", "icmp-admin-prohibited", "tcp-reset"], negatable: false }],
  },
  {
    name: "SNAT",
    type: "target",
    families: ["ipv4", "ipv6"],
    tables: ["nat"],
    hooks: ["POSTROUTING", "INPUT"],
    verdict: "terminal",
    description: "Rewrite the source address (and port) of a new connection",
    options: [
      { name: "--to-source", args: 1, kinds: ["nat-range"], negatable: false, required: true },
      { name: "--random", args: 0, negatable: false },
      { name: "--random-fully", args: 0, negatable: false },
      { name: "--persistent", args: 0, negatable: false },
    ],
  },
];
