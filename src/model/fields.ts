/**
 * Packet fields the model reads. A field holds either a constant or a variable (a slot of a cube of sets);
 * see sym.ts. Addresses are numbers (IPv4) or bigints (IPv6); interfaces are interface-class indices
 * (ifaces.ts); everything else is a small integer.
 */
import type { Family } from "../ast/iptables.js";
import { IPV4, IPV6, numberDomain, PORTS, PROTOCOLS, U32, type Domain, type Scalar } from "./sets.js";

export const F = {
  SRC: 0,
  DST: 1,
  PROTO: 2,
  SPORT: 3,
  DPORT: 4,
  /** ICMP type × 256 + code. */
  ICMP: 5,
  /** TCP flags FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32. */
  FLAGS: 6,
  IIF: 7,
  OIF: 8,
  /** Conntrack state (ST below). */
  STATE: 9,
  /** 0 ORIGINAL, 1 REPLY. */
  CTDIR: 10,
  CTORIGSRC: 11,
  CTORIGDST: 12,
  CTREPLSRC: 13,
  CTREPLDST: 14,
  CTORIGSRCPORT: 15,
  CTORIGDSTPORT: 16,
  CTREPLSRCPORT: 17,
  CTREPLDSTPORT: 18,
  MARK: 19,
  CONNMARK: 20,
  /** 1 for second and further IPv4 fragments. */
  FRAG: 21,
  /** Bit 1: the connection is source-NATed, bit 2: destination-NATed (ctstate SNAT/DNAT). */
  NATTED: 22,
} as const;

export const FIELD_COUNT = 23;

/**
 * The conntrack tuple of a new connection, as pairs [conntrack field, packet field]: the original direction is
 * the packet itself, the reply direction its reverse (until NAT rewrites it).
 */
export const NEW_CONNECTION_TERMS: readonly (readonly [number, number])[] = [
  [F.CTORIGSRC, F.SRC],
  [F.CTORIGDST, F.DST],
  [F.CTORIGSRCPORT, F.SPORT],
  [F.CTORIGDSTPORT, F.DPORT],
  [F.CTREPLSRC, F.DST],
  [F.CTREPLDST, F.SRC],
  [F.CTREPLSRCPORT, F.DPORT],
  [F.CTREPLDSTPORT, F.SPORT],
];

/**
 * The protocols whose connections `trace` and `exposure` follow (a new one, its reply, the client's next
 * packet), by number, with their names.
 */
export const CONNECTION_PROTOCOLS: Readonly<Record<number, string>> = { 6: "tcp", 17: "udp", 132: "sctp" };

/** A protocol of CONNECTION_PROTOCOLS. */
export function followsConnections(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

/** Protocols with ports (tcp, udp, sctp, dccp, udplite): a packet of these has a source and destination port. */
export function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136;
}

/** The source port a traced packet gets when none is given: any port of Linux's usual ephemeral range. */
export const EPHEMERAL_PORTS: readonly [number, number] = [32768, 60999];

/** Fields of an established packet's connection that the model has not seen (they stay unknown). */
export const UNKNOWN_CONNECTION_FIELDS: readonly number[] = [
  F.CTORIGSRC, F.CTORIGDST, F.CTREPLSRC, F.CTREPLDST, F.CTORIGSRCPORT, F.CTORIGDSTPORT, F.CTREPLSRCPORT, F.CTREPLDSTPORT, F.CTDIR, F.NATTED, F.CONNMARK,
];

/**
 * The reply to an accepted request, as pairs [reply field, request field]: conntrack's reverse of the
 * (rewritten) tuple, entering on the interface the request left by.
 */
export const REPLY_TERMS: readonly (readonly [number, number])[] = [
  [F.SRC, F.DST],
  [F.SPORT, F.DPORT],
  [F.DST, F.SRC],
  [F.DPORT, F.SPORT],
  [F.IIF, F.OIF],
];

/** The client's next packet, as pairs [packet field, request field]: the request's original tuple. */
export const FOLLOWUP_TERMS: readonly (readonly [number, number])[] = [
  [F.SRC, F.CTORIGSRC],
  [F.SPORT, F.CTORIGSRCPORT],
  [F.DST, F.CTORIGDST],
  [F.DPORT, F.CTORIGDSTPORT],
];

/**
 * The NAT conntrack applies to a connection's later packets, as the request fields it takes them from:
 * PREROUTING/OUTPUT give the packet `dst`:`dport`, INPUT/POSTROUTING `src`:`sport`.
 */
