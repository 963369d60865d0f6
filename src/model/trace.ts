/**
 * `fwlint trace`: one packet through the model, then (for an accepted new TCP, UDP or SCTP connection) its reply and
 * the client's next packet, as conntrack sees them.
 */
import type { Family } from "../ast/iptables.js";
import { protocolNumber } from "../catalog/index.js";
import { formatAddrSet, formatAddress } from "./addr.js";
import { arrivalLocal, branch, journey, termOf, toArray, type Branch, type Delivery, type Journey, type Outcome, type RunOptions, type Step, type Verdict, type Visit } from "./engine.js";
import { EPHEMERAL_PORTS, F, FIELD_COUNT, FOLLOWUP_NAT, FOLLOWUP_TERMS, followsConnections, followupConstants, hasPorts, NEW_CONNECTION_TERMS, REPLY_NAT, REPLY_TERMS, replyConstants, ST, type ConnectionNat, STATE_NAMES, TCP, UNKNOWN_CONNECTION_FIELDS } from "./fields.js";
import { readsTcpFlags, untracksSome, type KRule, type Model } from "./model.js";
import { answersRequest, answerTracking, followsRequest, followupTracking, REPLY_ENTRY_FIELDS, replyTracking, type Tracking, UNEVEN_TRACKING } from "./conntrack.js";
import { IntervalSet, PORTS, type Scalar } from "./sets.js";
import { Sym } from "./sym.js";
import { parseAddress, parseIcmpType } from "./values.js";

/** A packet as the user describes it (command line or one line of `--packets`). */
export interface PacketSpec {
  /** Input interface; absent, null or "" for a packet the host itself sends. */
  readonly in?: string | null;
  /** Output interface for forwarded packets whose route is not known. */
  readonly out?: string | null;
  readonly src: string;
  readonly dst: string;
  /** Protocol name or number (default tcp). */
  readonly proto?: string | number;
  /** Source port (default: any port of the usual ephemeral range 32768–60999). */
  readonly sport?: number;
  /** Destination port (default: any). */
  readonly dport?: number;
  /** NEW (default), ESTABLISHED, RELATED, INVALID or UNTRACKED. */
  readonly state?: string;
  /** ICMP type for icmp packets (default echo-request). */
  readonly icmpType?: string;
  /** Packet mark (default 0). */
  readonly mark?: number;
}

export interface PathEntry {
  readonly table: string;
  readonly chain: string;
  /** Source line of the rule, null for a chain policy. */
  readonly line: number | null;
  readonly target: string;
}

export interface PacketResult {
  readonly verdict: Verdict;
  readonly path: PathEntry[];
}

export interface TraceOutcome extends PacketResult {
  readonly delivery: Delivery | null;
  /** Unknown matches this outcome depends on, and whether they were assumed to hold. */
  readonly assumptions: { readonly line: number; readonly match: string; readonly holds: boolean }[];
}

export interface TraceResult {
  readonly verdict: Verdict;
  readonly delivery: Delivery | null;
  readonly nat: { readonly src: string | null; readonly dst: string | null };
  readonly path: PathEntry[];
  readonly reply: PacketResult | null;
  readonly connection: "open" | "closed" | "unknown" | null;
  /** The client's next packet of the connection (ESTABLISHED, original direction). */
  readonly followup: PacketResult | null;
  /** The server's first data packet of a TCP connection (ACK, reply direction). */
  readonly answer: PacketResult | null;
  /** Matches whose outcome the model cannot know (limit, recent, set, …): both outcomes were followed. */
  readonly unknown: string[];
  /** Every distinct outcome when there is more than one (unknown matches, unknown routes). */
  readonly outcomes?: TraceOutcome[];
}

export class PacketError extends Error {
  /**
   * The message names the command-line option (`--dst ::1 is not an IPv4 address`); `field` and `problem` say
   * the same of a packet given as JSON (`dst`, `::1 is not an IPv4 address`), for `--packets`.
   */
  constructor(
    message: string,
    readonly field?: string,
    readonly problem?: string,
  ) {
    super(message);
  }
}

