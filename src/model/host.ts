/**
 * The host's own traffic through the model: packets it sends out of a given interface (with their replies),
 * and packets that reach it from a neighbour on a link. Routing is fixed by the caller rather than decided
 * from the host's addresses: without `hostAddresses` every address counts as the host's, and a packet the
 * host sends to a remote address would otherwise loop back over lo.
 */
import { formatAddress } from "./addr.js";
import { branch, journey, type Outcome, type RunOptions, type Step, type Verdict, toArray } from "./engine.js";
import { defaultProtocols, hostSample, outsideInterfaces, seedConnection, validSources } from "./exposure.js";
import { EPHEMERAL_PORTS, F, FIELD_COUNT, NEW_CONNECTION_TERMS, ST, TCP, UNKNOWN_CONNECTION_FIELDS } from "./fields.js";
import { readsTcpFlags, untracksSome, type Model } from "./model.js";
import { IntervalSet, PORTS, type Scalar } from "./sets.js";
import { Sym } from "./sym.js";
import { dataAfterReply, packetOf, replyOf, type PacketSpec } from "./trace.js";
import { parseAddress, parseIcmpType } from "./values.js";
import { protocolNumber } from "../catalog/index.js";

const RUN: RunOptions = { maxBranches: 512 };
const SETS: RunOptions = { maxBranches: 1_000_000, merge: true, paths: false };
/**
 * Set-level runs with a bound, for the analyses that try every pair of interfaces: a FORWARD chain of many
 * address rules splits a packet of any address tens of thousands of ways (diekmann-medium-company: 65,000
 * outcomes, 0.8 s, for one journey). Past the bound the rest is UNKNOWN, and an UNKNOWN makes no claim.
 */
const BOUNDED: RunOptions = { maxBranches: 1024, merge: true, paths: false };
/** Accepted request outcomes whose replies a pair's check follows at most. */
const MAX_ACCEPTED = 64;

/**
 * The interfaces the host reaches the rest of the network through: those the facts name as external, else
 * every outside interface class (named interfaces, `prefix+` classes, and any other name), bridges left out.
 */
export function uplinks(model: Model): number[] {
  const given = model.layout.external;
  if (given.length > 0) return [...new Set(given.map((n) => model.ifaces.classOf(n)))];
  return outsideInterfaces(model);
}

/**
 * Public unicast addresses for a server somewhere on the internet, none of them in a bogon or documentation
 * range (which some rulesets drop by source): the first that is not on a Docker bridge is used.
 */
const REMOTES = {
  ipv4: ["93.184.215.14", "151.101.2.15", "185.199.108.153"],
  ipv6: ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "2a04:4e42::15", "2606:50c0:8000::153"],
} as const;

export function remoteAddress(model: Model): string {
  const bridged = model.layout.bridged as IntervalSet<Scalar>;
  const list = REMOTES[model.family];
  for (const a of list) {
    const v = parseAddress(a, model.family);
    if (v !== null && !bridged.has(v)) return a;
  }
  return list[0];
}

/** A connection's first packet and its replies, each as the model's outcomes. */
export interface HostConnection {
  /** The request's outcomes (sent by the host, or forwarded by it, out of the given interface). */
  readonly request: readonly Outcome[];
  /** The replies' outcomes (ESTABLISHED, back in on that interface) to the accepted requests. */
  readonly replies: readonly Outcome[];
  /**
   * For each reply, what the server's first data packets do (`dataAfterReply`): the reply itself where they
   * fare as it (a reply not accepted, every protocol but TCP), the reply with verdict UNKNOWN where their fate
   * cannot be told.
   */
  readonly data: readonly Outcome[];
}

/**
 * A connection the host opens to `spec.dst` out of interface class `oif`, and its reply. With `anyServer`
 * the reply comes from any source address instead of `spec.dst`, over sets (no paths): the outcomes then say
 * whether some server could answer.
 */
