/**
 * The host's own traffic through the model: packets it sends out of a given interface (with their replies),
 * and packets that reach it from a neighbour on a link. Routing is fixed by the caller rather than decided
 * from the host's addresses: without `hostAddresses` every address counts as the host's, and a packet the
 * host sends to a remote address would otherwise loop back over lo.
 */
import { formatAddress } from "./addr.js";
import { branch, journey, martians, type Outcome, type RunOptions, type Step, type Verdict, toArray } from "./engine.js";
import { outsideInterfaces, seedConnection, validSources } from "./exposure.js";
import { F, ST } from "./fields.js";
import type { Model } from "./model.js";
import { IntervalSet, type Scalar } from "./sets.js";
import { packetOf, replyOf, type PacketSpec } from "./trace.js";
import { parseAddress } from "./values.js";

const RUN: RunOptions = { maxBranches: 512 };
const SETS: RunOptions = { maxBranches: 1_000_000, merge: true, paths: false };

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
 * An address of the host that a packet from outside can be sent to: the first given host address, else the
 * first address the model counts as the host's (the start of the address space, loopback and martians left out).
 */
export function hostAddress(model: Model): string | null {
  const martian = martians(model).dst;
  const zero = IntervalSet.of(martian.d, (model.family === "ipv4" ? 0 : 0n) as Scalar);
  for (const [lo, hi] of (model.layout.local as IntervalSet<Scalar>).ranges()) {
    const rest = IntervalSet.of(martian.d, lo, hi).subtract(martian).subtract(zero);
    if (!rest.isEmpty) return formatAddress(model.family, rest.first!);
  }
  return null;
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

export interface HostConnection {
  /** The request's outcomes, sent by the host out of the interface. */
  readonly request: readonly Outcome[];
  /** The replies' outcomes (ESTABLISHED, back in on the same interface) to the accepted requests. */
  readonly replies: readonly Outcome[];
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
  for (const o of request) {
    if (o.verdict !== "ACCEPT") continue;
    const r = replyOf(o, jr, proto, model);
    const b = anyServer ? r.b.withP(r.b.p.withVar(F.SRC, validSources(model))) : r.b;
    for (const x of journey(model, b, r.j, anyServer ? SETS : RUN)) replies.push(x);
  }
  return { request, replies };
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

/** The step that decided an outcome: the DROP/REJECT rule, or the chain policy. */
export function decidingStep(o: Outcome): Step | undefined {
  return toArray(o.b.path).at(-1);
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
