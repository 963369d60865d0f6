/**
 * Which rules no packet can reach and match (unreachable), and which rules change no packet's fate
 * (redundant). A rule's match is a box: one set per field. A rule is unreachable when its box lies inside
 * the union of the boxes of earlier rules that take every packet they match out of the chain (final
 * verdicts, RETURN, goto, NAT, and jumps into chains that decide those packets), computed by subtracting
 * boxes, not pairwise. Rules with matches the model cannot know (limit, set, …) never cover anything; a
 * rule's own unknown matches only make it smaller, so they never prevent the claim.
 */
import type { Rule } from "../ast/iptables.js";
import { matchesNoPacket, type CompiledMatch } from "./compile.js";
import { F, FIELD_COUNT } from "./fields.js";
import { bucketOf, candidates, candidatesInSet, type CChain, type KRule, type Model } from "./model.js";
import { addCuts, IntervalSet, sortedScalars, type Domain, type Scalar } from "./sets.js";

type AnySet = IntervalSet<Scalar>;
/** One set per field; undefined = any value. */
export type Box = (AnySet | undefined)[];

/** Fields a rule can change on the packets that go on in the chain (as a bitmask of field ids below). */
const MUTABLE = [F.MARK, F.CONNMARK, F.STATE] as const;
const MARK_BIT = 1 << F.MARK;
const CONNMARK_BIT = 1 << F.CONNMARK;
const STATE_BIT = 1 << F.STATE;

/**
 * The rule's match as a box: what it certainly tests (an over-approximation when it tests more). The
 * array ends at the last field tested (reading past it gives undefined, "any value", like an unset
 * field): a typical rule tests the first few fields, and a full-width box per rule was 24 MB of the
 * 100k-rule model.
 */
export function boxOf(m: CompiledMatch): Box | null {
  if (m.never !== null) return null;
  let width = 0;
  // indexed loops here and below: these run per rule, and for-of made an iterator result per step until V8
  // had optimised them
  const certain = m.certain;
  for (let i = 0; i < certain.length; i++) {
    const t = certain[i]!;
    if (t.set.isEmpty) return null;
    if (!t.set.isFull && t.f >= width) width = t.f + 1;
  }
  const box: Box = new Array<AnySet | undefined>(width).fill(undefined);
  for (let i = 0; i < certain.length; i++) {
    const t = certain[i]!;
    if (!t.set.isFull) box[t.f] = t.set;
  }
  return box;
}

/**
 * Whether a rule's action takes the packets it matches out of its chain: always (a final verdict, RETURN, NAT,
 * a goto, a jump to a missing chain, which the kernel refuses), never, or where the chain it jumps to decides
 * them ("jump").
 */
function exitOf(k: KRule): "always" | "never" | "jump" {
  const a = k.action;
  switch (a.t) {
    case "verdict":
    case "return":
    case "dnat":
    case "snat":
    case "masquerade":
    case "redirect":
      return "always";
    case "unknown":
      return a.final ? "always" : "never";
    case "jump":
      return a.goto || !k.jumpTarget ? "always" : "jump";
    default:
      return "never";
  }
}

/** Append `items` to `list` (a spread in push goes through an iterator). */
function pushAll<T>(list: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) list.push(items[i]!);
}


/** The rule's match is exactly its box (no multi-field tests, no unknown matches). */
export const exact = (m: CompiledMatch): boolean => m.fns.length === 0 && m.unknown.length === 0 && m.never === null && m.certain === m.sets;

const NO_BOXES: Box[] = [];
/** Stands in for a box that is never read (see `decided`). */
const NO_BOX: Box = Object.freeze([]) as unknown as Box;

/** The box itself when it ends at its last tested field, else an exact-size copy that does. */
function tight(b: Box): Box {
  let width = b.length;
  while (width > 0 && b[width - 1] === undefined) width--;
  return width === b.length ? b : b.slice(0, width);
}

export function boxIntersects(a: Box, b: Box): boolean {
  for (let f = 0; f < FIELD_COUNT; f++) {
    const x = a[f];
    const y = b[f];
    if (x && y && !x.intersects(y)) return false;
  }
  return true;
}

