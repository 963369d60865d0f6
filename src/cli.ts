#!/usr/bin/env node
/**
 * Command-line edge: argv, files, colours and the exit code. Everything else is in the pure core.
 * Exit codes (as ESLint): 0 clean, 1 lint errors (or too many warnings), 2 usage / configuration / I/O error.
 */
import { readFileSync } from "node:fs";
import { resolve, relative, sep } from "node:path";
import yargs, { type CommandModule } from "yargs";
import { hideBin } from "yargs/helpers";
import { lintFiles, type LintInput } from "./lint.js";
import { stylish } from "./formatters/stylish.js";
import type { FormattedResult } from "./formatters/types.js";
import { lintRules } from "../rules/index.js";
import { traceCommand } from "./commands/trace.js";
import { exposureCommand } from "./commands/exposure.js";

const VERSION = "0.1.0";

class UsageError extends Error {}

function readInput(file: string): LintInput {
  if (file === "-") return { text: readFileSync(0, "utf8") };
  try {
    return { text: readFileSync(file, "utf8"), filePath: resolve(file) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: cannot read file (${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? "error")})`);
  }
}

/** `fwlint trace …` / `fwlint exposure …` (packet model). Minimal wiring until the command registry lands. */
async function modelCommand(argv: string[]): Promise<number> {
  const context = { io: { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env }, exitCode: 0 };
  await yargs(argv)
    .scriptName("fwlint")
    .command((argv[0] === "trace" ? traceCommand : exposureCommand) as CommandModule<object, any>)
    .version(VERSION)
    .strict()
    .fail((msg, err) => {
      throw err && !msg ? err : new UsageError(msg ?? err?.message ?? "invalid arguments");
    })
    .parseAsync(argv, { fwlintContext: context });
  return context.exitCode;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "trace" || argv[0] === "exposure") return modelCommand(argv);
  const args = await yargs(argv)
    .scriptName("fwlint")
    .usage("$0 [files..]", "Lint iptables rules files, iptables scripts and Docker daemon.json")
    .positional("files", { type: "string", array: true, describe: "files to lint; - for stdin" })
    .option("format", { alias: "f", choices: ["stylish", "json"] as const, default: "stylish" as const })
    .option("color", { type: "boolean" })
    .version(VERSION)
    .strict()
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? "invalid arguments");
    })
    .parseAsync();
  const files = (args.files as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError("no files given (use - to read standard input)");
  const inputs = files.map(readInput);
  const results = lintFiles(inputs);
  const cwd = process.cwd();
  const formatted: FormattedResult[] = results.map((r) => {
    const filePath = r.filePath ?? "<stdin>";
    return { ...r, filePath, displayPath: filePath, relativePath: r.filePath ? relative(cwd, r.filePath).split(sep).join("/") : "<stdin>" };
  });
  const color = args.color ?? (process.env.NO_COLOR ? false : process.stdout.isTTY === true);
  const out = args.format === "json" ? JSON.stringify(formatted.map(({ displayPath: _d, relativePath: _r, ...r }) => r), (_k, v) => (typeof v === "bigint" ? String(v) : v)) : stylish(formatted, { color, cwd, rules: lintRules, version: VERSION });
  if (out) process.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
  return results.some((r) => r.errorCount > 0) ? 1 : 0;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fwlint: ${err instanceof UsageError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`}\n`);
    if (process.argv.includes("--debug") && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(2);
  },
);
