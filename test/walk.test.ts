/**
 * The shared walk (src/walk.ts): rules defined with `create` listen, the engine walks each ruleset once.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintRules } from "../rules/index.js";
import { allRules, ruleOptions, type Ruleset } from "../src/ast/iptables.js";
import { lintFiles, RuleCrashError } from "../src/lint.js";
import { parse } from "../src/parse/index.js";
import { defineRule, type LintRule, type RuleContext } from "../src/rule.js";
import { ListenerError, walkRuleset } from "../src/walk.js";

const DUMP = [
  "*nat",
  ":PREROUTING ACCEPT [0:0]",
  ":SVC - [0:0]",
  "-A PREROUTING -p tcp --dport 80 -j SVC",
  "-A SVC -j DNAT --to-destination 10.0.0.2:8080",
  "COMMIT",
  "*filter",
  ":INPUT DROP [0:0]",
  "-A INPUT -i lo -j ACCEPT",
  "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT",
  "COMMIT",
  "",
].join("\n");

/** A rule for these tests: its listeners come from `listen`. */
function listener(id: string, listen: (ctx: RuleContext<Ruleset>) => ReturnType<NonNullable<LintRule["create"]>>): LintRule {
  return defineRule({
    id,
    language: "iptables",
    category: "style",
    severity: "warning",
    description: "Listens to the shared walk",
    tags: ["test"],
    docs: { rationale: "Test rule.", bad: "", good: "" },
    create: listen,
  }) as LintRule;
}

