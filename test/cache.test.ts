/**
 * `--cache`: results come back from the cache file exactly as a fresh lint gives them, and only while the
 * files' text, their configuration, the rules and the program are unchanged. The cache file is never trusted
 * blindly (another program, another format, damage) and never breaks a run (unwritable: a message, the
 * same results and exit code).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheFilePath, CACHE_FORMAT, DEFAULT_CACHE_FILE, groupKey, LintCache, programIdentity } from "../src/commands/cache.js";
import type { LintInput } from "../src/lint.js";
import { lintRules } from "../rules/index.js";
import { builtCli } from "./support/build.js";
import { makeTree, runCli } from "./support/cli.js";
import { testRules } from "./support/test-rules.js";

const ruleset = (...lines: string[]) => ["*filter", ":INPUT DROP [0:0]", ...lines, "COMMIT", ""].join("\n");
const DOCKER_DUMP = readFileSync("fixtures/rules/docker-config-mismatch/project-stale/host.rules", "utf8");
const DAEMON = readFileSync("fixtures/rules/docker-config-mismatch/project-stale/daemon.json", "utf8");

/** The `fwlint:debug cache: …` line of a run: how many groups the cache answered. */
const answered = (stderr: string) => /fwlint:debug cache: (\d+) of (\d+) group\(s\) answered/.exec(stderr)?.slice(1, 3).map(Number);
const cacheOf = (root: string, name = DEFAULT_CACHE_FILE) => JSON.parse(readFileSync(join(root, name), "utf8"));

