/**
 * Inline suppressions: `# fwlint-disable…` comments and `-m comment --comment "fwlint-disable-line …"`.
 * Directives are collected once per file and applied as a post-filter, outside the rules (rules stay pure).
 *
 *   # fwlint-disable-next-line rule-a, rule-b -- reason     the next line that is neither blank nor a comment
 *   # fwlint-disable rule-a   …   # fwlint-enable rule-a      a region (no rule ids: every rule)
 *   # fwlint-disable-file rule-a                             the whole file
 *   iptables -A … # fwlint-disable-line rule-a              scripts: a trailing comment covers its command
 *   -A INPUT … -m comment --comment "fwlint-disable-line rule-a -- reason"
 *                                                            the rule's own comment, which survives
 *                                                            iptables-restore → iptables-save round trips
 */
import type { Ruleset } from "./ast/iptables.js";
import type { Span } from "./ast/span.js";
import type { Diagnostic, EngineMessageKind, Fix, Severity, SeveritySetting, SuppressedDiagnostic } from "./diagnostic.js";
import type { ProjectFile } from "./rule.js";

export type DirectiveType = "disable" | "enable" | "disable-line" | "disable-next-line" | "disable-file";

export interface Directive {
  readonly type: DirectiveType;
  /** Rule ids named in the directive; null when none are named (every rule). */
  readonly rules: readonly string[] | null;
  /** Text after ` -- `, or "". */
  readonly justification: string;
  /** Where the directive is written: the `#` comment, or the value of `--comment`. */
  readonly span: Span;
  /** disable-line / disable-next-line: the lines covered (inclusive). */
  readonly lines?: { readonly from: number; readonly to: number };
  readonly via: "comment" | "rule-comment";
}

const COMMENT_DIRECTIVE = /^\s*fwlint-(disable-next-line|disable-line|disable-file|disable|enable)(?=$|\s)(.*)$/s;
const RULE_COMMENT_DIRECTIVE = /(?:^|[\s;,])fwlint-disable-line(?=$|\s)(.*)$/s;
const TRAILING_DIRECTIVE = /(?:^|\s)#\s*(fwlint-disable-line(?=$|\s).*)$/s;

/** Split `rule-a, rule-b -- reason` into rule ids (null when none) and the justification. */
export function parseDirectiveArguments(rest: string): { rules: string[] | null; justification: string } {
  const sep = /\s-{2,}(?:\s|$)/.exec(` ${rest}`);
  const body = sep ? ` ${rest}`.slice(0, sep.index) : rest;
  const justification = sep ? ` ${rest}`.slice(sep.index + sep[0].length).trim() : "";
  const rules = body.split(/[\s,]+/).filter(Boolean);
  return { rules: rules.length ? rules : null, justification };
}

/** Parse the text of a `#` comment (after the `#`) as a directive, or null when it is none. */
export function parseCommentDirective(text: string): { type: DirectiveType; rules: string[] | null; justification: string } | null {
  const m = COMMENT_DIRECTIVE.exec(text);
  if (!m) return null;
  return { type: m[1] as DirectiveType, ...parseDirectiveArguments(m[2]!) };
}

