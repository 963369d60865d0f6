/**
 * Shared analyses for the validity rules: which built-in hooks reach a user chain (through -j/-g), jump
 * cycles, and what is known about the base ruleset. Rules get them through `ctx.memo` so they run once per file.
 */
import type { Chain, Rule, Ruleset, Table, TableName } from "../ast/iptables.js";
import type { Hook } from "../catalog/types.js";
import { isBuiltinChain } from "../catalog/index.js";

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
  /** Jumps out of each chain to chains of the same table, in rule order. */
  readonly edges: ReadonlyMap<Chain, readonly Edge[]>;
  /** For every chain reached from a built-in chain: hook → shortest path from that hook's chain. */
  readonly hooks: ReadonlyMap<Chain, ReadonlyMap<Hook, Path>>;
}

export interface RulesetGraph {
  readonly tables: ReadonlyMap<TableName, TableGraph>;
}

const HOOKS: readonly Hook[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

export function isHook(name: string): name is Hook {
  return (HOOKS as readonly string[]).includes(name);
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
      edges.set(chain, out);
    }
    const hooks = new Map<Chain, Map<Hook, Path>>();
    for (const chain of table.chains) {
      if (!chain.builtin || !isHook(chain.name) || !isBuiltinChain(table.name, chain.name)) continue;
      const hook = chain.name;
      // breadth-first: shortest path to every chain reachable from this hook
      const seen = new Map<Chain, Path>([[chain, []]]);
      const queue: Chain[] = [chain];
      while (queue.length) {
        const c = queue.shift()!;
        const path = seen.get(c)!;
        for (const e of edges.get(c) ?? []) {
          if (seen.has(e.to)) continue;
          seen.set(e.to, [...path, e]);
          queue.push(e.to);
        }
      }
      for (const [c, path] of seen) {
        let m = hooks.get(c);
        if (!m) hooks.set(c, (m = new Map()));
        m.set(hook, path);
      }
    }
    tables.set(table.name, { table, byName, edges, hooks });
  }
  return { tables };
}

export function graphOf(ctx: { ast: Ruleset; memo<T>(key: string, compute: () => T): T }): RulesetGraph {
  return ctx.memo("validity:graph", () => buildGraph(ctx.ast));
}

/** Hooks whose packets reach `chain`, each with the path of jumps (empty for the built-in chain itself). */
export function hooksOf(graph: RulesetGraph, chain: Chain): ReadonlyMap<Hook, Path> {
  return graph.tables.get(chain.table)?.hooks.get(chain) ?? new Map();
}

/** "FORWARD → DOCKER-USER → MYCHAIN" */
export function describePath(hook: Hook, path: Path): string {
  return [hook, ...path.map((e) => e.to.name)].join(" → ");
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
    // Tarjan's SCC
    let index = 0;
    const idx = new Map<Chain, number>();
    const low = new Map<Chain, number>();
    const stack: Chain[] = [];
    const onStack = new Set<Chain>();
    const sccs: Chain[][] = [];
    const strong = (v: Chain) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const e of tg.edges.get(v) ?? []) {
        if (!idx.has(e.to)) {
          strong(e.to);
          low.set(v, Math.min(low.get(v)!, low.get(e.to)!));
        } else if (onStack.has(e.to)) low.set(v, Math.min(low.get(v)!, idx.get(e.to)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: Chain[] = [];
        let w: Chain;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        sccs.push(comp);
      }
    };
    for (const c of tg.table.chains) if (!idx.has(c)) strong(c);
    for (const comp of sccs) {
      const members = new Set(comp);
      const inner = comp.flatMap((c) => (tg.edges.get(c) ?? []).filter((e) => members.has(e.to)));
      if (inner.length === 0) continue; // single chain without a self-jump
      // one concrete cycle: walk from the chain of the last-written inner edge back to itself
      const closing = inner.reduce((a, b) => (b.rule.span.offset > a.rule.span.offset ? b : a));
      const path = shortestPath(tg, closing.to, closing.from, members);
      const edges = [...(path ?? []), closing];
      const reachable = comp.some((c) => (tg.hooks.get(c)?.size ?? 0) > 0);
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
  while (queue.length) {
    const c = queue.shift()!;
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
