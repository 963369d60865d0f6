import type { Family, Option, Rule, Ruleset } from "../src/ast/iptables.js";
import { checkValueKept, exceedsBytes, helperProblem, IFNAME_MAX, parseCidr, parseUnsigned, protocolNumber, stringSurelyFits } from "../src/catalog/index.js";
import { defineRule, type RuleContext } from "../src/rule.js";
import { backendOf, legacyOnlyError } from "../src/validity/base.js";

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
      "matches, text after a number ignored) are warnings. A negation of everything is refused too: `! -p all`",
      "by iptables, `! -s 0.0.0.0/0` (any zero mask) by the nf_tables backend; the legacy backend takes the latter",
      "and the rule then matches nothing, a warning when the file says it was saved by the legacy backend.",
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
        else if (spec.legacyMin !== undefined && Number(parseUnsigned(text)) < spec.legacyMin) {
          const severity = legacyOnlyError(ast);
          report({ message: `${o.written} ${text}: the legacy backend refuses a value below ${spec.legacyMin}${severity === "error" ? "" : "; nf_tables takes it and uses its default instead"}`, span: o.values[k]!.span, severity, stage: "kernel" });
        }
      }
    };
    return {
      rule(rule) {
        for (const c of rule.criteria) checkOption(c, undefined);
        for (const m of rule.matches) for (const o of m.options) checkOption(o, m.spec?.name);
        if (rule.target?.spec) for (const o of rule.target.options) checkOption(o, rule.target.spec.name);
        if (rule.target?.name === "CT") conntrackHelper(rule, family, report);
        negatedAddressList(rule, report);
        negatedEverything(rule, family, backendOf(ast) === "legacy", report);
      },
    };
  },
});

/** `-j CT --helper NAME`: a helper the kernel has for this family (src/catalog/final.ts). */
function conntrackHelper(rule: Rule, family: Family, report: RuleContext<Ruleset>["report"]) {
  for (const o of rule.target!.options) {
    if (o.name !== "--helper" || o.valueDynamic(0)) continue;
    const name = o.valueText(0);
    const p = name === undefined ? undefined : helperProblem(name, family);
    if (p) report({ message: `--helper ${name}: ${p.message}`, span: o.values[0]!.span, ...(p.severity ? { severity: p.severity } : {}), ...(p.stage ? { stage: p.stage } : {}) });
  }
}

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

/**
 * A negated criterion that matches every packet. `! -p all` (or `! -p 0`) is refused by iptables itself ("rule
 * would never match protocol"). `! -s 0.0.0.0/0` (any address with a zero mask, `::/0` alike) is refused by the
 * nf_tables backend (`RULE_APPEND failed (Invalid argument)`); the legacy backend takes it, and the rule then
 * matches no packet. Both checked with iptables-restore and iptables-legacy-restore 1.8.9.
 */
function negatedEverything(rule: Rule, family: Family, legacy: boolean, report: RuleContext<Ruleset>["report"]) {
  for (const c of rule.criteria) {
    if (!c.negated || c.valueDynamic(0)) continue;
    const text = c.valueText(0);
    if (text === undefined) continue;
    if (c.name === "-p" && protocolNumber(text) === 0) {
      report({ message: `! ${c.written} ${text} would match no protocol at all: iptables refuses the rule ("rule would never match protocol")`, span: c.bangSpan ?? c.span });
    } else if ((c.name === "-s" || c.name === "-d") && !text.includes(",") && parseCidr(text, family)?.mask === 0n) {
      report({
        message: legacy
          ? `! ${c.written} ${text} matches no packet (every address is in ${text}), so the rule never runs; the nf_tables backend refuses it`
          : `! ${c.written} ${text} negates every address: the nf_tables backend refuses the rule ("RULE_APPEND failed (Invalid argument)"); the legacy backend takes it and the rule matches no packet`,
        span: c.bangSpan ?? c.span,
        severity: legacy ? "warning" : "error",
        stage: "kernel",
      });
    }
  }
}
