/**
 * The netfilter traversal on (symbolic) packets: chains with jumps, goto and RETURN, targets, and the
 * order of tables and hooks a packet goes through (raw → conntrack → mangle → nat → routing → filter …).
 */
import type { TableName } from "../ast/iptables.js";
import type { Action, CompiledMatch } from "./compile.js";
import { F, ST } from "./fields.js";
import { bridgeFor } from "./layout.js";
import { bucketOf, candidates, candidatesFor, firstAtOrAfter, INDEX_MIN_RULES, type CChain, type ChainIndex, type KRule, type Model } from "./model.js";
import { IntervalSet, U32, type Domain, type Scalar } from "./sets.js";
import { evalMatch, failingTest, NO, Sym, YES } from "./sym.js";

export type Verdict = "ACCEPT" | "DROP" | "REJECT" | "UNKNOWN";

export interface Step {
  /** A table, or "routing" for the routing decision (martian addresses). */
  readonly table: TableName | "routing";
  readonly chain: string;
  /** null for a chain policy or an implicit return. */
  readonly krule: KRule | null;
  /** Target as written (`ACCEPT`, `DOCKER`, `DNAT --to-destination …`), or the policy. */
  readonly target: string;
  readonly kind: "rule" | "policy";
}

/** Immutable list, newest first (shared between branches). */
export interface Cons<T> {
  readonly head: T;
  readonly tail: Cons<T> | null;
}
export function toArray<T>(c: Cons<T> | null): T[] {
  const out: T[] = [];
  for (let n = c; n; n = n.tail) out.push(n.head);
  return out.reverse();
}

export interface Assumption {
  readonly krule: KRule;
  /** The unknown matches of the rule were assumed to hold (true) or not (false). */
  readonly holds: boolean;
}

/** A visited rule (text traces only). */
export interface Visit {
  readonly table: TableName;
  readonly chain: string;
  readonly krule: KRule | null;
  readonly outcome: "match" | "no-match" | "unknown" | "policy" | "end";
  readonly why: string;
}

/** One packet (set) on its way, with how it got here. Immutable; the `with…` methods copy. */
export class Branch {
  constructor(
    readonly p: Sym,
    readonly path: Cons<Step> | null,
    readonly assume: Cons<Assumption> | null,
    readonly visits: Cons<Visit> | null,
    readonly notrack: boolean,
  ) {}
  withP(p: Sym): Branch {
    return p === this.p ? this : new Branch(p, this.path, this.assume, this.visits, this.notrack);
  }
  step(s: Step): Branch {
    return new Branch(this.p, { head: s, tail: this.path }, this.assume, this.visits, this.notrack);
  }
  assuming(a: Assumption): Branch {
    return new Branch(this.p, this.path, { head: a, tail: this.assume }, this.visits, this.notrack);
  }
  visit(v: Visit): Branch {
    return new Branch(this.p, this.path, this.assume, { head: v, tail: this.visits }, this.notrack);
  }
  untracked(): Branch {
    return new Branch(this.p, this.path, this.assume, this.visits, true);
  }
}

export interface Exit {
  readonly b: Branch;
  readonly kind: "verdict" | "return";
  readonly verdict: Verdict;
}

export interface RunOptions {
  /** Record every visited rule (for text traces). */
  readonly verbose?: boolean;
  /** Interface name for forwarded packets whose route is not known. */
  readonly out?: string;
  /** Stop splitting after this many branches (the rest is reported as UNKNOWN). */
  readonly maxBranches?: number;
  /**
   * Merge the branches leaving a chain that differ in one variable only (a union of that variable's
   * sets), keeping the first one's path. For set-level answers (exposure), not for traces.
   */
  readonly merge?: boolean;
  /** Record the path (rules with a target, policies) of each branch; default true. Set-level answers need none. */
  readonly paths?: boolean;
}


export function branch(p: Sym, notrack = false): Branch {
  return new Branch(p, null, null, null, notrack);
}

const withP = (b: Branch, p: Sym): Branch => b.withP(p);

/** The path step of a rule, made once per rule. */
function stepOf(ch: CChain, r: KRule): Step {
  const k = r as KRule & { step?: Step };
  return (k.step ??= { table: ch.table, chain: ch.name, krule: r, target: r.targetText || "(no target)", kind: "rule" });
}
function policyStep(ch: CChain): Step {
  const c = ch as CChain & { policyStep?: Step };
  return (c.policyStep ??= { table: ch.table, chain: ch.name, krule: null, target: ch.policy, kind: "policy" });
}

/** Addresses MASQUERADE may pick: the host's own, loopback excluded. */
const masqCache = new WeakMap<Model, IntervalSet<Scalar>>();
export function masqueradeSources(m: Model): IntervalSet<Scalar> {
  let set = masqCache.get(m);
  if (!set) {
    const ad = m.doms[F.SRC]!;
    const loopbackNet = m.family === "ipv4" ? IntervalSet.of(ad, 0x7f000000, 0x7fffffff) : IntervalSet.of(ad, 1n);
    set = (m.layout.local as IntervalSet<Scalar>).subtract(loopbackNet);
    masqCache.set(m, set);
  }
  return set;
}

/**
 * The source MASQUERADE gives a packet leaving by interface class `oif` (a constant, or undefined when not
 * known): Linux takes an address of the out interface, so a bridge's own address for a bridge, and none of
 * the bridges' for another interface (masqueradeSources when that leaves nothing).
 */
const masqByOif = new WeakMap<Model, Map<number, IntervalSet<Scalar>>>();
export function masqueradeSourcesVia(m: Model, oif: Scalar | undefined): IntervalSet<Scalar> {
  const all = masqueradeSources(m);
  if (oif === undefined || m.layout.bridges.length === 0) return all;
  let cache = masqByOif.get(m);
  if (!cache) masqByOif.set(m, (cache = new Map()));
  let set = cache.get(Number(oif));
  if (!set) {
    const bridge = m.layout.bridges.find((b) => m.ifaces.classOf(b.name) === Number(oif));
    let mine = all;
    if (bridge) mine = all.intersect(bridge.subnets as IntervalSet<Scalar>);
    else for (const b of m.layout.bridges) mine = mine.subtract(b.subnets as IntervalSet<Scalar>);
    set = mine.isEmpty ? all : mine;
    cache.set(Number(oif), set);
  }
  return set;
}

