/**
 * Short runs ask V8 to optimise later, and `--concurrency` on every CPU turns V8's helper threads off
 * (src/commands/tiering.ts). Only speed may depend on either: the same commands give byte-identical output
 * with V8's defaults (FWLINT_V8_DEFAULT_TIERING=1, FWLINT_V8_DEFAULT_THREADS=1).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
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
