/**
 * Linting many files: in the main thread, or spread over worker threads (`--concurrency`), or a CI job's
 * share of them (`--shard i/n`). The engine decides which files must be linted together (`lintGroups`);
 * this module only moves groups of inputs to workers and results back, in input order, so the report is
 * the same whatever the concurrency. Workers are I/O-edge code: each runs the pure `lintFiles` on the
 * groups it is given.
 */
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { lintFiles, RuleCrashError, type LintInput, type LintResult } from "../lint.js";
import { lintRules as registry } from "../../rules/index.js";
import { debugLog, UsageError, type CliContext } from "./shared.js";

/** A file's lint result as the CLI reports it: without the parsed documents (not sent between threads). */
export type LintReport = Omit<LintResult, "file">;

/** `--concurrency`: how many threads lint (the main thread and N − 1 workers), "auto", or "off" (the main thread). */
export type Concurrency = number | "auto" | "off";

export function parseConcurrency(value: string | number | undefined): Concurrency {
  if (value === undefined || value === "off") return "off";
  if (value === "auto") return "auto";
  const n = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be a positive integer, "auto" or "off" (got ${String(value)})`);
  return n;
}

/**
 * Below this much text per thread, a worker (which loads fwlint again and compiles it anew: ~0.1–0.3 s of
 * CPU) costs more than it saves.
 */
export const AUTO_BYTES_PER_THREAD = 2 * 1024 * 1024;

/**
 * How many worker threads help the main thread lint these groups. A number N: N threads in all (N − 1
 * workers), at most one per group. "auto": one thread per two available CPUs — each linting thread keeps
 * V8's garbage collector and compiler threads busy beside it, and logical CPUs often share a core (on a
 * 2-CPU machine a second thread does not pay: see README, Performance) — at most one per group and per
 * AUTO_BYTES_PER_THREAD of text. "off" and 1: none.
 */
export function workerCount(concurrency: Concurrency, groupSizes: readonly number[], cpus: number): number {
  if (concurrency === "off") return 0;
  const bytes = groupSizes.reduce((a, b) => a + b, 0);
  const threads = concurrency === "auto" ? Math.min(Math.floor(cpus / 2), groupSizes.length, Math.floor(bytes / AUTO_BYTES_PER_THREAD)) : Math.min(concurrency, groupSizes.length);
  return Math.max(0, threads - 1);
}

/** `--shard i/n`: this job's share is every n-th group, starting with the i-th. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard must be i/n with 1 ≤ i ≤ n (got ${value})`);
  return { index, count };
}

/** FNV-1a, 32 bits: a hash every machine computes the same. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The shard a group belongs to (1-based), from the path of its first file relative to `root`: the same
 * on every machine and stable as hosts are added or removed (only the new ones land somewhere), so a
 * shard's findings (and its SARIF category) keep their files.
 */
export function shardOf(firstFile: string, count: number): number {
  return (fnv1a(firstFile) % count) + 1;
}

/** The groups of shard i/n, in discovery order; `keyOf` names a group (its first file, relative). */
export function shardGroups<T>(groups: readonly T[], shard: Shard | undefined, keyOf: (group: T) => string): T[] {
  return shard ? groups.filter((g) => shardOf(keyOf(g), shard.count) === shard.index) : [...groups];
}

const report = (r: LintResult): LintReport => {
  const { file: _file, ...rest } = r;
  return rest;
};

