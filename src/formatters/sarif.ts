/**
 * SARIF 2.1.0 for GitHub code scanning (docs: "SARIF support for code scanning"; upload-sarif's checks):
 * one run; tool.driver lists every rule with short/full description and help text+markdown (GitHub ignores
 * helpUri); security rules carry properties["security-severity"] as a numeric string; results point at
 * repository-relative, forward-slash, percent-encoded URIs under %SRCROOT% with 1-based regions and
 * columnKind utf16CodeUnits; `results` is [] when clean; at most 25,000 results (GitHub rejects more).
 * Suppressed findings are left out unless asked for (GitHub does not honour `suppressions`).
 */
import { pathToFileURL } from "node:url";
import { LineIndex } from "../ast/span.js";
import type { Diagnostic, EngineMessageKind, SuppressedDiagnostic } from "../diagnostic.js";
import { reportedId } from "../diagnostic.js";
import type { LintRuleMeta } from "../rule.js";
import { lineHashes } from "./line-hash.js";
import { ruleMarkdown, ruleText } from "./rule-docs.js";
import { hasPosition, type FormatterContext, type FormattedResult } from "./types.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";
/** GitHub rejects a run with more results than this. */
export const MAX_SARIF_RESULTS = 25_000;
const MAX_TAGS = 10;

/** Descriptors of what the engine reports itself (ruleId null in the other formats). */
const ENGINE_DESCRIPTORS: Record<EngineMessageKind, { description: string; help: string }> = {
  "unused-disable-directive": {
    description: "A fwlint-disable directive suppresses no problem",
    help: "The directive names rules that reported nothing where it applies. Remove it, or the rule ids that no longer fire, so it cannot hide a future problem.",
  },
  "unused-enable-directive": {
    description: "A fwlint-enable directive has no matching fwlint-disable",
    help: "No fwlint-disable directive before it disables the rules it re-enables. Remove it.",
  },
  "unknown-rule-in-directive": {
    description: "A fwlint directive names a rule that does not exist",
    help: "Check the rule id (fwlint --list-rules); a misspelt id suppresses nothing.",
  },
  "ignored-file": {
    description: "A file named on the command line is excluded by ignore patterns",
    help: "The file matches `ignores` in the configuration or --ignore-pattern and was not linted. Use --no-ignore to lint it, or --no-warn-ignored to silence this.",
  },
};

type Json = Record<string, unknown>;

const pascal = (id: string) => id.replace(/(^|[-/])([a-z0-9])/g, (_m, _s, ch: string) => ch.toUpperCase());

function ruleDescriptor(rule: LintRuleMeta): Json {
  const tags = [...new Set([...(rule.securitySeverity !== undefined ? ["security"] : []), ...rule.tags])].slice(0, MAX_TAGS);
  const firstParagraph = rule.docs.rationale.trim().split(/\n\s*\n/)[0]!.replace(/\s+/g, " ");
  const properties: Json = { tags, category: rule.category };
  if (rule.precision) properties.precision = rule.precision;
  properties["problem.severity"] = rule.severity === "error" ? "error" : "warning";
  if (rule.securitySeverity !== undefined) properties["security-severity"] = rule.securitySeverity.toFixed(1);
  return {
    id: rule.id,
    name: pascal(rule.id),
    shortDescription: { text: truncate(rule.description, 1024) },
    fullDescription: { text: truncate(firstParagraph || rule.description, 1024) },
    help: { text: ruleText(rule), markdown: ruleMarkdown(rule) },
    defaultConfiguration: { level: rule.severity === "error" ? "error" : "warning" },
    properties,
  };
}

function engineDescriptor(kind: EngineMessageKind): Json {
  const d = ENGINE_DESCRIPTORS[kind];
  return {
    id: `fwlint/${kind}`,
    name: pascal(kind),
    shortDescription: { text: d.description },
    fullDescription: { text: d.help },
    help: { text: d.help, markdown: d.help },
    defaultConfiguration: { level: "warning" },
    properties: { tags: ["fwlint"], "problem.severity": "warning" },
  };
}

const truncate = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Percent-encode each segment of a forward-slash relative path (upload-sarif decodeURIComponent()s it). */
export function encodeRelativeUri(relativePath: string): string {
  return relativePath.split("/").map(encodeURIComponent).join("/");
}

/** How a result's file is addressed: relative to %SRCROOT% when inside the project, else an absolute file URI. */
function artifactLocation(result: FormattedResult): Json {
  if (result.filePath === "<stdin>") return { uri: "stdin" };
  if (result.relativePath.startsWith("../") || result.relativePath.startsWith("/")) return { uri: pathToFileURL(result.filePath).href };
  return { uri: encodeRelativeUri(result.relativePath), uriBaseId: "%SRCROOT%" };
}

function region(d: { span: Diagnostic["span"] }): Json {
  const s = d.span;
  const endLine = Math.max(s.endLine, s.line);
  const endColumn = endLine === s.line ? Math.max(s.endColumn, s.column) : Math.max(1, s.endColumn);
  return { startLine: Math.max(1, s.line), startColumn: Math.max(1, s.column), endLine, endColumn };
}

