/**
 * Restore rules into a throw-away network namespace and read them back: the ground truth the extension catalog
 * is checked against (test/catalog-kernel.test.ts). Needs root, `ip` and iptables-restore/-save.
 *
 * Usage as a script (prints what the kernel says about one rule file):
 *   node --experimental-strip-types scripts/kernel-probe.ts [-6] < rules.txt
 */
import { execFileSync, spawnSync } from "node:child_process";

export type Family = "ipv4" | "ipv6";

/**
 * Which iptables to drive: the system's default (`iptables-restore`, whatever the alternatives point at), or
 * FWLINT_IPTABLES_BACKEND=legacy / =nft for iptables-legacy-restore / iptables-nft-restore.
 */
const variant = process.env.FWLINT_IPTABLES_BACKEND === "legacy" ? "-legacy" : process.env.FWLINT_IPTABLES_BACKEND === "nft" ? "-nft" : "";

export interface RestoreResult {
  readonly ok: boolean;
  /** stderr of iptables-restore, warnings included. */
  readonly message: string;
  /** 1-based line of the restore input the error was reported for, when iptables says so. */
  readonly line?: number;
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Why the kernel cannot be used here, or undefined when it can. */
export function kernelUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not running as root";
  for (const cmd of ["ip", `iptables${variant}-restore`, `iptables${variant}-save`, `ip6tables${variant}-restore`, `ip6tables${variant}-save`]) {
    if (!has(cmd)) return `${cmd} is not installed`;
  }
  const probe = `fwlint-probe-${process.pid}`;
  const add = spawnSync("ip", ["netns", "add", probe], { encoding: "utf8" });
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return undefined;
}

/** Which backend `iptables-restore` is (nf_tables or legacy). */
export function iptablesBackend(): string {
  const out = spawnSync(`iptables${variant}-restore`, ["--version"], { encoding: "utf8" });
  return /nf_tables/.test(out.stdout + out.stderr) ? "nf_tables" : "legacy";
}

let counter = 0;

/** One network namespace; create, use, and always `close()`. */
export class KernelSession {
  readonly ns: string;
  private closed = false;

  constructor(readonly family: Family) {
    this.ns = `fwlint-cat-${process.pid}-${counter++}`;
    execFileSync("ip", ["netns", "add", this.ns]);
  }

  private tool(kind: "restore" | "save"): string {
    return `${this.family === "ipv6" ? "ip6tables" : "iptables"}${variant}-${kind}`;
  }

  /** Run a command inside the namespace. */
  exec(cmd: string, args: readonly string[], input?: string): { status: number; stdout: string; stderr: string } {
    const r = spawnSync("ip", ["netns", "exec", this.ns, cmd, ...args], { input, encoding: "utf8" });
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  /** iptables-restore (flushing the tables the input names). */
  restore(text: string): RestoreResult {
    const r = this.exec(this.tool("restore"), [], text);
    const message = r.stderr.split("\n").filter((l) => l.trim() && !l.startsWith("Try `")).join(" ").trim();
    const m = /line:? (\d+)/.exec(message);
    return { ok: r.status === 0, message, ...(m ? { line: Number(m[1]) } : {}) };
  }

  /** iptables-save output, "-A" lines only, optionally for one table. */
  saveRules(table?: string): string[] {
    const r = this.exec(this.tool("save"), table ? ["-t", table] : []);
    return r.stdout.split("\n").filter((l) => l.startsWith("-A "));
  }

  /** Flush every table (between independent restores that should not see each other). */
  reset(): void {
    for (const t of ["filter", "nat", "mangle", "raw", "security"]) this.exec(`${this.family === "ipv6" ? "ip6tables" : "iptables"}${variant}`, ["-t", t, "-F"]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    spawnSync("ip", ["netns", "del", this.ns]);
  }
}

/** Split an iptables-save line into words the way iptables-restore does (double quotes, backslash escapes). */
export function splitSaveLine(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inQuote = false;
  let have = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\" && i + 1 < line.length) {
      cur += line[++i];
      have = true;
    } else if (ch === '"') {
      inQuote = !inQuote;
      have = true;
    } else if (ch === " " && !inQuote) {
      if (have) words.push(cur);
      cur = "";
      have = false;
    } else {
      cur += ch;
      have = true;
    }
  }
  if (have) words.push(cur);
  return words;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = kernelUnavailableReason();
  if (reason) {
    console.error(`kernel probe unavailable: ${reason}`);
    process.exit(2);
  }
  const family: Family = process.argv.includes("-6") ? "ipv6" : "ipv4";
  const input = execFileSync("cat", { encoding: "utf8" });
  const s = new KernelSession(family);
  try {
    const r = s.restore(input);
    console.log(r.ok ? "accepted" : `refused: ${r.message}`);
    if (r.ok) console.log(s.saveRules().join("\n"));
  } finally {
    s.close();
  }
}