export function boxIntersect(a: Box, b: Box): Box | null {
  const out: Box = new Array<AnySet | undefined>(FIELD_COUNT);
  for (let f = 0; f < FIELD_COUNT; f++) {
    const x = a[f];
    const y = b[f];
    if (x && y) {
      const i = x.intersect(y);
      if (i.isEmpty) return null;
      out[f] = i;
    } else out[f] = x ?? y;
  }
  return out;
}

/** a minus b as disjoint boxes. */
export function boxSubtract(a: Box, b: Box, doms: readonly Domain<Scalar>[]): Box[] {
  if (!boxIntersects(a, b)) return [a];
  const out: Box[] = [];
  let cur = a;
  for (let f = 0; f < FIELD_COUNT; f++) {
    const y = b[f];
    if (!y) continue;
    const x = cur[f] ?? IntervalSet.full(doms[f]!);
    const outside = x.subtract(y);
    if (!outside.isEmpty) {
      const piece = cur.slice();
      piece[f] = outside;
      out.push(piece);
    }
    const inside = x.intersect(y);
    cur = cur.slice();
    cur[f] = inside.isFull ? undefined : inside;
  }
  return out;
}

/** outer ⊇ inner. */
function boxContains(outer: Box, inner: Box): boolean {
  for (let f = 0; f < FIELD_COUNT; f++) {
    const o = outer[f];
    if (!o) continue;
    const i = inner[f];
    if (!i || !i.isSubsetOf(o)) return false;
  }
  return true;
}

function boxHas(box: Box, point: readonly Scalar[]): boolean {
  for (let f = 0; f < FIELD_COUNT; f++) {
    const s = box[f];
    if (s && !s.has(point[f]!)) return false;
  }
  return true;
}

/** Drop constraints on the given fields (a bitmask of MUTABLE fields; an over-approximation). */
function widen(box: Box, fields: number): Box {
  if (fields === 0) return box;
  let out = box;
  for (const f of MUTABLE)
    if (fields & (1 << f) && box[f]) {
      if (out === box) out = box.slice();
      out[f] = undefined;
    }
  return out;
}

const constrains = (box: Box, fields: number): boolean => {
  if (fields === 0) return false;
  for (const f of MUTABLE) if (fields & (1 << f) && box[f]) return true;
  return false;
};

/** Per field, which covers restrict it to which values: candidate covers of a box or a point by bitsets. */
class CoverIndex {
  private readonly words: number;
  private readonly fields: {
    readonly f: number;
    readonly starts: Scalar[];
    readonly buckets: number[][];
    readonly always: Uint32Array;
  }[] = [];
  private readonly isCover: Uint32Array;

  constructor(
    readonly n: number,
    exits: readonly (Box[] | null)[],
    doms: readonly Domain<Scalar>[],
  ) {
    this.words = (n + 31) >>> 5;
    this.isCover = new Uint32Array(this.words);
    exits.forEach((e, j) => {
      if (e) this.isCover[j >>> 5]! |= 1 << (j & 31);
    });
    for (let f = 0; f < FIELD_COUNT; f++) {
      const sets: (IntervalSet<Scalar> | null)[] = exits.map((e) => {
        if (!e) return null;
        let u: IntervalSet<Scalar> | null = null;
        for (const b of e) {
          const s = b[f];
          if (!s) return null;
          u = u ? u.union(s) : s;
        }
        return u && u.intervalCount <= 64 ? u : null;
      });
      if (!sets.some((x) => x)) continue;
      const d = doms[f]!;
      const bounds = new Set<Scalar>([d.min]);
      for (const x of sets) if (x) addCuts(bounds, x);
      const starts = sortedScalars(bounds);
      const buckets: number[][] = starts.map(() => []);
      const always = new Uint32Array(this.words);
      let total = 0;
      let ok = true;
      sets.forEach((x, j) => {
        if (!exits[j] || !ok) return;
        if (!x) {
          always[j >>> 5]! |= 1 << (j & 31);
          return;
        }
        for (const [lo, hi] of x.ranges()) {
          for (let e = bucketOf(starts, lo); e < starts.length && starts[e]! <= hi; e++) {
            buckets[e]!.push(j);
            if (++total > 16 * n + 4096) ok = false;
          }
        }
      });
      if (ok) this.fields.push({ f, starts, buckets, always });
    }
  }

