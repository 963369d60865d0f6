/**
 * Is a published port open to every source? The decision `decidePortExposure` reads what DOCKER-USER
 * (and the FORWARD rules before its jump) do to a new connection from an arbitrary outside address to
 * the port. It is deliberately one function with a small result type: the packet-model engine replaces
 * its inside with an exact evaluation and every caller stays the same.
 *
 * Reading rules: each condition of a rule is evaluated for the packet as yes / no / maybe. A packet from
 * "an arbitrary source" is not in any positive `-s` set and is in every `! -s` set. DNAT has already
 * happened: destination and port are the container's, `--ctorigdst`/`--ctorigdstport` see the host's.
 * Conditions the reader cannot decide (unknown matches, marks, ipsets, interfaces when the host's
 * external interfaces are not configured) are "maybe", and a port is reported open only when every way
 * through the maybes leaves it open.
 */
import { findChain, type Chain, type Option, type Rule, type Ruleset } from "../ast/iptables.js";
import { findTarget, protocolNumber } from "../catalog/index.js";
import type { ProjectFacts } from "../rule.js";
import { dockerUserRules } from "./docker-user.js";
import { interfaceMatches, isPlaceholderInterface, DOCKER_BRIDGE_NAME } from "./interfaces.js";
import type { DockerLayout, PortRange, PublishedPort } from "./layout.js";
import { parseAddress, parsePrefix, prefixContains } from "./net.js";

export type Tri = "yes" | "no" | "maybe";
export type Outcome = "open" | "blocked" | "unknown";

/** A new connection from outside to a published port, as FORWARD sees it (after DNAT). */
export interface ForwardedPacket {
  readonly protocol: string;
  /** Incoming interface, or null for "an external interface whose name is not configured". */
  readonly inInterface: string | null;
  /** Outgoing interface: the container's bridge, when known. */
  readonly outInterface: string | null;
  readonly destination: string;
  readonly destinationPort: number;
  /** Host address the client connected to; null when the port listens on every host address. */
  readonly originalDestination: string | null;
  readonly originalDestinationPort: number;
}

/** Why a DROP/REJECT (or ACCEPT) did or did not apply, for messages. */
export interface ExposureNote {
  readonly rule: Rule;
  readonly text: string;
}

export interface ExposureDecision {
  readonly outcome: Outcome;
  /** A short reason when open: what lets the packet through / why nothing restricts it. */
  readonly reason: string;
  /** Rules the message should point at. */
  readonly notes: readonly ExposureNote[];
  /** The rule that let the packet through, when one did. */
  readonly acceptedBy: Rule | null;
}

interface Verdict {
  readonly tri: Tri;
  readonly why?: string;
  /** The rule is about other traffic altogether (another port or protocol): not worth a note. */
  readonly unrelated?: boolean;
}

const YES: Verdict = { tri: "yes" };
const MAYBE: Verdict = { tri: "maybe" };
const no = (why: string): Verdict => ({ tri: "no", why });
const unrelated = (why: string): Verdict => ({ tri: "no", why, unrelated: true });
const flip = (v: Verdict, negated: boolean, why: string): Verdict => (!negated ? v : v.tri === "yes" ? no(why) : v.tri === "no" ? YES : MAYBE);

function portIn(list: string, port: number): boolean {
  return list.split(",").some((p) => {
    const m = /^(\d*)(?::(\d*))?$/.exec(p.trim());
    if (!m) return false;
    const lo = m[1] === "" ? 0 : Number(m[1]);
    const hi = m[2] === undefined ? lo : m[2] === "" ? 65535 : Number(m[2]);
    return port >= lo && port <= hi;
  });
}

function addressIn(values: string, address: string): Tri {
  const a = parsePrefix(address);
  if (!a) return "maybe";
  let sawUnknown = false;
  for (const v of values.split(",")) {
    const p = parsePrefix(v);
    if (!p) {
      sawUnknown = true;
      continue;
    }
    if (prefixContains(p, a)) return "yes";
  }
  return sawUnknown ? "maybe" : "no";
}

