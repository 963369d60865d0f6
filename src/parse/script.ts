/**
 * Parser for shell scripts of `iptables …` commands — the form Docker's documentation uses
 * (`iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP`). Lines calling iptables/ip6tables
 * (also -legacy/-nft variants, via sudo, after a `$ ` prompt, through a variable like `$IPT`) become
 * ordered commands; every other shell line is skipped. Simple `NAME=value` assignments are tracked so
 * `-i $EXT_IF` reads the value the script set. The tree is what the script sets up when run with `start`:
 * functions run where they are called, and of a `case` with a `start` branch only that branch; the commands
 * that do not run on that way are read and checked, and kept out of the tree (`TreeBuilder.notRun`).
 */
import nearley from "nearley";
import type { Command, Comment, Family, ParseDiagnostic, Ruleset, TableName } from "../ast/iptables.js";
import type { CommandNode, Locator, RuleNode } from "../ast/nodes.js";
import { LineIndex, type Span } from "../ast/span.js";
import { type ShellArg, ShellArgs } from "./args.js";
import { isOddSpace, oddSpace } from "./chars.js";
import grammarSpec from "../generated/script.js";
import { inFreeText, readCommand } from "./command-reader.js";
import { CASE_PATTERN } from "./detect.js";
import type { ShellToken, SimpleCommand } from "./script-nodes.js";
import { TreeBuilder } from "./tree.js";

const grammar = nearley.Grammar.fromCompiled(grammarSpec as unknown as nearley.CompiledRules);

const PROGRAM = /^(?:.*\/)?(ip6?tables)(?:-(legacy|nft))?$/;
const PREFIX_WORDS = new Set(["sudo", "exec", "command", "nohup", "time", "then", "do", "else", "elif", "if", "while", "until", "!", "{", "(", "$", "#", "env"]);

export interface ScriptParseOptions {
  readonly family: Family;
  readonly familyReason: string;
}

interface LogicalLine {
  text: string;
  /** Pairs (index in text, offset in source): text[i] comes from source offset map(i). */
  starts: number[];
  sources: number[];
  /** 1-based first physical line. */
  line: number;
}

const LEADING_CASE_PATTERN = new RegExp(String.raw`^\s*${CASE_PATTERN}(?=\s|$)`);

/**
 * The line with a leading `case` pattern (`start) iptables -A …`, `stop|restart)`) blanked out, so that the
 * command after it is read; blanks keep every offset. The grammar has no `case`: a branch's commands are
 * read like any other line.
 */
function withoutCasePattern(text: string): string {
  const m = LEADING_CASE_PATTERN.exec(text);
  return m ? " ".repeat(m[0].length) + text.slice(m[0].length) : text;
}

function toSource(l: LogicalLine, i: number): number {
  let lo = 0;
  let hi = l.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (l.starts[mid]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return l.sources[lo]! + (i - l.starts[lo]!);
}

/** Whether a shell text ends inside a single- or double-quoted string (comments and escapes read as sh does). */
function openQuote(text: string): boolean {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (quote === '"') {
      if (c === "\\") i++;
      else if (c === '"') quote = null;
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) return false;
  }
  return quote !== null;
}

/**
 * Split into logical lines, joining backslash-newline continuations and quoted strings that go on over a line
 * break, and skipping here-document bodies.
 */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const physical: { start: number; text: string }[] = [];
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = text.length;
    let t = text.slice(pos, nl);
    if (t.endsWith("\r")) t = t.slice(0, -1);
    physical.push({ start: pos, text: t });
    pos = nl + 1;
  }
  let heredoc: { delim: string; strip: boolean } | null = null;
  let cur: LogicalLine | null = null;
  physical.forEach((p, k) => {
    if (heredoc) {
      const body = heredoc.strip ? p.text.replace(/^\t+/, "") : p.text;
      if (body === heredoc.delim) heredoc = null;
      return;
    }
    if (!cur) cur = { text: "", starts: [], sources: [], line: k + 1 };
    cur.starts.push(cur.text.length);
    cur.sources.push(p.start);
    const trailing = /\\+$/.exec(p.text)?.[0].length ?? 0;
    const continued = trailing % 2 === 1 && !p.text.trimStart().startsWith("#");
    cur.text += continued ? p.text.slice(0, -1) : p.text;
    // a quoted string goes on over the line break: `TRUSTED="10.1.0.0/16<newline>10.2.0.0/16"`
    if (!continued && k < physical.length - 1 && openQuote(cur.text)) {
      cur.text += "\n";
      return;
    }
    if (!continued) {
      const hd = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(cur.text.replace(/'[^']*'/g, "''"));
      if (hd) heredoc = { delim: hd[3]!, strip: hd[1] === "-" };
      out.push(cur);
      cur = null;
    }
  });
  if (cur) out.push(cur);
  return out;
}

