/**
 * Small lint rules for engine and CLI tests, so their expectations do not move when the real rule set grows.
 */
import { allRules } from "../../src/ast/iptables.js";
import { topValue } from "../../src/daemon/ast.js";
import { defineRule, type LintRule } from "../../src/rule.js";
import syntaxError from "../../rules/syntax-error.js";

const docs = (bad: string, good: string) => ({ rationale: "Test rule.", bad, good });

/** Reports every rule whose target is `target`, on the rule's span. */
export function targetRule(id: string, target: string, severity: "error" | "warning"): LintRule {
  return defineRule({
    id,
    language: "iptables",
    category: "semantics",
    severity,
    description: `Rule jumps to ${target}`,
    tags: ["test"],
    docs: docs(`*filter\n:INPUT DROP [0:0]\n-A INPUT -j ${target}\nCOMMIT\n`, "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"),
    check({ ast, report }) {
      for (const rule of allRules(ast)) if (rule.target?.name === target) report({ message: `jumps to ${target}.`, span: rule.span });
    },
  }) as LintRule;
}

/** Reports rules whose target is in options.targets (default ["REJECT"]). */
export const optionRule = defineRule({
  id: "test-targets",
  language: "iptables",
  category: "style",
  severity: "warning",
  description: "Rule jumps to a listed target",
  tags: ["test"],
  optionsSchema: { type: "object", properties: { targets: { type: "array", items: { type: "string", minLength: 1 } } }, additionalProperties: false },
  defaultOptions: { targets: ["REJECT"] },
  docs: docs("*filter\n:INPUT DROP [0:0]\n-A INPUT -j REJECT\nCOMMIT\n", "*filter\n:INPUT DROP [0:0]\n-A INPUT -j DROP\nCOMMIT\n"),
  check({ ast, options, report }) {
    const targets = options.targets as string[];
    for (const rule of allRules(ast)) if (rule.target && targets.includes(rule.target.name)) report({ message: `target ${rule.target.name} is listed`, span: rule.target.nameSpan });
  },
}) as LintRule;

/** Reports `"iptables": false` in daemon.json. */
export const daemonRule = defineRule({
  id: "test-daemon-iptables",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: "daemon.json turns off Docker's iptables management",
  tags: ["test", "security"],
  securitySeverity: 8.1,
  precision: "very-high",
  docs: docs('{ "iptables": false }', '{ "iptables": true }'),
  check({ ast, report }) {
    const m = topValue(ast, "iptables");
    if (m?.value.type === "Boolean" && !m.value.value) report({ message: '"iptables": false disables Docker\'s firewall rules', span: m.span });
  },
}) as LintRule;

export const acceptWarning = targetRule("test-accept", "ACCEPT", "warning");
export const dropError = targetRule("test-drop", "DROP", "error");

/** The rule set CLI tests run with: the real syntax-error rule plus the test rules. */
export const testRules: readonly LintRule[] = [syntaxError as LintRule, acceptWarning, dropError, optionRule, daemonRule];