/** A packet field whose value is wrong: `--field value problem`. */
function fieldError(field: string, value: unknown, problem: string): PacketError {
  return new PacketError(`--${field} ${String(value)} ${problem}`, field, `${String(value)} ${problem}`);
}


/** The request packet as a (mostly concrete) symbolic packet, and its journey. */
export function packetOf(model: Model, spec: PacketSpec): { p: Sym; j: Journey; proto: number } {
  const fam: Family = model.family;
  const src = parseAddress(spec.src, fam);
  const dst = parseAddress(spec.dst, fam);
  if (src === null) throw fieldError("src", spec.src, `is not an ${fam === "ipv4" ? "IPv4" : "IPv6"} address`);
  if (dst === null) throw fieldError("dst", spec.dst, `is not an ${fam === "ipv4" ? "IPv4" : "IPv6"} address`);
  const protoText = spec.proto === undefined ? "tcp" : String(spec.proto);
  const proto = protocolNumber(protoText);
  if (proto === undefined || proto === 0) throw fieldError("proto", protoText, "is not a protocol");
  const stateText = (spec.state ?? "NEW").toUpperCase();
  const state = STATE_NAMES.indexOf(stateText as (typeof STATE_NAMES)[number]);
  if (state < 0) throw fieldError("state", spec.state, `is not one of ${STATE_NAMES.join(", ")}`);
  for (const [k, v] of [["sport", spec.sport], ["dport", spec.dport]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) throw fieldError(k, v, "is not a port");
  }
  const local = spec.in === undefined || spec.in === null || spec.in === "";
  const values: Scalar[] = new Array<Scalar>(FIELD_COUNT).fill(0);
  values[F.SRC] = src;
  values[F.DST] = dst;
  values[F.PROTO] = proto;
  values[F.IIF] = model.ifaces.classOf(local ? "" : spec.in!);
  values[F.OIF] = model.ifaces.classOf("");
  values[F.STATE] = state;
  values[F.MARK] = (spec.mark ?? 0) >>> 0;
  values[F.FLAGS] = proto === 6 ? (state === ST.NEW ? TCP.SYN : TCP.ACK) : 0;
  if (proto === 1 || proto === 58) {
    const t = parseIcmpType(spec.icmpType ?? "echo-request", fam);
    if (!t || t[0] < 0) throw fieldError("icmp-type", spec.icmpType, "is not an ICMP type");
    values[F.ICMP] = t[0] * 256 + t[1];
  }
  let p = Sym.concrete(values);
  if (hasPorts(proto)) {
    p = spec.sport !== undefined ? p.withConst(F.SPORT, spec.sport) : p.withVar(F.SPORT, IntervalSet.of(PORTS, EPHEMERAL_PORTS[0], EPHEMERAL_PORTS[1]) as unknown as IntervalSet<Scalar>);
    p = spec.dport !== undefined ? p.withConst(F.DPORT, spec.dport) : p.withVar(F.DPORT, IntervalSet.full(PORTS) as unknown as IntervalSet<Scalar>);
  }
  if (state === ST.NEW) {
    p = p.withTerms(NEW_CONNECTION_TERMS);
  } else {
    // A packet of a connection the model has not seen: its conntrack tuple, direction, NAT and connmark
    // are unknown (rules on them are followed both ways).
    for (const f of UNKNOWN_CONNECTION_FIELDS) {
      p = p.withVar(f, IntervalSet.full(model.doms[f]!));
    }
  }
  return { p, j: { origin: local ? "local" : "in", state }, proto };
}

