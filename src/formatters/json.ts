/**
 * ESLint's JSON formatter shape (an array of LintResult), so tools that read `eslint -f json` read fwlint:
 *   [{ filePath, messages: [{ ruleId, severity: 1|2, message, line, column, endLine, endColumn, … }],
 *      suppressedMessages, errorCount, fatalErrorCount, warningCount, fixableErrorCount, fixableWarningCount,
 *      output (with --fix / --fix-dry-run, when a fix changed the file), usedDeprecatedRules }]
 * Unlike ESLint, `source` is left out: a firewall dump in a CI artifact is not something to copy around.
 */
import type { Diagnostic, SuppressedDiagnostic } from "../diagnostic.js";
import { fixableCounts, hasPosition, type FormattedResult } from "./types.js";

export interface JsonMessage {
  readonly ruleId: string | null;
  readonly severity: 1 | 2;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  readonly fix?: { readonly range: readonly [number, number]; readonly text: string };
  readonly suggestions?: readonly { readonly desc: string; readonly fix: { readonly range: readonly [number, number]; readonly text: string } }[];
  readonly related?: readonly { readonly message: string; readonly line: number; readonly column: number; readonly endLine: number; readonly endColumn: number }[];
  readonly suppressions?: readonly { readonly kind: string; readonly justification: string }[];
}

export function jsonMessage(d: Diagnostic | SuppressedDiagnostic): JsonMessage {
  const s = d.span;
  return {
    ruleId: d.ruleId,
    severity: d.severity === "error" ? 2 : 1,
    message: d.message,
    ...(hasPosition(d) ? { line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn } : {}),
    ...(d.fix ? { fix: { range: d.fix.range, text: d.fix.text } } : {}),
    ...(d.suggestions?.length ? { suggestions: d.suggestions.map((g) => ({ desc: g.desc, fix: { range: g.fix.range, text: g.fix.text } })) } : {}),
    ...(d.related?.length ? { related: d.related.map((r) => ({ message: r.message, line: r.span.line, column: r.span.column, endLine: r.span.endLine, endColumn: r.span.endColumn })) } : {}),
    ...("suppressions" in d ? { suppressions: d.suppressions.map((x) => ({ kind: x.kind, justification: x.justification })) } : {}),
  };
}

export function json(results: readonly FormattedResult[]): string {
  return JSON.stringify(
    results.map((r) => ({
      filePath: r.filePath,
      messages: r.messages.map(jsonMessage),
      suppressedMessages: r.suppressedMessages.map(jsonMessage),
      errorCount: r.errorCount,
      fatalErrorCount: r.fatalErrorCount,
      warningCount: r.warningCount,
      ...fixableCounts(r.messages),
      ...(r.output !== undefined ? { output: r.output } : {}),
      usedDeprecatedRules: [],
    })),
  );
}
