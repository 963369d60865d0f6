import { ruleOptions, type Option, type Rule } from "../src/ast/iptables.js";
import type { Span } from "../src/ast/span.js";
import { optionText, type CompiledMatch, type SetTest } from "../src/model/compile.js";
import { F } from "../src/model/fields.js";
import { compiledModelOf, MODEL_ANALYSIS } from "../src/model/index.js";
import { expansionsEnd, type KRule } from "../src/model/model.js";
import { defineRule } from "../src/rule.js";

/** What a field's values are, for the message ("… leave no source address"). */
const WHAT: Readonly<Record<number, string>> = {
  [F.SRC]: "source address",
  [F.DST]: "destination address",
  [F.PROTO]: "protocol",
  [F.SPORT]: "source port",
  [F.DPORT]: "destination port",
  [F.ICMP]: "ICMP type",
  [F.FLAGS]: "combination of TCP flags",
  [F.IIF]: "input interface",
  [F.OIF]: "output interface",
  [F.STATE]: "conntrack state",
  [F.CTDIR]: "conntrack direction",
  [F.CTORIGSRC]: "original source address of the connection",
  [F.CTORIGDST]: "original destination address of the connection",
  [F.CTREPLSRC]: "reply source address of the connection",
  [F.CTREPLDST]: "reply destination address of the connection",
  [F.CTORIGSRCPORT]: "original source port of the connection",
  [F.CTORIGDSTPORT]: "original destination port of the connection",
  [F.CTREPLSRCPORT]: "reply source port of the connection",
  [F.CTREPLDSTPORT]: "reply destination port of the connection",
  [F.MARK]: "packet mark",
  [F.CONNMARK]: "connection mark",
  [F.FRAG]: "fragment",
};

const isStateOption = (text: string) => /^(! )?--(ct)?state\b/.test(text);

interface Contradiction {
  readonly test: SetTest | null;
  readonly message: string;
}

/**
 * Why a compiled expansion matches no packet, or null. Only what the rule certainly tests counts (never an
 * address type assumed without the host's addresses; never `--ctproto`, a test the model makes apart from
 * `-p`: an ICMP error RELATED to a TCP connection has -p icmp and --ctproto tcp).
 */
function contradiction(m: CompiledMatch): Contradiction | null {
  if (m.never !== null) return { test: null, message: `${m.never} matches no packet` };
  for (const t of m.certain) {
    if (!t.set.isEmpty) continue;
    const parts = t.parts;
    const what = WHAT[t.f] ?? "value";
    const quoted = parts.map((p) => `\`${p}\``);
    const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
    const needsConnection =
      t.f === F.STATE && parts.some((p) => !isStateOption(p))
        ? " (conntrack's options on the connection, such as --ctorigdst, match only packets with a connection: NEW, ESTABLISHED or RELATED)"
        : "";
    return { test: t, message: `${list} ${quoted.length === 1 ? "leaves" : "together leave"} no ${what}${needsConnection}` };
  }
  return null;
}

/** The rule's own options with these texts (a compiled match may be shared by rules written alike). */
function optionsOf(rule: Rule, texts: readonly string[]): Option[] {
  const all = [...ruleOptions(rule)];
  const out: Option[] = [];
  for (const text of texts) {
    const o = all.find((x) => !out.includes(x) && optionText(x) === text);
    if (o) out.push(o);
  }
  return out;
}

/** The match an option belongs to (or the rule itself for -s, -d, -p, -i, -o). */
function ownerOf(rule: Rule, o: Option): object {
  for (const m of rule.matches) if (m.options.includes(o)) return m;
  return rule;
}

export default defineRule({
  id: "unmatchable-rule",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "warning",
  description: "No packet can match this rule: its own conditions contradict each other",
  tags: ["dead-rule", "correctness"],
  precision: "very-high",
  docs: {
    rationale: [
      "A rule matches a packet only when every one of its conditions holds. When two of them ask for values no packet has at once, such as `-s 10.0.0.0/8` with `-m iprange --src-range 192.168.0.1-192.168.0.9`, `--dport 22` with `-m multiport --dports 80,443`, or `--ctstate NEW` with `-m state --state ESTABLISHED`, the kernel loads the rule and it never matches: whatever it was meant to allow or block is not done, and nothing says so (its counters stay at zero).",
      "fwlint intersects, field by field, the sets of values the rule's options accept (negation included), as the kernel tests them; it names the options that leave nothing. It counts only what the rule certainly tests: matches it cannot evaluate (limit, recent, set, …) never make a claim, and address types (`-m addrtype`) count only when the host's addresses are given as facts.",
      "Conntrack's options on the connection (`--ctorigsrc`, `--ctorigdstport`, `--ctdir`, …) match only packets that have a connection, so with `--ctstate INVALID` in another match they leave nothing either.",
      "Rules that could match but come after rules that already decide their packets are reported by `unreachable-rule`.",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/8 -m iprange --src-range 192.168.0.1-192.168.0.9 -j DROP\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m iprange --src-range 192.168.0.1-192.168.0.9 -j DROP\nCOMMIT\n",
    exceptions: "`--ctproto` is not compared with `-p`: an ICMP error related to a TCP connection has both `-p icmp` and `--ctproto tcp`.",
  },
  check(ctx) {
    const model = compiledModelOf(ctx);
    for (const ch of model.chains) {
      const rules: readonly KRule[] = ch.rules;
      for (let i = 0; i < rules.length; ) {
        const rule = rules[i]!.rule;
        const end = expansionsEnd(rules, i);
        // the rule matches nothing when none of its expansions does
        let first: Contradiction | null = null;
        for (; i < end; i++) {
          const c = contradiction(rules[i]!.match);
          if (c === null) break;
          first ??= c;
        }
        if (i < end) {
          i = end;
          continue;
        }
        if (first === null) continue;
        const options = first.test ? optionsOf(rule, first.test.parts) : [];
        // Options of one match that contradict each other (`-m tcp --dport 22 --dport 2222`, `--syn` with
        // `--tcp-flags`) make iptables refuse the rule: conflicting-options reports that.
        if (options.length > 1 && first.test && options.length === first.test.parts.length && new Set(options.map((o) => ownerOf(rule, o))).size === 1) continue;
        const related: { span: Span; message: string }[] = options.map((o) => ({ span: o.span, message: `This option allows only some ${WHAT[first!.test!.f] ?? "value"}s` }));
        ctx.report({ message: `Rule can never match: ${first.message}`, span: rule.span, ...(related.length > 1 ? { related } : {}) });
      }
    }
  },
});
