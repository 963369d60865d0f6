/**
 * Plumbing every fwlint command shares: the process edge (streams, environment, cwd) behind an interface
 * tests can fake, the error classes that map to exit code 2, the colour decision, reading the files and
 * standard input a command names, and writing a report to stdout or `--output-file`.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Family } from "../ast/iptables.js";
import { ConfigResolver, type CliSettings, type FileSettings } from "../config.js";
import { discover, FileReadError, readTextFile, relativePosix, type DiscoveryProblem } from "../files.js";
import type { LintInput } from "../lint.js";
import type { FileKind, LintRule } from "../rule.js";

export interface OutStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  /**
   * Node's writable streams: a write that returns false asks the writer to wait for "drain" (a pipe whose
   * reader is behind). A command that writes as it goes waits; one without it writes on.
   */
  once?(event: "drain", listener: () => void): unknown;
}

/** Write, then wait while the stream asks to (so that a long output to a slow pipe is not held in memory). */
export async function writeWaiting(out: OutStream, text: string): Promise<void> {
  if (out.write(text) !== false || !out.once) return;
  await new Promise<void>((resolve) => out.once!("drain", resolve));
}

/** Everything a command may touch outside the pure core. */
export interface CliIO {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly stdin: {
    /** Is standard input a pipe or a file (`iptables-save | fwlint`), rather than a terminal or nothing? */
    isPiped(): boolean;
    read(): Promise<string>;
  };
}

/** State of one invocation, passed to command handlers through yargs' parse context. */
export interface CliContext {
  readonly io: CliIO;
  /** Set by commands: 0 success, 1 findings, 2 usage/config/I-O error. */
  exitCode: number;
  debug: boolean;
  /** The rules this invocation knows (the registry; tests may pass others). */
  readonly rules: readonly LintRule[];
}

export const CONTEXT_KEY = "fwlintContext";

/** yargs drops a bare "-" from positionals; the program hands it to commands as this token instead. */
export const STDIN_ARG = "\u0000stdin";

const isStdinArg = (p: string) => p === "-" || p === STDIN_ARG;

/** The context of the running invocation, from a handler's argv. */
export function contextOf(argv: Record<string, unknown>): CliContext {
  const ctx = argv[CONTEXT_KEY] as CliContext | undefined;
  if (!ctx) throw new Error("fwlint command run without a CLI context");
  return ctx;
}

/** Wrong arguments: exit 2 with a one-line message. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function debugLog(ctx: CliContext, message: string): void {
  if (ctx.debug) ctx.io.stderr.write(`fwlint:debug ${message}\n`);
}

/** One line to stderr, prefixed with "fwlint: ". */
export function printError(ctx: CliContext, message: string): void {
  ctx.io.stderr.write(`fwlint: ${message.replace(/\s*\n\s*/g, " ")}\n`);
}

/**
 * Colours on or off: --color/--no-color, then FORCE_COLOR (non-"0"/"false" forces them), then NO_COLOR and
 * NODE_DISABLE_COLORS (set and non-empty: off), TERM=dumb, then whether the output is a terminal. A report
 * written to a file has no colours unless --color says so.
 */
export function colorEnabled(flag: boolean | undefined, io: CliIO, stream: OutStream | null): boolean {
  if (flag !== undefined) return flag;
  const env = io.env;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  if (env.NO_COLOR || env.NODE_DISABLE_COLORS) return false;
  if (env.TERM === "dumb") return false;
  return stream?.isTTY === true;
}

/**
 * Write a report: to `outputFile` (parent directories created; ending with a newline) or to stdout (plus a
 * newline, as ESLint's console.log does; nothing at all for an empty report).
 */
export function writeReport(ctx: CliContext, text: string, outputFile: string | undefined): void {
  if (outputFile) {
    const path = resolve(ctx.io.cwd, outputFile);
    try {
      if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`cannot write report to ${outputFile}: it is a directory`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text && !text.endsWith("\n") ? `${text}\n` : text);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot write report to ${outputFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return;
  }
  if (text) ctx.io.stdout.write(`${text}\n`);
}

let versionCache: string | undefined;

/** fwlint's version, from its package.json (found from src/ in tests and from dist/src/ when installed). */
export function packageVersion(): string {
  if (versionCache) return versionCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "package.json");
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "fwlint" && pkg.version) return (versionCache = pkg.version);
    }
    dir = dirname(dir);
  }
  return (versionCache = "0.0.0");
}

