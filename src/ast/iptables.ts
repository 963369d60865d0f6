import type { ExtensionSpec, Family, OptionSpec, TableName } from "../catalog/types.js";
import type { Span } from "./span.js";

export type { Family, TableName } from "../catalog/types.js";
export type { Span } from "./span.js";

/** The input format a ruleset came from. All formats produce the same tree. */
export type SourceFormat =
  | "save" // iptables-save / iptables-restore file (rules.v4, *.rules, live dumps)
  | "list-rules" // `iptables -S` output (-P/-N/-A lines, no *table headers)
  | "script"; // shell script of `iptables …` commands

export interface Node<K extends string> {
  readonly kind: K;
  readonly span: Span;
}

/** One word of a rule as iptables sees it after quote processing. */
export interface Word extends Node<"Word"> {
  /** Value after quote and escape processing (what iptables receives in argv). */
  readonly text: string;
  /** Exactly as written in the source. */
  readonly raw: string;
  readonly quoted: boolean;
  /** Script only: the word contains a shell expansion ($VAR, $(…), `…`) whose value is unknown. */
  readonly dynamic?: boolean;
}

export interface Counters extends Node<"Counters"> {
  readonly packets: bigint;
  readonly bytes: bigint;
}

export interface Comment extends Node<"Comment"> {
  /** Text after the `#`. */
  readonly text: string;
  /** The `#` is not in the first column (iptables-restore only treats column-1 `#` as a comment). */
  readonly indented: boolean;
}

/**
 * One option with its values: a core criterion (`-s 10.0.0.0/8`), a match option (`--dport 22`)
 * or a target option (`--to-destination 172.17.0.2:80`).
 */
export interface Option extends Node<"Option"> {
  /** Canonical spelling from the catalog (`--source` → `-s`, `--destination-port` → `--dport`), or as written when unknown. */
  readonly name: string;
  /** Spelling used in the source (`--source`, `--dpo`, `--comment=x` gives `--comment`). */
  readonly written: string;
  readonly nameSpan: Span;
  readonly negated: boolean;
  /** "prefix" for `! --opt v`, "legacy" for the pre-1.4.3 `--opt ! v`, null when not negated. */
  readonly negation: "prefix" | "legacy" | null;
  /** Span of the `!` when negated. */
  readonly bangSpan: Span | null;
  readonly values: readonly Word[];
  /** `values.length`, without making the Word nodes (see valueText). */
  readonly valueCount: number;
  /** `values[i].text`, without making the Word nodes: code that runs for every option of a dump reads this. */
  valueText(i: number): string | undefined;
  /** `values[i].dynamic === true` (script words with a shell expansion), without making the Word nodes. */
  valueDynamic(i: number): boolean;
  /** The option came as `--opt=value` (getopt style). */
  readonly inlineValue: boolean;
  /** Catalog entry; undefined for options no loaded extension defines. */
  readonly spec: OptionSpec | undefined;
  /** Written as an unambiguous prefix of the real name (getopt accepts it, e.g. `--dpo`). */
  readonly abbreviated: boolean;
}

/** A loaded match extension: `-m NAME` or an implicit protocol match loaded by `-p tcp --dport 22`. */
export interface Match extends Node<"Match"> {
  /** Module name as given (`-m tcp` → "tcp"), or the implicit protocol match's name. */
  readonly module: string;
  /** Loaded implicitly by `-p PROTO` and a protocol option (iptables-save prints it as `-m PROTO`). */
  readonly implicit: boolean;
  /** Span of the `-m NAME` words (for implicit matches: the first option that loaded it). */
  readonly headSpan: Span;
  readonly options: readonly Option[];
  /** Catalog entry, or undefined for a module the catalog does not know. */
  readonly spec: ExtensionSpec | undefined;
}

export interface Target extends Node<"Target"> {
  readonly name: string;
  readonly nameSpan: Span;
  /** `-g CHAIN` (goto) rather than `-j`. */
  readonly goto: boolean;
  readonly options: readonly Option[];
  /** Catalog entry for target extensions; undefined for built-in verdicts and chain names. */
  readonly spec: ExtensionSpec | undefined;
}

