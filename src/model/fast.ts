/**
 * The concrete path of `fwlint trace`: the same traversal as the symbolic engine (engine.ts `journey`,
 * trace.ts `trace`) for a packet whose rules never cut a variable into parts, written for speed: the packet's
 * terms are changed in place instead of copied per step, the path is kept as its JSON text, and the result is
 * written as JSON directly (exactly the text of `traceResultJson(trace(model, spec).result)`).
 *
 * A packet still has variables (a source port left out is any ephemeral port; an established packet's
 * conntrack tuple is unknown; MASQUERADE picks one of the host's addresses): a rule that tests such a field
 * either holds for every value it may take or for none, or the packet leaves this path. Matches the model
 * cannot know (statistic, limit, …) are followed both ways as the engine does, in the engine's order, with
 * the same assumptions and the same branch budget. Whenever a rule, a route or a martian test would cut a
 * variable into parts, `traceJson` returns null and the caller traces the packet symbolically: this path
 * never decides anything the symbolic engine would not decide the same way.
 */
import { protocolNumber } from "../catalog/index.js";
import type { Action, CompiledMatch } from "./compile.js";
import { martians, masqueradeSources, unroutedInterfaces, type Cons, type Delivery, type Verdict } from "./engine.js";
import { F, FIELD_COUNT, NEW_CONNECTION_TERMS, ST, STATE_NAMES, TCP } from "./fields.js";
import { bridgeFor } from "./layout.js";
import { candidates, type CChain, type KRule, type Model } from "./model.js";
import { IntervalSet, PORTS, U32, type Domain, type Scalar } from "./sets.js";
import { formatTerm, sameTerm, unknownText, type PacketSpec } from "./trace.js";
import { parseAddress, parseIcmpType } from "./values.js";

type AnySet = IntervalSet<Scalar>;

/** A packet of the concrete path: a Sym's terms (constant or variable per field), changed in place. */
export class FPacket {
  constructor(
    /** Constant value per field (meaningful when `s[f] < 0`). */
    public c: Scalar[],
    /** Variable (slot) per field, or -1 for a constant. */
    public s: number[],
    /** Set per slot; undefined = the slot's whole domain. Sets are never narrowed on this path. */
    public cube: (AnySet | undefined)[],
    public doms: Domain<Scalar>[],
  ) {}
  clone(): FPacket {
    return new FPacket(this.c.slice(), this.s.slice(), this.cube.slice(), this.doms.slice());
  }
  value(f: number): Scalar | undefined {
    const slot = this.s[f]!;
    if (slot < 0) return this.c[f];
    const set = this.cube[slot];
    return set ? set.single : undefined;
  }
  setOf(f: number, d: Domain<Scalar>): AnySet {
    const slot = this.s[f]!;
    if (slot < 0) return IntervalSet.of(d, this.c[f]!);
    return this.cube[slot] ?? IntervalSet.full(this.doms[slot]!);
  }
  setConst(f: number, v: Scalar): void {
    this.c[f] = v;
    this.s[f] = -1;
  }
  /** Field `f` becomes a fresh variable over `set` (a constant when it has one value), as Sym.withVar. */
  setVar(f: number, set: AnySet): void {
    const one = set.single;
    if (one !== undefined) return this.setConst(f, one);
    this.s[f] = this.cube.length;
    this.cube.push(set.isFull ? undefined : set);
    this.doms.push(set.d);
  }
  /** A fresh variable over a whole domain (with more than one value). */
  setVarFull(f: number, d: Domain<Scalar>): void {
    this.s[f] = this.cube.length;
    this.cube.push(undefined);
    this.doms.push(d);
  }
  /** Field `f` takes the term of field `g` of `from`. */
  copyTerm(f: number, from: FPacket, g: number): void {
    this.c[f] = from.c[g]!;
    this.s[f] = from.s[g]!;
  }
  setTerm(f: number, t: Term): void {
    this.c[f] = t.c;
    this.s[f] = t.s;
  }
}

/** A field's term (constant or variable) taken from another packet. */
interface Term {
  readonly c: Scalar;
  readonly s: number;
}
const termOf = (p: FPacket, f: number): Term => ({ c: p.c[f]!, s: p.s[f]! });

interface Assumption {
  readonly krule: KRule;
  readonly holds: boolean;
}

/** One packet on its way. Owned by one walk at a time: changed in place, copied when a match forks it. */
class FBranch {
  constructor(
    public p: FPacket,
    /** The path as JSON: the entries joined with commas, without the brackets. */
    public path: string,
    public assume: Cons<Assumption> | null,
    public notrack: boolean,
  ) {}
  fork(): FBranch {
    return new FBranch(this.p.clone(), this.path, this.assume, this.notrack);
  }
  step(json: string): void {
    this.path = this.path === "" ? json : `${this.path},${json}`;
  }
}

interface FExit {
  readonly b: FBranch;
  readonly ret: boolean;
  readonly verdict: Verdict;
}