  private bitsOf(j: number, bits: Uint32Array): boolean {
    return (bits[j >>> 5]! & (1 << (j & 31))) !== 0;
  }

  /** Scratch bitsets, reused by every query. */
  private readonly acc = new Uint32Array(this.wordsOf());
  private readonly tmp = new Uint32Array(this.wordsOf());
  private wordsOf(): number {
    return (this.n + 31) >>> 5;
  }

  /** acc &= (always | the given entries), without allocating. */
  private andWith(always: Uint32Array, entries: Iterable<number>, first: boolean): void {
    const acc = this.acc;
    const tmp = this.tmp;
    const touched: number[] = [];
    for (const j of entries) {
      const w = j >>> 5;
      if (tmp[w] === 0) touched.push(w);
      tmp[w]! |= 1 << (j & 31);
    }
    if (first) for (let w = 0; w < this.words; w++) acc[w] = always[w]! | tmp[w]!;
    else for (let w = 0; w < this.words; w++) acc[w]! &= always[w]! | tmp[w]!;
    for (const w of touched) tmp[w] = 0;
  }

  /** Entries in [from, to) that may share a packet with `box` (by the indexed fields). */
  candidates(box: Box, to: number, from = 0): number[] {
    let first = true;
    for (const x of this.fields) {
      const s = box[x.f];
      if (!s) continue;
      const entries: number[] = [];
      let visited = 0;
      let skip = false;
      for (const [lo, hi] of s.ranges()) {
        for (let e = bucketOf(x.starts, lo); e < x.starts.length && x.starts[e]! <= hi; e++) {
          for (const j of x.buckets[e]!) entries.push(j);
          // A field the box barely restricts barely filters: leave it out (candidates stay a superset).
          if (++visited > 64 || entries.length > this.n / 4) {
            skip = true;
            break;
          }
        }
        if (skip) break;
      }
      if (skip) continue;
      this.andWith(x.always, entries, first);
      first = false;
    }
    return this.list(first ? this.isCover : this.acc, to, from);
  }

  /** Covers before `limit` whose indexed fields all hold the point's values. */
  atPoint(point: readonly Scalar[], limit: number): number[] {
    let first = true;
    for (const x of this.fields) {
      this.andWith(x.always, x.buckets[bucketOf(x.starts, point[x.f]!)]!, first);
      first = false;
    }
    return this.list(first ? this.isCover : this.acc, limit);
  }

  /**
   * A point of `box` chosen to dodge covers: in every indexed field, a value from the elementary interval
   * (within the box) that the fewest covers restrict themselves to.
   */
  dodge(box: Box, doms: readonly Domain<Scalar>[]): Scalar[] {
    const point: Scalar[] = [];
    for (let f = 0; f < FIELD_COUNT; f++) point.push((box[f] ?? IntervalSet.full(doms[f]!)).first!);
    for (const x of this.fields) {
      const s = box[x.f] ?? IntervalSet.full(doms[x.f]!);
      let best = -1;
      let bestValue: Scalar = point[x.f]!;
      let visited = 0;
      for (const [lo, hi] of s.ranges()) {
        for (let e = bucketOf(x.starts, lo); e < x.starts.length && x.starts[e]! <= hi; e++) {
          const size = x.buckets[e]!.length;
          if (best < 0 || size < best) {
            best = size;
            bestValue = x.starts[e]! > lo ? x.starts[e]! : lo;
          }
          if (best === 0 || ++visited > 4096) break;
        }
        if (best === 0 || visited > 4096) break;
      }
      point[x.f] = bestValue;
    }
    return point;
  }

