/**
 * The CLI end to end, in-process: arguments, files, config, output formats, exit codes. Most tests run with
 * the test rule set (syntax-error plus small test rules) so their exact output does not change as rules are
 * added; a few run the real registry.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintRules } from "../rules/index.js";
import { FORMAT_NAMES } from "../src/formatters/index.js";
import { makeTree, runCli } from "./support/cli.js";
import { assertValidSarif } from "./support/sarif.js";
import { testRules } from "./support/test-rules.js";

const rules = testRules;
const ruleset = (...lines: string[]) => ["*filter", ":INPUT DROP [0:0]", ...lines, "COMMIT", ""].join("\n");
const CLEAN = ruleset("-A INPUT -j RETURN");
const WARN = ruleset("-A INPUT -j ACCEPT", "-A INPUT -i lo -j ACCEPT");
const ERROR = ruleset("-A INPUT -p tcp --dport");

describe("exit codes (as ESLint)", () => {
  const tree = () => makeTree({ "clean.rules": CLEAN, "warn.rules": WARN, "error.rules": ERROR });

  it("0 when clean, and prints nothing", async () => {
    const r = await runCli(["clean.rules"], { cwd: tree(), rules });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("0 with warnings, 1 with errors", async () => {
    const root = tree();
    expect((await runCli(["warn.rules"], { cwd: root, rules })).code).toBe(0);
    expect((await runCli(["error.rules"], { cwd: root, rules })).code).toBe(1);
    expect((await runCli(["warn.rules", "error.rules", "clean.rules"], { cwd: root, rules })).code).toBe(1);
  });

  it("1 with more warnings than --max-warnings, with ESLint's message on stderr", async () => {
    const root = tree();
    const over = await runCli(["--max-warnings", "1", "warn.rules"], { cwd: root, rules });
    expect(over.code).toBe(1);
    expect(over.stderr).toBe("fwlint: too many warnings (maximum: 1, found: 2)\n");
    expect((await runCli(["--max-warnings", "2", "warn.rules"], { cwd: root, rules })).code).toBe(0);
    expect((await runCli(["--max-warnings", "-1", "warn.rules"], { cwd: root, rules })).code).toBe(0);
    expect((await runCli(["--max-warnings", "0", "clean.rules"], { cwd: root, rules })).code).toBe(0);
    // with errors too, the exit code is 1 and no extra message
    const both = await runCli(["--max-warnings", "0", "warn.rules", "error.rules"], { cwd: root, rules });
    expect([both.code, both.stderr]).toEqual([1, ""]);
  });

  it("2 for bad usage, with one line and no stack trace", async () => {
    const root = tree();
    for (const args of [["--bogus", "clean.rules"], ["--format", "xml", "clean.rules"], ["--max-warnings", "abc", "clean.rules"], ["--max-warnings", "1.5", "clean.rules"], ["--rule", "nope: off", "clean.rules"], ["--baseline", "a", "--baseline-write", "b", "clean.rules"], ["-", "-"], []]) {
      const r = await runCli(args, { cwd: root, rules, ...(args[0] === "-" ? { stdin: CLEAN } : {}) });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr, args.join(" ")).toMatch(/^fwlint: [^\n]+\n$/);
      expect(r.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    }
    expect((await runCli(["--bogus"], { cwd: root, rules })).stderr).toBe("fwlint: unknown argument --bogus (see fwlint --help)\n");
    expect((await runCli(["--max-warnings", "abc", "clean.rules"], { cwd: root, rules })).stderr).toBe("fwlint: --max-warnings must be an integer of -1 or more (got abc)\n");
    expect((await runCli([], { cwd: root, rules })).stderr).toBe("fwlint: no files to lint: name files, directories or globs (fwlint .), or pipe a ruleset (iptables-save | fwlint -)\n");
    expect((await runCli(["--rule", "test-acept: off", "clean.rules"], { cwd: root, rules })).stderr).toBe('fwlint: invalid configuration --rule: /test-acept: unknown rule "test-acept" (did you mean "test-accept"?)\n');
  });

  it("2 for a bad configuration file, naming the file, position and JSON path", async () => {
    const root = makeTree({ ".fwlintrc.json": '{\n  "rules": {\n    "test-accept": "loud"\n  }\n}\n', "a.rules": ERROR });
    const r = await runCli(["a.rules"], { cwd: root, rules });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`fwlint: invalid configuration ${join(root, ".fwlintrc.json")}:3:5: /rules/test-accept: must be one of "off", "warn", "warning", "error", 0, 1, 2\n`);
  });

  it("2 for an unreadable file, still linting and reporting the others", async () => {
    const root = tree();
    const r = await runCli(["missing.rules", "error.rules", "clean.rules"], { cwd: root, rules });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("fwlint: missing.rules: cannot read file (no such file or directory)\n");
    expect(r.stdout).toContain(join(root, "error.rules"));
    expect(r.stdout).toContain("1 problem (1 error, 0 warnings)");
  });

  it("2 for a pattern that matches nothing, unless --no-error-on-unmatched-pattern", async () => {
    const root = tree();
    const r = await runCli(["*.save", "clean.rules"], { cwd: root, rules });
    expect([r.code, r.stderr]).toEqual([2, 'fwlint: No files matching the pattern "*.save" were found\n']);
    expect((await runCli(["--no-error-on-unmatched-pattern", "*.save", "clean.rules"], { cwd: root, rules })).code).toBe(0);
  });

  it("2 when the report cannot be written", async () => {
    const root = tree();
    const r = await runCli(["-o", ".", "error.rules"], { cwd: root, rules });
    expect([r.code, r.stderr]).toEqual([2, "fwlint: cannot write report to .: it is a directory\n"]);
  });

  it("2 for an internal error in a rule, without a stack trace unless --debug", async () => {
    const root = tree();
    const crashing = { ...testRules[1]!, id: "test-crash", check: () => { throw new TypeError("boom"); } };
    const r = await runCli(["clean.rules"], { cwd: root, rules: [crashing] });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fwlint: internal error: rule test-crash crashed on ${join(root, "clean.rules")}: boom (run with --debug for the stack trace)\n`);
    const d = await runCli(["--debug", "clean.rules"], { cwd: root, rules: [crashing] });
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/caused by: TypeError: boom\n\s+at /);
  });
});

describe("the stylish report of a fixture run (colours off), exactly", () => {
  it("matches ESLint's layout line for line", async () => {
    const root = makeTree({
      "hosts/web/rules.v4": ruleset("-A INPUT -i lo -j ACCEPT", "-A INPUT -p tcp --dport", "# fwlint-disable-next-line test-drop", "-A INPUT -j DROP", '-A INPUT -m comment --comment "two words -j DROP'),
      "hosts/web/daemon.json": '{\n  "iptables": false\n}\n',
    });
    const r = await runCli(["hosts"], { cwd: root, rules });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "",
        join(root, "hosts/web/daemon.json"),
        '  2:3  error  "iptables": false disables Docker\'s firewall rules  test-daemon-iptables',
        "",
        join(root, "hosts/web/rules.v4"),
        "  3:1   warning  jumps to ACCEPT                                                                                  test-accept",
        "  4:17  error    option --dport needs a value                                                                     syntax-error",
        "  7:31  warning  unterminated quote in --comment value: iptables-restore takes the rest of the line as the value  syntax-error",
        "",
        "\u2716 4 problems (2 errors, 2 warnings)",
        "",
        "",
      ].join("\n"),
    );
  });

  it("prints nothing on a clean run, and colours only when asked or on a terminal", async () => {
    const root = makeTree({ "a.rules": ERROR });
    expect((await runCli(["a.rules"], { cwd: root, rules })).stdout).not.toContain("\u001b[");
    expect((await runCli(["a.rules"], { cwd: root, rules, tty: true })).stdout).toContain("\u001b[31merror");
    expect((await runCli(["a.rules", "--no-color"], { cwd: root, rules, tty: true })).stdout).not.toContain("\u001b[");
    expect((await runCli(["a.rules", "--color"], { cwd: root, rules })).stdout).toContain("\u001b[31merror");
    expect((await runCli(["a.rules"], { cwd: root, rules, tty: true, env: { NO_COLOR: "1" } })).stdout).not.toContain("\u001b[");
    expect((await runCli(["a.rules"], { cwd: root, rules, env: { FORCE_COLOR: "1" } })).stdout).toContain("\u001b[31merror");
    expect((await runCli(["a.rules"], { cwd: root, rules, tty: true, env: { FORCE_COLOR: "0" } })).stdout).not.toContain("\u001b[");
    expect((await runCli(["a.rules"], { cwd: root, rules, tty: true, env: { TERM: "dumb" } })).stdout).not.toContain("\u001b[");
  });
});

describe("inputs", () => {
  it("reads piped standard input, with or without '-', and names it with --stdin-filename", async () => {
    const piped = await runCli([], { stdin: ERROR, rules, cwd: makeTree({}) });
    expect(piped.code).toBe(1);
    expect(piped.stdout).toContain("\n<stdin>\n  3:17  error  option --dport needs a value  syntax-error\n");
    const dashRoot = makeTree({ "a.rules": CLEAN });
    const dash = await runCli(["a.rules", "-", "--format", "json"], { stdin: ERROR, rules, cwd: dashRoot });
    expect(JSON.parse(dash.stdout).map((r: any) => [r.filePath, r.errorCount])).toEqual([["<stdin>", 1], [join(dashRoot, "a.rules"), 0]]);
    const root = makeTree({});
    const named = await runCli(["-", "--stdin-filename", "etc/docker/daemon.json", "--format", "json"], { stdin: '{"iptables": false}', rules, cwd: root });
    expect(JSON.parse(named.stdout)[0]).toMatchObject({ filePath: join(root, "etc/docker/daemon.json"), messages: [{ ruleId: "test-daemon-iptables" }] });
  });

  it("refuses an empty pipe when no file is named", async () => {
    const r = await runCli([], { stdin: "", rules });
    expect([r.code, r.stderr]).toEqual([2, "fwlint: no files to lint and standard input is empty\n"]);
  });

  it("lints a named file whatever its name, sniffing its kind, and --kind / --family override the guess", async () => {
    const root = makeTree({ "host1.save": ERROR, "fw.txt": "#!/bin/sh\niptables -A INPUT -j DROP\n", "settings": '{"iptables": false}' });
    const j = async (args: string[]) => JSON.parse((await runCli([...args, "--format", "json"], { cwd: root, rules })).stdout);
    expect((await j(["host1.save"]))[0].messages.map((m: any) => m.ruleId)).toEqual(["syntax-error"]);
    expect((await j(["fw.txt"]))[0].messages.map((m: any) => m.ruleId)).toEqual(["test-drop"]);
    expect((await j(["settings"]))[0].messages.map((m: any) => m.ruleId)).toEqual(["test-daemon-iptables"]);
    // as iptables, the JSON document is a syntax error
    expect((await j(["settings", "--kind", "iptables"]))[0].messages[0].ruleId).toBe("syntax-error");
    const v6 = await runCli(["-", "--family", "ipv6", "--format", "json"], { stdin: ruleset("-A INPUT -s ::1 -j DROP"), rules });
    expect(JSON.parse(v6.stdout)[0].messages.map((m: any) => m.ruleId)).toEqual(["test-drop"]);
  });

  it("searches directories for the files it understands, scripts only through config", async () => {
    const root = makeTree({
      "etc/iptables/rules.v4": WARN,
      "etc/iptables/rules.v6": CLEAN,
      "etc/docker/daemon.json": '{"iptables": false}',
      "fw/up.sh": "iptables -A INPUT -j DROP\n",
      "notes/README.md": "-A INPUT -j DROP\n",
    });
    const files = async (args: string[]) => JSON.parse((await runCli([...args, "--format", "json"], { cwd: root, rules })).stdout).map((r: any) => r.filePath.slice(root.length + 1));
    expect(await files(["."])).toEqual(["etc/docker/daemon.json", "etc/iptables/rules.v4", "etc/iptables/rules.v6"]);
    expect(await files(["fw/up.sh", "etc/iptables"])).toEqual(["fw/up.sh", "etc/iptables/rules.v4", "etc/iptables/rules.v6"]);
    expect(await files(["etc/**/rules.*"])).toEqual(["etc/iptables/rules.v4", "etc/iptables/rules.v6"]);
  });

  it("honours config include, ignores, --ignore-pattern and --no-ignore, and warns about ignored named files", async () => {
    const root = makeTree({
      ".fwlintrc.json": JSON.stringify({ include: ["fw/*.sh"], ignores: ["legacy/"] }),
      "fw/up.sh": "iptables -A INPUT -j DROP\n",
      "legacy/rules.v4": ERROR,
      "hosts/a.rules": CLEAN,
    });
    const run = (args: string[]) => runCli([...args, "--format", "json"], { cwd: root, rules });
    const paths = (out: string) => JSON.parse(out).map((r: any) => r.filePath.slice(root.length + 1));
    expect(paths((await run(["."])).stdout)).toEqual(["fw/up.sh", "hosts/a.rules"]);
    expect(paths((await run([".", "--no-ignore"])).stdout)).toEqual(["fw/up.sh", "hosts/a.rules", "legacy/rules.v4"]);
    expect(paths((await run([".", "--ignore-pattern", "fw/"])).stdout)).toEqual(["hosts/a.rules"]);
    const named = await run(["legacy/rules.v4"]);
    expect(named.code).toBe(0);
    expect(JSON.parse(named.stdout)).toEqual([
      expect.objectContaining({ filePath: join(root, "legacy/rules.v4"), warningCount: 1, messages: [{ ruleId: null, severity: 1, message: 'File ignored because of a matching ignore pattern. Use "--no-ignore" to disable file ignore settings or use "--no-warn-ignored" to suppress this warning.' }] }),
    ]);
    expect((await runCli(["legacy/rules.v4", "--max-warnings", "0"], { cwd: root, rules })).code).toBe(1);
    expect((await runCli(["legacy/rules.v4", "--max-warnings", "0", "--no-warn-ignored"], { cwd: root, rules })).code).toBe(0);
  });
});

