/**
 * JUnit XML, in the layout of ESLint's junit formatter (GitLab's and Jenkins' test reports, Azure Pipelines'
 * PublishTestResults): one testsuite per file; one failing testcase per problem, named after its rule, with
 * the problem in compact form; a file without problems is one passing testcase, so clean files show as passed.
 */
import { displayedId } from "../diagnostic.js";
import type { FormattedResult } from "./types.js";
import { cdata, xmlEscape } from "./xml.js";

/** The path without its extension, as ESLint gives the classname. */
const className = (path: string) => path.replace(/\.[^./]*$/, "");

export function junit(results: readonly FormattedResult[]): string {
  let out = '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n';
  for (const result of results) {
    const name = xmlEscape(result.filePath);
    const classname = xmlEscape(className(result.filePath));
    const count = result.messages.length;
    out += `<testsuite package="fwlint" time="0" tests="${count || 1}" errors="${count}" name="${name}">\n`;
    if (count === 0) out += `<testcase time="0" name="${name}" classname="${classname}" />\n`;
    for (const m of result.messages) {
      const id = displayedId(m);
      const line = `line ${m.span.line || 0}, col ${m.span.column || 0}, ${m.severity === "error" ? "Error" : "Warning"} - ${m.message}${id ? ` (${id})` : ""}`;
      out += `<testcase time="0" name="fwlint.${xmlEscape(id || "fwlint")}" classname="${classname}"><failure message="${xmlEscape(m.message)}">${cdata(line)}</failure></testcase>\n`;
    }
    out += "</testsuite>\n";
  }
  return `${out}</testsuites>\n`;
}
