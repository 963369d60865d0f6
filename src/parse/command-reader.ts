/**
 * Reads one iptables command (the words after the program name, or a restore-file line) into a Command with
 * its Rule. This is the catalog-driven half of the parser: getopt's view of the words, with every option
 * attributed to the extension that owns it, the way iptables does it:
 *  - an option belongs to the most recently loaded extension (match or target) that defines it
 *    (iptables merges a newly loaded extension's options in front of the older ones);
 *  - an option nothing loaded defines makes iptables load the protocol match of `-p` and read it again
 *    (`-p tcp --dport 22`);
 *  - getopt accepts unambiguous prefixes of long options (`--dpo` for `--dport`);
 *  - a required value is the next word, whatever it looks like (but a missing value is reported as such).
 */
import { criterion, type Command, type Counters, type Family, type Match, type OperationType, type Option, type ParseDiagnostic, type SourceFormat, type TableName, type Word } from "../ast/iptables.js";
import { clear, CommandNode, CountersNode, counterValue, type Located, MatchNode, OptionNode, RuleNode, TargetNode, type WordNode, wordNode, type WordParts } from "../ast/nodes.js";
import type { Span } from "../ast/span.js";
import { TABLE_NAMES } from "../catalog/core.js";
import { type CatalogEntry, extensionsDefining, findCoreOption, findMatch, findTarget, implicitMatchFor, isBuiltinTarget } from "../catalog/index.js";
import type { OptionSpec } from "../catalog/types.js";
import type { Args } from "./args.js";
import { looksLikeOption } from "./words.js";

export interface ReaderContext {
  readonly family: Family;
  readonly format: SourceFormat;
  /** Table the command applies to unless it says `-t`. */
  readonly table: TableName;
  readonly diagnostics: ParseDiagnostic[];
  /**
   * User chains of the table here named like a target extension (`:LOG - [0:0]` before the rule) or like an
   * option (`:-x`): iptables looks chains up first, so `-j NAME` jumps to the chain and NAME's options are
   * unknown; and getopt gives -j the next word whatever it looks like, so `-j -x` names the chain.
   */
  readonly chainTargets?: ReadonlySet<string> | undefined;
}

interface CommandFlag {
  readonly op: OperationType;
  /** Positional arguments after the flag. */
  readonly positional: readonly ("chain" | "chain?" | "index?" | "index" | "word")[];
  readonly takesRule: boolean;
}

const COMMANDS = new Map<string, CommandFlag>();
function cmd(names: string[], flag: CommandFlag) {
  for (const n of names) COMMANDS.set(n, flag);
}
cmd(["-A", "--append"], { op: "append", positional: ["chain"], takesRule: true });
cmd(["-I", "--insert"], { op: "insert", positional: ["chain", "index?"], takesRule: true });
cmd(["-D", "--delete"], { op: "delete", positional: ["chain"], takesRule: true });
cmd(["-R", "--replace"], { op: "replace", positional: ["chain", "index"], takesRule: true });
cmd(["-C", "--check"], { op: "check", positional: ["chain"], takesRule: true });
cmd(["-N", "--new-chain", "--new"], { op: "new-chain", positional: ["chain"], takesRule: false });
cmd(["-X", "--delete-chain"], { op: "delete-chain", positional: ["chain?"], takesRule: false });
cmd(["-F", "--flush"], { op: "flush", positional: ["chain?"], takesRule: false });
cmd(["-Z", "--zero"], { op: "zero", positional: ["chain?", "index?"], takesRule: false });
cmd(["-P", "--policy"], { op: "policy", positional: ["chain", "word"], takesRule: false });
cmd(["-E", "--rename-chain"], { op: "rename-chain", positional: ["chain", "word"], takesRule: false });
cmd(["-L", "--list", "-S", "--list-rules"], { op: "list", positional: ["chain?", "index?"], takesRule: false });

