import type { Family, Match, Option, Ruleset, Target } from "../src/ast/iptables.js";
import { PROTOCOLS, parsePortRange } from "../src/catalog/index.js";
import type { OptionSpec } from "../src/catalog/types.js";
import { defineRule, type RuleContext } from "../src/rule.js";
import { legacyOnlyError, quoteList } from "../src/validity/base.js";
import { hasDynamicWords, holderLabel, protocolOf, valueConstraint } from "../src/validity/rules-util.js";

function protocolName(n: number): string {
  return Object.entries(PROTOCOLS).find(([, v]) => v === n)?.[0] ?? String(n);
}

export default defineRule({
  id: "match-needs-protocol",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A protocol-specific match, target or option is used without the matching -p",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "Protocol matches check the rule's protocol: `-m tcp` needs `-p tcp`, `-m multiport` needs a protocol with ports, `--reject-with tcp-reset` needs `-p tcp`. Without it iptables or the kernel refuses the rule (`TCP match requires '-p tcp'`, `RULE_APPEND failed (Invalid argument)`). A negated protocol does not count: `! -p icmp -m icmp --icmp-type 8` is refused too. The one case nf_tables accepts, a tcp or udp match on ports or flags (`! -p tcp -m tcp --dport 22`), is a warning: the legacy backend refuses it, and nf_tables then tests port 22 in the header of every protocol but TCP (`meta l4proto != tcp th dport 22`). It is an error when the file says it was saved by the legacy backend. Order matters for multiport: it checks the protocol while it reads its ports, so `-m multiport --dports 80 -p tcp` is refused. A CT target's `--helper` needs the protocol its helper is for (`ftp` needs `-p tcp`, `tftp` `-p udp`). The TCPMSS target needs a tcp match of SYN packets (`--tcp-flags SYN,RST SYN`): the legacy backend refuses it otherwise, nf_tables takes it (a warning, an error in a legacy dump).",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m tcp --dport 53 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 53 -j ACCEPT\nCOMMIT\n",
  },
  create({ ast, report }) {
    return {
      rule(rule) {
        if (hasDynamicWords(rule)) return;
        const proto = protocolOf(rule);
        // a -p the catalog cannot resolve (an /etc/protocols name) is not judged
        if (proto !== undefined && proto.number === undefined) return;
        for (const m of rule.matches) {
          const list = m.spec?.protocols;
          if (!list?.length) continue;
          if (has(proto, list)) {
            // multiport checks the protocol while it reads its ports: a -p written after them comes too late
            const late = m.module === "multiport" ? m.options.find((o) => o.span.offset < proto!.option.span.offset) : undefined;
            if (late) report({ message: `-p ${proto!.option.valueText(0)!} comes after ${late.written}: multiport checks the protocol when it reads ${late.written}, so iptables refuses the rule ("multiport needs -p tcp, …"). Put -p before -m multiport`, span: m.headSpan });
            continue;
          }
          if (proto?.negated && translatedByNft(m)) {
            const severity = legacyOnlyError(ast);
            report({
              stage: "kernel",
              message: `match ${m.module} on a negated protocol (${given(proto)}): the legacy backend refuses the rule${severity === "error" ? "" : `; nf_tables accepts it, and then tests the bytes where ${m.module.toUpperCase()} keeps ${m.module === "tcp" ? "its ports and flags" : "its ports"} in the header of every other protocol`}. Give the protocol the match is for: -p ${m.module}`,
              span: m.headSpan,
              severity,
            });
            continue;
          }
          report({ message: `match ${m.module} needs ${needs(list)} (${given(proto)}); the kernel refuses it otherwise`, span: m.headSpan, ...stageOf(m) });
        }
        const t = rule.target;
        // a port in a NAT range (--to-destination 10.0.0.2:80) needs some -p, any protocol, even negated
        if (!proto && t) {
          for (const o of t.options) {
            const v = o.valueText(0);
            if (o.spec?.kinds?.[0] !== "nat-range" || v === undefined || o.valueDynamic(0)) continue;
            const port = v.startsWith("[") ? /\]:./.test(v) : ast.family === "ipv4" && v.includes(":");
            if (port) report({ message: `the port in ${o.written} ${v} needs -p tcp, udp, sctp or dccp on the rule ("Need TCP, UDP, SCTP or DCCP with port specification")`, span: o.values[0]!.span });
          }
        }
        if (t?.spec?.protocols?.length && !has(proto, t.spec.protocols)) {
          report({ message: `target ${t.name} needs ${needs(t.spec.protocols)} (${given(proto)}); the kernel refuses it otherwise`, span: t.nameSpan, ...stageOf(t) });
        }
        if (t?.spec?.legacyNeedsSynMatch && has(proto, [6]) && !matchesSynOnly(rule.matches)) {
          const severity = legacyOnlyError(ast);
          report({
            stage: "kernel",
            message: `target ${t.name} needs the rule to match TCP SYN packets (-m tcp --tcp-flags SYN,RST SYN, or --syn): the legacy backend refuses it ("Only works on TCP SYN packets")${severity === "error" ? "" : "; nf_tables accepts it"}`,
            span: t.nameSpan,
            severity,
          });
        }
        for (const m of rule.matches) for (const o of m.options) checkOption(o, m, proto, ast.family, report);
        if (t) for (const o of t.options) checkOption(o, t, proto, ast.family, report);
      },
    };
  },
});

