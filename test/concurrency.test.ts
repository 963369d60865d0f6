/**
 * Many files: which files the engine must lint together (lintGroups), `--concurrency` (worker threads: the
 * same report, exit code and order as the main thread), `--shard i/n` (the shards together are the whole
 * run) and FWLINT_TIMING. In-process runs start workers from the TypeScript sources (through tsx); the
 * last tests run the built program, whose workers are the compiled .js.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { deserializeError, parseConcurrency, parseShard, scheduleOrder, serializeError, shardGroups, shardOf, WarmWorkers, workerCount, AUTO_BYTES_PER_THREAD } from "../src/commands/parallel.js";
import { lintRules } from "../rules/index.js";
import { RuleCrashError } from "../src/lint.js";
import { builtCli } from "./support/build.js";
import { makeTree, runCli } from "./support/cli.js";
import { testRules } from "./support/test-rules.js";

const DUMP = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n";
const DOCKER_DUMP = readFileSync("fixtures/rules/docker-config-mismatch/project-stale/host.rules", "utf8");
const DAEMON = readFileSync("fixtures/rules/docker-config-mismatch/project-stale/daemon.json", "utf8");

describe("--concurrency and --shard values", () => {
  it("parses numbers, auto and off, and refuses the rest", () => {
    expect([parseConcurrency(undefined), parseConcurrency("off"), parseConcurrency("auto"), parseConcurrency("3")]).toEqual(["off", "off", "auto", 3]);
    for (const bad of ["0", "-1", "1.5", "two", ""]) expect(() => parseConcurrency(bad)).toThrow(/--concurrency must be/);
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    for (const bad of ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3"]) expect(() => parseShard(bad)).toThrow(/--shard must be i\/n/);
  });

  it("N threads lint: the main thread and N − 1 workers; auto: one per two CPUs, when there is enough to lint", () => {
    const big = AUTO_BYTES_PER_THREAD;
    expect(workerCount("off", [big, big], 8)).toBe(0);
    expect(workerCount(1, [big, big, big], 8)).toBe(0); // one thread: the main thread
    expect(workerCount(2, [big, big, big], 8)).toBe(1);
    expect(workerCount(3, [1, 1], 8)).toBe(1); // never more threads than groups
    expect(workerCount(4, [1, 1, 1, 1], 1)).toBe(3); // a number is taken as given
    expect(workerCount(4, [big], 8)).toBe(0); // one group
    expect(workerCount("auto", [big, big, big], 2)).toBe(0); // one thread per two CPUs
    expect(workerCount("auto", [big, big, big], 4)).toBe(1);
    expect(workerCount("auto", [big, big, big], 16)).toBe(2);
    expect(workerCount("auto", Array(20).fill(big), 16)).toBe(7);
    expect(workerCount("auto", [big], 8)).toBe(0);
    expect(workerCount("auto", Array(100).fill(1000), 8)).toBe(0); // 100 small files: not worth a worker
  });

  it("shards: by a hash of the group's first file, the same on every machine; every group in exactly one", () => {
    const groups = Array.from({ length: 200 }, (_, k) => [`hosts/host-${k}/rules.v4`]);
    const shards = [1, 2, 3].map((index) => shardGroups(groups, { index, count: 3 }, (g) => g[0]!));
    expect(shards.flat().sort()).toEqual([...groups].sort());
    for (const s of shards) expect(s.length).toBeGreaterThan(40); // roughly even
    expect(shardOf("hosts/host-0/rules.v4", 3)).toBe(shardOf("hosts/host-0/rules.v4", 3));
    expect([shardOf("a", 4), shardOf("hosts/web-1/rules.v4", 4), shardOf("hosts/web-2/rules.v4", 4)]).toEqual([1, 2, 3]); // FNV-1a: fixed values
    // adding hosts moves no existing one
    const more = [...groups, ["hosts/new/rules.v4"]];
    expect(shardGroups(more, { index: 2, count: 3 }, (g) => g[0]!).filter((g) => g[0] !== "hosts/new/rules.v4")).toEqual(shards[1]);
    expect(shardGroups(groups, undefined, (g) => g[0]!)).toEqual(groups);
  });

  it("threads take groups largest first (ties in input order): workers from the front, the main thread from the back", () => {
    expect(scheduleOrder([10, 300, 20, 300, 5])).toEqual([1, 3, 2, 0, 4]);
    expect(scheduleOrder([])).toEqual([]);
  });

  it("workers started early: only for a number of threads and the registry's rules; what is not taken is stopped", async () => {
    const ctx = { io: {} as never, exitCode: 0, debug: false, rules: lintRules };
    for (const c of ["off", "auto", 1] as const) expect(WarmWorkers.start(ctx, c)).toBeUndefined();
    expect(WarmWorkers.start({ ...ctx, rules: testRules }, 3)).toBeUndefined();
    const warm = WarmWorkers.start(ctx, 3)!;
    expect(warm.size).toBe(2);
    const taken = warm.take(1);
    expect([taken.length, warm.size]).toEqual([1, 0]);
    await Promise.all(taken.map((w) => w.stop()));
    await warm.stop();
  });

  it("a rule crash in a worker comes back as the same error", () => {
    const cause = new TypeError("x is undefined");
    const back = deserializeError(structuredClone(serializeError(new RuleCrashError("some-rule", "/a/rules.v4", cause))));
    expect(back).toBeInstanceOf(RuleCrashError);
    expect(back.message).toBe("rule some-rule crashed on /a/rules.v4: x is undefined");
    expect((back as RuleCrashError).cause).toMatchObject({ message: "x is undefined" });
    expect(deserializeError(serializeError(new Error("boom"))).message).toBe("boom");
  });
});

/** Every fixture file (dumps, scripts, daemon.json of several hosts, expectations) in one tree. */
function corpusTree(): string {
  const root = makeTree({});
  cpSync("fixtures", join(root, "fixtures"), { recursive: true });
  return root;
}

