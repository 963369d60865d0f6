import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../src/diagnostic.js";
import { lineHashes } from "../src/formatters/line-hash.js";
import { encodeRelativeUri, MAX_SARIF_RESULTS, sarif } from "../src/formatters/sarif.js";
import type { FormattedResult, FormatterContext } from "../src/formatters/types.js";
import { lintFiles } from "../src/lint.js";
import { lintRules } from "../rules/index.js";
import { assertValidSarif, sarifProblems } from "./support/sarif.js";
import { testRules } from "./support/test-rules.js";

const ctx: FormatterContext = { color: false, cwd: "/repo", projectRoot: "/repo", rules: testRules, version: "1.2.3" };

function lintToResults(files: Record<string, string>): FormattedResult[] {
  const results = lintFiles(
    Object.entries(files).map(([path, text]) => ({ text, filePath: `/repo/${path}` })),
    { rules: testRules, config: { rules: {}, facts: {}, linterOptions: { reportUnusedDisableDirectives: "warning" } } },
  );
  return results.map((r) => ({
    filePath: r.filePath!,
    relativePath: r.filePath!.slice("/repo/".length),
    messages: r.messages,
    suppressedMessages: r.suppressedMessages,
    errorCount: r.errorCount,
    warningCount: r.warningCount,
    fatalErrorCount: 0,
    source: r.source,
  }));
}

const rulesV4 = ["*filter", ":INPUT DROP [0:0]", "-A INPUT -j ACCEPT", "# fwlint-disable-next-line test-drop -- lab host", "-A INPUT -j DROP", "-A INPUT -p tcp --dport", "COMMIT", ""].join("\n");
const sample = () => lintToResults({ "hosts/web/rules.v4": rulesV4, "docker/daemon.json": '{\n  "iptables": false\n}\n', "clean.rules": "*filter\n:INPUT DROP [0:0]\nCOMMIT\n" });