/** A rule as it ends up in a chain (the effect of -A/-I/-R). */
export interface Rule extends Node<"Rule"> {
  readonly table: TableName;
  readonly chain: string;
  /** 1-based position in the chain after every operation of the source applied (as `--line-numbers` shows). */
  position: number;
  /** The line the rule starts on (`span.line`, without making the whole span). */
  readonly line: number;
  /** Core criteria: -s -d -i -o -p -f, and -c. */
  readonly criteria: readonly Option[];
  readonly matches: readonly Match[];
  readonly target: Target | null;
  /** Options that no loaded extension defines (e.g. `--src-range` without `-m iprange`). */
  readonly orphans: readonly Option[];
  /** Words that belong to no option (`--comment two words` leaves "words"). */
  readonly strays: readonly Word[];
  /** `[pkts:bytes]` prefix or `-c pkts bytes`. */
  readonly counters: Counters | null;
  /** The command that created the rule. */
  readonly command: Command;
  /** Items in source order (criteria, matches, target, orphans), for printers that keep the author's order. */
  readonly items: readonly RuleItem[];
}

export type RuleItem =
  | { readonly type: "criterion"; readonly option: Option }
  | { readonly type: "match"; readonly match: Match }
  | { readonly type: "option"; readonly match: Match; readonly option: Option }
  | { readonly type: "target"; readonly target: Target }
  | { readonly type: "target-option"; readonly option: Option }
  | { readonly type: "orphan"; readonly option: Option };

export interface Chain extends Node<"Chain"> {
  readonly name: string;
  readonly table: TableName;
  readonly builtin: boolean;
  /** Policy of a built-in chain; null for user chains (`-` in a dump) and undeclared built-ins. */
  policy: "ACCEPT" | "DROP" | null;
  readonly counters: Counters | null;
  /** How the chain came to exist: a `:NAME` line, `-N`, implicitly (built-in, or a script using it). */
  readonly declaredBy: "declaration" | "new-chain" | "implicit";
  /** Every declaration of this chain in its table (more than one is a duplicate). */
  readonly declarations: readonly Span[];
  readonly rules: Rule[];
  /** Span of the name in the declaring line, or of its first use. */
  readonly nameSpan: Span;
}

export interface Table extends Node<"Table"> {
  readonly name: TableName;
  /** Span of the `*name` header (or of the first command naming the table). */
  readonly headerSpan: Span | null;
  readonly chains: Chain[];
  /** `COMMIT` spans for each block of this table (a table may appear several times). */
  readonly commits: Span[];
  /** Header(s) without a matching COMMIT before the next header or end of file. */
  readonly unterminated: Span[];
}

export type OperationType =
  | "append" // -A
  | "insert" // -I [n]
  | "delete" // -D rule | -D n
  | "replace" // -R n rule
  | "check" // -C (scripts)
  | "new-chain" // -N
  | "delete-chain" // -X [chain]
  | "flush" // -F [chain]
  | "zero" // -Z [chain [n]]
  | "policy" // -P chain target
  | "rename-chain" // -E old new
  | "declare-chain" // ":NAME POLICY [c]" line of a dump
  | "list"; // -L/-S and other read-only commands in scripts

/** One command, in source order: the effect of a script or restore file on a ruleset. */
export interface Command extends Node<"Command"> {
  readonly op: OperationType;
  /** The command word as written (`-A`, `--append`, `-I`, …). */
  readonly flag: string;
  readonly table: TableName;
  /** Chain operated on, or null (e.g. `-F` with no chain). */
  readonly chain: string | null;
  readonly chainSpan: Span | null;
  /** -I/-R/-D/-Z position when given. */
  readonly index: number | null;
  /** Rule specification for -A/-I/-R/-D/-C. */
  readonly rule: Rule | null;
  /** -P target / -E new name / declaration policy. */
  readonly argument: Word | null;
  /** The argument's text (`argument?.text`), read without making its Word. */
  readonly argumentText: string | null;
  /** -4 / -6 line prefix, or the tool used in a script (iptables vs ip6tables). */
  readonly family: Family | null;
  /** Script only: the program name used (`iptables`, `ip6tables-legacy`, …). */
  readonly program?: string;
}

