/**
 * Reads one iptables command (the words after the program name, or a restore-file line) into a Command with
 * its Rule. This is the catalog-driven half of the parser: getopt's view of the words, with every option
 * attributed to the extension that owns it, the way iptables does it:
 *  - an option belongs to the most recently loaded extension (match or target) that defines it;
 *  - an option no loaded extension defines loads the protocol match of `-p` (`-p tcp --dport 22`);
 *  - getopt accepts unambiguous prefixes of long options (`--dpo` for `--dport`);
 *  - a required value is taken from the next word whatever it looks like.
 */
import type { Command, Counters, Family, Match, OperationType, Option, ParseDiagnostic, Rule, RuleItem, SourceFormat, TableName, Target, Word } from "../ast/iptables.js";
import { joinSpans, type Span } from "../ast/span.js";
import { TABLE_NAMES } from "../catalog/core.js";
import { type CatalogEntry, extensionsDefining, findCoreOption, findMatch, findTarget, implicitMatchFor, isBuiltinTarget } from "../catalog/index.js";
import type { OptionSpec } from "../catalog/types.js";
import { looksLikeOption } from "./words.js";

export interface ReaderContext {
  readonly family: Family;
  readonly format: SourceFormat;
  /** Table the command applies to unless it says `-t`. */
  readonly table: TableName;
  readonly diagnostics: ParseDiagnostic[];
}

