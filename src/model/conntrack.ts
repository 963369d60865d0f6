/**
 * What conntrack makes of a connection's later packets when the raw table leaves some of its packets
 * untracked (NOTRACK, CT --notrack). `trace` and `exposure` follow three packets of a new connection: the
 * request, its reply and the client's next packet. Each passes raw on its own, so a rule there may untrack
 * one of them and not the others; the state the next one gets (if raw leaves it tracked) depends on which
 * entry conntrack holds for the connection by then:
 *
 * - every earlier packet tracked: the request's entry, ESTABLISHED (the usual case);
 * - UDP, the request untracked: the reply is the first packet conntrack sees, so it makes an entry of its
 *   own (NEW, original direction); the client's next packet is that entry's reply (ESTABLISHED);
 * - UDP, the reply untracked: the request's entry has seen no reply, so the client's next packet is NEW;
 * - TCP, the request untracked: a SYN-ACK starts no connection (INVALID, no entry), and the client's ACK is
 *   picked up mid-stream (NEW, an entry of its own: nf_conntrack_tcp_loose, on by default);
 * - TCP, the SYN-ACK untracked: the request's entry is still in SYN_SENT, where the client's ACK is invalid;
 * - TCP, the server's first data packet: of the entry the client's ACK made, or of its own (NEW) when that
 *   ACK was untracked too, after an untracked request. After a tracked request whose SYN-ACK raw untracked,
 *   the request's entry is still in SYN_SENT, where conntrack's state table ignores an ACK in the reply
 *   direction without checking its window: the packet is the entry's reply, ESTABLISHED. After a tracked
 *   SYN-ACK and an untracked client's ACK the entry is in SYN_RECV and checks the window: the server's data
 *   is ESTABLISHED when the server speaks first, INVALID when it acknowledges data of the client's that
 *   conntrack never saw. Which comes first is the application's business, so the model does not know.
 *
 * Checked against the kernel by test/model-random-kernel.test.ts, whose rulesets untrack some of a host's
 * connections in raw PREROUTING or OUTPUT (or both).
 */
import { F, ST } from "./fields.js";

/**
 * The entry a packet belongs to: the request's, one the reply made, one the packet itself makes (its
 * conntrack tuple is its own, its connection mark 0, and nat's chains are consulted), or none (INVALID).
 */
export type Entry = "request" | "reply" | "followup" | "own" | "none";

export interface Tracking {
  /** The state conntrack gives the packet when raw leaves it tracked. */
  readonly state: number;
  readonly entry: Entry;
  /** False where the kernel's answer is not modelled (SCTP and other protocols once a packet is untracked). */
  readonly sure: boolean;
}

const TCP = 6;
const UDP = 17;

const USUAL: Tracking = { state: ST.ESTABLISHED, entry: "request", sure: true };

/** The reply's tracking, given whether raw untracked the request. */
export function replyTracking(proto: number, requestUntracked: boolean): Tracking {
  if (!requestUntracked) return USUAL;
  if (proto === UDP) return { state: ST.NEW, entry: "own", sure: true };
  // TCP: tcp_conntracks sNO + SYN-ACK → sIV. ICMP's echo reply starts no connection either; SCTP's INIT-ACK
  // is not modelled.
  return { state: ST.INVALID, entry: "none", sure: proto === TCP };
}

/** The client's next packet's tracking, given whether raw untracked the request and the reply. */
export function followupTracking(proto: number, requestUntracked: boolean, replyUntracked: boolean): Tracking {
  if (!requestUntracked && !replyUntracked) return USUAL;
  if (proto === UDP) {
    if (!requestUntracked) return { state: ST.NEW, entry: "request", sure: true };
    return replyUntracked ? { state: ST.NEW, entry: "own", sure: true } : { state: ST.ESTABLISHED, entry: "reply", sure: true };
  }
  if (proto === TCP) return requestUntracked ? { state: ST.NEW, entry: "own", sure: true } : { state: ST.INVALID, entry: "none", sure: true };
  return { state: ST.INVALID, entry: "none", sure: false };
}