/** The value of a variable known to be unset (a function's `$2` when it was called with one word). */
const UNSET = "\u0000";

/** `$NAME`, `${NAME}`, `$1`…`$9`, `${1}`…`${9}`. */
const VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*|[1-9])\}|([A-Za-z_][A-Za-z0-9_]*|[1-9]))/;
/** Expansions fwlint cannot know: `$(…)`, other `${…}` forms, `$#`, `$?`, `$@`, … */
const UNKNOWN_EXPANSION = /^\$\((?:[^()]|\([^()]*\))*\)|^\$\{[^}]*\}|^\$[0-9#?@*!$-]/;
/** The same inside double quotes, where `$(…)` is read character by character (see `dollar`). */
const UNKNOWN_IN_QUOTES = /^\$\{[^}]*\}|^\$[0-9#?@*!$-]/;

/** `${NAME:-word}`, `${NAME-word}`, `${NAME:=word}`, `${NAME=word}` (name, colon, operator, word). */
const DEFAULTED = /^\$\{([A-Za-z_][A-Za-z0-9_]*|[1-9])(:?)([-=])([^}]*)\}/;

/** Shell word → its value with quotes removed; expansions replaced by known variables or kept as written. */
function shellWordValue(raw: string, vars: ReadonlyMap<string, string>): { text: string; dynamic: boolean; quoted: boolean } {
  let text = "";
  let dynamic = false;
  let quoted = false;
  const expand = (name: string, whole: string) => {
    const v = vars.get(name);
    if (v === UNSET) return; // known to be unset: empty
    if (v !== undefined) text += v;
    else {
      text += whole;
      dynamic = true;
    }
  };
  // ${NAME:-word}, ${NAME-word} (and := / =): the value, or the word when NAME is unset (or empty, with `:`);
  // a variable fwlint does not track counts as unset, so `${IPT:-iptables}` reads as the script's default
  const withDefault = (d: RegExpExecArray) => {
    const v = vars.get(d[1]!);
    if (v !== undefined && v !== UNSET && (d[2] === "" || v !== "")) {
      text += v;
      return;
    }
    const w = shellWordValue(d[4]!, vars);
    text += w.text;
    if (w.dynamic) dynamic = true;
  };
  /**
   * The `$` expansion at `raw[i]`, inside double quotes or not: its value is added to `text`; returns where
   * the word goes on. `$(…)`, `${#X}`, `$#`, … are unknown (kept as written); a `$` before anything else is
   * a literal dollar (inside double quotes, `$(` whose parenthesis does not close makes the word unknown).
   */
  const dollar = (i: number, inQuotes: boolean): number => {
    const rest = raw.slice(i);
    const m = VARIABLE.exec(rest);
    if (m) {
      expand(m[1] ?? m[2]!, m[0]);
      return i + m[0].length;
    }
    const d = DEFAULTED.exec(rest);
    if (d) {
      withDefault(d);
      return i + d[0].length;
    }
    const sub = (inQuotes ? UNKNOWN_IN_QUOTES : UNKNOWN_EXPANSION).exec(rest);
    if (sub) {
      text += sub[0];
      dynamic = true;
      return i + sub[0].length;
    }
    text += "$";
    if (inQuotes && raw[i + 1] === "(") dynamic = true;
    return i + 1;
  };
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      text += raw.slice(i + 1, end === -1 ? raw.length : end);
      quoted = true;
      i = end === -1 ? raw.length : end + 1;
    } else if (c === '"') {
      quoted = true;
      i++;
      while (i < raw.length && raw[i] !== '"') {
        if (raw[i] === "\\" && i + 1 < raw.length && '"\\$`\n'.includes(raw[i + 1]!)) {
          text += raw[i + 1];
          i += 2;
        } else if (raw[i] === "$") i = dollar(i, true);
        else if (raw[i] === "`") {
          dynamic = true;
          text += raw[i];
          i++;
        } else text += raw[i++];
      }
      i++;
    } else if (c === "\\") {
      text += raw[i + 1] ?? "";
      i += 2;
    } else if (c === "$") i = dollar(i, false);
    else if (c === "`") {
      dynamic = true;
      const end = raw.indexOf("`", i + 1);
      text += raw.slice(i, end === -1 ? raw.length : end + 1);
      i = end === -1 ? raw.length : end + 1;
    } else {
      text += c;
      i++;
    }
  }
  return { text, dynamic, quoted };
}

