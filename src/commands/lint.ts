/**
 * `fwlint [files, directories, globs…]` — the default command: lint, report, exit 0/1/2 as ESLint does.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import type { Family } from "../ast/iptables.js";
import { applyBaseline, BaselineError, createBaseline, parseBaseline, serializeBaseline, type Baseline, type BaselineSubject } from "../baseline.js";
import { ConfigResolver, normalizeSeverity, parseRuleFlags, suggestRule, type CliSettings } from "../config.js";
import type { Diagnostic, SeveritySetting, SuppressedDiagnostic } from "../diagnostic.js";
import { errnoText, relativePosix, findProjectRoot, type DiscoveryProblem } from "../files.js";
import { FORMAT_NAMES, formatters, type FormatName, type FormattedResult, type ToolNotification } from "../formatters/index.js";
import { ruleText } from "../formatters/rule-docs.js";
import { applyFixes, MAX_FIX_PASSES } from "../fix.js";
import { lintGroups, type LintInput } from "../lint.js";
import type { FileKind, LintRuleMeta } from "../rule.js";
import { cacheFilePath, groupKey, LintCache, type CacheMiss } from "./cache.js";
import { lintGroupsOf, parseConcurrency, parseShard, shardGroups, WarmWorkers, type Concurrency, type LintInputsOptions, type LintReport, type Shard } from "./parallel.js";
import { colorEnabled, contextOf, debugLog, loadInputs, packageVersion, printError, projectRelative, UsageError, writeReport, type CliContext } from "./shared.js";
import { preferShortRunTiering, SHORT_RUN_INPUT_CHARS } from "./tiering.js";

const KINDS = ["iptables", "ip6tables", "daemon-json", "script"] as const;
const FAMILIES = ["ipv4", "ipv6"] as const;
const SEVERITY_CHOICES = ["off", "warn", "error", "0", "1", "2"] as const;

export interface LintArgs {
  files?: string[];
  stdinFilename?: string;
  kind?: FileKind;
  family?: Family;
  config?: string;
  /** Repeatable: a string, or an array when given several times. */
  rule?: string | string[];
  ignorePattern?: string | string[];
  ignore: boolean;
  inlineConfig: boolean;
  reportUnusedDisableDirectives?: boolean;
  reportUnusedDisableDirectivesSeverity?: string;
  errorOnUnmatchedPattern: boolean;
  warnIgnored: boolean;
  format: FormatName;
  outputFile?: string;
  maxWarnings?: number;
  quiet: boolean;
  color?: boolean;
  sarifFingerprints: boolean;
  sarifIncludeSuppressed: boolean;
  sarifCategory?: string;
  baseline?: string;
  baselineWrite?: string;
  listRules: boolean;
  explain?: string;
  printConfig?: string;
  fix: boolean;
  fixDryRun: boolean;
  concurrency?: string;
  shard?: string;
  cache: boolean;
  cacheLocation?: string;
  cacheStrategy?: "content" | "metadata";
  debug: boolean;
}

const IGNORED_MESSAGE = 'File ignored because of a matching ignore pattern. Use "--no-ignore" to disable file ignore settings or use "--no-warn-ignored" to suppress this warning.';