describe("SARIF 2.1.0 for GitHub code scanning", () => {
  it("is one valid run listing every rule, with results pointing at repo-relative files", () => {
    const text = sarif(sample(), ctx);
    assertValidSarif(text);
    const log = JSON.parse(text);
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.columnKind).toBe("utf16CodeUnits");
    expect(run.originalUriBaseIds).toEqual({ "%SRCROOT%": { uri: "file:///repo/" } });
    expect(run.tool.driver).toMatchObject({ name: "fwlint", semanticVersion: "1.2.3" });
    const ids = run.tool.driver.rules.map((r: any) => r.id);
    expect(ids).toEqual([...testRules.map((r) => r.id), "fwlint/unused-disable-directive", "fwlint/unused-enable-directive", "fwlint/unknown-rule-in-directive", "fwlint/ignored-file"]);
    expect(run.results.map((r: any) => [r.ruleId, r.level, r.locations[0].physicalLocation.artifactLocation.uri, r.locations[0].physicalLocation.region])).toEqual([
      ["test-accept", "warning", "hosts/web/rules.v4", { startLine: 3, startColumn: 1, endLine: 3, endColumn: 19 }],
      ["syntax-error", "error", "hosts/web/rules.v4", { startLine: 6, startColumn: 17, endLine: 6, endColumn: 24 }],
      ["test-daemon-iptables", "error", "docker/daemon.json", { startLine: 2, startColumn: 3, endLine: 2, endColumn: 20 }],
    ]);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.locations[0].physicalLocation.artifactLocation.uriBaseId).toBe("%SRCROOT%");
      expect(r.partialFingerprints).toBeUndefined();
      expect(r.suppressions).toBeUndefined();
    }
    expect(run.invocations).toEqual([{ executionSuccessful: true }]);
  });

  it("describes each rule with texts, help from its docs, level, tags and security severity", () => {
    const run = JSON.parse(sarif(sample(), ctx)).runs[0];
    const daemon = run.tool.driver.rules.find((r: any) => r.id === "test-daemon-iptables");
    expect(daemon).toMatchObject({
      name: "TestDaemonIptables",
      shortDescription: { text: "daemon.json turns off Docker's iptables management" },
      fullDescription: { text: "Test rule." },
      defaultConfiguration: { level: "error" },
      properties: { tags: ["security", "test"], precision: "very-high", "security-severity": "8.1", "problem.severity": "error", category: "daemon" },
    });
    expect(daemon.help.text).toContain("Problematic");
    expect(daemon.help.markdown).toContain('```json\n{ "iptables": false }\n```');
    const accept = run.tool.driver.rules.find((r: any) => r.id === "test-accept");
    expect(accept.defaultConfiguration.level).toBe("warning");
    expect(accept.properties["security-severity"]).toBeUndefined();
  });

  it("has an empty results array when clean", () => {
    const text = sarif(lintToResults({ "clean.rules": "*filter\n:INPUT DROP [0:0]\nCOMMIT\n" }), ctx);
    assertValidSarif(text);
    expect(JSON.parse(text).runs[0].results).toEqual([]);
    const none = sarif([], ctx);
    assertValidSarif(none);
    expect(JSON.parse(none).runs[0].results).toEqual([]);
  });

  it("lists every registered rule validly", () => {
    const text = sarif([], { ...ctx, rules: lintRules });
    assertValidSarif(text);
    expect(JSON.parse(text).runs[0].tool.driver.rules.length).toBe(lintRules.length + 4);
  });

  it("percent-encodes path segments and uses file URIs outside the project", () => {
    expect(encodeRelativeUri("hosts/my host/a:b#1.rules")).toBe("hosts/my%20host/a%3Ab%231.rules");
    const r = lintToResults({ "hosts/my host/a:b.rules": rulesV4 });
    const inside = JSON.parse(sarif(r, ctx)).runs[0].results[0].locations[0].physicalLocation.artifactLocation;
    expect(inside).toEqual({ uri: "hosts/my%20host/a%3Ab.rules", uriBaseId: "%SRCROOT%" });
    const outside = sarif([{ ...r[0]!, filePath: "/etc/iptables/rules.v4", relativePath: "../etc/iptables/rules.v4" }], ctx);
    expect(JSON.parse(outside).runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: "file:///etc/iptables/rules.v4" });
    // schema-valid, but GitHub cannot place it: the checker says so
    expect(sarifProblems(outside).every((p) => /absolute|%SRCROOT%/.test(p))).toBe(true);
    expect(sarifProblems(outside).length).toBeGreaterThan(0);
  });

  it("adds primaryLocationLineHash like upload-sarif when asked", () => {
    const results = sample();
    const run = JSON.parse(sarif(results, { ...ctx, sarif: { fingerprints: true } })).runs[0];
    const hashes = lineHashes(rulesV4);
    expect(run.results[0].partialFingerprints).toEqual({ primaryLocationLineHash: hashes.get(3) });
    expect(run.results[1].partialFingerprints.primaryLocationLineHash).toBe(hashes.get(6));
    assertValidSarif(JSON.stringify({ ...JSON.parse(sarif(results, { ...ctx, sarif: { fingerprints: true } })) }));
  });

  it("includes suppressed findings only when asked, as inSource suppressions with the reason", () => {
    const results = sample();
    expect(JSON.parse(sarif(results, ctx)).runs[0].results.some((r: any) => r.ruleId === "test-drop")).toBe(false);
    const text = sarif(results, { ...ctx, sarif: { includeSuppressed: true } });
    assertValidSarif(text);
    const drop = JSON.parse(text).runs[0].results.find((r: any) => r.ruleId === "test-drop");
    expect(drop.suppressions).toEqual([{ kind: "inSource", justification: "lab host" }]);
  });

  it("sets automationDetails.id from --sarif-category and records tool problems as notifications", () => {
    const text = sarif(sample(), { ...ctx, sarif: { category: "fwlint/hosts" }, notifications: [{ message: "missing.rules: cannot read file (no such file or directory)", filePath: "/repo/missing.rules" }] });
    assertValidSarif(text);
    const run = JSON.parse(text).runs[0];
    expect(run.automationDetails).toEqual({ id: "fwlint/hosts/" });
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([{ level: "error", message: { text: "missing.rules: cannot read file (no such file or directory)" }, locations: [{ physicalLocation: { artifactLocation: { uri: "file:///repo/missing.rules" } } }] }]);
  });

  it("keeps at most 25,000 results, errors first, and says how many were left out", () => {
    const many: Diagnostic[] = Array.from({ length: MAX_SARIF_RESULTS + 3 }, (_, i) => ({
      ruleId: i % 2 ? "test-accept" : "test-drop",
      severity: i % 2 ? "warning" : "error",
      message: `m${i}`,
      span: { line: i + 1, column: 1, endLine: i + 1, endColumn: 2, offset: 0, endOffset: 1 },
    }));
    const text = sarif([{ filePath: "/repo/big.rules", relativePath: "big.rules", messages: many, suppressedMessages: [], errorCount: 0, warningCount: 0, fatalErrorCount: 0 }], ctx);
    assertValidSarif(text);
    const run = JSON.parse(text).runs[0];
    expect(run.results).toHaveLength(MAX_SARIF_RESULTS);
    expect(run.results.filter((r: any) => r.level === "error")).toHaveLength(Math.ceil((MAX_SARIF_RESULTS + 3) / 2));
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toBe(`3 of ${MAX_SARIF_RESULTS + 3} results were left out: GitHub code scanning accepts at most ${MAX_SARIF_RESULTS} per run`);
  });

  it("carries the fix --fix applies and the suggestions as SARIF fixes, valid and exact", () => {
    const text = "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n-A DOCKER-USER --src-range 10.0.0.1-10.0.0.9 -j DROP\n-A FORWARD -j DOCKER-USER\nCOMMIT\n";
    const [r] = lintFiles([{ text, filePath: "/repo/rules.v4" }], { config: { rules: {}, facts: {} } });
    const results: FormattedResult[] = [{ filePath: r!.filePath!, relativePath: "rules.v4", messages: r!.messages, suppressedMessages: [], errorCount: r!.errorCount, warningCount: r!.warningCount, fatalErrorCount: 0, source: text }];
    const out = sarif(results, { ...ctx, rules: lintRules });
    assertValidSarif(out);
    const run = JSON.parse(out).runs[0];
    const withFix = run.results.find((x: any) => x.ruleId === "option-requires-match");
    expect(withFix.fixes).toHaveLength(1);
    const [fix] = withFix.fixes;
    // the fix is also the rule's suggestion: one entry, with the suggestion's text
    expect(fix.description.text).toBe('Insert "-m iprange" before --src-range');
    const [change] = fix.artifactChanges;
    expect(change.artifactLocation).toEqual({ uri: "rules.v4", uriBaseId: "%SRCROOT%" });
    const [rep] = change.replacements;
    expect(rep.deletedRegion).toMatchObject({ startLine: 5, startColumn: 16, endLine: 5, endColumn: 16, charLength: 0 });
    const fixed = text.slice(0, rep.deletedRegion.charOffset) + rep.insertedContent.text + text.slice(rep.deletedRegion.charOffset + rep.deletedRegion.charLength);
    expect(fixed).toContain("-A DOCKER-USER -m iprange --src-range 10.0.0.1-10.0.0.9 -j DROP");
    // a finding with suggestions only: one fix per suggestion, its description the suggestion's
    const suggested = run.results.filter((x: any) => x.ruleId !== "option-requires-match" && x.fixes);
    const source = r!.messages.filter((m) => m.ruleId !== "option-requires-match" && m.suggestions?.length);
    expect(suggested.map((x: any) => x.fixes.map((f: any) => f.description.text))).toEqual(source.map((m) => m.suggestions!.map((g) => g.desc)));
    expect(suggested.length).toBeGreaterThan(0);
    // results without a fix have no fixes property
    expect(run.results.filter((x: any) => !x.fixes).length).toBe(r!.messages.filter((m) => !m.fix && !m.suggestions?.length).length);
  });

  it("gives whole-file messages no region rather than line 0", () => {
    const text = sarif([{ filePath: "/repo/x.rules", relativePath: "x.rules", messages: [{ ruleId: null, engine: "ignored-file", severity: "warning", message: "File ignored", span: { line: 0, column: 0, endLine: 0, endColumn: 0, offset: 0, endOffset: 0 } }], suppressedMessages: [], errorCount: 0, warningCount: 1, fatalErrorCount: 0 }], ctx);
    assertValidSarif(text);
    const r = JSON.parse(text).runs[0].results[0];
    expect(r.ruleId).toBe("fwlint/ignored-file");
    expect(r.locations[0].physicalLocation.region).toBeUndefined();
  });
});

