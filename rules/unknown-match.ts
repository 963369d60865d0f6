import { matchExistsInOtherFamily, matchNames } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";
import { didYouMean, isDynamicName } from "../src/validity/base.js";

export default defineRule({
  id: "unknown-match",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A -m module that iptables does not have (for this address family)",
  tags: ["validity"],
  precision: "high",
  docs: {
    rationale:
      "`-m NAME` loads a match extension; a misspelt or non-existent name (`-m conntrak`), or a match of the other address family (`-m icmp` in ip6tables, `-m icmp6` in iptables), makes `iptables-restore` refuse the whole file (`Couldn't load match`).",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrak --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\nCOMMIT\n",
    exceptions: "Matches from xtables-addons (geoip, …) are warnings: the kernel accepts them where the package is installed.",
  },
  create({ ast, report }) {
    return {
      rule(rule) {
        for (const m of rule.matches) {
          if (m.implicit) continue;
          // nearly every match is known: its span (a line lookup) is made only for a finding
          if (m.spec && !m.spec.outOfTree && !m.spec.deprecated) continue;
          const nameSpan = { ...m.headSpan };
          if (m.spec?.outOfTree) {
            report({ message: `match ${m.module} is not part of iptables (it comes from xtables-addons); the kernel refuses it unless that package is installed`, span: nameSpan, severity: "warning" });
            continue;
          }
          if (m.spec?.deprecated && /removed from/.test(m.spec.deprecated)) {
            report({ message: `match ${m.module} is gone: ${m.spec.deprecated}; the kernel refuses the rule`, span: nameSpan });
            continue;
          }
          if (m.spec || isDynamicName(ast, m.module)) continue;
          if (matchExistsInOtherFamily(m.module, ast.family)) {
            const other = ast.family === "ipv4" ? "ip6tables" : "iptables";
            report({ message: `match ${m.module} exists only in ${other}${m.module === "icmp" ? "; use -m icmp6 --icmpv6-type" : m.module === "icmp6" ? "; use -m icmp --icmp-type" : ""}`, span: nameSpan });
            continue;
          }
          const guess = didYouMean(m.module, matchNames(ast.family));
          report({ message: `unknown match "${m.module}"${guess ? `; did you mean -m ${guess}?` : ""}`, span: nameSpan });
        }
      },
    };
  },
});
