import type { Ruleset } from "../src/ast/iptables.js";
import { defineRule, type RuleContext } from "../src/rule.js";
import { LineIndex, type Span } from "../src/ast/span.js";
import { legacyOnlyError } from "../src/validity/base.js";

export default defineRule({
  id: "line-whitespace",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "Whitespace where iptables-restore does not allow it: before #, :, * or COMMIT, after COMMIT, a line of only blanks, CRLF line endings, a carriage return, form feed or vertical tab between words, no newline after the last COMMIT",
  tags: ["validity"],
  precision: "very-high",
  fixable: "whitespace",
  docs: {
    rationale: [
      "`iptables-restore` recognises comments, chain declarations, table headers and COMMIT only at the very start",
      "of a line and compares COMMIT exactly: an indented `# note` or `:CHAIN - [0:0]` (typical after pasting into an",
      "editor or a YAML block), `COMMIT ` with a trailing blank, or a line holding only spaces is read as a rule",
      "command and the whole file is refused (`Bad argument`, `no command specified`). Indented `-A` lines are fine.",
      "Windows (CRLF) line endings are refused too: the carriage return becomes part of the last word (`table name 'raw\\r' invalid`).",
      "Only spaces and tabs separate words: a carriage return, form feed or vertical tab inside a line (a stray `^M`, a form feed pasted from a document) becomes part of a word, so `-A INPUT\\r -j ACCEPT` names the chain `INPUT\\r` and the file is refused.",
      "A file that ends with `COMMIT` and no newline is refused by the legacy backend (`Bad argument 'COMMIT'`) and accepted",
      "by nf_tables: a warning, or an error when the file's header says it was saved by the legacy backend.",
      "`fwlint --fix` removes the blanks, converts the line ends and adds the final newline; it leaves words after COMMIT to you.",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n  # allow ssh\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n# allow ssh\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
  },
  check({ ast, text, report }) {
    if (ast.format !== "save") return;
    const index = new LineIndex(text);
    blanksInWords(text, index, report);
    let crReported = false;
    for (let n = 1; n <= index.lineCount; n++) {
      const start = index.lineStart(n);
      let end = text.indexOf("\n", start);
      if (end === -1) end = text.length;
      if (end > start && text.charCodeAt(end - 1) === 13) {
        end--;
        // iptables-restore keeps the carriage return as part of the last word: "*filter\r" is an unknown table
        if (!crReported && text.slice(start, end).trim() !== "" && text.charCodeAt(start) !== 35) {
          crReported = true;
          // reported once; --fix converts every line end of the file at once
          const lf = { range: [0, text.length] as const, text: text.replace(/\r(?=\n|$)/g, "") };
          report({ message: "the file has Windows (CRLF) line endings: iptables-restore reads the carriage return as part of the last word of each line and refuses the file; convert it to LF line endings", span: index.span(end, end + 1), fix: lf, suggestions: [{ desc: "Convert every line end to LF", fix: lf }] });
        }
      }
      if (end === start) continue;
      // every check below is about a line that starts with a blank or with COMMIT: the others are skipped
      // before their text is cut out (a string per line of the dump, and regular expressions, were garbage)
      const c0 = text.charCodeAt(start);
      if (c0 !== 32 && c0 !== 9 && c0 !== 12 && c0 !== 11 && !text.startsWith("COMMIT", start)) continue;
      const line = text.slice(start, end);
      const lead = /^[ \t\f\v]+/.exec(line)?.[0].length ?? 0;
      const at = (col: number, len: number): Span => index.span(start + col, start + col + len);
      if (lead === line.length) {
        const fix = { range: [start, start + line.length] as const, text: "" };
        report({ message: "line holds only blanks; iptables-restore reads it as an empty command and refuses the file (\"no command specified\")", span: at(0, line.length), fix, suggestions: [{ desc: "Remove the blanks", fix }] });
        continue;
      }
      const rest = line.slice(lead);
      const word = /^\S*/.exec(rest)![0];
      if (lead > 0 && (rest.startsWith("#") || rest.startsWith(":") || rest.startsWith("*") || word === "COMMIT")) {
        const what = rest.startsWith("#") ? "a comment" : rest.startsWith(":") ? "a chain declaration" : rest.startsWith("*") ? "a table header" : "COMMIT";
        const fix = { range: [start, start + lead] as const, text: "" };
        report({ message: `${what} must start in the first column; iptables-restore reads the indented line as a rule and refuses the file`, span: at(0, lead), fix, suggestions: [{ desc: "Remove the indentation", fix }] });
        continue;
      }
      if (rest === "COMMIT" && lead === 0 && end === text.length && !text.endsWith("\n")) {
        const severity = legacyOnlyError(ast);
        const fix = { range: [text.length, text.length] as const, text: "\n" };
        report({
          message: `the file ends right after COMMIT, without a newline: ${severity === "error" ? "the legacy backend" : "the legacy backend (iptables-legacy-restore)"} does not recognise that COMMIT and refuses the file${severity === "error" ? "" : "; nf_tables accepts it"}`,
          span: at(0, 6),
          severity,
          fix,
          suggestions: [{ desc: "Add a newline at the end of the file", fix }],
        });
      }
      if (word === "COMMIT" && rest !== "COMMIT") {
        const after = rest.slice(6);
        const blanks = /^\s+$/.test(after);
        const fix = { range: [start + lead + 6, start + line.length] as const, text: "" };
        // --fix removes trailing blanks only: words after COMMIT may be a rule that lost its line break
        report({ message: blanks ? "COMMIT must be alone on its line: iptables-restore refuses the trailing blanks" : `COMMIT must be alone on its line: iptables-restore refuses "${after.trim()}" after it`, span: at(lead + 6, after.length), ...(blanks ? { fix } : {}), suggestions: [{ desc: "Remove what follows COMMIT", fix }] });
      }
    }
  },
});

const CONTROL_NAME: Readonly<Record<number, string>> = { 13: "carriage return (\\r)", 12: "form feed (\\f)", 11: "vertical tab (\\v)" };

/**
 * A carriage return (other than a CRLF line end), form feed or vertical tab in a line, outside a quoted
 * segment and a comment line: iptables-restore separates words by spaces and tabs only (checked with
 * iptables-restore 1.8.9, both backends), so the character joins the words around it. The occurrences are
 * found with indexOf over the whole text: a dump of 100,000 rules has none, and is not cut into lines for it.
 */
function blanksInWords(text: string, index: LineIndex, report: RuleContext<Ruleset>["report"]) {
  const seenLines = new Set<number>();
  for (const code of [13, 12, 11]) {
    const ch = String.fromCharCode(code);
    for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) {
      // a CRLF line end (or a CR ending the file) is the line-end check's
      if (code === 13 && endsLine(text, i)) continue;
      const pos = index.position(i);
      if (seenLines.has(pos.line)) continue;
      const start = index.lineStart(pos.line);
      if (text.charCodeAt(start) === 35) continue;
      if (insideQuotes(text, start, i)) continue;
      seenLines.add(pos.line);
      const fix = { range: [i, i + 1] as const, text: " " };
      report({
        message: `a ${CONTROL_NAME[code]} inside the line: iptables-restore separates words by spaces and tabs only, so it becomes part of a word and the file is refused; replace it with a space`,
        span: index.span(i, i + 1),
        fix,
        suggestions: [{ desc: "Replace it with a space", fix }],
      });
    }
  }
}

/** Only carriage returns follow `i` up to the end of its line. */
function endsLine(text: string, i: number): boolean {
  while (i < text.length && text.charCodeAt(i) === 13) i++;
  return i === text.length || text.charCodeAt(i) === 10;
}

/** `at` is inside a double-quoted segment of the line that starts at `start` (backslash escapes inside quotes). */
function insideQuotes(text: string, start: number, at: number): boolean {
  let open = false;
  for (let i = start; i < at; i++) {
    const c = text.charCodeAt(i);
    if (open && c === 92) i++;
    else if (c === 34) open = !open;
  }
  return open;
}
