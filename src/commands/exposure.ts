/**
 * `fwlint exposure FILE [--local ADDR]…` — every published port, host port and routed container port that
 * can be reached from outside, with the exact sources per input interface, widest exposure first.
 */
import { Chalk, type ChalkInstance } from "chalk";
import type { Argv, CommandModule } from "yargs";
import type { Family } from "../ast/iptables.js";
import { computeExposure, type ExposureItem } from "../model/exposure.js";
import { CONNECTION_PROTOCOLS } from "../model/fields.js";
import { arrayOf, loadRuleset, modelArgs, Models } from "./model-io.js";
import { colorEnabled, contextOf, UsageError, type CliContext } from "./shared.js";
import { preferShortRunTiering } from "./tiering.js";

export interface ExposureArgs {
  file: string;
  local?: string[];
  external?: string[];
  format: "table" | "json";
  family?: Family;
  routed: boolean;
  proto?: string[];
  config?: string;
  color?: boolean;
}

function builder(y: Argv): Argv<ExposureArgs> {
  return y
    .positional("file", { type: "string", demandOption: true, describe: 'iptables-save dump, iptables -S output or script ("-" reads standard input)' })
    .option("local", { type: "string", array: true, requiresArg: true, describe: "An address of the host (repeatable; addr or addr/len). Without it, every address outside the bridges' subnets counts as the host's" })
    .option("external", { type: "string", array: true, requiresArg: true, describe: "The host's external interface(s): only they count for openToAny (default: every outside interface)" })
    .option("format", { alias: "f", choices: ["table", "json"] as const, default: "table" as const, describe: "Output format" })
    .option("family", { choices: ["ipv4", "ipv6"] as const, describe: "Only this family of a dual-stack script; for a restore file, its family instead of guessing" })
    .option("routed", { type: "boolean", default: true, describe: "Also report container ports reachable by routing to the container's address (--no-routed to leave them out)" })
    .option("proto", { type: "string", array: true, requiresArg: true, describe: "Protocols to follow: tcp, udp, sctp (repeatable or comma-separated; default tcp and udp, and sctp when a rule names it)" })
    .option("config", { alias: "c", type: "string", requiresArg: true, describe: "Configuration file for the host facts (hostAddresses, externalInterfaces) instead of searching" })
    .example("$0 exposure rules.v4 --local 203.0.113.10/24", "Who can open which published port, host port or container port") as unknown as Argv<ExposureArgs>;
}

/** Items of every family in the file, widest first within each family (IPv4 first). */
export function exposureOf(models: Models, routed: boolean, protocols?: readonly number[]): (ExposureItem & { family: Family })[] {
  const out: (ExposureItem & { family: Family })[] = [];
  for (const fam of models.families().sort()) {
    const m = models.get(fam);
    if (!m) continue;
    for (const item of computeExposure(m, { routed, ...(protocols ? { protocols } : {}) })) out.push({ ...item, family: fam });
  }
  return out;
}

const PROTOCOL_BY_NAME = new Map(Object.entries(CONNECTION_PROTOCOLS).map(([n, name]) => [name, Number(n)]));

/**
 * `--proto tcp,sctp --proto udp`, as `arrayOf` splits it, as protocol numbers (undefined: the default). Exposure
 * follows the protocols whose connections the model follows.
 */
