import { isBuiltinChain } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";
import { isHookName, legacyOnlyError } from "../src/validity/base.js";

export default defineRule({
  id: "policy-on-user-chain",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A policy is set on a user-defined chain",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale: [
      "Only built-in chains have a policy; a user chain ends by returning to its caller. `iptables -P NAME DROP` on",
      "a user chain fails (`Bad built-in chain name`). In a restore file, `:NAME DROP [0:0]` for a user chain is",
      "refused by the legacy backend and silently ignored by nf_tables — either way the DROP the author expected",
      "never happens; end the chain with `-A NAME -j DROP` instead. The declaration form is a warning unless the",
      "file says it was saved by the legacy backend.",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n:LOGDROP DROP [0:0]\n-A INPUT -j LOGDROP\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:LOGDROP - [0:0]\n-A INPUT -j LOGDROP\n-A LOGDROP -j DROP\nCOMMIT\n",
  },
  create({ ast, report }) {
    const declSeverity = legacyOnlyError(ast);
    return {
      command(cmd) {
        const policy = cmd.argumentText;
        if (cmd.chain === null || policy === null) return;
        if (isBuiltinChain(cmd.table, cmd.chain)) return;
        if (cmd.op === "declare-chain" && policy !== "-") {
          if (isHookName(cmd.chain)) return; // a built-in chain of another table: undefined-chain/invalid-policy territory
          report({
            message: `user chain ${cmd.chain} cannot have a policy ("${policy}"): only built-in chains do; ${declSeverity === "error" ? "the legacy backend refuses the file" : "nf_tables ignores it and the legacy backend refuses it"}. Use "-" and end the chain with -A ${cmd.chain} -j ${policy}`,
            span: cmd.argument!.span,
            severity: declSeverity,
            suggestions: [{ desc: `Replace the policy with "-"`, fix: { range: [cmd.argument!.span.offset, cmd.argument!.span.endOffset], text: "-" } }],
          });
        } else if (cmd.op === "policy" && !isHookName(cmd.chain)) {
          report({ message: `-P works only on built-in chains; ${cmd.chain} is a user chain ("Bad built-in chain name"). End the chain with -A ${cmd.chain} -j ${policy} instead`, span: cmd.chainSpan ?? cmd.span });
        }
      },
    };
  },
});