interface FJourney {
  readonly origin: "in" | "local";
  readonly state: number;
  readonly manip?: { readonly pre: readonly (readonly [number, Term])[]; readonly post: readonly (readonly [number, Term])[] };
  readonly route?: { readonly delivery: Delivery; readonly oif: Term | null };
}

interface FOutcome {
  readonly b: FBranch;
  readonly verdict: Verdict;
  readonly delivery: Delivery | null;
}

/** Evaluation of a rule's match: no packet value matches, every one does, unknown (both ways), or a cut. */
const NO = 0;
const YES = 1;
const FORK = 2;
const CUT = 3;

/** Thrown to leave the concrete path (caught in traceJson). */
class Cut {}
const CUT_SIGNAL = new Cut();

const HOOK_TABLES = {
  INPUT: ["mangle", "filter", "security", "nat"],
  FORWARD: ["mangle", "filter", "security"],
  POSTROUTING: ["mangle", "nat"],
} as const;

const EPHEMERAL: [number, number] = [32768, 60999];

/** `a` ⊆ `c` for normalized interval bounds (what IntervalSet.isSubsetOf answers, without a copy). */
function within(a: readonly Scalar[], c: readonly Scalar[]): boolean {
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    const lo = a[i]!;
    const hi = a[i + 1]!;
    while (j < c.length && c[j + 1]! < lo) j += 2;
    if (j >= c.length || c[j]! > lo || c[j + 1]! < hi) return false;
  }
  return true;
}

const q = (s: string) => JSON.stringify(s);
const VERDICT_JSON: Readonly<Record<Verdict, string>> = { ACCEPT: q("ACCEPT"), DROP: q("DROP"), REJECT: q("REJECT"), UNKNOWN: q("UNKNOWN") };
const MARTIAN_SRC = JSON.stringify({ table: "routing", chain: "martian source", line: null, target: "DROP" });
const MARTIAN_DST = JSON.stringify({ table: "routing", chain: "martian destination", line: null, target: "DROP" });

function agree<T>(xs: readonly T[], fallback: T): T {
  if (xs.length === 0) return fallback;
  const x0 = xs[0]!;
  for (let k = 1; k < xs.length; k++) if (xs[k] !== x0) return fallback;
  return x0;
}

/** Counts of a tracer: packets answered on the concrete path, and packets left to the symbolic engine. */
export interface FastStats {
  fast: number;
  fallback: number;
}

/** The concrete path for one model (its caches live as long as the model). */
export class FastTracer {
  readonly stats: FastStats = { fast: 0, fallback: 0 };
  private readonly none: number;
  private readonly lo: number;
  private readonly ruleJson: (string | undefined)[] = [];
  private readonly policyJson = new Map<CChain, string>();
  private readonly ifaceClass = new Map<string, number>();
  private readonly protocols = new Map<string, number | undefined>();
  private readonly ephemeral: AnySet;
  // Per journey.
  private budget = 0;
  private out: string | undefined = undefined;
  private outcomes: FOutcome[] = [];
  /** Scratch lists per depth: continuing branches, and exits of a jump's run. */
  private readonly conts: FBranch[][] = [];
  private readonly subs: FExit[][] = [];
  private readonly stacks: { b: FBranch[]; i: number[]; c: (Int32Array | null)[] }[] = [];

  constructor(readonly model: Model) {
    this.none = model.ifaces.classOf("");
    this.lo = model.ifaces.classOf("lo");
    this.ephemeral = IntervalSet.of(PORTS, EPHEMERAL[0], EPHEMERAL[1]) as unknown as AnySet;
  }

  /**
   * The JSON line of `trace(model, spec).result` (as traceResultJson writes it), or null when the packet
   * must be traced symbolically (a variable would be cut, or the spec is not a valid packet).
   */
  traceJson(spec: PacketSpec): string | null {
    let r: string | null;
    try {
      r = this.traceOne(spec);
    } catch (err) {
      if (err !== CUT_SIGNAL) throw err;
      r = null;
    }
    if (r === null) this.stats.fallback++;
    else this.stats.fast++;
    return r;
  }

  private classOf(name: string): number {
    let k = this.ifaceClass.get(name);
    if (k === undefined) this.ifaceClass.set(name, (k = this.model.ifaces.classOf(name)));
    return k;
  }

  private ruleEntry(ch: CChain, r: KRule): string {
    let t = this.ruleJson[r.id];
    if (t === undefined) this.ruleJson[r.id] = t = JSON.stringify({ table: ch.table, chain: ch.name, line: r.line, target: r.targetText || "(no target)" });
    return t;
  }

  private policyEntry(ch: CChain): string {
    let t = this.policyJson.get(ch);
    if (t === undefined) this.policyJson.set(ch, (t = JSON.stringify({ table: ch.table, chain: ch.name, line: null, target: ch.policy })));
    return t;
  }

  // ── the packet ──

