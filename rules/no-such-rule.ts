import { defineRule } from "../src/rule.js";

const CODES = new Set(["index-out-of-range", "delete-not-found"]);

export default defineRule({
  id: "no-such-rule",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A restore file deletes, replaces or inserts at a rule position that does not exist at that point",
  tags: ["validity"],
  precision: "high",
  docs: {
    rationale:
      "In a restore file, `-D CHAIN rule`, `-D CHAIN N`, `-R CHAIN N` and `-I CHAIN N` act on the chain as the file has built it so far. A rule that is not there, or a position past the end, makes `iptables-restore` refuse the whole file (`Bad rule (does a matching rule exist in that chain?)`, `Index of insertion too big`).",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 3 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 1 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: "Files meant for `iptables-restore --noflush` act on the running ruleset; disable the rule for them.",
  },
  check({ ast, report }) {
    for (const d of ast.diagnostics) if (CODES.has(d.code)) report({ message: d.message, span: d.span });
  },
});
