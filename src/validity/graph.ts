/**
 * Shared analyses for the validity rules: which built-in hooks reach a user chain (through -j/-g), jump
 * cycles, and what is known about the base ruleset. Rules get them through `ctx.memo` so they run once per file.
 */
import type { Chain, Rule, Ruleset, Table, TableName } from "../ast/iptables.js";
import type { Hook } from "../catalog/types.js";
import { clear } from "../ast/nodes.js";
import { isBuiltinChain } from "../catalog/index.js";
import { isHookName as isHook } from "./base.js";

export interface Edge {
  readonly from: Chain;
  readonly to: Chain;
  readonly rule: Rule;
}

/** A way a built-in chain reaches a chain: the jumps taken, first to last. */
export type Path = readonly Edge[];

/** Chains of a table by name. */
export interface ChainsByName {
  get(name: string): Chain | undefined;
  has(name: string): boolean;
}

/**
 * The jump graph of one table. Per-chain facts are kept in lists indexed by the chain's place in
 * `table.chains` (see `indexOf`): a Kubernetes dump has 36,000 chains, and a map keyed by chain cost 1.75 MB
 * apiece (there were five).
 */
export interface TableGraph {
  readonly table: Table;
  readonly byName: ChainsByName;
  /** The chain's place in `table.chains`, or -1 when it is not in this table. */
  indexOf(chain: Chain): number;
  /** Jumps out of a chain to chains of the same table, in rule order (empty for chains without such jumps). */
  edgesOf(chain: Chain): readonly Edge[];
  /**
   * For every hook, per chain (by place): the last jump of a shortest path from the hook's chain, null for the
   * built-in chain itself, undefined where the hook does not reach. `pathTo` rebuilds the whole path when a
   * message needs it.
   */
  readonly hooks: ReadonlyMap<Hook, readonly (Edge | null | undefined)[]>;
}

export interface RulesetGraph {
  readonly tables: ReadonlyMap<TableName, TableGraph>;
}

const NO_EDGES: readonly Edge[] = [];

/** A jump as the graph keeps it: with the target's place, found once when the graph is built. */
class PlacedEdge implements Edge {
  constructor(
    readonly from: Chain,
    readonly to: Chain,
    readonly rule: Rule,
    /** `to`'s place in `table.chains`. */
    readonly toAt: number,
  ) {}
}

class Graph implements TableGraph, ChainsByName {
  readonly hooks = new Map<Hook, (Edge | null | undefined)[]>();
  /** Place of each chain in `table.chains`, by name (names are unique in a table). */
  private readonly places = new Map<string, number>();
  /** Jumps out of each chain, by place (undefined: none). */
  private readonly edges: (readonly PlacedEdge[] | undefined)[];
  constructor(readonly table: Table) {
    const chains = table.chains;
    for (let i = 0; i < chains.length; i++) this.places.set(chains[i]!.name, i);
    this.edges = new Array<readonly PlacedEdge[] | undefined>(chains.length).fill(undefined);
    const out: PlacedEdge[] = [];
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i]!;
      for (const rule of chain.rules) {
        const t = rule.target;
        if (!t || t.spec) continue;
        const at = this.places.get(t.name);
        const to = at === undefined ? undefined : chains[at]!;
        if (to && !to.builtin) out.push(new PlacedEdge(chain, to, rule, at!));
      }
      if (out.length) this.edges[i] = out.slice();
      clear(out);
    }
    for (let i = 0; i < chains.length; i++) {
      const chain = chains[i]!;
      if (!chain.builtin || !isHook(chain.name) || !isBuiltinChain(table.name, chain.name)) continue;
      // breadth-first from the hook's chain: the first jump that reaches a chain lies on a shortest path
      const via = new Array<Edge | null | undefined>(chains.length).fill(undefined);
      via[i] = null;
      const queue: number[] = [i];
      for (let qi = 0; qi < queue.length; qi++) {
        for (const e of this.edgesAt(queue[qi]!)) {
          const to = e.toAt;
          if (via[to] !== undefined) continue;
          via[to] = e;
          queue.push(to);
        }
      }
      this.hooks.set(chain.name, via);
    }
  }
  get byName(): ChainsByName {
    return this;
  }
  get(name: string): Chain | undefined {
    const i = this.places.get(name);
    return i === undefined ? undefined : this.table.chains[i];
  }
  has(name: string): boolean {
    return this.places.has(name);
  }
  indexOf(chain: Chain): number {
    const i = this.places.get(chain.name);
    return i !== undefined && this.table.chains[i] === chain ? i : -1;
  }
  edgesOf(chain: Chain): readonly Edge[] {
    const i = this.indexOf(chain);
    return (i < 0 ? undefined : this.edges[i]) ?? NO_EDGES;
  }
  /** Jumps out of the chain at place i, each with its target's place. */
  edgesAt(i: number): readonly PlacedEdge[] {
    return (this.edges[i] ?? NO_EDGES) as readonly PlacedEdge[];
  }
}

export function buildGraph(ruleset: Ruleset): RulesetGraph {
  const tables = new Map<TableName, TableGraph>();
  for (const table of ruleset.tables) tables.set(table.name, new Graph(table));
  return { tables };
}

/** The `ctx.memo` key of the validity graph (name it in a rule's `uses`). */
export const GRAPH_ANALYSIS = "validity:graph";

export function graphOf(ctx: { ast: Ruleset; memo<T>(key: string, compute: () => T): T }): RulesetGraph {
  return ctx.memo(GRAPH_ANALYSIS, () => buildGraph(ctx.ast));
}