describe("configuration from the command line and files", () => {
  it("--rule changes severities after config; config overrides apply per path", async () => {
    const root = makeTree({
      ".fwlintrc.json": JSON.stringify({ rules: { "test-accept": "error" }, overrides: [{ files: ["lab/**"], rules: { "test-accept": "off" } }] }),
      "prod/rules.v4": WARN,
      "lab/rules.v4": WARN,
    });
    const j = async (args: string[]) => JSON.parse((await runCli([...args, "--format", "json"], { cwd: root, rules })).stdout).map((r: any) => [r.filePath.slice(root.length + 1), r.errorCount, r.warningCount]);
    expect(await j(["."])).toEqual([["lab/rules.v4", 0, 0], ["prod/rules.v4", 2, 0]]);
    // the command line comes last, over overrides too
    expect(await j([".", "--rule", "test-accept: warn"])).toEqual([["lab/rules.v4", 0, 2], ["prod/rules.v4", 0, 2]]);
    expect(await j([".", "--rule", "test-accept: off"])).toEqual([["lab/rules.v4", 0, 0], ["prod/rules.v4", 0, 0]]);
    // repeatable, and never swallows the file names after it
    expect(await j(["--rule", "test-accept: warn", "--rule", "test-accept: off", "--ignore-pattern", "lab/", "prod/rules.v4"])).toEqual([["prod/rules.v4", 0, 0]]);
  });

  it("passes rule options from config and --rule", async () => {
    const root = makeTree({ ".fwlintrc.json": JSON.stringify({ rules: { "test-targets": ["error", { targets: ["ACCEPT"] }] } }), "a.rules": WARN });
    const j = async (args: string[]) => JSON.parse((await runCli(["a.rules", ...args, "--format", "json"], { cwd: root, rules })).stdout)[0].messages.filter((m: any) => m.ruleId === "test-targets").map((m: any) => [m.severity, m.message]);
    expect(await j([])).toEqual([[2, "target ACCEPT is listed"], [2, "target ACCEPT is listed"]]);
    expect(await j(["--rule", 'test-targets: ["warn", {"targets": ["DROP"]}]'])).toEqual([]);
  });

  it("--config uses one file for everything; facts reach the rules", async () => {
    const root = makeTree({ "cfg/strict.json": JSON.stringify({ rules: { "test-accept": "off" }, facts: { externalInterfaces: ["eth0"] } }), "a.rules": WARN });
    const r = await runCli(["a.rules", "--config", "cfg/strict.json"], { cwd: root, rules });
    expect([r.code, r.stdout]).toEqual([0, ""]);
    const missing = await runCli(["a.rules", "-c", "nope.json"], { cwd: root, rules });
    expect([missing.code, missing.stderr]).toEqual([2, `fwlint: invalid configuration ${join(root, "nope.json")}: (document): no such file\n`]);
  });

  it("--print-config shows what applies to a file", async () => {
    const root = makeTree({ ".fwlintrc.json": JSON.stringify({ rules: { "test-accept": "off" }, facts: { dockerVersion: "27.5.1" }, ignores: ["old/"], overrides: [{ files: ["v6/*"], family: "ipv6" }] }) });
    const r = await runCli(["--print-config", "v6/rules.v6", "--rule", "test-drop: warn"], { cwd: root, rules });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: join(root, "v6/rules.v6"),
      configFile: join(root, ".fwlintrc.json"),
      ignored: false,
      family: "ipv6",
      noInlineConfig: false,
      reportUnusedDisableDirectives: "warn",
      facts: { dockerVersion: "27.5.1" },
      rules: { "syntax-error": "error", "test-accept": "off", "test-drop": "warn", "test-targets": ["warn", { targets: ["REJECT"] }], "test-daemon-iptables": "error" },
    });
    expect(JSON.parse((await runCli(["--print-config", "old/rules.v4"], { cwd: root, rules })).stdout).ignored).toBe(true);
  });
});

