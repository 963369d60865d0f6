/**
 * Shared analyses (`ctx.memo`): built once per ruleset, and dropped after the last rule that names them in
 * `uses`, so that a large dump does not keep the validity graph while the packet model is built.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintRules } from "../rules/index.js";
import { COLLECT_BEFORE_MODEL_CHARS, lintFiles, releasePlan } from "../src/lint.js";
import { MODEL_ANALYSIS } from "../src/model/index.js";
import { defineRule, type LintRule, type RuleContext } from "../src/rule.js";
import type { Ruleset } from "../src/ast/iptables.js";

const DUMP = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n";

/** The rule with its context changed by `f`, whether it runs through `check` or, in the shared walk, `create`. */
function withContext(r: LintRule, f: (ctx: RuleContext<Ruleset>) => RuleContext<Ruleset>): LintRule {
  const check = r.check as (ctx: RuleContext<Ruleset>) => void;
  const create = r.create;
  return { ...r, check: (ctx: RuleContext<Ruleset>) => check(f(ctx)), ...(create ? { create: (ctx: RuleContext<Ruleset>) => create(f(ctx)) } : {}) } as LintRule;
}

/** An iptables rule for these tests that reads the analyses `reads` (each built by `build`). */
function reader(id: string, reads: readonly string[], build: (key: string) => unknown, uses?: readonly string[]): LintRule {
  return defineRule({
    id,
    language: "iptables",
    category: "style",
    severity: "warning",
    description: "Reads shared analyses",
    tags: ["test"],
    docs: { rationale: "Test rule.", bad: "", good: "" },
    ...(uses ? { uses } : {}),
    check(ctx) {
      for (const key of reads) ctx.memo(key, () => build(key));
    },
  }) as LintRule;
}

/** How many times each analysis is built while `rules` lint DUMP. */
function builds(rules: readonly LintRule[], config?: NonNullable<Parameters<typeof lintFiles>[1]>["config"]): Record<string, number> {
  const count: Record<string, number> = {};
  const counted = rules.map((r) => withContext(r, (ctx) => ({ ...ctx, memo: (key, compute) => ctx.memo(key, () => ((count[key] = (count[key] ?? 0) + 1), compute())) })));
  lintFiles([{ filePath: "t.rules", text: DUMP }], { rules: counted, ...(config ? { config } : {}) });
  return count;
}

describe("releasePlan", () => {
  it("drops each named analysis after the last rule that names it", () => {
    const rules = [reader("a", [], String, ["g"]), reader("b", [], String, ["m"]), reader("c", [], String, ["g"]), reader("d", [], String)];
    expect(releasePlan(rules)).toEqual([[], ["m"], ["g"], []]);
  });

  it("keeps a key while a later rule names a key under it or above it", () => {
    const rules = [reader("a", [], String, ["m/coverage"]), reader("b", [], String, ["m"]), reader("c", [], String, ["m/exposure"])];
    // b may read m/coverage (it names m); m lives on for c, whose m/exposure is made from it
    expect(releasePlan(rules)).toEqual([[], ["m/coverage"], ["m", "m/exposure"]]);
    // but "mx" is not under "m"
    expect(releasePlan([reader("a", [], String, ["m"]), reader("b", [], String, ["mx"])])).toEqual([["m"], ["mx"]]);
  });
});

describe("the engine drops analyses no later rule names", () => {
  it("builds an analysis once while the rules that name it run", () => {
    expect(builds([reader("a", ["k"], String, ["k"]), reader("b", ["k"], String, ["k"])])).toEqual({ k: 1 });
  });

  it("drops it after the last of them: a later rule that reads it without naming it builds it again", () => {
    expect(builds([reader("a", ["k"], String, ["k"]), reader("b", ["k"], String)])).toEqual({ k: 2 });
    // kept until the last rule naming it, even with a rule in between that does not
    expect(builds([reader("a", ["k"], String, ["k"]), reader("b", [], String), reader("c", ["k"], String, ["k"])])).toEqual({ k: 1 });
  });

  it("drops the analyses under a key with it", () => {
    expect(builds([reader("a", ["m", "m/cov"], String, ["m"]), reader("b", ["m/cov"], String)])).toEqual({ m: 1, "m/cov": 2 });
  });

  it("does not count a rule that is off as a user", () => {
    const rules = [reader("a", ["k"], String, ["k"]), reader("b", ["k"], String), reader("c", ["k"], String, ["k"])];
    expect(builds(rules)).toEqual({ k: 1 });
    expect(builds(rules, { rules: { c: { severity: "off" } }, facts: {} })).toEqual({ k: 2 });
  });
});

