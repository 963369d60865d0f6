import type { Option, ParseDiagnostic, Ruleset } from "../src/ast/iptables.js";
import { defineRule } from "../src/rule.js";
import { legacyOnlyError } from "../src/validity/base.js";

/** Parse diagnostics that are about the shape of the text itself (other codes belong to validity rules). */
export const SYNTAX_CODES = new Set([
  "unexpected-token",
  "odd-space",
  "odd-space-declaration",
  "counters-as-user-policy",
  "incomplete-line",
  "unterminated-quote",
  "missing-value",
  "missing-chain",
  "missing-policy",
  "no-command",
  "unexpected-argument",
  "double-negation",
  "dangling-negation",
  "bad-negation",
  "multiple-targets",
  "duplicate-option",
  "ambiguous-option",
  "outside-table",
  "commit-without-table",
  "unknown-table",
  "table-option-in-restore",
  "extra-declaration-words",
  "shell-syntax",
]);

export default defineRule({
  id: "syntax-error",
  language: "iptables",
  category: "syntax",
  severity: "error",
  description: "The line cannot be read as iptables-restore input or as an iptables command",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "`iptables-restore` refuses the whole file at the first line it cannot read, so a host that restores this file at boot comes up with no firewall rules (or with the previous ones). fwlint reports every such line, with the exact column, and goes on reading the rest of the file.\n\nA no-break space or another Unicode space (pasted from a web page or a document) is not a blank for iptables-restore or the shell: it is part of the word, so `-A INPUT\u00a0-j DROP` names a chain `INPUT\u00a0-j` and the restore fails. fwlint reads words the same way and names the character, except inside a free-text value (`--comment`, `--log-prefix`, `--nflog-prefix`, `--string`), which the kernel takes as written. In a chain's declaration the kernel makes a chain of the odd name: a warning. Counters where a user chain's policy goes (`:FOO [0:0]`) are ignored by nf_tables and refused by the legacy backend: a warning, an error in a dump saved by the legacy backend.",
    bad: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "ssh -j ACCEPT\nCOMMIT\n',
    good: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "ssh" -j ACCEPT\nCOMMIT\n',
  },
  check({ ast, report }) {
    for (const d of ast.diagnostics) {
      if (!SYNTAX_CODES.has(d.code)) continue;
      // iptables-restore accepts an unclosed quote: the value runs to the end of the line (often swallowing -j …),
      // newline included, which some options refuse
      const unclosed = d.code === "unterminated-quote" && ast.format !== "script";
      const refusing = unclosed ? newlineRefusedBy(ast, d) : undefined;
      const lenient = d.code === "extra-declaration-words" || d.code === "odd-space-declaration" || (d.code === "counters-as-user-policy" && legacyOnlyError(ast) === "warning") || (unclosed && !refusing);
      let message = d.message;
      if (refusing) message = `${d.message}: iptables-restore takes the rest of the line, newline included, as the value, and ${refusing.written} refuses a newline: the restore fails`;
      else if (unclosed) message = `${d.message}: iptables-restore takes the rest of the line as the value`;
      report({ message, span: d.span, severity: lenient ? "warning" : "error" });
    }
  },
});

/** The option whose unclosed quote `d` reports, when that option refuses a value with a newline. */
function newlineRefusedBy(ast: Ruleset, d: ParseDiagnostic): Option | undefined {
  // every command's rule, including one the file takes out again: iptables reads the value when it is added
  for (const cmd of ast.commands) {
    const rule = cmd.rule;
    if (!rule || rule.span.line !== d.span.line) continue;
    for (const holder of rule.target ? [...rule.matches, rule.target] : rule.matches) {
      for (const o of holder.options) if (o.spec?.refusesNewline && o.span.offset <= d.span.offset && d.span.offset < o.span.endOffset) return o;
    }
  }
  return undefined;
}
