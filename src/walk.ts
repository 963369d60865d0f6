/**
 * One walk over a ruleset for many rules (ESLint's way: rules listen, the engine walks once).
 *
 * A rule that only looks at each command, rule or option on its own gives the engine listeners (`create` in
 * src/rule.ts) instead of walking the tree itself. On a 100k-rule dump each walk of its own cost a rule
 * 10–40 ms, most of it spent before V8 had optimised that rule's loop and in reading the tree's 400,000
 * nodes from memory again; one shared walk pays both once.
 */
import type { Command, Option, Rule, Ruleset } from "./ast/iptables.js";

/** What a rule listens to in the shared walk. Each listener is called as a plain function (no `this`). */
export interface RuleListeners {
  /** Every command, in source order (`ruleset.commands`: chain declarations, rules, policies, …). */
  readonly command?: (cmd: Command) => void;
  /** Every rule, table by table and chain by chain (the order of `allRules`). */
  readonly rule?: (rule: Rule) => void;
  /**
   * Every option of every rule, right after that rule's `rule` listeners: criteria, match options, target
   * options, then orphans (the order of `ruleOptions`).
   */
  readonly option?: (option: Option, rule: Rule) => void;
  /** After the walk, for what needs the whole ruleset. */
  readonly end?: () => void;
  /**
   * Also call `rule` and `option` for the rules the file adds and takes out again (`ruleset.removedRules`),
   * after the rules of the tree and before `end`: iptables checks a rule when it is added, so a check of
   * the rule on its own applies to them too (`removalOf` tells them apart). defineRule sets it for the
   * syntax and validity rules.
   */
  readonly removed?: boolean;
}

/** A listener threw: which of the listener sets it belongs to, and what it threw. */
export class ListenerError extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "ListenerError";
  }
}

/**
 * Walk `ruleset` once, calling every listener of `sets` in the order of `sets` at each node, then each
 * `end`. A listener that throws stops the walk with a ListenerError naming its set.
 */
export function walkRuleset(ruleset: Ruleset, sets: readonly RuleListeners[]): void {
  const walk = new Walk(sets);
  try {
    walk.run(ruleset);
  } catch (err) {
    throw new ListenerError(walk.at, err);
  }
}

type Listener<A extends unknown[]> = (...args: A) => void;

/** The listeners by kind, each with the index of its set; `at` is the set whose listener runs. */
class Walk {
  at = -1;
  private readonly commandFns: Listener<[Command]>[] = [];
  private readonly commandOwners: number[] = [];
  private readonly ruleFns: Listener<[Rule]>[] = [];
  private readonly ruleOwners: number[] = [];
  private readonly optionFns: Listener<[Option, Rule]>[] = [];
  private readonly optionOwners: number[] = [];
  /** The rule and option listeners of the sets that also see removed rules. */
  private readonly removedRuleFns: Listener<[Rule]>[] = [];
  private readonly removedRuleOwners: number[] = [];
  private readonly removedOptionFns: Listener<[Option, Rule]>[] = [];
  private readonly removedOptionOwners: number[] = [];

  constructor(private readonly sets: readonly RuleListeners[]) {
    sets.forEach((s, k) => {
      if (s.command) (this.commandFns.push(s.command), this.commandOwners.push(k));
      if (s.rule) (this.ruleFns.push(s.rule), this.ruleOwners.push(k));
      if (s.option) (this.optionFns.push(s.option), this.optionOwners.push(k));
      if (s.removed && s.rule) (this.removedRuleFns.push(s.rule), this.removedRuleOwners.push(k));
      if (s.removed && s.option) (this.removedOptionFns.push(s.option), this.removedOptionOwners.push(k));
    });
  }

  // indexed loops: for-of makes a result object per step until V8 has optimised the loop
  run(ruleset: Ruleset): void {
    const { commandFns, commandOwners, ruleFns, ruleOwners, optionFns, optionOwners } = this;
    if (commandFns.length > 0) {
      const commands = ruleset.commands;
      for (let c = 0; c < commands.length; c++) this.notify(commandFns, commandOwners, commands[c]!);
    }
    if (ruleFns.length > 0 || optionFns.length > 0) {
      for (const table of ruleset.tables) {
        for (const chain of table.chains) {
          const rules = chain.rules;
          for (let r = 0; r < rules.length; r++) this.visit(rules[r]!, ruleFns, ruleOwners, optionFns, optionOwners);
        }
      }
    }
    // the rules the file takes out again, for the sets that asked for them
    const { removedRuleFns, removedRuleOwners, removedOptionFns, removedOptionOwners } = this;
    if (removedRuleFns.length > 0 || removedOptionFns.length > 0) {
      const removed = ruleset.removedRules;
      for (let r = 0; r < removed.length; r++) this.visit(removed[r]!.rule, removedRuleFns, removedRuleOwners, removedOptionFns, removedOptionOwners);
    }
    const sets = this.sets;
    for (let k = 0; k < sets.length; k++) {
      const end = sets[k]!.end;
      if (end) {
        this.at = k;
        end();
      }
    }
  }

  /** One rule: its rule listeners, then the option listeners on each of its options, in `ruleOptions` order. */
  private visit(rule: Rule, ruleFns: readonly Listener<[Rule]>[], ruleOwners: readonly number[], optionFns: readonly Listener<[Option, Rule]>[], optionOwners: readonly number[]): void {
    this.notify(ruleFns, ruleOwners, rule);
    if (optionFns.length === 0) return;
    this.options(rule.criteria, rule, optionFns, optionOwners);
    const matches = rule.matches;
    for (let m = 0; m < matches.length; m++) this.options(matches[m]!.options, rule, optionFns, optionOwners);
    if (rule.target) this.options(rule.target.options, rule, optionFns, optionOwners);
    this.options(rule.orphans, rule, optionFns, optionOwners);
  }

  /** Each listener of one kind, on one node. */
  private notify<T>(fns: readonly Listener<[T]>[], owners: readonly number[], node: T): void {
    for (let i = 0; i < fns.length; i++) {
      this.at = owners[i]!;
      fns[i]!(node);
    }
  }

  private options(list: readonly Option[], rule: Rule, fns: readonly Listener<[Option, Rule]>[], owners: readonly number[]): void {
    const n = fns.length;
    for (let o = 0; o < list.length; o++) {
      const option = list[o]!;
      for (let i = 0; i < n; i++) {
        this.at = owners[i]!;
        fns[i]!(option, rule);
      }
    }
  }
}