describe("--cache through the CLI", () => {
  it("answers unchanged files from the cache with the same report, and lints again only what changed", async () => {
    const root = makeTree({
      "a/rules.v4": ruleset("-A INPUT -j ACCEPT", "-A INPUT -p tcp --dport"),
      "b/rules.v4": ruleset("-A INPUT -j DROP # fwlint-disable-line test-drop -- reviewed"),
      "c/rules.v4": ruleset("-A INPUT -j RETURN"),
    });
    const rules = testRules;
    const plain = await runCli([".", "-f", "json"], { cwd: root, rules });
    const first = await runCli([".", "-f", "json", "--cache", "--debug"], { cwd: root, rules });
    expect(answered(first.stderr)).toEqual([0, 3]);
    expect(first.stderr).toContain("no cache file yet");
    expect(existsSync(join(root, DEFAULT_CACHE_FILE))).toBe(true);
    const second = await runCli([".", "-f", "json", "--cache", "--debug"], { cwd: root, rules });
    expect(answered(second.stderr)).toEqual([3, 3]);
    // the same report and exit code as without the cache: findings, suppressed findings, counts, sources
    for (const r of [first, second]) expect([r.code, r.stdout]).toEqual([plain.code, plain.stdout]);
    const stylish = await runCli(["."], { cwd: root, rules });
    expect(await runCli([".", "--cache"], { cwd: root, rules })).toEqual(stylish);

    // one file changes: only its group is linted, and its new findings are reported
    writeFileSync(join(root, "c/rules.v4"), ruleset("-A INPUT -j ACCEPT"));
    const third = await runCli([".", "-f", "json", "--cache", "--debug"], { cwd: root, rules });
    expect(answered(third.stderr)).toEqual([2, 3]);
    expect(third.stdout).toBe((await runCli([".", "-f", "json"], { cwd: root, rules })).stdout);
    expect(JSON.parse(third.stdout).find((r: { filePath: string }) => r.filePath.endsWith("c/rules.v4")).messages.map((m: { ruleId: string }) => m.ruleId)).toEqual(["test-accept"]);
    // the cache holds one entry per file, the changed file's old entry replaced
    expect(Object.values(cacheOf(root).entries).map((e) => (e as { files: string[] }).files.map((f) => f.slice(root.length + 1)))).toEqual([["a/rules.v4"], ["b/rules.v4"], ["c/rules.v4"]]);
  });

  it("lints again when the configuration, a --rule flag or the rule set changes", async () => {
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT", "-A INPUT -j DROP") });
    const rules = testRules;
    await runCli(["rules.v4", "--cache"], { cwd: root, rules });
    expect(answered((await runCli(["rules.v4", "--cache", "--debug"], { cwd: root, rules })).stderr)).toEqual([1, 1]);
    const off = await runCli(["rules.v4", "--cache", "--debug", "-f", "json", "--rule", "test-accept: off"], { cwd: root, rules });
    expect(answered(off.stderr)).toEqual([0, 1]);
    expect(JSON.parse(off.stdout)[0].messages.map((m: { ruleId: string }) => m.ruleId)).not.toContain("test-accept");
    writeFileSync(join(root, ".fwlintrc.json"), JSON.stringify({ rules: { "test-drop": "off" } }));
    const configured = await runCli(["rules.v4", "--cache", "--debug", "-f", "json"], { cwd: root, rules });
    expect(answered(configured.stderr)).toEqual([0, 1]);
    expect(JSON.parse(configured.stdout)[0].messages.map((m: { ruleId: string }) => m.ruleId)).not.toContain("test-drop");
    // other rules (another plugin set, here the real rules): not the test rules' results
    rmSync(join(root, ".fwlintrc.json"));
    const real = await runCli(["rules.v4", "--cache", "--debug", "-f", "json"], { cwd: root });
    expect(answered(real.stderr)).toEqual([0, 1]);
    expect(real.stdout).toBe((await runCli(["rules.v4", "-f", "json"], { cwd: root })).stdout);
  });

  it("caches a dump and its daemon.json linted together as one group", async () => {
    const root = makeTree({ "host/rules.v4": DOCKER_DUMP, "host/daemon.json": DAEMON });
    const plain = await runCli(["host", "-f", "json"], { cwd: root });
    expect(JSON.parse(plain.stdout).flatMap((r: { messages: { ruleId: string }[] }) => r.messages.map((m) => m.ruleId))).toContain("docker-config-mismatch");
    await runCli(["host", "--cache"], { cwd: root });
    const again = await runCli(["host", "-f", "json", "--cache", "--debug"], { cwd: root });
    expect(answered(again.stderr)).toEqual([1, 1]);
    expect(again.stdout).toBe(plain.stdout);
    // the daemon.json changes: the dump's findings about it must be recomputed too
    writeFileSync(join(root, "host/daemon.json"), "{}\n");
    const changed = await runCli(["host", "-f", "json", "--cache", "--debug"], { cwd: root });
    expect(answered(changed.stderr)).toEqual([0, 1]);
    expect(changed.stdout).toBe((await runCli(["host", "-f", "json"], { cwd: root })).stdout);
    expect(changed.stdout).not.toBe(plain.stdout);
  });

  it("gives the same results with --concurrency, answering cached groups without the workers", async () => {
    const root = makeTree(Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`h${k}/rules.v4`, ruleset(`-A INPUT -s 192.0.2.${k} -j ACCEPT`)])));
    const plain = await runCli([".", "-f", "json"], { cwd: root });
    await runCli([".", "--cache", "--concurrency", "2"], { cwd: root });
    writeFileSync(join(root, "h1/rules.v4"), ruleset("-A INPUT -j DROP", "-A INPUT -j DROP"));
    writeFileSync(join(root, "h2/rules.v4"), ruleset("-A INPUT -p tcp --dport"));
    const mixed = await runCli([".", "-f", "json", "--cache", "--concurrency", "2", "--debug"], { cwd: root });
    expect(answered(mixed.stderr)).toEqual([2, 4]);
    // the two changed files went to the main thread and a worker
    expect(mixed.stderr).toMatch(/linted 2 file\(s\) in 2 group\(s\) on the main thread and 1 worker thread/);
    expect(mixed.stdout).toBe((await runCli([".", "-f", "json"], { cwd: root })).stdout);
    expect(mixed.stdout).not.toBe(plain.stdout);
  });

  it("never caches standard input", async () => {
    const root = makeTree({});
    const text = ruleset("-A INPUT -j ACCEPT");
    for (let i = 0; i < 2; i++) {
      const r = await runCli(["-", "--stdin-filename", "rules.v4", "--cache", "--debug"], { cwd: root, stdin: text, rules: testRules });
      expect(answered(r.stderr)).toEqual([0, 1]);
    }
    expect(cacheOf(root).entries).toEqual({});
  });

  it("keeps the entries of files this run did not lint, drops those of deleted files", async () => {
    const root = makeTree({ "a.rules": ruleset("-A INPUT -j ACCEPT"), "b.rules": ruleset("-A INPUT -j DROP"), "c.rules": ruleset() });
    const rules = testRules;
    await runCli([".", "--cache"], { cwd: root, rules });
    await runCli(["a.rules", "--cache"], { cwd: root, rules });
    expect(answered((await runCli([".", "--cache", "--debug"], { cwd: root, rules })).stderr)).toEqual([3, 3]);
    rmSync(join(root, "c.rules"));
    await runCli(["a.rules", "--cache"], { cwd: root, rules });
    const files = Object.values(cacheOf(root).entries).flatMap((e) => (e as { files: string[] }).files.map((f) => f.slice(root.length + 1)));
    expect(files.sort()).toEqual(["a.rules", "b.rules"]);
  });

  it("--cache-location: a file, or a directory holding a file named after the working directory", async () => {
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT"), "work/.keep": "" });
    const rules = testRules;
    await runCli(["rules.v4", "--cache", "--cache-location", "out/lint.cache"], { cwd: root, rules });
    expect(cacheOf(root, "out/lint.cache").fwlintCache).toBe(CACHE_FORMAT);
    expect(existsSync(join(root, DEFAULT_CACHE_FILE))).toBe(false);
    await runCli(["rules.v4", "--cache", "--cache-location", "work"], { cwd: root, rules });
    const inDir = cacheFilePath(root, "work");
    expect(inDir).toMatch(new RegExp(`/work/\\${DEFAULT_CACHE_FILE}_[0-9a-f]{16}$`));
    expect(existsSync(inDir)).toBe(true);
    expect(cacheFilePath(root, "new-dir/")).toMatch(new RegExp(`/new-dir/\\${DEFAULT_CACHE_FILE}_[0-9a-f]{16}$`));
    expect(cacheFilePath(root, undefined)).toBe(join(root, DEFAULT_CACHE_FILE));
    // --cache-strategy is accepted (ESLint command lines) and compares contents either way
    const r = await runCli(["rules.v4", "--cache", "--cache-strategy", "metadata", "--cache-location", "out/lint.cache", "--debug"], { cwd: root, rules });
    expect(answered(r.stderr)).toEqual([1, 1]);
    expect((await runCli(["rules.v4", "--cache", "--cache-strategy", "mtime"], { cwd: root, rules })).code).toBe(2);
  });

  it("replaces a damaged cache, or one of another program or format, and lints everything", async () => {
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT") });
    const rules = testRules;
    const plain = await runCli(["rules.v4", "-f", "json"], { cwd: root, rules });
    const cases: [string, RegExp][] = [
      ["{ not json", /not one fwlint wrote/],
      ['{"fwlintCache": 1, "program": "x", "entries": []}', /not one fwlint wrote/],
      [JSON.stringify({ fwlintCache: CACHE_FORMAT + 1, stuff: true }), /another format/],
      [JSON.stringify({ fwlintCache: CACHE_FORMAT, program: "bundle:0000", entries: {} }), /another fwlint build or version/],
    ];
    for (const [text, why] of cases) {
      writeFileSync(join(root, DEFAULT_CACHE_FILE), text);
      const r = await runCli(["rules.v4", "-f", "json", "--cache", "--debug"], { cwd: root, rules });
      expect(r.stderr).toMatch(why);
      expect(answered(r.stderr)).toEqual([0, 1]);
      expect([r.code, r.stdout]).toEqual([plain.code, plain.stdout]);
      expect(cacheOf(root).program).toBe(programIdentity());
    }
    // a cache whose entry was edited to name other files is not believed
    const cache = cacheOf(root);
    const key = Object.keys(cache.entries)[0]!;
    cache.entries[key].files = ["/elsewhere/rules.v4"];
    writeFileSync(join(root, DEFAULT_CACHE_FILE), JSON.stringify(cache));
    expect(answered((await runCli(["rules.v4", "--cache", "--debug"], { cwd: root, rules })).stderr)).toEqual([0, 1]);
  });

  it.skipIf(process.getuid?.() === 0)("a cache that cannot be written is reported, and changes neither the report nor the exit code", async () => {
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT"), "ro/.keep": "" });
    chmodSync(join(root, "ro"), 0o555);
    const rules = testRules;
    const plain = await runCli(["rules.v4"], { cwd: root, rules });
    const r = await runCli(["rules.v4", "--cache", "--cache-location", "ro/cache"], { cwd: root, rules });
    expect([r.code, r.stdout]).toEqual([plain.code, plain.stdout]);
    expect(r.stderr).toBe("fwlint: cannot write cache ro/cache: permission denied\n");
  });

  it("a cache location that cannot be a file is reported, and changes neither the report nor the exit code", async () => {
    // works as root too: a path through a regular file is never writable
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT"), "plain-file": "x" });
    const rules = testRules;
    const plain = await runCli(["rules.v4"], { cwd: root, rules });
    const r = await runCli(["rules.v4", "--cache", "--cache-location", "plain-file/cache"], { cwd: root, rules });
    expect([r.code, r.stdout]).toEqual([plain.code, plain.stdout]);
    expect(r.stderr).toBe("fwlint: cannot write cache plain-file/cache: a part of the path is not a directory\n");
  });

  it("FWLINT_TIMING reports the cache's own time as a phase", async () => {
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT") });
    const r = await runCli(["rules.v4", "--cache"], { cwd: root, rules: testRules, env: { FWLINT_TIMING: "1" } });
    const timing = JSON.parse(r.stderr.trim().split("\n").pop()!).fwlintTiming;
    expect(typeof timing.cache).toBe("number");
    expect(timing.cache).toBeGreaterThanOrEqual(0);
  });
});

