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
   * the rule on its own applies to them too (`removalOf` tells them apart).
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
  /** The sets that also see removed rules. */
  private readonly removedSets: RuleListeners[] = [];
  private readonly removedOwners: number[] = [];

  constructor(private readonly sets: readonly RuleListeners[]) {
    sets.forEach((s, k) => {
      if (s.command) (this.commandFns.push(s.command), this.commandOwners.push(k));
      if (s.rule) (this.ruleFns.push(s.rule), this.ruleOwners.push(k));
      if (s.option) (this.optionFns.push(s.option), this.optionOwners.push(k));
      if (s.removed && (s.rule || s.option)) (this.removedSets.push(s), this.removedOwners.push(k));
    });
  }

  // indexed loops: for-of makes a result object per step until V8 has optimised the loop
  run(ruleset: Ruleset): void {
    const { commandFns, commandOwners, ruleFns, ruleOwners } = this;
    if (commandFns.length > 0) {
      const commands = ruleset.commands;
      for (let c = 0; c < commands.length; c++) this.notify(commandFns, commandOwners, commands[c]!);
    }
    const options = this.optionFns.length > 0;
    if (ruleFns.length > 0 || options) {
      for (const table of ruleset.tables) {
        for (const chain of table.chains) {
          const rules = chain.rules;
          for (let r = 0; r < rules.length; r++) {
            const rule = rules[r]!;
            this.notify(ruleFns, ruleOwners, rule);
            if (!options) continue;
            this.options(rule.criteria, rule);
            const matches = rule.matches;
            for (let m = 0; m < matches.length; m++) this.options(matches[m]!.options, rule);
            if (rule.target) this.options(rule.target.options, rule);
            this.options(rule.orphans, rule);
          }
        }
      }
    }
    if (ruleset.removedRules.length > 0 && this.removedSets.length > 0) this.removed(ruleset);
    const sets = this.sets;
    for (let k = 0; k < sets.length; k++) {
      const end = sets[k]!.end;
      if (end) {
        this.at = k;
        end();
      }
    }
  }

  /** The removed rules, each with the rule and option listeners of the sets that asked for them. */
  private removed(ruleset: Ruleset): void {
    const { removedSets: sets, removedOwners: owners } = this;
    for (const { rule } of ruleset.removedRules) {
      for (let i = 0; i < sets.length; i++) {
        this.at = owners[i]!;
        sets[i]!.rule?.(rule);
      }
      for (const list of [rule.criteria, ...rule.matches.map((m) => m.options), rule.target?.options ?? [], rule.orphans]) {
        for (const option of list) {
          for (let i = 0; i < sets.length; i++) {
            const fn = sets[i]!.option;
            if (!fn) continue;
            this.at = owners[i]!;
            fn(option, rule);
          }
        }
      }
    }
  }

  /** Each listener of one kind, on one node. */
  private notify<T>(fns: readonly Listener<[T]>[], owners: readonly number[], node: T): void {
    for (let i = 0; i < fns.length; i++) {
      this.at = owners[i]!;
      fns[i]!(node);
    }
  }

  private options(list: readonly Option[], rule: Rule): void {
    const { optionFns, optionOwners } = this;
    const n = optionFns.length;
    for (let o = 0; o < list.length; o++) {
      const option = list[o]!;
      for (let i = 0; i < n; i++) {
        this.at = optionOwners[i]!;
        optionFns[i]!(option, rule);
      }
    }
  }
}