/** Line starts of a text (0-based offsets), computed only for files that carry directives. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** Every directive of a file, in source order. daemon.json has none (JSON has no comments). */
export function collectDirectives(file: ProjectFile): Directive[] {
  const text = file.text;
  if (file.rulesets.length === 0 || !text.includes("fwlint-")) return [];
  const starts = lineStarts(text);
  const lineText = (line: number) => {
    const s = starts[line - 1]!;
    const e = line < starts.length ? starts[line]! - 1 : text.length;
    return text.slice(s, e).replace(/\r$/, "");
  };
  // the lines each command spans, by first line (scripts continue commands over several lines)
  const commandEnd = new Map<number, number>();
  for (const rs of file.rulesets) {
    for (const c of rs.commands) commandEnd.set(c.span.line, Math.max(commandEnd.get(c.span.line) ?? 0, c.span.endLine));
  }
  const out = new Map<number, Directive>();

  const comments = new Map<number, Ruleset["comments"][number]>();
  for (const rs of file.rulesets) for (const c of rs.comments) comments.set(c.span.offset, c);
  for (const c of comments.values()) {
    const parsed = parseCommentDirective(c.text);
    if (!parsed) continue;
    let lines: Directive["lines"];
    if (parsed.type === "disable-line") lines = { from: c.span.line, to: c.span.endLine };
    if (parsed.type === "disable-next-line") {
      let line = c.span.endLine + 1;
      while (line <= starts.length && /^\s*(?:#.*)?$/.test(lineText(line))) line++;
      lines = line <= starts.length ? { from: line, to: Math.max(line, commandEnd.get(line) ?? line) } : { from: 0, to: -1 };
    }
    out.set(c.span.offset, { ...parsed, span: c.span, via: "comment", ...(lines ? { lines } : {}) });
  }

  for (const rs of file.rulesets) {
    for (const cmd of rs.commands) {
      // scripts: `iptables … # fwlint-disable-line rule` after the command on its last line
      if (rs.format === "script") {
        let eol = text.indexOf("\n", cmd.span.endOffset);
        if (eol === -1) eol = text.length;
        const rest = text.slice(cmd.span.endOffset, eol);
        const m = TRAILING_DIRECTIVE.exec(rest);
        if (m) {
          const at = cmd.span.endOffset + m.index + m[0].indexOf("#");
          const end = eol - (rest.endsWith("\r") ? 1 : 0);
          const col = at - starts[cmd.span.endLine - 1]! + 1;
          const span: Span = { line: cmd.span.endLine, column: col, endLine: cmd.span.endLine, endColumn: col + (end - at), offset: at, endOffset: end };
          const parsed = parseCommentDirective(m[1]!)!;
          const prev = out.get(at);
          const from = Math.min(prev?.lines?.from ?? cmd.span.line, cmd.span.line);
          out.set(at, { ...parsed, span, via: "comment", lines: { from, to: cmd.span.endLine } });
        }
      }
      // -m comment --comment "… fwlint-disable-line rule -- reason"
      const rule = cmd.rule;
      if (!rule) continue;
      for (const match of rule.matches) {
        if (match.module !== "comment") continue;
        for (const opt of match.options) {
          const word = opt.values[0];
          if (opt.name !== "--comment" || !word) continue;
          const m = RULE_COMMENT_DIRECTIVE.exec(word.text);
          if (!m) continue;
          out.set(word.span.offset, { type: "disable-line", ...parseDirectiveArguments(m[1]!), span: word.span, via: "rule-comment", lines: { from: cmd.span.line, to: cmd.span.endLine } });
        }
      }
    }
  }
  return [...out.values()].sort((a, b) => a.span.offset - b.span.offset);
}

export interface ApplyDirectivesOptions {
  /** Severity of unused directives ("off": not reported). */
  readonly reportUnused: SeveritySetting;
  /** Ids of every rule that exists; a directive naming another id is reported. Omit to skip the check. */
  readonly knownRules?: ReadonlySet<string>;
  /** The file's text: with it, an unused `#` directive's problem carries the fix that removes it (`--fix`). */
  readonly text?: string;
}

/**
 * The edit that takes rule ids out of a `#` directive that names others still in use: the comment written
 * again with the ids it keeps, its reason as it was. Undefined when the comment is not in the usual shape.
 */
export function directiveWithout(text: string, span: Span, unused: readonly string[]): Fix | undefined {
  const m = /^(#\s*fwlint-[a-z-]+)(\s+)(.*)$/s.exec(text.slice(span.offset, span.endOffset));
  if (!m) return undefined;
  const rest = ` ${m[3]!}`;
  const sep = /\s-{2,}(?:\s|$)/.exec(rest);
  const ids = (sep ? rest.slice(0, sep.index) : rest).split(/[\s,]+/).filter(Boolean);
  const kept = ids.filter((id) => !unused.includes(id));
  if (kept.length === 0 || kept.length === ids.length) return undefined;
  return { range: [span.offset, span.endOffset], text: `${m[1]}${m[2]}${kept.join(", ")}${sep ? rest.slice(sep.index) : ""}` };
}

/**
 * The edit that removes a `#` directive: its whole line when the comment is alone on it, else the comment and
 * the blanks before it. Undefined when something follows the comment on its line.
 */
export function directiveRemoval(text: string, span: Span): Fix | undefined {
  const lineStart = text.lastIndexOf("\n", span.offset - 1) + 1;
  let lineEnd = text.indexOf("\n", span.endOffset);
  if (lineEnd === -1) lineEnd = text.length;
  if (!/^[ \t\r]*$/.test(text.slice(span.endOffset, lineEnd))) return undefined;
  if (/^[ \t]*$/.test(text.slice(lineStart, span.offset))) return { range: [lineStart, lineEnd < text.length ? lineEnd + 1 : lineEnd], text: "" };
  let start = span.offset;
  while (start > lineStart && (text[start - 1] === " " || text[start - 1] === "\t")) start--;
  return { range: [start, span.endOffset], text: "" };
}

export interface DirectiveOutcome {
  readonly messages: Diagnostic[];
  readonly suppressed: SuppressedDiagnostic[];
  /** Problems with the directives themselves (unused, unknown rule): engine messages. */
  readonly problems: Diagnostic[];
}

const quoteList = (ids: readonly string[]) => {
  const q = ids.map((id) => `'${id}'`);
  if (q.length <= 2) return q.join(" or ");
  return `${q.slice(0, -1).join(", ")}, or ${q[q.length - 1]}`;
};

const applies = (d: Directive, ruleId: string) => d.rules === null || d.rules.includes(ruleId);

/** Apply a file's directives to its messages. Messages without a rule id (engine messages) are never suppressed. */
export function applyDirectives(messages: readonly Diagnostic[], directives: readonly Directive[], options: ApplyDirectivesOptions): DirectiveOutcome {
  if (directives.length === 0) return { messages: [...messages], suppressed: [], problems: [] };
  const byLine = new Map<number, Directive[]>();
  const blocks: Directive[] = [];
  const whole: Directive[] = [];
  for (const d of directives) {
    if (d.type === "disable" || d.type === "enable") blocks.push(d);
    else if (d.type === "disable-file") whole.push(d);
    else if (d.lines) for (let l = d.lines.from; l <= d.lines.to; l++) byLine.set(l, [...(byLine.get(l) ?? []), d]);
  }
  /** The last region event before `offset` that concerns `ruleId`. */
  const regionEvent = (offset: number, ruleId: string): Directive | undefined => {
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid]!.span.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) if (applies(blocks[i]!, ruleId)) return blocks[i];
    return undefined;
  };

  const used = new Map<Directive, Set<string>>();
  const markUsed = (d: Directive, ruleId: string) => {
    let s = used.get(d);
    if (!s) used.set(d, (s = new Set()));
    s.add(ruleId);
  };
  const kept: Diagnostic[] = [];
  const suppressed: SuppressedDiagnostic[] = [];
  for (const m of messages) {
    const ruleId = m.ruleId;
    if (ruleId === null) {
      kept.push(m);
      continue;
    }
    const covering: Directive[] = [];
    for (const d of byLine.get(m.span.line) ?? []) if (applies(d, ruleId)) covering.push(d);
    const region = regionEvent(m.span.offset, ruleId);
    if (region?.type === "disable") covering.push(region);
    for (const d of whole) if (applies(d, ruleId)) covering.push(d);
    if (covering.length === 0) {
      kept.push(m);
      continue;
    }
    for (const d of covering) markUsed(d, ruleId);
    suppressed.push({ ...m, suppressions: covering.map((d) => ({ kind: "directive" as const, justification: d.justification })) });
  }

  const problems: Diagnostic[] = [];
  /** `unused`: the ids of the directive that are unused ("all": the directive as a whole). */
  const problem = (d: Directive, severity: Severity, engine: EngineMessageKind, message: string, unused: readonly string[] | "all" | null = null) => {
    // as ESLint, --fix removes a directive that is unused as a whole, or the ids of it that are unused (not in a
    // directive written in a rule's --comment: that text is part of the rule)
    const text = d.via === "comment" ? options.text : undefined;
    const fix = text === undefined || unused === null ? undefined : unused === "all" || unused.length === d.rules?.length ? directiveRemoval(text, d.span) : directiveWithout(text, d.span, unused);
    problems.push({ ruleId: null, engine, severity, message, span: d.span, ...(fix ? { fix } : {}) });
  };
  const known = options.knownRules;
  for (const d of directives) {
    for (const id of d.rules ?? []) {
      if (known && !known.has(id)) problem(d, "error", "unknown-rule-in-directive", `Unknown rule '${id}' in fwlint-${d.type} directive`);
    }
  }
  if (options.reportUnused !== "off") {
    const severity = options.reportUnused;
    for (const d of directives) {
      const named = d.rules?.filter((id) => !known || known.has(id)) ?? null;
      if (d.type === "enable") {
        if (named === null) {
          if (!blocks.some((b) => b.type === "disable" && b.span.offset < d.span.offset)) problem(d, severity, "unused-enable-directive", "Unused fwlint-enable directive (no matching fwlint-disable directives were found)", "all");
        } else {
          const unmatched = named.filter((id) => regionEvent(d.span.offset, id)?.type !== "disable");
          if (unmatched.length) problem(d, severity, "unused-enable-directive", `Unused fwlint-enable directive (no matching fwlint-disable directives were found for ${quoteList(unmatched)})`, unmatched);
        }
        continue;
      }
      const hits = used.get(d);
      if (named === null) {
        if (d.rules === null && !hits) problem(d, severity, "unused-disable-directive", `Unused fwlint-${d.type} directive (no problems were reported)`, "all");
        continue;
      }
      const unusedIds = named.filter((id) => !hits?.has(id));
      if (unusedIds.length) problem(d, severity, "unused-disable-directive", `Unused fwlint-${d.type} directive (no problems were reported from ${quoteList(unusedIds)})`, unusedIds);
    }
  }
  return { messages: kept, suppressed, problems };
}