function builder(y: Argv): Argv<LintArgs> {
  return y
    .positional("files", { type: "string", array: true, describe: 'Files, directories and globs to lint; "-" reads standard input' })
    .option("stdin-filename", { type: "string", requiresArg: true, describe: "Path standard input stands for (config, kind, family, reports)", group: "Input:" })
    .option("kind", { choices: KINDS, describe: "What the files are, instead of guessing from name and content", group: "Input:" })
    .option("family", { choices: FAMILIES, describe: "Address family of iptables input, instead of guessing", group: "Input:" })
    .option("ignore-pattern", { type: "string", requiresArg: true, describe: "Skip files matching this glob (relative to the current directory), like config ignores", group: "Input:" })
    .option("ignore", { type: "boolean", default: true, describe: "Honour ignore patterns (--no-ignore lints ignored files too)", group: "Input:" })
    .option("error-on-unmatched-pattern", { type: "boolean", default: true, describe: "Exit 2 when a pattern matches no file (--no-error-on-unmatched-pattern to allow it)", group: "Input:" })
    .option("config", { alias: "c", type: "string", requiresArg: true, describe: "Use this configuration file for every file instead of searching for .fwlintrc.json / fwlint.config.json", group: "Configuration:" })
    .option("rule", { type: "string", requiresArg: true, describe: "Set a rule's severity (or [severity, {options}]), after config: --rule 'rule-id: off|warn|error'", group: "Configuration:" })
    .option("print-config", { type: "string", requiresArg: true, describe: "Print the configuration that applies to a file, as JSON, and exit", group: "Configuration:" })
    .option("format", { alias: "f", choices: FORMAT_NAMES, default: "stylish" as FormatName, describe: "Output format", group: "Output:" })
    .option("output-file", { alias: "o", type: "string", requiresArg: true, describe: "Write the report to this file instead of standard output", group: "Output:" })
    .option("max-warnings", { type: "string", requiresArg: true, describe: "Exit 1 when there are more warnings than this (-1: no limit)", group: "Output:" })
    .option("quiet", { type: "boolean", default: false, describe: "Report errors only (warnings still count for --max-warnings)", group: "Output:" })
    .option("sarif-fingerprints", { type: "boolean", default: false, describe: "SARIF: add partialFingerprints.primaryLocationLineHash as upload-sarif computes it (for REST API uploads)", group: "Output:" })
    .option("sarif-include-suppressed", { type: "boolean", default: false, describe: "SARIF: include suppressed findings, marked with suppressions", group: "Output:" })
    .option("sarif-category", { type: "string", requiresArg: true, describe: "SARIF: runs[0].automationDetails.id, to upload several fwlint analyses of one commit", group: "Output:" })
    .option("fix", { type: "boolean", default: false, describe: "Apply the fixes that keep what each line means (blanks, line ends, a missing -m, the place of \"!\"), write the files, and report what is left", group: "Fixing:" })
    .option("fix-dry-run", { type: "boolean", default: false, describe: "As --fix, without writing: the fixed text is in the JSON report's output field (works on standard input)", group: "Fixing:" })
    .option("inline-config", { type: "boolean", default: true, describe: "Honour fwlint-disable comments (--no-inline-config ignores them)", group: "Suppressions:" })
    .option("report-unused-disable-directives", { type: "boolean", describe: "Report directives that suppress nothing as errors", group: "Suppressions:" })
    .option("report-unused-disable-directives-severity", { type: "string", choices: SEVERITY_CHOICES, requiresArg: true, describe: "Severity of unused directives (default from config, else warn)", group: "Suppressions:" })
    .option("warn-ignored", { type: "boolean", default: true, describe: "Warn about files named on the command line that ignore patterns exclude (--no-warn-ignored)", group: "Suppressions:" })
    .option("baseline", { type: "string", requiresArg: true, describe: "Report only findings not recorded in this baseline file", group: "Suppressions:" })
    .option("baseline-write", { type: "string", requiresArg: true, describe: "Record every current finding in this baseline file, and report none", group: "Suppressions:" })
    .option("concurrency", { type: "string", requiresArg: true, describe: 'Lint files on N threads (the main thread and N - 1 workers), "auto" (one per two CPUs when there is enough to lint) or "off" (the default; 1 is the same)', group: "Performance:" })
    .option("shard", { type: "string", requiresArg: true, describe: "Lint only part i of n of the files (i/n, e.g. 2/4): spread a fleet audit over CI jobs", group: "Performance:" })
    .option("cache", { type: "boolean", default: false, describe: "Keep results in a cache file and lint only the files whose text, configuration or fwlint changed", group: "Performance:" })
    .option("cache-location", { type: "string", requiresArg: true, describe: "The cache file, or a directory for it (default: .fwlintcache in the current directory)", group: "Performance:" })
    .option("cache-strategy", { choices: ["content", "metadata"] as const, requiresArg: true, describe: 'Accepted for ESLint command lines: fwlint always compares file contents ("content"), which survive a git checkout', group: "Performance:" })
    .option("list-rules", { type: "boolean", default: false, describe: "List every rule and exit (with --format json: as JSON)", group: "Information:" })
    .option("explain", { type: "string", requiresArg: true, describe: "Print a rule's documentation and exit", group: "Information:" })
    .conflicts("baseline", "baseline-write")
    .conflicts("shard", "baseline-write")
    .conflicts("report-unused-disable-directives", "report-unused-disable-directives-severity")
    .example("$0 /etc/iptables/rules.v4 /etc/docker/daemon.json", "lint a host's persisted rules and Docker's daemon.json")
    .example("iptables-save | $0 -", "lint the live ruleset")
    .example("$0 --format sarif -o fwlint.sarif .", "SARIF for GitHub code scanning")
    .example("$0 --explain syntax-error", "a rule's documentation")
    .epilogue("Exit codes: 0 no errors (and warnings within --max-warnings); 1 lint errors or too many warnings; 2 usage, configuration or I/O error.") as unknown as Argv<LintArgs>;
}

