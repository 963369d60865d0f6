import { defineRule } from "../src/rule.js";
import { backendOf } from "../src/validity/base.js";

const CODES = new Set(["index-out-of-range", "delete-not-found", "chain-not-found", "chain-exists", "rename-declared", "chain-busy"]);

export default defineRule({
  id: "no-such-rule",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A restore file acts on a rule or chain that does not exist at that point (delete, replace, insert, flush, rename), or deletes a chain still in use",
  tags: ["validity"],
  precision: "high",
  docs: {
    rationale:
      "In a restore file, `-D CHAIN rule`, `-D CHAIN N`, `-R CHAIN N` and `-I CHAIN N` act on the chain as the file has built it so far. A rule that is not there, or a position past the end, makes `iptables-restore` refuse the whole file (`Bad rule (does a matching rule exist in that chain?)`, `Index of insertion too big`). The same holds for chains: `-F`, `-X`, `-Z` and `-E` of a chain that does not exist at that point (`No chain/target/match by that name`), and `-E` onto a name the table already has (`File exists`). `-X` refuses a chain that still has rules or that a rule still jumps to (`CHAIN_DEL failed (Device or resource busy)`). The nf_tables backend also refuses `-E` of a chain the same file declares, since a chain cannot be renamed in the transaction that creates it (`CHAIN_RENAME failed`); that one is not reported for a file saved by the legacy backend, which takes it.",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 3 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 1 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: "Files meant for `iptables-restore --noflush` act on the running ruleset; disable the rule for them.",
  },
  check({ ast, report }) {
    const legacy = backendOf(ast) === "legacy";
    for (const d of ast.diagnostics) if (CODES.has(d.code) && !(legacy && d.code === "rename-declared")) report({ message: d.message, span: d.span });
  },
});