describe("--concurrency: the same report as the main thread", () => {
  let root = "";
  beforeAll(() => {
    root = corpusTree();
  });

  it("json and stylish, exit code and file order identical (every fixture file, real rules)", async () => {
    for (const format of ["json", "stylish"]) {
      const args = ["--format", format, "fixtures/**/*"];
      const off = await runCli(args, { cwd: root });
      expect(off.code).toBe(1);
      if (format === "json") expect((JSON.parse(off.stdout) as unknown[]).length).toBeGreaterThan(100);
      for (const c of ["2", "3"]) {
        const on = await runCli([...args, "--concurrency", c], { cwd: root });
        expect(on).toEqual(off);
      }
      const debug = await runCli([...args, "--concurrency", "3", "--debug"], { cwd: root });
      expect(debug.stdout).toBe(off.stdout);
      expect(debug.stderr).toMatch(/linted \d+ file\(s\) in \d+ group\(s\) on the main thread and 2 worker thread\(s\)/);
    }
  }, 120_000);

  it("the biggest file goes to the worker, started while the files are read; small ones stay in the main thread", async () => {
    const big = `*filter\n:INPUT DROP [0:0]\n${Array.from({ length: 200 }, (_, k) => `-A INPUT -p tcp --dport ${k + 1} -j ACCEPT\n`).join("")}COMMIT\n`;
    const tree = makeTree({ "a.rules": DUMP, "b.rules": DUMP, "big.rules": big, "c.rules": DUMP, "d.rules": DUMP, "e.rules": DUMP, "f.rules": DUMP });
    const off = await runCli(["--format", "json", "."], { cwd: tree });
    const on = await runCli(["--format", "json", "--concurrency", "2", "--debug", "."], { cwd: tree });
    expect(on.stdout).toBe(off.stdout);
    expect(on.stderr).toContain("on the main thread and 1 worker thread(s) (1 started early)");
    const split = /concurrency: worker 1 (\d+) group\(s\), (\d+) bytes; main thread (\d+) group\(s\), (\d+) bytes/.exec(on.stderr);
    expect(split).not.toBeNull();
    const [workerGroups, workerBytes, mainGroups, mainBytes] = split!.slice(1).map(Number);
    expect(workerGroups! + mainGroups!).toBe(7);
    expect(workerBytes! + mainBytes!).toBe(big.length + 6 * DUMP.length);
    expect(workerBytes).toBeGreaterThanOrEqual(big.length); // the big file and the next in size (queued)
    expect(mainBytes! % DUMP.length).toBe(0); // only small files
    // one file: no worker is used, and the one started early does not keep the process alive
    const one = await runCli(["a.rules", "--concurrency", "2", "--debug"], { cwd: tree });
    expect(one.code).toBe(0);
    expect(one.stderr).toContain("in 1 group(s) in the main thread");
  });

  it("a host's daemon.json and dumps are still compared (linted together, in one thread)", async () => {
    const args = ["--format", "json", "--debug", "fixtures/rules/docker-config-mismatch/project-stale"];
    const off = await runCli(args, { cwd: root });
    const on = await runCli([...args, "--concurrency", "2"], { cwd: root });
    expect(on.stdout).toBe(off.stdout);
    expect(on.code).toBe(off.code);
    expect(JSON.stringify(JSON.parse(on.stdout))).toContain("docker-config-mismatch");
    expect(on.stderr).toContain("in 1 group(s) in the main thread");
  });

  it("exit codes: 0 clean, 1 errors, 2 unreadable file (the others still reported)", async () => {
    const tree = makeTree({ "a.rules": DUMP, "b.rules": DUMP, "bad.rules": "*filter\n-A INPUT -p tcp --dport\nCOMMIT\n" });
    for (const c of ["off", "2"]) {
      expect((await runCli(["a.rules", "b.rules", "--concurrency", c], { cwd: tree })).code).toBe(0);
      expect((await runCli(["a.rules", "bad.rules", "--concurrency", c], { cwd: tree })).code).toBe(1);
      const missing = await runCli(["a.rules", "gone.rules", "bad.rules", "--concurrency", c], { cwd: tree });
      expect([missing.code, missing.stderr]).toEqual([2, "fwlint: gone.rules: cannot read file (no such file or directory)\n"]);
      expect(missing.stdout).toContain("bad.rules");
    }
  });

  it("custom rules (tests) stay in the main thread with the same results", async () => {
    const tree = makeTree({ "a.rules": DUMP, "bad.rules": "*filter\n-A INPUT -p tcp --dport\nCOMMIT\n" });
    const off = await runCli(["a.rules", "bad.rules"], { cwd: tree, rules: testRules });
    const on = await runCli(["a.rules", "bad.rules", "--concurrency", "2", "--debug"], { cwd: tree, rules: testRules });
    expect(on.stdout).toBe(off.stdout);
    expect(on.stderr).toContain("custom rules cannot be sent to worker threads");
  });

  it("bad values exit 2", async () => {
    const tree = makeTree({ "a.rules": DUMP });
    expect(await runCli(["a.rules", "--concurrency", "0"], { cwd: tree })).toMatchObject({ code: 2, stderr: 'fwlint: --concurrency must be a positive integer, "auto" or "off" (got 0)\n' });
    expect(await runCli(["a.rules", "--shard", "3/2"], { cwd: tree })).toMatchObject({ code: 2, stderr: "fwlint: --shard must be i/n with 1 ≤ i ≤ n (got 3/2)\n" });
    expect((await runCli(["a.rules", "--shard", "1/2", "--baseline-write", "b.json"], { cwd: tree })).code).toBe(2);
  });
});