export function hostConnection(model: Model, spec: Omit<PacketSpec, "in" | "out">, oif: number, anyServer = false): HostConnection {
  const { p, j, proto } = packetOf(model, spec);
  const jr = { ...j, route: { delivery: "forward" as const, oif: { c: oif as Scalar, s: -1 } } };
  const request = journey(model, branch(p), jr, RUN);
  const replies: Outcome[] = [];
  const data: Outcome[] = [];
  const run = anyServer ? SETS : RUN;
  for (const o of request) {
    if (o.verdict !== "ACCEPT") continue;
    const r = replyOf(o, jr, proto, model);
    const b = anyServer ? r.b.withP(r.b.p.withVar(F.SRC, validSources(model))) : r.b;
    for (const x of journey(model, b, r.j, run)) {
      replies.push(x);
      data.push(...dataAfterReply(model, o, jr, proto, x, run));
    }
  }
  return { request, replies, data };
}

/** A packet the host sends out of interface class `oif` (no connection: `spec.state` says which state it has). */
export function hostSends(model: Model, spec: Omit<PacketSpec, "in" | "out">, oif: number): Outcome[] {
  const { p, j } = packetOf(model, spec);
  return journey(model, branch(p), { ...j, route: { delivery: "forward", oif: { c: oif as Scalar, s: -1 } } }, RUN);
}

/** A packet that reaches the host (delivered to it, whatever its destination address) on interface class `iif`. */
export function hostReceives(model: Model, spec: Omit<PacketSpec, "in" | "out">, iif: number): Outcome[] {
  const { p, j } = packetOf(model, { ...spec, in: model.ifaces.sample(iif) });
  return journey(model, branch(p), { ...j, route: { delivery: "local", oif: null } }, RUN);
}

/** One verdict for all outcomes, or null when they differ or one is unknown. */
export function sureVerdict(outcomes: readonly Outcome[]): Verdict | null {
  if (outcomes.length === 0) return null;
  const v = outcomes[0]!.verdict;
  if (v === "UNKNOWN") return null;
  return outcomes.every((o) => o.verdict === v) ? v : null;
}

/**
 * Of the outcomes `pred` keeps, the one that assumes least: fewest unknown matches assumed to match (the
 * usual way through a LOG limit or an RH0 drop), then fewest assumptions.
 */
export function plainest(outcomes: readonly Outcome[], pred: (o: Outcome) => boolean): Outcome | undefined {
  let best: Outcome | undefined;
  let key = [Infinity, Infinity];
  for (const o of outcomes) {
    if (!pred(o)) continue;
    const as = toArray(o.b.assume);
    const k = [as.filter((a) => a.holds).length, as.length];
    if (k[0]! < key[0]! || (k[0] === key[0] && k[1]! < key[1]!)) [best, key] = [o, k];
  }
  return best;
}

/**
 * The step that drops a packet on every interface class of `ifaces` (the first one's), or undefined when on
 * some interface it is not surely dropped.
 */
export function droppedOnEvery(ifaces: readonly number[], outcomes: (iface: number) => readonly Outcome[]): Step | undefined {
  let step: Step | undefined;
  for (const iface of ifaces) {
    const outs = outcomes(iface);
    const v = sureVerdict(outs);
    if (v !== "DROP" && v !== "REJECT") return undefined;
    step ??= decidingStep(outs[0]!);
  }
  return step;
}

/** The step that decided an outcome: the DROP/REJECT rule, or the chain policy. */
export function decidingStep(o: Outcome): Step | undefined {
  return toArray(o.b.path).at(-1);
}

/**
 * Whether the host uses the network at all: INPUT accepts some new connection, or the replies to a connection
 * the host opens (HTTPS to a server on the internet, from `src`). A ruleset that does neither closes the host
 * on purpose (an "IPv6 off" ip6tables file).
 */
export function hostUsesNetwork(model: Model, ifaces: readonly number[], src: string): boolean {
  if (acceptsSomethingNew(model, ifaces)) return true;
  const dst = remoteAddress(model);
  return ifaces.some((oif) => hostConnection(model, { src, dst, proto: "tcp", dport: 443 }, oif, true).replies.some((o) => o.verdict === "ACCEPT"));
}