describe("the SARIF checker itself", () => {
  it("rejects what upload-sarif and GitHub reject", () => {
    const good = JSON.parse(sarif(sample(), ctx));
    const bad = structuredClone(good);
    const r = bad.runs[0].results[0];
    r.level = "fatal";
    r.locations[0].physicalLocation.region.startLine = 0;
    r.locations[0].physicalLocation.artifactLocation.uri = "C:\\repo\\rules v4";
    bad.runs[0].tool.driver.rules[0].properties["security-severity"] = "high";
    bad.runs[0].tool.driver.rules[1].properties.tags = Array.from({ length: 11 }, (_, i) => `t${i}`);
    delete bad.runs[0].tool.driver.rules[2].help;
    const problems = sarifProblems(JSON.stringify(bad));
    for (const expected of ["/runs/0/results/0/level must be equal to one of the allowed values", "region/startLine must be >= 1", 'must match format "uri-reference"', "security-severity must be a numeric string", "more than 10 tags", "help.text missing", "absolute or Windows uri"]) {
      expect(problems.some((p) => p.includes(expected)), `${expected} in\n${problems.join("\n")}`).toBe(true);
    }
    const noResults = structuredClone(good);
    delete noResults.runs[0].results;
    expect(sarifProblems(JSON.stringify(noResults))).toContain("runs/0: results array missing (upload-sarif rejects the file)");
    const twoRuns = structuredClone(good);
    twoRuns.runs.push(good.runs[0]);
    expect(sarifProblems(JSON.stringify(twoRuns))).toContain("GitHub: one run per file");
  });
});