type Protocol = ReturnType<typeof protocolOf>;

// Checked on the kernel, both backends: a negated protocol is refused by protocol matches (`! -p icmp -m icmp`,
// multiport, tcpmss, ECN's TCP options), targets (TPROXY, TCPMSS) and per-value constraints (--reject-with
// tcp-reset); only options marked negatedProtocolOk (--to-ports) take it. One exception, nf_tables only: see
// translatedByNft.
// (Plain functions, and texts made only for a finding: closures and strings per rule were garbage on 100k rules.)
const has = (proto: Protocol, list: readonly number[]) => proto?.number !== undefined && !proto.negated && list.includes(proto.number);
/** The rule's -p satisfies an option that needs one of `spec.protocols`. */
const satisfies = (proto: Protocol, spec: OptionSpec) => (proto?.negated === true && spec.negatedProtocolOk === true) || has(proto, spec.protocols!);

/**
 * iptables-nft turns a tcp or udp match into nftables' own expressions when it can (`th dport 22`, TCP flags as
 * header bytes), and then the kernel never sees the match's protocol check: `! -p tcp -m tcp --dport 22` is
 * accepted and becomes `meta l4proto != tcp th dport 22`. It can for ports (all but an unnegated 0:65535),
 * --syn and --tcp-flags with a mask; a match with --tcp-option, or with nothing it translates, stays an xtables
 * match and is refused like on the legacy backend (each case checked with iptables-restore 1.8.9).
 */
function translatedByNft(m: Match): boolean {
  if (m.module !== "tcp" && m.module !== "udp") return false;
  let translated = false;
  for (const o of m.options) {
    switch (o.name) {
      case "--sport":
      case "--dport": {
        const range = parsePortRange(o.valueText(0) ?? "", m.module);
        if (o.negated || range === null || range.from !== 0 || range.to !== 65535) translated = true;
        break;
      }
      case "--syn":
        translated = true;
        break;
      case "--tcp-flags":
        if (o.valueText(0) !== "NONE") translated = true;
        break;
      default:
        return false;
    }
  }
  return translated;
}
/**
 * The rule has a tcp match that tests for SYN (the flags that must be set include SYN, not negated), as the
 * legacy kernel requires of a target with `legacyNeedsSynMatch` (xt_TCPMSS: "Only works on TCP SYN packets").
 */
function matchesSynOnly(matches: readonly Match[]): boolean {
  for (const m of matches) {
    if (m.module !== "tcp") continue;
    for (const o of m.options) {
      if (o.negated || o.valueDynamic(1)) continue;
      if (o.name === "--syn") return true;
      if (o.name === "--tcp-flags" && (o.valueText(1) ?? "").split(",").some((f) => f === "SYN" || f === "ALL")) return true;
    }
  }
  return false;
}

const KERNEL = { stage: "kernel" } as const;
const TRANSLATE = { stage: "translate" } as const;

/**
 * Who refuses an extension without its protocol (checked with a rule taken out again): iptables itself for
 * multiport; iptables-nft while it translates a tcp or udp match it can translate (the legacy backend leaves
 * that to the kernel); otherwise the kernel.
 */
function stageOf(x: Match | Target): { readonly stage?: "translate" | "kernel" } {
  if (x.spec?.protocolsCheckedByIptables) return {};
  return x.kind === "Match" && translatedByNft(x) ? TRANSLATE : KERNEL;
}
const needs = (list: readonly number[]) => quoteList(list.map((n) => `-p ${protocolName(n)}`));
const given = (proto: Protocol) => (proto ? `this rule has ${proto.negated ? "! " : ""}-p ${proto.option.valueText(0)!}` : "this rule has no -p");

function checkOption(o: Option, holder: Match | Target, proto: Protocol, family: Family, report: RuleContext<Ruleset>["report"]): void {
  const spec: OptionSpec | undefined = o.spec;
  if (!spec) return;
  if (spec.protocols?.length && !satisfies(proto, spec)) {
    report({ message: `${o.written} (${holderLabel(holder)}) needs ${needs(spec.protocols)} (${given(proto)})`, span: o.nameSpan, ...(spec.protocolsCheckedByIptables ? {} : KERNEL) });
    return;
  }
  const byValue = spec.valueConstraints ? valueConstraint(o, family, holder.spec?.name)?.protocols : undefined;
  if (byValue?.length && !has(proto, byValue)) report({ message: `${o.written} ${o.valueText(0)!} (${holderLabel(holder)}) needs ${needs(byValue)} (${given(proto)})`, span: o.values[0]!.span, ...KERNEL });
}