  /** packetOf (trace.ts) on the concrete path; null for a spec it refuses (the symbolic path says why). */
  private packetOf(spec: PacketSpec): { p: FPacket; j: FJourney; proto: number } | null {
    const model = this.model;
    const fam = model.family;
    const src = parseAddress(spec.src, fam);
    const dst = parseAddress(spec.dst, fam);
    if (src === null || dst === null) return null;
    const protoText = spec.proto === undefined ? "tcp" : String(spec.proto);
    let proto = this.protocols.get(protoText);
    if (proto === undefined && !this.protocols.has(protoText)) this.protocols.set(protoText, (proto = protocolNumber(protoText)));
    if (proto === undefined || proto === 0) return null;
    const state = STATE_NAMES.indexOf((spec.state ?? "NEW").toUpperCase() as (typeof STATE_NAMES)[number]);
    if (state < 0) return null;
    const sport = spec.sport;
    const dport = spec.dport;
    if (sport !== undefined && (!Number.isInteger(sport) || sport < 0 || sport > 65535)) return null;
    if (dport !== undefined && (!Number.isInteger(dport) || dport < 0 || dport > 65535)) return null;
    const local = spec.in === undefined || spec.in === null || spec.in === "";
    const c: Scalar[] = new Array<Scalar>(FIELD_COUNT).fill(0);
    const s: number[] = new Array<number>(FIELD_COUNT).fill(-1);
    c[F.SRC] = src;
    c[F.DST] = dst;
    c[F.PROTO] = proto;
    c[F.IIF] = this.classOf(local ? "" : spec.in!);
    c[F.OIF] = this.none;
    c[F.STATE] = state;
    c[F.MARK] = (spec.mark ?? 0) >>> 0;
    c[F.FLAGS] = proto === 6 ? (state === ST.NEW ? TCP.SYN : TCP.ACK) : 0;
    if (proto === 1 || proto === 58) {
      const t = parseIcmpType(spec.icmpType ?? "echo-request", fam);
      if (!t || t[0] < 0) return null;
      c[F.ICMP] = t[0] * 256 + t[1];
    }
    const p = new FPacket(c, s, [], []);
    if (ported(proto)) {
      if (sport !== undefined) p.setConst(F.SPORT, sport);
      else p.setVar(F.SPORT, this.ephemeral);
      if (dport !== undefined) p.setConst(F.DPORT, dport);
      else p.setVarFull(F.DPORT, PORTS as unknown as Domain<Scalar>);
    }
    if (state === ST.NEW) {
      for (const [f, g] of NEW_CONNECTION_TERMS) p.copyTerm(f, p, g);
    } else {
      for (const f of UNKNOWN_CONNECTION) p.setVarFull(f, model.doms[f]!);
    }
    return { p, j: { origin: local ? "local" : "in", state }, proto };
  }

  // ── one rule ──

  /** evalMatch (sym.ts) for a packet that must not be cut: NO, YES, FORK (unknown: both ways) or CUT. */
  private evalRule(p: FPacket, m: CompiledMatch): number {
    if (m.never !== null) return NO;
    const sets = m.sets;
    const c = p.c;
    const s = p.s;
    let cut = false;
    for (let k = 0; k < sets.length; k++) {
      const t = sets[k]!;
      const slot = s[t.f]!;
      if (slot < 0) {
        if (!t.set.has(c[t.f]!)) return NO;
        continue;
      }
      const cur = p.cube[slot];
      if (cur) {
        if (!cur.intersects(t.set)) return NO;
        if (!within(cur.b, t.set.b)) cut = true;
      } else if (t.set.b.length === 0) return NO;
      else if (!t.set.isFull) cut = true;
    }
    let unknown = m.unknown.length > 0;
    const fns = m.fns;
    for (let k = 0; k < fns.length; k++) {
      const t = fns[k]!;
      let vals: readonly Scalar[] = c;
      let exact = true;
      for (const f of t.reads) {
        if (s[f]! < 0) continue;
        const v = p.value(f);
        if (v === undefined) {
          exact = false;
          break;
        }
        if (vals === c) vals = c.slice();
        (vals as Scalar[])[f] = v;
      }
      if (!exact) {
        unknown = true;
        continue;
      }
      const r = t.test(vals);
      if (r === false) return NO;
      if (r === undefined) unknown = true;
    }
    if (cut) return CUT;
    return unknown ? FORK : YES;
  }

  // ── chains ──

  private candidatesFor(ch: CChain, p: FPacket): Int32Array | null {
    if (ch.rules.length < 24) return null;
    const ix = this.model.indexOf(ch);
    if (!ix) return null;
    const v = p.s[ix.field]! < 0 ? p.c[ix.field]! : p.value(ix.field);
    return v === undefined ? null : candidates(ix, v);
  }