/** A journey's conntrack NAT, its terms read from the request. */
function manipOf(p0: Sym, nat: ConnectionNat): NonNullable<Journey["manip"]> {
  return {
    pre: [
      [F.DST, termOf(p0, nat.dst)],
      [F.DPORT, termOf(p0, nat.dport)],
    ],
    post: [
      [F.SRC, termOf(p0, nat.src)],
      [F.SPORT, termOf(p0, nat.sport)],
    ],
  };
}

/** Reply to an accepted request, as conntrack sees it: the reverse of the rewritten tuple (conntrack.ts: its state). */
export function replyOf(req: Outcome, j: Journey, proto: number, model: Model): { b: Branch; j: Journey; tracking: Tracking } {
  const p0 = req.b.p;
  const requestLocal = j.origin === "local";
  const replyLocal = req.delivery === "local";
  const tracking = replyTracking(proto, req.b.notrack);
  // A reply delivered to the host was generated by it: it enters on no interface.
  const consts = replyLocal ? [...replyConstants(proto), [F.IIF, model.ifaces.classOf("")] as const] : replyConstants(proto);
  let p = p0.withEdits(consts, REPLY_TERMS);
  if (tracking.entry === "own") p = ownEntry(p);
  const back = requestLocal ? null : termOf(p0, F.IIF);
  const rj: Journey = {
    origin: replyLocal ? "local" : "in",
    state: tracking.state,
    ...(tracking.entry === "request" ? { manip: manipOf(p0, REPLY_NAT) } : {}),
    route: requestLocal ? { delivery: "local", oif: null } : { delivery: "forward", oif: back },
  };
  return { b: branch(p), j: rj, tracking };
}

/**
 * The client's next packet of an accepted connection (original direction), after the reply `rep`:
 * ESTABLISHED unless raw left the request or the reply untracked (conntrack.ts). The request is taken as
 * far as the reply's journey narrowed it (same variables).
 */
export function followupOf(req: Outcome, j: Journey, proto: number, rep: Outcome): { b: Branch; j: Journey; tracking: Tracking } {
  const p0 = restrictTo(req.b.p, rep.b.p);
  const tracking = followupTracking(proto, req.b.notrack, rep.b.notrack);
  let p = p0.withEdits(followupConstants(proto), FOLLOWUP_TERMS);
  if (tracking.entry === "own") p = ownEntry(p);
  else if (tracking.entry === "reply") p = replyEntry(p, rep.b.p);
  const manip = tracking.entry === "request" ? manipOf(p0, FOLLOWUP_NAT) : tracking.entry === "reply" ? manipOf(p, REPLY_NAT) : undefined;
  const fj: Journey = {
    origin: j.origin,
    state: tracking.state,
    ...(manip ? { manip } : {}),
    route: { delivery: req.delivery ?? "forward", oif: termOf(p0, F.OIF) },
  };
  return { b: branch(p), j: fj, tracking };
}

/**
 * The server's first data packet of an accepted TCP connection (an ACK in the reply direction), after the
 * reply `rep` and the client's next packet `fol`: the reply's way back, in the entry conntrack holds by then
 * (conntrack.ts). The request is taken as far as the follow-up's journey narrowed it.
 */
export function answerOf(request: Outcome, rep: Outcome, fol: Outcome, j: Journey, proto: number, model: Model): { b: Branch; j: Journey; tracking: Tracking } {
  const req = { ...request, b: request.b.withP(restrictTo(request.b.p, fol.b.p)) };
  const r = replyOf(req, j, proto, model);
  const tracking = answerTracking(req.b.notrack, rep.b.notrack, fol.b.notrack);
  let p = r.b.p.withConst(F.FLAGS, TCP.ACK);
  if (tracking.entry === "own") p = ownEntry(p);
  else if (tracking.entry === "followup") p = replyEntry(p, fol.b.p);
  const manip = tracking.entry === "request" ? manipOf(req.b.p, REPLY_NAT) : tracking.entry === "followup" ? manipOf(p, REPLY_NAT) : undefined;
  const { manip: _, ...base } = r.j;
  return { b: branch(p), j: { ...base, state: tracking.state, ...(manip ? { manip } : {}) }, tracking };
}