/** Output interfaces of a forwarded packet whose route is not known: any but none, lo and the bridges. */
const unroutedCache = new WeakMap<Model, IntervalSet<Scalar>>();
export function unroutedInterfaces(model: Model): IntervalSet<Scalar> {
  let set = unroutedCache.get(model);
  if (!set) {
    const d = model.ifaces.domain;
    let s0 = IntervalSet.full(d).subtract(IntervalSet.of(d, model.ifaces.classOf(""))).subtract(IntervalSet.of(d, model.ifaces.classOf("lo")));
    for (const br of model.layout.bridges) s0 = s0.subtract(IntervalSet.of(d, model.ifaces.classOf(br.name)));
    set = s0 as unknown as IntervalSet<Scalar>;
    unroutedCache.set(model, set);
  }
  return set;
}

class Runner {
  budget: number;
  readonly paths: boolean;
  /** Scratch list of continuing branches per depth (walk). */
  private readonly conts: Branch[][] = [];
  /** Fields (bit per field) the rules evaluated so far in the current chain run consulted, its calls included. */
  private consulted = 0;
  constructor(
    readonly model: Model,
    readonly opts: RunOptions,
  ) {
    this.budget = opts.maxBranches ?? 4096;
    this.paths = opts.paths !== false;
  }
  /** The branch with a path step, when paths are recorded. */
  private stepped(b: Branch, s: Step): Branch {
    return this.paths ? b.step(s) : b;
  }

  /**
   * A packet whose indexed field is a variable, cut along the index: one part per group of values that
   * share their candidate rules (all values no rule names in particular form one part). Each part then
   * only meets its own rules, instead of every part splitting at every rule of a long chain.
   */
  private splitByIndex(ch: CChain, start: Branch): [Branch, Int32Array][] | null {
    if (ch.rules.length < INDEX_MIN_RULES) return null;
    const ix = this.model.indexOf(ch);
    if (!ix) return null;
    const slot = start.p.s[ix.field]!;
    if (slot < 0 || start.p.value(ix.field) !== undefined) return null;
    const set = start.p.slotSet(slot);
    const d = set.d;
    const starts = ix.starts;
    const byBucket = new Map<number, [Scalar, Scalar][]>();
    const common: [Scalar, Scalar][] = [];
    const bounds = set.b;
    for (let r = 0; r < bounds.length; r += 2) {
      const lo = bounds[r]!;
      const hi = bounds[r + 1]!;
      for (let e = bucketOf(starts, lo); e < starts.length && starts[e]! <= hi; e++) {
        const eLo = starts[e]! > lo ? starts[e]! : lo;
        const eHiRaw = e + 1 < starts.length ? d.pred(starts[e + 1]!) : d.max;
        const eHi = eHiRaw < hi ? eHiRaw : hi;
        const target = ix.buckets[e]!.length === 0 ? common : (byBucket.get(e) ?? (byBucket.set(e, []), byBucket.get(e)!));
        target.push([eLo, eHi]);
      }
    }
    if (byBucket.size > 4 * ch.rules.length + 16) return null;
    const out: [Branch, Int32Array][] = [];
    for (const [e, ranges] of byBucket) out.push([start.withP(start.p.withSlots([[slot, ranges.length === 1 ? IntervalSet.of(d, ranges[0]![0], ranges[0]![1]) : IntervalSet.fromRanges(d, ranges)]])), candidates(ix, starts[e]!)]);
    if (common.length) out.push([start.withP(start.p.withSlots([[slot, IntervalSet.fromRanges(d, common)]])), ix.always]);
    return out;
  }

  /**
   * Traverse one chain; exits are final verdicts or returns (never returns for built-in chains). Work is
   * depth-first: each part of a split continues on its own, with the candidate rules of its own values.
   */
  run(ch: CChain, start: Branch, depth: number, out: Exit[]): void {
    if (!this.opts.merge) return this.walk(ch, start, depth, out);
    // Set-level runs: a chain that only filters gives the same answer for every packet that agrees on the
    // fields its rules consulted, so that answer is computed once (e.g. an allowlist chain for a thousand
    // DNATs). What a walk consults depends on the packet: a reply that the first rule returns consults its
    // state only, a new connection the whole chain. So answers are kept per set of consulted fields
    // (a signature), and a packet that agrees with a kept walk on that walk's fields takes the same walk.
    const pure = purity(this.model, ch);
    const outer = this.consulted;
    if (pure) {
      for (const sig of pure.sigs) {
        if (sig.off) continue;
        const hit = sig.cache.get(summaryKey(start.p, sig.fields));
        if (hit) {
          sig.hits++;
          for (const c of hit) out.push(applySummary(start, c, sig.fields));
          this.consulted = outer | sig.mask;
          return;
        }
      }
    }
    this.consulted = 0;
    const mine: Exit[] = [];
    this.walk(ch, start, depth, mine);
    const merged = mergeExits(mine);
    const mask = this.consulted;
    this.consulted = outer | mask;
    if (pure) {
      let sig = pure.sigs.find((x) => x.mask === mask);
      if (!sig && pure.sigs.length < 16) pure.sigs.push((sig = { mask, fields: fieldsOf(mask), cache: new Map(), stores: 0, hits: 0, off: false }));
      if (sig && !sig.off) {
        const fields = sig.fields;
        if (sig.cache.size < 10_000) sig.cache.set(summaryKey(start.p, fields), merged.map((e) => summarize(start, e, fields)));
        // Packets that never repeat on these fields (a new connection per published port): stop keeping them.
        if (++sig.stores > 64 && sig.hits * 8 < sig.stores) sig.off = true;
      }
    }
    for (const e of merged) out.push(e);
  }