function rangeContains(range: string, address: string): Tri {
  const [lo, hi] = range.split("-");
  const a = parseAddress(address);
  const l = lo ? parseAddress(lo) : null;
  const h = hi ? parseAddress(hi) : l;
  if (!a || !l || !h || a.family !== l.family) return "maybe";
  return a.value >= l.value && a.value <= h.value ? "yes" : "no";
}

/** Every address of an address list is /0: the condition covers every source. */
const coversAll = (values: string) => values.split(",").some((v) => parsePrefix(v)?.length === 0);

const protoName = (p: string) => {
  const n = protocolNumber(p);
  return n === 6 ? "tcp" : n === 17 ? "udp" : n === 132 ? "sctp" : p.toLowerCase();
};

class Reader {
  constructor(
    private readonly layout: DockerLayout,
    private readonly pkt: ForwardedPacket,
  ) {}

  private isBridge(name: string): boolean {
    return this.layout.bridges.has(name) || DOCKER_BRIDGE_NAME.test(name) || /^(?:docker\+|br-\+)$/.test(name);
  }

  private inInterface(o: Option): Verdict {
    const name = o.valueText(0) ?? "";
    let v: Verdict;
    if (o.valueDynamic(0)) v = MAYBE;
    else if (isPlaceholderInterface(name)) v = no(`it only matches interface ${name}, which no host has`);
    else if (this.pkt.inInterface !== null) v = interfaceMatches(name, this.pkt.inInterface) ? YES : no(`it only matches packets arriving on ${name}`);
    else if (name === "lo" || this.isBridge(name)) v = no(`it only matches packets arriving on ${name}`);
    else v = MAYBE;
    return flip(v, o.negated, `it excludes packets arriving on ${name}`);
  }

  private outInterface(o: Option): Verdict {
    const name = o.valueText(0) ?? "";
    let v: Verdict;
    if (this.pkt.outInterface !== null) v = interfaceMatches(name, this.pkt.outInterface) ? YES : no(`it only matches packets leaving through ${name}`);
    else v = this.isBridge(name) || isPlaceholderInterface(name) ? MAYBE : no(`it only matches packets leaving through ${name}`);
    return flip(v, o.negated, `it excludes packets leaving through ${name}`);
  }

  private source(o: Option, what: string): Verdict {
    const values = o.valueText(0) ?? "";
    if (coversAll(values)) return o.negated ? no(`${what} ! ${values} matches no source`) : YES;
    if (values.split(",").some((v) => !parsePrefix(v))) return MAYBE;
    return o.negated ? YES : no(`it only matches sources in ${values}`);
  }

  private criterion(o: Option): Verdict {
    const value = o.valueText(0) ?? "";
    switch (o.name) {
      case "-s":
        return this.source(o, "-s");
      case "-d": {
        const t = addressIn(value, this.pkt.destination);
        const why =
          this.pkt.originalDestination && addressIn(value, this.pkt.originalDestination) === "yes"
            ? `it matches -d ${value}, the host address, but after DNAT the destination is ${this.pkt.destination}`
            : `it only matches destination ${value}`;
        return flip(t === "yes" ? YES : t === "no" ? no(why) : MAYBE, o.negated, `it excludes destination ${value}`);
      }
      case "-i":
        return this.inInterface(o);
      case "-o":
        return this.outInterface(o);
      case "-p": {
        const p = value.toLowerCase();
        const yes = p === "all" || p === "0" || protoName(p) === this.pkt.protocol;
        return flip(yes ? YES : unrelated(`it only matches protocol ${value}`), o.negated, `it excludes protocol ${value}`);
      }
      case "-f":
        return o.negated ? YES : no("it only matches fragments");
      case "-c":
        return YES;
      default:
        return MAYBE;
    }
  }

