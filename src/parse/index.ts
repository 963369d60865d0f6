import type { Family, Ruleset, SourceFormat, TableName } from "../ast/iptables.js";
import { detectFamily, detectFormat } from "./detect.js";
import { parseSave } from "./save.js";
import { parseScript } from "./script.js";

export interface ParseOptions {
  /** Used for family detection (rules.v6 → IPv6) and nothing else. */
  readonly filePath?: string;
  /** Force the input format instead of detecting it. */
  readonly format?: SourceFormat;
  /** Force the address family instead of detecting it. */
  readonly family?: Family;
  /** Table of `iptables -S` output that has no -P lines to infer it from. */
  readonly table?: TableName;
}

/**
 * Parse iptables rules in any supported format into a Ruleset. Never throws on user input: problems are in
 * `ruleset.diagnostics` with exact spans.
 */
export function parse(text: string, options: ParseOptions = {}): Ruleset {
  const format = options.format ?? detectFormat(text);
  const guess = options.family ? { family: options.family, reason: "forced" } : detectFamily(text, options.filePath, format);
  if (format === "script") return parseScript(text, { family: guess.family, familyReason: guess.reason });
  return parseSave(text, { format, family: guess.family, familyReason: guess.reason, ...(options.table ? { table: options.table } : {}) });
}

export { detectFamily, detectFormat } from "./detect.js";
