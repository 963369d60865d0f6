/**
 * `--cache`: keep each lint group's results in a file, and give them back while nothing that decides them has
 * changed (ESLint's `--cache`, with its content strategy). A pre-commit hook or a CI job over a fleet's dumps
 * then lints only the files that changed.
 *
 * What decides a group's results, and so its key:
 *  - the program: the SHA-256 of the bundle that runs (a build from source: the names, sizes and times of
 *    its modules), and the rules this invocation knows;
 *  - for each file of the group: its path, its text (SHA-256), and what the configuration says for it
 *    (resolved config, rules and their options, facts, kind, family, format).
 * The lint engine is pure (text and configuration in, findings out: nothing else is read), so equal keys
 * give equal results. Files read from standard input are never cached.
 *
 * The cache file is JSON: the program's identity, and one entry per group with its files' paths and their
 * reports (without the source, which is the file). A file of another program, of another format or that
 * cannot be read is ignored (everything is linted, then it is written again); a cache that cannot be
 * written is reported on stderr, and the run's results and exit code are unaffected.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { LintInput } from "../lint.js";
import type { LintRule } from "../rule.js";
import type { LintReport } from "./parallel.js";
import { packageVersion } from "./shared.js";

/** The cache file's format; a file of another format is ignored. */
export const CACHE_FORMAT = 1;

/** The default cache file, in the working directory (ESLint's is .eslintcache). */
export const DEFAULT_CACHE_FILE = ".fwlintcache";

/** A report as the cache keeps it: without the source, which is the file's text. */
export type StoredReport = Omit<LintReport, "source">;

interface Entry {
  /** The files of the group, absolute paths, in group order. */
  readonly files: readonly string[];
  readonly reports: readonly StoredReport[];
}

interface CacheFile {
  readonly fwlintCache: number;
  readonly program: string;
  readonly entries: Readonly<Record<string, Entry>>;
}

/**
 * The path of the cache file for `--cache-location` (relative to `cwd`): the default file in `cwd` when not
 * given; inside the directory when it names an existing directory or ends with a separator (named after the
 * working directory, as ESLint does, so that runs from several directories can share one cache directory).
 */
export function cacheFilePath(cwd: string, location: string | undefined): string {
  if (location === undefined || location === "") return resolve(cwd, DEFAULT_CACHE_FILE);
  const path = resolve(cwd, location);
  let isDir = location.endsWith("/") || location.endsWith(sep);
  if (!isDir) {
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      isDir = false;
    }
  }
  return isDir ? join(path, `${DEFAULT_CACHE_FILE}_${sha256(cwd).slice(0, 16)}`) : path;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

let identity: string | undefined;

/**
 * What distinguishes this program from another build: the SHA-256 of the bundle when fwlint runs from
 * dist/bundle, else (a build from source, or the tests) the package version and the names, sizes and
 * modification times of the modules in src/, rules/ and grammar/ beside this one.
 */
export function programIdentity(): string {
  if (identity) return identity;
  const file = fileURLToPath(import.meta.url);
  if (basename(file) === "fwlint.cjs") return (identity = `bundle:${sha256(readFileSync(file))}`);
  // src/commands/cache.(ts|js) → the directory holding src/, rules/, grammar/
  const root = dirname(dirname(dirname(file)));
  const h = createHash("sha256").update(packageVersion());
  const visit = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const s = statSync(path, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) visit(path);
      else if (/\.(?:[cm]?js|ts|ne|json)$/.test(name)) h.update(`${path}\0${s.size}\0${s.mtimeMs}\n`);
    }
  };
  for (const d of ["src", "rules", "grammar"]) visit(join(root, d));
  return (identity = `build:${h.digest("hex")}`);
}

/** JSON with object keys sorted, so that equal values give equal text whatever order they were built in. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

/**
 * The key of a group of inputs, or undefined when it cannot be cached (a file without a path: standard
 * input). `rules` are the rules the invocation knows: with other rules (tests, the API) the results differ.
 */
