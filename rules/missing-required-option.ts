import type { Match, Option, Ruleset, Target } from "../src/ast/iptables.js";
import type { ExtensionSpec } from "../src/catalog/types.js";
import { defineRule, type RuleContext } from "../src/rule.js";
import { quoteList } from "../src/validity/base.js";
import { hasDynamicWords, holderLabel, holderSpan } from "../src/validity/rules-util.js";

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
  create({ ast, report }) {
    return {
      rule(rule) {
        // an unknown or misplaced option may be the required one, misspelt: those rules report it
        if (rule.orphans.length || hasDynamicWords(rule)) return;
        for (const m of rule.matches) {
          if (m.spec && !m.implicit && demands(m.spec)) check(m.spec, m.options, m, report);
        }
        const t = rule.target;
        if (t?.spec && demands(t.spec)) check(t.spec, t.options, t, report);
      },
    };
  },
});

/**
 * Report the options `spec` requires that `options` lacks. Span and label are built only for a finding (plain
 * functions: closures per match were garbage on a 100k-rule dump, where every rule has a -m comment).
 */
function check(spec: ExtensionSpec, options: readonly Option[], holder: Match | Target, report: RuleContext<Ruleset>["report"]): void {
  // indexed loops: this runs for most matches of a dump (-m comment requires --comment), and for-of and a
  // fallback `?? []` allocated per call
  const specs = spec.options;
  for (let i = 0; i < specs.length; i++) {
    const o = specs[i]!;
    if (o.required && !given(options, o.name)) report({ message: `${holderLabel(holder)} needs ${o.name}`, span: holderSpan(holder) });
  }
  const groups = spec.requiresOneOf;
  if (!groups) return;
  for (const group of groups) {
    if (!group.some((name) => given(options, name))) report({ message: `${holderLabel(holder)} needs ${group.length === 1 ? group[0] : `one of ${quoteList([...group])}`}`, span: holderSpan(holder) });
  }
}

/** An option of that name is among `options` (a rule gives an extension one or a few: a scan is cheaper than a set). */
function given(options: readonly Option[], name: string): boolean {
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if ((o.spec?.name ?? o.name) === name) return true;
  }
  return false;
}