  private list(bits: Uint32Array, to: number, from = 0): number[] {
    const out: number[] = [];
    const cover = this.isCover;
    const last = Math.min(to, this.n);
    for (let w = from >>> 5; w < this.words && w * 32 < last; w++) {
      let v = bits[w]! & cover[w]!;
      while (v !== 0) {
        const b = 31 - Math.clz32(v & -v);
        const j = w * 32 + b;
        if (j >= last) break;
        if (j >= from) out.push(j);
        v &= v - 1;
      }
    }
    return out;
  }
}

export interface Cover {
  readonly krule: KRule;
  readonly boxes: readonly Box[];
}

export interface UnreachableFinding {
  readonly rule: Rule;
  /** Rules whose union covers it (first expansion of each), in chain order. */
  readonly covering: readonly KRule[];
}

export interface RedundantFinding {
  readonly rule: Rule;
  /** Later rules that give the same verdict to every packet it matches (empty when the policy does). */
  readonly later: readonly KRule[];
  readonly byPolicy: boolean;
}

const BUDGET = 20_000;
/** An empty set of rules, shared (never added to). */
const NO_RULES: ReadonlySet<Rule> = new Set<Rule>();

export class Coverage {
  /** Per chain (by `id`): its decided boxes and the fields it may change, once known. */
  private readonly decidedCache: (Box[] | undefined)[];
  private readonly modCache: (number | undefined)[];
  private readonly inProgress = new Set<CChain>();
  readonly unreachable: UnreachableFinding[] = [];
  readonly redundant: RedundantFinding[] = [];

  constructor(readonly model: Model) {
    model.compileAll();
    this.decidedCache = new Array<Box[] | undefined>(model.chains.length).fill(undefined);
    this.modCache = new Array<number | undefined>(model.chains.length).fill(undefined);
    for (const ch of model.chains) this.analyze(ch);
  }

  /**
   * The boxes of a chain's rules, made when the chain is analysed or decided and not kept: a box per rule for
   * the whole model was 6 MB of the 100k-rule dump's peak, and the boxes that matter later are kept by the
   * decided boxes that hold them.
   */
  private boxesOf(ch: CChain): (Box | null)[] {
    return ch.rules.map((k) => boxOf(k.match));
  }

  /** Fields a chain (or the chains it calls) may change on packets that come back from it (bitmask). */
  modifies(ch: CChain, seen?: Set<CChain>): number {
    const c = this.modCache[ch.id];
    if (c !== undefined) return c;
    if (seen?.has(ch)) return 0;
    (seen ??= new Set<CChain>()).add(ch);
    let out = 0;
    const rules = ch.rules;
    for (let i = 0; i < rules.length; i++) out |= actionMods(rules[i]!);
    for (let i = 0; i < rules.length; i++) {
      const k = rules[i]!;
      if (k.action.t === "jump" && k.jumpTarget) out |= this.modifies(k.jumpTarget, seen);
    }
    this.modCache[ch.id] = out;
    return out;
  }

  /** Boxes of packets the chain certainly gives a final verdict to (wherever it is entered from). */
  decided(ch: CChain): Box[] {
    const c = this.decidedCache[ch.id];
    if (c) return c;
    if (this.inProgress.has(ch)) return [];
    this.inProgress.add(ch);
    const doms = this.model.doms;
    const dec: Box[] = [];
    let ret: Box[] = [];
    let modified = 0;
    let ok = true;
    const minus = (b: Box): Box[] => {
      let pieces = [b];
      for (let n = 0; n < ret.length; n++) {
        const r = ret[n]!;
        const next: Box[] = [];
        for (const p of pieces) for (const q of boxSubtract(p, r, doms)) next.push(q);
        pieces = next;
        if (pieces.length > 256) return [];
        if (pieces.length === 0) break;
      }
      return pieces;
    };
    // A rule's box is read only when its match is exact, or when it returns or goes to a chain: a rule with an
    // unknown match (a Kubernetes random pick) that jumps to a chain needs none.
    for (let i = 0; i < ch.rules.length; i++) {
      if (!ok) break;
      const k = ch.rules[i]!;
      if (matchesNoPacket(k.match)) continue;
      const a = k.action;
      const ex = exact(k.match);
      const b = ex || a.t === "return" || (a.t === "jump" && a.goto) ? boxOf(k.match)! : NO_BOX;
      const sure = ex && !constrains(b, modified);
      if (a.t === "verdict" || a.t === "dnat" || a.t === "snat" || a.t === "masquerade" || a.t === "redirect" || (a.t === "unknown" && a.final)) {
        if (sure) pushAll(dec, minus(b));
      } else if (a.t === "return") {
        ret.push(widen(b, modified));
      } else if (a.t === "jump") {
        const target = k.jumpTarget;
        if (sure && target) {
          const there = this.decided(target);
          for (let n = 0; n < there.length; n++) {
            const i = boxIntersect(b, there[n]!);
            if (i) pushAll(dec, minus(i));
          }
        }
        if (a.goto) ret.push(widen(b, modified));
        else if (target) modified |= this.modifies(target);
      } else modified |= actionMods(k);
      if (ret.length > 64 || dec.length > 4096) ok = false;
    }
    void ret;
    ret = [];
    this.inProgress.delete(ch);
    // Kept for every chain that is jumped to: exact-size, each box ending at its last tested field.
    const kept = dec.length === 0 ? NO_BOXES : dec.map(tight);
    this.decidedCache[ch.id] = kept;
    return kept;
  }