  /** Runner.walk (engine.ts) without merging or visits: the same exits in the same order. */
  private walk(ch: CChain, start: FBranch, depth: number, out: FExit[]): void {
    if (depth > 64) {
      out.push({ b: start, ret: false, verdict: "UNKNOWN" });
      return;
    }
    const rules = ch.rules;
    const n = rules.length;
    // Work items (a branch and the first rule position it has not seen), per depth: a walk's stack is empty
    // when it ends, and a jump's walk is one level deeper.
    const st = (this.stacks[depth] ??= { b: [], i: [], c: [] });
    const stackB = st.b;
    const stackI = st.i;
    const stackC = st.c;
    stackB.length = stackI.length = stackC.length = 0;
    let first: FBranch | null = start;
    const firstC = this.candidatesFor(ch, start.p);
    const cont = (this.conts[depth] ??= []);
    const push = (b: FBranch, from: number) => {
      stackB.push(b);
      stackI.push(from);
      stackC.push(this.candidatesFor(ch, b.p));
    };
    while (first !== null || stackB.length > 0) {
      let b: FBranch;
      let from: number;
      let cand: Int32Array | null;
      if (first !== null) {
        b = first;
        from = 0;
        cand = firstC;
        first = null;
      } else {
        b = stackB.pop()!;
        from = stackI.pop()!;
        cand = stackC.pop()!;
      }
      let ci = 0;
      if (cand) {
        let lo = 0;
        let hi = cand.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cand[mid]! < from) lo = mid + 1;
          else hi = mid;
        }
        ci = lo;
      }
      let pos = cand ? (ci < cand.length ? cand[ci]! : n) : from;
      let alive = true;
      while (pos < n) {
        const r = rules[pos]!;
        const res = this.evalRule(b.p, r.match);
        if (res === YES) {
          cont.length = 0;
          this.act(ch, r, b, cont, out, depth);
          if (cont.length === 0) {
            alive = false;
            break;
          }
          b = cont[0]!;
          for (let k = 1; k < cont.length; k++) push(cont[k]!, pos + 1);
        } else if (res === FORK) {
          this.budget -= 1;
          if (this.budget < 0) {
            out.push({ b, ret: false, verdict: "UNKNOWN" });
            alive = false;
            break;
          }
          const nb = b.fork();
          nb.assume = { head: { krule: r, holds: false }, tail: nb.assume };
          push(nb, pos + 1);
          b.assume = { head: { krule: r, holds: true }, tail: b.assume };
          cont.length = 0;
          this.act(ch, r, b, cont, out, depth);
          for (let k = 0; k < cont.length; k++) push(cont[k]!, pos + 1);
          alive = false;
          break;
        } else if (res === CUT) throw CUT_SIGNAL;
        if (cand) {
          ci++;
          pos = ci < cand.length ? cand[ci]! : n;
        } else pos++;
      }
      if (!alive) continue;
      if (ch.builtin) {
        b.step(this.policyEntry(ch));
        out.push({ b, ret: false, verdict: ch.policy });
      } else out.push({ b, ret: true, verdict: "ACCEPT" });
    }
  }

  /** Runner.act (engine.ts). */
  private act(ch: CChain, r: KRule, b: FBranch, next: FBranch[], out: FExit[], depth: number): void {
    const a: Action = r.action;
    if (!(a.t === "continue" && a.name === null)) b.step(this.ruleEntry(ch, r));
    switch (a.t) {
      case "verdict":
        out.push({ b, ret: false, verdict: a.v });
        return;
      case "return":
        if (ch.builtin) {
          b.step(this.policyEntry(ch));
          out.push({ b, ret: false, verdict: ch.policy });
        } else out.push({ b, ret: true, verdict: "ACCEPT" });
        return;
      case "continue":
        next.push(b);
        return;
      case "unknown":
        out.push({ b, ret: false, verdict: "UNKNOWN" });
        return;
      case "notrack":
        b.notrack = true;
        next.push(b);
        return;
      case "mark":
      case "connmark-set":
      case "connmark-save":
      case "connmark-restore":
        applyMark(b.p, a);
        next.push(b);
        return;
      case "jump": {
        const target = r.jumpTarget;
        if (!target) {
          out.push({ b, ret: false, verdict: "UNKNOWN" });
          return;
        }
        const sub = (this.subs[depth] ??= []);
        sub.length = 0;
        this.walk(target, b, depth + 1, sub);
        for (let k = 0; k < sub.length; k++) {
          const e = sub[k]!;
          if (e.ret) {
            if (a.goto) {
              if (ch.builtin) {
                e.b.step(this.policyEntry(ch));
                out.push({ b: e.b, ret: false, verdict: ch.policy });
              } else out.push(e);
            } else next.push(e.b);
          } else out.push(e);
        }
        sub.length = 0;
        return;
      }
      case "dnat":
      case "snat":
      case "masquerade":
      case "redirect":
        this.nat(b.p, a, ch);
        out.push({ b, ret: false, verdict: "ACCEPT" });
        return;
    }
  }

  /** Runner.nat (engine.ts), in place. */
  private nat(p: FPacket, a: Extract<Action, { t: "dnat" | "snat" | "masquerade" | "redirect" }>, ch: CChain): void {
    const m = this.model;
    const ad = m.doms[F.SRC]!;
    const pd = m.doms[F.SPORT]!;
    const natted = (bit: number) => {
      const v = p.value(F.NATTED);
      if (v !== undefined) p.setConst(F.NATTED, Number(v) | bit);
    };
    const setOrConst = (f: number, lo: Scalar, hi: Scalar, d: Domain<Scalar>) => (lo === hi ? p.setConst(f, lo) : p.setVar(f, IntervalSet.of(d, lo, hi)));
    if (a.t === "dnat" && a.to.addr && a.to.addr[0] === a.to.addr[1] && (!a.to.port || a.to.port[0] === a.to.port[1])) {
      const nv = p.value(F.NATTED);
      if (!a.to.port) p.copyTerm(F.CTREPLSRCPORT, p, F.DPORT);
      p.setConst(F.DST, a.to.addr[0]);
      p.setConst(F.CTREPLSRC, a.to.addr[0]);
      if (a.to.port) {
        p.setConst(F.DPORT, a.to.port[0]);
        p.setConst(F.CTREPLSRCPORT, a.to.port[0]);
      }
      if (nv !== undefined) p.setConst(F.NATTED, Number(nv) | 2);
      return;
    }
    if (a.t === "dnat" || a.t === "redirect") {
      if (a.t === "dnat") {
        if (a.to.addr) setOrConst(F.DST, a.to.addr[0], a.to.addr[1], ad);
        if (a.to.port) setOrConst(F.DPORT, a.to.port[0], a.to.port[1], pd);
      } else {
        const loopback = m.family === "ipv4" ? IntervalSet.of(ad, 0x7f000001) : IntervalSet.of(ad, 1n);
        p.setVar(F.DST, ch.name === "OUTPUT" ? loopback : (m.layout.local as IntervalSet<Scalar>).subtract(loopback));
        if (a.ports) setOrConst(F.DPORT, a.ports[0], a.ports[1], pd);
      }
      p.copyTerm(F.CTREPLSRC, p, F.DST);
      p.copyTerm(F.CTREPLSRCPORT, p, F.DPORT);
      natted(2);
      return;
    }
    if (a.t === "snat") {
      if (a.to.addr) setOrConst(F.SRC, a.to.addr[0], a.to.addr[1], ad);
      if (a.to.port) setOrConst(F.SPORT, a.to.port[0], a.to.port[1], pd);
    } else {
      p.setVar(F.SRC, masqueradeSources(m));
      if (a.ports) setOrConst(F.SPORT, a.ports[0], a.ports[1], pd);
    }
    p.copyTerm(F.CTREPLDST, p, F.SRC);
    p.copyTerm(F.CTREPLDSTPORT, p, F.SPORT);
    natted(1);
  }

  // ── hooks ──

  /** journey (engine.ts) for one branch; the outcomes in the engine's order. */
  private journey(start: FBranch, j: FJourney): FOutcome[] {
    this.budget = 512;
    const outcomes: FOutcome[] = (this.outcomes = []);
    // Raw sees no connection yet: state INVALID until conntrack.
    start.p.setConst(F.STATE, ST.INVALID);
    if (j.origin === "in") {
      this.inbound(j, [start], false);
      return outcomes;
    }
    const isNew = j.state === ST.NEW;
    const routed = this.route(j, [start], true);
    for (const b of routed.bs) {
      let cur = this.stage(j, "raw", "OUTPUT", [b], null);
      this.conntrack(j, cur);
      cur = this.stage(j, "mangle", "OUTPUT", cur, null);
      cur = this.stage(j, "nat", "OUTPUT", cur, null);
      const again = isNew && !j.route ? this.route(j, cur, true).bs : cur;
      cur = this.stage(j, "filter", "OUTPUT", again, null);
      cur = this.stage(j, "security", "OUTPUT", cur, null);
      cur = this.stage(j, "mangle", "POSTROUTING", cur, null);
      cur = this.stage(j, "nat", "POSTROUTING", cur, null);
      const loop: FBranch[] = [];
      for (const x of cur) {
        const oif = x.p.value(F.OIF);
        if (oif !== undefined && Number(oif) === this.lo) loop.push(x);
        else outcomes.push({ b: x, verdict: "ACCEPT", delivery: "forward" });
      }
      if (loop.length) {
        // Back in through lo: PREROUTING (nat already decided), then INPUT.
        for (const x of loop) {
          x.p.setConst(F.IIF, this.lo);
          x.p.setConst(F.OIF, this.none);
          x.p.setConst(F.STATE, ST.INVALID);
        }
        this.inbound(j, loop, true);
      }
    }
    return outcomes;
  }

  private inbound(j: FJourney, bs: FBranch[], skipNat: boolean): void {
    let cur = this.stage(j, "raw", "PREROUTING", bs, null);
    this.conntrack(j, cur);
    cur = this.stage(j, "mangle", "PREROUTING", cur, null);
    if (!skipNat) cur = this.stage(j, "nat", "PREROUTING", cur, null);
    const routed = this.route(j, cur, false);
    let l: FBranch[] = [];
    let f: FBranch[] = [];
    for (let k = 0; k < routed.bs.length; k++) (routed.ds[k] === "local" ? l : f).push(routed.bs[k]!);
    for (const t of HOOK_TABLES.INPUT) l = skipNat && t === "nat" ? l : this.stage(j, t, "INPUT", l, "local");
    for (const b of l) this.outcomes.push({ b, verdict: "ACCEPT", delivery: "local" });
    for (const t of HOOK_TABLES.FORWARD) f = this.stage(j, t, "FORWARD", f, "forward");
    for (const t of HOOK_TABLES.POSTROUTING) f = this.stage(j, t, "POSTROUTING", f, "forward");
    for (const b of f) this.outcomes.push({ b, verdict: "ACCEPT", delivery: "forward" });
  }

  /** Conntrack: from here on the packet has its state. */
  private conntrack(j: FJourney, bs: FBranch[]): void {
    for (const b of bs) b.p.setConst(F.STATE, b.notrack ? ST.UNTRACKED : j.state);
  }

  /** One table of one hook; returns the accepted branches. */
  private stage(j: FJourney, table: "raw" | "mangle" | "nat" | "filter" | "security", hook: string, bs: FBranch[], delivery: Delivery | null): FBranch[] {
    if (bs.length === 0) return bs;
    if (table === "nat") {
      const manip = hook === "PREROUTING" || hook === "OUTPUT" ? j.manip?.pre : j.manip?.post;
      if (j.state !== ST.NEW || j.manip) {
        if (manip) for (const b of bs) if (!b.notrack) for (const [f, t] of manip) b.p.setTerm(f, t);
        return bs;
      }
      if (bs.every((b) => b.notrack)) return bs;
    }
    const ch = this.model.hook(table, hook);
    if (!ch) return bs;
    const acc: FBranch[] = [];
    for (const b of bs) {
      if (table === "nat" && b.notrack) {
        acc.push(b);
        continue;
      }
      const exits: FExit[] = [];
      this.walk(ch, b, 0, exits);
      for (const e of exits) {
        if (e.verdict === "ACCEPT") acc.push(e.b);
        else this.outcomes.push({ b: e.b, verdict: e.verdict, delivery });
      }
    }
    return acc;
  }

  /** route (engine.ts): martians dropped (from outside), then the routing decision of each branch. */
  private route(j: FJourney, bs: FBranch[], fromLocal: boolean): { bs: FBranch[]; ds: Delivery[] } {
    const res: FBranch[] = [];
    const ds: Delivery[] = [];
    for (const b0 of bs) {
      if (!fromLocal && !j.route && this.martian(b0)) continue;
      ds.push(this.routeOne(j, b0, fromLocal));
      res.push(b0);
    }
    return { bs: res, ds };
  }

  /** dropMartians (engine.ts): true when the branch was dropped (its outcome recorded). */
  private martian(b: FBranch): boolean {
    const p = b.p;
    const iif = p.value(F.IIF);
    if (iif !== undefined && Number(iif) === this.lo) return false;
    const m = martians(this.model);
    for (let k = 0; k < 2; k++) {
      const f = k === 0 ? F.SRC : F.DST;
      const set = k === 0 ? m.src : m.dst;
      const slot = p.s[f]!;
      let hit: boolean;
      if (slot < 0) hit = set.has(p.c[f]!);
      else {
        const cur = p.cube[slot] ?? IntervalSet.full(p.doms[slot]!);
        if (!cur.intersects(set)) hit = false;
        else if (within(cur.b, set.b)) hit = true;
        else throw CUT_SIGNAL;
      }
      if (hit) {
        b.step(k === 0 ? MARTIAN_SRC : MARTIAN_DST);
        this.outcomes.push({ b, verdict: "DROP", delivery: null });
        return true;
      }
    }
    return false;
  }

  /** routeOne (engine.ts) for a branch whose destination is one address. */
  private routeOne(j: FJourney, b: FBranch, fromLocal: boolean): Delivery {
    const p = b.p;
    if (j.route) {
      if (j.route.oif) p.setTerm(F.OIF, j.route.oif);
      if (j.route.delivery === "local") {
        p.setConst(F.OIF, fromLocal ? this.lo : this.none);
        return "local";
      }
      return "forward";
    }
    if (p.s[F.DST]! >= 0) throw CUT_SIGNAL; // a destination variable is cut by route
    const layout = this.model.layout;
    const dst = p.c[F.DST]!;
    if ((layout.local as IntervalSet<Scalar>).has(dst)) {
      p.setConst(F.OIF, fromLocal ? this.lo : this.none);
      return "local";
    }
    const br = this.out ? null : bridgeFor(layout, dst);
    if (br !== null) {
      p.setConst(F.OIF, this.classOf(br));
      return "forward";
    }
    const name = this.out ?? (layout.external.length === 1 ? layout.external[0] : undefined);
    if (name !== undefined) p.setConst(F.OIF, this.classOf(name));
    else p.setVar(F.OIF, unroutedInterfaces(this.model));
    return "forward";
  }

  // ── the trace ──

  private traceOne(spec: PacketSpec): string | null {
    const model = this.model;
    const pk = this.packetOf(spec);
    if (!pk) return null;
    const { p, j, proto } = pk;
    this.out = spec.out ? spec.out : undefined;
    const request = this.journey(new FBranch(p, "", null, false), j);
    if (request.length === 0) return null;
    const isPorted = ported(proto);
    const verdict = agree(request.map((o) => o.verdict), "UNKNOWN" as Verdict);
    const delivery = agree<Delivery | null>(request.map((o) => o.delivery), null);
    const first = request[0]!;
    const fp = first.b.p;
    const natSrc = sameTerm(fp, F.SRC, F.CTORIGSRC) && sameTerm(fp, F.SPORT, F.CTORIGSRCPORT) ? null : formatTerm(model, fp, F.SRC, F.SPORT, isPorted);
    const natDst = sameTerm(fp, F.DST, F.CTORIGDST) && sameTerm(fp, F.DPORT, F.CTORIGDSTPORT) ? null : formatTerm(model, fp, F.DST, F.DPORT, isPorted);
    let unknown: Set<string> | null = null;
    const note = (o: FOutcome) => {
      for (let a = o.b.assume; a; a = a.tail) (unknown ??= new Set()).add(unknownText(a.head.krule));
    };
    for (const o of request) note(o);

    let reply = "null";
    let followup = "null";
    let connection: "open" | "closed" | "unknown" | null = null;
    const connected = (proto === 6 || proto === 17) && j.state === ST.NEW;
    let accepted = false;
    let undecided = false;
    for (const o of request) {
      if (o.verdict === "ACCEPT") accepted = true;
      else if (o.verdict === "UNKNOWN") undecided = true;
    }
    if (connected && !accepted) connection = undecided ? "unknown" : "closed";
    if (connected && accepted) {
      const states: ("open" | "closed" | "unknown")[] = [];
      const replies: FOutcome[] = [];
      const followups: FOutcome[] = [];
      for (const o of request) {
        if (o.verdict !== "ACCEPT") {
          states.push(o.verdict === "UNKNOWN" ? "unknown" : "closed");
          continue;
        }
        const r = this.replyOf(o, j, proto);
        const rs = this.journey(r.b, r.j);
        for (const ro of rs) {
          replies.push(ro);
          note(ro);
          if (ro.verdict !== "ACCEPT") {
            states.push(ro.verdict === "UNKNOWN" ? "unknown" : "closed");
            continue;
          }
          // The engine restricts the request to what the reply accepted: nothing, as nothing is ever cut here.
          const fo = this.followupOf(o, j, proto);
          const fs = this.journey(fo.b, fo.j);
          for (const x of fs) {
            followups.push(x);
            note(x);
            states.push(x.verdict === "ACCEPT" ? "open" : x.verdict === "UNKNOWN" ? "unknown" : "closed");
          }
        }
      }
      const any = (s: string) => states.includes(s as never);
      connection = any("unknown") || (any("open") && any("closed")) ? (any("open") || any("unknown") ? "unknown" : "closed") : any("open") ? "open" : "closed";
      if (replies.length) reply = `{"verdict":${VERDICT_JSON[agree(replies.map((o) => o.verdict), "UNKNOWN" as Verdict)]},"path":[${replies[0]!.b.path}]}`;
      if (followups.length) followup = `{"verdict":${VERDICT_JSON[agree(followups.map((o) => o.verdict), "UNKNOWN" as Verdict)]},"path":[${followups[0]!.b.path}]}`;
    }
    let t = `{"verdict":${VERDICT_JSON[verdict]},"delivery":${jstr(delivery)},"nat":{"src":${jstr(natSrc)},"dst":${jstr(natDst)}},"path":[${first.b.path}]`;
    t += `,"reply":${reply},"connection":${jstr(connection)},"followup":${followup},"unknown":[${unknown ? [...unknown].map(q).join(",") : ""}]`;
    if (request.length > 1) t += `,"outcomes":[${request.map(outcomeJson).join(",")}]`;
    return `${t}}`;
  }

  /** replyOf (trace.ts). */
  private replyOf(req: FOutcome, j: FJourney, proto: number): { b: FBranch; j: FJourney } {
    const p0 = req.b.p;
    const requestLocal = j.origin === "local";
    const replyLocal = req.delivery === "local";
    const p = p0.clone();
    p.copyTerm(F.SRC, p0, F.DST);
    p.copyTerm(F.SPORT, p0, F.DPORT);
    p.copyTerm(F.DST, p0, F.SRC);
    p.copyTerm(F.DPORT, p0, F.SPORT);
    p.copyTerm(F.IIF, p0, F.OIF);
    p.setConst(F.STATE, ST.ESTABLISHED);
    p.setConst(F.CTDIR, 1);
    p.setConst(F.MARK, 0);
    p.setConst(F.FLAGS, proto === 6 ? TCP.SYN | TCP.ACK : 0);
    if (proto === 1) p.setConst(F.ICMP, 0);
    if (proto === 58) p.setConst(F.ICMP, 129 * 256);
    if (replyLocal) p.setConst(F.IIF, this.none);
    const rj: FJourney = {
      origin: replyLocal ? "local" : "in",
      state: ST.ESTABLISHED,
      manip: {
        pre: [
          [F.DST, termOf(p0, F.CTORIGSRC)],
          [F.DPORT, termOf(p0, F.CTORIGSRCPORT)],
        ],
        post: [
          [F.SRC, termOf(p0, F.CTORIGDST)],
          [F.SPORT, termOf(p0, F.CTORIGDSTPORT)],
        ],
      },
      route: requestLocal ? { delivery: "local", oif: null } : { delivery: "forward", oif: termOf(p0, F.IIF) },
    };
    return { b: new FBranch(p, "", null, req.b.notrack), j: rj };
  }

  /** followupOf (trace.ts). */
  private followupOf(req: FOutcome, j: FJourney, proto: number): { b: FBranch; j: FJourney } {
    const p0 = req.b.p;
    const p = p0.clone();
    p.copyTerm(F.SRC, p0, F.CTORIGSRC);
    p.copyTerm(F.SPORT, p0, F.CTORIGSRCPORT);
    p.copyTerm(F.DST, p0, F.CTORIGDST);
    p.copyTerm(F.DPORT, p0, F.CTORIGDSTPORT);
    p.setConst(F.STATE, ST.ESTABLISHED);
    p.setConst(F.CTDIR, 0);
    p.setConst(F.MARK, 0);
    p.setConst(F.FLAGS, proto === 6 ? TCP.ACK : 0);
    const fj: FJourney = {
      origin: j.origin,
      state: ST.ESTABLISHED,
      manip: {
        pre: [
          [F.DST, termOf(p0, F.DST)],
          [F.DPORT, termOf(p0, F.DPORT)],
        ],
        post: [
          [F.SRC, termOf(p0, F.SRC)],
          [F.SPORT, termOf(p0, F.SPORT)],
        ],
      },
      route: { delivery: req.delivery ?? "forward", oif: termOf(p0, F.OIF) },
    };
    return { b: new FBranch(p, "", null, req.b.notrack), j: fj };
  }
}