  private walk(ch: CChain, start: Branch, depth: number, out: Exit[]): void {
    const verbose = this.opts.verbose === true;
    if (depth > 64) {
      out.push({ b: start, kind: "verdict", verdict: "UNKNOWN" });
      return;
    }
    const rules = ch.rules;
    const n = rules.length;
    // The index reads its field's value to choose the candidate rules.
    if (n >= INDEX_MIN_RULES) {
      const ix = this.model.indexOf(ch);
      if (ix) this.consulted |= 1 << ix.field;
    }
    // Work items: a branch and the first rule position it has not seen yet. Most runs never split: the
    // first item is taken directly and the stack is only made when a split pushes a second one.
    const stackB: Branch[] = [];
    const stackI: number[] = [];
    const stackC: (Int32Array | null)[] = [];
    let first: Branch | null = start;
    let firstC: Int32Array | null = null;
    // Set-level runs cut a packet along the index where the first rule restricting the indexed field
    // stands: the rules before it (a bridge's `-i docker0 -j RETURN` before a thousand DNATs) are met once
    // by the whole packet, not once per piece.
    const splitAt = this.opts.merge && n >= INDEX_MIN_RULES ? leadOf(this.model.indexOf(ch)) : -1;
    const pieces = splitAt === 0 ? this.splitByIndex(ch, start) : null;
    if (pieces) {
      first = null;
      for (const [b, c] of pieces) {
        stackB.push(b);
        stackI.push(0);
        stackC.push(c);
      }
    } else firstC = candidatesFor(this.model, ch, start.p);
    // Branches an action continues with (one list per depth: a jump's run is one level deeper).
    const cont = (this.conts[depth] ??= []);
    while (first !== null || stackB.length > 0) {
      let b: Branch;
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
      let ci = cand ? firstAtOrAfter(cand, from) : 0;
      let pos = cand ? (ci < cand.length ? cand[ci]! : n) : from;
      let alive = true;
      while (pos < n) {
        if (pos === splitAt && cand === null) {
          const parts = this.splitByIndex(ch, b);
          if (parts) {
            for (const [pb, pc] of parts) {
              stackB.push(pb);
              stackI.push(pos);
              stackC.push(pc);
            }
            alive = false;
            break;
          }
        }
        const r = rules[pos]!;
        this.consulted |= readMask(r);
        const res = evalMatch(b.p, r.match);
        if (res === NO) {
          if (verbose) b = b.visit({ table: ch.table, chain: ch.name, krule: r, outcome: "no-match", why: failingTest(b.p, r.match) ?? "" });
        } else if (res === YES) {
          cont.length = 0;
          this.act(ch, r, b, cont, out, depth, verbose ? "match" : null);
          if (cont.length === 0) {
            alive = false;
            break;
          }
          b = cont[0]!;
          for (let k = 1; k < cont.length; k++) {
            stackB.push(cont[k]!);
            stackI.push(pos + 1);
            stackC.push(candidatesFor(this.model, ch, cont[k]!.p));
          }
        } else {
          this.budget -= res.no.length;
          if (this.budget < 0) {
            out.push({ b, kind: "verdict", verdict: "UNKNOWN" });
            alive = false;
            break;
          }
          for (const q of res.no) {
            let nb = withP(b, q);
            if (res.unknown && q === res.yes) nb = nb.assuming({ krule: r, holds: false });
            if (verbose) nb = nb.visit({ table: ch.table, chain: ch.name, krule: r, outcome: res.unknown && q === res.yes ? "unknown" : "no-match", why: res.unknown ? r.match.unknown.join(" ") : "" });
            stackB.push(nb);
            stackI.push(pos + 1);
            stackC.push(candidatesFor(this.model, ch, q));
          }
          alive = false;
          if (res.yes) {
            let yb = withP(b, res.yes);
            if (res.unknown) yb = yb.assuming({ krule: r, holds: true });
            cont.length = 0;
            this.act(ch, r, yb, cont, out, depth, verbose ? (res.unknown ? "unknown" : "match") : null);
            for (const c of cont) {
              stackB.push(c);
              stackI.push(pos + 1);
              stackC.push(candidatesFor(this.model, ch, c.p));
            }
          }
          break;
        }
        if (cand) {
          ci++;
          pos = ci < cand.length ? cand[ci]! : n;
        } else pos++;
      }
      if (!alive) continue;
      if (ch.builtin) {
        let nb = this.stepped(b, policyStep(ch));
        if (verbose) nb = nb.visit({ table: ch.table, chain: ch.name, krule: null, outcome: "policy", why: `policy ${ch.policy}` });
        out.push({ b: nb, kind: "verdict", verdict: ch.policy });
      } else {
        const nb = verbose ? b.visit({ table: ch.table, chain: ch.name, krule: null, outcome: "end", why: "end of chain: return" }) : b;
        out.push({ b: nb, kind: "return", verdict: "ACCEPT" });
      }
    }
  }

  private act(ch: CChain, r: KRule, b0: Branch, next: Branch[], out: Exit[], depth: number, visit: "match" | "unknown" | null): void {
    const a: Action = r.action;
    let b: Branch = (a.t === "continue" && a.name === null) || !this.paths ? b0 : b0.step(stepOf(ch, r));
    if (visit) b = b.visit({ table: ch.table, chain: ch.name, krule: r, outcome: visit, why: matchWhy(r) });
    switch (a.t) {
      case "verdict":
        out.push({ b, kind: "verdict", verdict: a.v });
        return;
      case "return":
        if (ch.builtin) {
          const nb = this.stepped(b, policyStep(ch));
          out.push({ b: nb, kind: "verdict", verdict: ch.policy });
        } else out.push({ b, kind: "return", verdict: "ACCEPT" });
        return;
      case "continue":
        next.push(b);
        return;
      case "unknown":
        out.push({ b, kind: "verdict", verdict: "UNKNOWN" });
        return;
      case "notrack":
        next.push(b.untracked());
        return;
      case "mark":
      case "connmark-set":
      case "connmark-save":
      case "connmark-restore":
        next.push(withP(b, applyMark(b.p, a)));
        return;
      case "jump": {
        const target = r.jumpTarget;
        if (!target) {
          out.push({ b, kind: "verdict", verdict: "UNKNOWN" });
          return;
        }
        const sub: Exit[] = [];
        this.run(target, b, depth + 1, sub);
        for (const e of sub) {
          if (e.kind === "return") {
            if (a.goto) {
              if (ch.builtin) {
                const nb = this.stepped(e.b, policyStep(ch));
                out.push({ b: nb, kind: "verdict", verdict: ch.policy });
              } else out.push(e);
            } else next.push(e.b);
          } else out.push(e);
        }
        return;
      }
      case "dnat":
      case "snat":
      case "masquerade":
      case "redirect":
        out.push({ b: withP(b, this.nat(b.p, a, ch)), kind: "verdict", verdict: "ACCEPT" });
        return;
    }
  }