  /** Boxes of the packets a rule takes out of its chain (certainly), or null. */
  private exits(k: KRule, b: Box | null): Box[] | null {
    if (!b || !exact(k.match)) return null;
    const how = exitOf(k);
    if (how === "never") return null;
    if (how === "always") return [b];
    const out: Box[] = [];
    for (const d of this.decided(k.jumpTarget!)) {
      const i = boxIntersect(b, d);
      if (i) out.push(i);
    }
    return out.length ? out : null;
  }

  /**
   * Whether `exits(k, box)` can be non-null, told without the box: the rule matches something, exactly, and its
   * action takes packets out (a jump: into a chain that decides some). Calls `decided` exactly where `exits`
   * does, so the order in which chains are decided does not change.
   */
  private mayExit(k: KRule): boolean {
    if (matchesNoPacket(k.match) || !exact(k.match)) return false;
    const how = exitOf(k);
    return how === "always" || (how === "jump" && this.decided(k.jumpTarget!).length > 0);
  }

  private analyze(ch: CChain): void {
    const rules = ch.rules;
    const lastRule = rules.length - 1;
    // Only the packets an earlier rule takes out can cover a rule: in a chain of one rule, or one where no rule
    // before the last takes any out for certain (a Kubernetes service chain: random picks, jumps to chains
    // that return), every rule is reachable, and the search below is skipped. Telling that needs the boxes of
    // the rules that may take packets out only; and only verdict rules can be redundant. Most chains of a
    // Kubernetes dump make no box here.
    const may = rules.length < 2 ? null : rules.map((k) => this.mayExit(k));
    if (may === null || !may.some((m, j) => m && j < lastRule && this.exits(rules[j]!, boxOf(rules[j]!.match)) !== null)) {
      if (rules.some((k) => k.action.t === "verdict")) this.findRedundant(ch, NO_RULES, this.boxesOf(ch));
      return;
    }
    const boxes = this.boxesOf(ch);
    const exits: (Box[] | null)[] = rules.map((k, i) => (may[i] ? this.exits(k, boxes[i]!) : null));
    const doms = this.model.doms;
    const ix = this.model.indexOf(ch);
    // Fields changed by rules before each position: per position, the position of the last change of each
    // MUTABLE field (-1: none), made when some rule changes one (most chains change nothing).
    let modAt: Int32Array | null = null;
    const last = [-1, -1, -1];
    for (let i = 0; i < rules.length; i++) {
      if (modAt) for (let m = 0; m < 3; m++) modAt[3 * i + m] = last[m]!;
      const k = rules[i]!;
      let mods = actionMods(k);
      if (k.action.t === "jump" && !k.action.goto && k.jumpTarget) mods |= this.modifies(k.jumpTarget);
      if (mods === 0) continue;
      modAt ??= new Int32Array(3 * rules.length).fill(-1);
      for (let m = 0; m < 3; m++) if (mods & (1 << MUTABLE[m]!)) last[m] = i;
    }
    const changes = modAt;
    const usable = (j: number, i: number, boxes: readonly Box[]): boolean => {
      // A cover at j is sound for a rule at i unless a field it tests changed in between.
      if (!changes) return true;
      for (let m = 0; m < 3; m++) {
        const at = changes[3 * i + m]!;
        const f = MUTABLE[m]!;
        if (at >= 0 && at >= j && boxes.some((b) => b[f])) return false;
      }
      return true;
    };
    // Candidate covers: from the chain's index on one field when that narrows them down, else (mixed
    // chains) from bitsets over every field.
    let index: CoverIndex | null = null;
    const bits = () => (index ??= new CoverIndex(rules.length, exits, doms));
    const SMALL = 256;
    const primary = (i: number, a: Box): number[] | null => {
      if (ix && ix.always.length > SMALL) return null;
      const key = ix ? a[ix.field] : undefined;
      const v = key?.single;
      let list: number[] | null = null;
      if (ix && v !== undefined) list = Array.from(candidates(ix, v)).filter((j) => j < i);
      else if (ix && key) list = candidatesInSet(ix, key, 256)?.filter((j) => j < i) ?? null;
      else if (i <= SMALL) list = Array.from({ length: i }, (_, j) => j);
      return list && list.length <= SMALL ? list : null;
    };
    const filterCovers = (i: number, a: Box, list: readonly number[]) => list.filter((j) => exits[j] && exits[j]!.some((e) => boxIntersects(a, e)) && usable(j, i, exits[j]!));
    // A point of the box that no earlier cover holds proves the rule reachable, without subtracting boxes.
    const escapes = (i: number, a: Box): boolean => {
      const point = bits().dodge(a, doms);
      return !bits().atPoint(point, i).some((j) => usable(j, i, exits[j]!) && exits[j]!.some((e) => boxHas(e, point)));
    };

    // Per rule (its expansions are consecutive KRules): whether some expansion escapes, else what covers
    // them. The cover set is made only for rules with a covered expansion: most rules have none, and a set
    // per rule was 100,000 allocations on the 100k-rule dump.
    const escaped = new Set<Rule>();
    const unreachableRules = new Map<Rule, Set<KRule>>();
    for (let i = 0; i < rules.length; i++) {
      const k = rules[i]!;
      const a = boxes[i]!;
      let covered: KRule[] | null = null;
      if (a) {
        const few = primary(i, a);
        if (few) covered = this.coveredBy(a, filterCovers(i, a, few), exits, rules, doms);
        else if (!escapes(i, a)) {
          const list = bits().candidates(a, i);
          // A single earlier rule that takes all of it, found without looking at the others.
          const whole = list.find((j) => usable(j, i, exits[j]!) && exits[j]!.some((e) => boxContains(e, a)));
          covered = whole !== undefined ? [rules[whole]!] : this.coveredBy(a, filterCovers(i, a, list), exits, rules, doms);
        }
      }
      if (!covered) escaped.add(k.rule);
      else if (!escaped.has(k.rule)) {
        let cur = unreachableRules.get(k.rule);
        if (!cur) unreachableRules.set(k.rule, (cur = new Set<KRule>()));
        for (const c of covered) cur.add(c);
      }
    }
    const dead = new Set<Rule>();
    for (const [rule, covering] of unreachableRules) {
      if (escaped.has(rule) || covering.size === 0) continue;
      dead.add(rule);
      const firstOf = new Map<Rule, KRule>();
      for (const c of [...covering].sort((x, y) => x.pos - y.pos)) if (!firstOf.has(c.rule)) firstOf.set(c.rule, c);
      this.unreachable.push({ rule, covering: [...firstOf.values()] });
    }
    this.findRedundant(ch, dead, boxes);
  }