export function groupKey(inputs: readonly LintInput[], rules: readonly LintRule[]): string | undefined {
  const h = createHash("sha256").update(`${CACHE_FORMAT}\n${rules.map((r) => r.id).join(",")}\n`);
  for (const input of inputs) {
    if (input.filePath === undefined) return undefined;
    const { text, config, ...rest } = input;
    h.update(`${stableJson({ ...rest, config: config ?? null })}\n${sha256(text)}\n`);
  }
  return h.digest("hex");
}

/** Why a cache file was not used. */
export type CacheMiss = "absent" | "unreadable" | "malformed" | "other-format" | "other-program";

export class LintCache {
  /** The entries kept from the file, and those made in this run. */
  private readonly entries: Map<string, Entry>;
  /** Keys used or made in this run. */
  private readonly used = new Set<string>();
  /** Files linted in this run (their other entries are out of date). */
  private readonly seen = new Set<string>();

  private constructor(
    readonly path: string,
    readonly program: string,
    entries: Record<string, Entry>,
    /** Why the file's entries were not taken, when they were not. */
    readonly miss: CacheMiss | undefined,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /** Read the cache file at `path` for this program; an unusable file gives an empty cache (see `miss`). */
  static open(path: string, program: string = programIdentity()): LintCache {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      return new LintCache(path, program, {}, (err as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "unreadable");
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return new LintCache(path, program, {}, "malformed");
    }
    const format = data !== null && typeof data === "object" ? (data as Record<string, unknown>).fwlintCache : undefined;
    if (typeof format === "number" && format !== CACHE_FORMAT) return new LintCache(path, program, {}, "other-format");
    if (!isCacheFile(data)) return new LintCache(path, program, {}, "malformed");
    if (data.program !== program) return new LintCache(path, program, {}, "other-program");
    return new LintCache(path, program, { ...data.entries }, undefined);
  }

  /** The reports of the group with this key, with each file's source put back; undefined when not cached. */
  get(key: string, inputs: readonly LintInput[]): LintReport[] | undefined {
    for (const input of inputs) if (input.filePath !== undefined) this.seen.add(input.filePath);
    const entry = this.entries.get(key);
    if (!entry || entry.reports.length !== inputs.length || entry.files.some((f, k) => f !== inputs[k]!.filePath)) return undefined;
    this.used.add(key);
    return entry.reports.map((r, k) => ({ ...r, source: inputs[k]!.text }));
  }

  /** Keep a group's reports under its key. */
  set(key: string, inputs: readonly LintInput[], reports: readonly LintReport[]): void {
    const stored = reports.map(({ source: _source, ...rest }) => rest);
    this.entries.set(key, { files: inputs.map((i) => i.filePath!), reports: stored });
    this.used.add(key);
  }

  /**
   * Write the cache: this run's entries, and the older entries of files this run did not lint that still
   * exist (linting a part of a tree keeps the rest). Written to a temporary file and renamed, so that a run
   * stopped midway or a concurrent run never leaves half a file. Throws on I/O errors.
   */
  save(): void {
    const entries: Record<string, Entry> = {};
    for (const [key, entry] of this.entries) {
      const keep = this.used.has(key) || (entry.files.every((f) => !this.seen.has(f)) && entry.files.every((f) => existsSync(f)));
      if (keep) entries[key] = entry;
    }
    const data: CacheFile = { fwlintCache: CACHE_FORMAT, program: this.program, entries };
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(data));
      renameSync(tmp, this.path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* nothing was written */
      }
      throw err;
    }
  }
}

function isCacheFile(data: unknown): data is CacheFile {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  if (typeof d.fwlintCache !== "number" || typeof d.program !== "string") return false;
  if (d.entries === null || typeof d.entries !== "object" || Array.isArray(d.entries)) return false;
  return Object.values(d.entries as Record<string, unknown>).every((e) => {
    if (e === null || typeof e !== "object") return false;
    const { files, reports } = e as Record<string, unknown>;
    return Array.isArray(files) && files.every((f) => typeof f === "string") && Array.isArray(reports) && reports.length === files.length && reports.every((r) => r !== null && typeof r === "object" && Array.isArray((r as Record<string, unknown>).messages) && Array.isArray((r as Record<string, unknown>).suppressedMessages));
  });
}