describe("primaryLocationLineHash (codeql-action's fingerprints.ts test vectors)", () => {
  it("hashes each line over a 100-character window, skipping blanks, counting repeats", () => {
    expect([...lineHashes(" a\nb\n  \t\tc\n d").values()]).toEqual(["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]);
    expect([...lineHashes("").values()]).toEqual(["c129715d7a2bc9a3:1"]);
    expect([...lineHashes("Lorem ipsum dolor sit amet.\n".repeat(10)).values()]).toEqual([
      "a7f2ff13bc495cf2:1",
      "a7f2ff13bc495cf2:2",
      "a7f2ff13bc495cf2:3",
      "a7f2ff13bc495cf2:4",
      "a7f2ff13bc495cf2:5",
      "a7f2ff13bc495cf2:6",
      "a7f2ff1481e87703:1",
      "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1",
      "cc97dc7b1d7d8f7b:1",
      "c129715d7a2bc9a3:1",
    ]);
  });

  it("treats CRLF and CR like LF", () => {
    const lf = [...lineHashes(" a\nb\n  \t\tc\n d").values()];
    expect([...lineHashes(" a\r\nb\r\n  \t\tc\r\n d").values()]).toEqual(lf);
    expect([...lineHashes(" a\rb\r  \t\tc\r d").values()]).toEqual(lf);
  });
});
