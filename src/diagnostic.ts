import type { Span } from "./ast/span.js";

export type { Span } from "./ast/span.js";

/** Severity of a reported problem. "off" exists only in configuration. */
export type Severity = "error" | "warning";
export type SeveritySetting = Severity | "off";

/** A text edit: replace source offsets [start, end) with `text`. */
export interface Fix {
  readonly range: readonly [number, number];
  readonly text: string;
}

export interface Suggestion {
  /** What applying the fix does, e.g. 'Insert "-m iprange" before --src-range'. */
  readonly desc: string;
  readonly fix: Fix;
}

export interface RelatedLocation {
  readonly span: Span;
  readonly message: string;
}

/**
 * Problems the engine itself reports (their `ruleId` is null, as in ESLint): directive bookkeeping and files
 * skipped by ignore patterns. Formats that need an id (SARIF, baselines) use `fwlint/<kind>`.
 */
export type EngineMessageKind = "unused-disable-directive" | "unused-enable-directive" | "unknown-rule-in-directive" | "ignored-file";

export interface Diagnostic {
  /** Rule id, kebab-case (e.g. "option-requires-match"); null only for engine messages (see `engine`). */
  readonly ruleId: string | null;
  /** Set on engine messages (ruleId null): what the engine reports. */
  readonly engine?: EngineMessageKind;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related?: readonly RelatedLocation[];
  /** The edit `--fix` applies (only from rules with `fixable`): it keeps what the line means. */
  readonly fix?: Fix;
  readonly suggestions?: readonly Suggestion[];
}

/** Why a finding is not reported: an inline directive (`# fwlint-disable…`) or the baseline file. */
export interface Suppression {
  readonly kind: "directive" | "baseline";
  /** The text after ` -- ` in the directive; "" when none was given. */
  readonly justification: string;
}

export interface SuppressedDiagnostic extends Diagnostic {
  readonly suppressions: readonly Suppression[];
}

/** The id formats and baselines use for a message: the rule id, or `fwlint/<kind>` for engine messages. */
export function reportedId(d: Diagnostic): string {
  return d.ruleId ?? `fwlint/${d.engine ?? "engine"}`;
}

/** The id shown to people: the rule id, `fwlint/<kind>` for engine messages, "" when neither. */
export function displayedId(d: Diagnostic): string {
  return d.ruleId ?? (d.engine ? `fwlint/${d.engine}` : "");
}
