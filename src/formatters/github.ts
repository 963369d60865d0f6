/**
 * GitHub Actions workflow commands, one per problem (printed to stdout, GitHub turns them into annotations):
 *   ::error file=hosts/a/rules.v4,line=5,col=10,endLine=5,endColumn=22,title=rule-id::Message
 * Escaping as @actions/core: in the message % CR LF; in properties also : and ,. Columns are given only for
 * single-line spans (GitHub ignores them otherwise). GitHub shows at most 10 errors and 10 warnings per step,
 * so a final ::notice says how many there are in all when that limit is passed.
 */
import { displayedId } from "../diagnostic.js";
import { hasPosition, type FormattedResult } from "./types.js";

const PER_STEP_LIMIT = 10;

export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function github(results: readonly FormattedResult[]): string {
  const lines: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    for (const m of result.messages) {
      if (m.severity === "error") errors++;
      else warnings++;
      const props: [string, string | number][] = [["file", result.relativePath]];
      if (hasPosition(m)) {
        const s = m.span;
        props.push(["line", s.line]);
        if (s.endLine === s.line) props.push(["col", s.column]);
        props.push(["endLine", Math.max(s.endLine, s.line)]);
        if (s.endLine === s.line) props.push(["endColumn", Math.max(s.endColumn, s.column)]);
      }
      props.push(["title", displayedId(m) || "fwlint"]);
      lines.push(`::${m.severity}${props.length ? " " : ""}${props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(",")}::${escapeData(m.message)}`);
    }
  }
  if (errors > PER_STEP_LIMIT || warnings > PER_STEP_LIMIT) {
    lines.push(`::notice title=fwlint::${escapeData(`fwlint found ${errors} error(s) and ${warnings} warning(s); GitHub shows at most ${PER_STEP_LIMIT} of each per step. Use --format sarif with code scanning, or stylish, for the full list.`)}`);
  }
  return lines.join("\n");
}
