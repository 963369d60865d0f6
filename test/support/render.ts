import type { Option, Rule, Ruleset } from "../../src/ast/iptables.js";

const opt = (o: Option) => `${o.negated ? "! " : ""}${o.name}${o.values.map((v) => ` ${v.text}`).join("")}`;

/** A compact, order-preserving rendering of a rule's structure, for assertions. */
export function renderRule(rule: Rule): string {
  const parts: string[] = [];
  for (const it of rule.items) {
    if (it.type === "criterion" || it.type === "option" || it.type === "target-option") parts.push(opt(it.option));
    else if (it.type === "orphan") parts.push(`?${opt(it.option)}`);
    else if (it.type === "match") parts.push(it.match.implicit ? `(-m ${it.match.module})` : `-m ${it.match.module}`);
    else parts.push(`${it.target.goto ? "-g" : "-j"} ${it.target.name}`);
  }
  return parts.join(" ");
}

/** Every rule as "table:CHAIN#pos: rendering". */
export function renderRules(rs: Ruleset): string[] {
  const out: string[] = [];
  for (const t of rs.tables) for (const c of t.chains) for (const r of c.rules) out.push(`${t.name}:${c.name}#${r.position}: ${renderRule(r)}`);
  return out;
}

export const codes = (rs: Ruleset) => rs.diagnostics.map((d) => `${d.span.line}:${d.span.column} ${d.code}`);
