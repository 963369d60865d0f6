import { describe, expect, it } from "vitest";
import { lint, type LintResult } from "../src/lint.js";
import { parseCommentDirective, parseDirectiveArguments } from "../src/directives.js";
import { applyFixes } from "../src/fix.js";
import { acceptWarning, dropError } from "./support/test-rules.js";

const rules = [acceptWarning, dropError];
const run = (text: string, reportUnused: "off" | "warning" | "error" = "warning", extra: { kind?: "script"; noInlineConfig?: boolean } = {}): LintResult =>
  lint({ text, ...(extra.kind ? { kind: extra.kind } : {}) }, { rules, config: { rules: {}, facts: {}, linterOptions: { reportUnusedDisableDirectives: reportUnused, ...(extra.noInlineConfig ? { noInlineConfig: true } : {}) } } });
const shown = (r: LintResult) => r.messages.map((m) => `${m.span.line}:${m.span.column} ${m.ruleId ?? `(${m.engine})`} ${m.severity} ${m.ruleId ? "" : m.message}`.trim());
const hidden = (r: LintResult) => r.suppressedMessages.map((m) => `${m.span.line} ${m.ruleId} [${m.suppressions.map((s) => `${s.kind}:${s.justification}`).join("|")}]`);
const save = (...lines: string[]) => ["*filter", ":INPUT DROP [0:0]", ...lines, "COMMIT", ""].join("\n");

describe("directive syntax", () => {
  it("reads rule lists separated by commas or blanks, and the reason after two or more dashes", () => {
    expect(parseCommentDirective(" fwlint-disable-next-line a, b -- known: legacy box")).toEqual({ type: "disable-next-line", rules: ["a", "b"], justification: "known: legacy box" });
    expect(parseCommentDirective("fwlint-disable a b --- why")).toEqual({ type: "disable", rules: ["a", "b"], justification: "why" });
    expect(parseCommentDirective("fwlint-disable")).toEqual({ type: "disable", rules: null, justification: "" });
    expect(parseCommentDirective("fwlint-enable x,y")).toEqual({ type: "enable", rules: ["x", "y"], justification: "" });
    expect(parseCommentDirective("fwlint-disable-file -- whole file is generated")).toEqual({ type: "disable-file", rules: null, justification: "whole file is generated" });
    // a rule id may contain single dashes; "--" glued to a word is not a separator
    expect(parseDirectiveArguments(" docker-user-x --reason")).toEqual({ rules: ["docker-user-x", "--reason"], justification: "" });
  });

  it("ignores comments that are not directives", () => {
    for (const text of [" fwlint-disabled x", " fwlint-facts: {}", " expect-next-line: x", " see fwlint-disable-next-line docs", "fwlint-disablenext x"]) {
      expect(parseCommentDirective(text), text).toBeNull();
    }
  });
});