/**
 * Whether the host accepts some new TCP or UDP connection arriving on one of `ifaces` (any source, any of its
 * addresses, any port), over sets. A host that accepts none is closed to the network on purpose.
 */
export function acceptsSomethingNew(model: Model, ifaces: readonly number[]): boolean {
  const local = model.layout.local as IntervalSet<Scalar>;
  for (const proto of [6, 17]) {
    for (const iface of ifaces) {
      const p = seedConnection(model, proto, iface, local);
      const outs = journey(model, branch(p), { origin: "in", state: ST.NEW }, SETS);
      if (outs.some((o) => o.verdict !== "DROP" && o.verdict !== "REJECT" && o.delivery === "local")) return true;
    }
  }
  return false;
}

type AnySet = IntervalSet<Scalar>;

/**
 * The source ports of clients: Linux's ephemeral range, as `fwlint trace` assumes. A client on port 443 could
 * pass an egress rule for port 443 that no real client's reply would.
 */
const clientPorts = (model: Model): AnySet => IntervalSet.of(model.doms[F.SPORT]!, EPHEMERAL_PORTS[0], EPHEMERAL_PORTS[1]);

/**
 * The host's ports whose replies no peer can get: a reply the host sends from such a port (ESTABLISHED, to
 * any source, out of any of `ifaces`) is dropped by OUTPUT or POSTROUTING whatever its destination. One
 * journey over sets; it prunes the search for services that cannot answer.
 */
function unanswerablePorts(model: Model, proto: number, ifaces: readonly number[]): AnySet {
  // A reply is ESTABLISHED, or, after a request raw left untracked, NEW or INVALID (conntrack.ts): a port is
  // a candidate when its replies are stopped in one of the states they may have (deadServices then follows
  // each request's own reply).
  // A TCP server's data after the handshake (ACK) fares otherwise than its SYN-ACK when a rule reads the flags.
  const flags = proto !== 6 ? [0] : readsTcpFlags(model) ? [TCP.SYN | TCP.ACK, TCP.ACK] : [TCP.SYN | TCP.ACK];
  const states = untracksSome(model) ? [ST.ESTABLISHED, ST.NEW, ST.INVALID] : [ST.ESTABLISHED];
  let dead = IntervalSet.empty(PORTS) as unknown as AnySet;
  for (const state of states) for (const f of flags) dead = dead.union(unansweredIn(model, proto, ifaces, state, f));
  return dead;
}

/** unanswerablePorts for replies in one conntrack state with given TCP flags. */
function unansweredIn(model: Model, proto: number, ifaces: readonly number[], state: number, flags: number): AnySet {
  const values: Scalar[] = new Array<Scalar>(FIELD_COUNT).fill(0);
  values[F.PROTO] = proto;
  values[F.IIF] = model.ifaces.classOf("");
  values[F.STATE] = state;
  values[F.FLAGS] = flags;
  const slots = new Array<number>(FIELD_COUNT).fill(-1);
  const cube: (AnySet | undefined)[] = new Array<AnySet | undefined>(FIELD_COUNT).fill(undefined);
  for (const f of [F.SRC, F.DST, F.SPORT, F.DPORT]) slots[f] = f;
  cube[F.SRC] = model.layout.local as AnySet;
  cube[F.DST] = validSources(model);
  cube[F.DPORT] = clientPorts(model);
  let p = new Sym(values, slots, cube, model.doms.slice());
  for (const f of UNKNOWN_CONNECTION_FIELDS) p = p.withVar(f, IntervalSet.full(model.doms[f]!));
  p = p.withConst(F.CTDIR, state === ST.NEW ? 0 : 1).withVar(F.OIF, IntervalSet.fromRanges(model.ifaces.domain, ifaces.map((k) => [k, k] as [number, number])) as unknown as AnySet);
  const outs = journey(model, branch(p), { origin: "local", state, route: { delivery: "forward", oif: null } }, SETS);
  let dead = IntervalSet.of(PORTS, 1, 65535) as unknown as AnySet;
  for (const o of outs) if (o.verdict !== "DROP" && o.verdict !== "REJECT") dead = dead.subtract(o.b.p.setOf(F.SPORT, model.doms[F.SPORT]!));
  return dead;
}

