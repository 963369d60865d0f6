/**
 * Configuration: `.fwlintrc.json` or `fwlint.config.json`, the nearest one walking up from each linted file
 * (or `--config FILE` for every file). JSON only — a configuration is data and is never executed. The file is
 * checked against schema/fwlint.config.schema.json with ajv, then against the rule registry (rule ids, each
 * rule's options schema) and the meaning of facts; any problem is a ConfigError naming the file, the line and
 * column, and the JSON pointer of the bad value.
 */
import { defaultLimit, nearest } from "./util/suggest.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isIP } from "node:net";
import { parse as momoaParse } from "@humanwhocodes/momoa";
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import type { Family } from "./ast/iptables.js";
import type { SeveritySetting } from "./diagnostic.js";
import type { LinterOptions, ResolvedConfig, RuleSetting } from "./lint.js";
import type { FileKind, LintRuleMeta, ProjectFacts } from "./rule.js";
import { PathMatcher } from "./files.js";
import { lintRules } from "../rules/index.js";

export const CONFIG_FILE_NAMES = [".fwlintrc.json", "fwlint.config.json"] as const;

/** A rule entry as written: a severity, and options when given. */
export interface RuleEntry {
  readonly severity: SeveritySetting;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface ConfigOverride {
  readonly files: PathMatcher;
  readonly excludedFiles: PathMatcher;
  readonly rules: Readonly<Record<string, RuleEntry>>;
  readonly facts: ProjectFacts;
  readonly kind?: FileKind;
  readonly family?: Family;
}

/** A validated configuration file. */
export interface ConfigFile {
  /** Absolute path of the file; null for the built-in defaults. */
  readonly path: string | null;
  /** Directory globs are relative to. */
  readonly dir: string;
  readonly rules: Readonly<Record<string, RuleEntry>>;
  readonly facts: ProjectFacts;
  readonly include: PathMatcher;
  readonly ignores: PathMatcher;
  readonly overrides: readonly ConfigOverride[];
  readonly noInlineConfig?: boolean;
  readonly reportUnusedDisableDirectives?: SeveritySetting;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    /** JSON pointer of the bad value ("" for the document). */
    readonly pointer: string,
    readonly detail: string,
    readonly position?: { readonly line: number; readonly column: number },
  ) {
    super(`invalid configuration ${file}${position ? `:${position.line}:${position.column}` : ""}: ${pointer || "(document)"}: ${detail}`);
    this.name = "ConfigError";
  }
}

/** "off"/0, "warn"/"warning"/1, "error"/2 → the engine's severity setting. */
export function normalizeSeverity(value: unknown): SeveritySetting | undefined {
  switch (value) {
    case "off":
    case 0:
      return "off";
    case "warn":
    case "warning":
    case 1:
      return "warning";
    case "error":
    case 2:
      return "error";
    default:
      return undefined;
  }
}

// ── JSON Schema ────────────────────────────────────────────────────────────────────────────────────────

let schemaCache: Record<string, unknown> | undefined;

/** schema/fwlint.config.schema.json (found from src/ when run by tests, from dist/src/ when installed). */
export function configSchema(): Record<string, unknown> {
  if (schemaCache) return schemaCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, "schema", "fwlint.config.schema.json");
    if (existsSync(candidate)) return (schemaCache = JSON.parse(readFileSync(candidate, "utf8")) as Record<string, unknown>);
    dir = dirname(dir);
  }
  throw new Error("schema/fwlint.config.schema.json not found beside the fwlint installation");
}

/** ajv is loaded on first use: runs without a config file or --rule do not pay for it at startup. */
const require = createRequire(import.meta.url);
const newAjv = (options: ConstructorParameters<typeof Ajv>[0]): Ajv => new (require("ajv") as { Ajv: typeof Ajv }).Ajv(options);

let ajvCache: Ajv | undefined;
let validateConfigCache: ValidateFunction | undefined;
const optionValidators = new Map<string, ValidateFunction>();

function ajv(): Ajv {
  return (ajvCache ??= newAjv({ allErrors: true, strict: false }));
}

function configValidator(): ValidateFunction {
  return (validateConfigCache ??= newAjv({ allErrors: true, strict: true, strictTuples: false }).compile(configSchema()));
}