function listRules(ctx: CliContext, args: LintArgs): void {
  const lintRules = ctx.rules;
  if (args.format === "json") {
    const data = lintRules.map((r) => ({
      id: r.id,
      language: r.language,
      category: r.category,
      severity: r.severity,
      description: r.description,
      tags: r.tags,
      ...(r.securitySeverity !== undefined ? { securitySeverity: r.securitySeverity } : {}),
      ...(r.precision ? { precision: r.precision } : {}),
      ...(r.fixable ? { fixable: r.fixable } : {}),
      hasOptions: r.optionsSchema !== undefined,
    }));
    writeReport(ctx, JSON.stringify(data, null, 2), args.outputFile);
    return;
  }
  const rows = [["Rule", "Severity", "Category", "Description"], ...lintRules.map((r) => [r.id, r.severity === "error" ? "error" : "warn", r.category, r.description])];
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((row) => row[k]!.length)));
  writeReport(ctx, rows.map((row) => row.map((cell, k) => (k === row.length - 1 ? cell : cell.padEnd(widths[k]!))).join("  ")).join("\n"), args.outputFile);
}

function findRule(ctx: CliContext, id: string): LintRuleMeta {
  const rule = ctx.rules.find((r) => r.id === id);
  if (!rule) throw new UsageError(`unknown rule "${id}"${suggestRule(id, ctx.rules)}; fwlint --list-rules lists them`);
  return rule;
}

const SEVERITY_OUT = { off: "off", warning: "warn", error: "error" } as const;

function printConfig(ctx: CliContext, args: LintArgs, settings: CliSettings): void {
  const resolver = new ConfigResolver(ctx.io.cwd, settings, ctx.rules);
  const path = resolve(ctx.io.cwd, args.printConfig!);
  const s = resolver.settingsFor(path);
  const rules: Record<string, unknown> = {};
  for (const r of ctx.rules) {
    const set = s.config.rules[r.id];
    const severity = SEVERITY_OUT[set?.severity ?? r.severity];
    const options = r.optionsSchema ? { ...(r.defaultOptions ?? {}), ...(set?.options ?? {}) } : undefined;
    rules[r.id] = options ? [severity, options] : severity;
  }
  const out = {
    file: path,
    configFile: s.configPath,
    ignored: resolver.isIgnored(path),
    ...(s.kind ? { kind: s.kind } : {}),
    ...(s.family ? { family: s.family } : {}),
    noInlineConfig: s.config.linterOptions?.noInlineConfig ?? false,
    reportUnusedDisableDirectives: SEVERITY_OUT[s.config.linterOptions?.reportUnusedDisableDirectives ?? "warning"],
    facts: s.config.facts,
    rules,
  };
  writeReport(ctx, JSON.stringify(out, null, 2), args.outputFile);
}

interface Counted {
  messages: Diagnostic[];
  suppressed: SuppressedDiagnostic[];
}

const countOf = (messages: readonly Diagnostic[]) => ({
  errorCount: messages.filter((m) => m.severity === "error").length,
  warningCount: messages.filter((m) => m.severity === "warning").length,
});

const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function unusedSeverity(args: LintArgs): SeveritySetting | undefined {
  if (args.reportUnusedDisableDirectivesSeverity !== undefined) {
    const raw = /^[0-2]$/.test(args.reportUnusedDisableDirectivesSeverity) ? Number(args.reportUnusedDisableDirectivesSeverity) : args.reportUnusedDisableDirectivesSeverity;
    return normalizeSeverity(raw);
  }
  if (args.reportUnusedDisableDirectives === true) return "error";
  if (args.reportUnusedDisableDirectives === false) return "off";
  return undefined;
}