export interface DeadService {
  readonly proto: number;
  /** Ports INPUT accepts new connections to, from some source, and whose replies the host never gets out. */
  readonly ports: AnySet;
  /** One such connection, for a trace: its interface class, source and destination. */
  readonly sample: { readonly iface: number; readonly src: Scalar; readonly dst: Scalar; readonly port: number };
}

/**
 * Services of the host that accept a new connection from outside (some source, some interface, a client port
 * of the ephemeral range) while no reply to any such connection gets out: every connection to them fails. Over sets: the reply side first (cheap,
 * usually empty), then the requests to the ports it leaves.
 */
export function deadServices(model: Model): DeadService[] {
  const ifaces = outsideInterfaces(model);
  const out: DeadService[] = [];
  if (ifaces.length === 0) return out;
  const local = model.layout.local as AnySet;
  for (const proto of defaultProtocols(model)) {
    const candidates = unanswerablePorts(model, proto, ifaces);
    if (candidates.isEmpty) continue;
    let accepted = IntervalSet.empty(candidates.d);
    let answered = IntervalSet.empty(candidates.d);
    let sample: DeadService["sample"] | undefined;
    const seen: { iface: number; o: Outcome }[] = [];
    let undecided = false;
    for (const iface of ifaces) {
      const p = seedConnection(model, proto, iface, local).withSlots([
        [F.DPORT, candidates],
        [F.SPORT, clientPorts(model)],
      ]);
      const j = { origin: "in" as const, state: ST.NEW };
      const requests = journey(model, branch(p), j, BOUNDED);
      // an undecided request (more splits than the bound allows, an unknown target) could be one that works
      if (requests.some((o) => o.verdict === "UNKNOWN")) {
        undecided = true;
        break;
      }
      for (const req of requests) {
        if (req.verdict !== "ACCEPT" || req.delivery !== "local") continue;
        accepted = accepted.union(req.b.p.setOf(F.DPORT, model.doms[F.DPORT]!));
        seen.push({ iface, o: req });
        const r = replyOf(req, j, proto, model);
        for (const rep of journey(model, r.b, r.j, BOUNDED)) {
          if (rep.verdict === "DROP" || rep.verdict === "REJECT") continue;
          // the reply's source port is the request's destination port; TCP: the server's data must get out too
          for (const o of dataAfterReply(model, req, j, proto, rep, BOUNDED)) {
            if (o.verdict !== "DROP" && o.verdict !== "REJECT") answered = answered.union(o.b.p.setOf(F.SPORT, model.doms[F.SPORT]!));
          }
        }
      }
    }
    const dead = accepted.subtract(answered);
    if (undecided || dead.isEmpty) continue;
    const port = Number(dead.first!);
    for (const { iface, o } of seen) {
      const p = o.b.p;
      if (!p.setOf(F.DPORT, model.doms[F.DPORT]!).has(port)) continue;
      const dst = hostSample(model, p.setOf(F.DST, model.doms[F.DST]!));
      const src = p.setOf(F.SRC, model.doms[F.SRC]!).first;
      if (dst === null || src === undefined) continue;
      sample = { iface, src, dst: parseAddress(dst, model.family)!, port };
      break;
    }
    if (sample) out.push({ proto, ports: dead, sample });
  }
  return out;
}

/** A container of a Docker bridge to start connections from: a known container address, else the subnet's second address. */
export function containerSample(model: Model): { bridge: string; address: string } | null {
  for (const b of model.layout.bridges) {
    const known = b.containers[0];
    if (known !== undefined) return { bridge: b.name, address: formatAddress(model.family, known) };
    const first = (b.subnets as IntervalSet<Scalar>).first;
    if (first === undefined) continue;
    const second = (typeof first === "bigint" ? first + 2n : first + 2) as Scalar;
    if ((b.subnets as IntervalSet<Scalar>).has(second)) return { bridge: b.name, address: formatAddress(model.family, second) };
  }
  return null;
}