/**
 * SARIF `fixes` of a finding: the fix `fwlint --fix` applies (unless a suggestion is the same edit), then each
 * suggestion, as replacements of a
 * character range of the file (with its lines and columns when the text is at hand). Viewers such as VS
 * Code's SARIF viewer offer them; GitHub code scanning ignores them.
 */
function sarifFixes(m: Diagnostic | SuppressedDiagnostic, location: Json, source: string | undefined, lines: () => LineIndex | null): Json[] {
  const suggestions = m.suggestions ?? [];
  // a rule usually offers its fix as a suggestion too: one entry for both
  const same = (f: { range: readonly [number, number]; text: string }) => m.fix !== undefined && f.range[0] === m.fix.range[0] && f.range[1] === m.fix.range[1] && f.text === m.fix.text;
  const all = [...(m.fix && !suggestions.some((g) => same(g.fix)) ? [{ desc: "Apply the fix `fwlint --fix` makes", fix: m.fix }] : []), ...suggestions];
  return all.map(({ desc, fix }) => {
    const [start, end] = fix.range;
    const deletedRegion: Json = { charOffset: start, charLength: end - start };
    const index = source !== undefined ? lines() : null;
    if (index) {
      const a = index.position(start);
      const b = index.position(end);
      Object.assign(deletedRegion, { startLine: a.line, startColumn: a.column, endLine: b.line, endColumn: b.column });
    }
    return { description: { text: desc }, artifactChanges: [{ artifactLocation: location, replacements: [{ deletedRegion, insertedContent: { text: fix.text } }] }] };
  });
}

export function sarif(results: readonly FormattedResult[], ctx: FormatterContext): string {
  const descriptors: Json[] = ctx.rules.map(ruleDescriptor);
  const index = new Map<string, number>(ctx.rules.map((r, i) => [r.id, i]));
  for (const kind of Object.keys(ENGINE_DESCRIPTORS) as EngineMessageKind[]) {
    index.set(`fwlint/${kind}`, descriptors.length);
    descriptors.push(engineDescriptor(kind));
  }

  const out: { level: "error" | "warning"; json: Json }[] = [];
  for (const result of results) {
    const messages: (Diagnostic | SuppressedDiagnostic)[] = [...result.messages, ...(ctx.sarif?.includeSuppressed ? result.suppressedMessages : [])];
    if (messages.length === 0) continue;
    const hashes = ctx.sarif?.fingerprints && result.source !== undefined ? lineHashes(result.source) : undefined;
    const location = artifactLocation(result);
    let lines: LineIndex | null | undefined;
    for (const m of messages) {
      const id = reportedId(m);
      const physicalLocation: Json = { artifactLocation: location };
      if (hasPosition(m)) physicalLocation.region = region(m);
      const json: Json = {
        ruleId: id,
        ...(index.has(id) ? { ruleIndex: index.get(id) } : {}),
        level: m.severity,
        message: { text: m.message || id },
        locations: [{ physicalLocation }],
      };
      if (m.related?.length) {
        json.relatedLocations = m.related.slice(0, 1000).map((r, i) => ({ id: i + 1, physicalLocation: { artifactLocation: location, region: region(r) }, message: { text: r.message } }));
      }
      const fixes = sarifFixes(m, location, result.source, () => (lines ??= result.source !== undefined ? new LineIndex(result.source) : null));
      if (fixes.length) json.fixes = fixes;
      const hash = hashes?.get(hasPosition(m) ? m.span.line : 1);
      if (hash) json.partialFingerprints = { primaryLocationLineHash: hash };
      if ("suppressions" in m) json.suppressions = m.suppressions.map((s) => ({ kind: s.kind === "directive" ? "inSource" : "external", ...(s.justification ? { justification: s.justification } : {}) }));
      out.push({ level: m.severity, json });
    }
  }

  const notifications: Json[] = (ctx.notifications ?? []).map((n) => ({
    level: "error",
    message: { text: n.message },
    ...(n.filePath ? { locations: [{ physicalLocation: { artifactLocation: { uri: pathToFileURL(n.filePath).href } } }] } : {}),
  }));
  let kept = out;
  if (out.length > MAX_SARIF_RESULTS) {
    // keep errors before warnings, in file order; GitHub rejects the whole file above the limit
    kept = [...out.filter((r) => r.level === "error"), ...out.filter((r) => r.level !== "error")].slice(0, MAX_SARIF_RESULTS);
    notifications.push({ level: "warning", message: { text: `${out.length - MAX_SARIF_RESULTS} of ${out.length} results were left out: GitHub code scanning accepts at most ${MAX_SARIF_RESULTS} per run` } });
  }

  const run: Json = {
    tool: { driver: { name: "fwlint", semanticVersion: ctx.version, rules: descriptors } },
    ...(ctx.sarif?.category ? { automationDetails: { id: `${ctx.sarif.category.replace(/\/+$/, "")}/` } } : {}),
    originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileURL(ctx.projectRoot.endsWith("/") ? ctx.projectRoot : `${ctx.projectRoot}/`).href } },
    columnKind: "utf16CodeUnits",
    invocations: [{ executionSuccessful: (ctx.notifications ?? []).length === 0, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) }],
    results: kept.map((r) => r.json),
  };
  return JSON.stringify({ $schema: SARIF_SCHEMA_URI, version: "2.1.0", runs: [run] }, null, 2);
}
