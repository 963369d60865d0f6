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
import { fullCollection, quietHelperThreads } from "./tiering.js";

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
  /** Workers started while the files were read; those not needed are stopped. */
  readonly warm?: WarmWorkers;
}

/**
 * Workers started before the files are read: loading fwlint in a worker takes about 0.1 s, which then
 * overlaps with reading and grouping the files instead of delaying the first group sent to a worker.
 * Only for an explicit `--concurrency N` (N ≥ 2) with the registry's rules: "auto" needs the files'
 * sizes first. Whatever `lintGroupsOf` does not take must be stopped with `stop()` (idempotent).
 */
export class WarmWorkers {
  private workers: LintWorker[];

  private constructor(count: number) {
    this.workers = Array.from({ length: count }, () => new LintWorker());
    for (const w of this.workers) w.unref();
  }

  static start(ctx: CliContext, concurrency: Concurrency): WarmWorkers | undefined {
    if (typeof concurrency !== "number" || concurrency < 2 || ctx.rules !== registry) return undefined;
    quietHelperThreads(concurrency, availableParallelism());
    return new WarmWorkers(concurrency - 1);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Up to `count` of the workers, for the caller to stop; the rest are stopped. */
  take(count: number): LintWorker[] {
    const taken = this.workers.slice(0, count);
    const rest = this.workers.slice(count);
    this.workers = [];
    void Promise.all(rest.map((w) => w.stop()));
    return taken;
  }

  async stop(): Promise<void> {
    await Promise.all(this.take(0).map((w) => w.stop()));
  }
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
  const collectGarbage = fullCollection() ?? undefined;
  const here = (g: readonly number[]) => lintFiles(g.map((k) => inputs[k]!), { rules: ctx.rules, ...(options.timing ? { timing: options.timing } : {}), ...(collectGarbage ? { collectGarbage } : {}) }).map(report);
  const warm = options.warm?.take(workers) ?? [];
  if (workers > warm.length) quietHelperThreads(workers + 1, availableParallelism());
  const out = workers === 0 ? groups.map(here) : await withWorkers(ctx, inputs, groups, [...warm, ...Array.from({ length: workers - warm.length }, () => new LintWorker())], here, options.timing);
  debugLog(ctx, `linted ${groups.reduce((n, g) => n + g.length, 0)} file(s) in ${groups.length} group(s) ${workers ? `on the main thread and ${workers} worker thread(s)${warm.length ? ` (${warm.length} started early)` : ""}` : "in the main thread"} in ${(performance.now() - started).toFixed(0)} ms`);
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

  /** A worker started ahead (`WarmWorkers`) does not keep the process alive until it is given work. */
  unref(): void {
    this.worker.unref();
  }

  run(job: LintJob): Promise<LintJobResult> {
    this.worker.ref();
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
 * The order in which the threads take groups: largest first (ties in input order). Workers take from the
 * front, the main thread from the back, until they meet. The big groups are spread first and the threads
 * end on small ones, so neither waits long for the other at the end (in input order, a Kubernetes node's
 * dump among the last files kept one thread busy while the other had nothing left); a worker gets few,
 * big messages; and the main thread, which only feeds the workers between its own groups, keeps to groups
 * that take little time.
 */
export function scheduleOrder(sizes: readonly number[]): number[] {
  return sizes.map((_, g) => g).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
}

/**
 * The main thread and `count` workers take groups from the two ends of `scheduleOrder` until none is left.
 * Workers are fed only when the main thread is between groups (their replies are events of its loop), so
 * before the main thread starts a group it gives every worker at least as much text queued as that group
 * holds (and WORKER_QUEUE groups): linting time follows the text, so a worker does not run dry while the
 * main thread is busy with a big file.
 */
async function withWorkers(ctx: CliContext, inputs: readonly LintInput[], groups: readonly (readonly number[])[], pool: readonly LintWorker[], here: (group: readonly number[]) => LintReport[], timing: Map<string, number> | undefined): Promise<LintReport[][]> {
  const count = pool.length;
  const sizes = groups.map((g) => g.reduce((n, k) => n + inputs[k]!.text.length, 0));
  const order = scheduleOrder(sizes);
  const out: LintReport[][] = new Array(groups.length);
  // order[front..back) is left: workers take order[front], the main thread order[back - 1]
  let front = 0;
  let back = order.length;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const queued = pool.map(() => ({ jobs: 0, bytes: 0 }));
  const taken = [...pool.map(() => ({ groups: 0, bytes: 0 })), { groups: 0, bytes: 0 }]; // per worker, then the main thread
  const pending: Promise<void>[] = [];

  const send = (w: number) => {
    const g = order[front++]!;
    const group = groups[g]!;
    const q = queued[w]!;
    q.jobs++;
    q.bytes += sizes[g]!;
    taken[w]!.groups++;
    taken[w]!.bytes += sizes[g]!;
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
      while (front < back && (q.jobs < jobs || q.bytes < bytes)) send(w);
    }
  };
  const yieldToWorkers = () => new Promise<void>((resolve) => setImmediate(resolve));

  try {
    feed(0, 1); // one group each to start with: with as many groups as threads, the main thread takes one too
    await yieldToWorkers();
    while (failure === null && front < back) {
      const g = order[--back]!;
      feed(sizes[g]!, WORKER_QUEUE);
      taken[count]!.groups++;
      taken[count]!.bytes += sizes[g]!;
      out[g] = here(groups[g]!);
      await yieldToWorkers();
    }
    // wait for the workers' last groups
    while (failure === null && queued.some((q) => q.jobs > 0)) await new Promise<void>((resolve) => (wake = resolve));
    await Promise.all(pending);
    if (failure !== null) throw failure;
  } finally {
    await Promise.all(pool.map((w) => w.stop()));
  }
  debugLog(ctx, `concurrency: ${taken.map((t, w) => `${w < count ? `worker ${w + 1}` : "main thread"} ${t.groups} group(s), ${t.bytes} bytes`).join("; ")}`);
  return out;
}

/** The worker side: lint each job's inputs together and answer with the results (see lint-worker.ts). */
export function answerJob(job: LintJob): LintJobResult {
  try {
    const timing = job.timing ? new Map<string, number>() : undefined;
    const collectGarbage = fullCollection() ?? undefined;
    const results = lintFiles(job.inputs, { ...(timing ? { timing } : {}), ...(collectGarbage ? { collectGarbage } : {}) }).map((r) => {
      const { file: _file, source: _source, ...rest } = r;
      return rest;
    });
    return { id: job.id, results, ...(timing ? { timing: [...timing] } : {}) };
  } catch (err) {
    return { id: job.id, error: serializeError(err) };
  }
}