/** Options of the iptables program itself, accepted anywhere on a command line. */
const GLOBALS = new Map<string, { canonical: string; args: 0 | 1 | "optional-number" }>([
  ["-t", { canonical: "-t", args: 1 }],
  ["--table", { canonical: "-t", args: 1 }],
  ["-w", { canonical: "-w", args: "optional-number" }],
  ["--wait", { canonical: "-w", args: "optional-number" }],
  ["-W", { canonical: "-W", args: 1 }],
  ["--wait-interval", { canonical: "-W", args: 1 }],
  ["-v", { canonical: "-v", args: 0 }],
  ["--verbose", { canonical: "-v", args: 0 }],
  ["-n", { canonical: "-n", args: 0 }],
  ["--numeric", { canonical: "-n", args: 0 }],
  ["-x", { canonical: "-x", args: 0 }],
  ["--exact", { canonical: "-x", args: 0 }],
  ["--line-numbers", { canonical: "--line-numbers", args: 0 }],
  ["--modprobe", { canonical: "--modprobe", args: 1 }],
  ["-4", { canonical: "-4", args: 0 }],
  ["--ipv4", { canonical: "-4", args: 0 }],
  ["-6", { canonical: "-6", args: 0 }],
  ["--ipv6", { canonical: "-6", args: 0 }],
]);

/** Options whose value is free text (a comment, a log prefix, a string to search for). */
const FREE_TEXT_OPTIONS: ReadonlySet<string> = new Set(["--comment", "--log-prefix", "--nflog-prefix", "--string"]);

/**
 * Position k of `word` lies in the value of a free-text option, which iptables takes as written: the word
 * follows such an option (`previous`), or is `--comment=…` and k is past the `=`.
 */
export function inFreeText(previous: string, word: string, k: number): boolean {
  if (FREE_TEXT_OPTIONS.has(previous)) return true;
  const eq = word.indexOf("=");
  return eq > 0 && k > eq && FREE_TEXT_OPTIONS.has(word.slice(0, eq));
}
const isNumber = (text: string) => /^\d+$/.test(text);

/** Span of arguments i..j (inclusive). */
function argSpan(args: Args, i: number, j = i): Span {
  const s = args.start(i);
  const e = args.end(j);
  return { line: args.loc.line(s), column: args.loc.column(s), endLine: args.loc.line(e), endColumn: args.loc.column(e), offset: s, endOffset: e };
}

/** `--name=value` → name length (up to the `=`), or -1. */
function inlineEq(text: string): number {
  return text.charCodeAt(0) === 45 && text.charCodeAt(1) === 45 ? text.indexOf("=") : -1;
}

/** The pieces of the value part of `--name=value` in argument i, written into `into`. */
function inlineValueParts(args: Args, i: number, into: WordParts): WordParts {
  const raw = args.raw(i);
  const rawEq = raw.indexOf("=");
  const text = args.text(i);
  into.raw = raw.slice(rawEq + 1);
  into.text = text.slice(text.indexOf("=") + 1);
  into.start = args.start(i) + rawEq + 1;
  into.end = args.end(i);
  into.quoted = into.raw.includes('"');
  into.dynamic = false;
  return into;
}

/** A Word for the value part of `--name=value` in argument i. */
function inlineValueWord(args: Args, i: number): WordNode {
  const p = inlineValueParts(args, i, scratch.parts);
  return wordNode(args.loc, p.start, p.end, p.text, p.raw, p.quoted, p.dynamic);
}

function diag(ctx: ReaderContext, code: string, message: string, span: Span) {
  ctx.diagnostics.push({ code, message, span });
}

/** `-t TABLE` anywhere on a script's command line (getopt reads it wherever it stands). */
function prescanTable(args: Args): TableName | undefined {
  for (let k = 0; k < args.count; k++) {
    const t = args.text(k);
    if (k > 0 && FREE_TEXT_OPTIONS.has(args.text(k - 1))) continue;
    let v: string | undefined;
    if (t === "-t" || t === "--table") v = k + 1 < args.count ? args.text(k + 1) : undefined;
    else if (t.startsWith("--table=")) v = t.slice(8);
    if (v !== undefined && (TABLE_NAMES as readonly string[]).includes(v)) return v as TableName;
  }
  return undefined;
}

/**
 * Reads a command from its arguments. `counters` is the `[p:b]` prefix of a restore line.
 * Returns null when the words hold no command (a diagnostic says why).
 */
