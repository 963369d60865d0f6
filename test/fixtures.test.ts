/**
 * One data-driven test for every rule fixture: fixtures/rules/<rule-id>/*. Every rule runs on every fixture,
 * so a fixture declares every diagnostic it produces (inline `# expect-next-line:` comments, or a
 * `<file>.expected` beside JSON files). Files named valid* must be clean.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { lint } from "../src/lint.js";
import { listFixtures, readExpectations, readFacts } from "./support/expectations.js";

const fixtures = listFixtures("fixtures/rules");

describe.each(fixtures.map((path) => ({ path })))("$path", ({ path }) => {
  const text = readFileSync(path, "utf8");
  const facts = readFacts(path, text);
  const result = lint({ text, filePath: path }, { config: { rules: {}, facts } });
  const expected = readExpectations(path, text);

  it("reports exactly the expected diagnostics", () => {
    const actual = result.messages.map((m) => ({ line: m.span.line, ruleId: m.ruleId, column: m.span.column }));
    const key = (e: { line: number; ruleId: string | null }) => `${e.line} ${e.ruleId}`;
    expect(actual.map(key).sort(), result.messages.map((m) => `${m.span.line}:${m.span.column} ${m.ruleId} ${m.message}`).join("\n")).toEqual(expected.map(key).sort());
    for (const e of expected) {
      if (e.column === undefined) continue;
      expect(actual.some((a) => a.line === e.line && a.ruleId === e.ruleId && a.column === e.column), `${e.ruleId} at ${e.line}:${e.column}`).toBe(true);
    }
  });

  it.runIf(/^valid/.test(basename(path)))("is clean", () => {
    expect(result.messages).toEqual([]);
  });
});

it("has fixtures", () => {
  expect(fixtures.length).toBeGreaterThan(0);
});
