/** Reading DOCKER-USER: which of its rules run, and small predicates over rules the Docker checks share. */
import { match, type Option, type Rule } from "../ast/iptables.js";
import type { DockerLayout } from "./layout.js";

export interface UserRule {
  readonly rule: Rule;
  /** False when an earlier unconditional RETURN/ACCEPT/DROP/REJECT ends the chain before this rule. */
  readonly reachable: boolean;
  /** The unconditional rule that ends the chain first, for unreachable rules. */
  readonly endedBy: Rule | null;
}

const FINAL_TARGETS = new Set(["RETURN", "ACCEPT", "DROP", "REJECT"]);

/** The rule matches every packet: no criteria, no matches except comments. */
export function isUnconditional(rule: Rule): boolean {
  return rule.criteria.every((o) => o.name === "-c") && rule.matches.every((m) => m.module === "comment") && rule.orphans.length === 0;
}

/** Every rule of DOCKER-USER in order, with whether it can run at all. */
export function dockerUserRules(layout: DockerLayout): UserRule[] {
  const out: UserRule[] = [];
  let endedBy: Rule | null = null;
  for (const rule of layout.userChain?.rules ?? []) {
    out.push({ rule, reachable: endedBy === null, endedBy });
    if (endedBy === null && isUnconditional(rule) && rule.target && !rule.target.goto && FINAL_TARGETS.has(rule.target.name)) endedBy = rule;
  }
  return out;
}

/** All values of every option with that canonical name, in any match (e.g. all --ctstate lists). */
export function optionsNamed(rule: Rule, name: string): Option[] {
  const out: Option[] = [];
  for (const m of rule.matches) for (const o of m.options) if (o.name === name) out.push(o);
  return out;
}

const STATE_OPTIONS = ["--ctstate", "--state"];

/**
 * The set of conntrack states a rule is limited to, or null when it does not look at the state.
 * `! --ctstate X` is turned into the complement.
 */
export function ruleStates(rule: Rule): Set<string> | null {
  let states = null as Set<string> | null;
  const all = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"];
  for (const name of STATE_OPTIONS) {
    for (const o of optionsNamed(rule, name)) {
      const listed = new Set((o.valueText(0) ?? "").toUpperCase().split(","));
      const s = new Set(o.negated ? all.filter((x) => !listed.has(x)) : [...listed]);
      const prev: Set<string> | null = states;
      states = prev === null ? s : new Set([...prev].filter((x) => s.has(x)));
    }
  }
  return states;
}

/** The rule can only match packets that open a connection (NEW/INVALID/UNTRACKED state, --syn, --ctdir ORIGINAL). */
export function limitedToNewConnections(rule: Rule): boolean {
  const states = ruleStates(rule);
  if (states && !states.has("ESTABLISHED") && !states.has("RELATED")) return true;
  if (optionsNamed(rule, "--syn").some((o) => !o.negated)) return true;
  if (optionsNamed(rule, "--ctdir").some((o) => o.valueText(0)?.toUpperCase() === "ORIGINAL")) return true;
  const flags = optionsNamed(rule, "--tcp-flags");
  if (flags.some((o) => !o.negated && /(^|,)SYN(,|$)/i.test(o.valueText(1) ?? "") && !/(^|,)(ACK|ALL)(,|$)/i.test(o.valueText(1) ?? ""))) return true;
  return false;
}

/** The rule lets established traffic through: ACCEPT/RETURN limited to RELATED and/or ESTABLISHED. */
export function acceptsEstablished(rule: Rule): boolean {
  const t = rule.target?.name;
  if (t !== "ACCEPT" && t !== "RETURN") return false;
  const states = ruleStates(rule);
  return states !== null && states.has("ESTABLISHED") && [...states].every((s) => s === "ESTABLISHED" || s === "RELATED");
}

/** A criterion's identity for "is the same condition" comparisons. */
export function criterionKey(o: Option): string {
  return `${o.negated ? "!" : ""}${o.name} ${o.values.map((v) => v.text).join(" ")}`;
}

export function hasMatch(rule: Rule, module: string): boolean {
  return match(rule, module) !== undefined;
}