function addTiming(into: Map<string, number> | undefined, from: Iterable<readonly [string, number]>): void {
  if (!into) return;
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

export interface LintInputsOptions {
  readonly concurrency: Concurrency;
  /** Milliseconds per phase (summed over the workers). */
  readonly timing?: Map<string, number>;
}

/**
 * Lint `groups` of `inputs` (index lists from `lintGroups`, possibly one shard's); results in group order,
 * each group's files in its order. The main thread lints too; workers help when concurrency allows more
 * than one thread, there is more than one group, and the rules are the registry (tests pass rules that
 * workers cannot receive).
 */
export async function lintGroupsOf(ctx: CliContext, inputs: readonly LintInput[], groups: readonly (readonly number[])[], options: LintInputsOptions): Promise<LintReport[]> {
  const sizes = groups.map((g) => g.reduce((n, k) => n + inputs[k]!.text.length, 0));
  let workers = workerCount(options.concurrency, sizes, availableParallelism());
  if (workers > 0 && ctx.rules !== registry) {
    debugLog(ctx, "concurrency: custom rules cannot be sent to worker threads; linting in the main thread");
    workers = 0;
  }
  const started = performance.now();
  // one group at a time: the same results as one lintFiles call over every file, and only one group's
  // parsed documents alive at a time
  const here = (g: readonly number[]) => lintFiles(g.map((k) => inputs[k]!), { rules: ctx.rules, ...(options.timing ? { timing: options.timing } : {}) }).map(report);
  const out = workers === 0 ? groups.map(here) : await withWorkers(inputs, groups, workers, here, options.timing);
  debugLog(ctx, `linted ${inputs.length} file(s) in ${groups.length} group(s) ${workers ? `on the main thread and ${workers} worker thread(s)` : "in the main thread"} in ${(performance.now() - started).toFixed(0)} ms`);
  return out.flat();
}

// ── worker threads ──────────────────────────────────────────────────────────────────────────────────

/** main → worker */
export interface LintJob {
  readonly id: number;
  readonly inputs: readonly LintInput[];
  readonly timing: boolean;
}

/** An error thrown in a worker, as data. */
export interface WorkerError {
  readonly message: string;
  readonly stack?: string;
  readonly crash?: { readonly ruleId: string; readonly filePath: string | undefined; readonly message: string; readonly stack?: string };
}

/** worker → main; `source` is left out (the main thread has the text). */
export type LintJobResult =
  | { readonly id: number; readonly results: Omit<LintReport, "source">[]; readonly timing?: [string, number][] }
  | { readonly id: number; readonly error: WorkerError };

export function serializeError(err: unknown): WorkerError {
  const e = err instanceof Error ? err : new Error(String(err));
  if (err instanceof RuleCrashError) {
    const c = err.cause instanceof Error ? err.cause : new Error(String(err.cause));
    return { message: e.message, ...(e.stack ? { stack: e.stack } : {}), crash: { ruleId: err.ruleId, filePath: err.filePath, message: c.message, ...(c.stack ? { stack: c.stack } : {}) } };
  }
  return { message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

/** The error again in the main thread: a rule crash stays a RuleCrashError (same message, exit code 2). */
export function deserializeError(w: WorkerError): Error {
  if (w.crash) {
    const cause = new Error(w.crash.message);
    if (w.crash.stack) cause.stack = w.crash.stack;
    return new RuleCrashError(w.crash.ruleId, w.crash.filePath, cause);
  }
  const e = new Error(w.message);
  if (w.stack) e.stack = w.stack;
  return e;
}

/** Start a lint worker: the built .js, or the TypeScript source through tsx when fwlint runs from source (tests). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./lint-worker.js", here));
  const tsx = pathToFileURL(createRequire(here).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const entry = new URL("./lint-worker.ts", here).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
}

class LintWorker {
  private readonly worker = startWorker();
  private readonly pending = new Map<number, { resolve: (r: LintJobResult) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor() {
    this.worker.on("message", (msg: LintJobResult) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on("error", (err) => fail(new Error(`lint worker failed: ${err.message}`, { cause: err })));
    this.worker.on("exit", (code) => fail(new Error(`lint worker exited (code ${code})`)));
  }

  run(job: LintJob): Promise<LintJobResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.postMessage(job);
    });
  }

  async stop(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}

/** Groups queued at each worker at least, so that it has the next one while the main thread is busy. */
const WORKER_QUEUE = 2;

/**
 * The main thread and `count` workers take the next group from one queue until none is left. Workers are
 * fed only when the main thread is between groups (their replies are events of its loop), so before the
 * main thread starts a group it gives every worker at least as much text queued as that group holds (and
 * WORKER_QUEUE groups): linting time follows the text, so a worker does not run dry while the main thread
 * is busy with a big file. (With a fixed two groups queued, a Kubernetes node's dump on the main thread
 * left the worker idle for most of it: a fleet is mostly small files with a few big ones.)
 */
async function withWorkers(inputs: readonly LintInput[], groups: readonly (readonly number[])[], count: number, here: (group: readonly number[]) => LintReport[], timing: Map<string, number> | undefined): Promise<LintReport[][]> {
  const pool = Array.from({ length: count }, () => new LintWorker());
  const sizes = groups.map((g) => g.reduce((n, k) => n + inputs[k]!.text.length, 0));
  const out: LintReport[][] = new Array(groups.length);
  let next = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const queued = pool.map(() => ({ jobs: 0, bytes: 0 }));
  const pending: Promise<void>[] = [];

  const send = (w: number) => {
    const g = next++;
    const group = groups[g]!;
    const q = queued[w]!;
    q.jobs++;
    q.bytes += sizes[g]!;
    pending.push(
      pool[w]!.run({ id: g, inputs: group.map((k) => inputs[k]!), timing: timing !== undefined }).then(
        (reply) => {
          q.jobs--;
          q.bytes -= sizes[g]!;
          if ("error" in reply) throw deserializeError(reply.error);
          if (reply.timing) addTiming(timing, reply.timing);
          out[g] = reply.results.map((r, k) => ({ ...r, source: inputs[group[k]!]!.text }));
          feed(0, WORKER_QUEUE);
        },
      ).catch((err: unknown) => {
        failure ??= err;
      }).finally(() => wake?.()),
    );
  };
  /** Top every worker up to `jobs` groups and at least `bytes` of text. */
  const feed = (bytes: number, jobs: number) => {
    if (failure !== null) return;
    for (let w = 0; w < pool.length; w++) {
      const q = queued[w]!;
      while (next < groups.length && (q.jobs < jobs || q.bytes < bytes)) send(w);
    }
  };
  const yieldToWorkers = () => new Promise<void>((resolve) => setImmediate(resolve));

  try {
    feed(0, 1); // one group each to start with: with as many groups as threads, the main thread takes one too
    await yieldToWorkers();
    while (failure === null && next < groups.length) {
      const g = next++;
      feed(sizes[g]!, WORKER_QUEUE);
      out[g] = here(groups[g]!);
      await yieldToWorkers();
    }
    // wait for the workers' last groups (each reply may queue more)
    while (failure === null && queued.some((q) => q.jobs > 0)) await new Promise<void>((resolve) => (wake = resolve));
    await Promise.all(pending);
    if (failure !== null) throw failure;
  } finally {
    await Promise.all(pool.map((w) => w.stop()));
  }
  return out;
}

/** The worker side: lint each job's inputs together and answer with the results (see lint-worker.ts). */
export function answerJob(job: LintJob): LintJobResult {
  try {
    const timing = job.timing ? new Map<string, number>() : undefined;
    const results = lintFiles(job.inputs, timing ? { timing } : {}).map((r) => {
      const { file: _file, source: _source, ...rest } = r;
      return rest;
    });
    return { id: job.id, results, ...(timing ? { timing: [...timing] } : {}) };
  } catch (err) {
    return { id: job.id, error: serializeError(err) };
  }
}
