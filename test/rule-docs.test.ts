/** Every registered rule's documentation examples: "bad" must trigger the rule, "good" must not. */
import { describe, expect, it } from "vitest";
import { lintRules } from "../rules/index.js";
import { lintExample } from "./support/examples.js";

describe.each(lintRules.map((rule) => ({ id: rule.id, rule })))("$id docs", ({ rule }) => {
  const ids = (example: string) => lintExample(rule, example).flatMap((r) => r.messages.map((m) => m.ruleId));

  it("bad example triggers the rule", () => {
    expect(ids(rule.docs.bad)).toContain(rule.id);
  });

  it("good example does not", () => {
    expect(ids(rule.docs.good)).not.toContain(rule.id);
  });

  it("has complete metadata", () => {
    expect(rule.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    expect(rule.description).not.toMatch(/\.$/);
    expect(rule.docs.rationale.length).toBeGreaterThan(40);
    expect(rule.tags.length).toBeLessThanOrEqual(10);
    if (rule.tags.includes("security")) expect(rule.securitySeverity).toBeGreaterThan(0);
    if (rule.securitySeverity !== undefined) {
      expect(rule.securitySeverity).toBeGreaterThan(0);
      expect(rule.securitySeverity).toBeLessThanOrEqual(10);
    }
  });
});

it("rule ids are unique", () => {
  const ids = lintRules.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
});