describe("output options", () => {
  it("--format json has ESLint's shape; --quiet drops warnings but they still count for --max-warnings", async () => {
    const root = makeTree({ "a.rules": ruleset("-A INPUT -j ACCEPT", "-A INPUT -j DROP") });
    const all = JSON.parse((await runCli(["a.rules", "-f", "json"], { cwd: root, rules })).stdout);
    expect(all[0]).toMatchObject({ errorCount: 1, warningCount: 1, fatalErrorCount: 0, fixableErrorCount: 0, fixableWarningCount: 0, usedDeprecatedRules: [], suppressedMessages: [] });
    expect(all[0].messages).toEqual([
      { ruleId: "test-accept", severity: 1, message: "jumps to ACCEPT.", line: 3, column: 1, endLine: 3, endColumn: 19 },
      { ruleId: "test-drop", severity: 2, message: "jumps to DROP.", line: 4, column: 1, endLine: 4, endColumn: 17 },
    ]);
    const quiet = await runCli(["a.rules", "-f", "json", "--quiet"], { cwd: root, rules });
    expect(JSON.parse(quiet.stdout)[0]).toMatchObject({ errorCount: 1, warningCount: 0, messages: [{ ruleId: "test-drop" }] });
    const warnOnly = makeTree({ "w.rules": WARN });
    const q = await runCli(["w.rules", "--quiet", "--max-warnings", "0"], { cwd: warnOnly, rules });
    expect([q.code, q.stdout]).toEqual([1, ""]);
  });

  it("-o writes the report to a file (creating directories) and nothing to stdout", async () => {
    const root = makeTree({ "a.rules": ERROR });
    const r = await runCli(["a.rules", "-f", "sarif", "-o", "reports/fwlint.sarif"], { cwd: root, rules });
    expect([r.code, r.stdout]).toEqual([1, ""]);
    const text = readFileSync(join(root, "reports/fwlint.sarif"), "utf8");
    assertValidSarif(text);
    expect(JSON.parse(text).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe("a.rules");
    const st = await runCli(["a.rules", "-o", "out.txt", "--color"], { cwd: root, rules });
    expect(st.stdout).toBe("");
    expect(readFileSync(join(root, "out.txt"), "utf8")).toContain("\u001b[");
    await runCli(["a.rules", "-o", "plain.txt"], { cwd: root, rules, tty: true });
    expect(readFileSync(join(root, "plain.txt"), "utf8")).not.toContain("\u001b[");
  });

  it("SARIF paths are relative to the repository root, found from .git, whatever the working directory", async () => {
    const root = makeTree({ ".git/HEAD": "ref: refs/heads/main\n", "infra/hosts/rules.v4": ERROR });
    const r = await runCli(["hosts", "--format", "sarif", "--sarif-fingerprints"], { cwd: join(root, "infra"), rules });
    const res = JSON.parse(r.stdout).runs[0].results[0];
    expect(res.locations[0].physicalLocation.artifactLocation).toEqual({ uri: "infra/hosts/rules.v4", uriBaseId: "%SRCROOT%" });
    expect(res.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]+:1$/);
    const gh = await runCli(["hosts", "--format", "github"], { cwd: join(root, "infra"), rules });
    expect(gh.stdout).toBe("::error file=infra/hosts/rules.v4,line=3,col=17,endLine=3,endColumn=24,title=syntax-error::option --dport needs a value\n");
  });

  it("every format runs on the same findings", async () => {
    const root = makeTree({ "a.rules": ruleset("-A INPUT -j ACCEPT", "-A INPUT -p tcp --dport") });
    const out: Record<string, string> = {};
    for (const f of FORMAT_NAMES) {
      const r = await runCli(["a.rules", "-f", f], { cwd: root, rules });
      expect(r.code, f).toBe(1);
      out[f] = r.stdout;
    }
    expect(out.compact).toBe(`${join(root, "a.rules")}: line 3, col 1, Warning - jumps to ACCEPT. (test-accept)\n${join(root, "a.rules")}: line 4, col 17, Error - option --dport needs a value (syntax-error)\n\n2 problems\n`);
    expect(JSON.parse(out.gitlab!).map((i: any) => [i.check_name, i.severity, i.location.path])).toEqual([["test-accept", "minor", "a.rules"], ["syntax-error", "major", "a.rules"]]);
    expect([...out.checkstyle!.matchAll(/<error line="(\d+)" column="(\d+)" severity="(\w+)"/g)].map((m) => m.slice(1).join(":"))).toEqual(["3:1:warning", "4:17:error"]);
    expect([...out.junit!.matchAll(/<testcase time="0" name="([^"]+)"/g)].map((m) => m[1])).toEqual(["fwlint.test-accept", "fwlint.syntax-error"]);
  });
});

describe("information", () => {
  it("--list-rules lists every registered rule, as a table or JSON", async () => {
    const text = await runCli(["--list-rules"]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Rule\s+Severity\s+Category\s+Description$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(lintRules.map((r) => r.id));
    const json = JSON.parse((await runCli(["--list-rules", "--format", "json"])).stdout);
    expect(json.map((r: any) => r.id)).toEqual(lintRules.map((r) => r.id));
    expect(json[0]).toMatchObject({ id: "syntax-error", language: "iptables", severity: "error", hasOptions: false });
  });

  it("--explain prints every registered rule's documentation", async () => {
    for (const rule of lintRules) {
      const r = await runCli(["--explain", rule.id]);
      expect(r.code, rule.id).toBe(0);
      expect(r.stdout.startsWith(`${rule.id}: ${rule.description}\n`), rule.id).toBe(true);
      for (const part of ["Rationale", "Problematic", "Correct", "Suppressing", rule.docs.rationale.trim().split("\n")[0]!]) expect(r.stdout, `${rule.id}: ${part}`).toContain(part);
    }
    const unknown = await runCli(["--explain", "syntax-eror"]);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'fwlint: unknown rule "syntax-eror" (did you mean "syntax-error"?); fwlint --list-rules lists them\n']);
  });

  it("--version and --help print to stdout and exit 0", async () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    expect(await runCli(["--version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const option of ["--stdin-filename", "--kind", "--family", "--format", "--output-file", "--max-warnings", "--quiet", "--config", "--rule", "--list-rules", "--explain", "--print-config", "--color", "--version", "--help", "--debug", "--baseline", "--baseline-write", "--report-unused-disable-directives", "Exit codes"]) {
      expect(help.stdout).toContain(option);
    }
  });

  it("the README's Usage section documents every option --help lists", async () => {
    const help = (await runCli(["--help"])).stdout;
    const readme = readFileSync("README.md", "utf8");
    const usage = readme.slice(readme.indexOf("## Usage"), readme.indexOf("\n## ", readme.indexOf("## Usage") + 1));
    const options = [...new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!))];
    expect(options.length).toBeGreaterThan(25);
    // boolean options that default to true are documented by their --no- form
    const mentions = (o: string) => new RegExp(`(^|[\\s\`,])${o}(?![a-z-])`, "m").test(usage);
    const documented = (o: string) => mentions(o) || mentions(`--no-${o.slice(2)}`);
    expect(options.filter((o) => !documented(o))).toEqual([]);
  });

  it("--debug says which config each file uses, on stderr", async () => {
    const root = makeTree({ ".fwlintrc.json": "{}", "a.rules": CLEAN });
    const r = await runCli(["a.rules", "--debug"], { cwd: root, rules });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`fwlint:debug ${join(root, "a.rules")}: config ${join(root, ".fwlintrc.json")}`);
  });
});