export interface ConnectionNat {
  readonly dst: number;
  readonly dport: number;
  readonly src: number;
  readonly sport: number;
}
/** A reply is sent back to the request's original source, from its original destination. */
export const REPLY_NAT: ConnectionNat = { dst: F.CTORIGSRC, dport: F.CTORIGSRCPORT, src: F.CTORIGDST, sport: F.CTORIGDSTPORT };
/** The client's next packet is rewritten as the request was. */
export const FOLLOWUP_NAT: ConnectionNat = { dst: F.DST, dport: F.DPORT, src: F.SRC, sport: F.SPORT };

const replyConstantsMemo = new Map<number, readonly (readonly [number, number])[]>();
/** The constants of a reply of protocol `proto`: ESTABLISHED, reply direction, no mark, SYN-ACK or echo reply. */
export function replyConstants(proto: number): readonly (readonly [number, number])[] {
  let list = replyConstantsMemo.get(proto);
  if (!list) {
    const l: [number, number][] = [
      [F.STATE, ST.ESTABLISHED],
      [F.CTDIR, 1],
      [F.MARK, 0],
      [F.FLAGS, proto === 6 ? TCP.SYN | TCP.ACK : 0],
    ];
    if (proto === 1) l.push([F.ICMP, 0]);
    if (proto === 58) l.push([F.ICMP, 129 * 256]);
    replyConstantsMemo.set(proto, (list = l));
  }
  return list;
}

const followupConstantsMemo = new Map<number, readonly (readonly [number, number])[]>();
/** The constants of the client's next packet: ESTABLISHED, original direction, no mark, ACK. */
export function followupConstants(proto: number): readonly (readonly [number, number])[] {
  let list = followupConstantsMemo.get(proto);
  if (!list) {
    list = [
      [F.STATE, ST.ESTABLISHED],
      [F.CTDIR, 0],
      [F.MARK, 0],
      [F.FLAGS, proto === 6 ? TCP.ACK : 0],
    ];
    followupConstantsMemo.set(proto, list);
  }
  return list;
}

export const FIELD_NAMES: readonly string[] = [
  "src", "dst", "proto", "sport", "dport", "icmp", "tcp-flags", "in", "out", "state", "ctdir",
  "ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst", "ctorigsrcport", "ctorigdstport", "ctreplsrcport", "ctrepldstport",
  "mark", "connmark", "fragment", "nat",
];

/** Conntrack states as values of F.STATE. */
export const ST = { INVALID: 0, NEW: 1, ESTABLISHED: 2, RELATED: 3, UNTRACKED: 4 } as const;
export const STATE_NAMES = ["INVALID", "NEW", "ESTABLISHED", "RELATED", "UNTRACKED"] as const;
export type StateName = (typeof STATE_NAMES)[number];

export const TCP = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 } as const;

export const STATES = numberDomain("state", 0, 4);
export const DIRS = numberDomain("ctdir", 0, 1);
export const ICMPS = numberDomain("icmp", 0, 65535);
export const FLAGSET = numberDomain("tcp-flags", 0, 63);
export const BITS = numberDomain("bit", 0, 1);
export const NATS = numberDomain("nat", 0, 3);

const ADDRESS_FIELDS: ReadonlySet<number> = new Set([F.SRC, F.DST, F.CTORIGSRC, F.CTORIGDST, F.CTREPLSRC, F.CTREPLDST]);
const PORT_FIELDS: ReadonlySet<number> = new Set([F.SPORT, F.DPORT, F.CTORIGSRCPORT, F.CTORIGDSTPORT, F.CTREPLSRCPORT, F.CTREPLDSTPORT]);



/** The domain of every field, for one family and one interface universe. */
export function fieldDomains(family: Family, ifaceDomain: Domain<number>): Domain<Scalar>[] {
  const out: Domain<Scalar>[] = [];
  const addr = (family === "ipv4" ? IPV4 : IPV6) as unknown as Domain<Scalar>;
  for (let f = 0; f < FIELD_COUNT; f++) {
    let d: Domain<number> | Domain<Scalar>;
    if (ADDRESS_FIELDS.has(f)) d = addr;
    else if (PORT_FIELDS.has(f)) d = PORTS;
    else if (f === F.PROTO) d = PROTOCOLS;
    else if (f === F.ICMP) d = ICMPS;
    else if (f === F.FLAGS) d = FLAGSET;
    else if (f === F.IIF || f === F.OIF) d = ifaceDomain;
    else if (f === F.STATE) d = STATES;
    else if (f === F.CTDIR || f === F.FRAG) d = BITS;
    else if (f === F.MARK || f === F.CONNMARK) d = U32;
    else d = NATS;
    out.push(d as unknown as Domain<Scalar>);
  }
  return out;
}
