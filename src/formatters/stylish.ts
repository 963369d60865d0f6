/**
 * ESLint's stylish layout, exactly, so CI problem matchers written for ESLint (actions/setup-node's
 * eslint-stylish) read fwlint's output unchanged.
 */
import { Chalk } from "chalk";
import type { FormatterContext, FormattedResult } from "./types.js";

const visibleLength = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;

export function stylish(results: readonly FormattedResult[], ctx: FormatterContext): string {
  const c = new Chalk({ level: ctx.color ? 1 : 0 });
  let out = "\n";
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    if (result.messages.length === 0) continue;
    out += `${c.underline(result.displayPath)}\n`;
    const rows = result.messages.map((m) => {
      if (m.severity === "error") errors++;
      else warnings++;
      return ["", String(m.span.line || 0), String(m.span.column || 0), m.severity === "error" ? c.red("error") : c.yellow("warning"), m.message.replace(/([^ ])\.$/u, "$1"), c.dim(m.ruleId ?? "")];
    });
    const widths = [0, 0, 0, 0, 0, 0];
    for (const row of rows) row.forEach((cell, k) => (widths[k] = Math.max(widths[k]!, visibleLength(cell))));
    for (const row of rows) {
      const cells = row.map((cell, k) => {
        const pad = " ".repeat(widths[k]! - visibleLength(cell));
        return k === 1 ? pad + cell : cell + pad;
      });
      const line = cells.join("  ").trimEnd();
      out += `${line.replace(/(\d+)\s+(\d+)/u, (_m, l: string, col: string) => c.dim(`${l}:${col}`))}\n`;
    }
    out += "\n";
  }
  const total = errors + warnings;
  if (total === 0) return "";
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const summary = `\u2716 ${plural(total, "problem")} (${plural(errors, "error")}, ${plural(warnings, "warning")})`;
  out += `${errors > 0 ? c.red.bold(summary) : c.yellow.bold(summary)}\n`;
  return out;
}
