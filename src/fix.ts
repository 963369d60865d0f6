/**
 * `--fix`: the fixes of a file's findings applied to its text. Pure: text and findings in, text out.
 * As ESLint does, fixes are applied in the order of their ranges, and a fix that overlaps or touches one
 * already taken waits for the next pass (the caller lints the new text again and applies what is left).
 */
import type { Diagnostic, Fix } from "./diagnostic.js";
import { lint, type LintInput, type LintOptions, type LintResult } from "./lint.js";

export interface FixOutcome {
  /** The text with the fixes applied (the same string when none applied). */
  readonly output: string;
  /** How many fixes were applied. */
  readonly applied: number;
  /** How many were left for the next pass because they overlap one applied. */
  readonly deferred: number;
}

/** The passes `--fix` makes at most, as ESLint (a fix that undoes another cannot loop for ever). */
export const MAX_FIX_PASSES = 10;

export function applyFixes(text: string, messages: readonly Diagnostic[]): FixOutcome {
  const fixes: Fix[] = [];
  for (const m of messages) if (m.fix) fixes.push(m.fix);
  if (fixes.length === 0) return { output: text, applied: 0, deferred: 0 };
  fixes.sort((a, b) => a.range[0] - b.range[0] || a.range[1] - b.range[1]);
  let out = "";
  let last = -1;
  let at = 0;
  let applied = 0;
  let deferred = 0;
  for (const f of fixes) {
    const [start, end] = f.range;
    if (start < 0 || end > text.length || start > end) throw new Error(`fix range [${start}, ${end}) lies outside the text (length ${text.length})`);
    if (start <= last) {
      deferred++;
      continue;
    }
    out += text.slice(at, start) + f.text;
    at = end;
    last = end;
    applied++;
  }
  out += text.slice(at);
  return { output: out, applied, deferred };
}

export interface FixedLint {
  /** The text after every pass (the input's text when nothing was fixed). */
  readonly output: string;
  /** The lint of `output`: what is left. */
  readonly result: LintResult;
  /** Fixes applied over all passes. */
  readonly applied: number;
}

/**
 * Lint one file and apply its fixes, pass after pass, as `fwlint --fix-dry-run` does: the library's way to
 * fix a text. Nothing is written.
 */
export function lintFix(input: LintInput, options: LintOptions = {}): FixedLint {
  let text = input.text;
  let result = lint(input, options);
  let applied = 0;
  for (let pass = 1; pass <= MAX_FIX_PASSES; pass++) {
    const fix = applyFixes(text, result.messages);
    if (fix.output === text) break;
    applied += fix.applied;
    text = fix.output;
    result = lint({ ...input, text }, options);
  }
  return { output: text, result, applied };
}
