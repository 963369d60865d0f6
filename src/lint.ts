/**
 * The lint engine: text in, diagnostics out. Pure — no file system, no colours, no process exit.
 */
import type { Family, Ruleset, SourceFormat } from "./ast/iptables.js";
import type { DaemonJsonDocument } from "./daemon/ast.js";
import { parseDaemonJson } from "./daemon/parse.js";
import type { Diagnostic, Severity, SeveritySetting, SuppressedDiagnostic } from "./diagnostic.js";
import { applyDirectives, collectDirectives } from "./directives.js";
import { MODEL_ANALYSIS } from "./model/index.js";
import { detectFamily, detectFormat, parse } from "./parse/index.js";
import type { FileKind, Finding, LintRule, ProjectFacts, ProjectFile, ProjectFileHead, RuleContext } from "./rule.js";
import { removalFilter } from "./validity/removed.js";
import { ListenerError, walkRuleset, type RuleListeners } from "./walk.js";
import { lintRules as registry } from "../rules/index.js";

export interface RuleSetting {
  readonly severity: SeveritySetting;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** How inline directives are handled. */
export interface LinterOptions {
  /** Ignore `fwlint-disable…` comments and `--comment` directives. */
  readonly noInlineConfig?: boolean;
  /** Report directives that suppress nothing (default "off" here; the CLI's default is "warning"). */
  readonly reportUnusedDisableDirectives?: SeveritySetting;
}

/** Configuration after files, overrides and command-line flags are merged for one file. */
export interface ResolvedConfig {
  readonly rules: Readonly<Record<string, RuleSetting>>;
  readonly facts: ProjectFacts;
  readonly linterOptions?: LinterOptions;
}

export const emptyConfig: ResolvedConfig = { rules: {}, facts: {} };

export interface LintInput {
  readonly text: string;
  readonly filePath?: string;
  /** Override the detected kind of file. */
  readonly kind?: FileKind;
  /** Force the address family of iptables input. */
  readonly family?: Family;
  /** Force the iptables input format. */
  readonly format?: SourceFormat;
  /** Configuration for this file (default: `LintOptions.config`). */
  readonly config?: ResolvedConfig;
}

export interface LintOptions {
  readonly config?: ResolvedConfig;
  /** Rules to run (default: every registered rule). */
  readonly rules?: readonly LintRule[];
  /** When given, milliseconds spent per phase are added here ("parse", "rule:<id>"). */
  readonly timing?: Map<string, number>;
  /**
   * A full garbage collection (the command line passes V8's). When given, the engine calls it once per large
   * file (`COLLECT_BEFORE_MODEL_CHARS` or more), before the first rule that builds the packet model: what the
   * parser and the earlier rules left behind (and the analyses dropped by then) is freed, and the model is
   * made in that room instead of growing the heap around it. On the 100k-rule dump this lowers the peak RSS
   * by about 25 MB, for one collection.
   */
  readonly collectGarbage?: () => void;
}

/** Files of at least this many characters (about 13,000 rules of a kube-proxy dump) are collected before the model. */
export const COLLECT_BEFORE_MODEL_CHARS = 2_000_000;

function timed<T>(timing: Map<string, number> | undefined, key: string, fn: () => T): T {
  if (!timing) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    timing.set(key, (timing.get(key) ?? 0) + performance.now() - t0);
  }
}

export interface LintResult {
  readonly filePath: string | undefined;
  readonly kind: FileKind;
  readonly messages: Diagnostic[];
  /** Findings silenced by inline directives, with the directives' justifications. */
  readonly suppressedMessages: SuppressedDiagnostic[];
  readonly errorCount: number;
  readonly warningCount: number;
  readonly fatalErrorCount: number;
  readonly source: string;
  /** Parsed documents, for callers that go on analysing (trace, exposure). */
  readonly file: ProjectFile;
}

const DAEMON_NAME = /(?:^|[/\\])daemon\.json$/i;

/** Guess what kind of file this is from its name and content. */
export function detectKind(text: string, filePath?: string): FileKind {
  if (filePath && DAEMON_NAME.test(filePath)) return "daemon-json";
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || (filePath?.toLowerCase().endsWith(".json") ?? false)) return "daemon-json";
  const format = detectFormat(text);
  if (format === "script") return "script";
  return "iptables";
}

function severityOf(rule: LintRule, config: ResolvedConfig): SeveritySetting {
  return config.rules[rule.id]?.severity ?? rule.severity;
}

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.span.line - b.span.line || a.span.column - b.span.column || (a.ruleId ?? "").localeCompare(b.ruleId ?? "");
}