  private option(module: string, o: Option): Verdict {
    const value = o.valueText(0) ?? "";
    switch (o.name) {
      case "--dport":
      case "--dports":
      case "--destination-ports": {
        if (portIn(value, this.pkt.destinationPort)) return flip(YES, o.negated, `it excludes destination port ${value}`);
        const why = portIn(value, this.pkt.originalDestinationPort)
          ? `it matches ${o.name} ${value}, the host port, but after DNAT the destination port is ${this.pkt.destinationPort}`
          : null;
        return flip(why ? no(why) : unrelated(`it only matches destination port ${value}`), o.negated, "");
      }
      case "--ports":
        return portIn(value, this.pkt.destinationPort) ? flip(YES, o.negated, `it excludes port ${value}`) : MAYBE;
      case "--syn":
        return flip(this.pkt.protocol === "tcp" ? YES : no("it only matches TCP"), o.negated, "it excludes connection openings (! --syn)");
      case "--ctstate":
      case "--state": {
        const states = value.toUpperCase().split(",");
        const yes = states.includes("NEW") || states.includes("DNAT");
        return flip(yes ? YES : no(`it only matches ${o.name} ${value}, not new connections`), o.negated, `it excludes ${o.name} ${value}`);
      }
      case "--ctdir":
        return value.toUpperCase() === "ORIGINAL" ? YES : no("it only matches replies");
      case "--ctproto": {
        const yes = protoName(value) === this.pkt.protocol;
        return flip(yes ? YES : no(`it only matches protocol ${value}`), o.negated, `it excludes protocol ${value}`);
      }
      case "--ctorigsrc":
        return this.source(o, "--ctorigsrc");
      case "--ctorigdst": {
        if (this.pkt.originalDestination === null) return coversAll(value) ? flip(YES, o.negated, "") : MAYBE;
        const t = addressIn(value, this.pkt.originalDestination);
        return flip(t === "yes" ? YES : t === "no" ? no(`it only matches original destination ${value}`) : MAYBE, o.negated, `it excludes original destination ${value}`);
      }
      case "--ctreplsrc": {
        const t = addressIn(value, this.pkt.destination);
        return flip(t === "yes" ? YES : t === "no" ? no(`it only matches reply source ${value}`) : MAYBE, o.negated, `it excludes reply source ${value}`);
      }
      case "--ctorigdstport":
        return flip(portIn(value, this.pkt.originalDestinationPort) ? YES : no(`it only matches original destination port ${value}`), o.negated, `it excludes original destination port ${value}`);
      case "--ctreplsrcport":
        return flip(portIn(value, this.pkt.destinationPort) ? YES : no(`it only matches reply source port ${value}`), o.negated, `it excludes port ${value}`);
      case "--src-range":
        return o.negated ? YES : no(`it only matches sources in ${value}`);
      case "--dst-range": {
        const t = rangeContains(value, this.pkt.destination);
        return flip(t === "yes" ? YES : t === "no" ? no(`it only matches destinations in ${value}`) : MAYBE, o.negated, `it excludes destinations in ${value}`);
      }
      case "--dst-type":
        if (module === "addrtype" && value.toUpperCase() === "LOCAL") return flip(no("it only matches packets for the host itself"), o.negated, "");
        return MAYBE;
      case "--comment":
        return YES;
      default:
        return MAYBE;
    }
  }

  /**
   * The conditions that do not depend on which published port the packet is for (source, incoming
   * interface, state): when they already say "no", the rule is skipped for every port at once.
   */
  private staticVerdict(rule: Rule): Verdict {
    const key = this.pkt.inInterface ?? "";
    let perIface = STATIC.get(rule);
    if (!perIface) STATIC.set(rule, (perIface = new Map()));
    let v = perIface.get(key);
    if (v === undefined) {
      v = YES;
      for (const o of rule.criteria) if ((o.name === "-s" || o.name === "-i" || o.name === "-f") && (v = this.criterion(o)).tri === "no") break;
      if (v.tri !== "no") {
        for (const m of rule.matches) for (const o of m.options) if (STATIC_OPTIONS.has(o.name) && (v = this.option(m.module, o)).tri === "no") break;
      }
      if (v.tri !== "no") v = YES;
      perIface.set(key, v);
    }
    return v;
  }

