/**
 * The bin's start-up from V8's code cache (src/bin/code-cache.ts, made by scripts/code-cache.mjs during the
 * build): the built cache is used, it gives the same reports as the unbundled program, and a cache that does not
 * belong to the bundle beside it (another build, damaged, absent) is not used and changes nothing but speed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_FILE, PROGRAM_FILE } from "../src/bin/code-cache.js";
import { builtCli } from "./support/build.js";

const root = process.cwd();
const loader = resolve("dist/src/bin/code-cache.js");
let bundleDir = "";
let scratch = "";

beforeAll(() => {
  bundleDir = resolve(builtCli(), "..");
  // Beside a node_modules, as in the package: the program loads some dependencies at run time.
  scratch = mkdtempSync(join(root, "node_modules", ".fwlint-code-cache-"));
}, 120_000);
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** How a copy of the bundle in `dir` is compiled, read in a fresh process. */
function cacheUse(dir: string): string {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import { loadProgram } from ${JSON.stringify(`file://${loader}`)}; console.log(loadProgram(${JSON.stringify(dir)}).cache);`], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout.trim();
}

const lint = (bin: string, extra: string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [bin, "--format", "json", ...extra, "fixtures/examples", "fixtures/rules/unreachable-rule"], { cwd: root, encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });

/** A copy of the built bundle, its program changed by `edit` (same length) and its cache by `cache`. */
function copy(name: string, edit: (program: string) => string, cache: (data: Buffer) => Buffer | null): string {
  const dir = join(scratch, name);
  cpSync(bundleDir, dir, { recursive: true });
  const program = readFileSync(join(dir, PROGRAM_FILE), "utf8");
  const edited = edit(program);
  expect(edited.length).toBe(program.length);
  writeFileSync(join(dir, PROGRAM_FILE), edited);
  const data = cache(readFileSync(join(dir, CACHE_FILE)));
  if (data === null) rmSync(join(dir, CACHE_FILE));
  else writeFileSync(join(dir, CACHE_FILE), data);
  return dir;
}

describe("the bin's code cache", () => {
  it("is made by the build and used by the bin, which reports as the unbundled program does", () => {
    expect(cacheUse(bundleDir)).toBe("used");
    const bundled = lint(builtCli());
    const plain = lint(resolve("dist/src/cli.js"));
    expect(bundled.stderr).toBe("");
    expect(bundled.status).toBe(1);
    expect(JSON.parse(bundled.stdout).length).toBe(JSON.parse(plain.stdout).length);
    expect(bundled.stdout).toBe(plain.stdout);
  });

  it("is not used for another bundle of the same length, nor when absent or damaged; the bin runs the same", () => {
    const expected = lint(builtCli()).stdout;
    // The banner's variable renamed: same length, so V8 alone (which compares lengths) would take the cache.
    const other = copy("other", (p) => p.replace("var __fwlintUrl", "var __fwlintUrX").replaceAll("__fwlintUrl", "__fwlintUrX"), (d) => d);
    const missing = copy("missing", (p) => p, () => null);
    const damaged = copy("damaged", (p) => p, (d) => Buffer.concat([d.subarray(0, 32), Buffer.alloc(d.length - 32, 7)]));
    expect([cacheUse(other), cacheUse(missing), cacheUse(damaged)]).toEqual(["other-bundle", "missing", "refused"]);
    for (const dir of [other, missing, damaged]) {
      const r = lint(join(dir, "cli.js"));
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(expected);
    }
  });

  it("says with --debug how the program was compiled; V8 refuses the cache under other V8 flags, and the report is the same", () => {
    const expected = lint(builtCli()).stdout;
    const used = lint(builtCli(), ["--debug"]);
    expect(used.stderr.split("\n")[0]).toMatch(/^fwlint:debug program loaded in \d+ ms, compiled from its code cache \(fwlint\.cjs\.cache\)$/);
    const refused = lint(builtCli(), ["--debug"], { NODE_OPTIONS: "--max-old-space-size=4096" });
    expect(refused.stderr.split("\n")[0]).toMatch(/compiled without its code cache: V8 refused fwlint\.cjs\.cache: .*other V8 flags/);
    expect([used.stdout, refused.stdout]).toEqual([expected, expected]);
    const missing = lint(join(copy("missing-debug", (p) => p, () => null), "cli.js"), ["--debug"]);
    expect(missing.stderr.split("\n")[0]).toMatch(/compiled without its code cache: fwlint\.cjs\.cache is missing/);
  });
});