function optionsValidator(rule: LintRuleMeta): ValidateFunction | undefined {
  if (!rule.optionsSchema) return undefined;
  let v = optionValidators.get(rule.id);
  if (!v) optionValidators.set(rule.id, (v = ajv().compile(rule.optionsSchema as Record<string, unknown>)));
  return v;
}

/** One readable sentence for an ajv error. */
function describeAjvError(e: ErrorObject): { pointer: string; detail: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties":
      return { pointer: `${e.instancePath}/${escapePointer(String(p.additionalProperty))}`, detail: `unknown key "${String(p.additionalProperty)}"` };
    case "required":
      return { pointer: e.instancePath, detail: `missing required key "${String(p.missingProperty)}"` };
    case "enum":
      return { pointer: e.instancePath, detail: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "propertyNames":
      return { pointer: `${e.instancePath}/${escapePointer(String(p.propertyName))}`, detail: `"${String(p.propertyName)}" is not a rule id (rule ids are kebab-case)` };
    case "pattern":
      return { pointer: e.instancePath, detail: `${e.message ?? "does not match"}` };
    default:
      return { pointer: e.instancePath, detail: e.message ?? "is invalid" };
  }
}

const SUMMARY_KEYWORDS = new Set(["oneOf", "anyOf", "if"]);

/** The most useful of ajv's errors: a bad property name, else the deepest that is not a oneOf/anyOf summary. */
function pickError(errors: readonly ErrorObject[]): ErrorObject {
  const names = errors.find((e) => e.keyword === "propertyNames");
  if (names) return names;
  const concrete = errors.filter((e) => !SUMMARY_KEYWORDS.has(e.keyword));
  const pool = concrete.length ? concrete : [...errors];
  const depth = (e: ErrorObject) => e.instancePath.split("/").length + (e.keyword === "additionalProperties" ? 1 : 0);
  return pool.reduce((best, e) => (depth(e) > depth(best) ? e : best));
}

const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

// ── source positions of JSON pointers ────────────────────────────────────────────────────────────────────

interface JsonNode {
  type: string;
  loc: { start: { line: number; column: number } };
  members?: { name: { value: string; loc: JsonNode["loc"] }; value: JsonNode; loc: JsonNode["loc"] }[];
  elements?: { value: JsonNode }[];
}

/** Line and column of the value at `pointer` (or of the deepest part of it that exists). */
function locate(root: JsonNode, pointer: string): { line: number; column: number } {
  let node = root;
  let loc = root.loc.start;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node.type === "Object") {
      const member = [...(node.members ?? [])].reverse().find((m) => m.name.value === key);
      if (!member) break;
      loc = member.name.loc.start;
      node = member.value;
    } else if (node.type === "Array") {
      const el = node.elements?.[Number(key)];
      if (!el) break;
      node = el.value;
      loc = node.loc.start;
    } else break;
  }
  return { line: loc.line, column: loc.column };
}

/** Duplicate keys are legal JSON that JSON.parse silently resolves; in a config they are always a mistake. */
function findDuplicateKey(node: JsonNode, pointer = ""): { pointer: string; loc: { line: number; column: number } } | null {
  if (node.type === "Object") {
    const seen = new Set<string>();
    for (const m of node.members ?? []) {
      const here = `${pointer}/${escapePointer(m.name.value)}`;
      if (seen.has(m.name.value)) return { pointer: here, loc: { line: m.name.loc.start.line, column: m.name.loc.start.column } };
      seen.add(m.name.value);
      const inner = findDuplicateKey(m.value, here);
      if (inner) return inner;
    }
  } else if (node.type === "Array") {
    for (const [i, el] of (node.elements ?? []).entries()) {
      const inner = findDuplicateKey(el.value, `${pointer}/${i}`);
      if (inner) return inner;
    }
  }
  return null;
}

// ── parsing and checking a config file ──────────────────────────────────────────────────────────────────

const registryById = new Map(lintRules.map((r) => [r.id, r]));

