/**
 * The registry is the product's table of contents: every rule file is registered once, and every rule
 * carries the metadata the CLI, the docs and SARIF need.
 */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import type { LintRule } from "../src/rule.js";
import { lintRules } from "../rules/index.js";

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const LANGUAGES = ["iptables", "daemon-json", "project"];
const CATEGORIES = ["syntax", "validity", "docker", "daemon", "semantics", "style"];

describe("the rule registry", () => {
  it("has unique kebab-case ids", () => {
    const ids = lintRules.map((r) => r.id);
    expect(ids.filter((id) => !KEBAB.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it("registers every rule file under rules/ (helpers start with _), each exactly once, under its file name", async () => {
    const files = readdirSync("rules").filter((f) => f.endsWith(".ts") && f !== "index.ts" && !f.startsWith("_") && !f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const mod = (await import(/* @vite-ignore */ pathToFileURL(resolve("rules", file)).href)) as { default?: LintRule };
      expect(mod.default, `rules/${file} has a default export`).toBeDefined();
      expect(mod.default!.id, `rules/${file} is named after its rule id`).toBe(file.replace(/\.ts$/, ""));
      expect(lintRules.filter((r) => r === mod.default), `rules/${file} is registered once in rules/index.ts`).toHaveLength(1);
    }
    expect(lintRules.length).toBe(files.length);
  });
});

describe.each(lintRules.map((rule) => ({ id: rule.id, rule })))("$id", ({ rule }) => {
  it("has a one-line description without a final period", () => {
    expect(rule.description.trim().length).toBeGreaterThan(10);
    expect(rule.description).not.toMatch(/[.\n]$|\n/);
    expect(rule.description.length).toBeLessThanOrEqual(1024);
  });

  it("has a known language, category and severity", () => {
    expect(LANGUAGES).toContain(rule.language);
    expect(CATEGORIES).toContain(rule.category);
    expect(["error", "warning"]).toContain(rule.severity);
  });

  it("has at most 10 unique kebab-case tags, 'security' on security findings", () => {
    expect(rule.tags.length).toBeLessThanOrEqual(10);
    expect(new Set(rule.tags).size).toBe(rule.tags.length);
    expect(rule.tags.filter((t) => !KEBAB.test(t))).toEqual([]);
    if (rule.securitySeverity !== undefined) {
      expect(rule.tags).toContain("security");
      expect(rule.securitySeverity).toBeGreaterThan(0);
      expect(rule.securitySeverity).toBeLessThanOrEqual(10);
    }
    if (rule.precision !== undefined) expect(["very-high", "high", "medium", "low"]).toContain(rule.precision);
  });

  it("has docs: rationale, different bad and good examples", () => {
    expect(rule.docs.rationale.trim().length).toBeGreaterThan(20);
    expect(rule.docs.bad.trim()).not.toBe("");
    expect(rule.docs.good.trim()).not.toBe("");
    expect(rule.docs.bad).not.toBe(rule.docs.good);
  });

  it("has an options schema that compiles and accepts its defaults, when it takes options", () => {
    if (rule.defaultOptions !== undefined) expect(rule.optionsSchema, "defaultOptions need an optionsSchema").toBeDefined();
    if (rule.optionsSchema === undefined) return;
    const validate = new Ajv({ strict: false }).compile(rule.optionsSchema as object);
    expect(validate(rule.defaultOptions ?? {}), JSON.stringify(validate.errors)).toBe(true);
  });
});
