/**
 * `fwlint trace FILE --in IF --src ADDR --dst ADDR [--proto P] [--sport N] [--dport N] [--state S]` — follow
 * one packet through the ruleset (and, for a new TCP/UDP connection, its reply and the client's next
 * packet); `--packets FILE` traces JSON lines in a batch.
 */
import { resolve } from "node:path";
import { Chalk } from "chalk";
import type { Argv, CommandModule } from "yargs";
import type { Family } from "../ast/iptables.js";
import type { Model } from "../model/model.js";
import { FileReadError, readTextFile } from "../files.js";
import { fastTracer } from "../model/fast.js";
import { PacketError, renderTrace, trace, traceResultJson, type PacketSpec, type TraceResult } from "../model/trace.js";
import { arrayOf, familyOfAddress, loadRuleset, modelArgs, Models } from "./model-io.js";
import { colorEnabled, contextOf, STDIN_ARG, UsageError, writeWaiting, type CliContext } from "./shared.js";
import { preferShortRunTiering } from "./tiering.js";

export interface TraceArgs {
  file: string;
  local?: string[];
  external?: string[];
  in?: string;
  out?: string;
  src?: string;
  dst?: string;
  proto?: string;
  /** As written: checked by portArg (a number type would turn `abc` into NaN). */
  sport?: string | number;
  dport?: string | number;
  state?: string;
  "icmp-type"?: string;
  format: "text" | "json";
  packets?: string;
  family?: Family;
  config?: string;
  color?: boolean;
}

const STATES = ["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"] as const;

function builder(y: Argv): Argv<TraceArgs> {
  return y
    .positional("file", { type: "string", demandOption: true, describe: 'iptables-save dump, iptables -S output or script ("-" reads standard input)' })
    .option("local", { type: "string", array: true, requiresArg: true, describe: "An address of the host (repeatable; addr or addr/len). Without it, every address outside the bridges' subnets counts as the host's" })
    .option("external", { type: "string", array: true, requiresArg: true, describe: "The host's external interface(s) (default route for forwarded packets)" })
    .option("in", { type: "string", requiresArg: true, describe: "Input interface; omit for a packet the host itself sends" })
    .option("out", { type: "string", requiresArg: true, describe: "Output interface of a forwarded packet (overrides the routing decision; needed for destinations outside every known subnet)" })
    .option("src", { type: "string", requiresArg: true, describe: "Source address" })
    .option("dst", { type: "string", requiresArg: true, describe: "Destination address" })
    .option("proto", { type: "string", requiresArg: true, default: "tcp", describe: "Protocol: tcp, udp, icmp, … or a number" })
    .option("sport", { type: "string", requiresArg: true, describe: "Source port (default: any port of 32768–60999)" })
    .option("dport", { type: "string", requiresArg: true, describe: "Destination port" })
    .option("state", { type: "string", requiresArg: true, default: "NEW", describe: `Conntrack state: ${STATES.join(", ")}` })
    .option("icmp-type", { type: "string", requiresArg: true, describe: "ICMP or ICMPv6 type of an icmp/ipv6-icmp packet, as --icmp-type/--icmpv6-type take it (default echo-request)" })
    .option("format", { alias: "f", choices: ["text", "json"] as const, default: "text" as const, describe: "Output format" })
    .option("packets", { type: "string", requiresArg: true, describe: "Trace the packets of this JSON-lines file (fields in, out, src, dst, proto, sport, dport, state, icmpType); prints one JSON result per line" })
    .option("family", { choices: ["ipv4", "ipv6"] as const, describe: "Address family of the ruleset, instead of guessing" })
    .option("config", { alias: "c", type: "string", requiresArg: true, describe: "Configuration file for the host facts (hostAddresses, externalInterfaces) instead of searching" })
    .example("$0 trace rules.v4 --local 203.0.113.10 --in eth0 --src 198.51.100.7 --dst 203.0.113.10 --dport 8080", "Can this client open port 8080, and where does it end up?")
    .example("$0 trace rules.v4 --packets packets.jsonl", "One JSON result per line of packets.jsonl") as unknown as Argv<TraceArgs>;
}

function specFromArgs(a: TraceArgs): PacketSpec {
  if (!a.src || !a.dst) throw new UsageError("trace needs --src and --dst (or --packets FILE)");
  return {
    ...(a.in !== undefined ? { in: a.in } : {}),
    ...(a.out !== undefined ? { out: a.out } : {}),
    src: a.src,
    dst: a.dst,
    proto: a.proto ?? "tcp",
    ...(a.sport !== undefined ? { sport: portArg("sport", a.sport) } : {}),
    ...(a.dport !== undefined ? { dport: portArg("dport", a.dport) } : {}),
    state: a.state ?? "NEW",
    ...(a["icmp-type"] !== undefined ? { icmpType: a["icmp-type"] } : {}),
  };
}

