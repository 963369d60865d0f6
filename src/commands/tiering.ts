/**
 * V8 settings for the shape of a run: how eagerly V8 optimises fwlint's functions in short runs, and whether
 * V8's own helper threads may compete with lint threads that already use every CPU.
 *
 * V8 first interprets a function and sends it to its optimising compiler (TurboFan) once it has run a given
 * amount of bytecode (its interrupt budget). A run of a second or less (`fwlint exposure` on a host with a
 * thousand published ports, `fwlint trace`, linting a file of a few thousand rules) touches hundreds of
 * functions a few thousand times each: with the default budget most of them get optimised while the run is
 * nearly over, and on a two-core machine that compilation competes with the run for the CPU. Measured on the
 * benchmark's Docker host (1,000 published ports, 2 cores, Node 20): `fwlint exposure` 0.84 s → 0.64 s wall,
 * 1.4 s → 0.8 s CPU, with a budget six times the default (README, Performance). Long runs (linting a 100k-rule
 * dump, thousands of traced packets) gain nothing from it and lose a little, so they keep V8's default.
 *
 * This is an edge concern (the process, not the analysis): only the command line calls it, and the results
 * are the same either way. FWLINT_V8_DEFAULT_TIERING=1 keeps V8's default, for measuring the difference.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Bytecode a function runs before V8 optimises it, for short runs (V8's default is 67,584 in Node 20). */
export const SHORT_RUN_INTERRUPT_BUDGET = 400_000;

/** Inputs up to this size (characters, all files together) make a short lint run. */
export const SHORT_RUN_INPUT_CHARS = 1_000_000;

let applied = false;

/** Optimise later (once per process). Returns whether the setting was changed now. */
export function preferShortRunTiering(env: NodeJS.ProcessEnv = process.env): boolean {
  if (applied || env.FWLINT_V8_DEFAULT_TIERING === "1") return false;
  applied = true;
  try {
    setFlagsFromString(`--interrupt-budget=${SHORT_RUN_INTERRUPT_BUDGET}`);
    return true;
  } catch {
    // A runtime that refuses flag changes keeps its default: only speed depends on it.
    return false;
  }
}

let quieted = false;

/**
 * How much bytecode TurboFan may inline into one optimised function when the lint threads take every CPU
 * (V8's default is 920). Each thread then compiles on its own time, and every thread compiles fwlint's hot
 * functions again for itself: smaller optimised functions cost less to make and are thrown away more cheaply
 * when a later file brings shapes an earlier one did not. Measured on the benchmark's fleet of 500 dumps
 * (2 CPUs, `--concurrency 2`, README, Performance): 100, 200 and 400 against the default, 200 the best.
 */
export const CONCURRENT_INLINING_BUDGET = 200;

/** The V8 flags `quietHelperThreads` sets. */
export const QUIET_HELPER_FLAGS: readonly string[] = ["--no-concurrent-recompilation", "--no-parallel-scavenge", `--max-inlined-bytecode-size-cumulative=${CONCURRENT_INLINING_BUDGET}`];

/**
 * When `--concurrency` runs as many lint threads as there are CPUs, V8's helper threads have no CPU to spare:
 * its background compiler and its parallel young-generation collector then compete with the lint threads.
 * Without them each thread compiles and collects for itself, and inlines less (CONCURRENT_INLINING_BUDGET).
 * Measured on the benchmark's fleet of 500 dumps (2 CPUs, `--concurrency 2`, medians of 4 runs): the helper
 * threads off, 5.2 s → 4.4 s wall, 9.3 s → 8.0 s CPU; one thread alone gains nothing from it (README,
 * Performance). Call before the worker threads start (a worker takes the flags its isolate is made with).
 * Once per process; FWLINT_V8_DEFAULT_THREADS=1 keeps V8's default. Returns whether it was applied now.
 */
export function quietHelperThreads(threads: number, cpus: number, env: NodeJS.ProcessEnv = process.env): boolean {
  if (quieted || threads < 2 || threads < cpus || env.FWLINT_V8_DEFAULT_THREADS === "1") return false;
  quieted = true;
  try {
    for (const flag of QUIET_HELPER_FLAGS) setFlagsFromString(flag);
    return true;
  } catch {
    return false;
  }
}

let collector: (() => void) | null | undefined;

/**
 * V8's full garbage collection, for the engine to run between phases of a large lint (LintOptions
 * `collectGarbage`): without it V8 collects the old generation when the heap has grown well past what is
 * live, and the packet model of a 100k-rule dump is built on top of the parser's leftovers. V8 offers the
 * collection to scripts only with `--expose-gc`; set at run time, the flag gives a new context a `gc`
 * function (the way test runners measure heap use). Null when the runtime refuses (then nothing is
 * collected early: only memory depends on it). FWLINT_V8_DEFAULT_GC=1 leaves collection to V8, for measuring.
 */
export function fullCollection(env: NodeJS.ProcessEnv = process.env): (() => void) | null {
  if (env.FWLINT_V8_DEFAULT_GC === "1") return null;
  if (collector === undefined) {
    collector = null;
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : null");
      if (typeof gc === "function") collector = () => void (gc as () => void)();
    } catch {
      collector = null;
    }
  }
  return collector;
}
