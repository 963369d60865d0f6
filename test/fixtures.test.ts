/**
 * One data-driven test for every rule fixture: fixtures/rules/<rule-id>/*. Every rule runs on every fixture,
 * so a fixture declares every diagnostic it produces (inline `# expect-next-line:` comments, or a
 * `<file>.expected` beside JSON files). Files named valid* must be clean. The files of a directory named
 * project* are linted together (a dump and its daemon.json), so project rules see them as one host.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { lintFiles, type LintResult } from "../src/lint.js";
import type { ProjectFacts } from "../src/rule.js";
import { listFixtures, readExpectations, readFacts } from "./support/expectations.js";

const fixtures = listFixtures("fixtures/rules");

/** The project* directory a fixture belongs to, or null. */
const projectOf = (path: string): string | null => {
  const parts = path.split(/[/\\]/);
  const i = parts.slice(0, -1).findIndex((p) => /^project/.test(p));
  return i === -1 ? null : parts.slice(0, i + 1).join("/");
};

const groups = new Map<string, string[]>();
for (const path of fixtures) {
  const key = projectOf(path) ?? path;
  groups.set(key, [...(groups.get(key) ?? []), path]);
}

const results = new Map<string, { result: LintResult; text: string }>();
const resultFor = (path: string) => {
  if (!results.has(path)) {
    const members = groups.get(projectOf(path) ?? path)!;
    const texts = members.map((p) => readFileSync(p, "utf8"));
    const facts = members.reduce<ProjectFacts>((acc, p, k) => ({ ...acc, ...readFacts(p, texts[k]!) }), {});
    const out = lintFiles(members.map((p, k) => ({ text: texts[k]!, filePath: p })), { config: { rules: {}, facts } });
    members.forEach((p, k) => results.set(p, { result: out[k]!, text: texts[k]! }));
  }
  return results.get(path)!;
};

describe.each(fixtures.map((path) => ({ path })))("$path", ({ path }) => {
  it("reports exactly the expected diagnostics", () => {
    const { result, text } = resultFor(path);
    const expected = readExpectations(path, text);
    const actual = result.messages.map((m) => ({ line: m.span.line, ruleId: m.ruleId, column: m.span.column }));
    const key = (e: { line: number; ruleId: string | null }) => `${e.line} ${e.ruleId}`;
    expect(actual.map(key).sort(), result.messages.map((m) => `${m.span.line}:${m.span.column} ${m.ruleId} ${m.message}`).join("\n")).toEqual(expected.map(key).sort());
    for (const e of expected) {
      if (e.column === undefined) continue;
      expect(actual.some((a) => a.line === e.line && a.ruleId === e.ruleId && a.column === e.column), `${e.ruleId} at ${e.line}:${e.column}`).toBe(true);
    }
  });

  if (/^valid/.test(basename(path))) it("is clean", () => {
    expect(resultFor(path).result.messages).toEqual([]);
  });
});

it("has fixtures", () => {
  expect(fixtures.length).toBeGreaterThan(0);
});
