#!/usr/bin/env node
// `npm run bench` (builds first): the performance benchmark of issue 7. See README, "Performance", and docs/performance.md.
//
// Generates deterministic rulesets into bench/out/ (git-ignored), then measures, with the built CLI as users
// run it (a fresh `node dist/bundle/cli.js` process — the bin — per run, every rule on, default configuration, output to
// /dev/null):
//  - the full lint of 1k/10k/100k-rule dumps against `iptables-restore --test` on the same files inside a
//    throw-away network namespace (root with iptables only), interleaved, medians, the ratio; peak RSS;
//  - the floor under any design (scripts/bench/floor.mjs: a fresh node that reads the 100k dump and gives
//    each word an id, nothing more), and that floor with a compact design's structure (--rules: each rule's
//    chain and options in typed arrays), in the same rounds, against the 0.5× budget;
//  - per-phase timings (FWLINT_TIMING=1) grouped by rule category; linear growth 10k → 100k;
//  - unreachable-rule on one 20,000-rule chain, `fwlint exposure` on 1,000 published ports, `fwlint trace
//    --packets` throughput on the 100k dump (when this build has them), `--concurrency` on 500 dumps, and
//    `--cache` on a copy of them (first run, next run, one dump changed; not a target);
//  - a CPU profile of the 100k lint (top functions, GC share).
// Prints tables with PASS/FAIL per target and writes bench/results.json.
//
// Options: --reps N (default 5)  --quick (2 repetitions, 100 dumps; writes bench/out/results-quick.json)
//          --no-profile  --cli PATH (another build's cli.js)  --output FILE  --strict (exit 1 on a FAIL)
//          --markdown (print the README tables of bench/results.json and exit)
//          --update-readme (put those tables in README.md, between the bench:start/end markers)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { docker, fleet, kube, kubePackets, longChain } from "./bench/generate.mjs";
import * as lib from "./bench/lib.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "bench/out");
const FLOOR = join(ROOT, "scripts/bench/floor.mjs");

// ── options ─────────────────────────────────────────────────────────────────────────────────────────────
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag("--quick");
const REPS = Number(value("--reps") ?? (QUICK ? 2 : 5));
const CLI = resolve(value("--cli") ?? join(ROOT, JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).bin.fwlint));
const OUTPUT = resolve(value("--output") ?? (QUICK ? join(OUT, "results-quick.json") : join(ROOT, "bench/results.json")));
const PROFILE = !flag("--no-profile");
const FLEET_HOSTS = QUICK ? 100 : 500;
const SIZES = [1000, 10_000, 100_000];
if (!Number.isInteger(REPS) || REPS < 1) throw new Error("--reps needs a positive integer");

// ── running things ──────────────────────────────────────────────────────────────────────────────────────
const TIME = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M", "true"]).status === 0 ? "/usr/bin/time" : null;
const RSS_MARK = "FWLINT_BENCH_MAXRSS_KB";

/** Run a command; wall milliseconds around the child process. stdout discarded unless `capture`. */
function run(cmd, args, opts = {}) {
  const env = { ...process.env, ...(opts.env ?? {}) };
  delete env.FWLINT_TIMING;
  if (opts.env?.FWLINT_TIMING) env.FWLINT_TIMING = opts.env.FWLINT_TIMING;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: ["ignore", opts.capture ? "pipe" : "ignore", "pipe"], encoding: "utf8", maxBuffer: 1 << 30, timeout: 20 * 60_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, status: r.status, signal: r.signal, error: r.error, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * Run fwlint (under /usr/bin/time, when it exists, for the peak RSS and the CPU time of the process). Exit
 * codes 0 and 1 are success.
 */
function fwlint(args, opts = {}) {
  const node = [...(opts.nodeArgs ?? []), CLI, ...args];
  const r = TIME ? run(TIME, ["-f", `${RSS_MARK} %M %U %S`, process.execPath, ...node], opts) : run(process.execPath, node, opts);
  const m = new RegExp(`^${RSS_MARK} (\\d+) ([\\d.]+) ([\\d.]+)$`, "m").exec(r.stderr);
  const rssBytes = m ? Number(m[1]) * 1024 : null;
  const cpuMs = m ? (Number(m[2]) + Number(m[3])) * 1000 : null;
  const stderr = r.stderr.replace(new RegExp(`^${RSS_MARK} .*\\n?`, "m"), "");
  if (r.error || (r.status !== 0 && r.status !== 1)) throw new Error(`fwlint ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}): ${stderr.trim().split("\n").slice(-3).join(" / ")}`);
  return { ...r, stderr, rssBytes, cpuMs };
}

/** The FWLINT_TIMING line of a run's stderr. */
function timingOf(stderr) {
  const line = stderr
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith('{"fwlintTiming"'));
  if (!line) throw new Error(`no FWLINT_TIMING line in: ${stderr.slice(-300)}`);
  return JSON.parse(line);
}