export interface ParseDiagnostic {
  readonly message: string;
  readonly span: Span;
  /** Stable id of the kind of problem, e.g. "unterminated-quote", "missing-value". */
  readonly code: string;
}

export interface Ruleset extends Node<"Ruleset"> {
  readonly format: SourceFormat;
  readonly family: Family;
  /** Why the family was chosen: forced by the caller, or which evidence was seen. */
  readonly familyReason: string;
  readonly tables: Table[];
  /** Every command in source order (includes chain declarations of dumps). */
  readonly commands: Command[];
  /**
   * Rules the file adds and takes out again further down (-D, -R, -F), in source order: they are not in
   * `tables`, but iptables checks each rule when it is added. Validity rules see them too (src/walk.ts).
   */
  readonly removedRules: readonly RemovedRule[];
  readonly comments: Comment[];
  /** `# Generated by iptables-save v1.8.9 (nf_tables) on …` header, when present. */
  readonly generator: { readonly tool: string; readonly version: string; readonly backend: "nf_tables" | "legacy" | null; readonly span: Span } | null;
  /** Commands for the other family that this ruleset left out (`-6` lines in an IPv4 view, ip6tables in a script). */
  readonly otherFamilyCommands: number;
  /** Syntax problems found while parsing; parsing never throws on user input. */
  readonly diagnostics: ParseDiagnostic[];
  /** Number of lines in the source. */
  readonly lineCount: number;
}

/** A rule that left the tree, and the command that took it out (-D, -R or -F). */
export interface RemovedRule {
  readonly rule: Rule;
  readonly by: Command;
}

export type IptablesNode = Ruleset | Table | Chain | Rule | Match | Target | Option | Word | Counters | Comment | Command;

/** All rules of a ruleset, table by table, chain by chain (one shared list per ruleset). */
export function allRules(ruleset: Ruleset): readonly Rule[] {
  let list = allRulesMemo.get(ruleset);
  if (!list) {
    list = [];
    for (const table of ruleset.tables) for (const chain of table.chains) for (const rule of chain.rules) list.push(rule);
    allRulesMemo.set(ruleset, list);
  }
  return list;
}
/** A parsed ruleset does not change, so its flat rule list is built once (rules iterate it many times). */
const allRulesMemo = new WeakMap<Ruleset, Rule[]>();

/** The entry of `ruleset.removedRules` for `rule`, if the file takes the rule out again. */
export function removalOf(ruleset: Ruleset, rule: Rule): RemovedRule | undefined {
  if (ruleset.removedRules.length === 0) return undefined;
  let byRule = removalMemo.get(ruleset);
  if (!byRule) removalMemo.set(ruleset, (byRule = new Map(ruleset.removedRules.map((r) => [r.rule, r]))));
  return byRule.get(rule);
}
const removalMemo = new WeakMap<Ruleset, Map<Rule, RemovedRule>>();

export function findTable(ruleset: Ruleset, name: TableName): Table | undefined {
  return ruleset.tables.find((t) => t.name === name);
}

export function findChain(ruleset: Ruleset, table: TableName, name: string): Chain | undefined {
  return findTable(ruleset, table)?.chains.find((c) => c.name === name);
}

/** All options of a rule: criteria, match options, target options and orphans. */
export function* ruleOptions(rule: Rule): Generator<Option> {
  yield* rule.criteria;
  for (const m of rule.matches) yield* m.options;
  if (rule.target) yield* rule.target.options;
  yield* rule.orphans;
}

/** First criterion with that canonical name (-s, -d, -p, -i, -o, -f). A loop: the parser and rules ask it of every rule. */
export function criterion(rule: Rule, name: string): Option | undefined {
  for (const o of rule.criteria) if (o.name === name) return o;
  return undefined;
}

/** First match with that module name. */
export function match(rule: Rule, module: string): Match | undefined {
  return rule.matches.find((m) => m.module === module);
}

/** First option with that canonical name in any match of the rule. */
export function matchOption(rule: Rule, name: string): Option | undefined {
  for (const m of rule.matches) for (const o of m.options) if (o.name === name) return o;
  return undefined;
}