/** A simple command of the script: the logical line it is on (index into the parsed lines) and its tokens. */
interface Unit {
  readonly kind: "command";
  readonly line: number;
  readonly tokens: SimpleCommand;
}
/** `case … in pattern) … ;; esac`: the branches with their patterns (quotes removed). */
interface CaseBlock {
  readonly kind: "case";
  readonly branches: { readonly patterns: readonly string[]; readonly body: Block[] }[];
}
/** `name() { … }`, `function name { … }`: run where it is called, not where it is written. */
interface FunctionBlock {
  readonly kind: "function";
  readonly name: string;
  readonly body: Block[];
}
/**
 * `for NAME in WORDS; do … done` (its body runs once per word, NAME set to it), `while …; do … done` and
 * `until` (body run once: how often is not known).
 */
interface LoopBlock {
  readonly kind: "loop";
  /** The loop variable and its word tokens (`for` with `in`); null for while/until and `for NAME` alone. */
  readonly over: { readonly name: string; readonly words: readonly ShellToken[] } | null;
  readonly body: Block[];
}
type Block = Unit | CaseBlock | FunctionBlock | LoopBlock;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isParen = (t: ShellToken | undefined, v: string) => t !== undefined && t.type === "paren" && t.value === v;
const wordAt = (tokens: SimpleCommand, k: number): string | null => (tokens[k]?.type === "word" ? tokens[k]!.value : null);

