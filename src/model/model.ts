/**
 * The compiled ruleset: every chain of every table with its rules compiled (compile.ts), an index per long
 * chain, and the host layout. Built once per ruleset (lint rules share it through `ctx.memo`).
 */
import type { Chain, Family, Rule, Ruleset, TableName } from "../ast/iptables.js";
import { compileRuleShared, targetTextOf, untracksPacket, type Action, type CompileContext, type CompiledMatch } from "./compile.js";
import { F, fieldDomains } from "./fields.js";
import { IfaceUniverse } from "./ifaces.js";
import { hostLayout, type HostLayout, type HostOptions } from "./layout.js";
import { addCuts, IntervalSet, sortedScalars, type Domain, type Scalar } from "./sets.js";
import { exact } from "../ast/nodes.js";
import { protocolNumber } from "../catalog/index.js";

export interface KRule {
  /** Unique id within the model. */
  readonly id: number;
  readonly rule: Rule;
  readonly chain: CChain;
  /** Index in the compiled chain (expansions are consecutive). */
  readonly pos: number;
  /** Which expansion of the rule (0-based). */
  readonly sub: number;
  readonly match: CompiledMatch;
  readonly action: Action;
  readonly targetText: string;
  readonly line: number;
  /** The chain a jump or goto goes to. */
  jumpTarget: CChain | null;
}

/** Target texts made so far (for explanations, traces and redundancy checks: a few rules of a large dump). */
const targetTexts = new WeakMap<KRule, string>();

/** The 100k-rule model holds one per rule: 8 fields (the line is read from the rule when asked). */
class CompiledKRule implements KRule {
  jumpTarget: CChain | null = null;
  constructor(
    readonly id: number,
    readonly rule: Rule,
    readonly chain: CChain,
    readonly pos: number,
    readonly sub: number,
    readonly match: CompiledMatch,
    readonly action: Action,
  ) {}
  get line(): number {
    return this.rule.line;
  }
  get targetText(): string {
    let t = targetTexts.get(this);
    if (t === undefined) targetTexts.set(this, (t = targetTextOf(this.rule)));
    return t;
  }
}

/**
 * A chain of the model. Its rules are compiled the first time someone looks at them. Its table, name, kind
 * and policy are read from the AST chain (a Kubernetes dump has tens of thousands of chains).
 */
export class CChain {
  index: ChainIndex | null | undefined = undefined;
  private compiled: KRule[] | null = null;
  constructor(
    readonly model: Model,
    /** Position in `model.chains` (analyses keep per-chain results in lists, not maps). */
    readonly id: number,
    readonly ast: Chain,
  ) {}
  get table(): TableName {
    return this.ast.table;
  }
  get name(): string {
    return this.ast.name;
  }
  get builtin(): boolean {
    return this.ast.builtin;
  }
  get policy(): "ACCEPT" | "DROP" {
    return this.ast.policy ?? "ACCEPT";
  }
  get rules(): KRule[] {
    return (this.compiled ??= this.model.compileChain(this));
  }
  get isCompiled(): boolean {
    return this.compiled !== null;
  }
}

/** Rules of a long chain bucketed by the values of one field: only rules whose set holds the value can match. */
export interface ChainIndex {
  readonly field: number;
  /** Sorted starts of elementary intervals. */
  readonly starts: Scalar[];
  /** For each elementary interval, the positions of rules restricted to it (sorted). */
  readonly buckets: Int32Array[];
  /** Positions of rules that do not restrict the field (sorted). */
  readonly always: Int32Array;
  /** Bucket merged with `always`, per elementary interval, made on first use. */
  merged?: Int32Array[];
}

export interface ModelOptions extends HostOptions {
  /** Interface names to add to the universe (e.g. from the command line). */
  readonly interfaces?: readonly string[];
}

export class Model {
  readonly family: Family;
  readonly ruleset: Ruleset;
  readonly layout: HostLayout;
  readonly ifaces: IfaceUniverse;
  readonly doms: Domain<Scalar>[];
  /** Every chain, table by table in source order; `chain(table, name)` finds one. */
  readonly chains: CChain[] = [];
  /** The texts of unknown matches, one copy each (CompileContext `texts`). */
  private readonly unknownTexts = new Map<string, string>();
  readonly rules: KRule[] = [];
  readonly tables: ReadonlySet<TableName>;
  /** Some rule names the protocol SCTP (`-p sctp`, `-p 132`), as Docker's rules for a port published with /sctp do. */
  readonly namesSctp: boolean;