describe("suppressing findings", () => {
  it("baseline without directives: both rules report", () => {
    expect(shown(run(save("-A INPUT -j ACCEPT", "-A INPUT -j DROP")))).toEqual(["3:1 test-accept warning", "4:1 test-drop error"]);
  });

  it("fwlint-disable-next-line skips blank and comment lines, names rules, keeps the reason", () => {
    const r = run(save("# fwlint-disable-next-line test-accept, test-drop -- office VPN, ticket 42", "", "# another comment", "-A INPUT -j ACCEPT", "-A INPUT -j ACCEPT"));
    // test-drop is named but has nothing to suppress there: reported as unused, at the comment
    expect(shown(r)).toEqual(["3:1 (unused-disable-directive) warning Unused fwlint-disable-next-line directive (no problems were reported from 'test-drop')", "7:1 test-accept warning"]);
    expect(hidden(r)).toEqual(["6 test-accept [directive:office VPN, ticket 42]"]);
  });

  it("reports the unused part of a directive, where the directive is, with ESLint's wording", () => {
    const r = run(save("# fwlint-disable-next-line test-accept, test-drop", "-A INPUT -j ACCEPT"));
    expect(r.messages.map((m) => [m.span.line, m.span.column, m.ruleId, m.engine, m.severity, m.message])).toEqual([
      [3, 1, null, "unused-disable-directive", "warning", "Unused fwlint-disable-next-line directive (no problems were reported from 'test-drop')"],
    ]);
    expect(r.warningCount).toBe(1);
  });

  it("fwlint-disable-next-line with no rule ids suppresses every rule on that line only", () => {
    const r = run(save("# fwlint-disable-next-line", "-A INPUT -j ACCEPT", "-A INPUT -j DROP"));
    expect(shown(r)).toEqual(["5:1 test-drop error"]);
    expect(hidden(r)).toEqual(["4 test-accept [directive:]"]);
  });

  it("fwlint-disable … fwlint-enable covers a region, per rule or for all", () => {
    const r = run(
      save(
        "-A INPUT -j ACCEPT", // 3 reported
        "# fwlint-disable test-accept", // 4
        "-A INPUT -j ACCEPT", // 5 suppressed
        "-A INPUT -j DROP", // 6 reported
        "# fwlint-enable test-accept", // 7
        "-A INPUT -j ACCEPT", // 8 reported
        "# fwlint-disable", // 9
        "-A INPUT -j DROP", // 10 suppressed
        "# fwlint-enable test-drop", // 11  re-enables one rule inside a blanket disable
        "-A INPUT -j DROP", // 12 reported
        "-A INPUT -j ACCEPT", // 13 suppressed (still under the blanket disable)
      ),
    );
    expect(shown(r)).toEqual(["3:1 test-accept warning", "6:1 test-drop error", "8:1 test-accept warning", "12:1 test-drop error"]);
    expect(hidden(r).map((h) => h.split(" ").slice(0, 2).join(" "))).toEqual(["5 test-accept", "10 test-drop", "13 test-accept"]);
  });

  it("fwlint-disable-file applies to the whole file, wherever it is written", () => {
    const r = run(save("-A INPUT -j ACCEPT", "-A INPUT -j DROP", "# fwlint-disable-file test-drop -- generated by ansible"));
    expect(shown(r)).toEqual(["3:1 test-accept warning"]);
    expect(hidden(r)).toEqual(["4 test-drop [directive:generated by ansible]"]);
  });

  it("fwlint-disable-line inside the rule's own --comment survives iptables-save", () => {
    const r = run(save('-A INPUT -s 10.0.0.0/8 -m comment --comment "office fwlint-disable-line test-accept -- trusted LAN" -j ACCEPT', "-A INPUT -j ACCEPT"));
    expect(shown(r)).toEqual(["4:1 test-accept warning"]);
    expect(hidden(r)).toEqual(["3 test-accept [directive:trusted LAN]"]);
  });

  it("reports an unused --comment directive at the comment's value", () => {
    const line = '-A INPUT -m comment --comment "fwlint-disable-line test-accept" -j DROP';
    const r = run(save(line));
    const unused = r.messages.find((m) => m.engine === "unused-disable-directive")!;
    expect(unused.message).toBe("Unused fwlint-disable-line directive (no problems were reported from 'test-accept')");
    expect(unused.span.column).toBe(line.indexOf('"fwlint') + 1);
    expect(shown(r)).toContain("3:1 test-drop error");
  });

  it("in scripts: a trailing # fwlint-disable-line covers its whole command, continuation lines included", () => {
    const script = ["#!/bin/sh", "iptables -A INPUT -p tcp \\", "  --dport 22 -j ACCEPT # fwlint-disable-line test-accept -- ssh", "iptables -A INPUT -j ACCEPT", "iptables -A INPUT -j DROP  # fwlint-disable-line test-drop", ""].join("\n");
    const r = run(script, "warning", { kind: "script" });
    expect(shown(r)).toEqual(["4:1 test-accept warning"]);
    expect(hidden(r)).toEqual(["2 test-accept [directive:ssh]", "5 test-drop [directive:]"]);
  });

  it("in scripts: fwlint-disable-next-line covers a command continued over several lines", () => {
    const script = ["# fwlint-disable-next-line test-accept", "iptables -A INPUT \\", "  -p tcp --dport 22 \\", "  -j ACCEPT", "iptables -A INPUT -j ACCEPT", ""].join("\n");
    const r = run(script, "warning", { kind: "script" });
    expect(shown(r)).toEqual(["5:1 test-accept warning"]);
    expect(hidden(r)).toEqual(["2 test-accept [directive:]"]);
  });

  it("reports unused region and enable directives", () => {
    const r = run(save("# fwlint-disable test-drop", "-A INPUT -j ACCEPT", "# fwlint-enable test-drop, test-accept", "# fwlint-enable"));
    expect(r.messages.filter((m) => m.ruleId === null).map((m) => [m.span.line, m.message])).toEqual([
      [3, "Unused fwlint-disable directive (no problems were reported from 'test-drop')"],
      [5, "Unused fwlint-enable directive (no matching fwlint-disable directives were found for 'test-accept')"],
    ]);
    const none = run(save("# fwlint-enable", "-A INPUT -j DROP"));
    expect(none.messages.filter((m) => m.ruleId === null).map((m) => m.message)).toEqual(["Unused fwlint-enable directive (no matching fwlint-disable directives were found)"]);
  });

  it("gives an unused directive the fix that removes it, or its unused ids (as ESLint), unless it is in a --comment", () => {
    const text = save(
      "# fwlint-disable-next-line test-drop -- gone",
      "-A INPUT -j ACCEPT",
      "# fwlint-disable-next-line test-drop test-accept -- kept for the audit",
      "-A INPUT -j ACCEPT",
      "  # fwlint-disable test-drop",
      "# fwlint-enable test-drop",
      '-A INPUT -j RETURN -m comment --comment "fwlint-disable-line test-drop"',
    );
    const r = run(text);
    const problems = r.messages.filter((m) => m.ruleId === null);
    expect(problems.map((m) => [m.span.line, m.fix !== undefined])).toEqual([
      [3, true],
      [5, true], // test-accept is used: the fix takes test-drop out
      [7, true],
      [9, false], // in a rule's --comment: removing it would change the rule's text
    ]);
    const fixed = applyFixes(text, r.messages).output;
    expect(fixed.split("\n")).toEqual(["*filter", ":INPUT DROP [0:0]", "-A INPUT -j ACCEPT", "# fwlint-disable-next-line test-accept -- kept for the audit", "-A INPUT -j ACCEPT", "# fwlint-enable test-drop", '-A INPUT -j RETURN -m comment --comment "fwlint-disable-line test-drop"', "COMMIT", ""]);
    // the enable left alone is unused in its turn, and removed in the next pass
    const again = run(fixed).messages.filter((m) => m.ruleId === null && m.fix);
    expect(again.map((m) => m.span.line)).toEqual([6]);
    // a script's trailing directive: the comment and the blanks before it
    const script = "#!/bin/sh\niptables -A INPUT -j RETURN   # fwlint-disable-line test-drop\n";
    expect(applyFixes(script, run(script, "warning", { kind: "script" }).messages).output).toBe("#!/bin/sh\niptables -A INPUT -j RETURN\n");
  });

  it("reports an unused blanket directive without naming rules", () => {
    const r = run(save("# fwlint-disable-next-line", "-A INPUT -p tcp -j RETURN"));
    expect(r.messages.map((m) => m.message)).toEqual(["Unused fwlint-disable-next-line directive (no problems were reported)"]);
  });

  it("reports unused directives at the configured severity, or not at all", () => {
    const text = save("# fwlint-disable-next-line test-accept", "-A INPUT -j RETURN");
    expect(run(text, "error").messages.map((m) => m.severity)).toEqual(["error"]);
    expect(run(text, "error").errorCount).toBe(1);
    expect(run(text, "off").messages).toEqual([]);
  });

  it("reports a directive that names a rule that does not exist, whatever the unused setting", () => {
    const r = run(save("# fwlint-disable-next-line test-acept", "-A INPUT -j ACCEPT"), "off");
    expect(r.messages.map((m) => [m.ruleId ?? m.engine, m.severity, m.message])).toEqual([
      ["unknown-rule-in-directive", "error", "Unknown rule 'test-acept' in fwlint-disable-next-line directive"],
      ["test-accept", "warning", "jumps to ACCEPT."],
    ]);
  });

  it("--no-inline-config (noInlineConfig) ignores every directive", () => {
    const r = run(save("# fwlint-disable-next-line test-accept", "-A INPUT -j ACCEPT", "# fwlint-disable-next-line nope"), "warning", { noInlineConfig: true });
    expect(shown(r)).toEqual(["4:1 test-accept warning"]);
    expect(r.suppressedMessages).toEqual([]);
  });

  it("leaves files without directives untouched (and does not look at them twice)", () => {
    const r = run(save("-A INPUT -j ACCEPT"));
    expect(r.suppressedMessages).toEqual([]);
    expect(r.messages).toHaveLength(1);
  });

  it("daemon.json has no directives; its findings stay", () => {
    const r = lint({ text: '{ "iptables": false }', filePath: "daemon.json" }, { config: { rules: {}, facts: {}, linterOptions: { reportUnusedDisableDirectives: "warning" } } });
    expect(r.suppressedMessages).toEqual([]);
    expect(r.kind).toBe("daemon-json");
  });
});