describe("--shard i/n", () => {
  it("the shards together report every file once, in discovery order within each", async () => {
    const root = corpusTree();
    const all = JSON.parse((await runCli(["--format", "json", "fixtures/**/*"], { cwd: root })).stdout) as { filePath: string }[];
    const parts = await Promise.all([1, 2, 3].map((i) => runCli(["--format", "json", "--shard", `${i}/3`, "fixtures/**/*"], { cwd: root })));
    const shards = parts.map((p) => JSON.parse(p.stdout) as { filePath: string }[]);
    expect(shards.every((s) => s.length > 0)).toBe(true);
    const order = new Map(all.map((r, k) => [r.filePath, k]));
    for (const s of shards) expect(s.map((r) => order.get(r.filePath)!)).toEqual(s.map((r) => order.get(r.filePath)!).sort((a, b) => a - b));
    expect(shards.flat().sort((a, b) => order.get(a.filePath)! - order.get(b.filePath)!)).toEqual(all);
    // the exit code is each shard's own
    expect(parts.map((p) => p.code).some((c) => c === 1)).toBe(true);
  }, 60_000);

  it("keeps a host's daemon.json with its dumps", async () => {
    const tree = makeTree({ "host/daemon.json": DAEMON, "host/rules.v4": DOCKER_DUMP });
    const whole = await runCli(["--format", "json", "host"], { cwd: tree });
    const shards = await Promise.all(["1/2", "2/2"].map((s) => runCli(["--format", "json", "--shard", s, "host"], { cwd: tree })));
    const [withHost, without] = shardOf("host/daemon.json", 2) === 1 ? shards : [shards[1]!, shards[0]!];
    expect(withHost!.stdout).toBe(whole.stdout);
    expect(JSON.parse(without!.stdout)).toEqual([]);
    expect(without!.code).toBe(0);
  });
});

describe("FWLINT_TIMING", () => {
  it("prints the phases as one JSON line on stderr", async () => {
    const tree = makeTree({ "a.rules": DUMP, "b.rules": DUMP });
    for (const c of ["off", "2"]) {
      const r = await runCli(["a.rules", "b.rules", "--concurrency", c], { cwd: tree, env: { FWLINT_TIMING: "1" } });
      expect(r.code).toBe(0);
      const line = JSON.parse(r.stderr.trim().split("\n").pop()!) as { fwlintTiming: Record<string, number>; files: number; maxRssBytes: number };
      expect(Object.keys(line.fwlintTiming)).toEqual(expect.arrayContaining(["startup", "read", "parse", "directives", "report", "rule:syntax-error"]));
      expect(line.files).toBe(2);
      expect(line.maxRssBytes).toBeGreaterThan(1e6);
    }
    expect((await runCli(["a.rules"], { cwd: tree, env: { FWLINT_TIMING: "0" } })).stderr).toBe("");
  });
});

describe("the built program's worker threads", () => {
  let CLI = "";
  beforeAll(() => {
    CLI = builtCli();
  }, 120_000);

  it("report what the main thread reports", () => {
    const root = corpusTree();
    const run = (extra: string[]) => spawnSync(process.execPath, [CLI, "--format", "json", "fixtures/**/*", ...extra], { cwd: root, encoding: "utf8", env: { PATH: process.env.PATH ?? "" }, maxBuffer: 64 << 20 });
    const off = run([]);
    const on = run(["--concurrency", "2", "--debug"]);
    expect(on.status).toBe(off.status);
    expect(on.stdout).toBe(off.stdout);
    expect(on.stderr).toContain("on the main thread and 1 worker thread(s)");
  }, 60_000);
});