/** Normalize and check one `rules` object; `at` is its JSON pointer. */
function readRules(raw: Record<string, unknown>, at: string, fail: (pointer: string, detail: string) => never, rules: ReadonlyMap<string, LintRuleMeta>): Record<string, RuleEntry> {
  const out: Record<string, RuleEntry> = {};
  for (const [id, value] of Object.entries(raw)) {
    const here = `${at}/${escapePointer(id)}`;
    const rule = rules.get(id);
    if (!rule) fail(here, `unknown rule "${id}"${suggest(id, [...rules.keys()])}`);
    const [sev, options] = Array.isArray(value) ? [value[0], value[1] as Record<string, unknown> | undefined] : [value, undefined];
    const severity = normalizeSeverity(sev)!;
    if (options !== undefined) {
      const validate = optionsValidator(rule);
      if (!validate) fail(`${here}/1`, `rule "${id}" takes no options`);
      const merged = { ...(rule.defaultOptions ?? {}), ...options };
      if (!validate(merged)) {
        const e = pickError(validate.errors ?? []);
        const d = describeAjvError(e);
        fail(`${here}/1${d.pointer}`, d.detail);
      }
    }
    out[id] = options === undefined ? { severity } : { severity, options };
  }
  return out;
}

const IFNAME = /^[^\s/:]{1,15}$/;

/** An interface name as the kernel takes it (at most 15 characters, no spaces, slashes or colons), `+` only at the end. */
export function isInterfaceName(name: string): boolean {
  return IFNAME.test(name) && (!name.includes("+") || name.endsWith("+"));
}

/** Why a value is not an interface name (the message of the configuration and of --external). */
export const INTERFACE_NAME_RULE = "at most 15 characters, no spaces or slashes; \"+\" only at the end";

function checkFacts(facts: Record<string, unknown>, at: string, fail: (pointer: string, detail: string) => never): ProjectFacts {
  const list = (key: string) => (facts[key] as string[] | undefined) ?? [];
  list("externalInterfaces").forEach((name, i) => {
    if (!isInterfaceName(name)) fail(`${at}/externalInterfaces/${i}`, `"${name}" is not an interface name (${INTERFACE_NAME_RULE})`);
  });
  for (const key of ["trustedSources", "hostAddresses"]) {
    list(key).forEach((value, i) => {
      if (!isAddressOrCidr(value)) fail(`${at}/${key}/${i}`, `"${value}" is not an IPv4 or IPv6 address or CIDR`);
    });
  }
  return facts as ProjectFacts;
}

