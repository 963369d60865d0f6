/**
 * What a `-j NAME` / `-g NAME` refers to, decided once per rule for unknown-target and undefined-chain:
 * a built-in verdict, a target extension, a chain of the rule's table — or nothing, and then whether it
 * looks like a misspelt target (unknown-target) or a chain that was never declared (undefined-chain).
 */
import { removalOf, type Rule, type Ruleset, type TableName } from "../ast/iptables.js";
import { allTargets, BUILTIN_TARGETS, isBuiltinChain, targetExistsInOtherFamily } from "../catalog/index.js";
import { didYouMean } from "./base.js";
import type { RulesetGraph } from "./graph.js";

export type JumpVerdict =
  | { readonly kind: "ok" }
  | { readonly kind: "unknown-target"; readonly suggestion?: string; readonly otherFamily?: boolean }
  | { readonly kind: "undefined-chain"; readonly suggestion?: string; readonly inTables: readonly TableName[] };

/** The common verdict, shared (judgeJump runs for every rule of a dump, twice). */
const OK: JumpVerdict = Object.freeze({ kind: "ok" });

export function targetNames(ruleset: Ruleset): string[] {
  return [...BUILTIN_TARGETS, ...allTargets().filter((e) => e.spec.families.includes(ruleset.family)).map((e) => e.spec.name)];
}

export function judgeJump(ruleset: Ruleset, graph: RulesetGraph, rule: Rule): JumpVerdict {
  const t = rule.target;
  if (!t) return OK;
  if (t.spec || (BUILTIN_TARGETS as readonly string[]).includes(t.name)) return OK;
  const tg = graph.tables.get(rule.table);
  const chains = tg?.table.chains ?? [];
  const chain = tg?.byName.get(t.name);
  if (chain && (!chain.builtin || isBuiltinChain(rule.table, t.name))) {
    // a jump to a built-in chain is refused by the kernel, but that is not "unknown"
    return OK;
  }
  // a rule taken out again may jump to a chain that existed when it was added and was deleted later
  if (!chain && removalOf(ruleset, rule) && createdBefore(ruleset, rule.table, t.name, rule.span.offset)) return OK;
  if (!t.goto && targetExistsInOtherFamily(t.name, ruleset.family)) return { kind: "unknown-target", otherFamily: true };
  const inTables = ruleset.tables.filter((x) => x.name !== rule.table && x.chains.some((c) => c.name === t.name && !c.builtin)).map((x) => x.name);
  const targets = targetNames(ruleset);
  const declared = chains.filter((c) => !c.builtin && c.declaredBy !== "implicit").map((c) => c.name);
  const targetGuess = t.goto ? undefined : didYouMean(t.name, targets, true);
  const chainGuess = didYouMean(t.name, declared);
  if (!t.goto && targetGuess && !chainGuess && inTables.length === 0) return { kind: "unknown-target", suggestion: targetGuess };
  return chainGuess ? { kind: "undefined-chain", suggestion: chainGuess, inTables } : { kind: "undefined-chain", inTables };
}

/** The file creates chain `name` of `table` (`:name` or -N) before `offset`. */
function createdBefore(ruleset: Ruleset, table: TableName, name: string, offset: number): boolean {
  return ruleset.commands.some((c) => c.span.offset < offset && c.table === table && c.chain === name && (c.op === "declare-chain" || c.op === "new-chain"));
}
