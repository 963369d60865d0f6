/**
 * The real program in a child process: exit codes through the process, piped standard input, large reports
 * to a pipe not cut short, a closed pipe, and no stack traces. Runs the built bin, as users do.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { builtCli } from "./support/build.js";
import { lintRules } from "../rules/index.js";
import { makeTree } from "./support/cli.js";
import { assertValidSarif } from "./support/sarif.js";

let CLI = "";
beforeAll(() => {
  CLI = builtCli();
}, 120_000);
const fwlint = (args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}) => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    input: options.input ?? "",
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** A config that turns every rule off except syntax-error, so these tests do not move as rules are added. */
function project(files: Record<string, string>): string {
  const rules = Object.fromEntries(lintRules.filter((r) => r.id !== "syntax-error").map((r) => [r.id, "off"]));
  return makeTree({ ".fwlintrc.json": JSON.stringify({ rules }), ...files });
}

const GOOD = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n";
const BAD = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport\nCOMMIT\n";

describe("fwlint as a process", () => {
  it("exits 0, 1 and 2 as documented", () => {
    const root = project({ "good.rules": GOOD, "bad.rules": BAD });
    expect(fwlint(["good.rules"], { cwd: root })).toEqual({ code: 0, stdout: "", stderr: "" });
    const bad = fwlint(["good.rules", "bad.rules"], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe(`\n${join(root, "bad.rules")}\n  3:17  error  option --dport needs a value  syntax-error\n\n\u2716 1 problem (1 error, 0 warnings)\n\n`);
    const missing = fwlint(["bad.rules", "gone.rules"], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("fwlint: gone.rules: cannot read file (no such file or directory)\n");
    expect(missing.stdout).toContain("1 problem");
    const usage = fwlint(["--no-such-option"], { cwd: root });
    expect([usage.code, usage.stdout, usage.stderr]).toEqual([2, "", "fwlint: unknown argument --no-such-option (see fwlint --help)\n"]);
  });

  it("reads a ruleset piped in: iptables-save | fwlint -", () => {
    const root = project({});
    const r = fwlint(["-", "--format", "sarif", "--stdin-filename", "rules.v4"], { cwd: root, input: BAD });
    expect(r.code).toBe(1);
    assertValidSarif(r.stdout);
    expect(JSON.parse(r.stdout).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe("rules.v4");
    expect(fwlint([], { cwd: root, input: GOOD }).code).toBe(0);
  });

  it("writes a large report to a pipe completely", () => {
    const lines = Array.from({ length: 20_000 }, () => "-A INPUT -p tcp --dport");
    const root = project({ "big.rules": `*filter\n${lines.join("\n")}\nCOMMIT\n` });
    const r = fwlint(["big.rules", "--format", "json"], { cwd: root });
    expect(r.code).toBe(1);
    const data = JSON.parse(r.stdout);
    expect(data[0].messages).toHaveLength(20_000);
    expect(data[0].errorCount).toBe(20_000);
  });

  it("stops quietly when the reader of its output goes away", () => {
    const lines = Array.from({ length: 20_000 }, () => "-A INPUT -p tcp --dport");
    const root = project({ "big.rules": `*filter\n${lines.join("\n")}\nCOMMIT\n` });
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${CLI}" big.rules | head -n 2`], { cwd: root, encoding: "utf8" });
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["", join(root, "big.rules")]);
    expect(r.stderr).toBe("");
  });

  it("honours NO_COLOR and FORCE_COLOR", () => {
    const root = project({ "bad.rules": BAD });
    expect(fwlint(["bad.rules"], { cwd: root, env: { FORCE_COLOR: "1" } }).stdout).toContain("\u001b[31merror");
    expect(fwlint(["bad.rules"], { cwd: root, env: { FORCE_COLOR: "1" } }).stdout).toContain("\u001b[4m");
    expect(fwlint(["bad.rules", "--no-color"], { cwd: root, env: { FORCE_COLOR: "1" } }).stdout).not.toContain("\u001b[");
    expect(fwlint(["bad.rules"], { cwd: root, env: { NO_COLOR: "1" } }).stdout).not.toContain("\u001b[");
  });

  it("reports a broken config as exit 2 with one line", () => {
    const root = project({ "a.rules": GOOD });
    writeFileSync(join(root, ".fwlintrc.json"), '{"rules": {"syntax-error": "loud"}}');
    const r = fwlint(["a.rules"], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fwlint: invalid configuration ${join(root, ".fwlintrc.json")}:1:12: /rules/syntax-error: must be one of "off", "warn", "warning", "error", 0, 1, 2\n`);
  });
});
