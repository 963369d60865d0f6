/**
 * Set arithmetic for the packet model: sorted lists of disjoint inclusive intervals over a bounded integer
 * domain (ports, protocol numbers, IPv4 addresses as numbers, IPv6 addresses as bigints, interface classes).
 * Sets are immutable; every operation is linear in the number of intervals.
 */

export type Scalar = number | bigint;

/** A bounded integer domain. `succ`/`pred` are only called inside [min, max]. */
export interface Domain<T extends Scalar> {
  readonly name: string;
  readonly min: T;
  readonly max: T;
  succ(x: T): T;
  pred(x: T): T;
  /** Number of values in [lo, hi] as a (possibly rounded) double. */
  width(lo: T, hi: T): number;
}

export function numberDomain(name: string, min: number, max: number): Domain<number> {
  return { name, min, max, succ: (x) => x + 1, pred: (x) => x - 1, width: (lo, hi) => hi - lo + 1 };
}

export function bigintDomain(name: string, min: bigint, max: bigint): Domain<bigint> {
  return { name, min, max, succ: (x) => x + 1n, pred: (x) => x - 1n, width: (lo, hi) => Number(hi - lo + 1n) };
}

/**
 * Where the elementary intervals cut by a set start, added to `cuts`: each range's low end and the value after
 * its high end. Sets of one field cut its domain into intervals on which each of them is all in or all out.
 */
export function addCuts<T extends Scalar>(cuts: Set<T>, set: IntervalSet<T>): void {
  const b = set.b;
  const max = set.d.max;
  for (let k = 0; k < b.length; k += 2) {
    cuts.add(b[k]!);
    if (b[k + 1]! < max) cuts.add(set.d.succ(b[k + 1]!));
  }
}

