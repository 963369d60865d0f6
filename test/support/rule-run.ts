/** Small helpers for the tests beside each rule (rules/<id>.test.ts). */
import type { Diagnostic, Fix } from "../../src/diagnostic.js";
import { lintFiles, type LintInput } from "../../src/lint.js";
import type { ProjectFacts } from "../../src/rule.js";

export interface RunOptions {
  readonly filePath?: string;
  readonly facts?: ProjectFacts;
  readonly kind?: LintInput["kind"];
}

/** The diagnostics one rule reports on one text (every rule runs; the others are filtered out). */
export function run(ruleId: string, text: string, options: RunOptions = {}): Diagnostic[] {
  const input: LintInput = { text, ...(options.filePath ? { filePath: options.filePath } : {}), ...(options.kind ? { kind: options.kind } : {}) };
  const [result] = lintFiles([input], { config: { rules: {}, facts: options.facts ?? {} } });
  return result!.messages.filter((m) => m.ruleId === ruleId);
}

/** The diagnostics one rule reports when several files are linted together (project rules). */
export function runProject(ruleId: string, files: readonly LintInput[], facts: ProjectFacts = {}): { file: string | undefined; diagnostic: Diagnostic }[] {
  return lintFiles(files, { config: { rules: {}, facts } }).flatMap((r) => r.messages.filter((m) => m.ruleId === ruleId).map((diagnostic) => ({ file: r.filePath, diagnostic })));
}

export function applyFix(text: string, fix: Fix): string {
  return text.slice(0, fix.range[0]) + fix.text + text.slice(fix.range[1]);
}

/** A filter/nat dump with the given rule lines inserted, for short tests. */
export function dump(filter: readonly string[], nat: readonly string[] = [], chains: readonly string[] = ["DOCKER-USER"]): string {
  const out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ...chains.map((c) => `:${c} - [0:0]`), ...filter, "COMMIT"];
  if (nat.length) out.push("*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ":DOCKER - [0:0]", ...nat, "COMMIT");
  return `${out.join("\n")}\n`;
}