/**
 * The tracking of a TCP connection's fourth packet, the server's first data packet (an ACK in the reply
 * direction), given whether raw untracked the request, the reply and the client's next packet. Its entry is
 * the request's (also after an untracked SYN-ACK, and after an untracked client's ACK, where its state is not
 * known: see above), the one the client's ACK
 * made when conntrack picked the connection up ("followup"), or its own when the server's packet is the
 * first conntrack sees.
 */
export function answerTracking(request: boolean, reply: boolean, followup: boolean): Tracking {
  if (!request) return reply || !followup ? USUAL : { state: ST.ESTABLISHED, entry: "request", sure: false };
  return followup ? { state: ST.NEW, entry: "own", sure: true } : { state: ST.ESTABLISHED, entry: "followup", sure: true };
}

/** A packet's fields as terms: a constant (`s[f] < 0`) or a variable (slot `s[f]`). */
interface Terms {
  readonly c: readonly unknown[];
  readonly s: readonly number[];
}

/** Whether field `f` of `a` and field `g` of `b` are the same: "yes", "no" (two different constants) or "maybe". */
function same(a: Terms, f: number, b: Terms, g: number): "yes" | "no" | "maybe" {
  if (a.s[f]! < 0 && b.s[g]! < 0) return a.c[f] === b.c[g] ? "yes" : "no";
  return a.s[f] === b.s[g] ? "yes" : "maybe";
}

function all(pairs: readonly (readonly [number, number])[], a: Terms, b: Terms): "yes" | "no" | "maybe" {
  let out: "yes" | "no" | "maybe" = "yes";
  for (const [f, g] of pairs) {
    const x = same(a, f, b, g);
    if (x === "no") return "no";
    if (x === "maybe") out = "maybe";
  }
  return out;
}

const ANSWER: readonly (readonly [number, number])[] = [
  [F.SRC, F.CTORIGDST],
  [F.DST, F.CTORIGSRC],
  [F.SPORT, F.CTORIGDSTPORT],
  [F.DPORT, F.CTORIGSRCPORT],
];
const SAME_WAY: readonly (readonly [number, number])[] = [
  [F.SRC, F.SRC],
  [F.DST, F.DST],
  [F.SPORT, F.SPORT],
  [F.DPORT, F.DPORT],
];

/**
 * Whether a reply reaches the client as the answer to its request (`request`: the request as it left its
 * journey, `reply`: the reply as it left its own): from the address and port the client sent to, to its own.
 * Conntrack's NAT sees to it for a reply of the request's connection; a reply raw left untracked keeps the
 * addresses NAT gave the request (a published port's reply then comes from the container), and one that
 * makes a connection of its own may be rewritten by nat's rules (MASQUERADE): the client takes neither.
 */
export function answersRequest(request: Terms, reply: Terms): "yes" | "no" | "maybe" {
  return all(ANSWER, reply, request);
}

/** Whether the client's next packet reaches where the request went (an untracked one misses the request's NAT). */
export function followsRequest(request: Terms, followup: Terms): "yes" | "no" | "maybe" {
  return all(SAME_WAY, followup, request);
}

/** The fields of an entry that a packet of it carries (copied from the reply for an entry the reply made). */
export const REPLY_ENTRY_FIELDS: readonly number[] = [F.CTORIGSRC, F.CTORIGDST, F.CTREPLSRC, F.CTREPLDST, F.CTORIGSRCPORT, F.CTORIGDSTPORT, F.CTREPLSRCPORT, F.CTREPLDSTPORT, F.CONNMARK, F.NATTED];

/** The text `trace` lists among what it cannot know, for such a connection. */
export const UNEVEN_TRACKING = "raw leaves some packets of the connection untracked: conntrack's view of its later packets is not modelled";
