import { findTarget, isBuiltinTarget } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";
import { backendOf, isDynamicName } from "../src/validity/base.js";
import { newChainName } from "../src/validity/rules-util.js";

export default defineRule({
  id: "invalid-chain-name",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A user chain named like a verdict (ACCEPT, DROP, RETURN, QUEUE), starting with ! or -, or named like a target extension, which -j then no longer reaches",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale: [
      "iptables refuses a user chain named ACCEPT, DROP, RETURN or QUEUE (nf_tables: `chain name may not clash with target name`; legacy: `error creating chain 'ACCEPT': File exists`), and a chain name that starts with `!` or `-` (`chain name not allowed to start with '!'`), which it would read as a negation or an option. The legacy backend's iptables-restore takes such a name in a `:NAME` declaration; nf_tables and `-N` refuse it everywhere (a warning in a dump saved by the legacy backend).",
      "A chain named like a target extension (LOG, REJECT, DNAT, MARK, …) is refused by `-N` (`chain name may not clash with target name`) and by nf_tables' `-E`, but a `:LOG` declaration is taken, and iptables looks up chains before targets: `-j LOG` then jumps to the chain, the LOG target is out of reach, and `-j LOG --log-prefix x` is refused (`unknown option \"--log-prefix\"`); a warning. A rule written before the declaration still uses the target, but iptables-save writes every declaration first, so restoring the saved dump turns that rule into a jump to the chain. fwlint reads each `-j NAME` as iptables does, by the chains declared before it (test/chain-named-target-kernel.test.ts). Each case checked with iptables-restore 1.8.9 on both backends.",
    ].join("\n\n"),
    bad: "*filter\n:INPUT DROP [0:0]\n:DROP - [0:0]\n-A INPUT -j DROP\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n:log-drop - [0:0]\n-A INPUT -j log-drop\n-A log-drop -j DROP\nCOMMIT\n",
  },
  create({ ast, report }) {
    return {
      command(cmd) {
        const n = newChainName(cmd);
        if (!n || isDynamicName(ast, n.name)) return;
        const { name, span } = n;
        if (isBuiltinTarget(name)) {
          report({ message: `a chain cannot be named ${name}: it is one of iptables' verdicts, and iptables refuses the chain ("chain name may not clash with target name")`, span });
        } else if (name.startsWith("!") || name.startsWith("-")) {
          const legacyDeclaration = cmd.op === "declare-chain" && backendOf(ast) === "legacy";
          report({
            message: `a chain name cannot start with "${name[0]}" (iptables would read it as ${name[0] === "!" ? "a negation" : "an option"}): ${legacyDeclaration ? "the legacy backend's iptables-restore takes it in a declaration, but nf_tables and iptables -N refuse it" : "iptables refuses it"}`,
            span,
            ...(legacyDeclaration ? { severity: "warning" as const } : {}),
          });
        } else {
          const target = findTarget(name, ast.family);
          if (!target) return;
          // -N checks the name against every target iptables knows (CLUSTERIP too, whose kernel module is gone);
          // -E is refused by nf_tables; a declaration is taken
          const refused = cmd.op === "new-chain" || (cmd.op === "rename-chain" && backendOf(ast) !== "legacy");
          const shadow = `iptables looks up chains first, so -j ${name} would jump to the chain and never reach the target (and ${name}'s options after -j ${name} are refused)`;
          report({
            message: refused
              ? `a chain cannot be named ${name}, the name of a target: iptables refuses it ("chain name may not clash with target name"); ${shadow.replace("iptables looks", "where it is taken, iptables looks")}`
              : `chain ${name} has the name of the ${name} target: ${shadow}; rename the chain`,
            span,
            ...(refused ? {} : { severity: "warning" as const }),
          });
        }
      },
    };
  },
});
