/**
 * GitLab Code Quality report (a subset of the Code Climate spec), shown in merge requests when a job
 * declares `artifacts: reports: codequality: <file>`:
 *   [{ description, check_name, fingerprint, severity: info|minor|major|critical|blocker,
 *      location: { path, lines: { begin, end } } }]
 * The fingerprint is the baseline's (stable when lines move) plus a counter for identical findings.
 */
import { LineIndex } from "../ast/span.js";
import { fingerprint } from "../baseline.js";
import { reportedId } from "../diagnostic.js";
import type { LintRuleMeta } from "../rule.js";
import { createHash } from "node:crypto";
import type { FormatterContext, FormattedResult } from "./types.js";

function severity(rule: LintRuleMeta | undefined, level: "error" | "warning"): string {
  const score = rule?.securitySeverity;
  if (score !== undefined) return score >= 9 ? "critical" : score >= 7 ? "major" : score >= 4 ? "minor" : "info";
  return level === "error" ? "major" : "minor";
}

export function gitlab(results: readonly FormattedResult[], ctx: FormatterContext): string {
  const rules = new Map(ctx.rules.map((r) => [r.id, r]));
  const issues: unknown[] = [];
  for (const result of results) {
    if (result.messages.length === 0) continue;
    const source = result.source ?? "";
    const index = new LineIndex(source);
    const seen = new Map<string, number>();
    for (const m of result.messages) {
      const id = reportedId(m);
      const base = m.span.line > 0 ? fingerprint(source, m, index).hash : "file";
      const k = `${result.relativePath}\0${id}\0${base}`;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      issues.push({
        type: "issue",
        description: m.message,
        check_name: id,
        fingerprint: createHash("md5").update(`${k}\0${n}`).digest("hex"),
        severity: severity(m.ruleId ? rules.get(m.ruleId) : undefined, m.severity),
        location: { path: result.relativePath, lines: { begin: Math.max(1, m.span.line), end: Math.max(1, m.span.endLine, m.span.line) } },
      });
    }
  }
  return JSON.stringify(issues, null, 2);
}
