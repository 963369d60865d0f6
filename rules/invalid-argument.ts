import type { Option, Rule } from "../src/ast/iptables.js";
import { checkValueKept, exceedsBytes, IFNAME_MAX, stringSurelyFits } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";

/**
 * Warnings of the value checker that depend on the host the rules are loaded on (host, user, group and realm
 * name lookups), not on the file: they are not validity problems and would fire on many real files. Service
 * names the catalog does not know are kept: a misspelt `--dport sshh` is refused wherever /etc/services lacks it.
 */
const HOST_DEPENDENT = /resolved when|must be defined in|looked up when/;

export default defineRule({
  id: "invalid-argument",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "An option value the extension or the kernel would refuse",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale: [
      "Every option value is checked the way iptables parses it: addresses and prefixes (`10.0.0.300`, `/33`, an IPv6",
      "address in an IPv4 file), ports (0–65535, `from:to` in order, at most 15 in `--dports`), protocol names,",
      "conntrack states, `--reject-with` types, ICMP types, TCP flags, marks and masks, rates, NAT ranges",
      "(`--to-destination`), log levels and so on. iptables refuses the whole file at the first bad value.",
      "Values iptables accepts but silently changes (host bits cleared by the mask, a reversed range that never",
      "matches, text after a number ignored) are warnings.",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.300/8 -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/8 -p tcp --dport 7000 -j ACCEPT\nCOMMIT\n",
  },
  create({ ast, report }) {
    const family = ast.family;
    const checkOption = (o: Option, extension: string | undefined) => {
      const spec = o.spec;
      if (!spec?.kinds) return;
      const kinds = spec.kinds;
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[k]!;
        // the text alone: the value's Word node is made only for a finding
        const text = o.valueText(k);
        if (text === undefined || o.valueDynamic(k)) continue;
        // lengths of names and strings are name-too-long's business
        if (kind === "interface" && exceedsBytes(text, IFNAME_MAX)) continue;
        if (kind === "string" && (stringSurelyFits(text, spec) || (spec.maxLength !== undefined && exceedsBytes(text, spec.maxLength)))) continue;
        // each answer is computed once for the process (src/catalog/value-memo.ts)
        const r = checkValueKept(kind, text, family, spec, extension);
        if (!r.ok) report({ message: `${o.written} ${text.length > 60 ? `${text.slice(0, 57)}…` : text}: ${r.message}`, span: o.values[k]!.span });
        else if (r.warning && !HOST_DEPENDENT.test(r.warning)) report({ message: `${o.written} ${text}: ${r.warning}`, span: o.values[k]!.span, severity: "warning" });
      }
    };
    return {
      rule(rule) {
        for (const c of rule.criteria) checkOption(c, undefined);
        for (const m of rule.matches) for (const o of m.options) checkOption(o, m.spec?.name);
        if (rule.target?.spec) for (const o of rule.target.options) checkOption(o, rule.target.spec.name);
        negatedAddressList(rule, report);
      },
    };
  },
});

/** iptables: "! not allowed with multiple source or destination IP addresses". */
function negatedAddressList(rule: Rule, report: (f: { message: string; span: Option["span"] }) => void) {
  let s: Option | undefined;
  let d: Option | undefined;
  for (const c of rule.criteria) {
    if (c.name === "-s") s ??= c;
    else if (c.name === "-d") d ??= c;
  }
  if (!s && !d) return;
  const multiple = (s?.valueText(0)?.includes(",") ?? false) || (d?.valueText(0)?.includes(",") ?? false);
  const negated = s?.negated ? s : d?.negated ? d : undefined;
  if (multiple && negated?.bangSpan) {
    report({ message: `"!" is not allowed when -s or -d lists several addresses (iptables makes one rule per address); split the rule or use -m iprange/ipset`, span: negated.bangSpan });
  }
}
