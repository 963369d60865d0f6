import type { Option } from "../src/ast/iptables.js";
import type { ExtensionSpec } from "../src/catalog/types.js";
import { allRules } from "../src/ast/iptables.js";
import { defineRule } from "../src/rule.js";
import type { Span } from "../src/ast/span.js";
import { quoteList } from "../src/validity/base.js";
import { hasDynamicWords } from "../src/validity/rules-util.js";

/** Does the extension require an option at all? (most do not: then there is nothing to check) */
const demandsMemo = new WeakMap<ExtensionSpec, boolean>();
function demands(spec: ExtensionSpec): boolean {
  let d = demandsMemo.get(spec);
  if (d === undefined) demandsMemo.set(spec, (d = spec.options.some((o) => o.required) || (spec.requiresOneOf?.length ?? 0) > 0));
  return d;
}

export default defineRule({
  id: "missing-required-option",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A match or target is loaded without an option it requires",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "Some extensions refuse to load without certain options: DNAT needs `--to-destination`, SNAT `--to-source`, `-m comment` needs `--comment`, `-m state` needs `--state`, MARK needs one of `--set-mark`/`--set-xmark`/…, `-m multiport` needs a port list. iptables refuses the file (`option \"--to-destination\" must be specified`).",
    bad: "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j DNAT\nCOMMIT\n",
    good: "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n",
  },
  check({ ast, report }) {
    // span and label are built only for a finding (a span is computed on demand)
    const check = (spec: ExtensionSpec, options: readonly Option[], span: () => Span, label: () => string) => {
      // a rule gives an extension one or a few options: a scan is cheaper than a set
      const given = (name: string) => {
        for (const o of options) if ((o.spec?.name ?? o.name) === name) return true;
        return false;
      };
      for (const o of spec.options) {
        if (o.required && !given(o.name)) report({ message: `${label()} needs ${o.name}`, span: span() });
      }
      for (const group of spec.requiresOneOf ?? []) {
        if (!group.some(given)) report({ message: `${label()} needs ${group.length === 1 ? group[0] : `one of ${quoteList([...group])}`}`, span: span() });
      }
    };
    for (const rule of allRules(ast)) {
      // an unknown or misplaced option may be the required one, misspelt: those rules report it
      if (rule.orphans.length || hasDynamicWords(rule)) continue;
      for (const m of rule.matches) {
        if (m.spec && !m.implicit && demands(m.spec)) check(m.spec, m.options, () => m.headSpan, () => `-m ${m.module}`);
      }
      const t = rule.target;
      if (t?.spec && demands(t.spec)) check(t.spec, t.options, () => t.nameSpan, () => `-j ${t.name}`);
    }
  },
});
