/**
 * Parser for shell scripts of `iptables …` commands — the form Docker's documentation uses
 * (`iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP`). Lines calling iptables/ip6tables
 * (also -legacy/-nft variants, via sudo, after a `$ ` prompt, through a variable like `$IPT`) become
 * ordered commands; every other shell line is skipped. Simple `NAME=value` assignments are tracked so
 * `-i $EXT_IF` reads the value the script set.
 */
import nearley from "nearley";
import type { Command, Comment, Family, ParseDiagnostic, Ruleset, TableName } from "../ast/iptables.js";
import type { CommandNode, Locator, RuleNode } from "../ast/nodes.js";
import { LineIndex, type Span } from "../ast/span.js";
import { type ShellArg, ShellArgs } from "./args.js";
import grammarSpec from "../generated/script.js";
import { readCommand } from "./command-reader.js";
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

/** Split into logical lines, joining backslash-newline continuations and skipping here-document bodies. */
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

/** Shell word → its value with quotes removed; expansions replaced by known variables or kept as written. */
function shellWordValue(raw: string, vars: ReadonlyMap<string, string>): { text: string; dynamic: boolean; quoted: boolean } {
  let text = "";
  let dynamic = false;
  let quoted = false;
  const expand = (name: string, whole: string) => {
    const v = vars.get(name);
    if (v !== undefined) text += v;
    else {
      text += whole;
      dynamic = true;
    }
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
        } else if (raw[i] === "$") {
          const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(raw.slice(i));
          if (m) {
            expand(m[1] ?? m[2]!, m[0]);
            i += m[0].length;
          } else {
            text += "$";
            dynamic = raw[i + 1] === "(" || dynamic;
            i++;
          }
        } else if (raw[i] === "`") {
          dynamic = true;
          text += raw[i];
          i++;
        } else text += raw[i++];
      }
      i++;
    } else if (c === "\\") {
      text += raw[i + 1] ?? "";
      i += 2;
    } else if (c === "$") {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(raw.slice(i));
      if (m) {
        expand(m[1] ?? m[2]!, m[0]);
        i += m[0].length;
      } else {
        // $(…), ${…}, $1, $?, … expand to something unknown; a `$` before anything else is a literal dollar
        const sub = /^\$\((?:[^()]|\([^()]*\))*\)|^\$\{[^}]*\}|^\$[0-9#?@*!$-]/.exec(raw.slice(i));
        if (sub) dynamic = true;
        text += sub ? sub[0] : "$";
        i += sub ? sub[0].length : 1;
      }
    } else if (c === "`") {
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

export function parseScript(text: string, options: ScriptParseOptions): Ruleset {
  const diagnostics: ParseDiagnostic[] = [];
  const comments: Comment[] = [];
  const commands: Command[] = [];
  const tree = new TreeBuilder("script", diagnostics, options.family);
  const index = new LineIndex(text);
  const vars = new Map<string, string>();
  const locator: Locator = { line: (o) => index.position(o).line, column: (o) => index.position(o).column };
  let otherFamily = 0;

  for (const l of logicalLines(text)) {
    const spanOf = (start: number, end: number): Span => index.span(toSource(l, start), toSource(l, Math.max(start, end - 1)) + (end > start ? 1 : 0));
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
      if (/\bip6?tables\b/.test(l.text)) diagnostics.push({ code: "shell-syntax", message: `cannot read this shell line near "${token.value}"`, span: spanOf(token.offset, token.offset + token.value.length) });
      continue;
    }
    // comments (for directives and expectations); only full-line comments carry directives
    const cm = /(^|[ \t])(#.*)$/.exec(l.text);
    if (cm && l.text.trimStart().startsWith("#")) {
      const at = cm.index + cm[1]!.length;
      comments.push({ kind: "Comment", span: spanOf(at, l.text.length), text: cm[2]!.slice(1), indented: at > 0 });
    }
    for (const sc0 of simple) {
      // A function's header on the line of its body (`fw() { iptables …; }`): the body's command is read.
      const sc = sc0.length > 3 && sc0[1]!.type === "paren" && sc0[1]!.value === "(" && sc0[2]!.type === "paren" && sc0[2]!.value === ")" ? sc0.slice(3) : sc0;
      const words = sc.filter((t) => t.type === "word" || t.type === "unterminated");
      // top-level assignment: NAME=value
      if (words.length === sc.length && words.length >= 1 && words.every((w) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value))) {
        for (const w of words) {
          const eq = w.value.indexOf("=");
          const v = shellWordValue(w.value.slice(eq + 1), vars);
          if (!v.dynamic) vars.set(w.value.slice(0, eq), v.text);
          else vars.delete(w.value.slice(0, eq));
        }
        continue;
      }
      let k = 0;
      let program: RegExpExecArray | null = null;
      for (; k < words.length; k++) {
        const v = shellWordValue(words[k]!.value, vars).text;
        program = PROGRAM.exec(v);
        if (program) break;
        if (PREFIX_WORDS.has(v) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]!.value) || /\)$/.test(v) || (v.startsWith("-") && k > 0 && words[0]!.value === "sudo")) continue;
        break;
      }
      if (!program) continue;
      const family: Family = program[1] === "ip6tables" ? "ipv6" : "ipv4";
      const items: ShellArg[] = [];
      for (const t of words.slice(k + 1)) {
        if (t.type === "unterminated") {
          diagnostics.push({ code: "unterminated-quote", message: "unterminated quote", span: spanOf(t.offset, l.text.length) });
        }
        const v = shellWordValue(t.value, vars);
        const start = toSource(l, t.offset);
        items.push({ text: v.text, raw: t.value, start, end: toSource(l, t.offset + t.value.length - 1) + 1, quoted: v.quoted, dynamic: v.dynamic });
      }
      const programWord = words[k]!;
      const lastTok = sc[sc.length - 1]!;
      const lineSpan = spanOf(programWord.offset, lastTok.offset + lastTok.value.length);
      if (family !== options.family) {
        otherFamily++;
        continue;
      }
      const cmd = readCommand(new ShellArgs(items, locator), { family, format: "script", table: "filter" as TableName, diagnostics }, lineSpan, null, program[0].split("/").pop());
      if (!cmd) continue;
      // the command (and its rule) span from the program name to the end of the command
      const node = cmd as CommandNode;
      node.setExtent(lineSpan);
      node.family = family;
      if (node.rule) (node.rule as RuleNode).setExtent(lineSpan);
      commands.push(node);
      tree.apply(node);
    }
  }
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
    otherFamilyCommands: otherFamily,
    diagnostics,
    lineCount: index.lineCount,
  };
}