  nat(p: Sym, a: Extract<Action, { t: "dnat" | "snat" | "masquerade" | "redirect" }>, ch: CChain): Sym {
    const m = this.model;
    const ad = m.doms[F.SRC]!;
    const pd = m.doms[F.SPORT]!;
    const natted = (q: Sym, bit: number) => {
      const v = q.value(F.NATTED);
      return v === undefined ? q : q.withConst(F.NATTED, Number(v) | bit);
    };
    const setOrConst = (q: Sym, f: number, lo: Scalar, hi: Scalar, d: typeof ad) => (lo === hi ? q.withConst(f, lo) : q.withVar(f, IntervalSet.of(d, lo, hi)));
    if (a.t === "dnat" && a.to.addr && a.to.addr[0] === a.to.addr[1] && (!a.to.port || a.to.port[0] === a.to.port[1])) {
      // The common case (one address, one port): one copy of the packet.
      const consts: [number, Scalar][] = [
        [F.DST, a.to.addr[0]],
        [F.CTREPLSRC, a.to.addr[0]],
      ];
      if (a.to.port) consts.push([F.DPORT, a.to.port[0]], [F.CTREPLSRCPORT, a.to.port[0]]);
      const nv = p.value(F.NATTED);
      if (nv !== undefined) consts.push([F.NATTED, Number(nv) | 2]);
      return p.withEdits(consts, a.to.port ? [] : [[F.CTREPLSRCPORT, F.DPORT]]);
    }
    if (a.t === "dnat" || a.t === "redirect") {
      let q = p;
      if (a.t === "dnat") {
        if (a.to.addr) q = setOrConst(q, F.DST, a.to.addr[0], a.to.addr[1], ad);
        if (a.to.port) q = setOrConst(q, F.DPORT, a.to.port[0], a.to.port[1], pd);
      } else {
        q = q.withVar(F.DST, (ch.name === "OUTPUT" ? m.layout.redirectedOutput : m.layout.redirected) as IntervalSet<Scalar>);
        if (a.ports) q = setOrConst(q, F.DPORT, a.ports[0], a.ports[1], pd);
      }
      q = q.withTerms([
        [F.CTREPLSRC, F.DST],
        [F.CTREPLSRCPORT, F.DPORT],
      ]);
      return natted(q, 2);
    }
    let q = p;
    if (a.t === "snat") {
      if (a.to.addr) q = setOrConst(q, F.SRC, a.to.addr[0], a.to.addr[1], ad);
      if (a.to.port) q = setOrConst(q, F.SPORT, a.to.port[0], a.to.port[1], pd);
    } else {
      q = q.withVar(F.SRC, masqueradeSourcesVia(m, q.value(F.OIF)));
      if (a.ports) q = setOrConst(q, F.SPORT, a.ports[0], a.ports[1], pd);
    }
    q = q.withTerms([
      [F.CTREPLDST, F.SRC],
      [F.CTREPLDSTPORT, F.SPORT],
    ]);
    return natted(q, 1);
  }
}

/** Number of rules at the head of an indexed chain that do not restrict its field (-1: no index). */
function leadOf(ix: ChainIndex | null): number {
  if (!ix) return -1;
  const always = ix.always;
  let k = 0;
  while (k < always.length && always[k] === k) k++;
  return k;
}

// ── chain summaries (set-level runs) ──

interface Purity {
  /** Fields the chain (and what it calls) reads. */
  readonly reads: readonly number[];
  /** Kept answers by the fields their walks consulted. */
  readonly sigs: Signature[];
}
interface Signature {
  /** Consulted fields, a bit per field, and as a sorted list. */
  readonly mask: number;
  readonly fields: readonly number[];
  readonly cache: Map<string, Summary[]>;
  /** Answers kept and used so far: a signature whose packets never repeat stops being kept. */
  stores: number;
  hits: number;
  off: boolean;
}

/** The fields a rule's match reads, a bit per field (made once per rule). */
function readMask(r: KRule): number {
  const k = r as KRule & { readMask?: number };
  let m = k.readMask;
  if (m === undefined) {
    m = 0;
    for (const t of r.match.sets) m |= 1 << t.f;
    for (const t of r.match.fns) for (const f of t.reads) m |= 1 << f;
    k.readMask = m;
  }
  return m;
}

function fieldsOf(mask: number): number[] {
  const out: number[] = [];
  for (let f = 0; f < 31; f++) if (mask & (1 << f)) out.push(f);
  return out;
}
interface Summary {
  readonly kind: Exit["kind"];
  readonly verdict: Verdict;
  /** The set each read field is restricted to (undefined: unchanged). */
  readonly sets: readonly (IntervalSet<Scalar> | undefined)[];
  /** Assumptions the chain added, newest first. */
  readonly assumes: readonly Assumption[];
}

const purityCache = new WeakMap<CChain, Purity | null>();