/** A port given on the command line: a whole number as written (packetOf checks its range). */
function portArg(name: string, value: string | number): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} ${text} is not a port`);
  return Number(text);
}

const textOf = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

function intOf(v: unknown, k: string, n: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x)) throw new PacketError(`line ${n}: ${k} is not a number`);
  return x;
}

function specFromJson(line: string, n: number): PacketSpec {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new PacketError(`line ${n}: not JSON`);
  }
  if (!v || typeof v !== "object") throw new PacketError(`line ${n}: not an object`);
  const o = v as Record<string, unknown>;
  const src = textOf(o.src);
  const dst = textOf(o.dst);
  if (!src || !dst) throw new PacketError(`line ${n}: src and dst are required`);
  const sport = intOf(o.sport, "sport", n);
  const dport = intOf(o.dport, "dport", n);
  const spec: { -readonly [K in keyof PacketSpec]: PacketSpec[K] } = { in: textOf(o.in) ?? null, out: textOf(o.out) ?? null, src, dst, proto: textOf(o.proto) ?? "tcp" };
  if (sport !== undefined) spec.sport = sport;
  if (dport !== undefined) spec.dport = dport;
  spec.state = textOf(o.state) ?? "NEW";
  const icmpType = textOf(o.icmpType);
  if (icmpType !== undefined) spec.icmpType = icmpType;
  return spec;
}

function interfacesOf(specs: readonly PacketSpec[]): string[] {
  const s = new Set<string>();
  for (const p of specs) {
    if (p.in) s.add(p.in);
    if (p.out) s.add(p.out);
  }
  return [...s];
}

const prepared = new WeakSet<Model>();
/**
 * A batch compiles the whole model, and indexes its long chains, before its first packet: packets then
 * only evaluate, instead of each one that reaches a chain nobody reached yet paying for its compilation.
 */
function prepare(model: Model): void {
  if (prepared.has(model)) return;
  prepared.add(model);
  model.compileAll();
  for (const ch of model.chains) model.indexOf(ch);
}

/** Run `trace`; returns the exit code. */
export async function runTrace(a: TraceArgs, ctx: CliContext): Promise<number> {
  const { io } = ctx;
  const loaded = await loadRuleset(ctx, a.file, { ...(a.family ? { family: a.family } : {}), ...(a.config ? { config: a.config } : {}) });
  const common = modelArgs(loaded.facts, arrayOf(a.local), arrayOf(a.external));
  if (a.packets !== undefined) {
    let text: string;
    if (a.packets === STDIN_ARG || a.packets === "-") text = await io.stdin.read();
    else {
      try {
        text = readTextFile(resolve(io.cwd, a.packets));
      } catch (err) {
        if (err instanceof FileReadError) throw new UsageError(`${a.packets}: cannot read file (${err.reason})`);
        throw err;
      }
    }
    const models = new Models(loaded.rulesets, common);
    // Results are written in blocks of about 64 kB, each joined into one flat string (cheaper to encode
    // than a string grown by `+`, whose pieces are walked again when it is written). When standard output
    // is a pipe whose reader is behind, the batch waits for it instead of holding its whole output.
    const block: string[] = [];
    let size = 0;
    const flush = async () => {
      block.push("");
      const text = block.join("\n");
      block.length = 0;
      size = 0;
      await writeWaiting(io.stdout, text);
    };
    let n = 0;
    for (const raw of text.split("\n")) {
      n++;
      const line = raw.trim();
      if (!line) continue;
      let out: string;
      try {
        const spec = specFromJson(line, n);
        const fam = familyOfAddress(spec.src);
        const model = models.get(fam);
        if (!model) throw new PacketError(`line ${n}: the file has no ${fam === "ipv6" ? "IPv6" : "IPv4"} rules`);
        prepare(model);
        // The concrete path answers most packets; it leaves to the symbolic trace any packet it cannot follow exactly.
        out = fastTracer(model).traceJson(spec) ?? traceResultJson(trace(model, spec).result);
      } catch (err) {
        if (!(err instanceof PacketError)) throw err;
        // The packet's line, and its JSON field rather than the command-line option.
        const message = err.field !== undefined ? `line ${n}: ${err.field} ${err.problem}` : err.message.startsWith("line ") ? err.message : `line ${n}: ${err.message}`;
        out = JSON.stringify({ error: message });
      }
      block.push(out);
      size += out.length + 1;
      if (size > 1 << 16) await flush();
    }
    if (block.length) await flush();
    return 0;
  }
  const spec = specFromArgs(a);
  const fam = familyOfAddress(spec.src);
  const model = new Models(loaded.rulesets, { ...common, interfaces: interfacesOf([spec]) }).get(fam);
  if (!model) throw new UsageError(`${a.file}: no ${fam === "ipv6" ? "IPv6" : "IPv4"} rules to trace a packet from ${spec.src}`);
  let t;
  try {
    t = trace(model, spec, { verbose: a.format === "text" });
  } catch (err) {
    if (err instanceof PacketError) throw new UsageError(err.message);
    throw err;
  }
  if (a.format === "json") {
    io.stdout.write(`${JSON.stringify(t.result satisfies TraceResult)}\n`);
    return 0;
  }
  const c = new Chalk({ level: colorEnabled(a.color, io, io.stdout) ? 1 : 0 });
  const paint = (k: "head" | "ok" | "bad" | "dim" | "warn", s: string) => (k === "head" ? c.bold(s) : k === "ok" ? c.green(s) : k === "bad" ? c.red(s) : k === "dim" ? c.dim(s) : c.yellow(s));
  io.stdout.write(`${renderTrace(model, spec, t, paint)}\n`);
  return 0;
}

export const traceCommand: CommandModule<object, TraceArgs> = {
  command: "trace <file>",
  describe: "Follow a packet (and its connection's reply) through the ruleset",
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv as unknown as Record<string, unknown>);
    // One packet is a short run; a batch of thousands runs long enough for V8's default.
    if (argv.packets === undefined) preferShortRunTiering();
    ctx.exitCode = Math.max(ctx.exitCode, await runTrace(argv, ctx));
  },
};