/** The baseline's view of the results: paths relative to the baseline file. */
function baselineSubjects(ctx: CliContext, baselineFile: string, results: readonly LintReport[], counted: readonly Counted[]): BaselineSubject[] {
  const dir = dirname(resolve(ctx.io.cwd, baselineFile));
  return results.map((result, k) => ({ key: result.filePath ? relativePosix(dir, result.filePath) : "<stdin>", source: result.source, messages: counted[k]!.messages }));
}

/** --baseline-write: record every finding, then report none. */
function writeBaselineStep(ctx: CliContext, baselineFile: string, results: readonly LintReport[], counted: Counted[]): void {
  const path = resolve(ctx.io.cwd, baselineFile);
  const baseline = createBaseline(baselineSubjects(ctx, baselineFile, results, counted));
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, serializeBaseline(baseline));
  } catch (err) {
    throw new UsageError(`cannot write baseline ${baselineFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const n = Object.values(baseline.files).reduce((sum, entries) => sum + entries.reduce((s, e) => s + e.count, 0), 0);
  ctx.io.stderr.write(`fwlint: wrote ${n} finding(s) in ${Object.keys(baseline.files).length} file(s) to baseline ${baselineFile}\n`);
  for (const c of counted) {
    c.suppressed.push(...c.messages.filter((m) => m.span.line > 0).map((m) => ({ ...m, suppressions: [{ kind: "baseline" as const, justification: "" }] })));
    c.messages = c.messages.filter((m) => m.span.line < 1);
  }
}

/** --baseline: move the findings the baseline accepts to the suppressed ones. */
function applyBaselineStep(ctx: CliContext, baselineFile: string, results: readonly LintReport[], counted: Counted[]): void {
  let text: string;
  try {
    text = readFileSync(resolve(ctx.io.cwd, baselineFile), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read baseline ${baselineFile}: ${code === "ENOENT" ? "no such file" : (code ?? String(err))}`);
  }
  let baseline: Baseline;
  try {
    baseline = parseBaseline(text);
  } catch (err) {
    if (err instanceof BaselineError) throw new UsageError(`invalid baseline ${baselineFile}: ${err.message}`);
    throw err;
  }
  const applied = applyBaseline(baseline, baselineSubjects(ctx, baselineFile, results, counted));
  applied.results.forEach((r, k) => {
    counted[k]!.messages = r.messages;
    counted[k]!.suppressed.push(...r.suppressed);
  });
  debugLog(ctx, `baseline: ${applied.results.reduce((n, r) => n + r.suppressed.length, 0)} finding(s) accepted, ${applied.unmatched} fixed since it was written`);
}

/** FWLINT_TIMING=1: milliseconds per phase, printed as one JSON line on stderr at the end. */
const timingWanted = (env: CliContext["io"]["env"]) => env.FWLINT_TIMING !== undefined && env.FWLINT_TIMING !== "" && env.FWLINT_TIMING !== "0";

export async function lintHandler(args: LintArgs, ctx: CliContext): Promise<void> {
  const { io } = ctx;
  const timing = timingWanted(io.env) ? new Map<string, number>([["startup", performance.now()]]) : undefined;
  const concurrency = parseConcurrency(args.concurrency);
  const shard = args.shard !== undefined ? parseShard(args.shard) : undefined;
  if (args.maxWarnings !== undefined) {
    // Read as written (a number option would turn `abc` into NaN before it can be reported).
    const text = String(args.maxWarnings).trim();
    if (!/^-?\d+$/.test(text) || Number(text) < -1) throw new UsageError(`--max-warnings must be an integer of -1 or more (got ${text})`);
    args.maxWarnings = Number(text);
  }
  if (args.explain !== undefined) {
    io.stdout.write(ruleText(findRule(ctx, args.explain), colorEnabled(args.color, io, io.stdout)));
    return;
  }
  const reportUnused = unusedSeverity(args);
  const ruleFlags = listOf(args.rule);
  const ignorePatterns = listOf(args.ignorePattern);
  const settings: CliSettings = {
    ...(args.config ? { configFile: args.config } : {}),
    ...(ruleFlags.length ? { rules: parseRuleFlags(ruleFlags, ctx.rules) } : {}),
    ...(args.inlineConfig === false ? { noInlineConfig: true } : {}),
    ...(reportUnused ? { reportUnusedDisableDirectives: reportUnused } : {}),
    ...(args.kind ? { kind: args.kind } : {}),
    ...(args.family ? { family: args.family } : {}),
    ...(ignorePatterns.length ? { ignorePatterns } : {}),
    ...(args.ignore === false ? { noIgnore: true } : {}),
  };
  if (args.listRules) return listRules(ctx, args);
  if (args.printConfig !== undefined) return printConfig(ctx, args, settings);

  // --concurrency N: the workers load fwlint while this thread reads the files (stopped if not needed)
  const warm = WarmWorkers.start(ctx, concurrency);
  try {
    return await lintFilesStep(ctx, args, settings, concurrency, shard, timing, warm);
  } finally {
    await warm?.stop();
  }
}