  /** Rules whose union covers `a` (in order of use), or null when some packet of `a` escapes them. */
  private coveredBy(a: Box, covers: readonly number[], exits: readonly (Box[] | null)[], rules: readonly KRule[], doms: readonly Domain<Scalar>[]): KRule[] | null {
    if (covers.length === 0) return null;
    // One earlier rule that takes all of it (a duplicate, a wider rule): that is the answer.
    for (const j of covers) if (exits[j]!.some((e) => boxContains(e, a))) return [rules[j]!];
    // Cheap refutation: a corner of the box that no cover contains.
    for (const corner of [0, 1]) {
      const point: Scalar[] = [];
      for (let f = 0; f < FIELD_COUNT; f++) {
        const s = a[f] ?? IntervalSet.full(doms[f]!);
        point.push(corner === 0 ? s.first! : s.last!);
      }
      if (!covers.some((j) => exits[j]!.some((e) => boxHas(e, point)))) return null;
    }
    let pieces: Box[] = [a];
    let budget = BUDGET;
    const used: KRule[] = [];
    for (const j of covers) {
      let touched = false;
      for (const e of exits[j]!) {
        const next: Box[] = [];
        for (const p of pieces) {
          if (!boxIntersects(p, e)) {
            next.push(p);
            continue;
          }
          touched = true;
          for (const q of boxSubtract(p, e, doms)) next.push(q);
        }
        pieces = next;
        budget -= pieces.length + 1;
        if (budget < 0) return null;
        if (pieces.length === 0) break;
      }
      if (touched) used.push(rules[j]!);
      if (pieces.length === 0) return used;
    }
    return null;
  }

