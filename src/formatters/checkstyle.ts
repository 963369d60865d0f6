/**
 * Checkstyle XML, as ESLint's checkstyle formatter writes it (read by Jenkins' Warnings Next Generation,
 * reviewdog -f=checkstyle, SonarQube's and many CI systems' checkstyle importers):
 *   <checkstyle version="4.3"><file name="/abs/rules.v4"><error line="5" column="10" severity="error"
 *   message="… (rule-id)" source="fwlint.rules.rule-id" /></file></checkstyle>
 */
import { displayedId } from "../diagnostic.js";
import type { FormattedResult } from "./types.js";
import { xmlEscape } from "./xml.js";

export function checkstyle(results: readonly FormattedResult[]): string {
  let out = '<?xml version="1.0" encoding="utf-8"?><checkstyle version="4.3">';
  for (const result of results) {
    out += `<file name="${xmlEscape(result.filePath)}">`;
    for (const m of result.messages) {
      const id = displayedId(m);
      const message = `${m.message}${id ? ` (${id})` : ""}`;
      out += `<error line="${m.span.line || 0}" column="${m.span.column || 0}" severity="${m.severity}" message="${xmlEscape(message)}" source="${id ? `fwlint.rules.${xmlEscape(id)}` : ""}" />`;
    }
    out += "</file>";
  }
  return `${out}</checkstyle>`;
}