  constructor(ruleset: Ruleset, opts: ModelOptions = {}) {
    this.family = ruleset.family;
    this.ruleset = ruleset;
    this.layout = hostLayout(ruleset, opts);
    const names = new Set<string>(opts.interfaces ?? []);
    const patterns = new Set<string>();
    let sctp = false;
    for (const n of [...this.layout.external, ...this.layout.bridges.map((b) => b.name)]) names.add(n);
    for (const t of ruleset.tables)
      for (const c of t.chains)
        for (const r of c.rules)
          for (const o of r.criteria) {
            if (o.name === "-p") {
              if (!sctp) {
                const v = o.valueText(0) ?? "";
                // Nearly every rule says tcp or udp: no lookup for those.
                sctp = v !== "tcp" && v !== "udp" && protocolNumber(v) === 132;
              }
              continue;
            }
            if (o.name !== "-i" && o.name !== "-o") continue;
            const v = o.valueText(0);
            if (v === undefined) continue;
            if (v.endsWith("+")) patterns.add(v.slice(0, -1));
            else names.add(v);
          }
    for (const n of [...names]) if (n.endsWith("+")) {
      names.delete(n);
      patterns.add(n.slice(0, -1));
    }
    this.namesSctp = sctp;
    this.ifaces = new IfaceUniverse(names, patterns);
    this.doms = fieldDomains(this.family, this.ifaces.domain);
    this.tables = new Set(ruleset.tables.map((t) => t.name));
    for (const t of ruleset.tables) {
      const byName = new Map<string, CChain>();
      this.byTable.set(t.name, byName);
      for (const c of t.chains) {
        const ch = new CChain(this, this.chains.length, c);
        this.chains.push(ch);
        byName.set(c.name, ch);
      }
    }
  }

  /** Chains by table and name. */
  private readonly byTable = new Map<TableName, Map<string, CChain>>();

  /** Per table: the context its rules compile in, and the expansions its rules share (compileRuleShared). */
  private readonly contexts = new Map<TableName, { ctx: CompileContext; shared: Map<string, readonly CompiledMatch[]> }>();
  private contextOf(name: TableName): { ctx: CompileContext; shared: Map<string, readonly CompiledMatch[]> } {
    let c = this.contexts.get(name);
    if (c === undefined) {
      const table = this.byTable.get(name)!;
      const chainExists = (chain: string) => {
        const found = table.get(chain);
        return found !== undefined && !found.builtin;
      };
      c = { ctx: { family: this.family, table: name, ifaces: this.ifaces, layout: this.layout, chainExists, texts: this.unknownTexts }, shared: new Map() };
      this.contexts.set(name, c);
    }
    return c;
  }

  /** Compile a chain's rules (called once per chain, on first use). */
  compileChain(ch: CChain): KRule[] {
    const table = this.byTable.get(ch.table)!;
    const out: KRule[] = [];
    const { ctx, shared } = this.contextOf(ch.table);
    for (const r of ch.ast.rules) {
      const comp = compileRuleShared(r, ctx, shared);
      const subs = comp.expansions.length;
      for (let sub = 0; sub < subs; sub++) {
        const k = new CompiledKRule(this.rules.length, r, ch, out.length, sub, comp.expansions[sub]!, comp.action);
        if (k.action.t === "jump") k.jumpTarget = table.get(k.action.chain) ?? null;
        out.push(k);
        this.rules.push(k);
      }
    }
    return exact(out);
  }

  /** Every chain compiled (for analyses of the whole ruleset). */
  compileAll(): void {
    for (const ch of this.chains) void ch.rules;
  }

  /** Built-in chain of a table at a hook, resolved once. */
  private readonly hookCache: Record<string, Record<string, CChain | null>> = {};
  hook(table: TableName, hook: string): CChain | null {
    const t = (this.hookCache[table] ??= {});
    let c = t[hook];
    if (c === undefined) t[hook] = c = this.chain(table, hook) ?? null;
    return c;
  }

  chain(table: TableName, name: string): CChain | undefined {
    return this.byTable.get(table)?.get(name);
  }

  /** The index of a chain (built on first use; null for short chains or when no field discriminates). */
  indexOf(ch: CChain): ChainIndex | null {
    if (ch.index === undefined) ch.index = buildIndex(ch, this.doms);
    return ch.index;
  }
}

const INDEX_FIELDS = [F.DST, F.DPORT, F.SRC, F.OIF, F.IIF, F.SPORT, F.PROTO];
/** Chains shorter than this are walked rule by rule (no index). */
export const INDEX_MIN_RULES = 24;

function buildIndex(ch: CChain, doms: readonly Domain<Scalar>[]): ChainIndex | null {
  const n = ch.rules.length;
  if (n < INDEX_MIN_RULES) return null;
  let best: ChainIndex | null = null;
  let bestCost = n * 0.6; // an index must save at least 40% of the rules on average
  for (const f of INDEX_FIELDS) {
    const sets: (IntervalSet<Scalar> | null)[] = ch.rules.map((r) => r.match.sets.find((t) => t.f === f)?.set ?? null);
    const always: number[] = [];
    const bounds = new Set<Scalar>();
    let restricted = 0;
    sets.forEach((s, k) => {
      if (!s || s.isFull) {
        always.push(k);
        return;
      }
      if (s.intervalCount > 64) {
        always.push(k);
        return;
      }
      restricted++;
      addCuts(bounds, s);
    });
    if (restricted === 0) continue;
    bounds.add(doms[f]!.min);
    const starts = sortedScalars(bounds);
    const lists: number[][] = starts.map(() => []);
    let total = 0;
    let tooBig = false;
    sets.forEach((s, k) => {
      if (!s || s.isFull || s.intervalCount > 64 || tooBig) return;
      for (const [lo, hi] of s.ranges()) {
        for (let e = bucketOf(starts, lo); e < starts.length && starts[e]! <= hi; e++) {
          lists[e]!.push(k);
          if (++total > 8 * n + 1024) {
            tooBig = true;
            return;
          }
        }
      }
    });
    if (tooBig) continue;
    const cost = always.length + total / starts.length;
    if (cost < bestCost) {
      bestCost = cost;
      best = { field: f, starts, buckets: lists.map((l) => Int32Array.from(l)), always: Int32Array.from(always) };
      // Good enough: two rules or fewer per value, and few rules that every packet meets; another field
      // could only save some of those few.
      if (total / starts.length <= 2 && always.length <= Math.max(8, n / 100)) break;
    }
  }
  return best;
}