/** The words of a leading case pattern (`"start"|restart)` → start, restart). */
function patternWords(pattern: string): string[] {
  return pattern
    .trim()
    .replace(/^\(\s*/, "")
    .replace(/\s*\)$/, "")
    .split("|")
    .map((w) => w.trim().replace(/^(["'])(.*)\1$/, "$2"));
}

/**
 * The script's shape: function definitions, `case` statements, loops and `{ … }` groups, from the simple
 * commands of its lines. Null when the shape does not close (a `}`, `esac` or `done` too many, a function or
 * loop never closed): the script is then read in the order written.
 */
function scriptShape(lines: readonly { readonly simple: readonly SimpleCommand[]; readonly pattern: readonly string[] | null }[]): { top: Block[]; functions: Map<string, FunctionBlock>; units: Unit[] } | null {
  interface Frame {
    readonly kind: "top" | "function" | "group" | "case" | "loop";
    readonly body: Block[];
    readonly block?: CaseBlock;
    awaitingBrace?: boolean;
    /** A loop whose `do` has not come yet. */
    awaitingDo?: boolean;
  }
  const top: Block[] = [];
  const stack: Frame[] = [{ kind: "top", body: top }];
  const functions = new Map<string, FunctionBlock>();
  const units: Unit[] = [];
  const frame = () => stack[stack.length - 1]!;
  const container = (): Block[] => {
    const f = frame();
    if (f.kind !== "case") return f.body;
    const branches = f.block!.branches;
    if (branches.length === 0) branches.push({ patterns: [], body: [] });
    return branches[branches.length - 1]!.body;
  };
  for (let li = 0; li < lines.length; li++) {
    const ln = lines[li]!;
    if (ln.pattern && frame().kind === "case") frame().block!.branches.push({ patterns: ln.pattern, body: [] });
    for (const sc of ln.simple) {
      let tokens = sc;
      // the words that open or close a structure, as long as the simple command starts with one (a line may
      // close and go on, `} ; fw`; open a function and a loop in it, `f() { for p in 1 2; do …`)
      let opened = false;
      while (tokens.length && !opened) {
        const w = wordAt(tokens, 0);
        let skip = 1;
        if (w === "}") {
          const f = frame();
          if (f.kind !== "function" && f.kind !== "group") return null;
          stack.pop();
        } else if (w === "esac") {
          if (frame().kind !== "case") return null;
          stack.pop();
        } else if (w === "done") {
          if (frame().kind !== "loop") return null;
          stack.pop();
        } else if (w === "do" && frame().kind === "loop" && frame().awaitingDo) {
          frame().awaitingDo = false;
        } else if (w === "for" || w === "while" || w === "until") {
          // `for p in 22 80` (then `do` as its own simple command or on the next line); while/until: the condition
          const named = w === "for" && IDENTIFIER.test(wordAt(tokens, 1) ?? "") && wordAt(tokens, 2) === "in";
          const block: LoopBlock = { kind: "loop", over: named ? { name: tokens[1]!.value, words: tokens.slice(3).filter((t) => t.type === "word") } : null, body: [] };
          container().push(block);
          stack.push({ kind: "loop", body: block.body, awaitingDo: true });
          // a while/until condition is a command, run with the body (`while ! iptables -C …; do`)
          if (w !== "for" && tokens.length > 1) {
            const unit: Unit = { kind: "command", line: li, tokens: tokens.slice(1) };
            units.push(unit);
            block.body.push(unit);
          }
          opened = true;
          skip = tokens.length;
        } else if (w === "case") {
          const block: CaseBlock = { kind: "case", branches: [] };
          container().push(block);
          stack.push({ kind: "case", body: [], block });
          opened = true;
          skip = tokens.length;
        } else if (w === "{") {
          const f = frame();
          if (f.kind === "function" && f.awaitingBrace) f.awaitingBrace = false;
          else stack.push({ kind: "group", body: container() });
        } else {
          let name: string | null = null;
          if (tokens.length >= 3 && tokens[0]!.type === "word" && IDENTIFIER.test(tokens[0]!.value) && isParen(tokens[1], "(") && isParen(tokens[2], ")")) {
            name = tokens[0]!.value;
            skip = 3;
          } else if (w === "function" && IDENTIFIER.test(wordAt(tokens, 1) ?? "")) {
            name = tokens[1]!.value;
            skip = isParen(tokens[2], "(") && isParen(tokens[3], ")") ? 4 : 2;
          }
          if (name === null) break;
          const block: FunctionBlock = { kind: "function", name, body: [] };
          container().push(block);
          functions.set(name, block);
          stack.push({ kind: "function", body: block.body, awaitingBrace: true });
        }
        tokens = tokens.slice(skip);
      }
      if (tokens.length === 0) continue;
      const unit: Unit = { kind: "command", line: li, tokens };
      units.push(unit);
      container().push(unit);
    }
  }
  if (stack.some((f) => f.kind === "function" || f.kind === "loop")) return null;
  return { top, functions, units };
}

/** The script's first argument as a command (`"$1"`, `$1`, `${1}`): the function named by it, `start` here. */
const FIRST_ARGUMENT = /^(?:"\$(?:1|\{1\})"|\$(?:1|\{1\}))$/;

/**
 * The function a simple command calls, if it calls one the script defines. A dispatch through the script's
 * first argument (`"$1"`) calls `start`, the way fwlint follows a script.
 */
function calledFunction(tokens: SimpleCommand, functions: ReadonlyMap<string, FunctionBlock>): string | null {
  for (const t of tokens) {
    if (t.type !== "word") continue;
    if (PREFIX_WORDS.has(t.value)) continue;
    const name = FIRST_ARGUMENT.test(t.value) ? "start" : t.value;
    return functions.has(name) ? name : null;
  }
  return null;
}

/** The positional parameters a function call sets, as keys of the variables. */
const POSITIONAL = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

/**
 * The arguments of a function call (the words after the function's name, an unquoted value split at blanks);
 * null when one is not known. A call through `"$1"` has none.
 */
function callArguments(tokens: SimpleCommand, vars: ReadonlyMap<string, string>): string[] | null {
  const words = tokens.filter((t) => t.type === "word");
  let k = 0;
  while (k < words.length && PREFIX_WORDS.has(words[k]!.value)) k++;
  return wordFields(words.slice(k + 1), vars);
}

/** A word that stands for all of the function's or script's arguments: `"$@"`, `$*`, `"${@}"`. */
const FORWARDED_ARGUMENTS = /^"?\$(?:[@*]|\{[@*]\})"?$/;

/** A loop or a call takes at most this many words (a longer list is not a firewall's: left unknown). */
const MAX_LOOP_WORDS = 256;

/**
 * Unicode spaces (a no-break space pasted from a web page) in a word outside quotes: the shell takes them as
 * part of the word, so `iptables -A INPUT\u00a0-j DROP` names a chain "INPUT\u00a0-j". Not reported in the
 * value of a free-text option (`--comment`, `--log-prefix`, …), which iptables takes as written.
 */
function oddSpaces(words: readonly ShellToken[], spanOf: (start: number, end: number) => Span, diagnostics: ParseDiagnostic[]): void {
  let before = "";
  for (const t of words) {
    const value = t.value;
    const previous = before;
    before = value;
    let quote = 0; // the quote character we are inside, or 0
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (quote !== 0) {
        if (c === quote) quote = 0;
        else if (c === 92 && quote === 34) i++;
      } else if (c === 39 || c === 34) quote = c;
      else if (c === 92) i++;
      else if (isOddSpace(c)) {
        if (inFreeText(previous, value, i)) break;
        diagnostics.push({ code: "odd-space", message: `character ${oddSpace(value.slice(i, i + 1))} inside ${JSON.stringify(value)}: the shell takes it as part of the word, not as a blank; use a plain space`, span: spanOf(t.offset + i, t.offset + i + 1) });
        break;
      }
    }
  }
}

/** An unquoted value split at blanks, as the shell splits fields (none when it is empty). */
const fieldsOf = (text: string): string[] => text.split(/[ \t\n]+/).filter((f) => f !== "");

/**
 * Words as the shell makes them for a `for` loop or a function call: each word's value, an unquoted one split
 * at blanks (`for p in $PORTS`). Null when a value is not known (`$1`, `$(cmd)`, a glob) or there are too many.
 */
function wordFields(words: readonly ShellToken[], vars: ReadonlyMap<string, string>): string[] | null {
  const out: string[] = [];
  for (const w of words) {
    const v = shellWordValue(w.value, vars);
    if (v.dynamic || /[*?[]/.test(v.quoted ? "" : v.text)) return null;
    if (v.quoted) out.push(v.text);
    else out.push(...fieldsOf(v.text));
    if (out.length > MAX_LOOP_WORDS) return null;
  }
  return out;
}

export function parseScript(text: string, options: ScriptParseOptions): Ruleset {
  const diagnostics: ParseDiagnostic[] = [];
  const comments: Comment[] = [];
  const commands: Command[] = [];
  const tree = new TreeBuilder("script", diagnostics, options.family);
  const index = new LineIndex(text);
  const locator: Locator = { line: (o) => index.position(o).line, column: (o) => index.position(o).column };
  const otherFamily = new Set<Unit>();
  /** The source span of [start, end) of a logical line's text. */
  const spanIn = (l: LogicalLine, start: number, end: number): Span => index.span(toSource(l, start), toSource(l, Math.max(start, end - 1)) + (end > start ? 1 : 0));

  // 1. each logical line: its simple commands (and a leading case pattern), its comment
  const lines: { l: LogicalLine; simple: SimpleCommand[]; pattern: string[] | null }[] = [];
  for (const l of logicalLines(text)) {
    const spanOf = (start: number, end: number): Span => spanIn(l, start, end);
    const parser = new nearley.Parser(grammar);
    let simple: SimpleCommand[];
    try {
      parser.feed(withoutCasePattern(l.text));
      if (parser.results.length === 0) {
        diagnostics.push({ code: "shell-syntax", message: "incomplete shell command (unbalanced quote or operator?)", span: spanOf(0, l.text.length) });
        continue;
      }
      if (parser.results.length > 1) throw new Error(`internal error: the script grammar is ambiguous (${parser.results.length} parses)`);
      simple = parser.results[0] as SimpleCommand[];
    } catch (err) {
      const token = (err as { token?: ShellToken }).token;
      if (!token) throw err;
      // Shell constructs the grammar does not model: skip the line unless it mentions iptables.
      if (/\bip6?tables\b/.test(l.text)) {
        const odd = oddSpace(token.value);
        diagnostics.push({
          code: "shell-syntax",
          message: odd ? `unexpected character ${odd}: the shell takes it as part of a word, not as a blank; use a plain space` : `cannot read this shell line near "${token.value}"`,
          span: odd ? spanOf(token.offset, token.offset + 1) : spanOf(token.offset, token.offset + token.value.length),
        });
      }
      continue;
    }
    // comments (for directives and expectations); only full-line comments carry directives
    const cm = /(^|[ \t])(#.*)$/.exec(l.text);
    if (cm && l.text.trimStart().startsWith("#")) {
      const at = cm.index + cm[1]!.length;
      comments.push({ kind: "Comment", span: spanOf(at, l.text.length), text: cm[2]!.slice(1), indented: at > 0 });
    }
    const pattern = LEADING_CASE_PATTERN.exec(l.text);
    lines.push({ l, simple, pattern: pattern ? patternWords(pattern[0]) : null });
  }

  // 2. the order the commands run in; a script whose shape does not close is read in the order written
  const shape = scriptShape(lines);
  const units = shape ? shape.units : lines.flatMap((ln, line) => ln.simple.map((tokens): Unit => ({ kind: "command", line, tokens })));

  /** One simple command: an assignment updates `vars`; an iptables command is read, and applied or kept apart. */
  const perform = (unit: Unit, vars: Map<string, string>, applied: boolean, assignmentsOnly = false) => {
    const l = lines[unit.line]!.l;
    const spanOf = (start: number, end: number): Span => spanIn(l, start, end);
    const sc0 = unit.tokens;
    // A function's header on the line of its body (`fw() { iptables …; }`) when the shape was not read.
    const sc = sc0.length > 3 && isParen(sc0[1], "(") && isParen(sc0[2], ")") ? sc0.slice(3) : sc0;
    const words = sc.filter((t) => t.type === "word" || t.type === "unterminated");
    // top-level assignment: NAME=value
    if (words.length === sc.length && words.length >= 1 && words.every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value))) {
      for (const w of words) {
        const eq = w.value.indexOf("=");
        const v = shellWordValue(w.value.slice(eq + 1), vars);
        if (!v.dynamic) vars.set(w.value.slice(0, eq), v.text);
        else vars.delete(w.value.slice(0, eq));
      }
      return;
    }
    if (assignmentsOnly) return;
    let k = 0;
    let program: RegExpExecArray | null = null;
    for (; k < words.length; k++) {
      const v = shellWordValue(words[k]!.value, vars).text;
      program = PROGRAM.exec(v);
      if (program) break;
      if (PREFIX_WORDS.has(v) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]!.value) || /\)$/.test(v) || (v.startsWith("-") && k > 0 && words[0]!.value === "sudo")) continue;
      break;
    }
    if (!program) return;
    const family: Family = program[1] === "ip6tables" ? "ipv6" : "ipv4";
    const items: ShellArg[] = [];
    for (const t of words.slice(k + 1)) {
      if (t.type === "unterminated") {
        diagnostics.push({ code: "unterminated-quote", message: "unterminated quote", span: spanOf(t.offset, l.text.length) });
      }
      const v = shellWordValue(t.value, vars);
      const start = toSource(l, t.offset);
      const end = toSource(l, t.offset + t.value.length - 1) + 1;
      if (!v.quoted && !v.dynamic && t.value.includes("$")) {
        // an unquoted expansion is split at blanks, and gone when empty (`OPTS="-p tcp --dport 22"`, `$EXTRA`):
        // each field keeps the span of the word it comes from
        const fields = fieldsOf(v.text);
        for (const field of fields) items.push({ text: field, raw: fields.length === 1 ? t.value : field, start, end, quoted: false, dynamic: false });
        continue;
      }
      items.push({ text: v.text, raw: t.value, start, end, quoted: v.quoted, dynamic: v.dynamic });
    }
    oddSpaces(words.slice(k + 1), spanOf, diagnostics);
    // `/sbin/iptables -w "$@"` (a wrapper function) passes on arguments fwlint does not know, the command itself
    // among them: nothing to read (the calls `iptables -A …` are read where they are written)
    if (items.some((a) => FORWARDED_ARGUMENTS.test(a.raw))) return;
    const programWord = words[k]!;
    const lastTok = sc[sc.length - 1]!;
    const lineSpan = spanOf(programWord.offset, lastTok.offset + lastTok.value.length);
    if (family !== options.family) {
      // every command of the other family counts once, whether it runs or not: the caller reads that family too
      otherFamily.add(unit);
      return;
    }
    const cmd = readCommand(new ShellArgs(items, locator), { family, format: "script", table: "filter" as TableName, diagnostics }, lineSpan, null, program[0].split("/").pop());
    if (!cmd) return;
    // the command (and its rule) span from the program name to the end of the command
    const node = cmd as CommandNode;
    node.setExtent(lineSpan);
    node.family = family;
    if (node.rule) (node.rule as RuleNode).setExtent(lineSpan);
    commands.push(node);
    if (applied) tree.apply(node);
    else tree.notRun(node);
  };

  // 3. the commands that run, in that order; then, in the order written, those that do not (a function never
  // called, the other branches of a `start` case): checked as iptables would check them, kept out of the tree
  const vars = new Map<string, string>();
  const ran = new Set<Unit>();
  const runUnit = (u: Unit) => {
    perform(u, vars, true);
    ran.add(u);
  };
  /**
   * The blocks as the script runs them when called with `start`: functions where they are called, of a `case`
   * with a `start` branch that branch alone (the firewall a `start` sets up; a `stop` branch's flush would
   * leave nothing to judge), every other case's branches in order, both sides of an `if`; a `for` loop's
   * body once per word, with its variable set.
   */
  const execute = (blocks: readonly Block[], calling: readonly string[]) => {
    for (const b of blocks) {
      if (b.kind === "function") continue;
      if (b.kind === "case") {
        const start = b.branches.find((br) => br.patterns.includes("start"));
        for (const br of start ? [start] : b.branches) execute(br.body, calling);
        continue;
      }
      if (b.kind === "loop") {
        const values = b.over ? wordFields(b.over.words, vars) : null;
        if (b.over && values) {
          for (const v of values) {
            vars.set(b.over.name, v);
            execute(b.body, calling);
          }
        } else {
          if (b.over) vars.delete(b.over.name);
          execute(b.body, calling);
        }
        continue;
      }
      runUnit(b);
      const callee = calledFunction(b.tokens, shape!.functions);
      if (callee !== null && !calling.includes(callee) && calling.length < 16) {
        // the call's words are the function's $1…$9 for its body (unknown when fwlint cannot tell them)
        const saved = POSITIONAL.map((k) => vars.get(k));
        const args = callArguments(b.tokens, vars);
        POSITIONAL.forEach((k, i) => {
          if (args === null) vars.delete(k);
          else vars.set(k, args[i] ?? UNSET);
        });
        execute(shape!.functions.get(callee)!.body, [...calling, callee]);
        POSITIONAL.forEach((k, i) => (saved[i] === undefined ? vars.delete(k) : vars.set(k, saved[i]!)));
      }
    }
  };
  if (shape) execute(shape.top, []);
  else for (const u of units) runUnit(u);
  if (ran.size < units.length) {
    // variables as the text sets them up to each command
    const written = new Map<string, string>();
    for (const u of units) perform(u, written, false, ran.has(u));
  }
  // in source order, as in every ruleset (a function called twice has its commands twice)
  if (shape) commands.sort((a, b) => a.span.offset - b.span.offset);
  return {
    kind: "Ruleset",
    span: index.span(0, text.length),
    format: "script",
    family: options.family,
    familyReason: options.familyReason,
    tables: tree.finish(),
    commands,
    removedRules: tree.removedRules(),
    comments,
    generator: null,
    otherFamilyCommands: otherFamily.size,
    diagnostics,
    lineCount: index.lineCount,
  };
}
