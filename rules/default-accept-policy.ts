import { findChain } from "../src/ast/iptables.js";
import { F, ST, STATES } from "../src/model/fields.js";
import { coverageOf, MODEL_ANALYSIS, type Coverage } from "../src/model/index.js";
import { expansionsEnd, type KRule } from "../src/model/model.js";
import { IntervalSet } from "../src/model/sets.js";
import { defineRule } from "../src/rule.js";

const REPLIES = IntervalSet.of(STATES, ST.ESTABLISHED, ST.RELATED);

/**
 * ACCEPT rules that any ruleset has whatever its style, which say nothing of an allowlist: loopback,
 * packets of connections already accepted (ESTABLISHED, RELATED), and an ACCEPT of everything.
 */
function isHousekeeping(k: KRule): boolean {
  // an unconditional ACCEPT says outright that everything gets in
  if (k.match.certain.length === 0) return true;
  const lo = k.chain.model.ifaces.classOf("lo");
  for (const t of k.match.certain) {
    if ((t.f === F.IIF || t.f === F.OIF) && t.set.single !== undefined && Number(t.set.single) === lo) return true;
    if (t.f === F.STATE && t.set.isSubsetOf(REPLIES as typeof t.set)) return true;
  }
  return false;
}

export default defineRule({
  id: "default-accept-policy",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "warning",
  description: "INPUT's (or OUTPUT's) ACCEPT policy accepts what its ACCEPT rules single out, and everything else: the allowlist allows nothing the policy would not",
  tags: ["policy", "allowlist", "security"],
  precision: "high",
  docs: {
    rationale: [
      "An allowlist (`-A INPUT -p tcp --dport 22 -j ACCEPT`) only restricts anything when the packets it does not list are dropped: by a DROP or REJECT at the end of INPUT, or by the policy `:INPUT DROP`. With the policy ACCEPT and no such rule, every packet the ACCEPT rules were meant to single out is accepted anyway, and so is every other one: the host is open on every port (CIS and Lynis FIRE-4508 ask for a default deny).",
      "The same holds for OUTPUT: an egress allowlist over `:OUTPUT ACCEPT` lets everything out.",
      "fwlint checks this exactly: for each ACCEPT rule of INPUT and OUTPUT it follows, over sets, what would become of its packets without it. When the rules below drop none of them and they reach the ACCEPT policy, the rule allows nothing, and the finding lists such rules at the policy line. A blocklist (DROP rules over an ACCEPT policy) is not reported, nor is an ACCEPT rule that makes an exception to a DROP below it, nor loopback (`-i lo`, `-o lo`) and RELATED,ESTABLISHED rules on their own, nor an ACCEPT of everything (which says outright that everything gets in).",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n",
    exceptions: "Only the filter table's INPUT and OUTPUT chains, and only when the file sets the policy (`:INPUT ACCEPT`, `-P INPUT ACCEPT`): a script that never sets it leaves the host's policy as it was. FORWARD is left to Docker's own rules and `docker-user-unrestricted`.",
  },
  check(ctx) {
    const cov = coverageOf(ctx);
    for (const name of ["INPUT", "OUTPUT"] as const) {
      const chain = findChain(ctx.ast, "filter", name);
      const compiled = chain?.policy === "ACCEPT" ? cov.model.chain("filter", name) : undefined;
      if (!chain || !compiled) continue;
      const pointless = acceptedAnyway(cov, compiled.rules);
      if (pointless.length === 0) continue;
      const lines = pointless.map((k) => k.line);
      const several = lines.length > 1;
      const way = name === "INPUT" ? "in" : "out";
      ctx.report({
        message: `${name}'s policy is ACCEPT and nothing below drops what the ACCEPT rule${several ? "s" : ""} at line${several ? "s" : ""} ${lines.join(", ")} let${several ? "" : "s"} ${way}: ${several ? "they allow" : "it allows"} nothing the policy would not (whatever no rule drops gets ${way}). If ${name} is meant to allow only these, end it with a DROP or REJECT, or set its policy to DROP (after accepting loopback and RELATED,ESTABLISHED)`,
        span: chain.span,
        related: pointless.slice(0, 8).map((k) => ({ span: k.rule.span, message: "Accepts packets the policy accepts anyway" })),
      });
    }
  },
});

/** The ACCEPT rules (first expansion each) whose every packet the chain's policy would accept without them. */
function acceptedAnyway(cov: Coverage, rules: readonly KRule[]): KRule[] {
  const pointless: KRule[] = [];
  for (let i = 0; i < rules.length; ) {
    const k = rules[i]!;
    const end = expansionsEnd(rules, i);
    if (k.action.t !== "verdict" || k.action.v !== "ACCEPT" || isHousekeeping(k)) {
      i = end;
      continue;
    }
    // every expansion of the rule must be accepted anyway, some of it by the policy
    let viaPolicy = false;
    for (; i < end; i++) {
      const fate = cov.sameFateCountingPolicy(rules[i]!);
      if (fate === null) break;
      viaPolicy ||= fate.policy;
    }
    if (i === end && viaPolicy) pointless.push(k);
    i = end;
  }
  return pointless;
}