export function readCommand(args: Args, ctx: ReaderContext, lineSpan: Span | (() => Span), counters: Counters | null, program?: string): Command | null {
  const n = args.count;
  let table = ctx.format !== "save" ? (prescanTable(args) ?? ctx.table) : ctx.table;
  let family: Family | null = null;
  let flag: CommandFlag | undefined;
  let flagIndex = -1;
  let chain: string | null = null;
  let chainStart = -1;
  let chainEnd = -1;
  let index: number | null = null;
  let argument: Word | null = null;
  let i = 0;

  for (; i < n && !flag; i++) {
    const text = args.text(i);
    const eq = inlineEq(text);
    const name = eq === -1 ? text : text.slice(0, eq);
    const g = GLOBALS.get(name);
    if (g) {
      if (g.canonical === "-4" || g.canonical === "-6") family = g.canonical === "-4" ? "ipv4" : "ipv6";
      else if (g.canonical === "-t") {
        const hasValue = eq !== -1 || (i + 1 < n && !looksLikeOption(args.text(i + 1)));
        if (!hasValue) diag(ctx, "missing-value", `option ${name} needs a table name`, argSpan(args, i));
        else {
          const v = eq !== -1 ? text.slice(eq + 1) : args.text(i + 1);
          const vSpan = argSpan(args, eq !== -1 ? i : i + 1);
          if (ctx.format === "save") diag(ctx, "table-option-in-restore", `"${name}" is not allowed in an iptables-restore file; the table comes from the *${ctx.table} header`, { ...argSpan(args, i), endColumn: vSpan.endColumn, endLine: vSpan.endLine, endOffset: vSpan.endOffset });
          else if (!(TABLE_NAMES as readonly string[]).includes(v)) diag(ctx, "unknown-table", `unknown table "${v}"; iptables knows ${TABLE_NAMES.join(", ")}`, vSpan);
          if (eq === -1) i++;
        }
      } else if (g.args === 1 && eq === -1) i++;
      else if (g.args === "optional-number" && eq === -1 && i + 1 < n && isNumber(args.text(i + 1))) i++;
      continue;
    }
    const f = COMMANDS.get(name);
    if (!f) {
      diag(ctx, "no-command", `expected a command such as -A CHAIN before "${text}"`, argSpan(args, i));
      return null;
    }
    flag = f;
    flagIndex = i;
    for (const kind of f.positional) {
      const inline = eq !== -1 && kind === f.positional[0];
      const has = inline || i + 1 < n;
      const nextText = inline ? text.slice(eq + 1) : has ? args.text(i + 1) : "";
      if (kind === "chain" || kind === "chain?") {
        // getopt gives a required argument the next word whatever it looks like: -N's name (iptables then refuses
        // "-x", and `iptables -S` of a legacy ruleset prints it), a declared chain named "-x" (legacy); elsewhere
        // a word like an option is more likely a missing chain name
        if (has && ((!looksLikeOption(nextText) && nextText !== "!") || (kind === "chain" && (f.op === "new-chain" || ctx.chainTargets?.has(nextText) === true)))) {
          chain = nextText;
          if (inline) {
            chainStart = args.start(i) + eq + 1;
            chainEnd = args.end(i);
          } else {
            chainStart = args.start(i + 1);
            chainEnd = args.end(i + 1);
          }
          if (!inline) i++;
        } else if (kind === "chain") {
          diag(ctx, "missing-chain", `${name} needs a chain name`, argSpan(args, i));
          return null;
        }
      } else if (kind === "index?" || kind === "index") {
        if (has && chain !== null && isNumber(nextText)) {
          index = Number(nextText);
          i++;
        } else if (kind === "index") {
          diag(ctx, "missing-value", `${name} needs a rule number after the chain name`, argSpan(args, has ? i + 1 : i));
        }
      } else {
        if (has && !looksLikeOption(nextText)) {
          argument = args.word(i + 1);
          i++;
        } else {
          diag(ctx, "missing-value", `${name}${chain ? ` ${chain}` : ""} needs ${f.op === "policy" ? "a policy (ACCEPT or DROP)" : "a new chain name"}`, argSpan(args, i));
        }
      }
    }
  }
  if (!flag) {
    diag(ctx, "no-command", "line has no iptables command (-A, -I, -N, -P, …)", typeof lineSpan === "function" ? lineSpan() : lineSpan);
    return null;
  }
  // -D CHAIN NUM
  if (flag.op === "delete" && n - i === 1 && isNumber(args.text(i))) {
    index = Number(args.text(i));
    i = n;
  }
  const first = counters ? (counters as Counters & Located).offset : args.start(0);
  const cmd = new CommandNode(args.loc, first, args.end(n - 1), {
    op: flag.op,
    flag: args.text(flagIndex),
    table,
    chain,
    chainStart,
    chainEnd,
    index,
    argument,
    family,
    program,
  });
  if (flag.takesRule && chain !== null && !(flag.op === "delete" && index !== null)) {
    const reader = new RuleReader(args, ctx, table);
    const rule = reader.read(i, cmd, chain, counters);
    if (reader.family !== null) cmd.family = reader.family;
    cmd.rule = rule;
  } else {
    for (; i < n; i++) {
      const text = args.text(i);
      const g = GLOBALS.get(text);
      if (g) {
        if (g.args === 1) i++;
        continue;
      }
      diag(ctx, "unexpected-argument", `unexpected argument "${text}" after ${args.text(flagIndex)}${chain ? ` ${chain}` : ""}`, argSpan(args, i));
      break;
    }
  }
  return cmd;
}

