/**
 * Which chains the concrete path (fast.ts) may answer from memory: a chain whose walk, with every chain it
 * jumps to, is a function of a few packet fields. Such a chain and the chains it calls have no match the
 * model cannot know (statistic, limit, …), never change the packet (no mark, NAT or NOTRACK target) and do
 * not loop. A packet whose tested fields are all constants then takes one way through it: one exit, one
 * path. Two packets whose values fall in the same elementary interval of every field tested with sets (the
 * intervals cut at every bound of every set), and that have the same value in every field a test reads
 * otherwise (conntrack state and NAT status, a mark under a mask, multiport --ports), take the same way, so
 * the way is computed once per combination, its key.
 */
import { matchesNoPacket } from "./compile.js";
import type { Model, CChain } from "./model.js";
import { bucketOf } from "./model.js";
import { addCuts, sortedScalars, type Scalar } from "./sets.js";

/** The tested fields of a chain and the chains it calls, with the starts of each field's elementary intervals. */
export interface ChainMemoShape {
  readonly fields: readonly number[];
  /**
   * Per field, the sorted starts of its elementary intervals (the first is the domain's minimum), or null for
   * a field keyed by its value (read by a test other than a set).
   */
  readonly starts: readonly (readonly Scalar[] | null)[];
  /** Per field, how many keys it has: its intervals, or the values of its domain. */
  readonly radix: readonly number[];
  /** Per field keyed by its value, the domain's minimum (0 for the others). */
  readonly base: readonly number[];
  /** Deepest jump below the chain (0: it calls no chain): the walk depth it needs beyond its own. */
  readonly height: number;
}

/** Keys stay exact doubles: the product of the radixes must stay below 2^53. */
const MAX_KEYS = 2 ** 52;

/**
 * The memo shape of every chain of a model, found on first use. Null for a chain that is not a function of
 * its tested fields (or whose combinations of intervals are too many to number).
 */
export class ChainMemoShapes {
  private readonly shapes: (ChainMemoShape | null | undefined)[];
  /** Chains whose shape is being found: meeting one of them again is a loop. */
  private readonly pending = new Set<CChain>();

  constructor(private readonly model: Model) {
    this.shapes = new Array<ChainMemoShape | null | undefined>(model.chains.length).fill(undefined);
  }

  shapeOf(ch: CChain): ChainMemoShape | null {
    const known = this.shapes[ch.id];
    if (known !== undefined) return known;
    // A chain met again while its own shape is being found loops: neither it nor its callers are answered from memory.
    if (this.pending.has(ch)) return null;
    this.pending.add(ch);
    const shape = this.find(ch);
    this.pending.delete(ch);
    this.shapes[ch.id] = shape;
    return shape;
  }

  private find(ch: CChain): ChainMemoShape | null {
    // First whether the chain qualifies (most that do not, a Kubernetes endpoint chain's NAT, tell at once)…
    let height = 0;
    const subs: ChainMemoShape[] = [];
    for (const r of ch.rules) {
      const m = r.match;
      // A rule that matches no packet is never taken, whatever the packet.
      if (matchesNoPacket(m)) continue;
      if (m.unknown.length > 0) return null;
      const a = r.action;
      switch (a.t) {
        case "verdict":
        case "return":
        case "continue":
        case "unknown":
          break;
        case "jump": {
          const target = r.jumpTarget;
          if (!target) break; // the walk ends UNKNOWN there, whatever the packet
          const sub = this.shapeOf(target);
          if (sub === null) return null;
          height = Math.max(height, sub.height + 1);
          subs.push(sub);
          break;
        }
        default:
          // mark, connmark, NAT, NOTRACK: the packet changes on its way
          return null;
      }
    }
    // …then the fields it tests, with their bounds.
    const doms = this.model.doms;
    const bounds = new Map<number, Set<Scalar>>();
    const exact = new Set<number>();
    const cutsOf = (f: number) => {
      let s = bounds.get(f);
      if (!s) bounds.set(f, (s = new Set<Scalar>([doms[f]!.min])));
      return s;
    };
    for (const r of ch.rules) {
      const m = r.match;
      if (matchesNoPacket(m)) continue;
      for (const t of m.fns) for (const f of t.reads) exact.add(f);
      for (const t of m.sets) addCuts(cutsOf(t.f), t.set);
    }
    for (const sub of subs) {
      sub.fields.forEach((f, k) => {
        const st = sub.starts[k]!;
        if (st === null) exact.add(f);
        else {
          const cuts = cutsOf(f);
          for (const x of st) cuts.add(x);
        }
      });
    }
    const fields = [...new Set([...bounds.keys(), ...exact])].sort((x, y) => x - y);
    const starts: (Scalar[] | null)[] = [];
    const radix: number[] = [];
    const base: number[] = [];
    let keys = 1;
    for (const f of fields) {
      if (exact.has(f)) {
        const d = doms[f]!;
        // Keyed by its value (an address field read by a test would be a bigint in IPv6: not numbered).
        if (typeof d.min !== "number" || typeof d.max !== "number") return null;
        starts.push(null);
        radix.push(d.max - d.min + 1);
        base.push(d.min);
      } else {
        const st = sortedScalars(bounds.get(f)!);
        starts.push(st);
        radix.push(st.length);
        base.push(0);
      }
      keys *= radix[radix.length - 1]!;
    }
    if (keys > MAX_KEYS) return null;
    return { fields, starts, radix, base, height };
  }
}

/**
 * The key of a packet's way through a chain of this shape: the number of its combination of intervals, or
 * -1 when a tested field is not one value (a variable: the walk may have to follow several values).
 */
export function memoKey(shape: ChainMemoShape, c: readonly Scalar[], s: readonly number[]): number {
  const fields = shape.fields;
  let key = 0;
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    if (s[f]! >= 0) return -1;
    const starts = shape.starts[k]!;
    key = key * shape.radix[k]! + (starts === null ? (c[f] as number) - shape.base[k]! : bucketOf(starts, c[f]!));
  }
  return key;
}