export function protocolsOf(names: readonly string[]): number[] | undefined {
  if (names.length === 0) return undefined;
  const out: number[] = [];
  for (const w of names) {
    const n = PROTOCOL_BY_NAME.get(w.toLowerCase());
    if (n === undefined) throw new UsageError(`--proto ${w}: exposure follows tcp, udp and sctp`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

export function renderExposureTable(items: readonly (ExposureItem & { family?: Family })[], c: ChalkInstance): string {
  if (items.length === 0) return "Nothing can be reached from outside.";
  const head = ["", "PROTO", "HOST ADDRESS", "PORT", "CONTAINER", "INTERFACE", "SOURCES"];
  const rows: string[][] = [];
  for (const it of items) {
    const mark = it.openToAny ? c.red.bold("!") : it.allowed.some((a) => a.possibleSources) ? c.yellow("?") : " ";
    const kind = it.kind === "published" ? "" : it.kind === "host" ? c.dim("(host)") : c.dim("(routed)");
    it.allowed.forEach((a, k) => {
      const srcs = a.sources.length > 4 ? [...a.sources.slice(0, 4), `+${a.sources.length - 4} more`] : a.sources;
      let text = srcs.join(" ");
      if (a.sources.length === 1 && (a.sources[0] === "0.0.0.0/0" || a.sources[0] === "::/0")) text = c.red(`any (${a.sources[0]})`);
      else if (a.allExcept) text = c.red(`any except ${a.allExcept.join(" ")}`);
      if (a.possibleSources?.length) text += c.yellow(` maybe ${a.possibleSources.slice(0, 3).join(" ")}${a.possibleSources.length > 3 ? " …" : ""}`);
      if (!text) text = c.dim("none certain");
      rows.push(
        k === 0
          ? [mark, it.proto, it.hostAddress ?? kind, String(it.hostPort), it.container ? `${it.container}${kind && it.kind !== "routed" ? ` ${kind}` : ""}` : kind, a.inInterface, text]
          : ["", "", "", "", "", a.inInterface, text],
      );
    });
  }
  const widths = head.map((h, k) => Math.min(k === 3 || k === 2 ? 28 : 60, Math.max(strip(h).length, ...rows.map((r) => strip(r[k]!).length))));
  const cut = (s: string, w: number) => (strip(s).length <= w ? s + " ".repeat(w - strip(s).length) : `${strip(s).slice(0, w - 1)}…`);
  const lines = [c.bold(head.map((h, k) => cut(h, widths[k]!)).join("  ").trimEnd())];
  for (const r of rows) lines.push(r.map((x, k) => (k === r.length - 1 ? x : cut(x, widths[k]!))).join("  ").trimEnd());
  const open = items.filter((i) => i.openToAny).length;
  lines.push("");
  lines.push(`${items.length} reachable service${items.length === 1 ? "" : "s"}, ${open > 0 ? c.red(`${open} open to any source`) : "none open to any source"} (replies included; ! = any source, ? = depends on matches fwlint cannot know)`);
  return lines.join("\n");
}

export async function runExposure(a: ExposureArgs, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const protocols = protocolsOf(arrayOf(a.proto));
  const loaded = await loadRuleset(ctx, a.file, { ...(a.family ? { family: a.family } : {}), ...(a.config ? { config: a.config } : {}) });
  const rulesets = loaded.rulesets;
  if (a.family) for (const f of [...rulesets.keys()]) if (f !== a.family) rulesets.delete(f);
  if (rulesets.size === 0) throw new UsageError(`${a.file}: no ${a.family === "ipv6" ? "IPv6" : "IPv4"} rules`);
  const models = new Models(rulesets, modelArgs(loaded.facts, arrayOf(a.local), arrayOf(a.external)));
  const items = exposureOf(models, a.routed, protocols);
  if (a.format === "json") {
    io.stdout.write(`${JSON.stringify(items.map(({ width: _w, ...rest }) => rest), null, 2)}\n`);
    return 0;
  }
  const c = new Chalk({ level: colorEnabled(a.color, io, io.stdout) ? 1 : 0 });
  io.stdout.write(`${renderExposureTable(items, c)}\n`);
  return 0;
}

export const exposureCommand: CommandModule<object, ExposureArgs> = {
  command: "exposure <file>",
  describe: "List what can be reached from outside (published ports, host ports, routed container ports) and by whom",
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv as unknown as Record<string, unknown>);
    preferShortRunTiering();
    ctx.exitCode = Math.max(ctx.exitCode, await runExposure(argv, ctx));
  },
};
