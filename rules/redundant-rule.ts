import { coverageOf, MODEL_ANALYSIS } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "redundant-rule",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "warning",
  description: "Removing this rule would change no packet's fate: the rules below give the same verdict to everything it matches",
  tags: ["redundancy"],
  precision: "high",
  docs: {
    rationale: [
      "A rule whose every packet would get the same verdict from the rules below it, with nothing in between that could change that packet's fate, does nothing: the ruleset is longer and harder to audit than it needs to be, and the rule misleads readers into thinking it matters (for example a narrow DROP above a wider DROP).",
      "fwlint checks this exactly over sets, with negation and the union of the rules below. LOG and NFLOG rules in between do not change a fate and are stepped over; anything else that could (jumps, RETURN, MARK, a different verdict) ends the search.",
      "Duplicated rules and rules shadowed by the ones above are reported by `unreachable-rule` instead.",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 203.0.113.7/32 -p tcp --dport 22 -j DROP\n-A INPUT -s 203.0.113.0/24 -j DROP\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 203.0.113.7/32 -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 203.0.113.0/24 -j DROP\nCOMMIT\n",
    exceptions: "A rule kept on purpose for its counters, or as documentation, may be redundant by design. A rule that repeats the chain's policy is not reported (policies change).",
  },
  check(ctx) {
    const cov = coverageOf(ctx);
    for (const r of cov.redundant) {
      const lines = r.later.map((k) => k.line);
      const verdict = r.rule.target?.name ?? "";
      ctx.report({
        message: `Rule is redundant: without it, every packet it matches would still get ${verdict} from the rule${lines.length > 1 ? "s" : ""} at line${lines.length > 1 ? "s" : ""} ${lines.join(", ")}`,
        span: r.rule.span,
        related: r.later.slice(0, 8).map((k) => ({ span: k.rule.span, message: `Also ${verdict === "ACCEPT" ? "accepts" : verdict === "DROP" ? "drops" : "rejects"} these packets` })),
      });
    }
  },
});
