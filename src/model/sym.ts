/**
 * A symbolic packet: every field is either a constant or a variable, and the variables range over a cube
 * (one set per variable). A concrete packet is the special case with no variables, so `trace` and
 * `exposure` run the same evaluator. Several fields may share a variable: a new connection's
 * `--ctorigdst` is its `-d` until DNAT rewrites `-d`; the reply's `-d` is the request's `-s`.
 */
import type { CompiledMatch, FnTest } from "./compile.js";
import { FIELD_COUNT } from "./fields.js";
import { IntervalSet, type Domain, type Scalar } from "./sets.js";

type AnySet = IntervalSet<Scalar>;

/** A packet's terms: a constant or a variable (a slot of a cube) per field. Sym, and fast.ts's packet changed in place. */
export interface Terms {
  readonly c: readonly Scalar[];
  readonly s: readonly number[];
  readonly cube: readonly (AnySet | undefined)[];
  readonly doms: readonly Domain<Scalar>[];
}

/** The one value of field `f`, or undefined when it is a variable with more than one value. */
export function termValue(p: Terms, f: number): Scalar | undefined {
  const slot = p.s[f]!;
  if (slot < 0) return p.c[f];
  const set = p.cube[slot];
  return set ? set.single : undefined;
}

/** The set of values field `f` may take (`d`: the field's domain, for a constant). */
export function termSet(p: Terms, f: number, d: Domain<Scalar>): AnySet {
  const slot = p.s[f]!;
  if (slot < 0) return IntervalSet.of(d, p.c[f]!);
  return p.cube[slot] ?? IntervalSet.full(p.doms[slot]!);
}

/**
 * A test over several fields (FnTest) on a packet: its answer when every field it reads has one value (a
 * constant, or a variable with one value left), else undefined, as when the test itself cannot tell (a
 * `partial` test is asked anyway, with undefined for such fields).
 */
export function testFn(t: FnTest, p: Terms): boolean | undefined {
  let vals: readonly Scalar[] = p.c;
  for (const f of t.reads) {
    if (p.s[f]! < 0) continue;
    const v = termValue(p, f);
    if (v === undefined && !t.partial) return undefined;
    if (vals === p.c) vals = p.c.slice();
    (vals as (Scalar | undefined)[])[f] = v;
  }
  return t.test(vals);
}

export class Sym {
  /** Constant value per field (meaningful when `s[f] < 0`). */
  readonly c: Scalar[];
  /** Variable (cube slot) per field, or -1 for a constant. */
  readonly s: number[];
  /** Set per slot; undefined = the whole domain. */
  readonly cube: (AnySet | undefined)[];
  /** Domain per slot. */
  readonly doms: Domain<Scalar>[];

  constructor(c: Scalar[], s: number[], cube: (AnySet | undefined)[], doms: Domain<Scalar>[]) {
    this.c = c;
    this.s = s;
    this.cube = cube;
    this.doms = doms;
  }

  /** A concrete packet. */
  static concrete(values: readonly Scalar[]): Sym {
    return new Sym([...values], new Array<number>(FIELD_COUNT).fill(-1), [], []);
  }

  isConst(f: number): boolean {
    return this.s[f]! < 0;
  }
  /** The constant value of a field, or undefined when it is a variable with more than one value. */
  value(f: number): Scalar | undefined {
    return termValue(this, f);
  }
  /** The set of values a field may take. */
  setOf(f: number, d: Domain<Scalar>): AnySet {
    return termSet(this, f, d);
  }
  slotSet(slot: number): AnySet {
    return this.cube[slot] ?? IntervalSet.full(this.doms[slot]!);
  }

  withConst(f: number, v: Scalar): Sym {
    if (this.s[f]! < 0 && this.c[f] === v) return this;
    const c = this.c.slice();
    const s = this.s.slice();
    c[f] = v;
    s[f] = -1;
    return new Sym(c, s, this.cube, this.doms);
  }
  /** Several constants at once (one copy). */
  withConsts(pairs: readonly (readonly [number, Scalar])[]): Sym {
    const c = this.c.slice();
    const s = this.s.slice();
    for (let k = 0; k < pairs.length; k++) {
      const f = pairs[k]![0];
      c[f] = pairs[k]![1];
      s[f] = -1;
    }
    return new Sym(c, s, this.cube, this.doms);
  }
  /** Constants and copied terms at once (one copy): terms are read from this packet before any change. */
  withEdits(consts: readonly (readonly [number, Scalar])[], terms: readonly (readonly [number, number])[]): Sym {
    const c = this.c.slice();
    const s = this.s.slice();
    for (let k = 0; k < terms.length; k++) {
      const f = terms[k]![0];
      const g = terms[k]![1];
      c[f] = this.c[g]!;
      s[f] = this.s[g]!;
    }
    for (let k = 0; k < consts.length; k++) {
      const f = consts[k]![0];
      c[f] = consts[k]![1];
      s[f] = -1;
    }
    return new Sym(c, s, this.cube, this.doms);
  }
  /** Field `f` takes the term (constant or variable) of field `g`. */
  withAlias(f: number, g: number): Sym {
    const c = this.c.slice();
    const s = this.s.slice();
    c[f] = this.c[g]!;
    s[f] = this.s[g]!;
    return new Sym(c, s, this.cube, this.doms);
  }
  /** Several assignments at once: pairs [field, source-sym field] read from `from`. */
  withTerms(pairs: readonly (readonly [number, number])[], from: Sym = this): Sym {
    const c = this.c.slice();
    const s = this.s.slice();
    for (let k = 0; k < pairs.length; k++) {
      const f = pairs[k]![0];
      const g = pairs[k]![1];
      c[f] = from.c[g]!;
      s[f] = from.s[g]!;
    }
    return new Sym(c, s, this.cube, this.doms);
  }
  /** Field `f` becomes a fresh variable ranging over `set` (a constant when the set has one value). */
  withVar(f: number, set: AnySet): Sym {
    const one = set.single;
    if (one !== undefined) return this.withConst(f, one);
    const c = this.c.slice();
    const s = this.s.slice();
    const cube = this.cube.slice();
    const doms = this.doms.slice();
    const slot = cube.length;
    cube.push(set.isFull ? undefined : set);
    doms.push(set.d);
    s[f] = slot;
    return new Sym(c, s, cube, doms);
  }
  /** Restrict variables. */
  withSlots(changes: readonly (readonly [number, AnySet])[]): Sym {
    const cube = this.cube.slice();
    for (let k = 0; k < changes.length; k++) cube[changes[k]![0]] = changes[k]![1];
    return new Sym(this.c, this.s, cube, this.doms);
  }
  /** True when some variable has no value left. */
  get isEmpty(): boolean {
    for (const set of this.cube) if (set && set.isEmpty) return true;
    return false;
  }
}

