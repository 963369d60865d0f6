import type { Rule } from "../src/ast/iptables.js";
import { coverageOf, MODEL_ANALYSIS } from "../src/model/index.js";
import type { KRule } from "../src/model/model.js";
import { defineRule } from "../src/rule.js";

const isUnconditionalReturn = (k: KRule) => k.action.t === "return" && k.rule.criteria.length === 0 && k.rule.matches.length === 0;

function describe(k: KRule): string {
  const a = k.action;
  if (a.t === "return") return isUnconditionalReturn(k) ? "returns every packet" : "returns these packets";
  if (a.t === "jump") return a.goto ? `sends these packets to ${a.chain} for good (goto)` : `jumps to ${a.chain}, which decides these packets`;
  if (a.t === "verdict") return `${a.v === "ACCEPT" ? "accepts" : a.v === "DROP" ? "drops" : "rejects"} these packets`;
  return `decides these packets (${k.targetText.split(" ")[0]})`;
}

export default defineRule({
  id: "unreachable-rule",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "warning",
  description: "No packet can reach this rule and match it: earlier rules already decide every packet it matches",
  tags: ["shadowing", "dead-rule"],
  precision: "very-high",
  docs: {
    rationale: [
      "A packet stops at the first rule with a final verdict: ACCEPT, DROP, REJECT, RETURN, a goto, NAT, or a jump into a chain that decides it.",
      "When the rules above together (not one by one) already take every packet this rule matches, the rule never runs: whatever it was meant to do does not happen.",
      "fwlint computes this exactly over sets of addresses, ports, interfaces, protocols and states, follows jumps, RETURN and goto, and handles negation.",
      "A classic case is Docker up to 28.2.1, which writes `-A DOCKER-USER -j RETURN`: rules later added with `iptables -A DOCKER-USER` land after it and are dead (add them with `-I`).",
      "Matches fwlint cannot evaluate (limit, recent, set, string, …) never count as covering, so the claim is never a guess.",
    ].join(" "),
    bad: "*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -j RETURN\n-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP\nCOMMIT\n",
    good: "*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP\n-A DOCKER-USER -j RETURN\nCOMMIT\n",
    exceptions: "Host facts matter for `-m addrtype`: without `facts.hostAddresses` fwlint never uses address types to prove a rule dead.",
  },
  check(ctx) {
    const cov = coverageOf(ctx);
    for (const u of cov.unreachable) {
      const lines = u.covering.map((k) => k.line);
      const ret = u.covering.length === 1 && isUnconditionalReturn(u.covering[0]!);
      const message = ret
        ? `Rule can never match: the unconditional -j RETURN at line ${lines[0]} returns every packet from ${u.rule.chain} first${u.rule.chain === "DOCKER-USER" ? " (Docker ≤ 28.2.1 writes it; insert your rules with `iptables -I DOCKER-USER`, not -A)" : ""}`
        : `Rule can never match: every packet it matches is already decided by the rule${lines.length > 1 ? "s" : ""} at line${lines.length > 1 ? "s" : ""} ${lines.join(", ")}`;
      ctx.report({
        message,
        span: u.rule.span,
        related: u.covering.slice(0, 8).map((k) => ({ span: k.rule.span, message: `This rule ${describe(k)}` })),
      });
    }
  },
});

export type { Rule };