/** One loaded extension, most recent last. */
interface Loaded {
  readonly entry: CatalogEntry | undefined;
  readonly match: MatchNode | null;
  readonly target: TargetNode | null;
}

/**
 * Lists reused from rule to rule while one is read (the rule, or the option, takes exact-size copies). They are
 * emptied with `clear`, which keeps their room: a fresh list per rule was most of the parser's garbage.
 */
const scratch = {
  /** The arguments holding an option's values (after an inline `=value`, if any). */
  valueArgs: [] as number[],
  /** The Words of an option with several values. */
  words: [] as Word[],
  /** The pieces of an option's single value. */
  parts: { text: "", raw: "", start: 0, end: 0, quoted: false, dynamic: false } as WordParts,
  criteria: [] as Option[],
  matches: [] as Match[],
  orphans: [] as Option[],
  strays: [] as Word[],
  loaded: [] as Loaded[],
};

class RuleReader {
  family: Family | null = null;
  private readonly loaded: Loaded[] = scratch.loaded;
  /** The index after the option makeOption read last. */
  private next = 0;
  private protocol: string | null = null;
  private implicitTried = false;
  private hasUnknownMatch = false;
  private rule!: RuleNode;

  constructor(
    private readonly args: Args,
    private readonly ctx: ReaderContext,
    private readonly table: TableName,
  ) {}

  read(from: number, cmd: CommandNode, chain: string, counters: Counters | null): RuleNode {
    const { args } = this;
    const n = args.count;
    clear(scratch.criteria);
    clear(scratch.matches);
    clear(scratch.orphans);
    clear(scratch.strays);
    clear(this.loaded);
    const rule = new RuleNode(args.loc, cmd.offset, cmd.endOffset, cmd, counters, scratch);
    this.rule = rule;
    let bang = -1;
    let i = from;
    while (i < n) {
      const text = args.text(i);
      if (text === "!") {
        if (bang !== -1) diag(this.ctx, "double-negation", `multiple "!" before one option are not allowed`, argSpan(args, i));
        bang = i;
        i++;
        continue;
      }
      if (!looksLikeOption(text)) {
        const stray = args.word(i);
        rule.strays.push(stray);
        // a script word with an unknown expansion ($EXTRA) may stand for options: nothing to say about it
        if (!stray.dynamic) diag(this.ctx, "unexpected-argument", this.strayMessage(text), argSpan(args, i));
        i++;
        continue;
      }
      const negatedBy = bang;
      bang = -1;
      i = this.readOption(i, negatedBy);
    }
    if (bang !== -1) diag(this.ctx, "dangling-negation", `"!" must be followed by the option it negates`, argSpan(args, bang));
    rule.compact();
    return rule;
  }