/** The bucket of a chain index holding `x`: the last position whose start is <= x (starts are sorted, starts[0] is the minimum). */
/** The index just past the last expansion of `rules[i]`'s rule (a rule's expansions are consecutive KRules). */
export function expansionsEnd(rules: readonly KRule[], i: number): number {
  const rule = rules[i]!.rule;
  let j = i + 1;
  while (j < rules.length && rules[j]!.rule === rule) j++;
  return j;
}

export function bucketOf(starts: readonly Scalar[], x: Scalar): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What choosing a packet's candidate rules reads: its terms (sym.ts), and a field's one value if it has one. */
export interface PacketValues {
  readonly c: readonly Scalar[];
  readonly s: readonly number[];
  value(f: number): Scalar | undefined;
}

/** Positions of the rules of `ch` that can match `p` (null: every rule; a short or unindexed chain, or a field of several values). */
export function candidatesFor(model: Model, ch: CChain, p: PacketValues): Int32Array | null {
  if (ch.rules.length < INDEX_MIN_RULES) return null;
  const ix = model.indexOf(ch);
  if (!ix) return null;
  const v = p.s[ix.field]! < 0 ? p.c[ix.field]! : p.value(ix.field);
  return v === undefined ? null : candidates(ix, v);
}

/** The first index of a sorted candidate list whose position is `from` or later (its length when none is). */
export function firstAtOrAfter(cand: Int32Array, from: number): number {
  let lo = 0;
  let hi = cand.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cand[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Positions of the rules of an indexed chain that can match a packet whose indexed field is `v`. */
export function candidates(ix: ChainIndex, v: Scalar): Int32Array {
  const lo = bucketOf(ix.starts, v);
  const a = ix.buckets[lo]!;
  const b = ix.always;
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  // Merged lists are kept when the always-list is short (the usual long dispatch chain).
  const cached = ix.merged?.[lo];
  if (cached) return cached;
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  if (b.length <= 64) (ix.merged ??= [])[lo] = out;
  return out;
}

/**
 * Positions (sorted) of the rules of an indexed chain that can match some value of `set` on the indexed
 * field; null when that is most of the chain anyway.
 */
export function candidatesInSet(ix: ChainIndex, set: IntervalSet<Scalar>, limit: number): number[] | null {
  if (ix.always.length > limit) return null;
  const starts = ix.starts;
  const seen = new Set<number>();
  let visited = 0;
  for (const [lo, hi] of set.ranges()) {
    for (let e = bucketOf(starts, lo); e < starts.length && starts[e]! <= hi; e++) {
      for (const k of ix.buckets[e]!) seen.add(k);
      if (++visited > limit || seen.size > limit) return null;
    }
  }
  if (ix.always.length > limit) return null;
  for (const k of ix.always) seen.add(k);
  return [...seen].sort((x, y) => x - y);
}

/** Facts about a model's rules, found once per model: whether some rule (of a table, or of any) is such. */
const ruleFacts = new WeakMap<Model, Map<string, boolean>>();
function someRule(m: Model, fact: string, table: TableName | null, pred: (r: Rule) => boolean): boolean {
  let facts = ruleFacts.get(m);
  if (!facts) ruleFacts.set(m, (facts = new Map()));
  let v = facts.get(fact);
  if (v === undefined) facts.set(fact, (v = m.ruleset.tables.some((t) => (table === null || t.name === table) && t.chains.some((c) => c.rules.some(pred)))));
  return v;
}

/**
 * Whether some rule of the model reads TCP flags (`--tcp-flags`, `--syn`). When none does, a TCP
 * connection's server data fares as its SYN-ACK (trace's answer packet), and the tracers reuse the reply.
 */
export function readsTcpFlags(m: Model): boolean {
  return someRule(m, "tcp flags", null, (r) => r.matches.some((x) => x.module === "tcp" && x.options.some((o) => o.name === "--tcp-flags" || o.name === "--syn")));
}

/** Whether the raw table untracks some packets (NOTRACK, CT --notrack): replies may then be NEW or INVALID. */
export function untracksSome(m: Model): boolean {
  return someRule(m, "notrack", "raw", untracksPacket);
}

