/**
 * Loading the bundled program with V8's code cache: the `fwlint` bin's start-up.
 *
 * Every run of the bin used to spend about 50 ms of its start-up on V8 parsing and compiling the 1.1 MB bundle
 * and then, function by function, compiling what the run called. `npm run build` runs the program once over a
 * few examples and keeps what V8 compiled (`vm.Script#createCachedData`) beside the bundle; the bin hands it
 * back to V8, which then skips that work. The bundle is CommonJS for this (`fwlint.cjs`): V8's code cache is
 * offered to classic scripts, not to ES modules, in Node 20.
 *
 * The cache file starts with the SHA-256 of the bundle it was made from, so a cache left from another build is
 * never used (V8 itself only compares the source's length). V8 refuses a cache made by another V8 version or
 * with other V8 flags (`NODE_OPTIONS=--max-old-space-size=…`, say); without a cache, or with one refused, the
 * program is compiled as usual and runs the same, only later. This is an edge module: the process, not the
 * analysis.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { constants, Script } from "node:vm";
import type * as Program from "../cli.js";

/** The bundled program, beside the bin (scripts/bundle.mjs). */
export const PROGRAM_FILE = "fwlint.cjs";
/** Its code cache: the bundle's SHA-256, then V8's data. */
export const CACHE_FILE = "fwlint.cjs.cache";

const DIGEST_BYTES = 32;

/**
 * How the program was compiled: from the cache, or without it because there was none, it belonged to another
 * bundle, or V8 refused it.
 */
export type CacheUse = "used" | "missing" | "other-bundle" | "refused";

export interface LoadedProgram {
  /** The program's exports: `main`, `run`. */
  readonly program: typeof Program;
  readonly cache: CacheUse;
  /** The cache V8 would write now: the digest and what V8 has compiled of the program so far. */
  makeCache(): Buffer;
}

/** Compile and evaluate the bundled program in `dir`, from its code cache when that fits. */
export function loadProgram(dir: string): LoadedProgram {
  const file = join(dir, PROGRAM_FILE);
  const bytes = readFileSync(file);
  const digest = createHash("sha256").update(bytes).digest();
  let cachedData: Buffer | undefined;
  let cache: CacheUse = "missing";
  try {
    const stored = readFileSync(join(dir, CACHE_FILE));
    if (stored.length > DIGEST_BYTES && stored.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = stored.subarray(DIGEST_BYTES);
    else cache = "other-bundle";
  } catch {
    // no cache: compile as usual
  }
  // The wrapper keeps the bundle's first line on line 1, so stack traces point at the bundle's own lines.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bytes.toString("utf8")}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData) cache = script.cachedDataRejected === true ? "refused" : "used";
  const module = { exports: {} as typeof Program };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dir);
  return {
    program: module.exports,
    cache,
    makeCache: () => Buffer.concat([digest, script.createCachedData()]),
  };
}

/** The --debug line for how the program was compiled, with the time since the process started. */
export function describeLoad(cache: CacheUse, ms: number): string {
  const why: Record<Exclude<CacheUse, "used">, string> = {
    missing: `${CACHE_FILE} is missing (npm run build makes it)`,
    "other-bundle": `${CACHE_FILE} was made for another build of ${PROGRAM_FILE} (npm run build makes it again)`,
    refused: `V8 refused ${CACHE_FILE}: it was made by another Node version or with other V8 flags (NODE_OPTIONS=--max-old-space-size=… is one)`,
  };
  return `program loaded in ${ms.toFixed(0)} ms, ${cache === "used" ? `compiled from its code cache (${CACHE_FILE})` : `compiled without its code cache: ${why[cache]}`}`;
}