  /** Reads the option at i (negated by the `!` at index `bang`, or -1). Returns the next index. */
  private readOption(i: number, bang: number): number {
    const { args, ctx, rule, loaded } = this;
    const text = args.text(i);
    const eq = inlineEq(text);
    const written = eq === -1 ? text : text.slice(0, eq);
    const hasInline = eq !== -1;

    // globals inside a rule (`iptables -A INPUT -w -p tcp …`)
    const g = GLOBALS.get(written);
    if (g) {
      if (g.canonical === "-4" || g.canonical === "-6") this.family = g.canonical === "-4" ? "ipv4" : "ipv6";
      else if (g.canonical === "-t" && ctx.format === "save") {
        diag(ctx, "table-option-in-restore", `"${written}" is not allowed in an iptables-restore file; the table comes from the *${ctx.table} header`, argSpan(args, i, hasInline || i + 1 >= args.count ? i : i + 1));
      }
      if (g.args === 1 && !hasInline) return i + 2;
      if (g.args === "optional-number" && !hasInline && i + 1 < args.count && isNumber(args.text(i + 1))) return i + 2;
      return i + 1;
    }

    // -m / --match
    if (written === "-m" || written === "--match") {
      const has = hasInline || (i + 1 < args.count && !looksLikeOption(args.text(i + 1)));
      if (!has) {
        diag(ctx, "missing-value", `option ${written} needs a match name`, argSpan(args, i));
        return i + 1;
      }
      if (bang !== -1) diag(ctx, "bad-negation", `"!" cannot negate ${written}; put it before the match's option`, argSpan(args, bang));
      const name = hasInline ? text.slice(eq + 1) : args.text(i + 1);
      const entry = findMatch(name, ctx.family);
      const end = hasInline ? i : i + 1;
      const m = new MatchNode(args.loc, args.start(i), args.end(end), entry?.spec.name ?? name, false, entry?.spec);
      rule.matches.push(m);
      loaded.push({ entry, match: m, target: null });
      if (!entry) this.hasUnknownMatch = true;
      return end + 1;
    }
    // -j / -g
    if (written === "-j" || written === "--jump" || written === "-g" || written === "--goto") {
      const has = hasInline || (i + 1 < args.count && (!looksLikeOption(args.text(i + 1)) || ctx.chainTargets?.has(args.text(i + 1)) === true));
      if (!has) {
        diag(ctx, "missing-value", `option ${written} needs a target or chain name`, argSpan(args, i));
        return i + 1;
      }
      if (bang !== -1) diag(ctx, "bad-negation", `"!" cannot negate ${written}`, argSpan(args, bang));
      const end = hasInline ? i : i + 1;
      // the name's pieces: the target keeps its text and place, not a Word
      const nameWord = hasInline ? inlineValueParts(args, i, scratch.parts) : args.parts(i + 1, scratch.parts);
      if (rule.target) diag(ctx, "multiple-targets", `a rule can have only one target; "${rule.target.name}" was already given`, argSpan(args, i));
      const isGoto = written === "-g" || written === "--goto";
      const entry = isGoto || isBuiltinTarget(nameWord.text) || ctx.chainTargets?.has(nameWord.text) ? undefined : findTarget(nameWord.text, ctx.family);
      const t = new TargetNode(args.loc, args.start(i), args.end(end), nameWord, isGoto, entry?.spec);
      rule.target = t;
      if (entry) loaded.push({ entry, match: null, target: t });
      return end + 1;
    }

    let core: OptionSpec | undefined = findCoreOption(written);
    let spec: OptionSpec | undefined;
    let owner: Loaded | undefined;
    let abbreviated = false;
    if (!core) {
      for (let k = loaded.length - 1; k >= 0; k--) {
        const s = loaded[k]!.entry?.byName.get(written);
        if (s) {
          owner = loaded[k];
          spec = s;
          break;
        }
      }
    }
    // getopt runs first, over the options merged so far (core and loaded extensions): an exact spelling, else an
    // unambiguous prefix (`-m multiport --dport 80` is --dports); not once an unknown module is loaded, whose
    // options are unknowable
    let ambiguous = false;
    if (!core && !spec && !this.hasUnknownMatch) {
      const p = resolvePrefix(written, loaded, undefined);
      if (p === "ambiguous") ambiguous = true;
      else if (p) {
        abbreviated = true;
        if (p.core) core = p.spec;
        else {
          spec = p.spec;
          owner = findLoaded(loaded, p.entry);
        }
      }
    }
    // only an option getopt does not know makes iptables load the implicit protocol match and read it again
    // (exact spelling or prefix among the protocol match's options)
    let implicit: CatalogEntry | undefined;
    if (!core && !spec && !ambiguous && this.protocol !== null && !this.implicitTried) {
      const candidate = implicitMatchFor(this.protocol, ctx.family);
      if (candidate && !loaded.some((l) => l.entry === candidate)) implicit = candidate;
    }
    if (implicit && implicit.byName.has(written)) {
      owner = this.loadImplicit(implicit, i);
      spec = implicit.byName.get(written);
    } else if (implicit && !this.hasUnknownMatch) {
      const p = resolvePrefix(written, [], implicit, false);
      if (p === "ambiguous") ambiguous = true;
      else if (p) {
        abbreviated = true;
        spec = p.spec;
        owner = this.loadImplicit(implicit, i);
      }
    }
    if (ambiguous) diag(ctx, "ambiguous-option", `option ${written} is an ambiguous abbreviation`, argSpan(args, i));

    if (core) {
      const option = this.makeOption(i, bang, written, core, core, abbreviated, false);
      if (core.name === "-c") {
        const packets = option.valueText(0);
        const bytes = option.valueText(1);
        if (option.valueCount === 2 && isNumber(packets!) && isNumber(bytes!)) {
          rule.counters = new CountersNode(args.loc, option.offset, option.endOffset, counterValue(packets!), counterValue(bytes!));
        }
      }
      const protocol = core.name === "-p" ? option.valueText(0) : undefined;
      if (protocol !== undefined) {
        if (this.protocol !== null) diag(ctx, "duplicate-option", `multiple -p flags are not allowed`, argSpan(args, i));
        this.protocol = protocol;
      } else if (core.name !== "-c" && criterion(rule, core.name)) {
        diag(ctx, "duplicate-option", `multiple ${core.name} flags are not allowed`, argSpan(args, i));
      }
      rule.criteria.push(option);
      return this.next;
    }
    if (spec && owner) {
      const option = this.makeOption(i, bang, written, spec, spec, abbreviated, false);
      (owner.match ?? owner.target!).addOption(option);
      return this.next;
    }
    // Not defined by anything loaded. An unknown module absorbs it (its options cannot be known); otherwise
    // it is an orphan, read with the spec of an extension that does define it, when there is one.
    const candidates = extensionsDefining(written, ctx.family);
    const guess = candidates[0]?.byName.get(written);
    if (this.hasUnknownMatch && candidates.length === 0) {
      let m: MatchNode | null = null;
      for (let k = loaded.length - 1; k >= 0 && !m; k--) if (loaded[k]!.match && !loaded[k]!.entry) m = loaded[k]!.match;
      const option = this.makeOption(i, bang, written, undefined, undefined, false, true);
      m!.addOption(option);
      return this.next;
    }
    const option = this.makeOption(i, bang, written, undefined, guess, false, guess === undefined);
    if (guess) option.rename(guess.name);
    rule.orphans.push(option);
    return this.next;
  }

