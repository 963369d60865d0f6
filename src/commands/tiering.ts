/**
 * How eagerly V8 optimises fwlint's functions, for short runs.
 *
 * V8 first interprets a function and sends it to its optimising compiler (TurboFan) once it has run a given
 * amount of bytecode (its interrupt budget). A run of a second or less (`fwlint exposure` on a host with a
 * thousand published ports, `fwlint trace`, linting a file of a few thousand rules) touches hundreds of
 * functions a few thousand times each: with the default budget most of them get optimised while the run is
 * nearly over, and on a two-core machine that compilation competes with the run for the CPU. Measured on the
 * benchmark's Docker host (1,000 published ports, 2 cores, Node 20): `fwlint exposure` 0.84 s → 0.64 s wall,
 * 1.4 s → 0.8 s CPU, with a budget six times the default (README, Performance). Long runs (linting a 100k-rule dump, thousands of
 * traced packets) gain nothing from it and lose a little, so they keep V8's default.
 *
 * This is an edge concern (the process, not the analysis): only the command line calls it, and the results
 * are the same either way. FWLINT_V8_DEFAULT_TIERING=1 keeps V8's default, for measuring the difference.
 */
import { setFlagsFromString } from "node:v8";

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