describe("suppressions through the CLI", () => {
  it("reports unused directives as warnings by default, as errors with --report-unused-disable-directives, or not at all", async () => {
    const root = makeTree({ "a.rules": ruleset("# fwlint-disable-next-line test-drop -- not needed any more", "-A INPUT -j RETURN") });
    const def = await runCli(["a.rules"], { cwd: root, rules });
    expect(def.code).toBe(0);
    expect(def.stdout).toContain("3:1  warning  Unused fwlint-disable-next-line directive (no problems were reported from 'test-drop')  fwlint/unused-disable-directive");
    expect((await runCli(["a.rules", "--report-unused-disable-directives"], { cwd: root, rules })).code).toBe(1);
    expect((await runCli(["a.rules", "--report-unused-disable-directives-severity", "off"], { cwd: root, rules })).stdout).toBe("");
    expect((await runCli(["a.rules", "--report-unused-disable-directives-severity", "2"], { cwd: root, rules })).code).toBe(1);
    const cfg = makeTree({ ".fwlintrc.json": '{"reportUnusedDisableDirectives": "off"}', "a.rules": ruleset("# fwlint-disable-next-line test-drop", "-A INPUT -j RETURN") });
    expect((await runCli(["a.rules"], { cwd: cfg, rules })).stdout).toBe("");
  });

  it("--no-inline-config reports what directives would hide; JSON lists suppressed findings with reasons", async () => {
    const root = makeTree({ "a.rules": ruleset("# fwlint-disable-next-line test-drop -- lab", "-A INPUT -j DROP") });
    const j = JSON.parse((await runCli(["a.rules", "-f", "json"], { cwd: root, rules })).stdout)[0];
    expect(j.messages).toEqual([]);
    expect(j.suppressedMessages).toEqual([{ ruleId: "test-drop", severity: 2, message: "jumps to DROP.", line: 4, column: 1, endLine: 4, endColumn: 17, suppressions: [{ kind: "directive", justification: "lab" }] }]);
    expect((await runCli(["a.rules", "--no-inline-config"], { cwd: root, rules })).code).toBe(1);
  });

  it("daemon.json findings are suppressed through config overrides", async () => {
    const root = makeTree({ ".fwlintrc.json": JSON.stringify({ overrides: [{ files: ["lab/daemon.json"], rules: { "test-daemon-iptables": "off" } }] }), "lab/daemon.json": '{"iptables": false}', "prod/daemon.json": '{"iptables": false}' });
    const r = await runCli([".", "-f", "json"], { cwd: root, rules });
    expect(JSON.parse(r.stdout).map((x: any) => [x.filePath.slice(root.length + 1), x.errorCount])).toEqual([["lab/daemon.json", 0], ["prod/daemon.json", 1]]);
  });

  it("the real registry lints the bundled examples without crashing", async () => {
    const r = await runCli(["fixtures/examples", "--format", "json"]);
    expect([0, 1]).toContain(r.code);
    expect(JSON.parse(r.stdout).map((x: any) => x.filePath.split("/").pop()).sort()).toEqual(["daemon.json", "docker-host.rules"]);
    expect(existsSync("fixtures/examples/docker-host.rules")).toBe(true);
  });
});