describe("--cache with the built program", () => {
  it("names the bundle by its SHA-256, and a copy of the bundle that differs is another program", () => {
    const cli = builtCli();
    const bundle = join(cli, "..", "fwlint.cjs");
    const root = makeTree({ "rules.v4": ruleset("-A INPUT -j ACCEPT", "-A INPUT -p tcp --dport") });
    const run = () => spawnSync(process.execPath, [cli, "rules.v4", "-f", "json", "--cache", "--debug"], { cwd: root, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    const first = run();
    const second = run();
    expect(cacheOf(root).program).toBe(`bundle:${createHash("sha256").update(readFileSync(bundle)).digest("hex")}`);
    expect(answered(first.stderr)).toEqual([0, 1]);
    expect(answered(second.stderr)).toEqual([1, 1]);
    expect([second.status, second.stdout]).toEqual([first.status, first.stdout]);
    expect(first.status).toBe(1);
    // another build of fwlint: its cache is replaced
    const cache = cacheOf(root);
    writeFileSync(join(root, DEFAULT_CACHE_FILE), JSON.stringify({ ...cache, program: `bundle:${"0".repeat(64)}` }));
    const third = run();
    expect(third.stderr).toMatch(/written by another fwlint build or version/);
    expect(answered(third.stderr)).toEqual([0, 1]);
    expect(third.stdout).toBe(first.stdout);
  }, 120_000);
});

describe("group keys", () => {
  const input = (over: Partial<LintInput> = {}): LintInput => ({ text: ruleset("-A INPUT -j ACCEPT"), filePath: "/h/rules.v4", config: { rules: { a: { severity: "error" }, b: { severity: "warning", options: { x: 1, y: [2] } } }, facts: {} }, ...over });
  const key = (inputs: LintInput[], rules = lintRules) => groupKey(inputs, rules);

  it("are equal for equal inputs, whatever order the configuration's keys were written in", () => {
    const reordered = input({ config: { facts: {}, rules: { b: { options: { y: [2], x: 1 }, severity: "warning" }, a: { severity: "error" } } } });
    expect(key([input()])).toBe(key([input()]));
    expect(key([reordered])).toBe(key([input()]));
  });

  it("change with the text, the path, the configuration, kind, family, the group's other files and the rules", () => {
    const base = key([input()]);
    const variants = [
      key([input({ text: ruleset("-A INPUT -j DROP") })]),
      key([input({ text: `${ruleset("-A INPUT -j ACCEPT")} ` })]),
      key([input({ filePath: "/h2/rules.v4" })]),
      key([input({ config: { rules: { a: { severity: "warning" } }, facts: {} } })]),
      key([input({ config: { rules: {}, facts: { dockerHost: true } } as never })]),
      key([input({ config: { rules: {}, facts: {}, linterOptions: { noInlineConfig: true } } })]),
      key([input({ kind: "script" })]),
      key([input({ family: "ipv6" })]),
      key([input(), input({ filePath: "/h/daemon.json", text: "{}" })]),
      key([input()], lintRules.slice(1)),
    ];
    expect(variants.every((k) => typeof k === "string" && k !== base)).toBe(true);
    expect(new Set(variants).size).toBe(variants.length);
  });

  it("are undefined for a group with standard input in it", () => {
    expect(key([input({ filePath: undefined })])).toBeUndefined();
    expect(key([input(), input({ filePath: undefined })])).toBeUndefined();
  });
});

describe("the cache file", () => {
  it("is written whole or not at all, and read back entry for entry", () => {
    const root = makeTree({});
    const path = join(root, "sub/dir/cache");
    const inputs: LintInput[] = [{ text: "x", filePath: join(root, "a.rules") }];
    writeFileSync(inputs[0]!.filePath!, "x");
    const empty = LintCache.open(path, "p1");
    expect(empty.miss).toBe("absent");
    const report = { filePath: inputs[0]!.filePath, kind: "iptables" as const, messages: [], suppressedMessages: [], errorCount: 0, warningCount: 0, fatalErrorCount: 0, source: "x" };
    empty.set("k", inputs, [report]);
    empty.save();
    expect(existsSync(`${path}.${process.pid}.tmp`)).toBe(false);
    const back = LintCache.open(path, "p1");
    expect(back.miss).toBeUndefined();
    expect(back.get("k", inputs)).toEqual([report]);
    expect(back.get("other", inputs)).toBeUndefined();
    expect(LintCache.open(path, "p2").miss).toBe("other-program");
    mkdirSync(join(root, "unreadable"));
    expect(LintCache.open(join(root, "unreadable"), "p1").miss).toBe("unreadable");
  });
});
