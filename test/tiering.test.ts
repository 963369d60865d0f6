/**
 * Short runs ask V8 to optimise later, `--concurrency` on every CPU turns V8's helper threads off, and a large
 * lint collects garbage before the packet model is built (src/commands/tiering.ts). Only speed and memory may
 * depend on them: the same commands give byte-identical output with V8's defaults (FWLINT_V8_DEFAULT_TIERING=1,
 * FWLINT_V8_DEFAULT_THREADS=1, FWLINT_V8_DEFAULT_GC=1).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { builtCli } from "./support/build.js";

let CLI = "";
beforeAll(() => {
  CLI = builtCli();
}, 120_000);

const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("short-run tiering", () => {
  it("is set once per process and not at all when FWLINT_V8_DEFAULT_TIERING=1", () => {
    const mod = resolve("dist/src/commands/tiering.js");
    const probe = `import("${mod}").then((t) => console.log(JSON.stringify([t.preferShortRunTiering({ FWLINT_V8_DEFAULT_TIERING: "1" }), t.preferShortRunTiering({}), t.preferShortRunTiering({})])))`;
    const r = run(["-e", probe]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([false, true, false]);
  });

  const host = "fixtures/examples/docker-host.rules";
  const commands: [string, string[]][] = [
    ["exposure", ["exposure", "--format", "json", host]],
    ["trace", ["trace", host, "--in", "eth0", "--src", "198.51.100.7", "--dst", "203.0.113.10", "--proto", "tcp", "--dport", "8080", "--format", "json"]],
    ["lint", ["--format", "json", host]],
  ];
  it.each(commands)("%s gives the same output either way", (_name, args) => {
    const tuned = run([CLI, ...args]);
    const plain = run([CLI, ...args], { FWLINT_V8_DEFAULT_TIERING: "1" });
    expect(tuned.stderr).toBe("");
    expect(tuned.code).toBe(plain.code);
    expect(tuned.stdout.length).toBeGreaterThan(100);
    expect(tuned.stdout).toBe(plain.stdout);
  });
});

describe("V8 helper threads under --concurrency", () => {
  it("are turned off once, only when the lint threads take every CPU, and not when FWLINT_V8_DEFAULT_THREADS=1", () => {
    const mod = resolve("dist/src/commands/tiering.js");
    const calls = "[t.quietHelperThreads(2, 2, { FWLINT_V8_DEFAULT_THREADS: '1' }), t.quietHelperThreads(1, 1, {}), t.quietHelperThreads(2, 4, {}), t.quietHelperThreads(4, 4, {}), t.quietHelperThreads(8, 4, {})]";
    const probe = `import("${mod}").then((t) => console.log(JSON.stringify(${calls})))`;
    const r = run(["-e", probe]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([false, false, false, true, false]);
  });

  it("a directory linted on two threads gives the same report either way", () => {
    const dir = "fixtures/rules"; // 79 files in as many groups: the worker takes some
    const tuned = run([CLI, "--format", "json", "--concurrency", "2", dir]);
    const plain = run([CLI, "--format", "json", "--concurrency", "2", dir], { FWLINT_V8_DEFAULT_THREADS: "1" });
    const alone = run([CLI, "--format", "json", dir]);
    expect(tuned.stderr).toBe("");
    expect(tuned.stdout.length).toBeGreaterThan(100);
    expect(tuned.stdout).toBe(plain.stdout);
    expect(tuned.stdout).toBe(alone.stdout);
    expect(tuned.code).toBe(alone.code);
  });
});

describe("a full collection before the packet model of a large file", () => {
  it("is V8's collection (it frees garbage), and none when FWLINT_V8_DEFAULT_GC=1", () => {
    const mod = resolve("dist/src/commands/tiering.js");
    const probe = `import("${mod}").then((t) => {
      const off = t.fullCollection({ FWLINT_V8_DEFAULT_GC: "1" });
      const gc = t.fullCollection({});
      let junk = Array.from({ length: 300000 }, (_, i) => ({ i, s: "x" + i }));
      const before = process.memoryUsage().heapUsed;
      junk = null;
      gc();
      const after = process.memoryUsage().heapUsed;
      console.log(JSON.stringify({ off, same: t.fullCollection({}) === gc, kind: typeof gc, freedMb: (before - after) / 1048576 }));
    })`;
    const r = run(["-e", probe]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { off: null; same: boolean; kind: string; freedMb: number };
    expect(out.off).toBeNull();
    expect(out.kind).toBe("function");
    expect(out.same).toBe(true);
    // 300,000 small objects and strings: well over 10 MB
    expect(out.freedMb).toBeGreaterThan(10);
  });

  it("runs on a file of 2 MB or more, shows as the collect phase, and changes no result", () => {
    const dir = mkdtempSync(join(tmpdir(), "fwlint-gc-"));
    const big = join(dir, "big.rules");
    const small = join(dir, "small.rules");
    const dump = readFileSync("fixtures/examples/docker-host.rules", "utf8");
    writeFileSync(big, `# ${"padding ".repeat(260_000)}\n${dump}`);
    writeFileSync(small, dump);
    const timed = (file: string, env: Record<string, string> = {}) => {
      const r = run([CLI, "--format", "json", file], { FWLINT_TIMING: "1", ...env });
      const line = r.stderr.split("\n").find((l) => l.startsWith('{"fwlintTiming"'));
      return { ...r, phases: (JSON.parse(line!) as { fwlintTiming: Record<string, number> }).fwlintTiming };
    };
    const collected = timed(big);
    const plain = timed(big, { FWLINT_V8_DEFAULT_GC: "1" });
    expect(collected.phases.collect).toBeGreaterThan(0);
    expect(plain.phases.collect).toBeUndefined();
    expect(timed(small).phases.collect).toBeUndefined();
    expect(collected.code).toBe(plain.code);
    expect(collected.stdout.length).toBeGreaterThan(100);
    expect(collected.stdout).toBe(plain.stdout);
  });
});
