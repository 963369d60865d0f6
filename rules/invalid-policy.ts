import { isBuiltinChain } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";
import { isHookName, legacyOnlyError } from "../src/validity/base.js";

const POLICIES = ["ACCEPT", "DROP"];

export default defineRule({
  id: "invalid-policy",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A chain policy other than ACCEPT or DROP, a DROP policy in the nat table, or a policy for a chain the table does not have",
  tags: ["validity"],
  precision: "very-high",
  fixable: "code",
  docs: {
    rationale: [
      "A built-in chain's policy is ACCEPT or DROP, in upper case (`-` in a restore file keeps the current one).",
      "`:INPUT REJECT [0:0]` or `-P INPUT reject` make iptables refuse the file (`Bad policy name`); `fwlint --fix` writes `accept` and `drop` in upper case. The nat table is",
      "not for filtering: `-P PREROUTING DROP` there is refused (a `:PREROUTING DROP` declaration is taken, with a warning). A declaration of a built-in chain the table does not",
      "have (`:PREROUTING ACCEPT` in *filter) is refused by the legacy backend and ignored by nf_tables.",
    ].join(" "),
    bad: "*filter\n:INPUT REJECT [0:0]\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\nCOMMIT\n",
  },
  create({ ast, report }) {
    const soft = legacyOnlyError(ast);
    return {
      command(cmd) {
        if (cmd.op !== "declare-chain" && cmd.op !== "policy") return;
        const policy = cmd.argumentText;
        if (cmd.chain === null || policy === null) return;
        const builtin = isBuiltinChain(cmd.table, cmd.chain);
        // `iptables -S` prints the current policies as -P lines: they describe state, like declarations
        const isDecl = cmd.op === "declare-chain" || ast.format === "list-rules";
        if (isDecl && policy === "-") return;
        if (!builtin && !isHookName(cmd.chain)) return; // user chains: policy-on-user-chain
        if (!POLICIES.includes(policy)) {
          const upper = policy.toUpperCase();
          const fix = POLICIES.includes(upper) ? { range: [cmd.argument!.span.offset, cmd.argument!.span.endOffset] as const, text: upper } : undefined;
          report({
            message: `"${policy}" is not a policy: a built-in chain's policy is ACCEPT or DROP${POLICIES.includes(upper) ? " (in upper case)" : upper === "REJECT" ? " (end the chain with -j REJECT instead)" : ""}`,
            span: cmd.argument!.span,
            ...(fix ? { fix, suggestions: [{ desc: `Replace with ${upper}`, fix }] } : {}),
          });
          return;
        }
        if (!builtin && isDecl) {
          report({ message: `table ${cmd.table} has no built-in chain ${cmd.chain}; ${soft === "error" ? "the legacy backend refuses the policy" : "nf_tables ignores the policy and the legacy backend refuses it"}`, span: cmd.chainSpan ?? cmd.span, severity: soft });
          return;
        }
        if (builtin && cmd.table === "nat" && policy === "DROP") {
          if (isDecl) report({ message: `DROP policy in the nat table: iptables-restore takes it, but the nat table is not for filtering (iptables -P refuses it there); filter in *filter instead`, span: cmd.argument!.span, severity: "warning" });
          else report({ message: `the nat table is not for filtering: iptables refuses a DROP policy there`, span: cmd.argument!.span });
        }
      },
    };
  },
});
