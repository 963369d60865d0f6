import { implicitMatchFor } from "../src/catalog/index.js";
import { extensionsDefining } from "../src/catalog/index.js";
import type { Suggestion } from "../src/diagnostic.js";
import { defineRule } from "../src/rule.js";
import { quoteList } from "../src/validity/base.js";
import { afterUnknownMatch, insertionPoint, protocolOf } from "../src/validity/rules-util.js";

export default defineRule({
  id: "option-requires-match",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "An option is used without loading the match or target extension that provides it",
  tags: ["validity", "docker"],
  precision: "very-high",
  fixable: "code",
  docs: {
    rationale: [
      "iptables only knows an extension's options after the extension is loaded: `-m iprange` before `--src-range`,",
      "`-m conntrack` before `--ctstate`, `-p tcp` (which loads the tcp match) before `--dport`, `-j DNAT` before",
      "`--to-destination`. Without it `iptables-restore` stops with `unknown option \"--src-range\"` and the whole file",
      "is refused. Docker's documentation warns about exactly this for DOCKER-USER rules. The diagnostic carries a",
      "suggested fix that inserts the missing `-m NAME` (or `-p PROTO`) in front of the option. `fwlint --fix` inserts",
      "the match when only one extension has the option (`-m iprange`, `-m conntrack`, `-m multiport` after `-p tcp`);",
      "where several could (`--dport` without `-p`) the choice is left to you.",
    ].join(" "),
    bad: "*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -i eth0 ! --src-range 192.168.1.1-192.168.1.3 -j DROP\nCOMMIT\n",
    good: "*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -m iprange -i eth0 ! --src-range 192.168.1.1-192.168.1.3 -j DROP\nCOMMIT\n",
  },
  create({ ast, report }) {
    return {
      rule(rule) {
        // one `-m NAME` per rule: it serves every later option of the match too (`--ctstate … --ctdir …`)
        const loading = new Set<string>();
        for (const o of rule.orphans) {
          const owners = extensionsDefining(o.written, ast.family);
          if (owners.length === 0 || afterUnknownMatch(rule, o)) continue;
          const at = insertionPoint(o);
          // protocol matches in protocol-number order (tcp, udp before dccp, sctp), the others as catalogued
          const matches = owners.filter((e) => e.spec.type === "match").sort((a, b) => Math.min(...(a.spec.protocols ?? [0])) - Math.min(...(b.spec.protocols ?? [0])));
          const targets = owners.filter((e) => e.spec.type === "target");
          const suggestions: Suggestion[] = [];
          const needs: string[] = [];
          const proto = protocolOf(rule);
          // `-p $PROTO --dport 22`: the protocol, and so the implicit match, is unknown
          if (proto?.option.valueDynamic(0) && matches.some((m) => m.spec.protocols?.length)) continue;
          let note = "";
          for (const m of matches) {
            const protocols = m.spec.protocols;
            if (protocols && protocols.length) {
              const implicitName = m.spec.implicitFor?.find((p) => !/^\d+$/.test(p));
              if (proto && proto.number !== undefined && !protocols.includes(proto.number)) {
                // the rule's protocol does not have this option (e.g. --dport with -p icmp)
                needs.push(implicitName ? `-p ${implicitName}` : `-m ${m.spec.name}`);
                note = ` (this rule matches -p ${proto.option.valueText(0)!})`;
                continue;
              }
              if (!proto && implicitName && implicitMatchFor(implicitName, ast.family) === m) {
                needs.push(`-p ${implicitName}`);
                suggestions.push({ desc: `Insert "-p ${implicitName}" before ${o.written}`, fix: { range: [at, at], text: `-p ${implicitName} ` } });
                continue;
              }
              needs.push(`-m ${m.spec.name}`);
              if (proto && proto.number !== undefined && protocols.includes(proto.number)) {
                suggestions.push({ desc: `Insert "-m ${m.spec.name}" before ${o.written}`, fix: { range: [at, at], text: `-m ${m.spec.name} ` } });
              } else if (!proto) {
                const p = m.spec.implicitFor?.find((x) => !/^\d+$/.test(x));
                if (p) suggestions.push({ desc: `Insert "-p ${p} -m ${m.spec.name}" before ${o.written}`, fix: { range: [at, at], text: `-p ${p} -m ${m.spec.name} ` } });
              }
              continue;
            }
            needs.push(`-m ${m.spec.name}`);
            suggestions.push({ desc: `Insert "-m ${m.spec.name}" before ${o.written}`, fix: { range: [at, at], text: `-m ${m.spec.name} ` } });
          }
          for (const t of targets) {
            needs.push(`-j ${t.spec.name}`);
            if (!rule.target) suggestions.push({ desc: `Add "-j ${t.spec.name}" before ${o.written}`, fix: { range: [at, at], text: `-j ${t.spec.name} ` } });
          }
          const what = targets.length && !matches.length ? "target" : "match";
          const message = `${o.written} needs ${quoteList([...new Set(needs)])} before it${note}: iptables does not know the option until the ${what} that provides it is loaded`;
          // --fix loads the one match the option can come from (`-m iprange` before `--src-range`); a choice
          // between extensions, or a protocol or target to add, changes what the rule means and stays a suggestion
          let only = new Set(needs).size === 1 && suggestions.length === 1 && suggestions[0]!.fix.text.startsWith("-m ") ? suggestions[0]!.fix : undefined;
          if (only && loading.has(only.text)) only = undefined;
          else if (only) loading.add(only.text);
          report({ message, span: o.nameSpan, ...(only ? { fix: only } : {}), suggestions: suggestions.slice(0, 4) });
        }
      },
    };
  },
});