/** A chain whose rules only filter (no marks, NAT or conntrack changes, anywhere it leads): its reads. */
function purity(model: Model, ch: CChain, seen?: Set<CChain>): Purity | null {
  const known = purityCache.get(ch);
  if (known !== undefined) return known;
  // The set of chains being visited is only made on a cache miss (purity is asked on every chain run).
  seen ??= new Set<CChain>();
  if (seen.has(ch)) return null;
  seen.add(ch);
  const reads = new Set<number>();
  let pure = true;
  for (const r of ch.rules) {
    for (const t of r.match.sets) reads.add(t.f);
    for (const t of r.match.fns) for (const f of t.reads) reads.add(f);
    const a = r.action;
    if (a.t === "jump") {
      const sub = r.jumpTarget ? purity(model, r.jumpTarget, seen) : null;
      if (!sub) pure = false;
      else for (const f of sub.reads) reads.add(f);
    } else if (!(a.t === "verdict" || a.t === "return" || a.t === "continue" || (a.t === "unknown" && a.final))) pure = false;
  }
  const out = pure ? { reads: [...reads].sort((x, y) => x - y), sigs: [] } : null;
  purityCache.set(ch, out);
  return out;
}

function summaryKey(p: Sym, reads: readonly number[]): string {
  let key = "";
  for (const f of reads) {
    const slot = p.s[f]!;
    if (slot < 0) key += `c${String(p.c[f])};`;
    else {
      // Fields sharing a variable must share it in the other packet too.
      let first = 0;
      for (const g of reads) if (p.s[g] === slot) {
        first = g;
        break;
      }
      key += `v${first}:${p.cube[slot]?.key() ?? "*"};`;
    }
  }
  return key;
}

function summarize(start: Branch, e: Exit, reads: readonly number[]): Summary {
  const sets = reads.map((f) => {
    const slot = e.b.p.s[f]!;
    if (slot < 0) return undefined;
    const now = e.b.p.cube[slot];
    return now === start.p.cube[slot] ? undefined : now;
  });
  const assumes: Assumption[] = [];
  for (let a = e.b.assume; a && a !== start.assume; a = a.tail) assumes.push(a.head);
  return { kind: e.kind, verdict: e.verdict, sets, assumes };
}

function applySummary(start: Branch, c: Summary, reads: readonly number[]): Exit {
  const changes: (readonly [number, IntervalSet<Scalar>])[] = [];
  reads.forEach((f, k) => {
    const set = c.sets[k];
    if (set) changes.push([start.p.s[f]!, set]);
  });
  let b = changes.length ? start.withP(start.p.withSlots(changes)) : start;
  for (let k = c.assumes.length - 1; k >= 0; k--) b = b.assuming(c.assumes[k]!);
  return { b, kind: c.kind, verdict: c.verdict };
}

/** Join exits that differ in one variable only: same outcome, constants, bindings and other variables. */
export function mergeExits(exits: Exit[]): Exit[] {
  if (exits.length < 2) return exits;
  // Group by outcome, constants and bindings: a numeric hash, then an exact comparison. Groups come out
  // ordered by their hash's first appearance (a Map keeps that order), then by their own.
  const out: Exit[] = [];
  const groups: Exit[][] = [];
  const byHash = new Map<number, number[]>();
  for (const e of exits) {
    if (e.b.assume !== null) {
      out.push(e);
      continue;
    }
    const h = exitHash(e);
    const list = byHash.get(h);
    let g: Exit[] | undefined;
    if (list) for (const k of list) if (sameExit(groups[k]![0]!, e)) {
      g = groups[k];
      break;
    }
    if (g) g.push(e);
    else {
      if (list) list.push(groups.length);
      else byHash.set(h, [groups.length]);
      groups.push([e]);
    }
  }
  for (const list of byHash.values())
    for (const k of list) {
      const g = groups[k]!;
      if (g.length === 1) out.push(g[0]!);
      else for (const e of mergeGroup(g)) out.push(e);
    }
  return out;
}

function exitHash(e: Exit): number {
  const p = e.b.p;
  let h = e.kind === "return" ? 7 : 3;
  for (let f = 0; f < p.c.length; f++) {
    const slot = p.s[f]!;
    const v = slot < 0 ? p.c[f]! : 0;
    h = (Math.imul(h, 31) + (typeof v === "bigint" ? Number(v & 0xffffffffn) : v) + slot * 97) | 0;
  }
  return h;
}

function sameExit(a: Exit, b: Exit): boolean {
  if (a.kind !== b.kind || a.verdict !== b.verdict || a.b.notrack !== b.b.notrack) return false;
  const p = a.b.p;
  const q = b.b.p;
  if (p.cube.length !== q.cube.length) return false;
  for (let f = 0; f < p.c.length; f++) if (p.s[f] !== q.s[f] || (p.s[f]! < 0 && p.c[f] !== q.c[f])) return false;
  return true;
}

/** Same set of a variable (an unrestricted variable only equals an unrestricted one). */
function sameSet(a: IntervalSet<Scalar> | undefined, b: IntervalSet<Scalar> | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.equals(b);
}

/** Union of a variable's sets (undefined is the whole domain). */
function unionAll(sets: readonly (IntervalSet<Scalar> | undefined)[], d: Domain<Scalar>): IntervalSet<Scalar> {
  if (sets.some((x) => x === undefined)) return IntervalSet.full(d);
  if (sets.length === 2) return sets[0]!.union(sets[1]!);
  const ranges: [Scalar, Scalar][] = [];
  for (const x of sets) for (let k = 0; k < x!.b.length; k += 2) ranges.push([x!.b[k]!, x!.b[k + 1]!]);
  return IntervalSet.fromRanges(sets[0]!.d, ranges);
}