/**
 * An ICMP error (`icmpType`, RELATED) about a connection a container opens to `dst` (TCP, port 443): the
 * connection leaves by interface class `uplink`, masqueraded as Docker does, and the error comes back in on it
 * and is de-NATed by conntrack towards the container, like the reply. The error's outcomes; empty when the
 * container's connection is not let out or its replies do not get back (a bridge without masquerading whose
 * container addresses the raw table guards).
 */
export function containerConnectionError(model: Model, c: { bridge: string; address: string }, dst: string, uplink: number, icmp: { proto: string; type: string }): Outcome[] {
  const { p, j, proto } = packetOf(model, { in: c.bridge, src: c.address, dst, proto: "tcp", dport: 443 });
  const jr = { ...j, route: { delivery: "forward" as const, oif: { c: uplink as Scalar, s: -1 } } };
  const t = parseIcmpType(icmp.type, model.family);
  const icmpProto = protocolNumber(icmp.proto);
  if (!t || icmpProto === undefined) return [];
  const out: Outcome[] = [];
  for (const req of journey(model, branch(p), jr, RUN)) {
    if (req.verdict !== "ACCEPT") continue;
    const r = replyOf(req, jr, proto, model);
    // only a connection that works can hang: its replies must get back to the container
    if (!journey(model, r.b, r.j, RUN).some((o) => o.verdict === "ACCEPT")) continue;
    const e = r.b.withP(r.b.p.withConst(F.PROTO, icmpProto).withConst(F.ICMP, t[0] * 256 + t[1]).withConst(F.FLAGS, 0));
    for (const o of journey(model, e, { ...r.j, state: ST.RELATED }, RUN)) out.push(o);
  }
  return out;
}

/** Interface classes a router forwards between: every named interface but lo and Docker's bridges. */
function namedInterfaces(model: Model): number[] {
  const bridges = new Set(model.layout.bridges.map((b) => model.ifaces.classOf(b.name)));
  const out: number[] = [];
  model.ifaces.classes.forEach((c, k) => {
    if (!c.wildcard && c.key !== "" && c.key !== "lo" && !bridges.has(k)) out.push(k);
  });
  return out;
}

/** The interface classes `-o text` matches (`eth+` is every class starting with eth). */
function classesOf(model: Model, text: string): number[] {
  const set = model.ifaces.pattern(text);
  const out: number[] = [];
  for (const [lo, hi] of set.ranges()) for (let k = Number(lo); k <= Number(hi); k++) out.push(k);
  return out;
}

/** A new connection from interface class `iif` forwarded out of `oif` (routing fixed), and its replies. */
function forwardedConnection(model: Model, p: Sym, iif: number, oif: number, proto: number, run: RunOptions): HostConnection {
  const j = { origin: "in" as const, state: ST.NEW, route: { delivery: "forward" as const, oif: { c: oif as Scalar, s: -1 } } };
  const request = journey(model, branch(p.withConst(F.IIF, iif)), j, run);
  const replies: Outcome[] = [];
  const data: Outcome[] = [];
  for (const o of request) {
    if (o.verdict !== "ACCEPT" || o.delivery !== "forward") continue;
    const r = replyOf(o, j, proto, model);
    for (const x of journey(model, r.b, r.j, run)) {
      replies.push(x);
      data.push(...dataAfterReply(model, o, j, proto, x, run));
    }
  }
  return { request, replies, data };
}

export interface DeadForward {
  readonly proto: number;
  readonly from: number;
  readonly to: number;
  /** One such connection on a concrete path: the request (accepted) and its reply (dropped). */
  readonly sample: HostConnection;
}

/**
 * Pairs of named interfaces between which FORWARD lets new connections through (some source, some
 * destination, a client port of the ephemeral range) while no reply to any of them gets back: every such
 * connection fails. A router's LAN-to-WAN rule without RELATED,ESTABLISHED. Pruned first by one journey of
 * ESTABLISHED packets between every pair: usually none is dropped.
 */