  /**
   * Final rules whose every packet, if the rule were removed, would get the same verdict from the rules
   * below it before anything else could happen to it.
   */
  private findRedundant(ch: CChain, dead: ReadonlySet<Rule>, boxes: readonly (Box | null)[]): void {
    const rules = ch.rules;
    // The chain's bitset index over every field, made when a long mixed chain first needs it.
    const index: { rx: CoverIndex | null } = { rx: null };
    const doms = this.model.doms;
    // Per rule: whether some expansion keeps its own fate, else the later rules that decide it. As for
    // unreachable rules, the sets are made only for rules still in question; once one expansion of a rule
    // fails, its other expansions are not looked at.
    // (both made on first use)
    let failed: Set<Rule> | null = null;
    let byRule: Map<Rule, { later: Set<KRule>; policy: boolean }> | null = null;
    for (let i = 0; i < rules.length; i++) {
      const k = rules[i]!;
      if (dead.has(k.rule) || failed?.has(k.rule)) continue;
      const a = boxes[i]!;
      if (!a || k.action.t !== "verdict" || !exact(k.match)) {
        (failed ??= new Set<Rule>()).add(k.rule);
        continue;
      }
      const res = this.sameFateBelow(ch, i, a, doms, dead, boxes, index);
      if (!res) {
        (failed ??= new Set<Rule>()).add(k.rule);
        continue;
      }
      byRule ??= new Map();
      let cur = byRule.get(k.rule);
      if (!cur) byRule.set(k.rule, (cur = { later: new Set<KRule>(), policy: false }));
      for (const x of res.later) cur.later.add(x);
      if (res.policy) cur.policy = true;
    }
    if (byRule === null) return;
    for (const [rule, v] of byRule) {
      if (failed?.has(rule)) continue;
      const firstOf = new Map<Rule, KRule>();
      for (const c of [...v.later].sort((x, y) => x.pos - y.pos)) if (!firstOf.has(c.rule)) firstOf.set(c.rule, c);
      this.redundant.push({ rule, later: [...firstOf.values()], byPolicy: v.policy });
    }
  }

