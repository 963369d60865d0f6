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
  create({ ast, report }) {
    const legacy = backendOf(ast) === "legacy";
    // replay chain creation in source order: which chains exist (and whether built in), table by table; spans
    // and messages are made only for a finding (a Kubernetes dump declares tens of thousands of chains)
    const seen = new Map<string, Map<string, boolean>>();
    return {
      command(cmd) {
        if ((cmd.op !== "declare-chain" && cmd.op !== "new-chain") || cmd.chain === null) {
          if (cmd.op === "delete-chain") {
            if (cmd.chain === null) seen.delete(cmd.table);
            else seen.get(cmd.table)?.delete(cmd.chain);
          }
          if (cmd.op === "rename-chain" && cmd.chain && cmd.argument) {
            const chains = seen.get(cmd.table);
            const v = chains?.get(cmd.chain);
            if (chains && v !== undefined) {
              chains.delete(cmd.chain);
              chains.set(cmd.argument.text, v);
            }
          }
          return;
        }
        let chains = seen.get(cmd.table);
        if (!chains) seen.set(cmd.table, (chains = new Map()));
        const prev = chains.get(cmd.chain);
        if (cmd.op === "new-chain" && isBuiltinChain(cmd.table, cmd.chain)) {
          report({ message: `${cmd.chain} is a built-in chain of ${cmd.table}; -N refuses it ("Chain already exists")`, span: cmd.chainSpan ?? cmd.span, severity: "error" });
          return;
        }
        const builtin = isBuiltinChain(cmd.table, cmd.chain);
        if (prev !== undefined) {
          if (cmd.op === "new-chain") {
            report({ message: `chain ${cmd.chain} already exists in table ${cmd.table}; -N refuses it ("Chain already exists")`, span: cmd.chainSpan ?? cmd.span, severity: "error" });
          } else if (!(prev && builtin)) {
            report({
              message: `chain ${cmd.chain} is declared again in table ${cmd.table}${legacy ? "; the legacy backend refuses the file (\"File exists\")" : "; the nf_tables backend ignores the repeat, the legacy backend refuses the file"}`,
              span: cmd.chainSpan ?? cmd.span,
              severity: legacy ? "error" : "warning",
            });
          }
          return;
        }
        chains.set(cmd.chain, builtin);
      },
    };
  },
});