export function forwardsWithoutReplies(model: Model): DeadForward[] {
  const named = namedInterfaces(model);
  const out: DeadForward[] = [];
  if (named.length < 2) return out;
  // Only an outgoing interface a filter rule names (`-o wan`) is checked (the rule reports nothing else):
  // most rulesets name none, and this costs one look at the rules instead of journeys.
  const outgoing = new Set<number>();
  for (const ch of model.chains) {
    if (ch.table !== "filter") continue;
    // the chain's rules as parsed (compiling them is not needed to read a criterion)
    for (const rule of ch.ast.rules) {
      for (const c of rule.criteria) {
        const text = c.name === "-o" && !c.negated ? c.valueText(0) : undefined;
        if (text !== undefined) for (const cls of classesOf(model, text)) outgoing.add(cls);
      }
    }
  }
  if (![...outgoing].some((k) => named.includes(k))) return out;
  const ifaceSet = IntervalSet.fromRanges(model.ifaces.domain, named.map((k) => [k, k] as [number, number])) as unknown as AnySet;
  for (const proto of defaultProtocols(model)) {
    // prune: an ESTABLISHED packet between any two named interfaces, whatever its addresses and ports
    const any = seedConnection(model, proto, named[0]!, validSources(model)).withVar(F.IIF, ifaceSet).withVar(F.OIF, ifaceSet);
    let est = any.withConst(F.STATE, ST.ESTABLISHED).withConst(F.FLAGS, proto === 6 ? TCP.ACK : 0);
    for (const f of UNKNOWN_CONNECTION_FIELDS) est = est.withVar(f, IntervalSet.full(model.doms[f]!));
    const pruned = journey(model, branch(est), { origin: "in", state: ST.ESTABLISHED, route: { delivery: "forward", oif: null } }, BOUNDED);
    if (!pruned.some((o) => o.verdict === "DROP" || o.verdict === "REJECT")) continue;
    for (const iif of named) {
      for (const oif of named) {
        if (iif === oif || !outgoing.has(oif)) continue;
        const seed = seedConnection(model, proto, iif, validSources(model)).withSlots([[F.SPORT, clientPorts(model)]]);
        const j = { origin: "in" as const, state: ST.NEW, route: { delivery: "forward" as const, oif: { c: oif as Scalar, s: -1 } } };
        const requests = journey(model, branch(seed.withConst(F.IIF, iif)), j, BOUNDED);
        // undecided requests (an unknown match, or more splits than the bound allows): no claim
        if (requests.some((o) => o.verdict === "UNKNOWN")) continue;
        const accepted = requests.filter((o) => o.verdict === "ACCEPT" && o.delivery === "forward");
        if (accepted.length === 0 || accepted.length > MAX_ACCEPTED) continue;
        const answered = accepted.some((o) => {
          const r = replyOf(o, j, proto, model);
          // TCP: the server's data after the handshake must get back too (for a dropped reply, the reply itself)
          return journey(model, r.b, r.j, BOUNDED).some((x) => dataAfterReply(model, o, j, proto, x, BOUNDED).some((d) => d.verdict !== "DROP" && d.verdict !== "REJECT"));
        });
        if (answered) continue;
        // a concrete connection for the message: the first original tuple the accepted requests admit
        const req = accepted[0]!.b.p;
        const first = (f: number) => req.setOf(f, model.doms[f]!).first!;
        const concrete = seed
          .withConst(F.SRC, first(F.CTORIGSRC))
          .withConst(F.DST, first(F.CTORIGDST))
          .withConst(F.SPORT, first(F.CTORIGSRCPORT))
          .withConst(F.DPORT, first(F.CTORIGDSTPORT))
          .withTerms(NEW_CONNECTION_TERMS);
        out.push({ proto, from: iif, to: oif, sample: forwardedConnection(model, concrete, iif, oif, proto, RUN) });
      }
    }
  }
  return out;
}