  private loadImplicit(entry: CatalogEntry, i: number): Loaded {
    this.implicitTried = true;
    const m = new MatchNode(this.args.loc, this.args.start(i), this.args.end(i), entry.spec.name, true, entry.spec);
    this.rule.matches.push(m);
    const l: Loaded = { entry, match: m, target: null };
    this.loaded.push(l);
    return l;
  }

  /**
   * Builds the option at i with its values. `spec` is what the AST records; `shape` says how many values to
   * take (for orphans: the spec of an extension that defines the option); `greedy` takes every following
   * non-option word (unknown options). Sets `next` to the index after the option.
   */
  private makeOption(i: number, bang: number, written: string, spec: OptionSpec | undefined, shape: OptionSpec | undefined, abbreviated: boolean, greedy: boolean): OptionNode {
    const { args, ctx } = this;
    const n = args.count;
    const text = args.text(i);
    const eq = inlineEq(text);
    // the values' arguments only: a Word is made for an option with several values, none for one value
    const valueArgs = scratch.valueArgs;
    clear(valueArgs);
    const inline = eq !== -1 ? 1 : 0;
    let legacyBang = -1;
    const want = shape ? shape.args : greedy ? Infinity : 0;
    let j = i + 1;
    while (inline + valueArgs.length < want && j < n) {
      const t = args.text(j);
      if (t === "!" && args.raw(j) === "!" && inline + valueArgs.length === 0 && j + 1 < n && legacyBang === -1 && shape?.kinds?.[0] !== "string") {
        legacyBang = j;
        j++;
        continue;
      }
      if ((looksLikeOption(t) || t === "!") && shape?.kinds?.[inline + valueArgs.length] !== "string") break;
      valueArgs.push(j);
      j++;
    }
    const count = inline + valueArgs.length;
    // `! -d ! 10.0.0.0/8`: the option is negated already, and iptables takes the second "!" as its value (then
    // refuses the word after it), so the rule is refused whatever the option
    if (bang !== -1 && legacyBang !== -1) {
      diag(ctx, "double-negation", `"!" both before and after ${written}: iptables reads the "!" after ${written} as its value and refuses the rule; keep only the "!" before ${written}`, argSpan(args, legacyBang));
    }
    if (shape && count < shape.args && !(shape.optionalArg && count === shape.args - 1)) {
      const missing = shape.args - count;
      diag(ctx, "missing-value", `option ${shape.name} needs ${shape.args === 1 ? "a value" : `${shape.args} values`}${count ? ` (${missing} missing)` : ""}`, argSpan(args, i));
    }
    const start = bang !== -1 ? args.start(bang) : args.start(i);
    const end = valueArgs.length ? Math.max(args.end(valueArgs[valueArgs.length - 1]!), args.end(i)) : args.end(i);
    const nameEnd = eq === -1 ? args.end(i) : args.start(i) + args.raw(i).indexOf("=");
    const bangSpan = legacyBang !== -1 ? argSpan(args, legacyBang) : bang !== -1 ? argSpan(args, bang) : null;
    this.next = j;
    let values: WordParts | Word[];
    if (count === 1) values = inline ? inlineValueParts(args, i, scratch.parts) : args.parts(valueArgs[0]!, scratch.parts);
    else {
      values = scratch.words;
      clear(values);
      if (inline) values.push(inlineValueWord(args, i));
      for (const k of valueArgs) values.push(args.word(k));
    }
    return new OptionNode(args.loc, start, end, spec?.name ?? written, written, args.start(i), nameEnd, values, spec, bang !== -1 ? "prefix" : legacyBang !== -1 ? "legacy" : null, bangSpan, eq !== -1, abbreviated);
  }