/** Merge one group of exits (same outcome, constants and bindings) variable by variable. */
function mergeGroup(g: Exit[]): Exit[] {
  const n = g[0]!.b.p.cube.length;
  // Only the variables whose sets differ within the group matter.
  const differ: number[] = [];
  for (let k = 0; k < n; k++) {
    const first = g[0]!.b.p.cube[k];
    for (let i = 1; i < g.length; i++) {
      if (!sameSet(first, g[i]!.b.p.cube[k])) {
        differ.push(k);
        break;
      }
    }
  }
  if (differ.length === 0) return [g[0]!];
  let list = g;
  for (const k of differ) {
    if (list.length < 2) break;
    // Branches equal on every other differing variable (same set keys) become one, with the union of
    // their sets for k.
    const next: Exit[] = [];
    const byRest = new Map<string, number>();
    // The sets of k joining each kept branch, united at once at the end (one pass instead of one per join).
    const joins = new Map<number, (IntervalSet<Scalar> | undefined)[]>();
    for (const e of list) {
      let rest = "";
      for (const i of differ) if (i !== k) rest += `${e.b.p.cube[i]?.key() ?? "*"}|`;
      const at = byRest.get(rest);
      if (at === undefined) {
        byRest.set(rest, next.length);
        next.push(e);
        continue;
      }
      const sets = joins.get(at);
      if (sets) sets.push(e.b.p.cube[k]);
      else joins.set(at, [next[at]!.b.p.cube[k], e.b.p.cube[k]]);
    }
    for (const [at, sets] of joins) {
      const seen = next[at]!;
      next[at] = { ...seen, b: seen.b.withP(seen.b.p.withSlots([[k, unionAll(sets, seen.b.p.doms[k]!)]])) };
    }
    list = next;
  }
  return list;
}

function matchWhy(r: KRule): string {
  const parts = r.match.sets.map((t) => t.text).concat(r.match.fns.map((t) => t.text));
  return parts.length ? parts.join(" ") : "no conditions";
}

type MarkAction = Extract<Action, { t: "mark" | "connmark-set" | "connmark-save" | "connmark-restore" }>;

/** The field a MARK or CONNMARK action sets: the packet's mark or the connection's. */
export function markField(a: MarkAction): number {
  return a.t === "mark" || a.t === "connmark-restore" ? F.MARK : F.CONNMARK;
}

/**
 * The value a MARK or CONNMARK action gives its field, as the kernel computes it ((old & ~mask) ^ value), or
 * undefined when it is computed from a mark the model does not know.
 */
export function markValue(a: MarkAction, mark: Scalar | undefined, ct: Scalar | undefined): number | undefined {
  const u32 = (x: number) => x >>> 0;
  switch (a.t) {
    case "mark":
      return mark === undefined ? undefined : u32((Number(mark) & ~a.mask) ^ a.value);
    case "connmark-set":
      return ct === undefined ? undefined : u32((Number(ct) & ~a.mask) ^ a.value);
    case "connmark-save":
      return ct === undefined || mark === undefined ? undefined : u32((Number(ct) & ~a.ctmask) ^ (Number(mark) & a.nfmask));
    case "connmark-restore":
      return ct === undefined || mark === undefined ? undefined : u32((Number(mark) & ~a.nfmask) ^ (Number(ct) & a.ctmask));
  }
}

/**
 * Whether a CONNMARK action finds a connection to act on: xt_CONNMARK does nothing to a packet without one
 * (INVALID or UNTRACKED, or in raw before conntrack). A state the model does not know counts as one.
 */
export function connmarkActs(a: MarkAction, state: Scalar | undefined): boolean {
  return a.t === "mark" || (state !== ST.INVALID && state !== ST.UNTRACKED);
}

function applyMark(p: Sym, a: MarkAction): Sym {
  if (!connmarkActs(a, p.value(F.STATE))) return p;
  const v = markValue(a, p.value(F.MARK), p.value(F.CONNMARK));
  // A mark computed from a mark the model does not know is a fresh unknown value.
  return v === undefined ? p.withVar(markField(a), IntervalSet.full(U32 as unknown as Domain<Scalar>)) : p.withConst(markField(a), v);
}


// ───────────────────────────── hooks and the packet's journey ─────────────────────────────

/** A field assignment taken from another packet's term (conntrack's NAT for established packets). */
export interface Term {
  readonly c: Scalar;
  readonly s: number;
}
export const termOf = (p: Sym, f: number): Term => ({ c: p.c[f]!, s: p.s[f]! });
function setTerms(p: Sym, pairs: readonly (readonly [number, Term])[]): Sym {
  if (pairs.length === 0) return p;
  const c = p.c.slice();
  const s = p.s.slice();
  for (let k = 0; k < pairs.length; k++) {
    const f = pairs[k]![0];
    const t = pairs[k]![1];
    c[f] = t.c;
    s[f] = t.s;
  }
  return new Sym(c, s, p.cube, p.doms);
}

export type Delivery = "local" | "forward";

export interface Journey {
  /** The packet arrives on an interface (IIF set) or is generated by the host. */
  readonly origin: "in" | "local";
  /** Conntrack state the packet will have once conntrack has seen it. */
  readonly state: number;
  /** For packets of a known connection: NAT conntrack applies (no nat rules are consulted). */
  readonly manip?: { readonly pre: readonly (readonly [number, Term])[]; readonly post: readonly (readonly [number, Term])[] };
  /** Fixed routing (replies and follow-ups go back the way the request came). */
  readonly route?: { readonly delivery: Delivery; readonly oif: Term | null };
  /** Stop at the routing decision (outcomes are ACCEPT with the delivery the packet would get). */
  readonly untilRouting?: boolean;
}

export interface Outcome {
  readonly b: Branch;
  readonly verdict: Verdict;
  /** null when the packet was decided before routing. */
  readonly delivery: Delivery | null;
}

const HOOK_TABLES: Readonly<Record<string, readonly TableName[]>> = {
  PREROUTING: ["raw", "mangle", "nat"],
  INPUT: ["mangle", "filter", "security", "nat"],
  FORWARD: ["mangle", "filter", "security"],
  OUTPUT: ["raw", "mangle", "nat", "filter", "security"],
  POSTROUTING: ["mangle", "nat"],
};

