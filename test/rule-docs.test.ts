/**
 * Every registered rule's documentation examples are tests: `docs.bad` must make the rule report at least
 * once, `docs.good` must not make it report at all. Examples of several files (`==> name <==` headers) are
 * linted together, as project rules see them.
 */
import { describe, expect, it } from "vitest";
import { exampleFiles } from "../src/formatters/rule-docs.js";
import { lintFiles } from "../src/lint.js";
import type { LintRule } from "../src/rule.js";
import { lintRules } from "../rules/index.js";

function findingsOf(rule: LintRule, which: "bad" | "good") {
  const files = exampleFiles(rule, which);
  const results = lintFiles(
    files.map((f) => ({ text: f.text, ...(f.name ? { filePath: f.name } : {}), ...(f.kind ? { kind: f.kind } : {}) })),
    { config: { rules: { [rule.id]: { severity: rule.severity } }, facts: {} } },
  );
  return results.flatMap((r) => r.messages.map((m) => ({ ...m, file: r.filePath ?? "<example>" })));
}

describe.each(lintRules.map((rule) => ({ id: rule.id, rule })))("$id", ({ rule }) => {
  it("reports on its bad example", () => {
    const found = findingsOf(rule, "bad").filter((m) => m.ruleId === rule.id);
    expect(found.length, `docs.bad of ${rule.id} produced no ${rule.id} diagnostic`).toBeGreaterThan(0);
  });

  it("is silent on its good example", () => {
    const found = findingsOf(rule, "good").filter((m) => m.ruleId === rule.id);
    expect(found.map((m) => `${m.file}:${m.span.line}:${m.span.column} ${m.message}`)).toEqual([]);
  });
});