  private strayMessage(text: string): string {
    const prev = lastOption(this.rule);
    if (prev && prev.values.length && prev.spec?.kinds?.includes("string")) {
      return `unexpected argument "${text}": ${prev.name} takes one value; quote values that contain spaces ("${[...prev.values.map((v) => v.text), text].join(" ")}")`;
    }
    return `unexpected argument "${text}"`;
  }
}

function findLoaded(loaded: readonly Loaded[], entry: CatalogEntry | undefined): Loaded | undefined {
  for (let k = loaded.length - 1; k >= 0; k--) if (loaded[k]!.entry === entry) return loaded[k];
  return undefined;
}

/** The option that ends last in the rule so far. */
function lastOption(rule: RuleNode): Option | undefined {
  let best: Option | undefined;
  let at = -1;
  const consider = (o: Option) => {
    const end = (o as Option & Located).endOffset;
    if (end > at) {
      at = end;
      best = o;
    }
  };
  rule.criteria.forEach(consider);
  for (const m of rule.matches) m.options.forEach(consider);
  rule.target?.options.forEach(consider);
  rule.orphans.forEach(consider);
  return best;
}

const CORE_LONG = ["--source", "--destination", "--src", "--dst", "--in-interface", "--out-interface", "--protocol", "--fragment", "--set-counters"];

/** getopt's unambiguous-prefix rule over the loaded extensions' options (and `extra`'s) and, unless `withCore` is false, the core options. */
function resolvePrefix(name: string, loaded: readonly Loaded[], extra: CatalogEntry | undefined, withCore = true): { entry: CatalogEntry | undefined; spec: OptionSpec; core: boolean } | "ambiguous" | undefined {
  if (!name.startsWith("--") || name.length < 4) return undefined;
  const hits = new Map<OptionSpec, { entry: CatalogEntry | undefined; core: boolean }>();
  const scan = (entry: CatalogEntry) => {
    for (const [spelling, spec] of entry.byName) if (spelling.startsWith(name) && !hits.has(spec)) hits.set(spec, { entry, core: false });
  };
  for (const l of loaded) if (l.entry) scan(l.entry);
  if (extra) scan(extra);
  for (const word of withCore ? CORE_LONG : []) {
    const spec = findCoreOption(word)!;
    if (word.startsWith(name) && !hits.has(spec)) hits.set(spec, { entry: undefined, core: true });
  }
  if (hits.size === 0) return undefined;
  if (hits.size > 1) return "ambiguous";
  const [spec, h] = [...hits][0]!;
  return { entry: h.entry, spec, core: h.core };
}
