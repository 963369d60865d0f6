/**
 * Short runs ask V8 to optimise later (src/commands/tiering.ts). Only speed may depend on it: the same
 * commands give byte-identical output with V8's default tiering (FWLINT_V8_DEFAULT_TIERING=1).
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
