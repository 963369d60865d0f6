/**
 * Interface names as a finite domain. Every name and `prefix+` pattern a ruleset mentions splits the
 * (infinite) space of interface names into classes that no rule can tell apart: each mentioned name is a
 * class of its own; "any other name starting with `p`" is a class per mentioned prefix `p`; "any other
 * name" is the class of the empty prefix. Classes are ordered by their key so that the names starting
 * with any prefix form one interval of class indices: a pattern is then an interval.
 */
import { IntervalSet, numberDomain, type Domain } from "./sets.js";

export interface IfaceClass {
  /** Exact name, or the prefix of the class. */
  readonly key: string;
  /** True for "any other name starting with key". */
  readonly wildcard: boolean;
}

export class IfaceUniverse {
  readonly classes: readonly IfaceClass[];
  readonly domain: Domain<number>;
  private readonly exact = new Map<string, number>();
  private readonly prefixes: string[];
  private readonly prefixIndex = new Map<string, number>();

  constructor(names: Iterable<string>, patterns: Iterable<string>) {
    const exact = new Set<string>(names);
    exact.add(""); // no interface (locally generated / locally delivered)
    exact.add("lo");
    const pre = new Set<string>(patterns);
    pre.add("");
    const list: IfaceClass[] = [...[...exact].map((key) => ({ key, wildcard: false })), ...[...pre].map((key) => ({ key, wildcard: true }))];
    list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.wildcard === b.wildcard ? 0 : a.wildcard ? 1 : -1));
    this.classes = list;
    list.forEach((c, k) => (c.wildcard ? this.prefixIndex.set(c.key, k) : this.exact.set(c.key, k)));
    this.prefixes = [...pre].sort((a, b) => b.length - a.length);
    this.domain = numberDomain("iface", 0, list.length - 1);
  }

  /** The class a concrete interface name belongs to ("" = no interface). */
  classOf(name: string): number {
    const e = this.exact.get(name);
    if (e !== undefined) return e;
    for (const p of this.prefixes) if (name.startsWith(p)) return this.prefixIndex.get(p)!;
    return this.prefixIndex.get("")!;
  }

  private readonly patternCache = new Map<string, IntervalSet<number>>();
  /** Classes matched by `-i name` / `-i prefix+` (without negation). */
  pattern(text: string): IntervalSet<number> {
    let s = this.patternCache.get(text);
    if (!s) this.patternCache.set(text, (s = this.computePattern(text)));
    return s;
  }
  private computePattern(text: string): IntervalSet<number> {
    if (!text.endsWith("+")) return IntervalSet.of(this.domain, this.classOf(text));
    const p = text.slice(0, -1);
    // `+` compares zero bytes of the name: it matches every interface (the kernel's mask is empty).
    if (p === "") return IntervalSet.full(this.domain);
    let lo = -1;
    let hi = -1;
    this.classes.forEach((c, k) => {
      if (c.key.startsWith(p)) {
        if (lo < 0) lo = k;
        hi = k;
      }
    });
    return lo < 0 ? IntervalSet.empty(this.domain) : IntervalSet.of(this.domain, lo, hi);
  }

  /** A name for a class as people read it: `eth0`, `eth+` (other names starting with eth), `*` (any other). */
  label(k: number): string {
    const c = this.classes[k];
    if (!c) return "?";
    if (!c.wildcard) return c.key === "" ? "(none)" : c.key;
    return c.key === "" ? "*" : `${c.key}+`;
  }

  /** A concrete interface name in the class (for examples). */
  sample(k: number): string {
    const c = this.classes[k]!;
    if (!c.wildcard) return c.key;
    for (let n = 0; ; n++) {
      const name = `${c.key}x${n}`.slice(0, 15);
      if (this.classOf(name) === k) return name;
      if (n > 1000) return name;
    }
  }
}