/** The values in ascending order (numbers or bigints: compared, not subtracted). */
export function sortedScalars<T extends Scalar>(xs: Iterable<T>): T[] {
  return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export const PORTS = numberDomain("port", 0, 65535);
export const PROTOCOLS = numberDomain("protocol", 0, 255);
export const IPV4 = numberDomain("ipv4", 0, 0xffffffff);
export const IPV6 = bigintDomain("ipv6", 0n, (1n << 128n) - 1n);
export const U32 = numberDomain("u32", 0, 0xffffffff);

export class IntervalSet<T extends Scalar> {
  /** Flat bounds: lo0, hi0, lo1, hi1, … sorted, disjoint and not adjacent. */
  readonly b: readonly T[];
  readonly d: Domain<T>;

  private constructor(d: Domain<T>, b: readonly T[]) {
    this.d = d;
    this.b = b;
  }

  static empty<T extends Scalar>(d: Domain<T>): IntervalSet<T> {
    return new IntervalSet(d, []);
  }
  static full<T extends Scalar>(d: Domain<T>): IntervalSet<T> {
    return new IntervalSet(d, [d.min, d.max]);
  }
  static of<T extends Scalar>(d: Domain<T>, lo: T, hi: T = lo): IntervalSet<T> {
    if (hi < lo) return new IntervalSet(d, []);
    return new IntervalSet(d, [lo < d.min ? d.min : lo, hi > d.max ? d.max : hi]);
  }
  /** From arbitrary (possibly overlapping, unsorted) inclusive ranges. */
  static fromRanges<T extends Scalar>(d: Domain<T>, ranges: readonly (readonly [T, T])[]): IntervalSet<T> {
    const rs: [T, T][] = [];
    for (let k = 0; k < ranges.length; k++) {
      const lo = ranges[k]![0];
      const hi = ranges[k]![1];
      if (lo <= hi) rs.push([lo < d.min ? d.min : lo, hi > d.max ? d.max : hi]);
    }
    if (rs.length > 1) rs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const out: T[] = [];
    for (let k = 0; k < rs.length; k++) {
      const lo = rs[k]![0];
      const hi = rs[k]![1];
      const n = out.length;
      if (n && (lo <= out[n - 1]! || (out[n - 1]! < d.max && d.succ(out[n - 1]!) === lo))) {
        if (hi > out[n - 1]!) out[n - 1] = hi;
      } else out.push(lo, hi);
    }
    // Exact-size: the compiled rules keep these sets, and a pushed-to list keeps room for 17 bounds.
    return new IntervalSet(d, out.slice());
  }
  /** Trusted constructor for already-normalized bounds. */
  static raw<T extends Scalar>(d: Domain<T>, b: readonly T[]): IntervalSet<T> {
    return new IntervalSet(d, b);
  }

  get isEmpty(): boolean {
    return this.b.length === 0;
  }
  get isFull(): boolean {
    return this.b.length === 2 && this.b[0] === this.d.min && this.b[1] === this.d.max;
  }
  /** The only value, when the set has exactly one. */
  get single(): T | undefined {
    return this.b.length === 2 && this.b[0] === this.b[1] ? this.b[0] : undefined;
  }
  get first(): T | undefined {
    return this.b[0];
  }
  get last(): T | undefined {
    return this.b[this.b.length - 1];
  }
  get intervalCount(): number {
    return this.b.length >> 1;
  }

  has(x: T): boolean {
    const b = this.b;
    const n = b.length;
    if (n === 2) return x >= b[0]! && x <= b[1]!;
    let lo = 0;
    let hi = (n >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (x < b[2 * mid]!) hi = mid - 1;
      else if (x > b[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  *ranges(): Generator<[T, T]> {
    for (let k = 0; k < this.b.length; k += 2) yield [this.b[k]!, this.b[k + 1]!];
  }

  /** Number of values, as a double (exact below 2^53). */
  size(): number {
    let s = 0;
    for (let k = 0; k < this.b.length; k += 2) s += this.d.width(this.b[k]!, this.b[k + 1]!);
    return s;
  }

  intersect(o: IntervalSet<T>): IntervalSet<T> {
    if (o === this || o.isFull) return this;
    if (this.isFull) return o;
    const a = this.b;
    const c = o.b;
    const out: T[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < c.length) {
      const lo = a[i]! > c[j]! ? a[i]! : c[j]!;
      const hi = a[i + 1]! < c[j + 1]! ? a[i + 1]! : c[j + 1]!;
      if (lo <= hi) out.push(lo, hi);
      if (a[i + 1]! < c[j + 1]!) i += 2;
      else j += 2;
    }
    return new IntervalSet(this.d, out);
  }

  intersects(o: IntervalSet<T>): boolean {
    const a = this.b;
    const c = o.b;
    let i = 0;
    let j = 0;
    while (i < a.length && j < c.length) {
      const lo = a[i]! > c[j]! ? a[i]! : c[j]!;
      const hi = a[i + 1]! < c[j + 1]! ? a[i + 1]! : c[j + 1]!;
      if (lo <= hi) return true;
      if (a[i + 1]! < c[j + 1]!) i += 2;
      else j += 2;
    }
    return false;
  }

  complement(): IntervalSet<T> {
    const d = this.d;
    const b = this.b;
    if (b.length === 0) return IntervalSet.full(d);
    const out: T[] = [];
    if (b[0]! > d.min) out.push(d.min, d.pred(b[0]!));
    for (let k = 1; k + 1 < b.length; k += 2) out.push(d.succ(b[k]!), d.pred(b[k + 1]!));
    if (b[b.length - 1]! < d.max) out.push(d.succ(b[b.length - 1]!), d.max);
    return new IntervalSet(d, out);
  }

  union(o: IntervalSet<T>): IntervalSet<T> {
    if (o.b.length === 0 || this.isFull) return this;
    if (this.b.length === 0 || o.isFull) return o;
    // Merge the two sorted lists, joining overlapping and adjacent intervals.
    const a = this.b;
    const c = o.b;
    const d = this.d;
    const out: T[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < c.length) {
      let lo: T;
      let hi: T;
      if (j >= c.length || (i < a.length && a[i]! <= c[j]!)) {
        lo = a[i]!;
        hi = a[i + 1]!;
        i += 2;
      } else {
        lo = c[j]!;
        hi = c[j + 1]!;
        j += 2;
      }
      const n = out.length;
      if (n && (lo <= out[n - 1]! || d.succ(out[n - 1]!) === lo)) {
        if (hi > out[n - 1]!) out[n - 1] = hi;
      } else out.push(lo, hi);
    }
    return new IntervalSet(d, out);
  }

  subtract(o: IntervalSet<T>): IntervalSet<T> {
    if (o.b.length === 0 || this.b.length === 0) return this;
    if (o.isFull) return new IntervalSet(this.d, []);
    return this.intersect(o.complement());
  }

  /** Every value of this set is in `o` (one pass over both lists, no copy). */
  isSubsetOf(o: IntervalSet<T>): boolean {
    const a = this.b;
    const c = o.b;
    let j = 0;
    for (let i = 0; i < a.length; i += 2) {
      const lo = a[i]!;
      const hi = a[i + 1]!;
      while (j < c.length && c[j + 1]! < lo) j += 2;
      if (j >= c.length || c[j]! > lo || c[j + 1]! < hi) return false;
    }
    return true;
  }

  equals(o: IntervalSet<T>): boolean {
    if (o === this) return true;
    if (o.b.length !== this.b.length) return false;
    for (let k = 0; k < this.b.length; k++) if (this.b[k] !== o.b[k]) return false;
    return true;
  }

  private keyCache: string | undefined;
  /** A stable text key (for grouping). */
  key(): string {
    return (this.keyCache ??= this.b.join(","));
  }
}

export type AddrSet = IntervalSet<number> | IntervalSet<bigint>;

