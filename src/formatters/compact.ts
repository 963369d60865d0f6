/**
 * ESLint's compact layout, one line per problem (the `eslint-compact` problem matcher of actions/setup-node
 * reads it):  /abs/path/rules.v4: line 5, col 10, Error - Message (rule-id)
 */
import { displayedId } from "../diagnostic.js";
import type { FormattedResult } from "./types.js";

export function compact(results: readonly FormattedResult[]): string {
  let output = "";
  let total = 0;
  for (const result of results) {
    total += result.messages.length;
    for (const m of result.messages) {
      output += `${result.filePath}: line ${m.span.line || 0}, col ${m.span.column || 0}, ${m.severity === "error" ? "Error" : "Warning"} - ${m.message}${displayedId(m) ? ` (${displayedId(m)})` : ""}\n`;
    }
  }
  if (total > 0) output += `\n${total} problem${total !== 1 ? "s" : ""}`;
  return output;
}
