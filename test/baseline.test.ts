import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyBaseline, createBaseline, fingerprint, normalizeText, parseBaseline } from "../src/baseline.js";
import type { Diagnostic } from "../src/diagnostic.js";
import { lint } from "../src/lint.js";
import { makeTree, runCli } from "./support/cli.js";
import { testRules } from "./support/test-rules.js";

const rules = testRules;
const ruleset = (...lines: string[]) => ["*filter", ":INPUT DROP [0:0]", ...lines, "COMMIT", ""].join("\n");
const findings = (text: string): Diagnostic[] => lint({ text }, { rules }).messages;

describe("fingerprints", () => {
  it("ignore line numbers, counters, runs of blanks and trailing commas", () => {
    expect(normalizeText("[12:3456] -A INPUT   -j  ACCEPT ")).toBe("-A INPUT -j ACCEPT");
    expect(normalizeText('  "iptables": false,')).toBe('"iptables": false');
    const a = ruleset("-A INPUT -j ACCEPT");
    const b = ruleset("-A INPUT -i lo -j RETURN", "", "[5:300] -A INPUT  -j ACCEPT");
    const fa = fingerprint(a, findings(a)[0]!);
    const fb = fingerprint(b, findings(b)[0]!);
    expect(fb).toEqual(fa);
    expect(fa.text).toBe("-A INPUT -j ACCEPT");
  });

  it("tell apart different lines and different words on one line", () => {
    const t = ruleset("-A INPUT -j ACCEPT", "-A INPUT -s 10.0.0.1 -j ACCEPT");
    const [x, y] = findings(t);
    expect(fingerprint(t, x!).hash).not.toBe(fingerprint(t, y!).hash);
    const line = "-A INPUT -p tcp --dport --sport 1 -j DROP";
    const s = (offset: number, len: number): Diagnostic => ({ ruleId: "r", severity: "error", message: "m", span: { line: 1, column: offset + 1, endLine: 1, endColumn: offset + len + 1, offset, endOffset: offset + len } });
    expect(fingerprint(line, s(16, 7)).hash).not.toBe(fingerprint(line, s(24, 7)).hash);
  });
});

describe("baseline file", () => {
  it("counts identical findings and accepts only as many as recorded", () => {
    const text = ruleset("-A INPUT -j ACCEPT", "-A INPUT -j ACCEPT");
    const b = createBaseline([{ key: "a.rules", source: text, messages: findings(text) }]);
    expect(b.files["a.rules"]).toEqual([{ ruleId: "test-accept", hash: expect.stringMatching(/^[0-9a-f]{20}$/), count: 2, text: "-A INPUT -j ACCEPT", message: "jumps to ACCEPT." }]);
    const three = ruleset("-A INPUT -j ACCEPT", "-A INPUT -j ACCEPT", "-A INPUT -j ACCEPT");
    const applied = applyBaseline(b, [{ key: "a.rules", source: three, messages: findings(three) }]);
    expect(applied.results[0]!.messages.map((m) => m.span.line)).toEqual([5]);
    expect(applied.results[0]!.suppressed.map((m) => [m.span.line, m.suppressions])).toEqual([
      [3, [{ kind: "baseline", justification: "" }]],
      [4, [{ kind: "baseline", justification: "" }]],
    ]);
    expect(applied.unmatched).toBe(0);
  });

  it("counts fixed findings of the files linted, not of files left out of the run", () => {
    const text = ruleset("-A INPUT -j ACCEPT");
    const b = createBaseline([
      { key: "a.rules", source: text, messages: findings(text) },
      { key: "b.rules", source: text, messages: findings(text) },
    ]);
    const fixed = ruleset("-A INPUT -j RETURN");
    expect(applyBaseline(b, [{ key: "a.rules", source: fixed, messages: findings(fixed) }]).unmatched).toBe(1);
  });

  it("rejects malformed baseline files with a reason", () => {
    expect(() => parseBaseline("nope")).toThrow(/^not valid JSON/);
    expect(() => parseBaseline("[]")).toThrow("expected an object with version and files");
    expect(() => parseBaseline('{"version": 2, "files": {}}')).toThrow("unsupported version 2 (this fwlint reads version 1)");
    expect(() => parseBaseline('{"version": 1, "files": {"a": [{"ruleId": "x", "hash": "y", "count": 0}]}}')).toThrow('files["a"][0] needs ruleId, hash and a positive integer count');
    expect(parseBaseline('{"version": 1, "files": {}}')).toEqual({ version: 1, files: {} });
  });
});

