/**
 * ESLint's stylish layout, exactly (eslint/lib/cli-engine/formatters/stylish.js), so problem matchers written
 * for ESLint — actions/setup-node's eslint-stylish among them — read fwlint's output unchanged:
 *
 *   <empty line>
 *   /abs/path/rules.v4                                      underlined
 *     5:10  error    Message without its final period  rule-id
 *   <empty line>
 *   ✖ 2 problems (1 error, 1 warning)                       bold, red when any error, else yellow
 *     1 error and 0 warnings potentially fixable with the `--fix` option.   (when some are)
 *
 * Nothing at all is printed when there are no problems. Engine messages (unused directives), which ESLint
 * prints without an id, show `fwlint/<kind>` in the id column so the problem matcher picks them up too.
 */
import { Chalk } from "chalk";
import { stripVTControlCharacters } from "node:util";
import { displayedId } from "../diagnostic.js";
import { fixableCounts, type FormatterContext, type FormattedResult } from "./types.js";

const plural = (word: string, n: number) => `${word}${n === 1 ? "" : "s"}`;

/** text-table as ESLint uses it: two-space gutter, column 1 right-aligned, trailing blanks trimmed. */
function table(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, k) => (widths[k] = Math.max(widths[k] ?? 0, stripVTControlCharacters(cell).length)));
  return rows.map((row) =>
    row
      .map((cell, k) => {
        const pad = " ".repeat(widths[k]! - stripVTControlCharacters(cell).length);
        return k === 1 ? pad + cell : cell + pad;
      })
      .join("  ")
      .replace(/\s+$/, ""),
  );
}

export function stylish(results: readonly FormattedResult[], ctx: Pick<FormatterContext, "color">): string {
  const c = new Chalk({ level: ctx.color ? 1 : 0 });
  let output = "\n";
  let errorCount = 0;
  let warningCount = 0;
  let fixableErrors = 0;
  let fixableWarnings = 0;
  let summaryColor: "yellow" | "red" = "yellow";
  for (const result of results) {
    if (result.messages.length === 0) continue;
    errorCount += result.errorCount;
    warningCount += result.warningCount;
    const fixable = fixableCounts(result.messages);
    fixableErrors += fixable.fixableErrorCount;
    fixableWarnings += fixable.fixableWarningCount;
    output += `${c.underline(result.filePath)}\n`;
    const rows = result.messages.map((m) => {
      let type: string;
      if (m.severity === "error") {
        type = c.red("error");
        summaryColor = "red";
      } else type = c.yellow("warning");
      return ["", String(m.span.line || 0), String(m.span.column || 0), type, m.message.replace(/([^ ])\.$/u, "$1"), c.dim(displayedId(m))];
    });
    output += `${table(rows)
      .map((line) => line.replace(/(\d+)\s+(\d+)/u, (_m, l: string, col: string) => c.dim(`${l}:${col}`)))
      .join("\n")}\n\n`;
  }
  const total = errorCount + warningCount;
  if (total === 0) return "";
  output += c[summaryColor].bold(`\u2716 ${total}${plural(" problem", total)} (${errorCount}${plural(" error", errorCount)}, ${warningCount}${plural(" warning", warningCount)})\n`);
  if (fixableErrors > 0 || fixableWarnings > 0) {
    output += c[summaryColor].bold(`  ${fixableErrors}${plural(" error", fixableErrors)} and ${fixableWarnings}${plural(" warning", fixableWarnings)} potentially fixable with the \`--fix\` option.\n`);
  }
  return c.reset(output);
}