/** Send packets through the netfilter hooks; returns every final outcome. */
export function journey(model: Model, start: Branch, j: Journey, opts: RunOptions = {}): Outcome[] {
  const runner = new Runner(model, opts);
  const outcomes: Outcome[] = [];
  const isNew = j.state === ST.NEW;

  /** One table of one hook; returns the accepted branches. */
  const stage = (table: TableName, hook: string, bs: Branch[], delivery: Delivery | null): Branch[] => {
    if (bs.length === 0) return bs;
    if (table === "nat") {
      const manip = hook === "PREROUTING" || hook === "OUTPUT" ? j.manip?.pre : j.manip?.post;
      if (!isNew || j.manip) return manip ? bs.map((b) => (b.notrack ? b : withP(b, setTerms(b.p, manip)))) : bs;
      if (bs.every((b) => b.notrack)) return bs;
    }
    const ch = model.hook(table, hook);
    if (!ch) return bs;
    const acc: Branch[] = [];
    for (const b of bs) {
      if (table === "nat" && b.notrack) {
        acc.push(b);
        continue;
      }
      const exits: Exit[] = [];
      runner.run(ch, b, 0, exits);
      for (const e of exits) {
        if (e.verdict === "ACCEPT") acc.push(e.b);
        else outcomes.push({ b: e.b, verdict: e.verdict, delivery });
      }
    }
    return acc;
  };

  /** Conntrack: from here on the packet has its state (before it, the raw table sees no connection). */
  const conntrack = (bs: Branch[]): Branch[] => bs.map((b) => withP(b, b.p.withConst(F.STATE, b.notrack ? ST.UNTRACKED : j.state)));

  const route = (bs: Branch[], fromLocal: boolean): { b: Branch; d: Delivery }[] => {
    const res: { b: Branch; d: Delivery }[] = [];
    for (const b0 of bs) {
      const bs1 = fromLocal || j.route ? [b0] : dropMartians(model, b0, outcomes, opts.paths !== false);
      for (const b of bs1) for (const r of routeOne(model, b, fromLocal, j, opts)) res.push(r);
    }
    return res;
  };

  const inbound = (bs: Branch[], skipNat: boolean) => {
    // IPv6 drops loopback and multicast sources and loopback destinations from outside on arrival, before
    // any hook (ip6_rcv_core); IPv4 only when routing, after nat PREROUTING (a DNAT of 127.0.0.1 comes first).
    const arrived = model.family === "ipv6" && !j.route ? bs.flatMap((b) => dropMartians(model, b, outcomes, opts.paths !== false)) : bs;
    let cur = stage("raw", "PREROUTING", arrived, null);
    cur = conntrack(cur);
    cur = stage("mangle", "PREROUTING", cur, null);
    if (!skipNat) cur = stage("nat", "PREROUTING", cur, null);
    const routed = route(cur, false);
    if (j.untilRouting) {
      for (const r of routed) outcomes.push({ b: r.b, verdict: "ACCEPT", delivery: r.d });
      return;
    }
    const local: Branch[] = [];
    const fwd: Branch[] = [];
    for (let k = 0; k < routed.length; k++) (routed[k]!.d === "local" ? local : fwd).push(routed[k]!.b);
    let l = local;
    for (const t of HOOK_TABLES.INPUT!) l = skipNat && t === "nat" ? l : stage(t, "INPUT", l, "local");
    for (const b of l) outcomes.push({ b, verdict: "ACCEPT", delivery: "local" });
    let f = fwd;
    for (const t of HOOK_TABLES.FORWARD!) f = stage(t, "FORWARD", f, "forward");
    for (const t of HOOK_TABLES.POSTROUTING!) f = stage(t, "POSTROUTING", f, "forward");
    for (const b of f) outcomes.push({ b, verdict: "ACCEPT", delivery: "forward" });
  };

  // Raw sees no connection yet: state INVALID until conntrack.
  const pre = withP(start, start.p.withConst(F.STATE, ST.INVALID));
  if (j.origin === "in") {
    inbound([pre], false);
    return outcomes;
  }
  // Locally generated: routing first (the output interface is known to OUTPUT chains), then the hooks.
  const routed = route([pre], true);
  for (const { b } of routed) {
    let cur = stage("raw", "OUTPUT", [b], null);
    cur = conntrack(cur);
    cur = stage("mangle", "OUTPUT", cur, null);
    cur = stage("nat", "OUTPUT", cur, null);
    // nat OUTPUT may have changed the destination: route again.
    const again = isNew && !j.route ? route(cur, true).map((r) => r.b) : cur;
    cur = stage("filter", "OUTPUT", again, null);
    cur = stage("security", "OUTPUT", cur, null);
    cur = stage("mangle", "POSTROUTING", cur, null);
    cur = stage("nat", "POSTROUTING", cur, null);
    const loop: Branch[] = [];
    for (const x of cur) {
      const oif = x.p.value(F.OIF);
      if (oif !== undefined && Number(oif) === model.ifaces.classOf("lo")) loop.push(x);
      else outcomes.push({ b: x, verdict: "ACCEPT", delivery: "forward" });
    }
    if (loop.length) {
      // Back in through lo: PREROUTING (nat already decided), then INPUT.
      const lo = model.ifaces.classOf("lo");
      const none = model.ifaces.classOf("");
      inbound(
        // The packet keeps its connection: raw PREROUTING on lo sees its state and tuple (the kernel attached
        // them in OUTPUT), unlike a packet from outside, which conntrack has not seen yet there.
        loop.map((x) => withP(x, x.p.withConst(F.IIF, lo).withConst(F.OIF, none))),
        true,
      );
    }
  }
  return outcomes;
}

/** Loopback (and multicast/zero-net) sources, loopback destinations: the kernel drops them on any interface but lo. */
const martianCache = new WeakMap<Model, { src: IntervalSet<Scalar>; dst: IntervalSet<Scalar> }>();
export function martians(model: Model): { src: IntervalSet<Scalar>; dst: IntervalSet<Scalar> } {
  let m = martianCache.get(model);
  if (!m) martianCache.set(model, (m = martiansOf(model)));
  return m;
}