/** A packet made of variables only (each field its own variable over its whole domain). */
export function symbolic(doms: readonly Domain<Scalar>[]): Sym {
  const s: number[] = [];
  for (let f = 0; f < FIELD_COUNT; f++) s.push(f);
  return new Sym(new Array<Scalar>(FIELD_COUNT).fill(0), s, new Array<AnySet | undefined>(FIELD_COUNT).fill(undefined), doms.slice());
}

export const NO = 0;
export const YES = 1;

export interface Split {
  /** The part that matches (null when none). */
  readonly yes: Sym | null;
  /** The parts that do not match (disjoint). */
  readonly no: readonly Sym[];
  /** The rule has matches whose outcome is unknown: `yes` may also not match. */
  readonly unknown: boolean;
}

/** First test of a match that a concrete-enough packet fails, for explanations. */
export function failingTest(p: Sym, m: CompiledMatch): string | null {
  if (m.never) return m.never;
  for (const t of m.sets) {
    const slot = p.s[t.f]!;
    if (slot < 0 ? !t.set.has(p.c[t.f]!) : !(p.cube[slot] ?? t.set).intersects(t.set)) return t.text;
  }
  for (const t of m.fns) {
    if (t.reads.every((f) => p.s[f]! < 0) && t.test(p.c) === false) return t.text;
  }
  return null;
}

/**
 * Split a packet on a rule's match. Returns NO when no part matches, YES when all of it matches with no
 * unknown, otherwise the parts.
 */
export function evalMatch(p: Sym, m: CompiledMatch): typeof NO | typeof YES | Split {
  if (m.never !== null) return NO;
  const sets = m.sets;
  let vars: number[] | null = null; // indices into sets of tests on variables
  for (let k = 0; k < sets.length; k++) {
    const t = sets[k]!;
    const slot = p.s[t.f]!;
    if (slot < 0) {
      if (!t.set.has(p.c[t.f]!)) return NO;
    } else {
      const cur = p.cube[slot];
      if (cur && !cur.intersects(t.set)) return NO;
      (vars ??= []).push(k);
    }
  }
  let unknown = m.unknown.length > 0;
  for (const t of m.fns) {
    const r = testFn(t, p);
    if (r === false) return NO;
    if (r === undefined) unknown = true;
  }
  if (vars === null) return unknown ? { yes: p, no: [p], unknown: true } : YES;

  // Merge tests by slot, keep the ones that actually restrict.
  const slots: number[] = [];
  const inter: AnySet[] = [];
  const cur: AnySet[] = [];
  for (const k of vars) {
    const t = sets[k]!;
    const slot = p.s[t.f]!;
    const at = slots.indexOf(slot);
    if (at >= 0) {
      inter[at] = inter[at]!.intersect(t.set);
      if (inter[at]!.isEmpty) return NO;
      continue;
    }
    const c = p.cube[slot] ?? IntervalSet.full(p.doms[slot]!);
    const i = c.intersect(t.set);
    if (i.isEmpty) return NO;
    slots.push(slot);
    inter.push(i);
    cur.push(c);
  }
  const eff: number[] = [];
  for (let k = 0; k < slots.length; k++) if (!inter[k]!.equals(cur[k]!)) eff.push(k);
  if (eff.length === 0) return unknown ? { yes: p, no: [p], unknown: true } : YES;
  const yes = p.withSlots(eff.map((k) => [slots[k]!, inter[k]!] as const));
  const no: Sym[] = [];
  for (let j = 0; j < eff.length; j++) {
    const changes: (readonly [number, AnySet])[] = [];
    for (let i = 0; i < j; i++) changes.push([slots[eff[i]!]!, inter[eff[i]!]!]);
    const k = eff[j]!;
    changes.push([slots[k]!, cur[k]!.subtract(inter[k]!)]);
    no.push(p.withSlots(changes));
  }
  if (unknown) no.push(yes);
  return { yes, no, unknown };
}
