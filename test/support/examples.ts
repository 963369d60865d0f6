/**
 * Rule documentation examples as lint inputs. An example is one file, or several files for project rules,
 * each introduced by a `==> name <==` line (as `head` prints several files):
 *
 *   ==> daemon.json <==
 *   { "ip": "127.0.0.1" }
 *   ==> rules.v4 <==
 *   *nat
 *   …
 *
 * A `# fwlint-facts: {…}` line in an iptables example sets the project facts.
 */
import { lintFiles, type LintInput, type LintResult } from "../../src/lint.js";
import type { FileKind, LintRule, ProjectFacts } from "../../src/rule.js";
import { readFacts } from "./expectations.js";

export interface ExampleFile {
  readonly name: string | undefined;
  readonly text: string;
}

export function splitExample(example: string): ExampleFile[] {
  const lines = example.split("\n");
  if (!/^==> .+ <==$/.test(lines[0] ?? "")) return [{ name: undefined, text: example }];
  const out: { name: string; lines: string[] }[] = [];
  for (const line of lines) {
    const m = /^==> (.+) <==$/.exec(line);
    if (m) out.push({ name: m[1]!, lines: [] });
    else out[out.length - 1]!.lines.push(line);
  }
  return out.map((f) => ({ name: f.name, text: f.lines.join("\n").replace(/\n*$/, "\n") }));
}

/** Lint a documentation example of `rule` the way a user would (files linted together). */
export function lintExample(rule: LintRule, example: string): LintResult[] {
  const files = splitExample(example);
  let facts: ProjectFacts = {};
  const inputs: LintInput[] = files.map((f) => {
    const kind: FileKind | undefined = rule.docs.exampleKind ?? (f.name === undefined && rule.language === "daemon-json" ? "daemon-json" : undefined);
    facts = { ...facts, ...readFacts(f.name ?? "example", f.text) };
    return { text: f.text, ...(f.name ? { filePath: f.name } : {}), ...(kind ? { kind } : {}) };
  });
  return lintFiles(inputs, { config: { rules: {}, facts } });
}