describe("the registry's rules name every analysis they read", () => {
  const files = [
    "fixtures/examples/docker-host.rules",
    ...readdirSync("fixtures/rules").flatMap((dir) =>
      readdirSync(join("fixtures/rules", dir), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".rules"))
        .map((f) => join("fixtures/rules", dir, f)),
    ),
  ];

  it("reads only analyses it names in uses, and each is built once per ruleset", () => {
    expect(files.length).toBeGreaterThan(50);
    const unnamed = new Set<string>();
    const seen = new Set<string>();
    for (const filePath of files) {
      const built = new Map<string, number>();
      const rules = lintRules.map((r) => {
        if (r.language !== "iptables") return r;
        const named = r.uses ?? [];
        return withContext(r, (ctx) => ({
          ...ctx,
          memo: (key, compute) => {
            seen.add(key.split("/")[0]!);
            if (!named.some((u) => key === u || key.startsWith(`${u}/`))) unnamed.add(`${r.id} reads ${key}`);
            return ctx.memo(key, () => {
              built.set(key, (built.get(key) ?? 0) + 1);
              return compute();
            });
          },
        }));
      });
      const result = lintFiles([{ filePath, text: readFileSync(filePath, "utf8") }], { rules })[0]!;
      const rulesets = result.file.rulesets.length;
      for (const [key, n] of built) expect(n, `${filePath}: ${key}`).toBeLessThanOrEqual(rulesets);
    }
    expect([...unnamed]).toEqual([]);
    // the fixtures reach all three analyses
    expect([...seen].sort()).toEqual(["docker:layout", "packet-model", "validity:graph"]);
  });
});

describe("a collection before the packet model of a large file", () => {
  const big = `# ${"x".repeat(COLLECT_BEFORE_MODEL_CHARS)}\n${DUMP}`;
  /** The order of events: each rule run, each model built, each collection. */
  function events(text: string, rules: readonly LintRule[], collect = true): string[] {
    const log: string[] = [];
    const logged = rules.map((r) => ({ ...r, check: (ctx: RuleContext<Ruleset>) => (log.push(`run ${r.id}`), (r.check as (c: RuleContext<Ruleset>) => void)(ctx)) }) as LintRule);
    lintFiles([{ filePath: "t.rules", text }], { rules: logged, ...(collect ? { collectGarbage: () => void log.push("collect") } : {}) });
    return log;
  }
  const model = (id: string) => reader(id, [MODEL_ANALYSIS], () => "model", [MODEL_ANALYSIS]);
  const other = (id: string) => reader(id, ["g"], () => "graph", ["g"]);

  it("runs once, right before the first rule that builds the model", () => {
    expect(events(big, [other("a"), model("b"), model("c")])).toEqual(["run a", "collect", "run b", "run c"]);
  });

  it("does not run for a smaller file, without a model rule, or without a collector", () => {
    expect(events(DUMP, [other("a"), model("b")])).toEqual(["run a", "run b"]);
    expect(events(big, [other("a"), other("b")])).toEqual(["run a", "run b"]);
    expect(events(big, [other("a"), model("b")], false)).toEqual(["run a", "run b"]);
  });

  it("skips a model rule that is off", () => {
    const rules = [other("a"), model("b"), model("c")];
    const log: string[] = [];
    lintFiles([{ filePath: "t.rules", text: big }], { rules: rules.map((r) => ({ ...r, check: (ctx: RuleContext<Ruleset>) => (log.push(`run ${r.id}`), (r.check as (c: RuleContext<Ruleset>) => void)(ctx)) }) as LintRule), config: { rules: { b: { severity: "off" } }, facts: {} }, collectGarbage: () => void log.push("collect") });
    expect(log).toEqual(["run a", "collect", "run c"]);
  });
});
