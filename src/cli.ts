#!/usr/bin/env node
/**
 * The fwlint program: argv, the process and the exit code. Commands live in src/commands/ (lint is the
 * default); everything they compute is in the pure core.
 *
 * Exit codes, as ESLint: 0 no errors (and warnings within --max-warnings), 1 lint errors or too many
 * warnings, 2 usage, configuration or I/O error — always a one-line message, a stack trace only with --debug.
 */
import { fstatSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { BaselineError } from "./baseline.js";
import { commands } from "./commands/index.js";
import { CONTEXT_KEY, debugLog, packageVersion, printError, STDIN_ARG, UsageError, type CliContext, type CliIO } from "./commands/shared.js";
import { ConfigError } from "./config.js";
import { decodeText, FileReadError } from "./files.js";
import { RuleCrashError } from "./lint.js";
import type { LintRule } from "./rule.js";
import { lintRules } from "../rules/index.js";

/** The real process as a CliIO. */
export function processIO(): CliIO {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: {
      isPiped() {
        try {
          const s = fstatSync(0);
          return s.isFIFO() || s.isFile() || s.isSocket();
        } catch {
          return false;
        }
      },
      async read() {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
        return decodeText(Buffer.concat(chunks));
      },
    },
  };
}

export interface RunOptions {
  /** Rules to run instead of the registry (tests). */
  readonly rules?: readonly LintRule[];
  /** How the bin loaded the program (src/bin/code-cache.ts): printed with --debug. */
  readonly loaded?: string;
}

/** Run fwlint with these arguments; resolves to the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIO = processIO(), options: RunOptions = {}): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0, debug: argv.includes("--debug"), rules: options.rules ?? lintRules };
  if (options.loaded) debugLog(ctx, options.loaded);
  let output = "";
  try {
    const program = yargs()
      .scriptName("fwlint")
      .parserConfiguration({ "duplicate-arguments-array": true, "strip-aliased": true })
      .command(commands as never)
      .option("color", { type: "boolean", describe: "Force colours on or off (default: on for a terminal; NO_COLOR and FORCE_COLOR honoured)", global: true })
      .option("debug", { type: "boolean", default: false, describe: "Print what fwlint does, and stack traces of internal errors, to stderr", global: true })
      .strict()
      .exitProcess(false)
      .version(packageVersion())
      .alias("version", "v")
      .help()
      .alias("help", "h")
      .wrap(100)
      .fail((message, error) => {
        throw error ?? new UsageError(`${tidyYargsMessage(message, argv)} (see fwlint --help)`);
      });
    skipHelpCache(program);
    await program.parseAsync(argv.map((a) => (a === "-" ? STDIN_ARG : a)), { [CONTEXT_KEY]: ctx }, (_err, _argv, out) => {
      if (out) output = out;
    });
    if (output) io.stdout.write(`${output}\n`);
    return ctx.exitCode;
  } catch (err) {
    return failure(ctx, err);
  }
}

/**
 * yargs renders the whole help text of a command right after starting its handler, in case a later
 * failure wants to print it (~20 ms of every run). Our .fail() never prints help, and --help renders its
 * text itself, so the cached copy is never read: the render is skipped. (An internal of yargs: when a
 * version lacks it, nothing changes.)
 */
function skipHelpCache(program: unknown): void {
  const internal = (program as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === "function") usage.cacheHelpMessage = () => {};
}

/** yargs names an unknown option twice (kebab and camelCase) and without its dashes: name it once, as typed. */
function tidyYargsMessage(message: string, argv: readonly string[]): string {
  const m = /^Unknown arguments?: (.*)$/s.exec(message);
  if (!m) return message;
  const names = m[1]!.split(", ");
  const kebab = names.filter((n) => !names.some((o) => o !== n && o.replace(/-([a-z])/g, (_x, c: string) => c.toUpperCase()) === n));
  const typed = (n: string) => argv.find((a) => [`--${n}`, `--no-${n}`, `-${n}`].includes(a.split("=")[0]!)) ?? n;
  return `unknown argument${kebab.length > 1 ? "s" : ""} ${kebab.map(typed).join(", ")}`;
}

function failure(ctx: CliContext, err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof FileReadError || err instanceof BaselineError) printError(ctx, err.message);
  else if (err instanceof RuleCrashError) printError(ctx, `internal error: ${err.message}${ctx.debug ? "" : " (run with --debug for the stack trace)"}`);
  else printError(ctx, `internal error: ${err instanceof Error ? err.message : String(err)}${ctx.debug ? "" : " (run with --debug for the stack trace)"}`);
  if (ctx.debug && err instanceof Error) {
    ctx.io.stderr.write(`${err.stack ?? err.message}\n`);
    if (err instanceof RuleCrashError && err.cause instanceof Error) ctx.io.stderr.write(`caused by: ${err.cause.stack ?? err.cause.message}\n`);
  }
  return 2;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * The process's entry: run with the process's arguments and set its exit code. Called below when this module is
 * the script Node runs, and by the bundled bin (src/bin/fwlint.ts), which loads this module from its code cache.
 */
export function main(argv: readonly string[] = process.argv.slice(2), options: RunOptions = {}): void {
  // `fwlint … | head`: the reader went away; stop quietly instead of printing an EPIPE stack trace
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  void run(argv, processIO(), options).then((code) => {
    // exitCode, not exit(): a large report still being written to a pipe is not cut short
    process.exitCode = code;
  });
}

if (invokedDirectly()) main();
