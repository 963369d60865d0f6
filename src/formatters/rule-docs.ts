/**
 * A rule's documentation, rendered from its metadata: plain text for `fwlint --explain RULE` and SARIF
 * `help.text`, Markdown for SARIF `help.markdown` (what GitHub code scanning shows beside an alert).
 *
 * Examples (`docs.bad` / `docs.good`) are one file, or several for project rules, each introduced by a
 * `==> name <==` line (the header `head` and `tail` print between files):
 *
 *   ==> rules.v4 <==
 *   *filter
 *   …
 *   ==> daemon.json <==
 *   { "iptables": false }
 */
import { Chalk } from "chalk";
import type { FileKind, LintRuleMeta } from "../rule.js";

export interface ExampleFile {
  /** File name from a `==> name <==` header, or null for a single unnamed example. */
  readonly name: string | null;
  readonly text: string;
  /** Kind to lint the text as (undefined: detect from the name and content). */
  readonly kind?: FileKind;
}

const HEADER = /^==> (.+?) <==$/;

/** The files of a rule's good or bad example. */
export function exampleFiles(rule: Pick<LintRuleMeta, "language" | "docs">, which: "bad" | "good"): ExampleFile[] {
  const text = rule.docs[which];
  const defaultKind: FileKind = rule.docs.exampleKind ?? (rule.language === "daemon-json" ? "daemon-json" : "iptables");
  const lines = text.split("\n");
  if (!HEADER.test(lines[0] ?? "")) return [{ name: null, text, kind: defaultKind }];
  const files: { name: string; lines: string[] }[] = [];
  for (const line of lines) {
    const m = HEADER.exec(line);
    if (m) files.push({ name: m[1]!, lines: [] });
    else files[files.length - 1]!.lines.push(line);
  }
  return files.map((f) => ({ name: f.name, text: `${f.lines.join("\n").replace(/\n+$/, "")}\n` }));
}

const fenceLanguage = (kind: FileKind | undefined, name: string | null) => {
  if (kind === "daemon-json" || name?.endsWith(".json")) return "json";
  if (kind === "script" || name?.endsWith(".sh")) return "sh";
  return "";
};

export function securityLabel(score: number): string {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  return "low";
}

const SEVERITY_WORD = { error: "error", warning: "warn" } as const;

function facts(rule: LintRuleMeta): string[] {
  const out = [`Category: ${rule.category}`, `Default severity: ${SEVERITY_WORD[rule.severity]}`];
  if (rule.tags.length) out.push(`Tags: ${rule.tags.join(", ")}`);
  if (rule.securitySeverity !== undefined) out.push(`Security severity: ${rule.securitySeverity.toFixed(1)} (${securityLabel(rule.securitySeverity)})`);
  if (rule.precision) out.push(`Precision: ${rule.precision}`);
  if (rule.fixable) out.push(`Fixable: fwlint --fix repairs its findings where the cure keeps the line's meaning (${rule.fixable})`);
  return out;
}

function suppressHow(rule: LintRuleMeta): string {
  if (rule.language === "daemon-json") {
    return `daemon.json cannot hold comments: turn the rule off for that file in .fwlintrc.json, e.g. {"overrides": [{"files": ["daemon.json"], "rules": {"${rule.id}": "off"}}]}.`;
  }
  return `On the line before: # fwlint-disable-next-line ${rule.id} -- reason. Inside the rule itself (survives iptables-save): -m comment --comment "fwlint-disable-line ${rule.id} -- reason". For a whole file: # fwlint-disable-file ${rule.id}, or "${rule.id}": "off" in .fwlintrc.json.`;
}

/** Markdown documentation of a rule. */
export function ruleMarkdown(rule: LintRuleMeta): string {
  const parts: string[] = [`# ${rule.id}`, "", `${rule.description}.`, "", facts(rule).map((f) => `- ${f.replace(/^([^:]+):/, "**$1:**")}`).join("\n"), "", "## Rationale", "", rule.docs.rationale.trim()];
  for (const [title, which] of [["Problematic", "bad"], ["Correct", "good"]] as const) {
    parts.push("", `## ${title}`);
    for (const f of exampleFiles(rule, which)) {
      if (f.name) parts.push("", `\`${f.name}\``);
      const fence = f.text.includes("```") ? "~~~~" : "```";
      parts.push("", `${fence}${fenceLanguage(f.kind, f.name)}`, f.text.replace(/\n$/, ""), fence);
    }
  }
  if (rule.docs.exceptions) parts.push("", "## Exceptions", "", rule.docs.exceptions.trim());
  if (rule.optionsSchema) {
    parts.push("", "## Options", "", "```json", JSON.stringify(rule.optionsSchema, null, 2), "```");
    if (rule.defaultOptions) parts.push("", `Defaults: \`${JSON.stringify(rule.defaultOptions)}\``);
  }
  parts.push("", "## Suppressing", "", suppressHow(rule));
  return `${parts.join("\n")}\n`;
}

/** Plain-text documentation of a rule (coloured headings when `color`). */
export function ruleText(rule: LintRuleMeta, color = false): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const indent = (s: string, n: number) => s.replace(/\n$/, "").split("\n").map((l) => (l ? " ".repeat(n) + l : l)).join("\n");
  const parts: string[] = [`${c.bold(rule.id)}: ${rule.description}`, "", indent(facts(rule).join("\n"), 2), "", c.bold("Rationale"), indent(rule.docs.rationale.trim(), 2)];
  for (const [title, which] of [["Problematic", "bad"], ["Correct", "good"]] as const) {
    parts.push("", c.bold(title));
    for (const f of exampleFiles(rule, which)) {
      if (f.name) parts.push(`  ${f.name}:`);
      parts.push(indent(f.text, 4));
    }
  }
  if (rule.docs.exceptions) parts.push("", c.bold("Exceptions"), indent(rule.docs.exceptions.trim(), 2));
  if (rule.optionsSchema) {
    parts.push("", c.bold("Options"), indent(JSON.stringify(rule.optionsSchema, null, 2), 2));
    if (rule.defaultOptions) parts.push(`  Defaults: ${JSON.stringify(rule.defaultOptions)}`);
  }
  parts.push("", c.bold("Suppressing"), indent(suppressHow(rule), 2));
  return `${parts.join("\n")}\n`;
}