/**
 * Whether a TCP connection's answer packet fares exactly as its reply, so that the tracers and exposure
 * reuse the reply: no rule reads TCP flags (the only field the two differ in) and raw untracked none of the
 * request, the reply and the client's next packet (the answer is then ESTABLISHED in the request's entry).
 */
export function answerIsReply(model: Model, requestUntracked: boolean, replyUntracked: boolean, followupUntracked: boolean): boolean {
  return !requestUntracked && !replyUntracked && !followupUntracked && !readsTcpFlags(model);
}

/**
 * What the server's first data packets do after the reply `rep` to the request `req`, as the service rules
 * ask it: the reply itself where they fare as it (a reply not accepted, a protocol other than TCP, or
 * `answerIsReply`); the reply with verdict UNKNOWN where their fate cannot be told (the client's next packet
 * is not surely accepted on the request's way, or conntrack's view of a packet is not sure: no claim); else
 * the data packets' outcomes.
 */
export function dataAfterReply(model: Model, req: Outcome, j: Journey, proto: number, rep: Outcome, run: RunOptions): readonly Outcome[] {
  if (rep.verdict !== "ACCEPT" || proto !== 6 || (!readsTcpFlags(model) && !untracksSome(model))) return [rep];
  const unknown = [{ ...rep, verdict: "UNKNOWN" as const }];
  const fo = followupOf(req, j, proto, rep);
  if (!fo.tracking.sure) return unknown;
  const out: Outcome[] = [];
  for (const x of journey(model, fo.b, fo.j, run)) {
    if (x.verdict !== "ACCEPT" || followsRequest(req.b.p, x.b.p) !== "yes") return unknown;
    if (answerIsReply(model, req.b.notrack, rep.b.notrack, x.b.notrack)) {
      out.push(rep);
      continue;
    }
    const ao = answerOf(req, rep, x, j, proto, model);
    if (!ao.tracking.sure) return unknown;
    for (const y of journey(model, ao.b, ao.j, run)) out.push(y);
  }
  return out;
}

/** The conntrack state an outcome's packet had (ESTABLISHED unless raw untracked some packets: conntrack.ts). */
export function stateName(o: Outcome): string {
  const v = o.b.p.value(F.STATE);
  return typeof v === "number" ? (STATE_NAMES[v] ?? "ESTABLISHED") : "ESTABLISHED";
}

/** A packet that makes a conntrack entry of its own: its tuple, original direction, no mark, no NAT yet. */
function ownEntry(p: Sym): Sym {
  return p.withConsts(OWN_ENTRY).withTerms(NEW_CONNECTION_TERMS);
}
const OWN_ENTRY: readonly (readonly [number, Scalar])[] = [
  [F.CTDIR, 0],
  [F.CONNMARK, 0],
  [F.NATTED, 0],
];

/** A packet in the reply direction of the entry the packet `r` made: that entry's fields (conntrack.ts). */
function replyEntry(p: Sym, r: Sym): Sym {
  let q = p.withConst(F.CTDIR, 1);
  for (const f of REPLY_ENTRY_FIELDS) {
    // a variable the reply's journey made is not one of this packet's: a fresh one over the same values
    q = r.s[f]! < 0 ? q.withConst(f, r.c[f]!) : r.s[f]! < q.cube.length ? q.withTerms([[f, f]], r) : q.withVar(f, r.setOf(f, r.doms[r.s[f]!]!));
  }
  return q;
}

export function pathOf(b: Branch): PathEntry[] {
  return toArray(b.path).map(entryOf);
}

/** The path entry of a step, made once per step (steps are shared per rule and per chain policy). */
function entryOf(s: Step): PathEntry {
  const k = s as Step & { entry?: PathEntry };
  return (k.entry ??= { table: s.table, chain: s.chain, line: s.krule ? s.krule.line : null, target: s.target });
}