  /** Does the rule match the packet? A rule about other traffic altogether (port, protocol) is "unrelated". */
  matches(rule: Rule): Verdict {
    const s = this.staticVerdict(rule);
    if (s.tri === "no") return s;
    const verdicts: Verdict[] = [];
    for (const o of rule.criteria) verdicts.push(this.criterion(o));
    for (const m of rule.matches) {
      const proto = ["tcp", "udp", "sctp", "udplite"].includes(m.module);
      if (proto && m.module !== this.pkt.protocol) verdicts.push(unrelated(`it only matches ${m.module}`));
      else for (const o of m.options) verdicts.push(this.option(m.module, o));
    }
    const nos = verdicts.filter((v) => v.tri === "no");
    if (nos.length) return nos.find((v) => v.unrelated) ?? nos[0]!;
    if (rule.orphans.length || rule.strays.length || verdicts.some((v) => v.tri === "maybe")) return MAYBE;
    return YES;
  }
}

const STATIC = new WeakMap<Rule, Map<string, Verdict>>();
const STATIC_OPTIONS = new Set(["--ctstate", "--state", "--src-range", "--ctorigsrc", "--ctdir"]);

type Action = "accept" | "drop" | "return" | "continue" | "unknown" | { call: Chain; goto: boolean };

function action(ruleset: Ruleset, rule: Rule): Action {
  const t = rule.target;
  if (!t) return "continue";
  switch (t.name) {
    case "ACCEPT":
      return "accept";
    case "DROP":
    case "REJECT":
      return "drop";
    case "RETURN":
      return "return";
  }
  const chain = findChain(ruleset, "filter", t.name);
  if (chain && !chain.builtin && t.spec === undefined) return { call: chain, goto: t.goto };
  const spec = findTarget(t.name, ruleset.family)?.spec;
  return spec?.verdict === "continue" ? "continue" : "unknown";
}

const BUDGET = 20_000;

/**
 * Walk FORWARD for `pkt` from the top. Docker's own FORWARD rules (after DOCKER-USER) accept published
 * ports, so reaching one of them, or the end of FORWARD, counts as open.
 */
export function walkForward(ruleset: Ruleset, layout: DockerLayout, pkt: ForwardedPacket, notes: ExposureNote[]): { outcome: Outcome; acceptedBy: Rule | null } {
  const reader = new Reader(layout, pkt);
  const forward = findChain(ruleset, "filter", "FORWARD");
  let steps = 0;
  let acceptedBy: Rule | null = null;
  const noted = new Set<Rule>();
  const note = (rule: Rule, text: string) => {
    if (!noted.has(rule)) {
      noted.add(rule);
      notes.push({ rule, text });
    }
  };
  // Each (chain, position, continuation) is evaluated once: "maybe" rules branch, and without this the
  // branches would multiply.
  const seen = new Map<() => Outcome, Map<string, Outcome>>();
  const walk = (chain: Chain, start: number, depth: number, onReturn: () => Outcome): Outcome => {
    let byState = seen.get(onReturn);
    if (!byState) seen.set(onReturn, (byState = new Map()));
    const key = `${chain.table}\0${chain.name}\0${start}`;
    const done = byState.get(key);
    if (done !== undefined) return done;
    const result = walkFrom(chain, start, depth, onReturn);
    byState.set(key, result);
    return result;
  };
  const continuation = (chain: Chain, i: number, depth: number, onReturn: () => Outcome) => {
    // One function object per (chain, next position, caller's continuation), so that memoised states line up.
    const key = `${chain.table}\0${chain.name}\0${i}\0${depth}`;
    let per = contsByReturn.get(onReturn);
    if (!per) contsByReturn.set(onReturn, (per = new Map()));
    let f = per.get(key);
    if (!f) per.set(key, (f = () => walk(chain, i, depth, onReturn)));
    return f;
  };
  const contsByReturn = new Map<() => Outcome, Map<string, () => Outcome>>();
  const walkFrom = (chain: Chain, start: number, depth: number, onReturn: () => Outcome): Outcome => {
    for (let i = start; i < chain.rules.length; i++) {
      if (++steps > BUDGET || depth > 16) return "unknown";
      const rule = chain.rules[i]!;
      if (chain === forward && rule.target?.name !== "DOCKER-USER" && layout.dockerRules.has(rule)) return "open";
      const m = reader.matches(rule);
      const act = action(ruleset, rule);
      if (m.tri === "no") {
        if (act === "drop" && m.why && !m.unrelated) note(rule, m.why);
        continue;
      }
      const next = continuation(chain, i + 1, depth, onReturn);
      let taken: () => Outcome;
      if (act === "continue") continue;
      else if (act === "accept") taken = () => ((acceptedBy ??= rule), "open");
      else if (act === "drop") taken = () => "blocked";
      else if (act === "return") taken = () => (chain === forward ? "open" : onReturn());
      else if (act === "unknown") taken = () => "unknown";
      else {
        const { call, goto } = act;
        taken = () => walk(call, 0, depth + 1, goto ? onReturn : next);
      }
      if (m.tri === "yes") return taken();
      const a = taken();
      const b = next();
      return a === b ? a : "unknown";
    }
    return chain === forward ? "open" : onReturn();
  };
  // A script that only adds to DOCKER-USER runs on a host where dockerd already jumps to it first.
  const start = layout.userJumps.length === 0 && layout.userChain?.declaredBy === "implicit" ? layout.userChain : forward;
  if (!start) return { outcome: "unknown", acceptedBy: null };
  return { outcome: walk(start, 0, 0, () => "open"), acceptedBy };
}