export function isAddressOrCidr(value: string): boolean {
  const [addr, prefix, extra] = value.split("/");
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function suggest(id: string, known: readonly string[]): string {
  const best = nearest(id, known, defaultLimit(id));
  return best !== undefined ? ` (did you mean "${best}"?)` : "";
}


/** Suggestion text for an unknown rule id: ` (did you mean "x"?)` or "". */
export function suggestRule(id: string, rules: readonly LintRuleMeta[] = lintRules): string {
  return suggest(id, rules.map((r) => r.id));
}

/**
 * Parse and check a configuration file's text. Pure apart from reading the schema; `path` is used for
 * messages and as the base of globs.
 */
export function parseConfig(text: string, path: string, rules: readonly LintRuleMeta[] = lintRules): ConfigFile {
  let ast: { body: JsonNode };
  try {
    ast = momoaParse(text, { mode: "json" }) as unknown as { body: JsonNode };
  } catch (err) {
    const e = err as { message?: string; line?: number; column?: number };
    throw new ConfigError(path, "", `not valid JSON: ${(e.message ?? "syntax error").replace(/\s*\(\d+:\d+\)\s*$/, "")}`, e.line ? { line: e.line, column: e.column ?? 1 } : undefined);
  }
  const fail = (pointer: string, detail: string): never => {
    throw new ConfigError(path, pointer, detail, locate(ast.body, pointer));
  };
  const dup = findDuplicateKey(ast.body);
  if (dup) throw new ConfigError(path, dup.pointer, "duplicate key", dup.loc);
  const data = JSON.parse(text) as unknown;
  const validate = configValidator();
  if (!validate(data)) {
    const d = describeAjvError(pickError(validate.errors ?? []));
    fail(d.pointer, d.detail);
  }
  const raw = data as {
    rules?: Record<string, unknown>;
    facts?: Record<string, unknown>;
    include?: string[];
    ignores?: string[];
    overrides?: { files: string[]; excludedFiles?: string[]; rules?: Record<string, unknown>; facts?: Record<string, unknown>; kind?: FileKind; family?: Family }[];
    noInlineConfig?: boolean;
    reportUnusedDisableDirectives?: unknown;
  };
  const byId = rules === lintRules ? registryById : new Map(rules.map((r) => [r.id, r]));
  const dir = dirname(path);
  const overrides = (raw.overrides ?? []).map((o, i): ConfigOverride => ({
    files: new PathMatcher(dir, o.files),
    excludedFiles: new PathMatcher(dir, o.excludedFiles ?? []),
    rules: readRules(o.rules ?? {}, `/overrides/${i}/rules`, fail, byId),
    facts: checkFacts(o.facts ?? {}, `/overrides/${i}/facts`, fail),
    ...(o.kind ? { kind: o.kind } : {}),
    ...(o.family ? { family: o.family } : {}),
  }));
  const unused = normalizeSeverity(raw.reportUnusedDisableDirectives);
  return {
    path,
    dir,
    rules: readRules(raw.rules ?? {}, "/rules", fail, byId),
    facts: checkFacts(raw.facts ?? {}, "/facts", fail),
    include: new PathMatcher(dir, raw.include ?? []),
    ignores: new PathMatcher(dir, raw.ignores ?? []),
    overrides,
    ...(raw.noInlineConfig !== undefined ? { noInlineConfig: raw.noInlineConfig } : {}),
    ...(unused ? { reportUnusedDisableDirectives: unused } : {}),
  };
}

/** Read and check a configuration file. Throws ConfigError (unreadable file included). */
export function loadConfigFile(path: string, rules?: readonly LintRuleMeta[]): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, "", code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read file (${code ?? String(err)})`);
  }
  return parseConfig(text, path, rules);
}

/** The configuration used when no file is found: every rule at its default severity. */
export function defaultConfig(dir: string): ConfigFile {
  return { path: null, dir, rules: {}, facts: {}, include: new PathMatcher(dir, []), ignores: new PathMatcher(dir, []), overrides: [] };
}

// ── per-file resolution ─────────────────────────────────────────────────────────────────────────────────

/** Settings the command line puts over every configuration file. */
export interface CliSettings {
  /** `--config FILE`: use this file for every linted file instead of searching. */
  readonly configFile?: string;
  /** `--rule` entries, applied last. */
  readonly rules?: Readonly<Record<string, RuleEntry>>;
  readonly noInlineConfig?: boolean;
  readonly reportUnusedDisableDirectives?: SeveritySetting;
  readonly kind?: FileKind;
  readonly family?: Family;
  /** `--ignore-pattern` globs, relative to cwd. */
  readonly ignorePatterns?: readonly string[];
  /** `--no-ignore`. */
  readonly noIgnore?: boolean;
}

/** What applies to one file. */
export interface FileSettings {
  readonly config: ResolvedConfig;
  /** The configuration file used, or null. */
  readonly configPath: string | null;
  readonly kind?: FileKind;
  readonly family?: Family;
}

const mergeRules = (into: Record<string, RuleSetting>, from: Readonly<Record<string, RuleEntry>>) => {
  for (const [id, entry] of Object.entries(from)) {
    const prev = into[id];
    const options = entry.options ?? prev?.options;
    into[id] = options ? { severity: entry.severity, options } : { severity: entry.severity };
  }
};

/** Finds, loads (once) and applies configuration files for the files being linted. */
export class ConfigResolver {
  private readonly byDir = new Map<string, ConfigFile>();
  private readonly loaded = new Map<string, ConfigFile>();
  private readonly explicit: ConfigFile | undefined;
  private readonly cliIgnores: PathMatcher;

  constructor(
    readonly cwd: string,
    readonly cli: CliSettings = {},
    private readonly rules: readonly LintRuleMeta[] = lintRules,
  ) {
    this.explicit = cli.configFile ? this.load(resolve(cwd, cli.configFile)) : undefined;
    this.cliIgnores = new PathMatcher(cwd, cli.ignorePatterns ?? []);
  }

  private load(path: string): ConfigFile {
    let c = this.loaded.get(path);
    if (!c) this.loaded.set(path, (c = loadConfigFile(path, this.rules)));
    return c;
  }

  /** The configuration file for a directory: the nearest one walking up, or the defaults. */
  configForDir(dir: string): ConfigFile {
    if (this.explicit) return this.explicit;
    const cached = this.byDir.get(dir);
    if (cached) return cached;
    const found = CONFIG_FILE_NAMES.map((n) => join(dir, n)).filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (found.length > 1) throw new ConfigError(found[1]!, "", `both ${CONFIG_FILE_NAMES.join(" and ")} exist in ${dir}; keep one`);
    let config: ConfigFile;
    if (found.length === 1) config = this.load(found[0]!);
    else {
      const parent = dirname(dir);
      config = parent === dir ? defaultConfig(this.cwd) : this.configForDir(parent);
    }
    this.byDir.set(dir, config);
    return config;
  }

  /** The configuration file for a file (null: standard input without --stdin-filename, looked up from cwd). */
  configFor(filePath: string | null): ConfigFile {
    return this.configForDir(filePath ? dirname(filePath) : this.cwd);
  }

  isIgnored(absPath: string): boolean {
    if (this.cli.noIgnore) return false;
    if (this.cliIgnores.matches(absPath)) return true;
    return this.configFor(absPath).ignores.matches(absPath);
  }

  isIncluded(absPath: string): boolean {
    const c = this.configFor(absPath);
    return c.include.matches(absPath) || c.overrides.some((o) => o.kind !== undefined && o.files.matches(absPath) && !o.excludedFiles.matches(absPath));
  }

  /** Everything that applies to one file: config file, matching overrides, then the command line. */
  settingsFor(filePath: string | null): FileSettings {
    const c = this.configFor(filePath);
    const rules: Record<string, RuleSetting> = {};
    mergeRules(rules, c.rules);
    let facts: ProjectFacts = { ...c.facts };
    let kind: FileKind | undefined;
    let family: Family | undefined;
    if (filePath) {
      for (const o of c.overrides) {
        if (!o.files.matches(filePath) || o.excludedFiles.matches(filePath)) continue;
        mergeRules(rules, o.rules);
        facts = { ...facts, ...o.facts };
        kind = o.kind ?? kind;
        family = o.family ?? family;
      }
    }
    mergeRules(rules, this.cli.rules ?? {});
    const linterOptions: LinterOptions = {
      noInlineConfig: this.cli.noInlineConfig || c.noInlineConfig || false,
      reportUnusedDisableDirectives: this.cli.reportUnusedDisableDirectives ?? c.reportUnusedDisableDirectives ?? "warning",
    };
    kind = this.cli.kind ?? kind;
    family = this.cli.family ?? family;
    return {
      config: { rules, facts, linterOptions },
      configPath: c.path,
      ...(kind ? { kind } : {}),
      ...(family ? { family } : {}),
    };
  }
}

/**
 * Parse `--rule` values: `id: off|warn|error` (several separated by commas) or `id: [severity, {options}]`.
 * Checks ids and options like a config file. Throws ConfigError with "--rule" as the file.
 */
export function parseRuleFlags(values: readonly string[], rules: readonly LintRuleMeta[] = lintRules): Record<string, RuleEntry> {
  const raw: Record<string, unknown> = {};
  for (const value of values) {
    const fail = (detail: string): never => {
      throw new ConfigError("--rule", "", `"${value}": ${detail}`);
    };
    const colon = value.indexOf(":");
    if (colon === -1) fail('expected "rule-id: off|warn|error"');
    const firstId = value.slice(0, colon).trim();
    const rest = value.slice(colon + 1).trim();
    if (rest.startsWith("[")) {
      try {
        raw[firstId] = JSON.parse(rest);
      } catch {
        fail("the value after the colon is not valid JSON");
      }
      continue;
    }
    for (const part of value.split(",")) {
      const [id, sev, ...more] = part.split(":").map((s) => s.trim());
      if (!id || sev === undefined || more.length) fail('expected "rule-id: off|warn|error"');
      raw[id!] = /^[0-2]$/.test(sev!) ? Number(sev) : sev;
    }
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const [id, v] of Object.entries(raw)) {
    const sev = Array.isArray(v) ? v[0] : v;
    if (normalizeSeverity(sev) === undefined) throw new ConfigError("--rule", `/${id}`, `severity must be off, warn or error (got ${JSON.stringify(sev)})`);
    if (Array.isArray(v) && (v.length > 2 || (v.length === 2 && (typeof v[1] !== "object" || v[1] === null || Array.isArray(v[1]))))) throw new ConfigError("--rule", `/${id}`, "expected [severity, {options}]");
  }
  return readRules(raw, "", (pointer, detail) => {
    throw new ConfigError("--rule", pointer, detail);
  }, byId);
}
