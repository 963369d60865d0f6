import { defineRule } from "../src/rule.js";
import { isDynamicName } from "../src/validity/base.js";
import { graphOf, GRAPH_ANALYSIS } from "../src/validity/graph.js";
import { judgeJump } from "../src/validity/jumps.js";

export default defineRule({
  id: "unknown-target",
  language: "iptables",
  category: "validity",
  uses: [GRAPH_ANALYSIS],
  severity: "error",
  description: "A -j name that is neither a target extension nor a chain of the rule's table",
  tags: ["validity"],
  precision: "high",
  docs: {
    rationale:
      "`-j` takes a built-in verdict (ACCEPT, DROP, RETURN, QUEUE), a target extension (REJECT, LOG, DNAT, …) or a chain of the same table. Target names are case-sensitive: `-j reject` or `-j REJCT` makes `iptables-restore` refuse the whole file (`Chain 'REJCT' does not exist` or `Couldn't load target`). Names that look like a chain rather than a misspelt target are reported by undefined-chain.",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 23 -j REJCT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 23 -j REJECT\nCOMMIT\n",
    exceptions: "Targets from xtables-addons (TARPIT, DELUDE, …) are reported as warnings by unknown-target only when the catalog marks them out-of-tree: the kernel accepts them where the package is installed.",
  },
  create(ctx) {
    const { ast, report } = ctx;
    const graph = graphOf(ctx);
    return {
      rule(rule) {
        const t = rule.target;
        if (!t || isDynamicName(ast, t.name)) return;
        if (t.spec?.outOfTree) {
          report({ message: `target ${t.name} is not part of iptables (it comes from xtables-addons); the kernel refuses it unless that package is installed`, span: t.nameSpan, severity: "warning" });
          return;
        }
        if (t.spec?.deprecated && /removed from/.test(t.spec.deprecated)) {
          report({ message: `target ${t.name} is gone: ${t.spec.deprecated}; the kernel refuses the rule`, span: t.nameSpan });
          return;
        }
        const v = judgeJump(ast, graph, rule);
        if (v.kind !== "unknown-target") return;
        if (v.otherFamily) {
          report({ message: `target ${t.name} exists only in ${ast.family === "ipv4" ? "ip6tables" : "iptables"}`, span: t.nameSpan });
          return;
        }
        const fix = v.suggestion ? [{ desc: `Replace with ${v.suggestion}`, fix: { range: [t.nameSpan.offset, t.nameSpan.endOffset] as const, text: v.suggestion } }] : [];
        report({
          message: `unknown target "${t.name}"${v.suggestion ? `; did you mean ${v.suggestion}?` : ""} (not a target extension, and ${rule.table} has no chain of that name)`,
          span: t.nameSpan,
          ...(fix.length ? { suggestions: fix } : {}),
        });
      },
    };
  },
});