function martiansOf(model: Model): { src: IntervalSet<Scalar>; dst: IntervalSet<Scalar> } {
  const d = model.doms[F.SRC]!;
  if (model.family === "ipv4") {
    const src = IntervalSet.fromRanges(d, [
      [0, 0x00ffffff],
      [0x7f000000, 0x7fffffff],
      [0xe0000000, 0xefffffff],
      [0xffffffff, 0xffffffff],
    ]);
    const dst = IntervalSet.fromRanges(d, [
      [0, 0x00ffffff],
      [0x7f000000, 0x7fffffff],
    ]);
    return { src, dst };
  }
  const mc = (0xffn << 120n) as Scalar;
  return { src: IntervalSet.fromRanges(d, [[1n, 1n], [mc, d.max]] as [Scalar, Scalar][]), dst: IntervalSet.of(d, 1n as Scalar) };
}

/** The martian tests as matches, made once per model. */
const martianTestCache = new WeakMap<Model, readonly (readonly [number, CompiledMatch])[]>();
function martianTests(model: Model): readonly (readonly [number, CompiledMatch])[] {
  let tests = martianTestCache.get(model);
  if (!tests) {
    const m = martians(model);
    tests = ([
      [F.SRC, m.src],
      [F.DST, m.dst],
    ] as const).map(([f, set]) => {
      const sets = [{ f, set, text: "" }];
      return [f, { sets, certain: sets, fns: [], unknown: [], never: null } as unknown as CompiledMatch] as const;
    });
    martianTestCache.set(model, tests);
  }
  return tests;
}

function dropMartians(model: Model, b: Branch, outcomes: Outcome[], paths: boolean): Branch[] {
  const iif = b.p.value(F.IIF);
  if (iif !== undefined && Number(iif) === model.ifaces.classOf("lo")) return [b];
  let live: Branch[] = [b];
  for (const [f, test] of martianTests(model)) {
    const next: Branch[] = [];
    for (const x of live) {
      const res = evalMatch(x.p, test);
      const drop = (y: Branch) =>
        outcomes.push({ b: paths ? y.step({ table: "routing", chain: f === F.SRC ? "martian source" : "martian destination", krule: null, target: "DROP", kind: "policy" }) : y, verdict: "DROP", delivery: null });
      if (res === NO) next.push(x);
      else if (res === YES) drop(x);
      else {
        for (const q of res.no) next.push(withP(x, q));
        if (res.yes) drop(withP(x, res.yes));
      }
    }
    live = next;
  }
  return live;
}

/** Routing decision for one branch: local delivery or forward (with the output interface). */
const arrivalCache = new WeakMap<Model, { arrival: IntervalSet<Scalar>; delivered: IntervalSet<Scalar> }>();
function arrivalSets(model: Model): { arrival: IntervalSet<Scalar>; delivered: IntervalSet<Scalar> } {
  let sets = arrivalCache.get(model);
  if (!sets) {
    const arrival = (model.layout.broadcast as IntervalSet<Scalar>).union(model.layout.multicast as IntervalSet<Scalar>);
    arrivalCache.set(model, (sets = { arrival, delivered: (model.layout.local as IntervalSet<Scalar>).union(arrival) }));
  }
  return sets;
}

/** Broadcast and multicast destinations, delivered locally when a packet arrives from outside. */
export function arrivalLocal(model: Model): IntervalSet<Scalar> {
  return arrivalSets(model).arrival;
}

function routeOne(model: Model, b: Branch, fromLocal: boolean, j: Journey, opts: RunOptions): { b: Branch; d: Delivery }[] {
  const none = model.ifaces.classOf("");
  const lo = model.ifaces.classOf("lo");
  if (j.route) {
    const p = j.route.oif ? setTerms(b.p, [[F.OIF, j.route.oif]]) : b.p;
    if (j.route.delivery === "local") return [{ b: withP(b, fromLocal ? p.withConst(F.OIF, lo) : p.withConst(F.OIF, none)), d: "local" }];
    return [{ b: withP(b, p), d: "forward" }];
  }
  const layout = model.layout;
  const local = layout.local as IntervalSet<Scalar>;
  const defaultOut = (p: Sym): Sym => {
    const name = opts.out ?? (layout.external.length === 1 ? layout.external[0] : undefined);
    if (name !== undefined) return p.withConst(F.OIF, model.ifaces.classOf(name));
    return p.withVar(F.OIF, unroutedInterfaces(model));
  };
  const dstSlot = b.p.s[F.DST]!;
  // Delivered to the host: its addresses, and from outside broadcast and multicast destinations too: Linux
  // delivers them locally (the local table's broadcast routes; multicast groups the host has joined) and never
  // forwards them (no bc_forwarding, no multicast routing daemon). The union is made once per model.
  const delivered = fromLocal ? local : arrivalSets(model).delivered;
  if (dstSlot < 0) {
    const dst = b.p.c[F.DST]!;
    if (delivered.has(dst)) return [{ b: withP(b, b.p.withConst(F.OIF, fromLocal ? lo : none)), d: "local" }];
    // --out overrides the routing decision of a forwarded packet.
    const br = opts.out ? null : bridgeFor(layout, dst);
    if (br !== null) return [{ b: withP(b, b.p.withConst(F.OIF, model.ifaces.classOf(br))), d: "forward" }];
    return [{ b: withP(b, defaultOut(b.p)), d: "forward" }];
  }
  // Destination is a variable: split it by route.
  const res: { b: Branch; d: Delivery }[] = [];
  let rest = b.p.slotSet(dstSlot);
  const l = rest.intersect(delivered);
  if (!l.isEmpty) res.push({ b: withP(b, b.p.withSlots([[dstSlot, l]]).withConst(F.OIF, fromLocal ? lo : none)), d: "local" });
  rest = rest.subtract(delivered);
  for (const br of opts.out ? [] : layout.bridges) {
    let set = br.subnets as IntervalSet<Scalar>;
    for (const c of br.containers) set = set.union(IntervalSet.of(set.d, c));
    const part = rest.intersect(set);
    if (part.isEmpty) continue;
    res.push({ b: withP(b, b.p.withSlots([[dstSlot, part]]).withConst(F.OIF, model.ifaces.classOf(br.name))), d: "forward" });
    rest = rest.subtract(part);
  }
  if (!rest.isEmpty) res.push({ b: withP(b, defaultOut(b.p.withSlots([[dstSlot, rest]]))), d: "forward" });
  return res;
}
