/**
 * Kernel-backed test helpers: throw-away network namespaces with the real iptables-restore / iptables-save.
 * Tests that need them use `kernelAvailable` to skip with a clear message where not root or where the
 * iptables tools are missing. Only namespaces made here are ever touched.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { Family } from "../../src/ast/iptables.js";

function probe(): { ok: boolean; why: string } {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return { ok: false, why: "not running as root" };
  for (const tool of ["ip", "iptables-restore", "ip6tables-restore", "iptables-save", "python3"]) {
    const r = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    if (r.status !== 0) return { ok: false, why: `${tool} is not installed (apt-get install -y iptables iproute2 ipset python3)` };
  }
  const name = `fwlprobe${process.pid}`;
  const add = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
  if (add.status !== 0) return { ok: false, why: `cannot create a network namespace: ${add.stderr.trim()}` };
  const r = spawnSync("ip", ["netns", "exec", name, "iptables-save"], { encoding: "utf8" });
  spawnSync("ip", ["netns", "del", name]);
  if (r.status !== 0) return { ok: false, why: `iptables does not work in a namespace: ${r.stderr.trim()}` };
  return { ok: true, why: "" };
}

const probed = probe();
/** True when kernel-backed tests can run here. */
export const kernelAvailable = probed.ok;
/** Why kernel-backed tests are skipped (empty when they run). */
export const kernelSkipReason = probed.why;

let counter = 0;

/** A throw-away network namespace. Always `dispose()` it (use `withNetns`). */
export class Netns {
  readonly name: string;
  constructor(prefix = "fwl") {
    this.name = `${prefix}${process.pid}x${counter++}`;
    execFileSync("ip", ["netns", "add", this.name]);
    execFileSync("ip", ["netns", "exec", this.name, "ip", "link", "set", "lo", "up"]);
  }
  /** Run a command inside the namespace. */
  exec(cmd: string, args: readonly string[], input?: string) {
    return spawnSync("ip", ["netns", "exec", this.name, cmd, ...args], { encoding: "utf8", input, timeout: 60_000 });
  }
  /**
   * Restore `text` for real (committed to the kernel, not --test). Returns the kernel's verdict and, on
   * failure, the line iptables-restore names.
   */
  restore(text: string, family: Family = "ipv4", extra: readonly string[] = []): RestoreResult {
    const r = this.exec(family === "ipv6" ? "ip6tables-restore" : "iptables-restore", extra, text);
    const stderr = (r.stderr ?? "").trim();
    const m = /(?:Error occurred at line|line):? (\d+)/i.exec(stderr);
    return { ok: r.status === 0, status: r.status ?? -1, stderr, line: m ? Number(m[1]) : null };
  }
  /** `exec` without blocking the event loop. */
  execAsync(cmd: string, args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn("ip", ["netns", "exec", this.name, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
    });
  }
  /** The legacy (x_tables) backend works here: iptables-legacy-restore is installed and the kernel has ip_tables. */
  legacyWorks(): boolean {
    const r = this.exec("iptables-legacy-restore", [], "*filter\nCOMMIT\n");
    return r.status === 0;
  }
  /** `restore` without blocking the event loop, so several namespaces can work in parallel. */
  restoreAsync(text: string, family: Family = "ipv4", extra: readonly string[] = [], backend: "default" | "legacy" = "default"): Promise<RestoreResult> {
    const tool = `${family === "ipv6" ? "ip6tables" : "iptables"}${backend === "legacy" ? "-legacy" : ""}-restore`;
    return new Promise((resolve) => {
      const child = spawn("ip", ["netns", "exec", this.name, tool, ...extra], { stdio: ["pipe", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        stderr = stderr.trim();
        const m = /(?:Error occurred at line|line):? (\d+)/i.exec(stderr);
        resolve({ ok: code === 0, status: code ?? -1, stderr, line: m ? Number(m[1]) : null });
      });
      child.stdin.on("error", () => {});
      child.stdin.end(text);
    });
  }
  save(family: Family = "ipv4", table?: string): string {
    const r = this.exec(family === "ipv6" ? "ip6tables-save" : "iptables-save", table ? ["-t", table] : []);
    if (r.status !== 0) throw new Error(`iptables-save failed: ${r.stderr}`);
    return r.stdout;
  }
  /** Remove every rule and user chain of every table (for reusing a namespace between cases). */
  reset(family: Family = "ipv4") {
    // one restore of empty tables flushes every rule, deletes every user chain and resets the policies
    const r = this.restore(EMPTY_TABLES, family);
    if (r.ok) return;
    const tool = family === "ipv6" ? "ip6tables" : "iptables";
    for (const t of ["filter", "nat", "mangle", "raw", "security"]) {
      this.exec(tool, ["-t", t, "-F"]);
      this.exec(tool, ["-t", t, "-X"]);
    }
    for (const c of ["INPUT", "FORWARD", "OUTPUT"]) this.exec(tool, ["-P", c, "ACCEPT"]);
  }
  dispose() {
    spawnSync("ip", ["netns", "del", this.name]);
  }
}

const EMPTY_TABLES = [
  "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT",
  "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT",
  "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT",
  "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT",
  "*security\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT",
  "",
].join("\n");

export interface RestoreResult {
  readonly ok: boolean;
  readonly status: number;
  readonly stderr: string;
  /** Line number iptables-restore reported for the failure, if any. */
  readonly line: number | null;
}

export function withNetns<T>(fn: (ns: Netns) => T, prefix?: string): T {
  const ns = new Netns(prefix);
  try {
    return fn(ns);
  } finally {
    ns.dispose();
  }
}
