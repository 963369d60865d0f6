/**
 * Shared analyses for the validity rules: which built-in hooks reach a user chain (through -j/-g), jump
 * cycles, and what is known about the base ruleset. Rules get them through `ctx.memo` so they run once per file.
 */
import type { Chain, Rule, Ruleset, Table, TableName } from "../ast/iptables.js";
import type { Hook } from "../catalog/types.js";
import { isBuiltinChain } from "../catalog/index.js";
import { isHookName as isHook } from "./base.js";

export interface Edge {
  readonly from: Chain;
  readonly to: Chain;
  readonly rule: Rule;
}

/** A way a built-in chain reaches a chain: the jumps taken, first to last. */
export type Path = readonly Edge[];

export interface TableGraph {
  readonly table: Table;
  readonly byName: ReadonlyMap<string, Chain>;
  /** Jumps out of each chain to chains of the same table, in rule order (chains without such jumps are absent). */
  readonly edges: ReadonlyMap<Chain, readonly Edge[]>;
  /**
   * For every hook, the chains its built-in chain reaches: chain → the last jump of a shortest path from the
   * hook's chain (null for the built-in chain itself). `pathTo` rebuilds the whole path when a message needs
   * it. Kept per hook, not per chain: a Kubernetes dump has tens of thousands of chains, and a small map for
   * each was 7 MB.
   */
  readonly hooks: ReadonlyMap<Hook, ReadonlyMap<Chain, Edge | null>>;
}

export interface RulesetGraph {
  readonly tables: ReadonlyMap<TableName, TableGraph>;
}


export function buildGraph(ruleset: Ruleset): RulesetGraph {
  const tables = new Map<TableName, TableGraph>();
  for (const table of ruleset.tables) {
    const byName = new Map(table.chains.map((c) => [c.name, c] as const));
    const edges = new Map<Chain, Edge[]>();
    for (const chain of table.chains) {
      const out: Edge[] = [];
      for (const rule of chain.rules) {
        const t = rule.target;
        if (!t || t.spec) continue;
        const to = byName.get(t.name);
        if (to && !to.builtin) out.push({ from: chain, to, rule });
      }
      // chains without jumps are left out (readers take a missing entry as no jumps)
      if (out.length) edges.set(chain, out.slice());
    }
    const hooks = new Map<Hook, Map<Chain, Edge | null>>();
    for (const chain of table.chains) {
      if (!chain.builtin || !isHook(chain.name) || !isBuiltinChain(table.name, chain.name)) continue;
      const hook = chain.name;
      // breadth-first from the hook's chain: the first jump that reaches a chain lies on a shortest path
      const via = new Map<Chain, Edge | null>([[chain, null]]);
      const queue: Chain[] = [chain];
      for (let qi = 0; qi < queue.length; qi++) {
        for (const e of edges.get(queue[qi]!) ?? []) {
          if (via.has(e.to)) continue;
          via.set(e.to, e);
          queue.push(e.to);
        }
      }
      hooks.set(hook, via);
    }
    tables.set(table.name, { table, byName, edges, hooks });
  }
  return { tables };
}

export function graphOf(ctx: { ast: Ruleset; memo<T>(key: string, compute: () => T): T }): RulesetGraph {
  return ctx.memo("validity:graph", () => buildGraph(ctx.ast));
}

/** Hooks whose packets reach `chain`, each with the last jump of a shortest path (null for the built-in chain). */
export function hooksOf(graph: RulesetGraph, chain: Chain): ReadonlyMap<Hook, Edge | null> {
  const out = new Map<Hook, Edge | null>();
  const hooks = graph.tables.get(chain.table)?.hooks;
  if (hooks) for (const [hook, via] of hooks) if (via.has(chain)) out.set(hook, via.get(chain)!);
  return out;
}

/** The jumps from `hook`'s built-in chain to `chain`, first to last (empty for the built-in chain itself). */
export function pathTo(graph: RulesetGraph, chain: Chain, hook: Hook): Path {
  const via = graph.tables.get(chain.table)?.hooks.get(hook);
  const path: Edge[] = [];
  for (let e = via?.get(chain) ?? null; e; e = via?.get(e.from) ?? null) path.unshift(e);
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
    // Tarjan's strongly connected components, iterative (jump graphs can be deep)
    let index = 0;
    const idx = new Map<Chain, number>();
    const low = new Map<Chain, number>();
    const stack: Chain[] = [];
    const onStack = new Set<Chain>();
    const sccs: Chain[][] = [];
    for (const root of tg.table.chains) {
      if (idx.has(root)) continue;
      const work: { v: Chain; next: number }[] = [{ v: root, next: 0 }];
      idx.set(root, index);
      low.set(root, index++);
      stack.push(root);
      onStack.add(root);
      while (work.length) {
        const frame = work[work.length - 1]!;
        const out = tg.edges.get(frame.v) ?? [];
        if (frame.next < out.length) {
          const w = out[frame.next++]!.to;
          if (!idx.has(w)) {
            idx.set(w, index);
            low.set(w, index++);
            stack.push(w);
            onStack.add(w);
            work.push({ v: w, next: 0 });
          } else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, idx.get(w)!));
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
        if (low.get(frame.v) === idx.get(frame.v)) {
          const comp: Chain[] = [];
          let w: Chain;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            comp.push(w);
          } while (w !== frame.v);
          sccs.push(comp);
        }
      }
    }
    for (const comp of sccs) {
      const members = new Set(comp);
      const inner = comp.flatMap((c) => (tg.edges.get(c) ?? []).filter((e) => members.has(e.to)));
      if (inner.length === 0) continue; // single chain without a self-jump
      // one concrete cycle: walk from the chain of the last-written inner edge back to itself
      const closing = inner.reduce((a, b) => (b.rule.span.offset > a.rule.span.offset ? b : a));
      const path = shortestPath(tg, closing.to, closing.from, members);
      const edges = [...(path ?? []), closing];
      const reachable = comp.some((c) => [...tg.hooks.values()].some((via) => via.has(c)));
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
    for (const e of tg.edges.get(c) ?? []) {
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
