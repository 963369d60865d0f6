/**
 * Run the fwlint CLI in-process with fake streams, and build throw-away directory trees for it.
 * Every SARIF report a test gets on stdout is validated (schema + GitHub's rules) before it is returned.
 */
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "../../src/cli.js";
import type { CliIO } from "../../src/commands/shared.js";
import type { LintRule } from "../../src/rule.js";
import { assertValidSarif } from "./sarif.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly cwd?: string;
  /** Piped standard input; undefined: a terminal with nothing piped. */
  readonly stdin?: string;
  readonly env?: Record<string, string | undefined>;
  /** Is stdout a terminal? */
  readonly tty?: boolean;
  readonly rules?: readonly LintRule[];
}

export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: { isPiped: () => options.stdin !== undefined, read: async () => options.stdin ?? "" },
  };
  const code = await run(args, io, options.rules ? { rules: options.rules } : {});
  const i = args.findIndex((a) => a === "--format" || a === "-f");
  const format = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith("--format="))?.slice(9);
  if (format === "sarif" && stdout) assertValidSarif(stdout);
  return { code, stdout, stderr };
}

/** A fresh directory holding these files (paths relative to it). Returns its real path. */
export function makeTree(files: Record<string, string>): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "fwlint-test-")));
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return root;
}