// ── JSON of a result ──
// `trace --packets` prints one result per packet; JSON.stringify of the same path entries again and again was
// a third of the time. These functions give exactly JSON.stringify's text (same keys, same order), with the
// text of each path entry made once.

/** An entry's JSON, kept on the entry under a symbol (JSON.stringify and Object.keys do not see symbols). */
const JSON_TEXT = Symbol("json");
const str = (v: string | null) => (v === null ? "null" : JSON.stringify(v));

function entryJson(e: PathEntry): string {
  const k = e as PathEntry & { [JSON_TEXT]?: string };
  return (k[JSON_TEXT] ??= JSON.stringify(e));
}

function pathJson(path: readonly PathEntry[]): string {
  let t = "[";
  for (let k = 0; k < path.length; k++) t += (k ? "," : "") + entryJson(path[k]!);
  return `${t}]`;
}

function packetResultJson(r: PacketResult | null): string {
  return r === null ? "null" : `{"verdict":${str(r.verdict)},"path":${pathJson(r.path)}}`;
}

function outcomeJson(o: TraceOutcome): string {
  const assumptions = o.assumptions.map((a) => `{"line":${JSON.stringify(a.line)},"match":${str(a.match)},"holds":${a.holds}}`).join(",");
  return `{"verdict":${str(o.verdict)},"delivery":${str(o.delivery)},"path":${pathJson(o.path)},"assumptions":[${assumptions}]}`;
}

/** JSON.stringify(result), faster. */
export function traceResultJson(r: TraceResult): string {
  let t = `{"verdict":${str(r.verdict)},"delivery":${str(r.delivery)},"nat":{"src":${str(r.nat.src)},"dst":${str(r.nat.dst)}},"path":${pathJson(r.path)}`;
  t += `,"reply":${packetResultJson(r.reply)},"connection":${str(r.connection)},"followup":${packetResultJson(r.followup)},"answer":${packetResultJson(r.answer)},"unknown":[${r.unknown.map(str).join(",")}]`;
  if (r.outcomes !== undefined) t += `,"outcomes":[${r.outcomes.map(outcomeJson).join(",")}]`;
  return `${t}}`;
}

function agree<T>(xs: readonly T[], fallback: T): T {
  if (xs.length === 0) return fallback;
  return xs.every((x) => x === xs[0]) ? xs[0]! : fallback;
}

/** What formatting reads of a packet's terms (a Sym, or the packet of the concrete path in fast.ts). */
export type PacketTerms = Pick<Sym, "c" | "s" | "value" | "setOf">;

export function formatTerm(model: Model, p: PacketTerms, fa: number, fp: number, ported: boolean): string {
  const fam = model.family;
  const a = p.value(fa);
  const addr = a !== undefined ? formatAddress(fam, a) : formatSet(model, p.setOf(fa, model.doms[fa]!));
  const host = fam === "ipv6" ? `[${addr}]` : addr;
  if (!ported) return addr;
  const v = p.value(fp);
  if (v !== undefined) return `${host}:${v}`;
  const set = p.setOf(fp, model.doms[fp]!);
  let ports = setTexts.get(set);
  if (ports === undefined) setTexts.set(set, (ports = [...set.ranges()].map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",")));
  return `${host}:${ports}`;
}

const setTexts = new WeakMap<object, string>();
function formatSet(model: Model, set: IntervalSet<Scalar>): string {
  let t = setTexts.get(set);
  if (t === undefined) setTexts.set(set, (t = formatSetUncached(model, set)));
  return t;
}

function formatSetUncached(model: Model, set: IntervalSet<Scalar>): string {
  const local = model.layout.local as IntervalSet<Scalar>;
  if (set.isSubsetOf(local) && set.size() > 4) return "(a host address)";
  const items = formatAddrSet(model.family, set as never);
  return items.length > 4 ? `${items.slice(0, 4).join(",")},…` : items.join(",");
}