function packetsFor(port: PublishedPort, facts: ProjectFacts): ForwardedPacket[] {
  const base = {
    protocol: port.protocol,
    outInterface: port.bridge,
    destination: port.containerAddress,
    destinationPort: port.containerPort.from,
    originalDestination: port.hostAddress,
    originalDestinationPort: port.hostPort.from,
  };
  const ifaces = facts.externalInterfaces?.length ? facts.externalInterfaces : [null];
  return ifaces.map((inInterface) => ({ ...base, inInterface }));
}

/**
 * The decision behind docker-user-unrestricted: can a new connection from an arbitrary outside source
 * reach `port`? "open" only when certain; "unknown" when the rules depend on something not in the file.
 */
export function decidePortExposure(ruleset: Ruleset, layout: DockerLayout, port: PublishedPort, facts: ProjectFacts = {}): ExposureDecision {
  const notes: ExposureNote[] = [];
  if (layout.userChain === null) return { outcome: "open", reason: "there is no DOCKER-USER chain to restrict it", notes, acceptedBy: null };
  if (!layout.userJumps.length && layout.userChain.declaredBy !== "implicit") return { outcome: "open", reason: "FORWARD never jumps to DOCKER-USER, so its rules do not run", notes, acceptedBy: null };
  let outcome: Outcome | null = null;
  let acceptedBy: Rule | null = null;
  for (const pkt of packetsFor(port, facts)) {
    const r = walkForward(ruleset, layout, pkt, notes);
    acceptedBy ??= r.acceptedBy;
    outcome = outcome === null || outcome === r.outcome ? r.outcome : outcome === "open" || r.outcome === "open" ? "open" : "unknown";
  }
  const users = dockerUserRules(layout);
  for (const u of users) {
    if (!u.reachable && (u.rule.target?.name === "DROP" || u.rule.target?.name === "REJECT")) {
      notes.push({ rule: u.rule, text: `it never runs: the ${u.endedBy!.target!.name} on line ${u.endedBy!.span.line} ends DOCKER-USER first` });
    }
  }
  const restricting = users.filter((u) => u.rule.target?.name === "DROP" || u.rule.target?.name === "REJECT");
  let reason: string;
  if (acceptedBy) reason = `line ${(acceptedBy as Rule).span.line} accepts it`;
  else if (users.length === 0) reason = "DOCKER-USER is empty";
  else if (restricting.length === 0) reason = "DOCKER-USER has no DROP or REJECT rule";
  else reason = "no DROP or REJECT in DOCKER-USER applies to it";
  return { outcome: outcome ?? "unknown", reason, notes, acceptedBy };
}

/** Port ranges overlap. */
export function rangesOverlap(a: PortRange, b: PortRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}
