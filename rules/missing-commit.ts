import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "missing-commit",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A *table block of a restore file is not closed by COMMIT",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "`iptables-restore` applies a table only at its `COMMIT` line. A block that runs into the next `*table` header or the end of the file makes it fail (`COMMIT expected at line N`), and nothing of the file is applied — a common result of concatenating snippets or truncating a file.",
    bad: "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n",
    good: "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n",
  },
  check({ ast, report }) {
    if (ast.format !== "save") return;
    for (const table of ast.tables) {
      for (const header of table.unterminated) {
        report({ message: `*${table.name} block is not closed by COMMIT before the next *table header or the end of the file; iptables-restore refuses the file ("COMMIT expected")`, span: header });
      }
    }
  },
});