/** Fields of an established packet's connection that the model has not seen (packetOf, trace.ts). */
const UNKNOWN_CONNECTION = [F.CTORIGSRC, F.CTORIGDST, F.CTREPLSRC, F.CTREPLDST, F.CTORIGSRCPORT, F.CTORIGDSTPORT, F.CTREPLSRCPORT, F.CTREPLDSTPORT, F.CTDIR, F.NATTED, F.CONNMARK];

const ported = (proto: number) => proto === 6 || proto === 17 || proto === 132 || proto === 33 || proto === 136;

const jstr = (v: string | null) => (v === null ? "null" : JSON.stringify(v));

function toArray<T>(c: Cons<T> | null): T[] {
  const out: T[] = [];
  for (let n = c; n; n = n.tail) out.push(n.head);
  return out.reverse();
}

function outcomeJson(o: FOutcome): string {
  const assumptions = toArray(o.b.assume)
    .map((a) => `{"line":${JSON.stringify(a.krule.line)},"match":${q(a.krule.match.unknown.join(" "))},"holds":${a.holds}}`)
    .join(",");
  return `{"verdict":${VERDICT_JSON[o.verdict]},"delivery":${jstr(o.delivery)},"path":[${o.b.path}],"assumptions":[${assumptions}]}`;
}