describe("walkRuleset", () => {
  const ast = parse(DUMP);

  it("calls command listeners in source order, then rule and option listeners rule by rule, then each end", () => {
    const log: string[] = [];
    walkRuleset(ast, [
      {
        command: (c) => log.push(`command ${c.span.line}`),
        rule: (r) => log.push(`rule ${r.span.line}`),
        option: (o, r) => log.push(`option ${r.span.line} ${o.name}`),
        end: () => log.push("end a"),
      },
      { rule: (r) => log.push(`rule b ${r.span.line}`), end: () => log.push("end b") },
    ]);
    const expected = [
      ...ast.commands.map((c) => `command ${c.span.line}`),
      ...allRules(ast).flatMap((r) => [`rule ${r.span.line}`, `rule b ${r.span.line}`, ...[...ruleOptions(r)].map((o) => `option ${r.span.line} ${o.name}`)]),
      "end a",
      "end b",
    ];
    expect(log).toEqual(expected);
    // the dump has options of every place: criteria, match options, target options
    expect(log).toContain("option 10 --comment");
    expect(log).toContain("option 5 --to-destination");
  });

  it("gives the rules the file takes out again to the sets that ask for them, after the tree and before end", () => {
    const rs = parse("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\n-D INPUT 1\nCOMMIT\n");
    const log: string[] = [];
    walkRuleset(rs, [
      { removed: true, rule: (r) => log.push(`a rule ${r.span.line}`), option: (o, r) => log.push(`a option ${r.span.line} ${o.name}`), end: () => log.push("a end") },
      { rule: (r) => log.push(`b rule ${r.span.line}`), option: (o, r) => log.push(`b option ${r.span.line} ${o.name}`) },
    ]);
    expect(log).toEqual(["a rule 3", "b rule 3", "a rule 2", "a option 2 -p", "a option 2 --dport", "a end"]);
  });

  it("names the listener set whose listener threw", () => {
    const boom = new Error("boom");
    let caught: unknown;
    try {
      walkRuleset(ast, [{ rule: () => {} }, { option: (o) => { if (o.name === "--dport") throw boom; } }]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ListenerError);
    expect((caught as ListenerError).index).toBe(1);
    expect((caught as ListenerError).cause).toBe(boom);
  });
});

describe("rules defined with create", () => {
  it("report through the engine, and alone through the check defineRule makes", () => {
    const rule = listener("count-rules", ({ report }) => {
      let n = 0;
      let first: Parameters<typeof report>[0]["span"] | undefined;
      return {
        rule: (r) => {
          n++;
          first ??= r.span;
        },
        end: () => report({ message: `${n} rules`, span: first! }),
      };
    });
    const [r] = lintFiles([{ filePath: "t.rules", text: DUMP }], { rules: [rule] });
    expect(r!.messages.map((m) => m.message)).toEqual(["4 rules"]);
    const alone: string[] = [];
    (rule.check as (ctx: RuleContext<Ruleset>) => void)({ ast: parse(DUMP), text: DUMP, filePath: undefined, options: {}, facts: {}, report: (f) => alone.push(f.message), memo: (_k, c) => c() });
    expect(alone).toEqual(["4 rules"]);
  });

  it("a listener that throws is a crash of its rule, not of the others in the walk", () => {
    const quiet = listener("quiet", () => ({ rule: () => {} }));
    const broken = listener("broken", () => ({ command: (c) => { if (c.op === "append") throw new Error("bad listener"); } }));
    let caught: unknown;
    try {
      lintFiles([{ filePath: "t.rules", text: DUMP }], { rules: [quiet, broken] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RuleCrashError);
    expect((caught as RuleCrashError).ruleId).toBe("broken");
    expect((caught as RuleCrashError).message).toContain("bad listener");
  });

  it("a rule that is off is not walked for", () => {
    let calls = 0;
    const counted = listener("counted", () => ({ rule: () => void calls++ }));
    lintFiles([{ filePath: "t.rules", text: DUMP }], { rules: [counted], config: { rules: { counted: { severity: "off" } }, facts: {} } });
    expect(calls).toBe(0);
    lintFiles([{ filePath: "t.rules", text: DUMP }], { rules: [counted] });
    expect(calls).toBe(4);
  });

  it("defineRule refuses a rule with neither check nor create, and create on a rule that is not an iptables one", () => {
    const meta = { category: "style", severity: "warning", description: "x", tags: [], docs: { rationale: "", bad: "", good: "" } } as const;
    expect(() => defineRule({ id: "none", language: "iptables", ...meta })).toThrow(/neither check nor create/);
    expect(() => defineRule({ id: "json", language: "daemon-json", ...meta, create: () => ({}) })).toThrow(/only iptables rules/);
  });
});

describe("the registry's rules find the same in the shared walk as each on its own", () => {
  const walkers = lintRules.filter((r) => r.create);
  const files = ["fixtures/examples/docker-host.rules", ...readdirSync("fixtures/rules").flatMap((dir) => readdirSync(join("fixtures/rules", dir), { recursive: true }).map(String).filter((f) => f.endsWith(".rules")).map((f) => join("fixtures/rules", dir, f)))];

  it("over every rule fixture and every bad example", () => {
    // the rules that walk: validity rules that look at each command, rule or option
    expect(walkers.map((r) => r.id).sort()).toEqual(
      ["conflicting-options", "duplicate-chain", "invalid-argument", "invalid-chain-name", "invalid-policy", "legacy-negation", "match-needs-protocol", "missing-required-option", "name-too-long", "negation-not-allowed", "option-requires-match", "placeholder-interface", "policy-on-user-chain", "target-not-allowed", "undefined-chain", "unknown-match", "unknown-option", "unknown-target"].sort(),
    );
    expect(files.length).toBeGreaterThan(50);
    // each rule run through its own check (a walk of its own): the engine then has no listeners
    const alone = walkers.map((r) => ({ ...r, create: undefined }) as LintRule);
    let findings = 0;
    const inputs = [...files.map((filePath) => ({ filePath, text: readFileSync(filePath, "utf8") })), ...walkers.map((r) => ({ filePath: `${r.id}.bad.rules`, text: r.docs.bad }))];
    for (const { filePath, text } of inputs) {
      const shared = lintFiles([{ filePath, text }], { rules: walkers })[0]!.messages;
      const separate = lintFiles([{ filePath, text }], { rules: alone })[0]!.messages;
      expect(shared, filePath).toEqual(separate);
      findings += shared.length;
    }
    expect(findings).toBeGreaterThan(70);
  });
});