/** The hooks whose packets reach `chain`, in the table's order (asked once per chain of a dump). */
export function hooksReaching(graph: RulesetGraph, chain: Chain): Hook[] {
  const out: Hook[] = [];
  const tg = graph.tables.get(chain.table);
  const i = tg ? tg.indexOf(chain) : -1;
  if (i >= 0) for (const [hook, via] of tg!.hooks) if (via[i] !== undefined) out.push(hook);
  return out;
}

/** The jumps from `hook`'s built-in chain to `chain`, first to last (empty for the built-in chain itself). */
export function pathTo(graph: RulesetGraph, chain: Chain, hook: Hook): Path {
  const tg = graph.tables.get(chain.table);
  const via = tg?.hooks.get(hook);
  const path: Edge[] = [];
  if (!tg || !via) return path;
  for (let e = via[tg.indexOf(chain)] ?? null; e; e = via[tg.indexOf(e.from)] ?? null) path.unshift(e);
  return path;
}

/** "FORWARD → DOCKER-USER → MYCHAIN" */
export function describePath(hook: Hook, path: Path): string {
  const names = [hook, ...path.map((e) => e.to.name)];
  return (names.length > 8 ? [...names.slice(0, 3), "…", ...names.slice(-3)] : names).join(" → ");
}

export interface Cycle {
  /** Edges of the cycle in jump order; the last one closes it. */
  readonly edges: readonly Edge[];
  /** The cycle is entered from a built-in chain (the kernel refuses it); otherwise it is dead code. */
  readonly reachable: boolean;
}

/** Elementary jump cycles, one per strongly connected component (plus self-loops), in source order. */
export function findCycles(graph: RulesetGraph): Cycle[] {
  const out: Cycle[] = [];
  for (const tg of graph.tables.values()) {
    const g = tg as Graph;
    const chains = tg.table.chains;
    const n = chains.length;
    // Tarjan's strongly connected components, iterative (jump graphs can be deep), over chain places
    let index = 0;
    const idx = new Int32Array(n).fill(-1);
    const low = new Int32Array(n);
    const onStack = new Uint8Array(n);
    const stack: number[] = [];
    const sccs: number[][] = [];
    // the work stack: a chain's place and how many of its jumps were followed
    const workV: number[] = [];
    const workNext: number[] = [];
    for (let root = 0; root < n; root++) {
      if (idx[root] !== -1) continue;
      workV.push(root);
      workNext.push(0);
      idx[root] = low[root] = index++;
      stack.push(root);
      onStack[root] = 1;
      while (workV.length) {
        const top = workV.length - 1;
        const v = workV[top]!;
        const jumps = g.edgesAt(v);
        if (workNext[top]! < jumps.length) {
          const w = jumps[workNext[top]!++]!.toAt;
          if (idx[w] === -1) {
            idx[w] = low[w] = index++;
            stack.push(w);
            onStack[w] = 1;
            workV.push(w);
            workNext.push(0);
          } else if (onStack[w]) low[v] = Math.min(low[v]!, idx[w]!);
          continue;
        }
        workV.pop();
        workNext.pop();
        if (workV.length) {
          const parent = workV[workV.length - 1]!;
          low[parent] = Math.min(low[parent]!, low[v]!);
        }
        if (low[v] === idx[v]) {
          const comp: number[] = [];
          let w: number;
          do {
            w = stack.pop()!;
            onStack[w] = 0;
            comp.push(w);
          } while (w !== v);
          sccs.push(comp);
        }
      }
    }
    for (const places of sccs) {
      // a single chain without a self-jump is no cycle (most components): decided without sets
      if (places.length === 1 && !g.edgesAt(places[0]!).some((e) => e.to === chains[places[0]!])) continue;
      const comp = places.map((i) => chains[i]!);
      const members = new Set(comp);
      const inner = comp.flatMap((c) => tg.edgesOf(c).filter((e) => members.has(e.to)));
      if (inner.length === 0) continue;
      // one concrete cycle: walk from the chain of the last-written inner edge back to itself
      const closing = inner.reduce((a, b) => (b.rule.span.offset > a.rule.span.offset ? b : a));
      const path = shortestPath(tg, closing.to, closing.from, members);
      const edges = [...(path ?? []), closing];
      const reachable = places.some((i) => [...tg.hooks.values()].some((via) => via[i] !== undefined));
      out.push({ edges, reachable });
    }
  }
  return out.sort((a, b) => a.edges[a.edges.length - 1]!.rule.span.offset - b.edges[b.edges.length - 1]!.rule.span.offset);
}

function shortestPath(tg: TableGraph, from: Chain, to: Chain, within: ReadonlySet<Chain>): Edge[] | null {
  if (from === to) return [];
  const prev = new Map<Chain, Edge>();
  const queue = [from];
  const seen = new Set([from]);
  for (let qi = 0; qi < queue.length; qi++) {
    const c = queue[qi]!;
    for (const e of tg.edgesOf(c)) {
      if (!within.has(e.to) || seen.has(e.to)) continue;
      seen.add(e.to);
      prev.set(e.to, e);
      if (e.to === to) {
        const path: Edge[] = [];
        for (let x: Chain = to; x !== from; ) {
          const pe = prev.get(x)!;
          path.unshift(pe);
          x = pe.from;
        }
        return path;
      }
      queue.push(e.to);
    }
  }
  return null;
}