async function lintFilesStep(ctx: CliContext, args: LintArgs, settings: CliSettings, concurrency: Concurrency, shard: Shard | undefined, timing: Map<string, number> | undefined, warm: WarmWorkers | undefined): Promise<void> {
  const { io } = ctx;
  const started = performance.now();
  const loaded = await loadInputs(ctx, {
    patterns: args.files ?? [],
    ...(args.stdinFilename ? { stdinFilename: args.stdinFilename } : {}),
    settings,
    errorOnUnmatchedPattern: args.errorOnUnmatchedPattern,
  });
  for (const p of loaded.problems) printError(ctx, p.message);
  timing?.set("read", performance.now() - started);
  debugLog(ctx, `read ${loaded.inputs.length} file(s) in ${(performance.now() - started).toFixed(0)} ms`);

  const lintStarted = performance.now();
  const inputs = loaded.inputs.map((l) => l.input);
  if (inputs.reduce((n, i) => n + i.text.length, 0) <= SHORT_RUN_INPUT_CHARS) preferShortRunTiering();
  // a group's shard comes from its first file's path in the repository, whatever directory fwlint runs in
  const shardRoot = shard ? findProjectRoot(io.cwd) : io.cwd;
  const shardKey = (g: readonly number[]) => {
    const path = inputs[g[0]!]!.filePath;
    return path ? relativePosix(shardRoot, path) : "<stdin>";
  };
  const groups = shardGroups(lintGroups(inputs, { rules: ctx.rules }), shard, shardKey);
  if (shard) debugLog(ctx, `shard ${shard.index}/${shard.count}: ${groups.reduce((n, g) => n + g.length, 0)} of ${inputs.length} file(s)`);
  const options = { concurrency, ...(timing ? { timing } : {}), ...(warm ? { warm } : {}) };
  if (args.fix && args.fixDryRun) throw new UsageError("--fix and --fix-dry-run cannot be used together");
  const fixing = args.fix || args.fixDryRun;
  if (args.fix && loaded.inputs.some((l) => l.stdin)) throw new UsageError("--fix cannot write standard input back; use --fix-dry-run, whose JSON report has the fixed text in output");
  if (fixing && args.cache) debugLog(ctx, "cache: not used with --fix or --fix-dry-run");
  let results = args.cache && !fixing ? await lintCached(ctx, args, inputs, new Set(loaded.inputs.filter((l) => l.stdin).map((l) => l.input)), groups, options, timing) : await lintGroupsOf(ctx, inputs, groups, options);
  let outputs: (string | undefined)[] = results.map(() => undefined);
  if (fixing) {
    const fixed = await fixStep(ctx, inputs, groups, results, options, args.quiet);
    results = fixed.results;
    outputs = fixed.outputs;
    if (args.fix) writeFixed(ctx, results, outputs, loaded.problems);
  }
  debugLog(ctx, `linted in ${(performance.now() - lintStarted).toFixed(0)} ms`);
  const reportStarted = performance.now();

  const projectRoot = findProjectRoot(io.cwd);
  const files = results.map((r) => ({ result: r, filePath: r.filePath ?? "<stdin>" }));
  const counted: Counted[] = results.map((r) => ({ messages: [...r.messages], suppressed: [...r.suppressedMessages] }));

  if (args.baselineWrite) writeBaselineStep(ctx, args.baselineWrite, results, counted);
  else if (args.baseline) applyBaselineStep(ctx, args.baseline, results, counted);

  const formatted: FormattedResult[] = files.map(({ result, filePath }, k) => {
    const c = counted[k]!;
    return {
      filePath,
      relativePath: result.filePath ? projectRelative(projectRoot, result.filePath) : "<stdin>",
      messages: c.messages,
      suppressedMessages: c.suppressed,
      ...countOf(c.messages),
      fatalErrorCount: 0,
      source: result.source,
      ...(outputs[k] !== undefined ? { output: outputs[k] } : {}),
    };
  });
  // ignored files named on the command line are reported once, by the first shard
  if (args.warnIgnored && (!shard || shard.index === 1)) {
    for (const path of loaded.ignored) {
      const m: Diagnostic = { ruleId: null, engine: "ignored-file", severity: "warning", message: IGNORED_MESSAGE, span: { line: 0, column: 0, endLine: 0, endColumn: 0, offset: 0, endOffset: 0 } };
      formatted.push({ filePath: path, relativePath: projectRelative(projectRoot, path), messages: [m], suppressedMessages: [], errorCount: 0, warningCount: 1, fatalErrorCount: 0 });
    }
  }

  const errorCount = formatted.reduce((n, r) => n + r.errorCount, 0);
  const warningCount = formatted.reduce((n, r) => n + r.warningCount, 0);
  const shown = args.quiet
    ? formatted.map((r) => {
        const messages = r.messages.filter((m) => m.severity === "error");
        return { ...r, messages, ...countOf(messages) };
      })
    : formatted;

  const toFile = args.outputFile !== undefined;
  const notifications: ToolNotification[] = loaded.problems.map((p) => ({ message: p.message, ...(p.io ? { filePath: resolve(io.cwd, p.pattern) } : {}) }));
  const report = formatters[args.format](shown, {
    color: colorEnabled(args.color, io, toFile ? null : io.stdout),
    cwd: io.cwd,
    projectRoot,
    rules: ctx.rules,
    version: packageVersion(),
    notifications,
    sarif: { fingerprints: args.sarifFingerprints, includeSuppressed: args.sarifIncludeSuppressed, ...(args.sarifCategory ? { category: args.sarifCategory } : {}) },
  });
  writeReport(ctx, report, args.outputFile);
  if (timing) {
    timing.set("report", performance.now() - reportStarted);
    const phases = Object.fromEntries([...timing].map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
    io.stderr.write(`${JSON.stringify({ fwlintTiming: phases, files: results.length, wall: Math.round(performance.now()), maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  }

  const tooManyWarnings = args.maxWarnings !== undefined && args.maxWarnings >= 0 && warningCount > args.maxWarnings;
  if (tooManyWarnings && errorCount === 0) printError(ctx, `too many warnings (maximum: ${args.maxWarnings}, found: ${warningCount})`);
  if (loaded.problems.length) ctx.exitCode = 2;
  else ctx.exitCode = errorCount > 0 || tooManyWarnings ? 1 : 0;
}

/**
 * --fix / --fix-dry-run: apply the fixes of the findings (errors only with --quiet, as only they are shown),
 * lint the changed groups again, and repeat until nothing is left to fix or after MAX_FIX_PASSES passes.
 * Returns the last results (of the fixed texts) and, per result, the fixed text when it changed.
 */
async function fixStep(ctx: CliContext, original: readonly LintInput[], groups: readonly (readonly number[])[], first: LintReport[], options: LintInputsOptions, quiet: boolean): Promise<{ results: LintReport[]; outputs: (string | undefined)[] }> {
  const inputs = [...original];
  const order = groups.flat();
  let results = first;
  let applied = 0;
  for (let pass = 1; pass <= MAX_FIX_PASSES; pass++) {
    const changed = new Set<number>();
    results.forEach((r, k) => {
      const input = inputs[order[k]!]!;
      const fix = applyFixes(input.text, quiet ? r.messages.filter((m) => m.severity === "error") : r.messages);
      if (fix.output === input.text) return;
      applied += fix.applied;
      inputs[order[k]!] = { ...input, text: fix.output };
      changed.add(order[k]!);
    });
    if (changed.size === 0) break;
    const again = groups.filter((g) => g.some((i) => changed.has(i)));
    const fresh = await lintGroupsOf(ctx, inputs, again, options);
    const byInput = new Map<number, LintReport>();
    again.flat().forEach((i, k) => byInput.set(i, fresh[k]!));
    results = order.map((i, k) => byInput.get(i) ?? results[k]!);
  }
  debugLog(ctx, `fix: ${applied} fix(es) applied`);
  return { results, outputs: order.map((i) => (inputs[i]!.text !== original[i]!.text ? inputs[i]!.text : undefined)) };
}

/** --fix: write each changed file back; a file that cannot be written is a problem (exit 2), the others still are. */
function writeFixed(ctx: CliContext, results: readonly LintReport[], outputs: readonly (string | undefined)[], problems: DiscoveryProblem[]): void {
  results.forEach((r, k) => {
    const text = outputs[k];
    if (text === undefined || !r.filePath) return;
    try {
      writeFileSync(r.filePath, text);
    } catch (err) {
      const message = `${relativePosix(ctx.io.cwd, r.filePath) || r.filePath}: cannot write the fixed file (${errnoText(err)})`;
      printError(ctx, message);
      problems.push({ pattern: r.filePath, message, io: true });
    }
  });
}

/** Why the cache could not be written, in words (mkdir says EEXIST when a part of the path is a file). */
function writeProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "EEXIST" || code === "ENOTDIR" ? "a part of the path is not a directory" : errnoText(err);
}

const MISS_TEXT: Record<CacheMiss, string> = {
  absent: "no cache file yet",
  unreadable: "the cache file cannot be read",
  malformed: "the cache file is not one fwlint wrote; it will be replaced",
  "other-format": "the cache file has another format; it will be replaced",
  "other-program": "the cache file was written by another fwlint build or version; it will be replaced",
};

/**
 * --cache: the groups whose key is in the cache are answered from it, the others linted and added. A group
 * with standard input in it is linted and not cached.
 */
async function lintCached(ctx: CliContext, args: LintArgs, inputs: readonly LintInput[], fromStdin: ReadonlySet<LintInput>, groups: readonly (readonly number[])[], options: LintInputsOptions, timing: Map<string, number> | undefined): Promise<LintReport[]> {
  const started = performance.now();
  const cache = LintCache.open(cacheFilePath(ctx.io.cwd, args.cacheLocation));
  if (cache.miss) debugLog(ctx, `cache ${cache.path}: ${MISS_TEXT[cache.miss]}`);
  const members = groups.map((g) => g.map((k) => inputs[k]!));
  const keys = members.map((m) => (m.some((i) => fromStdin.has(i)) ? undefined : groupKey(m, ctx.rules)));
  const answers = members.map((m, k) => (keys[k] === undefined ? undefined : cache.get(keys[k], m)));
  const todo = groups.filter((_, k) => answers[k] === undefined);
  timing?.set("cache", performance.now() - started);
  debugLog(ctx, `cache: ${groups.length - todo.length} of ${groups.length} group(s) answered from ${cache.path}`);
  const fresh = todo.length ? await lintGroupsOf(ctx, inputs, todo, options) : [];
  let next = 0;
  const out: LintReport[] = [];
  members.forEach((m, k) => {
    const cached = answers[k];
    if (cached) return void out.push(...cached);
    const reports = fresh.slice(next, next + m.length);
    next += m.length;
    if (keys[k] !== undefined) cache.set(keys[k], m, reports);
    out.push(...reports);
  });
  const saving = performance.now();
  try {
    cache.save();
  } catch (err) {
    printError(ctx, `cannot write cache ${projectRelative(ctx.io.cwd, cache.path)}: ${writeProblem(err)}`);
  }
  if (timing) timing.set("cache", (timing.get("cache") ?? 0) + performance.now() - saving);
  return out;
}

export const lintCommand: CommandModule<object, LintArgs> = {
  command: "$0 [files..]",
  describe: "Lint iptables rule files and scripts and Docker daemon.json (the default command)",
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv as unknown as Record<string, unknown>);
    await lintHandler(argv, ctx);
  },
};