export const sameTerm = (p: PacketTerms, f: number, g: number) => p.s[f] === p.s[g] && (p.s[f]! >= 0 || p.c[f] === p.c[g]);

export interface TraceOptions {
  /** Record every visited rule (text output). */
  readonly verbose?: boolean;
}

export interface DetailedTrace {
  readonly result: TraceResult;
  readonly request: Outcome[];
  readonly replies: Outcome[];
  readonly followups: Outcome[];
  readonly answers: Outcome[];
}

export function trace(model: Model, spec: PacketSpec, opts: TraceOptions = {}): DetailedTrace {
  const { p, j, proto } = packetOf(model, spec);
  const run = { verbose: opts.verbose === true, ...(spec.out ? { out: spec.out } : {}), maxBranches: 512 };
  const request = journey(model, branch(p), j, run);
  const ported = hasPorts(proto);
  const verdict = agree(request.map((o) => o.verdict), "UNKNOWN" as Verdict);
  const delivery = agree<Delivery | null>(request.map((o) => o.delivery), null);
  const first = request[0]!;
  // A packet of a connection the model has not seen keeps its addresses: no NAT is applied to it.
  const nat =
    j.state !== ST.NEW
      ? { src: null, dst: null }
      : {
          src: sameTerm(first.b.p, F.SRC, F.CTORIGSRC) && sameTerm(first.b.p, F.SPORT, F.CTORIGSRCPORT) ? null : formatTerm(model, first.b.p, F.SRC, F.SPORT, ported),
          dst: sameTerm(first.b.p, F.DST, F.CTORIGDST) && sameTerm(first.b.p, F.DPORT, F.CTORIGDSTPORT) ? null : formatTerm(model, first.b.p, F.DST, F.DPORT, ported),
        };
  const unknown = new Set<string>();
  const note = (o: Outcome) => {
    for (let a = o.b.assume; a; a = a.tail) unknown.add(unknownText(a.head.krule));
  };
  request.forEach(note);

  let reply: PacketResult | null = null;
  let followup: PacketResult | null = null;
  let connection: TraceResult["connection"] = null;
  const replies: Outcome[] = [];
  const followups: Outcome[] = [];
  const answers: Outcome[] = [];
  let answer: PacketResult | null = null;
  // A datagram to a broadcast or multicast address starts no connection a reply could belong to: the answer
  // comes from a unicast address, which conntrack does not match to it.
  const connected = followsConnections(proto) && j.state === ST.NEW && !arrivalLocal(model).has(p.c[F.DST]!);
  if (connected && !request.some((o) => o.verdict === "ACCEPT")) connection = request.some((o) => o.verdict === "UNKNOWN") ? "unknown" : "closed";
  if (connected && request.some((o) => o.verdict === "ACCEPT")) {
    const states: ("open" | "closed" | "unknown")[] = [];
    // a connection whose outcome rests on conntrack's view of packets raw leaves untracked unevenly
    let uneven = false;
    for (const o of request) {
      if (o.verdict !== "ACCEPT") {
        states.push(o.verdict === "UNKNOWN" ? "unknown" : "closed");
        continue;
      }
      const r = replyOf(o, j, proto, model);
      const rs = journey(model, r.b, r.j, run);
      for (const ro of rs) {
        replies.push(ro);
        note(ro);
        if (!r.tracking.sure) {
          states.push("unknown");
          uneven = true;
          continue;
        }
        if (ro.verdict !== "ACCEPT") {
          states.push(ro.verdict === "UNKNOWN" ? "unknown" : "closed");
          continue;
        }
        // an accepted reply the client does not take (its addresses are not those it sent to)
        const answer = answersRequest(o.b.p, ro.b.p);
        if (answer !== "yes") {
          states.push(answer === "no" ? "closed" : "unknown");
          if (answer === "maybe") uneven = true;
          continue;
        }
        // The follow-up comes from the request, restricted to what the reply accepted (same variables).
        const fo = followupOf(o, j, proto, ro);
        const fs = journey(model, fo.b, fo.j, run);
        for (const x of fs) {
          followups.push(x);
          note(x);
          const way = x.verdict === "ACCEPT" ? followsRequest(o.b.p, x.b.p) : "yes";
          const s = x.verdict === "ACCEPT" ? (way === "yes" ? "open" : way === "no" ? "closed" : "unknown") : x.verdict === "UNKNOWN" ? "unknown" : "closed";
          if (!fo.tracking.sure || way === "maybe") {
            states.push("unknown");
            uneven = true;
            continue;
          }
          if (s !== "open" || proto !== 6) {
            states.push(s);
            continue;
          }
          // TCP: the server's first data packet must get back too (as the reply did, when nothing tells them apart)
          if (answerIsReply(model, o.b.notrack, ro.b.notrack, x.b.notrack)) {
            answers.push(ro);
            states.push("open");
            continue;
          }
          const ao = answerOf(o, ro, x, j, proto, model);
          for (const y of journey(model, ao.b, ao.j, run)) {
            answers.push(y);
            note(y);
            const back = y.verdict === "ACCEPT" ? answersRequest(o.b.p, y.b.p) : "yes";
            if (!ao.tracking.sure || back === "maybe") {
              states.push("unknown");
              uneven = true;
            } else states.push(y.verdict === "ACCEPT" ? (back === "yes" ? "open" : "closed") : y.verdict === "UNKNOWN" ? "unknown" : "closed");
          }
        }
      }
    }
    if (uneven) unknown.add(UNEVEN_TRACKING);
    const any = (s: string) => states.includes(s as never);
    connection = any("unknown") || (any("open") && any("closed")) ? (any("open") || any("unknown") ? "unknown" : "closed") : any("open") ? "open" : "closed";
    if (replies.length) reply = { verdict: agree(replies.map((o) => o.verdict), "UNKNOWN" as Verdict), path: pathOf(replies[0]!.b) };
    if (followups.length) followup = { verdict: agree(followups.map((o) => o.verdict), "UNKNOWN" as Verdict), path: pathOf(followups[0]!.b) };
    if (answers.length) answer = { verdict: agree(answers.map((o) => o.verdict), "UNKNOWN" as Verdict), path: pathOf(answers[0]!.b) };
  }
  const result: TraceResult = {
    verdict,
    delivery,
    nat,
    path: pathOf(first.b),
    reply,
    connection,
    followup,
    answer,
    unknown: [...unknown],
    ...(request.length > 1
      ? {
          outcomes: request.map((o) => ({
            verdict: o.verdict,
            delivery: o.delivery,
            path: pathOf(o.b),
            assumptions: toArray(o.b.assume).map((a) => ({ line: a.krule.line, match: a.krule.match.unknown.join(" "), holds: a.holds })),
          })),
        }
      : {}),
  };
  return { result, request, replies, followups, answers };
}

