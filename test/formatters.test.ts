import { describe, expect, it } from "vitest";
import type { Diagnostic, SuppressedDiagnostic } from "../src/diagnostic.js";
import { checkstyle } from "../src/formatters/checkstyle.js";
import { compact } from "../src/formatters/compact.js";
import { escapeData, escapeProperty, github } from "../src/formatters/github.js";
import { gitlab } from "../src/formatters/gitlab.js";
import { json } from "../src/formatters/json.js";
import { junit } from "../src/formatters/junit.js";
import { cdata, xmlEscape } from "../src/formatters/xml.js";
import { exampleFiles, ruleMarkdown, ruleText } from "../src/formatters/rule-docs.js";
import { stylish } from "../src/formatters/stylish.js";
import type { FormattedResult, FormatterContext } from "../src/formatters/types.js";
import { daemonRule, optionRule, testRules } from "./support/test-rules.js";

const at = (line: number, column: number, endLine = line, endColumn = column + 1) => ({ line, column, endLine, endColumn, offset: 0, endOffset: 0 });
const msg = (ruleId: string | null, severity: "error" | "warning", message: string, line: number, column: number, extra: Partial<Diagnostic> = {}): Diagnostic => ({ ruleId, severity, message, span: at(line, column), ...extra });
const result = (filePath: string, messages: Diagnostic[], extra: Partial<FormattedResult> = {}): FormattedResult => ({
  filePath,
  relativePath: filePath.replace(/^\/repo\//, ""),
  messages,
  suppressedMessages: [],
  errorCount: messages.filter((m) => m.severity === "error").length,
  warningCount: messages.filter((m) => m.severity === "warning").length,
  fatalErrorCount: 0,
  ...extra,
});
const ctx: FormatterContext = { color: false, cwd: "/repo", projectRoot: "/repo", rules: testRules, version: "1.2.3" };

describe("stylish", () => {
  it("reproduces ESLint's own test expectations", () => {
    expect(stylish([result("foo.js", [msg("foo", "error", "Unexpected foo.", 5, 10)])], ctx)).toBe("\nfoo.js\n  5:10  error  Unexpected foo  foo\n\n\u2716 1 problem (1 error, 0 warnings)\n");
    expect(stylish([result("foo.js", [msg("foo", "error", "Unexpected foo.", 5, 10), msg("bar", "warning", "Unexpected bar.", 6, 11)])], ctx)).toBe(
      "\nfoo.js\n  5:10  error    Unexpected foo  foo\n  6:11  warning  Unexpected bar  bar\n\n\u2716 2 problems (1 error, 1 warning)\n",
    );
    expect(stylish([result("foo.js", [msg(null, "error", "Couldn't find foo.js.", 0, 0)])], ctx)).toBe("\nfoo.js\n  0:0  error  Couldn't find foo.js\n\n\u2716 1 problem (1 error, 0 warnings)\n");
  });

  it("lays out several files, right-aligns line numbers, and prints nothing when clean", () => {
    const out = stylish(
      [
        result("/repo/rules/iptables.rules", [msg("default-policy-drop", "error", "INPUT chain default policy is ACCEPT", 5, 10), msg("no-shadowed-rule", "warning", "Rule is shadowed by rule on line 4", 12, 3)]),
        result("/repo/clean.rules", []),
        result("/repo/docker/daemon.json", [msg("docker-iptables-enabled", "error", '"iptables": false disables Docker firewall management', 1, 1)]),
      ],
      ctx,
    );
    expect(out).toBe(
      [
        "",
        "/repo/rules/iptables.rules",
        "   5:10  error    INPUT chain default policy is ACCEPT  default-policy-drop",
        "  12:3   warning  Rule is shadowed by rule on line 4    no-shadowed-rule",
        "",
        "/repo/docker/daemon.json",
        '  1:1  error  "iptables": false disables Docker firewall management  docker-iptables-enabled',
        "",
        "\u2716 3 problems (2 errors, 1 warning)",
        "",
      ].join("\n"),
    );
    expect(stylish([result("/repo/a.rules", [])], ctx)).toBe("");
    expect(stylish([], ctx)).toBe("");
  });

  it("keeps a period that follows a space, and only strips one", () => {
    const out = stylish([result("f", [msg("r", "warning", "ends with a dot .", 1, 1), msg("r", "warning", "two dots..", 2, 1)])], ctx);
    expect(out).toMatch(/ends with a dot \.  r$/m);
    expect(out).toMatch(/two dots\. +r$/m);
    expect(out).not.toContain("two dots..");
  });

  it("matches actions/setup-node's eslint-stylish problem matcher line by line", () => {
    const out = stylish([result("/repo/a.rules", [msg("syntax-error", "error", "option --dport needs a value", 7, 17), msg(null, "warning", "Unused fwlint-disable directive (no problems were reported from 'x')", 12, 1, { engine: "unused-disable-directive" })])], ctx);
    const file = /^\s*([^\s].*)$/;
    const line = /^\s+(\d+):(\d+)\s+(error|warning|info)\s+(.*)\s\s+(.*)$/;
    const lines = out.split("\n");
    expect(file.exec(lines[1]!)?.[1]).toBe("/repo/a.rules");
    // the matcher's greedy message group keeps the table's padding, as it does for ESLint's own output
    expect(line.exec(lines[2]!)?.slice(1).map((g) => g.trimEnd())).toEqual(["7", "17", "error", "option --dport needs a value", "syntax-error"]);
    // engine messages show fwlint/<kind> where ESLint leaves the id empty, so the matcher reads them too
    expect(line.exec(lines[3]!)?.slice(1).map((g) => g.trimEnd())).toEqual(["12", "1", "warning", "Unused fwlint-disable directive (no problems were reported from 'x')", "fwlint/unused-disable-directive"]);
  });

  it("colours like ESLint when asked: underlined path, red/yellow types, dim positions and ids, bold summary", () => {
    const out = stylish([result("/repo/a.rules", [msg("syntax-error", "error", "bad", 1, 2)])], { ...ctx, color: true });
    expect(out).toContain("\u001b[4m/repo/a.rules\u001b[24m");
    expect(out).toContain("\u001b[31merror\u001b[39m");
    expect(out).toContain("\u001b[2m1:2\u001b[22m");
    expect(out).toContain("\u001b[2msyntax-error\u001b[22m");
    expect(out).toMatch(/\u001b\[31m\u001b\[1m\u2716 1 problem/);
    expect(out.startsWith("\u001b[0m")).toBe(true);
    const warnOnly = stylish([result("/repo/a.rules", [msg("x", "warning", "w", 1, 1)])], { ...ctx, color: true });
    expect(warnOnly).toMatch(/\u001b\[33m\u001b\[1m\u2716 1 problem/);
  });
});

describe("compact", () => {
  it("prints ESLint's compact lines and a total", () => {
    const out = compact([result("/repo/a.rules", [msg("syntax-error", "error", "bad thing.", 3, 4), msg(null, "warning", "unused", 5, 1, { engine: "unused-disable-directive" })]), result("/repo/b.rules", [msg("r", "warning", "w", 1, 1), msg(null, "warning", "no id", 2, 1)])]);
    expect(out).toBe("/repo/a.rules: line 3, col 4, Error - bad thing. (syntax-error)\n/repo/a.rules: line 5, col 1, Warning - unused (fwlint/unused-disable-directive)\n/repo/b.rules: line 1, col 1, Warning - w (r)\n/repo/b.rules: line 2, col 1, Warning - no id\n\n4 problems");
    const matcher = /^(.+):\sline\s(\d+),\scol\s(\d+),\s(Error|Warning|Info)\s-\s(.+)\s\((.+)\)$/;
    expect(matcher.exec(out.split("\n")[0]!)?.slice(1)).toEqual(["/repo/a.rules", "3", "4", "Error", "bad thing.", "syntax-error"]);
    expect(compact([result("/repo/a.rules", [])])).toBe("");
  });
});

describe("json", () => {
  it("has ESLint's result shape", () => {
    const suppressed: SuppressedDiagnostic = { ...msg("r", "warning", "hidden", 2, 1), suppressions: [{ kind: "directive", justification: "known" }] };
    const m = msg("syntax-error", "error", "bad", 3, 4, {
      suggestions: [{ desc: "Insert -m iprange", fix: { range: [10, 10], text: "-m iprange " } }],
      related: [{ message: "first declared here", span: at(1, 1, 1, 7) }],
    });
    const data = JSON.parse(json([result("/repo/a.rules", [m], { suppressedMessages: [suppressed] })]));
    expect(data).toEqual([
      {
        filePath: "/repo/a.rules",
        messages: [
          {
            ruleId: "syntax-error",
            severity: 2,
            message: "bad",
            line: 3,
            column: 4,
            endLine: 3,
            endColumn: 5,
            suggestions: [{ desc: "Insert -m iprange", fix: { range: [10, 10], text: "-m iprange " } }],
            related: [{ message: "first declared here", line: 1, column: 1, endLine: 1, endColumn: 7 }],
          },
        ],
        suppressedMessages: [{ ruleId: "r", severity: 1, message: "hidden", line: 2, column: 1, endLine: 2, endColumn: 2, suppressions: [{ kind: "directive", justification: "known" }] }],
        errorCount: 1,
        fatalErrorCount: 0,
        warningCount: 0,
        fixableErrorCount: 0,
        fixableWarningCount: 0,
        usedDeprecatedRules: [],
      },
    ]);
    // whole-file messages (ignored files) have no position, as in ESLint
    expect(JSON.parse(json([result("/repo/x", [msg(null, "warning", "File ignored", 0, 0)])]))[0].messages[0]).toEqual({ ruleId: null, severity: 1, message: "File ignored" });
  });
});

describe("github annotations", () => {
  it("escapes as @actions/core does", () => {
    expect(escapeData("50% done\r\nnext")).toBe("50%25 done%0D%0Anext");
    expect(escapeProperty("a:b,c%\n")).toBe("a%3Ab%2Cc%25%0A");
  });

  it("prints ::error / ::warning with file, positions and the rule id as title", () => {
    const multi = msg("r", "warning", "spans lines", 3, 5, { span: at(3, 5, 4, 2) });
    const out = github([result("/repo/hosts/a,b/rules.v4", [msg("syntax-error", "error", "bad: 100% wrong\nreally", 7, 17, { span: at(7, 17, 7, 24) }), multi, msg(null, "warning", "File ignored", 0, 0)])]);
    expect(out.split("\n")).toEqual([
      "::error file=hosts/a%2Cb/rules.v4,line=7,col=17,endLine=7,endColumn=24,title=syntax-error::bad: 100%25 wrong%0Areally",
      "::warning file=hosts/a%2Cb/rules.v4,line=3,endLine=4,title=r::spans lines",
      "::warning file=hosts/a%2Cb/rules.v4,title=fwlint::File ignored",
    ]);
    expect(github([result("/repo/a", [])])).toBe("");
  });

  it("adds a notice when GitHub would drop annotations past 10 per level", () => {
    const many = Array.from({ length: 11 }, (_, i) => msg("r", "error", `e${i}`, i + 1, 1));
    const lines = github([result("/repo/a", many)]).split("\n");
    expect(lines).toHaveLength(12);
    expect(lines[11]).toBe("::notice title=fwlint::fwlint found 11 error(s) and 0 warning(s); GitHub shows at most 10 of each per step. Use --format sarif with code scanning, or stylish, for the full list.");
  });
});

describe("gitlab code quality", () => {
  it("emits Code Climate issues with stable, unique fingerprints and severities", () => {
    const source = "*filter\n-A INPUT -j DROP\n-A INPUT -j DROP\n";
    const r = result("/repo/a.rules", [msg("test-drop", "error", "x", 2, 1, { span: { ...at(2, 1, 2, 17), offset: 8, endOffset: 24 } }), msg("test-drop", "error", "x", 3, 1, { span: { ...at(3, 1, 3, 17), offset: 25, endOffset: 41 } }), msg("test-daemon-iptables", "error", "y", 1, 1)], { source });
    const issues = JSON.parse(gitlab([r], ctx));
    expect(issues.map((i: any) => [i.check_name, i.severity, i.location])).toEqual([
      ["test-drop", "major", { path: "a.rules", lines: { begin: 2, end: 2 } }],
      ["test-drop", "major", { path: "a.rules", lines: { begin: 3, end: 3 } }],
      ["test-daemon-iptables", "major", { path: "a.rules", lines: { begin: 1, end: 1 } }],
    ]);
    expect(new Set(issues.map((i: any) => i.fingerprint)).size).toBe(3);
    // moving the lines down keeps the fingerprints
    const moved = result("/repo/a.rules", [msg("test-drop", "error", "x", 4, 1, { span: { ...at(4, 1, 4, 17), offset: 10, endOffset: 26 } })], { source: "*filter\n\n\n-A INPUT -j DROP\n" });
    expect(JSON.parse(gitlab([moved], ctx))[0].fingerprint).toBe(issues[0].fingerprint);
    expect(issues.every((i: any) => i.type === "issue" && typeof i.description === "string")).toBe(true);
  });
});

describe("rule documentation", () => {
  it("renders text and markdown with every section", () => {
    const text = ruleText(optionRule);
    for (const part of ["test-targets: Rule jumps to a listed target", "Category: style", "Default severity: warn", "Tags: test", "Rationale", "Problematic", "    -A INPUT -j REJECT", "Correct", "Options", 'Defaults: {"targets":["REJECT"]}', "# fwlint-disable-next-line test-targets -- reason"]) {
      expect(text).toContain(part);
    }
    const md = ruleMarkdown(daemonRule);
    for (const part of ["# test-daemon-iptables", "**Security severity:** 8.1 (high)", "**Precision:** very-high", "## Problematic", '```json\n{ "iptables": false }\n```', "## Suppressing", '"overrides": [{"files": ["daemon.json"]']) {
      expect(md).toContain(part);
    }
  });

  it("splits multi-file examples on ==> name <== headers", () => {
    const rule = { language: "project" as const, docs: { rationale: "", bad: "==> rules.v4 <==\n*filter\nCOMMIT\n==> daemon.json <==\n{}\n", good: "*filter\nCOMMIT\n" } };
    expect(exampleFiles(rule, "bad")).toEqual([
      { name: "rules.v4", text: "*filter\nCOMMIT\n" },
      { name: "daemon.json", text: "{}\n" },
    ]);
    expect(exampleFiles(rule, "good")).toEqual([{ name: null, text: "*filter\nCOMMIT\n", kind: "iptables" }]);
  });
});

describe("checkstyle", () => {
  it("writes ESLint's checkstyle XML, one error element per problem, and empty files", () => {
    const out = checkstyle([result("/repo/a.rules", [msg("syntax-error", "error", "bad <thing> & \"more\"", 3, 4), msg(null, "warning", "unused", 5, 1, { engine: "unused-disable-directive" })]), result("/repo/b.rules", [])]);
    expect(out).toBe(
      '<?xml version="1.0" encoding="utf-8"?><checkstyle version="4.3">' +
        '<file name="/repo/a.rules"><error line="3" column="4" severity="error" message="bad &lt;thing&gt; &amp; &quot;more&quot; (syntax-error)" source="fwlint.rules.syntax-error" />' +
        '<error line="5" column="1" severity="warning" message="unused (fwlint/unused-disable-directive)" source="fwlint.rules.fwlint/unused-disable-directive" /></file>' +
        '<file name="/repo/b.rules"></file></checkstyle>',
    );
  });
});

describe("junit", () => {
  it("writes a testsuite per file: a failing testcase per problem, one passing testcase for a clean file", () => {
    const out = junit([result("/repo/a.rules", [msg("syntax-error", "error", "bad ]]> thing", 3, 4), msg("unused-chain", "warning", "w", 5, 1)]), result("/repo/b.rules", [])]);
    expect(out).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n' +
        '<testsuite package="fwlint" time="0" tests="2" errors="2" name="/repo/a.rules">\n' +
        '<testcase time="0" name="fwlint.syntax-error" classname="/repo/a"><failure message="bad ]]&gt; thing"><![CDATA[line 3, col 4, Error - bad ]]]]><![CDATA[> thing (syntax-error)]]></failure></testcase>\n' +
        '<testcase time="0" name="fwlint.unused-chain" classname="/repo/a"><failure message="w"><![CDATA[line 5, col 1, Warning - w (unused-chain)]]></failure></testcase>\n' +
        "</testsuite>\n" +
        '<testsuite package="fwlint" time="0" tests="1" errors="0" name="/repo/b.rules">\n<testcase time="0" name="/repo/b.rules" classname="/repo/b" />\n</testsuite>\n' +
        "</testsuites>\n",
    );
  });

  it("drops characters XML cannot hold and escapes markup", () => {
    expect(xmlEscape("a\u0000b\u000cc<'>")).toBe("abc&lt;&apos;&gt;");
    expect(cdata("x]]>y\u0001")).toBe("<![CDATA[x]]]]><![CDATA[>y]]>");
  });
});
