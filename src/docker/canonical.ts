/**
 * A rule as one canonical line, the way iptables-save prints it: core criteria in the kernel's order
 * (-s -d -i -o -p -f), then each match with its options, then the target. Host addresses get their /32
 * (/128), protocol numbers become names and state lists are put in iptables-save order, so a rule written
 * by hand in a script compares equal to the same rule read back from a dump. Counters are left out.
 */
import type { Option, Rule } from "../ast/iptables.js";

const CRITERIA_ORDER = ["-s", "-d", "-i", "-o", "-p", "-f"];
const PROTOCOL_NAMES: Record<string, string> = { "1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp", "132": "sctp", icmpv6: "ipv6-icmp", "ipv6-icmp": "ipv6-icmp" };
const STATE_ORDER = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"];

function hostAddress(text: string): string {
  if (text.includes("/")) return text.toLowerCase();
  return text.includes(":") ? `${text.toLowerCase()}/128` : /^\d+\.\d+\.\d+\.\d+$/.test(text) ? `${text}/32` : text;
}

function states(text: string): string {
  const list = text.toUpperCase().split(",");
  return list.every((s) => STATE_ORDER.includes(s)) ? [...new Set(list)].sort((a, b) => STATE_ORDER.indexOf(a) - STATE_ORDER.indexOf(b)).join(",") : text;
}

function valueText(option: Option, text: string): string {
  switch (option.name) {
    case "-s":
    case "-d":
      return hostAddress(text);
    case "-p": {
      const lower = text.toLowerCase();
      return PROTOCOL_NAMES[lower] ?? lower;
    }
    case "--ctstate":
    case "--state":
      return states(text);
    default:
      return text;
  }
}

function optionText(option: Option): string {
  const values = option.values.map((w) => valueText(option, w.text));
  return [option.negated ? "!" : "", option.name, ...values].filter(Boolean).join(" ");
}

const rank = (o: Option) => {
  const i = CRITERIA_ORDER.indexOf(o.name);
  return i === -1 ? CRITERIA_ORDER.length : i;
};

/** The canonical text of a rule (without chain and counters). */
export function canonicalRule(rule: Rule): string {
  const parts: string[] = [];
  for (const o of [...rule.criteria].filter((c) => c.name !== "-c").sort((a, b) => rank(a) - rank(b))) parts.push(optionText(o));
  for (const m of rule.matches) {
    parts.push(`-m ${m.module}`);
    for (const o of m.options) parts.push(optionText(o));
  }
  for (const o of rule.orphans) parts.push(optionText(o));
  if (rule.target) {
    parts.push(`${rule.target.goto ? "-g" : "-j"} ${rule.target.name}`);
    for (const o of rule.target.options) parts.push(optionText(o));
  }
  for (const w of rule.strays) parts.push(w.text);
  return parts.join(" ");
}