/** Forward-slash path relative to `root`, through symlinks (GitHub cannot show results in symlinked files). */
export function projectRelative(root: string, path: string): string {
  let real = path;
  let realRoot = root;
  try {
    real = realpathSync(path);
    realRoot = realpathSync(root);
  } catch {
    /* not on disk (stdin with --stdin-filename): use the names as given */
  }
  return relativePosix(realRoot, real);
}

// ── reading what a command lints ────────────────────────────────────────────────────────────────────────

export interface InputOptions {
  /** Files, directories and globs; "-" is standard input. */
  readonly patterns: readonly string[];
  /** Path standard input stands for (config lookup, kind and family detection, reports). */
  readonly stdinFilename?: string;
  readonly settings: CliSettings;
  /** Report patterns that match nothing (exit 2). */
  readonly errorOnUnmatchedPattern?: boolean;
}

export interface LoadedInput {
  readonly input: LintInput;
  readonly settings: FileSettings;
  /** Read from standard input (whatever path --stdin-filename gives it). */
  readonly stdin?: true;
}

export interface LoadedInputs {
  readonly inputs: LoadedInput[];
  /** Files named explicitly but excluded by ignore patterns. */
  readonly ignored: string[];
  /** Files that could not be read, patterns that matched nothing: reported, the rest still linted. */
  readonly problems: DiscoveryProblem[];
  readonly resolver: ConfigResolver;
}

export function lintInputFor(text: string, filePath: string | undefined, settings: FileSettings, kind?: FileKind, family?: Family): LintInput {
  const k = kind ?? settings.kind;
  const f = family ?? settings.family;
  return { text, ...(filePath ? { filePath } : {}), ...(k ? { kind: k } : {}), ...(f ? { family: f } : {}), config: settings.config };
}

/**
 * Find and read the files a command names, with each file's configuration. Standard input is read for
 * "-", or when no pattern is given and input is piped. Unreadable files become problems; the others are
 * still returned.
 */
export async function loadInputs(ctx: CliContext, options: InputOptions): Promise<LoadedInputs> {
  const { io } = ctx;
  const resolver = new ConfigResolver(io.cwd, options.settings, ctx.rules);
  const dashes = options.patterns.filter(isStdinArg).length;
  if (dashes > 1) throw new UsageError('"-" (standard input) may be given only once');
  const patterns = options.patterns.filter((p) => !isStdinArg(p));
  let useStdin = dashes === 1;
  if (options.patterns.length === 0) {
    if (!io.stdin.isPiped()) throw new UsageError("no files to lint: name files, directories or globs (fwlint .), or pipe a ruleset (iptables-save | fwlint -)");
    useStdin = true;
  }
  const inputs: LoadedInput[] = [];
  if (useStdin) {
    const text = await io.stdin.read();
    if (options.patterns.length === 0 && text.length === 0) throw new UsageError("no files to lint and standard input is empty");
    const filePath = options.stdinFilename ? resolve(io.cwd, options.stdinFilename) : undefined;
    const settings = resolver.settingsFor(filePath ?? null);
    debugLog(ctx, `<stdin>${filePath ? ` as ${filePath}` : ""}: config ${settings.configPath ?? "(defaults)"}`);
    inputs.push({ input: lintInputFor(text, filePath, settings), settings, stdin: true });
  }
  const found = discover(patterns, io.cwd, resolver);
  const problems = options.errorOnUnmatchedPattern === false ? found.problems.filter((p) => p.io) : [...found.problems];
  for (const target of found.targets) {
    let text: string;
    try {
      text = readTextFile(target.path);
    } catch (err) {
      if (!(err instanceof FileReadError)) throw err;
      problems.push({ pattern: target.path, message: `${relativePosix(io.cwd, target.path) || target.path}: cannot read file (${err.reason})`, io: true });
      continue;
    }
    const settings = resolver.settingsFor(target.path);
    debugLog(ctx, `${target.path}: config ${settings.configPath ?? "(defaults)"}${settings.kind ? `, kind ${settings.kind}` : ""}`);
    inputs.push({ input: lintInputFor(text, target.path, settings), settings });
  }
  return { inputs, ignored: found.ignored, problems, resolver };
}