/** What is known of a file before its rules are parsed (cheap: kind from the name and the first lines). */
export function fileHead(input: LintInput): ProjectFileHead {
  const kind = input.kind ?? detectKind(input.text, input.filePath);
  if (kind === "daemon-json") return { filePath: input.filePath, kind, daemon: parseDaemonJson(input.text) };
  if (kind === "script") return { filePath: input.filePath, kind, daemon: null };
  const family = input.family ?? (kind === "ip6tables" ? "ipv6" : detectFamily(input.text, input.filePath, input.format ?? detectFormat(input.text)).family);
  return { filePath: input.filePath, kind, daemon: null, family };
}

/** Parse a file into what rules look at. */
export function loadFile(input: LintInput): ProjectFile {
  const kind = input.kind ?? detectKind(input.text, input.filePath);
  if (kind === "daemon-json") {
    return { filePath: input.filePath, kind, text: input.text, rulesets: [], daemon: parseDaemonJson(input.text) };
  }
  const format: SourceFormat | undefined = input.format ?? (kind === "script" ? "script" : undefined);
  const family: Family | undefined = input.family ?? (kind === "ip6tables" ? "ipv6" : undefined);
  const base = { ...(input.filePath ? { filePath: input.filePath } : {}), ...(format ? { format } : {}) };
  const first = parse(input.text, { ...base, ...(family ? { family } : {}) });
  const rulesets: Ruleset[] = [first];
  if (!family && first.otherFamilyCommands > 0) {
    rulesets.push(parse(input.text, { ...base, family: first.family === "ipv4" ? "ipv6" : "ipv4" }));
  }
  const one = kind !== "script" && rulesets.length === 1 ? { family: first.family } : {};
  return { filePath: input.filePath, kind, text: input.text, rulesets, daemon: null, ...one };
}