interface CommandFlag {
  readonly op: OperationType;
  /** Positional arguments: "chain" required, "chain?" optional, "index?" optional number, "word" required. */
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

/** Options of the iptables program itself, accepted anywhere on a command line. Value count per option. */
const GLOBALS = new Map<string, { canonical: string; args: number | "optional-number" }>([
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

const isNumber = (text: string) => /^\d+$/.test(text);

function diag(ctx: ReaderContext, code: string, message: string, span: Span) {
  ctx.diagnostics.push({ code, message, span });
}

/** Split `--name=value` into its name and a value word with an exact span. */
function splitInline(word: Word): { name: string; nameSpan: Span; value: Word | null } {
  const eq = word.text.indexOf("=");
  if (eq === -1 || !word.text.startsWith("--")) return { name: word.text, nameSpan: word.span, value: null };
  const name = word.text.slice(0, eq);
  const s = word.span;
  const nameSpan: Span = { ...s, endLine: s.line, endColumn: s.column + eq, endOffset: s.offset + eq };
  const rawEq = word.raw.indexOf("=");
  const valueSpan: Span = { ...s, column: s.column + rawEq + 1, offset: s.offset + rawEq + 1 };
  const raw = word.raw.slice(rawEq + 1);
  const value: Word = { kind: "Word", span: valueSpan, text: word.text.slice(eq + 1), raw, quoted: raw.includes('"') || raw.includes("'") };
  return { name, nameSpan, value };
}

interface Loaded {
  readonly entry: CatalogEntry | undefined;
  readonly match?: MatchBuilder;
  readonly target?: TargetBuilder;
}
interface MatchBuilder {
  module: string;
  implicit: boolean;
  headSpan: Span;
  span: Span;
  options: Option[];
  entry: CatalogEntry | undefined;
}
interface TargetBuilder {
  name: string;
  nameSpan: Span;
  goto: boolean;
  span: Span;
  options: Option[];
  entry: CatalogEntry | undefined;
}

/** All option spellings of the loaded extensions plus core options, for getopt-style prefix matching. */
function resolvePrefix(name: string, loaded: readonly Loaded[]): { entry: CatalogEntry | undefined; spec: OptionSpec; core: boolean } | "ambiguous" | undefined {
  if (!name.startsWith("--") || name.length < 4) return undefined;
  const hits = new Map<OptionSpec, { entry: CatalogEntry | undefined; core: boolean }>();
  for (const l of loaded) {
    if (!l.entry) continue;
    for (const [spelling, spec] of l.entry.byName) if (spelling.startsWith(name) && !hits.has(spec)) hits.set(spec, { entry: l.entry, core: false });
  }
  for (const word of ["--source", "--destination", "--src", "--dst", "--in-interface", "--out-interface", "--protocol", "--fragment", "--set-counters"]) {
    const spec = findCoreOption(word)!;
    if (word.startsWith(name) && !hits.has(spec)) hits.set(spec, { entry: undefined, core: true });
  }
  if (hits.size === 0) return undefined;
  if (hits.size > 1) return "ambiguous";
  const [[spec, h]] = [...hits];
  return { entry: h!.entry, spec: spec!, core: h!.core };
}

export interface ReadResult {
  readonly command: Command | null;
}

/**
 * Reads a command from its words. `prefixCounters` is the `[p:b]` of a restore line. Returns null when the
 * words hold no command at all (a diagnostic says why).
 */
export function readCommand(words: readonly Word[], ctx: ReaderContext, lineSpan: Span, prefixCounters: Counters | null, program?: string): Command | null {
  // Pre-scan for -t anywhere (getopt sees it wherever it is) so the Rule knows its table.
  let table = ctx.table;
  let family: Family | null = null;
  let flagWord: Word | undefined;
  let flag: CommandFlag | undefined;
  const rest: Word[] = [];
  let chain: string | null = null;
  let chainSpan: Span | null = null;
  let index: number | null = null;
  let argument: Word | null = null;
  let i = 0;
  const n = words.length;
  if (ctx.format !== "save") table = prescanTable(words) ?? table;

  const handleGlobal = (w: Word): boolean => {
    const { name, value } = splitInline(w);
    const g = GLOBALS.get(name);
    if (!g) return false;
    if (g.canonical === "-t") {
      const v = value ?? words[i + 1];
      if (!value) i++;
      if (!v || looksLikeOption(v.text)) {
        diag(ctx, "missing-value", `option ${name} needs a table name`, w.span);
        if (!value && v) i--;
      } else if (ctx.format === "save") {
        diag(ctx, "table-option-in-restore", `"${name}" is not allowed in a rule of an iptables-restore file; the table comes from the *${ctx.table} header`, joinSpans(w.span, v.span));
      } else if ((TABLE_NAMES as readonly string[]).includes(v.text)) {
        table = v.text as TableName;
      } else {
        diag(ctx, "unknown-table", `unknown table "${v.text}"; iptables knows ${TABLE_NAMES.join(", ")}`, v.span);
      }
      return true;
    }
    if (g.canonical === "-4" || g.canonical === "-6") {
      family = g.canonical === "-4" ? "ipv4" : "ipv6";
      return true;
    }
    if (g.args === 1 && !value) i++;
    else if (g.args === "optional-number" && !value && words[i + 1] && isNumber(words[i + 1]!.text)) i++;
    return true;
  };

  for (; i < n; i++) {
    const w = words[i]!;
    if (!flag) {
      if (handleGlobal(w)) continue;
      const f = COMMANDS.get(splitInline(w).name);
      if (f) {
        flag = f;
        flagWord = w;
        // positional arguments
        const inline = splitInline(w).value;
        let pi = 0;
        for (const kind of f.positional) {
          const next = pi === 0 && inline ? inline : words[i + 1];
          const consume = () => {
            if (!(pi === 0 && inline)) i++;
            pi++;
          };
          if (kind === "chain" || kind === "chain?") {
            if (next && !looksLikeOption(next.text) && next.text !== "!") {
              chain = next.text;
              chainSpan = next.span;
              consume();
            } else if (kind === "chain") {
              diag(ctx, "missing-chain", `${w.text} needs a chain name`, w.span);
              return null;
            }
          } else if (kind === "index?" || kind === "index") {
            if (next && isNumber(next.text) && chain !== null) {
              index = Number(next.text);
              consume();
            } else if (kind === "index") {
              diag(ctx, "missing-value", `${w.text} needs a rule number after the chain name`, next?.span ?? w.span);
            }
          } else if (kind === "word") {
            if (next && !looksLikeOption(next.text)) {
              argument = next;
              consume();
            } else {
              diag(ctx, "missing-value", `${w.text} ${chain ?? ""} needs ${f.op === "policy" ? "a policy (ACCEPT or DROP)" : "a new chain name"}`, w.span);
            }
          }
        }
        continue;
      }
      if (ctx.format !== "script" || looksLikeOption(w.text) || w.text === "!") {
        diag(ctx, "no-command", `expected a command such as -A CHAIN before "${w.text}"`, w.span);
        return null;
      }
      // scripts: words before the command flag (e.g. stray arguments) are reported
      diag(ctx, "no-command", `expected a command such as -A CHAIN before "${w.text}"`, w.span);
      return null;
    }
    rest.push(w);
  }
  if (!flag || !flagWord) {
    diag(ctx, "no-command", "line has no iptables command (-A, -I, -N, -P, …)", lineSpan);
    return null;
  }
  // -D CHAIN NUM form
  if (flag.op === "delete" && rest.length === 1 && isNumber(rest[0]!.text)) {
    index = Number(rest[0]!.text);
    rest.length = 0;
  }
  const span = words.length ? joinSpans(words[0]!.span, words[words.length - 1]!.span) : lineSpan;
  const command: {
    -readonly [K in keyof Command]: Command[K];
  } = {
    kind: "Command",
    span: prefixCounters ? joinSpans(prefixCounters.span, span) : span,
    op: flag.op,
    flag: flagWord.text,
    table,
    chain,
    chainSpan,
    index,
    rule: null,
    argument,
    family,
  };
  if (program !== undefined) command.program = program;
  if (flag.takesRule && chain !== null && !(flag.op === "delete" && index !== null)) {
    const rule = readRuleSpec(rest, { ...ctx, table }, command, prefixCounters, handleGlobalInRule(ctx, (f) => (family = f)));
    // The rule's span is the whole command line (counters, -A CHAIN and the specification).
    (rule as { span: Span }).span = command.span;
    command.rule = rule;
    command.family = family;
  } else if (rest.length) {
    // Only globals may follow a non-rule command.
    for (let j = 0; j < rest.length; j++) {
      const w = rest[j]!;
      const g = GLOBALS.get(splitInline(w).name);
      if (g) {
        if (g.args === 1) j++;
        continue;
      }
      diag(ctx, "unexpected-argument", `unexpected argument "${w.text}" after ${flagWord.text}${chain ? ` ${chain}` : ""}`, w.span);
      break;
    }
  }
  return command as Command;
}

const FREE_TEXT_OPTIONS = new Set(["--comment", "--log-prefix", "--nflog-prefix", "--string"]);

/** `-t TABLE` anywhere on a script's command line (getopt reads it wherever it stands). */
function prescanTable(words: readonly Word[]): TableName | undefined {
  for (let k = 0; k < words.length; k++) {
    const t = words[k]!.text;
    if (k > 0 && FREE_TEXT_OPTIONS.has(words[k - 1]!.text)) continue;
    let v: string | undefined;
    if (t === "-t" || t === "--table") v = words[k + 1]?.text;
    else if (t.startsWith("--table=")) v = t.slice(8);
    if (v !== undefined && (TABLE_NAMES as readonly string[]).includes(v)) return v as TableName;
  }
  return undefined;
}

/** Globals inside a rule spec (e.g. `iptables -A INPUT -w -p tcp …`). Returns the number of words consumed, or 0. */
function handleGlobalInRule(ctx: ReaderContext, setFamily: (f: Family) => void) {
  return (words: readonly Word[], i: number): number => {
    const w = words[i]!;
    const { name, value } = splitInline(w);
    const g = GLOBALS.get(name);
    if (!g) return 0;
    if (g.canonical === "-4" || g.canonical === "-6") {
      setFamily(g.canonical === "-4" ? "ipv4" : "ipv6");
      return 1;
    }
    if (g.canonical === "-t") {
      if (ctx.format === "save") {
        const v = value ?? words[i + 1];
        diag(ctx, "table-option-in-restore", `"${name}" is not allowed in a rule of an iptables-restore file; the table comes from the *${ctx.table} header`, v ? joinSpans(w.span, v.span) : w.span);
      }
      return value ? 1 : 2; // already applied by the pre-scan in scripts
    }
    if (g.args === 1) return value ? 1 : 2;
    if (g.args === "optional-number") return !value && words[i + 1] && isNumber(words[i + 1]!.text) ? 2 : 1;
    return 1;
  };
}

function readRuleSpec(
  words: readonly Word[],
  ctx: ReaderContext,
  command: { table: TableName; chain: string | null },
  prefixCounters: Counters | null,
  globalHandler: (words: readonly Word[], i: number) => number,
): Rule {
  const criteria: Option[] = [];
  const matches: MatchBuilder[] = [];
  const orphans: Option[] = [];
  const strays: Word[] = [];
  const items: RuleItem[] = [];
  const loaded: Loaded[] = [];
  let target: TargetBuilder | null = null;
  let counters = prefixCounters;
  let protocol: string | null = null;
  let protocolNegated = false;
  let implicitTried = false;
  let bang: Word | null = null;
  const n = words.length;

  const takeValues = (opt: Word, name: string, spec: OptionSpec | undefined, start: number, inline: Word | null, greedy: boolean): { values: Word[]; next: number; legacyBang: Word | null } => {
    const values: Word[] = [];
    let j = start;
    let legacyBang: Word | null = null;
    if (inline) values.push(inline);
    const want = spec ? spec.args : greedy ? Infinity : 0;
    while (values.length < want && j < n) {
      const w = words[j]!;
      if (w.raw === "!" && values.length === 0 && !inline && j + 1 < n && !legacyBang && spec?.kinds?.[0] !== "string") {
        legacyBang = w;
        j++;
        continue;
      }
      if (looksLikeOption(w.text) || w.text === "!") {
        // getopt would swallow it as the value, but the author clearly forgot the value: say so.
        const freeText = spec?.kinds?.[values.length] === "string";
        if (!spec || !freeText) break;
      }
      values.push(w);
      j++;
    }
    if (spec && values.length < spec.args) {
      const missing = spec.args - values.length;
      diag(ctx, "missing-value", `option ${name} needs ${spec.args === 1 ? "a value" : `${spec.args} values`}${values.length ? ` (${missing} missing)` : ""}`, opt.span);
    }
    return { values, next: j, legacyBang };
  };

  const makeOption = (w: Word, written: string, nameSpan: Span, spec: OptionSpec | undefined, values: Word[], negatedBy: Word | null, legacyBang: Word | null, inline: boolean, abbreviated: boolean): Option => {
    const last = values.length ? values[values.length - 1]! : null;
    const start = negatedBy ?? w;
    const end = last && last.span.endOffset > w.span.endOffset ? last : w;
    const bangWord = negatedBy ?? legacyBang;
    return {
      kind: "Option",
      span: joinSpans(start.span, end.span),
      name: spec?.name ?? written,
      written,
      nameSpan,
      negated: bangWord !== null,
      negation: negatedBy ? "prefix" : legacyBang ? "legacy" : null,
      bangSpan: bangWord?.span ?? null,
      values,
      inlineValue: inline,
      spec,
      abbreviated,
    };
  };

  const extendMatch = (m: MatchBuilder, o: Option) => {
    m.options.push(o);
    if (o.span.endOffset > m.span.endOffset) m.span = joinSpans(m.span, o.span);
  };

  for (let i = 0; i < n; ) {
    const w = words[i]!;
    if (w.text === "!") {
      if (bang) diag(ctx, "double-negation", `multiple "!" before one option are not allowed`, w.span);
      bang = w;
      i++;
      continue;
    }
    if (!looksLikeOption(w.text)) {
      strays.push(w);
      diag(ctx, "unexpected-argument", strayMessage(w, items), w.span);
      i++;
      continue;
    }
    const consumed = globalHandler(words, i);
    if (consumed) {
      i += consumed;
      continue;
    }
    const { name: written, nameSpan, value: inline } = splitInline(w);
    const negatedBy = bang;
    bang = null;

    // -m / --match
    if (written === "-m" || written === "--match") {
      const modWord = inline ?? words[i + 1];
      if (!modWord || looksLikeOption(modWord.text)) {
        diag(ctx, "missing-value", `option ${written} needs a match name`, w.span);
        i++;
        continue;
      }
      if (negatedBy) diag(ctx, "bad-negation", `"!" cannot negate ${written}; put it before the match's option`, negatedBy.span);
      const entry = findMatch(modWord.text, ctx.family);
      const headSpan = joinSpans(w.span, modWord.span);
      const m: MatchBuilder = { module: entry?.spec.name ?? modWord.text, implicit: false, headSpan, span: headSpan, options: [], entry };
      matches.push(m);
      loaded.push({ entry, match: m });
      items.push({ type: "match", match: m as unknown as Match });
      i += inline ? 1 : 2;
      continue;
    }
    // -j / -g
    if (written === "-j" || written === "--jump" || written === "-g" || written === "--goto") {
      const nameWord = inline ?? words[i + 1];
      if (!nameWord || looksLikeOption(nameWord.text)) {
        diag(ctx, "missing-value", `option ${written} needs a target or chain name`, w.span);
        i++;
        continue;
      }
      if (negatedBy) diag(ctx, "bad-negation", `"!" cannot negate ${written}`, negatedBy.span);
      if (target) diag(ctx, "multiple-targets", `a rule can have only one target; "${target.name}" was already given`, w.span);
      const isGoto = written === "-g" || written === "--goto";
      const entry = isGoto || isBuiltinTarget(nameWord.text) ? undefined : findTarget(nameWord.text, ctx.family);
      const t: TargetBuilder = { name: nameWord.text, nameSpan: nameWord.span, goto: isGoto, span: joinSpans(w.span, nameWord.span), options: [], entry };
      target = t;
      if (entry) loaded.push({ entry, target: t });
      items.push({ type: "target", target: t as unknown as Target });
      i += inline ? 1 : 2;
      continue;
    }

    // exact match among loaded extensions, most recent first (getopt merges newer options in front)
    let owner: Loaded | undefined;
    let spec: OptionSpec | undefined;
    let core: OptionSpec | undefined = findCoreOption(written);
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
    // implicit protocol match: iptables loads it for an option nothing loaded knows, then reads the option again
    let implicit: CatalogEntry | undefined;
    if (!core && !spec && protocol !== null && !implicitTried) {
      const candidate = implicitMatchFor(protocol, ctx.family);
      if (candidate && !loaded.some((l) => l.entry === candidate)) implicit = candidate;
    }
    const loadImplicit = (entry: CatalogEntry): Loaded => {
      implicitTried = true;
      const m: MatchBuilder = { module: entry.spec.name, implicit: true, headSpan: w.span, span: w.span, options: [], entry };
      matches.push(m);
      const l: Loaded = { entry, match: m };
      loaded.push(l);
      items.push({ type: "match", match: m as unknown as Match });
      return l;
    };
    if (implicit && implicit.byName.has(written)) {
      owner = loadImplicit(implicit);
      spec = implicit.byName.get(written);
    }
    // getopt prefix abbreviation
    if (!core && !spec && !matches.some((m) => m.entry === undefined)) {
      const p = resolvePrefix(written, implicit ? [...loaded, { entry: implicit }] : loaded);
      if (p && p !== "ambiguous") {
        abbreviated = true;
        if (p.core) core = p.spec;
        else {
          spec = p.spec;
          owner = implicit && p.entry === implicit ? loadImplicit(implicit) : [...loaded].reverse().find((l) => l.entry === p.entry);
        }
      } else if (p === "ambiguous") {
        diag(ctx, "ambiguous-option", `option ${written} is an ambiguous abbreviation`, nameSpan);
      }
    }

    if (core) {
      const { values, next, legacyBang } = takeValues(w, core.name, core, i + 1, inline, false);
      const o = makeOption(w, written, nameSpan, core, values, negatedBy, legacyBang, inline !== null, abbreviated);
      if (core.name === "-c") {
        if (values.length === 2 && /^\d+$/.test(values[0]!.text) && /^\d+$/.test(values[1]!.text)) {
          counters = { kind: "Counters", span: o.span, packets: BigInt(values[0]!.text), bytes: BigInt(values[1]!.text) };
        }
      }
      if (core.name === "-p" && values[0]) {
        if (protocol !== null) diag(ctx, "duplicate-option", `multiple -p flags are not allowed`, w.span);
        protocol = values[0].text;
        protocolNegated = o.negated;
      } else if (criteria.some((c) => c.name === core!.name) && core.name !== "-c") {
        diag(ctx, "duplicate-option", `multiple ${core.name} flags are not allowed`, w.span);
      }
      criteria.push(o);
      items.push({ type: "criterion", option: o });
      i = next;
      continue;
    }
    if (spec && owner) {
      const { values, next, legacyBang } = takeValues(w, spec.name, spec, i + 1, inline, false);
      const o = makeOption(w, written, nameSpan, spec, values, negatedBy, legacyBang, inline !== null, abbreviated);
      if (owner.match) {
        extendMatch(owner.match, o);
        items.push({ type: "option", match: owner.match as unknown as Match, option: o });
      } else if (owner.target) {
        owner.target.options.push(o);
        if (o.span.endOffset > owner.target.span.endOffset) owner.target.span = joinSpans(owner.target.span, o.span);
        items.push({ type: "target-option", option: o });
      }
      i = next;
      continue;
    }
    // Not defined by anything loaded. An unknown module absorbs it (we cannot know its options);
    // otherwise it is an orphan, read with the spec of an extension that defines it when there is one.
    const unknownMatch = [...matches].reverse().find((m) => m.entry === undefined);
    const candidates = extensionsDefining(written, ctx.family);
    const guessSpec = candidates[0]?.byName.get(written);
    const { values, next, legacyBang } = takeValues(w, written, guessSpec, i + 1, inline, guessSpec === undefined);
    const o = makeOption(w, written, nameSpan, undefined, values, negatedBy, legacyBang, inline !== null, false);
    if (unknownMatch && candidates.length === 0) {
      extendMatch(unknownMatch, o);
      items.push({ type: "option", match: unknownMatch as unknown as Match, option: o });
    } else {
      orphans.push(guessSpec ? { ...o, name: guessSpec.name } : o);
      items.push({ type: "orphan", option: orphans[orphans.length - 1]! });
    }
    i = next;
  }
  if (bang) diag(ctx, "dangling-negation", `"!" must be followed by the option it negates`, bang.span);
  void protocolNegated;

  const first = words[0];
  const last = words[words.length - 1];
  const ruleSpan = first && last ? joinSpans(first.span, last.span) : { line: 0, column: 0, endLine: 0, endColumn: 0, offset: 0, endOffset: 0 };
  const rule: Rule = {
    kind: "Rule",
    span: ruleSpan,
    table: command.table,
    chain: command.chain ?? "",
    position: 0,
    criteria,
    matches: matches.map(freezeMatch),
    target: target ? freezeTarget(target) : null,
    orphans,
    strays,
    counters,
    command: null as unknown as Command,
    items: [],
  };
  // items were recorded with builder objects; map them to the frozen nodes
  const matchMap = new Map<MatchBuilder, Match>(matches.map((m, k) => [m, rule.matches[k]!]));
  (rule as { items: readonly RuleItem[] }).items = items.map((it) => {
    if (it.type === "match") return { type: "match", match: matchMap.get(it.match as unknown as MatchBuilder)! };
    if (it.type === "option") return { type: "option", match: matchMap.get(it.match as unknown as MatchBuilder)!, option: it.option };
    if (it.type === "target") return { type: "target", target: rule.target! };
    return it;
  });
  return rule;
}

function freezeMatch(m: MatchBuilder): Match {
  return { kind: "Match", span: m.span, module: m.module, implicit: m.implicit, headSpan: m.headSpan, options: m.options, spec: m.entry?.spec };
}

function freezeTarget(t: TargetBuilder): Target {
  return { kind: "Target", span: t.span, name: t.name, nameSpan: t.nameSpan, goto: t.goto, options: t.options, spec: t.entry?.spec };
}

function strayMessage(w: Word, items: readonly RuleItem[]): string {
  const prev = items[items.length - 1];
  const prevOption = prev && (prev.type === "criterion" || prev.type === "option" || prev.type === "target-option" || prev.type === "orphan") ? prev.option : undefined;
  if (prevOption && prevOption.values.length && prevOption.spec?.kinds?.includes("string")) {
    return `unexpected argument "${w.text}": ${prevOption.name} takes one value; quote values that contain spaces ("${[...prevOption.values.map((v) => v.text), w.text].join(" ")}")`;
  }
  return `unexpected argument "${w.text}"`;
}
