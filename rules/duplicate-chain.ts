import { isBuiltinChain } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";
import { backendOf } from "../src/validity/base.js";

export default defineRule({
  id: "duplicate-chain",
  language: "iptables",
  category: "validity",
  severity: "warning",
  description: "A chain is declared twice in the same table",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale: [
      "A second `:NAME` line for a chain of the same table is accepted and ignored by the nf_tables backend",
      "(iptables 1.8 `nf_tables`, the default on current distributions) but refused by the legacy backend",
      "(`error creating chain 'NAME': File exists`), so the file is not portable and usually hides a copy-paste",
      "mistake (two blocks for one chain). It is an error when the file's header says it was saved by the legacy",
      "backend, and for `-N NAME` of an existing chain (every backend refuses it: `Chain already exists`).",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n:LOGDROP - [0:0]\n:LOGDROP - [0:0]\n-A INPUT -j LOGDROP\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:LOGDROP - [0:0]\n-A INPUT -j LOGDROP\nCOMMIT\n",
  },
  check({ ast, report }) {
    const legacy = backendOf(ast) === "legacy";
    // replay chain creation in source order: which command created each chain, which ones came again
    const seen = new Map<string, { op: string; builtin: boolean }>();
    for (const cmd of ast.commands) {
      if ((cmd.op !== "declare-chain" && cmd.op !== "new-chain") || cmd.chain === null) {
        if (cmd.op === "delete-chain") {
          for (const k of [...seen.keys()]) if (k.startsWith(`${cmd.table}\0`) && (cmd.chain === null || k === `${cmd.table}\0${cmd.chain}`)) seen.delete(k);
        }
        if (cmd.op === "rename-chain" && cmd.chain && cmd.argument) {
          const v = seen.get(`${cmd.table}\0${cmd.chain}`);
          if (v) {
            seen.delete(`${cmd.table}\0${cmd.chain}`);
            seen.set(`${cmd.table}\0${cmd.argument.text}`, v);
          }
        }
        continue;
      }
      const key = `${cmd.table}\0${cmd.chain}`;
      const prev = seen.get(key);
      if (cmd.op === "new-chain" && isBuiltinChain(cmd.table, cmd.chain)) {
        report({ message: `${cmd.chain} is a built-in chain of ${cmd.table}; -N refuses it ("Chain already exists")`, span: cmd.chainSpan ?? cmd.span, severity: "error" });
        continue;
      }
      const span = cmd.chainSpan ?? cmd.span;
      const builtin = isBuiltinChain(cmd.table, cmd.chain);
      if (prev) {
        if (cmd.op === "new-chain") {
          report({ message: `chain ${cmd.chain} already exists in table ${cmd.table}; -N refuses it ("Chain already exists")`, span, severity: "error" });
        } else if (!(prev.builtin && builtin)) {
          report({
            message: `chain ${cmd.chain} is declared again in table ${cmd.table}${legacy ? "; the legacy backend refuses the file (\"File exists\")" : "; the nf_tables backend ignores the repeat, the legacy backend refuses the file"}`,
            span,
            severity: legacy ? "error" : "warning",
          });
        }
        continue;
      }
      seen.set(key, { op: cmd.op, builtin });
    }
  },
});