/** A rule threw: a bug in fwlint, reported with the rule and the file (the CLI exits 2). */
export class RuleCrashError extends Error {
  constructor(
    readonly ruleId: string,
    readonly filePath: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`rule ${ruleId} crashed on ${filePath ?? "<input>"}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "RuleCrashError";
  }
}

/**
 * The timing phase of a shared analysis (`ctx.memo`): `analysis:` and its key's first two parts
 * (`packet-model/forwarded-dnats/<ports>` → `analysis:packet-model/forwarded-dnats`). Its time is also in the
 * phase of the rule that first asked for it, and in the analysis that asked for it, if one did.
 */
export function analysisPhase(key: string): string {
  const parts = key.split("/");
  return `analysis:${parts.length > 2 ? parts.slice(0, 2).join("/") : key}`;
}

/** The context a rule runs with, or null when the rule is off. */
function contextFor(rule: LintRule, ast: unknown, file: ProjectFile, config: ResolvedConfig, memo: Map<string, unknown>, sink: (rule: LintRule, f: Finding, severity: Severity) => void, timing?: Map<string, number>): RuleContext<unknown> | null {
  const setting = severityOf(rule, config);
  if (setting === "off") return null;
  const overridden = config.rules[rule.id]?.severity !== undefined;
  return {
    ast,
    text: file.text,
    filePath: file.filePath,
    options: { ...(rule.defaultOptions ?? {}), ...(config.rules[rule.id]?.options ?? {}) },
    facts: config.facts,
    report: (f) => sink(rule, f, overridden ? setting : (f.severity ?? setting)),
    memo: <T>(key: string, compute: () => T): T => {
      if (!memo.has(key)) memo.set(key, timing ? timed(timing, analysisPhase(key), compute) : compute());
      return memo.get(key) as T;
    },
  };
}

function runRule(rule: LintRule, ast: unknown, file: ProjectFile, config: ResolvedConfig, memo: Map<string, unknown>, sink: (rule: LintRule, f: Finding, severity: Severity) => void, timing?: Map<string, number>) {
  const ctx = contextFor(rule, ast, file, config, memo, sink, timing);
  if (!ctx) return;
  try {
    timed(timing, `rule:${rule.id}`, () => (rule.check as (c: RuleContext<unknown>) => void)(ctx));
  } catch (err) {
    throw new RuleCrashError(rule.id, file.filePath, err);
  }
}

/**
 * The rules defined with `create` (all on), in one walk: each rule's `create` (timed as `rule:<id>`), then
 * the shared walk with every listener and each `end` (timed as `walk`).
 */
function runWalk(rules: readonly LintRule[], ruleset: Ruleset, file: ProjectFile, config: ResolvedConfig, memo: Map<string, unknown>, sink: (rule: LintRule, f: Finding, severity: Severity) => void, timing?: Map<string, number>) {
  const sets: RuleListeners[] = [];
  for (const rule of rules) {
    const ctx = contextFor(rule, ruleset, file, config, memo, sink, timing) as RuleContext<Ruleset>;
    try {
      sets.push(timed(timing, `rule:${rule.id}`, () => rule.create!(ctx)));
    } catch (err) {
      throw new RuleCrashError(rule.id, file.filePath, err);
    }
  }
  try {
    timed(timing, "walk", () => walkRuleset(ruleset, sets));
  } catch (err) {
    if (err instanceof ListenerError) throw new RuleCrashError(rules[err.index]!.id, file.filePath, err.cause);
    throw err;
  }
}

const enabledIn = (rule: LintRule, config: ResolvedConfig) => severityOf(rule, config) !== "off";

/**
 * Per rule (by position), the shared analyses to drop once it has run: each key named in `uses`, after the
 * last rule that names it, a key under it, or a key above it (dropping a key drops the keys under it).
 */
export function releasePlan(rules: readonly LintRule[]): string[][] {
  const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  const keys = new Set(rules.flatMap((r) => r.uses ?? []));
  const plan: string[][] = rules.map(() => []);
  for (const key of keys) {
    let last = -1;
    rules.forEach((rule, k) => {
      if ((rule.uses ?? []).some((u) => related(u, key))) last = k;
    });
    plan[last]!.push(key);
  }
  return plan;
}

/** Drop a shared analysis and those under it (`key/…`). */
function dropAnalysis(memo: Map<string, unknown>, key: string): void {
  const under = `${key}/`;
  for (const k of [...memo.keys()]) if (k === key || k.startsWith(under)) memo.delete(k);
}

/**
 * How these inputs can be linted apart: groups of input indexes (in input order) such that linting each
 * group with `lintFiles` gives, file for file, what linting them all together gives. Every file is its
 * own group unless a project rule that is on may compare these files (no `appliesTo`, or it says true for
 * all of them or for one alone): then they form one group; a rule that says which files it compares
 * (`together`) groups only those. Used to spread files over worker threads and
 * CI shards.
 */
export function lintGroups(inputs: readonly LintInput[], options: LintOptions = {}): number[][] {
  const singles = inputs.map((_, k) => [k]);
  if (inputs.length < 2) return singles;
  const baseConfig = options.config ?? emptyConfig;
  const configs = [baseConfig, ...inputs.map((i) => i.config ?? baseConfig)];
  const project = (options.rules ?? registry).filter((r) => r.language === "project" && configs.some((c) => enabledIn(r, c)));
  if (project.length === 0) return singles;
  const heads = inputs.map(fileHead);
  const whole = project.some((r) => !r.together && (!r.appliesTo || r.appliesTo(heads) || heads.some((h) => r.appliesTo!([h]))));
  if (whole) return [inputs.map((_, k) => k)];
  // the sets of files rules compare, merged where they share a file; every other file on its own
  const root = inputs.map((_, k) => k);
  const find = (k: number): number => (root[k] === k ? k : (root[k] = find(root[k]!)));
  for (const r of project) {
    if (!r.together) continue;
    for (const set of r.together(heads)) for (const k of set) root[find(k)] = find(set[0]!);
  }
  const byRoot = new Map<number, number[]>();
  for (let k = 0; k < inputs.length; k++) {
    const r = find(k);
    const g = byRoot.get(r);
    if (g) g.push(k);
    else byRoot.set(r, [k]);
  }
  return [...byRoot.values()];
}

/** Lint one file. */
export function lint(input: LintInput, options: LintOptions = {}): LintResult {
  return lintFiles([input], options)[0]!;
}

/**
 * Lint several files together: each file on its own, then the project rules that compare files
 * (a dump and its host's daemon.json).
 */
export function lintFiles(inputs: readonly LintInput[], options: LintOptions = {}): LintResult[] {
  const baseConfig = options.config ?? emptyConfig;
  const configs = inputs.map((i) => i.config ?? baseConfig);
  const rules = options.rules ?? registry;
  const files = inputs.map((input) => timed(options.timing, "parse", () => loadFile(input)));
  const perFile = files.map(() => new Map<string, Diagnostic>());
  const toDiagnostic = (rule: LintRule, f: Finding, severity: Severity): Diagnostic => {
    if (f.fix && !rule.fixable) throw new Error(`rule ${rule.id} reported a fix but is not fixable (set fixable in its definition)`);
    return {
      ruleId: rule.id,
      severity,
      message: f.message,
      span: f.span,
      ...(f.related?.length ? { related: f.related } : {}),
      ...(f.fix ? { fix: f.fix } : {}),
      ...(f.suggestions?.length ? { suggestions: f.suggestions } : {}),
    };
  };
  files.forEach((file, k) => {
    const out = perFile[k]!;
    const config = configs[k]!;
    const fileSink = (rule: LintRule, f: Finding, severity: Severity) => {
      const d = toDiagnostic(rule, f, severity);
      const key = `${d.ruleId}\0${d.span.offset}\0${d.span.endOffset}\0${d.message}`;
      if (!out.has(key)) out.set(key, d);
    };
    if (file.daemon) {
      const memo = new Map<string, unknown>();
      for (const rule of rules) if (rule.language === "daemon-json") runRule(rule, file.daemon, file, config, memo, fileSink, options.timing);
    }
    if (file.rulesets.length) {
      const enabled = rules.filter((r) => r.language === "iptables" && enabledIn(r, config));
      // the rules with listeners first, in one walk; then the others, each on its own
      const walkers = enabled.filter((r) => r.create);
      const active = [...walkers, ...enabled.filter((r) => !r.create)];
      const release = releasePlan(active);
      const collect = options.collectGarbage && file.text.length >= COLLECT_BEFORE_MODEL_CHARS ? options.collectGarbage : null;
      for (const ruleset of file.rulesets) {
        const memo = new Map<string, unknown>();
        // findings on rules the file takes out again: kept, with a note, or dropped (src/validity/removed.ts)
        const removal = removalFilter(ruleset);
        const sink: typeof fileSink = removal
          ? (rule, f, severity) => {
              const kept = removal(f);
              if (kept) fileSink(rule, kept, severity);
            }
          : fileSink;
        let collected = collect === null;
        const collectBefore = (group: readonly LintRule[]) => {
          if (!collected && group.some((rule) => rule.uses?.includes(MODEL_ANALYSIS)) && !memo.has(MODEL_ANALYSIS)) {
            collected = true;
            timed(options.timing, "collect", collect!);
          }
        };
        if (walkers.length) {
          collectBefore(walkers);
          runWalk(walkers, ruleset, file, config, memo, sink, options.timing);
          for (let k = 0; k < walkers.length; k++) for (const key of release[k]!) dropAnalysis(memo, key);
        }
        for (let k = walkers.length; k < active.length; k++) {
          const rule = active[k]!;
          collectBefore([rule]);
          runRule(rule, ruleset, file, config, memo, sink, options.timing);
          for (const key of release[k]!) dropAnalysis(memo, key);
        }
      }
    }
  });
  const projectRules = rules.filter((r) => r.language === "project" && (!r.appliesTo || r.appliesTo(files)));
  if (projectRules.length && files.length) {
    const memo = new Map<string, unknown>();
    for (const rule of projectRules) {
      runRule(rule, { files }, files[0]!, options.config ?? configs[0]!, memo, (r, f, severity) => {
        const k = Math.max(0, files.findIndex((x) => x.filePath === f.filePath));
        // the file the finding lands in decides whether the rule is on there, and at what severity
        const setting = configs[k]!.rules[r.id]?.severity;
        if (setting === "off") return;
        const d = toDiagnostic(r, f, setting ?? severity);
        perFile[k]!.set(`${d.ruleId}\0${d.span.offset}\0${d.message}`, d);
      }, options.timing);
    }
  }
  const knownRules = new Set([...registry, ...rules].map((r) => r.id));
  return files.map((file, k) => {
    let messages = [...perFile[k]!.values()];
    let suppressedMessages: SuppressedDiagnostic[] = [];
    const linterOptions = configs[k]!.linterOptions ?? {};
    if (!linterOptions.noInlineConfig) {
      const directives = timed(options.timing, "directives", () => collectDirectives(file));
      if (directives.length) {
        const outcome = timed(options.timing, "directives", () => applyDirectives(messages, directives, { reportUnused: linterOptions.reportUnusedDisableDirectives ?? "off", knownRules, text: file.text }));
        messages = [...outcome.messages, ...outcome.problems];
        suppressedMessages = outcome.suppressed.sort(compareDiagnostics);
      }
    }
    messages.sort(compareDiagnostics);
    return {
      filePath: file.filePath,
      kind: file.kind,
      messages,
      suppressedMessages,
      errorCount: messages.filter((m) => m.severity === "error").length,
      warningCount: messages.filter((m) => m.severity === "warning").length,
      fatalErrorCount: 0,
      source: file.text,
      file,
    };
  });
}

export type { DaemonJsonDocument };
