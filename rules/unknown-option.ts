import { extensionsDefining, findCoreOption, implicitMatchFor, optionSpellings } from "../src/catalog/index.js";
import type { Family } from "../src/catalog/types.js";
import { defineRule } from "../src/rule.js";
import { didYouMean } from "../src/validity/base.js";
import { afterUnknownMatch } from "../src/validity/rules-util.js";

const otherFamily = (f: Family): Family => (f === "ipv4" ? "ipv6" : "ipv4");
const tool = (f: Family) => (f === "ipv4" ? "iptables" : "ip6tables");

export default defineRule({
  id: "unknown-option",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "An option that neither iptables nor any of its extensions defines",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "`iptables-restore` refuses the whole file at an option it does not know (`unknown option \"--dprot\"`). fwlint names the closest real option, including options of extensions the rule has not loaded yet, and options that exist only for the other address family (`--icmpv6-type` in an IPv4 file, `-f` in an IPv6 one).",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dprot 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
  },
  create({ ast, report }) {
    const family = ast.family;

    return {
      rule(rule) {
        // core options of the other family only (-f in ip6tables)
        for (const c of rule.criteria) {
          const fams = c.spec?.families;
          if (fams && !fams.includes(family)) {
            report({ message: `${tool(family)} has no ${c.written} option (it exists only in ${tool(otherFamily(family))})`, span: c.nameSpan });
          }
        }
        for (const o of rule.orphans) {
          if (extensionsDefining(o.written, family).length || afterUnknownMatch(rule, o)) continue;
          if (findCoreOption(o.written)) continue;
          const elsewhere = extensionsDefining(o.written, otherFamily(family));
          if (elsewhere.length) {
            report({ message: `${o.written} is an option of ${elsewhere[0]!.spec.name}, which exists only in ${tool(otherFamily(family))}`, span: o.nameSpan });
            continue;
          }
          // prefer options of the extensions this rule loaded
          const local = new Map<string, string>();
          for (const m of rule.matches) if (m.spec) for (const w of m.spec.options.flatMap((x) => [x.name, ...(x.aliases ?? [])])) local.set(w, "");
          const proto = rule.criteria.find((c) => c.name === "-p")?.valueText(0);
          const implicit = proto ? implicitMatchFor(proto, family) : undefined;
          if (implicit) for (const w of implicit.byName.keys()) local.set(w, "");
          if (rule.target?.spec) for (const w of rule.target.spec.options.flatMap((x) => [x.name, ...(x.aliases ?? [])])) local.set(w, "");
          const spellings = optionSpellings(family);
          const guess = didYouMean(o.written, local.keys()) ?? didYouMean(o.written, spellings.keys());
          const via = guess ? spellings.get(guess) : undefined;
          const hint = guess ? `; did you mean ${guess}${via && !local.has(guess) ? ` (${via})` : ""}?` : "";
          report({
            message: `unknown option ${o.written}${hint}`,
            span: o.nameSpan,
            ...(guess && local.has(guess) ? { suggestions: [{ desc: `Replace with ${guess}`, fix: { range: [o.nameSpan.offset, o.nameSpan.endOffset] as const, text: guess } }] } : {}),
          });
        }
      },
    };
  },
});
