/**
 * Table-driven tests for one lint rule: every case lints a text (restore file, `iptables -S` output or script)
 * and lists exactly the diagnostics the rule must report, as "line:column severity". (The documented bad/good
 * examples of every rule are checked by test/rule-docs.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { Family, SourceFormat } from "../../src/ast/iptables.js";
import type { Diagnostic } from "../../src/diagnostic.js";
import { lint } from "../../src/lint.js";
import type { LintRule } from "../../src/rule.js";

export interface RuleCase {
  readonly name: string;
  readonly text: string;
  readonly format?: SourceFormat;
  readonly family?: Family;
  /** Every diagnostic of the rule: "line:column severity" (e.g. "3:20 error"). */
  readonly expect: readonly string[];
  /** A pattern every reported message must match. */
  readonly message?: RegExp;
  /** The text of the first diagnostic's first suggested fix, applied to the source, gives this line. */
  readonly fixed?: string;
}

export function runRule(rule: LintRule, text: string, format?: SourceFormat, family?: Family): Diagnostic[] {
  return lint({ text, ...(format ? { format } : {}), ...(family ? { family } : {}) }, { rules: [rule] }).messages.filter((m) => m.ruleId === rule.id);
}

export function applyFix(text: string, d: Diagnostic): string {
  const fix = d.suggestions?.[0]?.fix;
  if (!fix) return text;
  return text.slice(0, fix.range[0]) + fix.text + text.slice(fix.range[1]);
}

export function ruleTests(rule: LintRule, cases: readonly RuleCase[]) {
  describe(rule.id, () => {
    it.each(cases.map((c) => ({ ...c, label: `${c.name} (${c.format ?? "save"})` })))("$label", (c) => {
      const found = runRule(rule, c.text, c.format, c.family);
      const shown = found.map((d) => `${d.span.line}:${d.span.column} ${d.severity} — ${d.message}`).join("\n");
      expect(found.map((d) => `${d.span.line}:${d.span.column} ${d.severity}`), shown).toEqual([...c.expect]);
      if (c.message) for (const d of found) expect(d.message).toMatch(c.message);
      if (c.fixed !== undefined) {
        const after = applyFix(c.text, found[0]!);
        const line = after.split("\n")[found[0]!.span.line - 1];
        expect(line).toBe(c.fixed);
      }
    });
  });
}

/** Wrap rule lines in a *filter (or other) table block with its built-in chains declared. */
export function restore(table: string, ...lines: string[]): string {
  return [`*${table}`, ...lines, "COMMIT", ""].join("\n");
}