  /**
   * For a final rule of a built-in chain: whether every packet it matches would get the same verdict
   * without it, counting the chain's policy, and from which later rules (policy true when some packets
   * would reach the policy). redundant-rule leaves the policy out (policies change); default-accept-policy
   * asks this of the ACCEPT rules of an INPUT chain whose policy is ACCEPT. null when some packet's fate
   * would change, or when the rule is not a plain verdict on an exactly known match.
   */
  sameFateCountingPolicy(k: KRule): { later: KRule[]; policy: boolean } | null {
    const ch = k.chain;
    if (!ch.builtin || k.action.t !== "verdict" || !exact(k.match)) return null;
    // the chain's boxes and dead rules, kept while its rules are asked one after another
    let c = this.policyAsked;
    if (c === null || c.ch !== ch) {
      const dead = new Set<Rule>();
      for (const u of this.unreachable) if (u.rule.chain === ch.name && u.rule.table === ch.table) dead.add(u.rule);
      this.policyAsked = c = { ch, boxes: this.boxesOf(ch), dead, index: { rx: null } };
    }
    const a = c.boxes[k.pos];
    if (!a || c.dead.has(k.rule)) return null;
    return this.sameFateBelow(ch, k.pos, a, this.model.doms, c.dead, c.boxes, c.index, true);
  }
  private policyAsked: { ch: CChain; boxes: (Box | null)[]; dead: Set<Rule>; index: { rx: CoverIndex | null } } | null = null;

  private sameFateBelow(ch: CChain, i: number, a: Box, doms: readonly Domain<Scalar>[], dead: ReadonlySet<Rule>, boxes: readonly (Box | null)[], index: { rx: CoverIndex | null }, countPolicy = false): { later: KRule[]; policy: boolean } | null {
    const k = ch.rules[i]!;
    const verdict = k.action.t === "verdict" ? k.action.v : null;
    const sig = targetSignature(k);
    let pieces: Box[] = [a];
    const later: KRule[] = [];
    let budget = BUDGET;
    // Only rules that can share a packet with this one matter: take them from the chain's index, or
    // (mixed chains) from bitsets over every field.
    const ix = this.model.indexOf(ch);
    const key = ix ? a[ix.field] : undefined;
    let order: number[] | null = null;
    if (ix && key && ix.always.length <= 256) {
      const v = key.single;
      const list = v !== undefined ? Array.from(candidates(ix, v)) : candidatesInSet(ix, key, 256);
      if (list) order = list.filter((j) => j > i);
    }
    if ((order === null && ch.rules.length - i > 256) || (order !== null && order.length > 256)) {
      const rx = (index.rx ??= new CoverIndex(ch.rules.length, boxes.map((b) => b && [b]), doms));
      order = rx.candidates(a, ch.rules.length, i + 1);
    }
    const count = order ? order.length : ch.rules.length - i - 1;
    for (let n = 0; n < count; n++) {
      const j = order ? order[n]! : i + 1 + n;
      const r = ch.rules[j]!;
      const b = boxes[j]!;
      if (!b) continue;
      if (!pieces.some((p) => boxIntersects(p, b))) continue;
      const act = r.action;
      if (act.t === "continue" && (act.name === null || act.name === "LOG" || act.name === "NFLOG" || act.name === "ULOG")) continue;
      if (act.t === "verdict" && act.v === verdict && targetSignature(r) === sig) {
        // A dead rule with the same verdict (a duplicate) is unreachable-rule's finding: delete that one.
        if (!exact(r.match) || dead.has(r.rule)) continue;
        const next: Box[] = [];
        for (const p of pieces) for (const q of boxSubtract(p, b, doms)) next.push(q);
        pieces = next;
        later.push(r);
        budget -= pieces.length + 1;
        if (budget < 0) return null;
        if (pieces.length === 0) return { later, policy: false };
        continue;
      }
      return null;
    }
    // Falling through to the policy is not counted for redundant-rule: policies change (Docker flips
    // FORWARD's), rules are written to hold under either.
    if (countPolicy && ch.builtin && verdict === ch.policy) return { later, policy: true };
    return null;
  }
}

function targetSignature(k: KRule): string {
  return k.targetText;
}

/** Fields a rule's target changes on packets that go on (bitmask). */
function actionMods(k: KRule): number {
  switch (k.action.t) {
    case "mark":
    case "connmark-restore":
      return MARK_BIT;
    case "connmark-set":
    case "connmark-save":
      return CONNMARK_BIT;
    case "notrack":
      return STATE_BIT;
    case "continue":
      return k.action.name === "HMARK" ? MARK_BIT : 0;
    case "unknown":
      return k.action.final ? 0 : MARK_BIT | CONNMARK_BIT | STATE_BIT;
    default:
      return 0;
  }
}
