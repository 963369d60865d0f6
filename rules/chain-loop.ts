import { defineRule } from "../src/rule.js";
import { findCycles, graphOf } from "../src/validity/graph.js";

export default defineRule({
  id: "chain-loop",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "Jumps between user chains form a cycle",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "A packet must never be able to jump back into a chain it is already traversing. The kernel checks this for every chain reachable from a built-in chain and refuses the ruleset (`RULE_APPEND failed (Too many links)` / `Too many levels of symbolic links`). A cycle no built-in chain reaches is accepted but is dead code and will fail as soon as something jumps into it; it is reported as a warning.",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j RETURN\nCOMMIT\n",
  },
  check(ctx) {
    for (const cycle of findCycles(graphOf(ctx))) {
      const closing = cycle.edges[cycle.edges.length - 1]!;
      const names = [cycle.edges[0]!.from.name, ...cycle.edges.map((e) => e.to.name)].join(" → ");
      const t = closing.rule.target!;
      ctx.report({
        message: cycle.reachable ? `jump creates a loop ${names}; the kernel refuses the ruleset ("Too many links")` : `jump creates a loop ${names}; no built-in chain reaches it yet, but the kernel will refuse the first jump into it`,
        span: t.nameSpan,
        severity: cycle.reachable ? "error" : "warning",
        related: cycle.edges.slice(0, -1).map((e) => ({ span: e.rule.target!.nameSpan, message: `${e.from.name} jumps to ${e.to.name} here` })),
      });
    }
  },
});
