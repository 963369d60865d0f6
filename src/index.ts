/** Library API: `import { parse, lint } from "fwlint"`. */
export { parse, detectFormat, detectFamily, type ParseOptions } from "./parse/index.js";
export type * from "./ast/iptables.js";
export { allRules, findTable, findChain, ruleOptions, criterion, match, matchOption } from "./ast/iptables.js";
/** The canonical form: a rule exactly as iptables-save prints it (rule identity, checked against the kernel). */
export { canonicalRule, canonicalRuleLines, canonicalSaveLine, canonicalSaveLines } from "./canonical.js";
export type { Span } from "./ast/span.js";
export { parseDaemonJson } from "./daemon/parse.js";
export type { DaemonJsonDocument, JsonValue, JsonMember } from "./daemon/ast.js";
export { lint, lintFiles, loadFile, detectKind, emptyConfig, type LintInput, type LintOptions, type LintResult, type ResolvedConfig, type RuleSetting } from "./lint.js";
export type { Diagnostic, Severity, SeveritySetting, Fix, Suggestion, RelatedLocation } from "./diagnostic.js";
export type { LintRule, LintRuleMeta, RuleContext, RuleListeners, Finding, ProjectFacts, FileKind, Language, Category } from "./rule.js";
export { lintRules } from "../rules/index.js";
export * as catalog from "./catalog/index.js";
export type { SuppressedDiagnostic, Suppression, EngineMessageKind } from "./diagnostic.js";
export { RuleCrashError, type LinterOptions } from "./lint.js";
export { applyFixes, lintFix, MAX_FIX_PASSES, type FixedLint, type FixOutcome } from "./fix.js";
export { collectDirectives, applyDirectives, type Directive } from "./directives.js";
export { parseConfig, loadConfigFile, ConfigResolver, ConfigError, type ConfigFile, type FileSettings } from "./config.js";
export { createBaseline, applyBaseline, parseBaseline, serializeBaseline, type Baseline } from "./baseline.js";
export { formatters, FORMAT_NAMES, type FormatName, type FormattedResult, type FormatterContext } from "./formatters/index.js";
/** The Docker model: layout family, Docker's rules, bridges, published ports, exposure decision. */
export * as docker from "./docker/index.js";