/**
 * Run contenders interleaved: a warm-up round, then `reps` rounds, alternately in order and in reverse, so
 * that slow periods of a shared machine hit all of them. Returns samples per contender.
 */
function interleave(contenders, reps, label) {
  const samples = Object.fromEntries(contenders.map((c) => [c.key, []]));
  for (const c of contenders) c.run();
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 ? [...contenders].reverse() : contenders;
    for (const c of order) samples[c.key].push(c.run());
    process.stderr.write(`\r${label}: round ${rep + 1}/${reps}   `);
  }
  process.stderr.write("\n");
  return samples;
}

const sha = (text) => createHash("sha256").update(text).digest("hex").slice(0, 16);
const countRules = (text) => text.split("\n").filter((l) => l.startsWith("-A ")).length;
const write = (name, text) => {
  const path = join(OUT, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return { name, path, rules: countRules(text), bytes: Buffer.byteLength(text), sha256: sha(text) };
};
const rel = (p) => relative(ROOT, p) || ".";

// ── iptables-restore in a throw-away namespace ──────────────────────────────────────────────────────────
const NETNS = `fwlint-bench-${process.pid}`;
let netnsCreated = false;

function iptablesSetup() {
  if (process.getuid?.() !== 0) return { unavailable: "not measured: needs root (iptables-restore in a network namespace)" };
  const v = run("iptables-restore", ["--version"], { capture: true });
  if (v.error || v.status !== 0) return { unavailable: "not measured: iptables-restore not found" };
  const add = run("ip", ["netns", "add", NETNS]);
  if (add.error || add.status !== 0) return { unavailable: `not measured: cannot create a network namespace (${add.error?.message ?? add.stderr.trim()})` };
  netnsCreated = true;
  const probe = join(OUT, "probe.rules");
  writeFileSync(probe, "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n");
  const t = run("ip", ["netns", "exec", NETNS, "iptables-restore", "--test", probe]);
  if (t.status !== 0) return { unavailable: `not measured: iptables-restore --test fails in a namespace (${t.stderr.trim()})` };
  return { version: v.stdout.trim() || v.stderr.trim() };
}

function cleanup() {
  if (netnsCreated) {
    spawnSync("ip", ["netns", "del", NETNS]);
    netnsCreated = false;
  }
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

// ── the benchmark ───────────────────────────────────────────────────────────────────────────────────────
function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: npm run build first (npm run bench does)`);
  mkdirSync(OUT, { recursive: true });
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
  const git = (...a) => spawnSync("git", a, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() || null;
  const build = { cli: rel(CLI), commit: git("rev-parse", "--short", "HEAD"), branch: git("rev-parse", "--abbrev-ref", "HEAD"), dirty: Boolean(git("status", "--porcelain", "--untracked-files=no")) };
  console.error(`fwlint benchmark: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${loadStart.map((l) => l.toFixed(2)).join(" ")}; ${REPS} repetitions${QUICK ? " (quick)" : ""}`);

  // what this build has
  const ruleList = JSON.parse(fwlint(["--list-rules", "--format", "json"], { capture: true }).stdout);
  const categoryOf = new Map(ruleList.map((r) => [r.id, r.category]));
  const help = fwlint(["--help"], { capture: true }).stdout;
  const has = {
    unreachableRule: categoryOf.has("unreachable-rule"),
    exposure: /^\s+\S*fwlint exposure\b/m.test(help),
    trace: /^\s+\S*fwlint trace\b/m.test(help),
  };

  // inputs
  const files = {};
  for (const n of SIZES) files[`kube-${n}`] = write(`kube-${n}.rules`, kube(n));
  files.empty = write("empty.rules", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n");
  files.chain = write("long-chain-20000.rules", longChain(20_000));
  files.docker = write("docker-1000-ports.rules", docker(1000));
  const fleetDir = join(OUT, "fleet");
  rmSync(fleetDir, { recursive: true, force: true });
  const fleetFiles = fleet(FLEET_HOSTS).map(([name, text]) => write(join("fleet", name), text));
  const fleetInfo = { name: "fleet", path: fleetDir, files: fleetFiles.length, rules: fleetFiles.reduce((n, f) => n + f.rules, 0), bytes: fleetFiles.reduce((n, f) => n + f.bytes, 0), sha256: sha(fleetFiles.map((f) => f.sha256).join("")) };

  const ipt = iptablesSetup();
  const validity = {};
  if (!ipt.unavailable) {
    for (const [key, f] of Object.entries(files)) {
      const t = run("ip", ["netns", "exec", NETNS, "iptables-restore", "--test", f.path]);
      validity[key] = t.status === 0 ? "accepted" : `refused: ${t.stderr.trim().split("\n")[0]}`;
    }
  }

  // 1. full lint vs iptables-restore --test, interleaved
  const contenders = [{ key: "fwlint:empty", run: () => fwlint(["--format", "json", files.empty.path]) }];
  if (!ipt.unavailable) contenders.push({ key: "netns-exec", run: () => run("ip", ["netns", "exec", NETNS, "true"]) });
  for (const n of SIZES) {
    const f = files[`kube-${n}`];
    contenders.push({ key: `fwlint:kube-${n}`, run: () => fwlint(["--format", "json", f.path]) });
    if (!ipt.unavailable && validity[`kube-${n}`] === "accepted") contenders.push({ key: `ipt:kube-${n}`, run: () => run("ip", ["netns", "exec", NETNS, "iptables-restore", "--test", f.path]) });
  }
  // the floor under any design, on the largest dump
  const floorFile = files[`kube-${SIZES[SIZES.length - 1]}`];
  const floorRun = (args) => () => {
    const r = run(process.execPath, [FLOOR, ...args, floorFile.path], { capture: true });
    if (r.error || r.status !== 0) throw new Error(`${rel(FLOOR)} failed: ${r.error?.message ?? r.stderr.trim().split("\n").slice(-2).join(" / ")}`);
    return { ...r, out: JSON.parse(r.stdout) };
  };
  contenders.push({ key: "floor", run: floorRun([]) }, { key: "floor:rules", run: floorRun(["--rules"]) });
  const lintSamples = interleave(contenders, REPS, "lint vs iptables-restore");
  const ms = (key) => lib.summarize((lintSamples[key] ?? []).map((s) => s.ms));
  const startMs = ms("fwlint:empty").median;
  const netnsMs = ipt.unavailable ? 0 : (ms("netns-exec").median ?? 0);
  const lint = SIZES.map((n) => {
    const key = `kube-${n}`;
    const fw = ms(`fwlint:${key}`);
    const iptRaw = lintSamples[`ipt:${key}`] ? lib.summarize(lintSamples[`ipt:${key}`].map((s) => Math.max(0, s.ms - netnsMs))) : null;
    const rss = lib.summarize(lintSamples[`fwlint:${key}`].map((s) => s.rssBytes ?? NaN));
    return {
      file: rel(files[key].path),
      rules: files[key].rules,
      bytes: files[key].bytes,
      fwlintMs: fw,
      fwlintCpuMs: lib.summarize(lintSamples[`fwlint:${key}`].map((s) => s.cpuMs ?? NaN)),
      fwlintNetMs: fw.median !== null && startMs !== null ? fw.median - startMs : null,
      iptablesRestoreMs: iptRaw,
      iptablesRestore: iptRaw ? null : (ipt.unavailable ?? validity[key]),
      ratio: iptRaw?.median ? fw.median / iptRaw.median : null,
      peakRssBytes: rss.max,
      peakRssMedianBytes: rss.median,
    };
  });

  const floorRuns = lintSamples.floor;
  const floorIpt = lint[lint.length - 1].iptablesRestoreMs?.median ?? null;
  const floorWall = lib.summarize(floorRuns.map((s) => s.ms));
  const floor = {
    file: rel(floorFile.path),
    wallMs: floorWall,
    startMs: lib.median(floorRuns.map((s) => s.out.startMs)),
    readMs: lib.median(floorRuns.map((s) => s.out.readMs)),
    wordsMs: lib.median(floorRuns.map((s) => s.out.wordsMs)),
    words: floorRuns[0].out.words,
    distinct: floorRuns[0].out.distinct,
    ratio: floorIpt ? floorWall.median / floorIpt : null,
    budgetMs: floorIpt ? floorIpt / 2 : null,
  };
  // the floor with a compact design's structure: chains, rules and options in typed arrays
  const structureRuns = lintSamples["floor:rules"];
  const structureWall = lib.summarize(structureRuns.map((s) => s.ms));
  floor.rules = {
    wallMs: structureWall,
    wordsMs: lib.median(structureRuns.map((s) => s.out.wordsMs)),
    chains: structureRuns[0].out.chains,
    rules: structureRuns[0].out.rules,
    options: structureRuns[0].out.options,
    ratio: floorIpt ? structureWall.median / floorIpt : null,
  };

  // 2. phases (separate runs with FWLINT_TIMING=1, interleaved over the sizes)
  const timingRuns = interleave(
    SIZES.map((n) => ({ key: `kube-${n}`, run: () => timingOf(fwlint(["--format", "json", files[`kube-${n}`].path], { env: { FWLINT_TIMING: "1" } }).stderr) })),
    REPS,
    "phases (FWLINT_TIMING)",
  );
  const phases = Object.fromEntries(
    SIZES.map((n) => {
      const runs = timingRuns[`kube-${n}`];
      const raw = lib.medianPhases(runs.map((r) => r.fwlintTiming));
      return [`kube-${n}`, { wallMs: lib.median(runs.map((r) => r.wall)), grouped: lib.groupPhases(raw, (id) => categoryOf.get(id)), slowestRules: lib.slowestRules(raw, 5), raw }];
    }),
  );

  // 3. linear growth, net of the process start (the median run of a 3-line file)
  const l10 = lint[1];
  const l100 = lint[2];
  const growth = lib.growthPer10x(l10.fwlintNetMs, l100.fwlintNetMs, l10.rules, l100.rules);
  const linear = { smallRules: l10.rules, bigRules: l100.rules, smallNetMs: l10.fwlintNetMs, bigNetMs: l100.fwlintNetMs, startMs, grossRatio: l100.fwlintMs.median / l10.fwlintMs.median, per10x: growth };

  // 4. unreachable-rule on one 20,000-rule chain (only that rule on, so shared analyses count for it)
  let unreachable;
  if (!has.unreachableRule) unreachable = { unavailable: "not available: unreachable-rule is not in this build (model branch)" };
  else {
    const cfg = join(OUT, "only-unreachable-rule.json");
    writeFileSync(cfg, JSON.stringify({ rules: Object.fromEntries(ruleList.map((r) => [r.id, r.id === "unreachable-rule" ? "warn" : "off"])) }, null, 2));
    const runs = interleave([{ key: "u", run: () => fwlint(["--format", "json", "-c", cfg, files.chain.path], { env: { FWLINT_TIMING: "1" } }) }], REPS, "unreachable-rule, 20,000-rule chain").u;
    const ruleMs = lib.summarize(runs.map((r) => timingOf(r.stderr).fwlintTiming["rule:unreachable-rule"] ?? NaN));
    const wall = lib.summarize(runs.map((r) => r.ms));
    const findings = JSON.parse(fwlint(["--format", "json", "-c", cfg, files.chain.path], { capture: true }).stdout)[0]?.messages?.length ?? null;
    unreachable = { value: ruleMs.median, detail: `rule phase; whole run ${lib.fmtMs(wall.median)}, ${findings} findings`, ruleMs, wallMs: wall, findings, rules: files.chain.rules };
  }

  // 5. fwlint exposure on a Docker host with 1,000 published ports (the whole command, as run)
  let exposure;
  if (!has.exposure) exposure = { unavailable: "not available: fwlint exposure is not in this build (model branch)" };
  else {
    const runs = interleave([{ key: "e", run: () => fwlint(["exposure", "--format", "json", files.docker.path]) }], REPS, "exposure, 1,000 published ports").e;
    const wall = lib.summarize(runs.map((r) => r.ms));
    const out = fwlint(["exposure", "--format", "json", files.docker.path], { capture: true }).stdout;
    let items = null;
    try {
      const v = JSON.parse(out);
      items = Array.isArray(v) ? v.length : Array.isArray(v?.items) ? v.items.length : null;
    } catch {
      /* not JSON: leave the count out */
    }
    exposure = { value: wall.median, detail: `whole command incl. start-up; ${items ?? "?"} services reported`, wallMs: wall, items };
  }

  // 6. fwlint trace --packets on the 100k dump: marginal rate between 1 packet and N packets
  let traceResult;
  if (!has.trace) traceResult = { unavailable: "not available: fwlint trace is not in this build (model branch)" };
  else {
    const dump = files["kube-100000"];
    const onePath = write("packets-1.jsonl", kubePackets(100_000, 1)).path;
    const probeN = 2000;
    const probePath = write(`packets-${probeN}.jsonl`, kubePackets(100_000, probeN)).path;
    const tr = (p, capture = false) => fwlint(["trace", dump.path, "--packets", p], { capture });
    const t1 = tr(onePath).ms;
    const tp = tr(probePath).ms;
    const cap = QUICK ? 50_000 : 200_000;
    const sizeFor = (rate) => Math.max(5000, Math.min(cap, Math.round((rate * 3) / 1000) * 1000));
    // The batch should take a few seconds beyond loading, so that the difference of the two medians is not
    // lost in the noise of the loading itself. A small probe mostly measures warm-up (the first packets are
    // the slowest), so one more probe at the size it suggests corrects the estimate.
    let n = sizeFor(lib.throughput(1, t1, probeN, tp) ?? 10_000);
    const firstPath = write(`packets-${n}.jsonl`, kubePackets(100_000, n)).path;
    const again = sizeFor(lib.throughput(1, t1, n, tr(firstPath).ms) ?? 10_000);
    if (again > n) n = again;
    const manyPath = write(`packets-${n}.jsonl`, kubePackets(100_000, n)).path;
    const samples = interleave(
      [
        { key: "one", run: () => tr(onePath) },
        { key: "many", run: () => tr(manyPath) },
      ],
      Math.max(3, Math.ceil(REPS / 2)),
      `trace --packets (${n} packets)`,
    );
    const one = lib.summarize(samples.one.map((r) => r.ms));
    const many = lib.summarize(samples.many.map((r) => r.ms));
    const lines = tr(manyPath, true).stdout.trim().split("\n");
    const errors = lines.filter((l) => l.startsWith('{"error"')).length;
    const value = lib.throughput(1, one.median, n, many.median);
    const overlap = many.min <= one.max ? "; ranges overlap" : "";
    traceResult = { value, detail: `${fmt(n)} packets in ${lib.fmtMs(many.median - one.median)} after loading (${lib.fmtMs(one.median)})${overlap}; ${errors} refused`, packets: n, oneMs: one, manyMs: many, outputLines: lines.length, errorLines: errors };
  }

  // 7. --concurrency on a directory of dumps vs one at a time
  let concurrency;
  const threads = Math.max(2, machine.cores);
  {
    const seqArgs = ["--format", "json", fleetDir];
    const parArgs = ["--format", "json", "--concurrency", String(threads), fleetDir];
    const seqOut = fwlint(seqArgs, { capture: true });
    const parOut = fwlint(parArgs, { capture: true });
    const identical = seqOut.stdout === parOut.stdout && seqOut.status === parOut.status;
    const samples = interleave(
      [
        { key: "seq", run: () => fwlint(seqArgs) },
        { key: "par", run: () => fwlint(parArgs) },
      ],
      REPS,
      `--concurrency ${threads} vs off, ${fleetInfo.files} dumps`,
    );
    const seq = lib.summarize(samples.seq.map((r) => r.ms));
    const par = lib.summarize(samples.par.map((r) => r.ms));
    const speedup = seq.median && par.median ? seq.median / par.median : null;
    concurrency = {
      value: machine.cores < 2 ? null : speedup,
      ...(machine.cores < 2 ? { unavailable: "not measured: one CPU" } : {}),
      detail: `${lib.fmtMs(seq.median)} → ${lib.fmtMs(par.median)} on ${threads} threads${par.max > seq.min && par.min < seq.max ? ", ranges overlap" : ""}; reports ${identical ? "identical" : "DIFFERENT"}`,
      threads,
      sequentialMs: seq,
      concurrentMs: par,
      sequentialCpuMs: lib.summarize(samples.seq.map((r) => r.cpuMs ?? NaN)),
      concurrentCpuMs: lib.summarize(samples.par.map((r) => r.cpuMs ?? NaN)),
      sequentialRssBytes: lib.summarize(samples.seq.map((r) => r.rssBytes ?? NaN)).max,
      concurrentRssBytes: lib.summarize(samples.par.map((r) => r.rssBytes ?? NaN)).max,
      identical,
    };
    if (!identical) concurrency.value = null;
  }

  // 7b. --cache on a copy of the same dumps (not a target: what a re-run costs): the first run, which lints
  // everything and writes the cache; the next run, answered from it; a run after one dump changed
  let cache;
  {
    const dir = join(OUT, "fleet-cache");
    rmSync(dir, { recursive: true, force: true });
    cpSync(fleetDir, dir, { recursive: true });
    const cacheFile = join(OUT, "fleet.fwlintcache");
    const args = ["--format", "json", "--cache", "--cache-location", cacheFile, dir];
    const plain = fwlint(["--format", "json", dir], { capture: true });
    const victim = join(dir, readdirSync(dir).sort()[0], "rules.v4");
    const original = readFileSync(victim, "utf8");
    let flip = 0;
    const samples = interleave(
      [
        { key: "first", run: () => (rmSync(cacheFile, { force: true }), fwlint(args)) },
        { key: "next", run: () => fwlint(args) },
        // each run sees the dump differ from what the cache holds
        { key: "changed", run: () => (writeFileSync(victim, flip++ % 2 ? original : `${original}# changed\n`), fwlint(args)) },
      ],
      REPS,
      `--cache, ${fleetInfo.files} dumps`,
    );
    writeFileSync(victim, original);
    fwlint(args);
    const again = fwlint(args, { capture: true });
    cache = {
      firstMs: lib.summarize(samples.first.map((r) => r.ms)),
      nextMs: lib.summarize(samples.next.map((r) => r.ms)),
      oneChangedMs: lib.summarize(samples.changed.map((r) => r.ms)),
      cacheBytes: statSync(cacheFile).size,
      identical: again.stdout === plain.stdout && again.status === plain.status,
    };
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheFile, { force: true });
  }

  // 8. CPU profile of the 100k lint
  let profile = null;
  if (PROFILE) {
    const dir = join(OUT, "profile");
    rmSync(dir, { recursive: true, force: true });
    fwlint(["--format", "json", files["kube-100000"].path], { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] });
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (file) {
      const shorten = (url) => url.replace(/^file:\/\//, "").replace(`${ROOT}/`, "");
      profile = { file: rel(join(dir, file)), ...lib.summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")), 15, shorten) };
    }
  }

  const l100k = lint[2];
  const measurements = {
    "lint-vs-iptables-restore": l100k.ratio !== null ? { value: l100k.ratio, detail: `${lib.fmtMs(l100k.fwlintMs.median)} vs ${lib.fmtMs(l100k.iptablesRestoreMs.median)}` } : { unavailable: l100k.iptablesRestore ?? ipt.unavailable ?? "not measured" },
    "peak-rss": { value: l100k.peakRssBytes, ...(l100k.peakRssBytes === null ? { unavailable: "not measured: /usr/bin/time missing" } : { detail: "largest of the runs" }) },
    "linear-growth": { value: growth, detail: `${lib.fmtMs(linear.smallNetMs)} → ${lib.fmtMs(linear.bigNetMs)} net of start-up, ${fmt(l10.rules)} → ${fmt(l100.rules)} rules` },
    "unreachable-rule": unreachable,
    exposure,
    "trace-throughput": traceResult,
    concurrency,
  };
  const targets = lib.evaluateTargets(measurements);
  const results = {
    generatedAt: startedAt.toISOString(),
    quick: QUICK,
    repetitions: REPS,
    machine: { ...machine, iptables: ipt.version ?? null },
    conditions: {
      loadAverageStart: loadStart.map((l) => Number(l.toFixed(2))),
      loadAverageEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
      durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      note: "Wall times of whole processes on a possibly shared machine: contenders interleaved (alternating order), one warm-up round, medians with min–max. iptables-restore times exclude the cost of `ip netns exec` (measured in the same rounds and subtracted). Load average above the core count means other work competed for the CPU.",
    },
    build: { ...build, available: has },
    inputs: { ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, { file: rel(f.path), rules: f.rules, bytes: f.bytes, sha256: f.sha256, iptablesRestoreTest: validity[k] ?? null }])), fleet: { ...fleetInfo, path: rel(fleetInfo.path) } },
    lint,
    floor,
    phases,
    linear,
    unreachableRule: unreachable,
    exposure,
    trace: traceResult,
    concurrency,
    cache,
    profile,
    targets,
  };
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${report(results)}\n\nResults written to ${rel(OUTPUT)}\n`);
  cleanup();
  if (flag("--strict") && targets.some((t) => t.status === "FAIL")) process.exitCode = 1;
}

const fmt = lib.fmtCount;

// ── tables ──────────────────────────────────────────────────────────────────────────────────────────────
function sections(r) {
  const lintRows = r.lint.map((l) => [
    l.file.replace(/^bench\/out\//, ""),
    fmt(l.rules),
    lib.fmtBytes(l.bytes),
    lib.fmtSpread(l.fwlintMs),
    lib.fmtMs(l.fwlintCpuMs?.median),
    l.iptablesRestoreMs ? lib.fmtSpread(l.iptablesRestoreMs) : l.iptablesRestore,
    l.ratio !== null ? `${l.ratio.toFixed(2)}×` : "—",
    lib.fmtBytes(l.peakRssBytes),
  ]);
  const big = r.phases["kube-100000"];
  const phaseRows = big ? Object.entries(big.grouped).map(([k, v]) => [k, lib.fmtMs(v), big.wallMs ? `${((100 * v) / big.wallMs).toFixed(0)}%` : "—"]) : [];
  const slowRows = big ? big.slowestRules.map(([id, v]) => [id, lib.fmtMs(v)]) : [];
  const fl = r.floor;
  const other = [
    ...(fl
      ? [
          [
            "Floor: a fresh node reading the 100k dump and giving each word an id, nothing more (scripts/bench/floor.mjs)",
            `${lib.fmtSpread(fl.wallMs)} (start ${lib.fmtMs(fl.startMs)}, read ${lib.fmtMs(fl.readMs)}, words ${lib.fmtMs(fl.wordsMs)}; ${fmt(fl.words)} words, ${fmt(fl.distinct)} distinct)${fl.ratio !== null ? `: ${fl.ratio.toFixed(2)}× iptables-restore --test, ${Math.round((100 * fl.wallMs.median) / fl.budgetMs)}% of the 0.5× target's ${lib.fmtMs(fl.budgetMs)}` : ""}`,
          ],
        ]
      : []),
    ...(fl?.rules
      ? [
          [
            "Floor with a compact design's structure: the words, then each rule's chain and options with their values in typed arrays (floor.mjs --rules)",
            `${lib.fmtSpread(fl.rules.wallMs)} (words and structure ${lib.fmtMs(fl.rules.wordsMs)}; ${fmt(fl.rules.chains)} chains, ${fmt(fl.rules.rules)} rules, ${fmt(fl.rules.options)} options)${fl.rules.ratio !== null ? `: ${fl.rules.ratio.toFixed(2)}× iptables-restore --test, ${Math.round((100 * fl.rules.wallMs.median) / fl.budgetMs)}% of the budget` : ""}`,
          ],
        ]
      : []),
    ["unreachable-rule, 20,000-rule chain", r.unreachableRule.unavailable ?? `${lib.fmtMs(r.unreachableRule.value)} (${r.unreachableRule.detail})`],
    ["fwlint exposure, 1,000 published ports", r.exposure.unavailable ?? `${lib.fmtMs(r.exposure.value)} (${r.exposure.detail})`],
    ["fwlint trace --packets, 100k-rule dump", r.trace.unavailable ?? `${fmt(r.trace.value)} packets/s (${r.trace.detail})`],
    [`--concurrency ${r.concurrency.threads} vs off, ${r.inputs.fleet.files} dumps (${fmt(r.inputs.fleet.rules)} rules, ${lib.fmtBytes(r.inputs.fleet.bytes)})`, `${lib.fmtSpread(r.concurrency.sequentialMs)} one at a time → ${lib.fmtSpread(r.concurrency.concurrentMs)}; CPU ${lib.fmtMs(r.concurrency.sequentialCpuMs?.median)} → ${lib.fmtMs(r.concurrency.concurrentCpuMs?.median)}; reports ${r.concurrency.identical ? "identical" : "DIFFERENT"}`],
    ...(r.cache ? [[`--cache, the same ${r.inputs.fleet.files} dumps (not a target)`, `first run ${lib.fmtSpread(r.cache.firstMs)} (writes a ${lib.fmtBytes(r.cache.cacheBytes)} cache) → next run ${lib.fmtSpread(r.cache.nextMs)}; one dump changed ${lib.fmtSpread(r.cache.oneChangedMs)}; reports ${r.cache.identical ? "identical to a run without the cache" : "DIFFERENT"}`]] : []),
    ["Linear growth 10k → 100k (net of start-up)", `${lib.fmtMs(r.linear.smallNetMs)} → ${lib.fmtMs(r.linear.bigNetMs)} (${r.linear.per10x?.toFixed(2) ?? "—"}× per 10× rules; start-up ${lib.fmtMs(r.linear.startMs)})`],
  ];
  const m = r.machine;
  const machineLine = `${m.cpu}, ${m.cores} cores, ${lib.fmtBytes(m.memoryBytes)} RAM, ${m.os}, Node ${m.node}${m.iptables ? `, ${m.iptables}` : ""}; load average ${r.conditions.loadAverageStart.join(" ")} at start, ${r.conditions.loadAverageEnd.join(" ")} at end; ${r.repetitions} repetitions, ${r.generatedAt.slice(0, 10)}, fwlint ${r.build.commit ?? "?"}${r.build.dirty ? " (modified)" : ""} (${r.build.branch ?? "?"})`;
  return {
    machineLine,
    lint: { headers: ["Dump", "Rules", "Size", "fwlint (median, min–max)", "fwlint CPU", "iptables-restore --test", "Ratio", "Peak RSS"], rows: lintRows, align: ["l", "r", "r", "r", "r", "r", "r", "r"] },
    phases: { headers: ["Phase (100k dump)", "Time", "Share"], rows: phaseRows, align: ["l", "r", "r"] },
    slowest: { headers: ["Slowest rules (100k dump)", "Time"], rows: slowRows, align: ["l", "r"] },
    other: { headers: ["Measurement", "Result"], rows: other, align: ["l", "l"] },
    targets: { headers: ["Status", "Target", "Limit", "Measured"], rows: lib.targetRows(r.targets), align: ["l", "l", "l", "l"] },
  };
}

function report(r) {
  const s = sections(r);
  const t = (x) => lib.formatTable(x.headers, x.rows, x.align);
  const prof = r.profile
    ? `\nCPU profile of the 100k lint (${r.profile.file}): ${lib.fmtMs(r.profile.totalMs)} sampled, ${(100 * r.profile.gcShare).toFixed(0)}% in the garbage collector\n${lib.formatTable(
        ["Self time", "Share", "Function"],
        r.profile.functions.slice(0, 12).map((f) => [lib.fmtMs(f.ms), `${(100 * f.share).toFixed(1)}%`, f.name]),
        ["r", "r", "l"],
      )}\n`
    : "";
  return [`Machine: ${s.machineLine}`, "", t(s.lint), "", t(s.phases), "", t(s.slowest), "", t(s.other), prof, t(s.targets)].join("\n");
}

function markdown(r) {
  const s = sections(r);
  const t = (x) => lib.markdownTable(x.headers, x.rows, x.align);
  return [`Measured on: ${s.machineLine}.`, "", t(s.targets), "", t(s.lint), "", t(s.phases), "", t(s.other)].join("\n");
}

const README_START = "<!-- bench:start (npm run bench, then node scripts/bench.mjs --update-readme) -->";
const README_END = "<!-- bench:end -->";

if (flag("--markdown") || flag("--update-readme")) {
  const tables = markdown(JSON.parse(readFileSync(resolve(value("--input") ?? join(ROOT, "bench/results.json")), "utf8")));
  if (flag("--markdown")) process.stdout.write(`${tables}\n`);
  else {
    const path = join(ROOT, "README.md");
    const readme = readFileSync(path, "utf8");
    const a = readme.indexOf(README_START);
    const b = readme.indexOf(README_END);
    if (a < 0 || b < a) throw new Error(`README.md has no ${README_START} … ${README_END} block`);
    writeFileSync(path, `${readme.slice(0, a + README_START.length)}\n${tables}\n${readme.slice(b)}`);
    console.error("README.md: Performance tables updated from bench/results.json");
  }
} else {
  benchmark();
}

function benchmark() {
  try {
    main();
  } catch (err) {
    cleanup();
    console.error(`\nbench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
