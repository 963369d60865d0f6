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

export interface Diagnostic {
  /** Rule id, kebab-case (e.g. "option-requires-match"); null only for engine messages (unused directives). */
  readonly ruleId: string | null;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related?: readonly RelatedLocation[];
  readonly suggestions?: readonly Suggestion[];
}
