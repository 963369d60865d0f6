/**
 * What `fwlint trace` and `fwlint exposure` share: reading the ruleset file, picking the ruleset of an
 * address family, building the model, and the process edge (streams and exit code) — taken from the CLI
 * context when the program provides one (`argv.fwlintContext` with `io` and `exitCode`), else the process.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Family, Ruleset } from "../ast/iptables.js";
import { loadFile } from "../lint.js";
import { Model } from "../model/model.js";

export interface ModelCommandIO {
  readonly cwd: string;
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readStdin(): string;
}

interface ContextLike {
  io: { cwd: string; stdout: ModelCommandIO["stdout"]; stderr: ModelCommandIO["stderr"]; env: ModelCommandIO["env"] };
  exitCode: number;
}

/** Wrong arguments or unreadable input: the command prints one line and exits 2. */
export class CommandError extends Error {}

export function commandIO(argv: Record<string, unknown>): { io: ModelCommandIO; setExit: (code: number) => void } {
  const ctx = argv.fwlintContext as ContextLike | undefined;
  if (ctx?.io) {
    return {
      io: { cwd: ctx.io.cwd, stdout: ctx.io.stdout, stderr: ctx.io.stderr, env: ctx.io.env, readStdin: () => readFileSync(0, "utf8") },
      setExit: (code) => {
        ctx.exitCode = Math.max(ctx.exitCode ?? 0, code);
      },
    };
  }
  return {
    io: { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, env: process.env, readStdin: () => readFileSync(0, "utf8") },
    setExit: (code) => {
      process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
    },
  };
}

export function readText(io: ModelCommandIO, file: string): string {
  if (file === "-") return io.readStdin();
  try {
    return readFileSync(resolve(io.cwd, file), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandError(`${file}: cannot read file (${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (code ?? "error")})`);
  }
}

/** The rulesets of a file, by family (a dual-stack file or script gives both). */
export function rulesetsOf(io: ModelCommandIO, file: string, family?: Family): Map<Family, Ruleset> {
  const text = readText(io, file);
  const f = loadFile({ text, ...(file === "-" ? {} : { filePath: resolve(io.cwd, file) }), ...(family ? { family } : {}) });
  if (f.kind === "daemon-json") throw new CommandError(`${file}: is a daemon.json, not an iptables ruleset`);
  const out = new Map<Family, Ruleset>();
  for (const r of f.rulesets) out.set(r.family, r);
  return out;
}

export interface ModelArgs {
  readonly local?: readonly string[];
  readonly external?: readonly string[];
  readonly interfaces?: readonly string[];
}

/** Models per family, built on first use. */
export class Models {
  private readonly cache = new Map<Family, Model | null>();
  constructor(
    private readonly rulesets: Map<Family, Ruleset>,
    private readonly args: ModelArgs,
  ) {}
  families(): Family[] {
    return [...this.rulesets.keys()];
  }
  get(family: Family): Model | null {
    if (!this.cache.has(family)) {
      const rs = this.rulesets.get(family);
      const local = (this.args.local ?? []).filter((a) => (family === "ipv6" ? a.includes(":") : !a.includes(":")));
      this.cache.set(family, rs ? new Model(rs, { local, external: this.args.external ?? [], interfaces: this.args.interfaces ?? [] }) : null);
    }
    return this.cache.get(family)!;
  }
}

/** Address family of an address as written. */
export function familyOfAddress(text: string): Family {
  return text.includes(":") ? "ipv6" : "ipv4";
}

export function arrayOf(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((x) => String(x).split(",")).map((s) => s.trim()).filter(Boolean);
}
