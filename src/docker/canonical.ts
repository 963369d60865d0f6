/**
 * Docker's rule templates are matched against the project's one canonical form: the rule as iptables-save prints
 * it (src/canonical.ts, checked against the kernel by test/roundtrip.test.ts). This module only supplies the
 * address family when the caller has no ruleset at hand.
 */
import type { Family, Rule } from "../ast/iptables.js";
import { canonicalRule as canonical } from "../canonical.js";

/** The canonical text of a rule (without chain and counters), as iptables-save prints it. */
export function canonicalRule(rule: Rule, family: Family = familyOf(rule)): string {
  return canonical(rule, family);
}

/** The family the rule itself states: `-4`/`-6` or the program (ip6tables) that wrote it, else its -s/-d addresses. */
function familyOf(rule: Rule): Family {
  if (rule.command.family) return rule.command.family;
  const v6 = rule.criteria.some((o) => (o.name === "-s" || o.name === "-d") && o.valueText(0)?.includes(":"));
  return v6 ? "ipv6" : "ipv4";
}