describe("baseline round trip through the CLI", () => {
  it("--baseline-write records today's findings; --baseline reports only new ones, surviving moved lines", async () => {
    const root = makeTree({
      "hosts/a/rules.v4": ruleset("-A INPUT -j ACCEPT", "-A INPUT -p tcp --dport"),
      "hosts/b/rules.v4": ruleset("-A INPUT -j DROP"),
      "hosts/c/rules.v4": ruleset("-A INPUT -j RETURN"),
    });
    const write = await runCli([".", "--baseline-write", ".fwlint-baseline.json"], { cwd: root, rules });
    expect(write.code).toBe(0);
    expect(write.stdout).toBe("");
    expect(write.stderr).toBe("fwlint: wrote 3 finding(s) in 2 file(s) to baseline .fwlint-baseline.json\n");
    const saved = JSON.parse(readFileSync(join(root, ".fwlint-baseline.json"), "utf8"));
    expect(saved.version).toBe(1);
    expect(Object.keys(saved.files)).toEqual(["hosts/a/rules.v4", "hosts/b/rules.v4"]);
    expect(saved.files["hosts/a/rules.v4"].map((e: any) => [e.ruleId, e.count, e.text])).toEqual([
      ["syntax-error", 1, "-A INPUT -p tcp --dport"],
      ["test-accept", 1, "-A INPUT -j ACCEPT"],
    ]);

    // unchanged: clean
    expect(await runCli([".", "--baseline", ".fwlint-baseline.json"], { cwd: root, rules })).toEqual({ code: 0, stdout: "", stderr: "" });

    // lines move, counters appear, a new problem is added: only the new one is reported
    writeFileSync(join(root, "hosts/a/rules.v4"), ruleset("-A INPUT -i lo -j RETURN", "-A INPUT -p tcp --dport", "", "[10:600] -A INPUT -j ACCEPT", "-A INPUT -s 192.0.2.1 -j ACCEPT"));
    const after = await runCli([".", "--baseline", ".fwlint-baseline.json", "-f", "json"], { cwd: root, rules });
    expect(after.code).toBe(0);
    const a = JSON.parse(after.stdout).find((r: any) => r.filePath.endsWith("hosts/a/rules.v4"));
    expect(a.messages.map((m: any) => [m.line, m.ruleId])).toEqual([[7, "test-accept"]]);
    expect(a.suppressedMessages.map((m: any) => [m.line, m.ruleId, m.suppressions[0].kind])).toEqual([
      [4, "syntax-error", "baseline"],
      [6, "test-accept", "baseline"],
    ]);

    // the baseline's paths are relative to the baseline file, not to the working directory
    const fromSub = await runCli(["a", "--baseline", "../.fwlint-baseline.json", "-f", "json"], { cwd: join(root, "hosts"), rules });
    expect(JSON.parse(fromSub.stdout)[0].messages.map((m: any) => m.line)).toEqual([7]);
  });

  it("exit 2 for a missing or malformed baseline", async () => {
    const root = makeTree({ "a.rules": ruleset("-A INPUT -j ACCEPT"), "bad.json": '{"version": 9, "files": {}}' });
    expect(await runCli(["a.rules", "--baseline", "nope.json"], { cwd: root, rules })).toEqual({ code: 2, stdout: "", stderr: "fwlint: cannot read baseline nope.json: no such file\n" });
    expect(await runCli(["a.rules", "--baseline", "bad.json"], { cwd: root, rules })).toEqual({ code: 2, stdout: "", stderr: "fwlint: invalid baseline bad.json: unsupported version 9 (this fwlint reads version 1)\n" });
  });

  it("works for standard input with --stdin-filename, and for daemon.json", async () => {
    const root = makeTree({});
    const json = '{\n  "iptables": false,\n  "icc": true\n}\n';
    await runCli(["-", "--stdin-filename", "etc/docker/daemon.json", "--baseline-write", "b.json"], { cwd: root, rules, stdin: json });
    expect(Object.keys(JSON.parse(readFileSync(join(root, "b.json"), "utf8")).files)).toEqual(["etc/docker/daemon.json"]);
    const reordered = '{\n  "icc": true,\n  "iptables": false\n}\n';
    const r = await runCli(["-", "--stdin-filename", "etc/docker/daemon.json", "--baseline", "b.json"], { cwd: root, rules, stdin: reordered });
    expect([r.code, r.stdout]).toEqual([0, ""]);
  });
});
