import { defineRule } from "../src/rule.js";
import { findCycles, graphOf, GRAPH_ANALYSIS } from "../src/validity/graph.js";

export default defineRule({
  id: "chain-loop",
  language: "iptables",
  category: "validity",
  uses: [GRAPH_ANALYSIS],
  severity: "error",
  description: "Jumps between user chains form a cycle",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "A packet must never be able to jump back into a chain it is already traversing. The kernel checks this for every chain reachable from a built-in chain and refuses the ruleset (`RULE_APPEND failed (Too many links)` / `Too many levels of symbolic links`). Every jump of the cycle is reported (removing any one breaks it). A cycle no built-in chain reaches is accepted but is dead code and will fail as soon as something jumps into it; it is reported as a warning.",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j RETURN\nCOMMIT\n",
  },
  check(ctx) {
    for (const cycle of findCycles(graphOf(ctx))) {
      // every jump of a short cycle is reported: removing any one of them breaks it (long cycles: the jump that
      // closes it and the one that starts it)
      const chains = [cycle.edges[0]!.from.name, ...cycle.edges.map((e) => e.to.name)];
      const names = (chains.length > 8 ? [...chains.slice(0, 3), "…", ...chains.slice(-3)] : chains).join(" → ");
      const shown = cycle.edges.length <= 8 ? cycle.edges : [cycle.edges[0]!, cycle.edges[cycle.edges.length - 1]!];
      for (const edge of shown) {
        ctx.report({
          message: cycle.reachable
            ? `jump from ${edge.from.name} to ${edge.to.name} is part of the loop ${names}; the kernel refuses the ruleset ("Too many links")`
            : `jump from ${edge.from.name} to ${edge.to.name} is part of the loop ${names}; no built-in chain reaches it yet, but the kernel will refuse the first jump into it`,
          span: edge.rule.target!.nameSpan,
          severity: cycle.reachable ? "error" : "warning",
          related: shown.filter((e) => e !== edge).map((e) => ({ span: e.rule.target!.nameSpan, message: `${e.from.name} jumps to ${e.to.name} here` })),
        });
      }
    }
  },
});