/** "line N: the unknown matches" of a rule, made once per rule. */
export function unknownText(k: KRule): string {
  const r = k as KRule & { unknownText?: string };
  return (r.unknownText ??= `line ${k.line}: ${k.match.unknown.join(" ")}`);
}

/** `p` with its variables narrowed to those of `q` (q derives from p: same slots, possibly more). */
export function restrictTo(p: Sym, q: Sym): Sym {
  const n = Math.min(p.cube.length, q.cube.length);
  const changes: [number, IntervalSet<Scalar>][] = [];
  for (let k = 0; k < n; k++) if (q.cube[k] !== p.cube[k] && q.cube[k]) changes.push([k, q.cube[k]!]);
  return changes.length ? p.withSlots(changes) : p;
}

/** Text rendering of a trace for people. */
export function renderTrace(model: Model, spec: PacketSpec, t: DetailedTrace, color: (kind: "head" | "ok" | "bad" | "dim" | "warn", s: string) => string = (_k, s) => s): string {
  const r = t.result;
  const lines: string[] = [];
  const proto = String(spec.proto ?? "tcp");
  const ports = spec.dport !== undefined ? ` dport ${spec.dport}` : "";
  const sports = spec.sport !== undefined ? ` sport ${spec.sport}` : "";
  lines.push(color("head", `${proto} ${spec.src} → ${spec.dst}${sports}${ports}, ${spec.in ? `in ${spec.in}` : "sent by the host"}, state ${(spec.state ?? "NEW").toUpperCase()}`));
  // a packet that leaves the host is "sent out" when the host made it (no input interface), else "forwarded"
  const showVisits = (title: string, outs: Outcome[], sentByHost: boolean) => {
    lines.push("");
    lines.push(color("head", title));
    outs.forEach((o, k) => {
      if (outs.length > 1) lines.push(color("warn", ` outcome ${k + 1} of ${outs.length}${o.b.assume ? ` (assuming ${toArray(o.b.assume).map((a) => `line ${a.krule.line} ${a.holds ? "matches" : "does not match"}`).join(", ")})` : ""}`));
      let last = "";
      for (const v of toArray(o.b.visits) as Visit[]) {
        const where = `${v.table}/${v.chain}`;
        if (where !== last) {
          lines.push(`  ${color("dim", where)}`);
          last = where;
        }
        const at = v.krule ? `line ${v.krule.line}` : "";
        if (v.outcome === "no-match") lines.push(color("dim", `    ${at} no match${v.why ? ` (${v.why})` : ""}`));
        else if (v.outcome === "match") lines.push(`    ${at} match: ${v.why} → ${v.krule?.targetText || "(continue)"}`);
        else if (v.outcome === "unknown") lines.push(color("warn", `    ${at} unknown: ${v.krule?.match.unknown.join(" ")} → ${v.krule?.targetText || "(continue)"}`));
        else lines.push(`    ${v.why}`);
      }
      const verdictText = o.verdict === "ACCEPT" ? color("ok", o.verdict) : o.verdict === "UNKNOWN" ? color("warn", o.verdict) : color("bad", o.verdict);
      lines.push(`  → ${verdictText}${o.delivery ? ` (${o.delivery === "local" ? "delivered to the host" : sentByHost ? "sent out" : "forwarded"})` : ""}`);
    });
  };
  const local = !spec.in;
  showVisits("Packet", t.request, local);
  if (r.nat.dst || r.nat.src) lines.push(`  NAT: ${r.nat.dst ? `destination → ${r.nat.dst}` : ""}${r.nat.dst && r.nat.src ? ", " : ""}${r.nat.src ? `source → ${r.nat.src}` : ""}`);
  // the state conntrack gave the packet
  const stateOf = (outs: readonly Outcome[]) => stateName(outs[0]!);
  if (t.replies.length) showVisits(`Reply (${stateOf(t.replies)}, reverse of the rewritten tuple)`, t.replies, r.delivery === "local");
  if (t.followups.length) showVisits(`Next packet from the client (${stateOf(t.followups)})`, t.followups, local);
  if (t.answers.length) showVisits(`The server's first data packet (${stateOf(t.answers)})`, t.answers, r.delivery === "local");
  lines.push("");
  const v = r.verdict === "ACCEPT" ? color("ok", r.verdict) : r.verdict === "UNKNOWN" ? color("warn", r.verdict) : color("bad", r.verdict);
  lines.push(`Verdict: ${v}${r.delivery ? `, ${r.delivery}` : ""}${r.connection ? `; connection ${r.connection === "open" ? color("ok", "open") : r.connection === "closed" ? color("bad", "closed") : color("warn", "unknown")}` : ""}`);
  if (r.unknown.length) lines.push(color("warn", `Depends on matches the model cannot know: ${r.unknown.join("; ")}`));
  return lines.join("\n");
}