/** applyMark (engine.ts), in place. */
function applyMark(p: FPacket, a: Extract<Action, { t: "mark" | "connmark-set" | "connmark-save" | "connmark-restore" }>): void {
  const mark = p.value(F.MARK);
  const ct = p.value(F.CONNMARK);
  const u32 = (x: number) => x >>> 0;
  const fresh = (f: number) => p.setVarFull(f, U32 as unknown as Domain<Scalar>);
  switch (a.t) {
    case "mark":
      return mark === undefined ? fresh(F.MARK) : p.setConst(F.MARK, u32((Number(mark) & ~a.mask) ^ a.value));
    case "connmark-set":
      return ct === undefined ? fresh(F.CONNMARK) : p.setConst(F.CONNMARK, u32((Number(ct) & ~a.mask) ^ a.value));
    case "connmark-save":
      return ct === undefined || mark === undefined ? fresh(F.CONNMARK) : p.setConst(F.CONNMARK, u32((Number(ct) & ~a.ctmask) ^ (Number(mark) & a.nfmask)));
    case "connmark-restore":
      return ct === undefined || mark === undefined ? fresh(F.MARK) : p.setConst(F.MARK, u32((Number(mark) & ~a.nfmask) ^ (Number(ct) & a.ctmask)));
  }
}

/** The tracer of a model, made once. */
const tracers = new WeakMap<Model, FastTracer>();
export function fastTracer(model: Model): FastTracer {
  let t = tracers.get(model);
  if (!t) tracers.set(model, (t = new FastTracer(model)));
  return t;
}
