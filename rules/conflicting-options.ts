import type { Match, Option, Target } from "../src/ast/iptables.js";
import type { OptionSpec } from "../src/catalog/types.js";
import { defineRule } from "../src/rule.js";
import { holderLabel } from "../src/validity/rules-util.js";

export default defineRule({
  id: "conflicting-options",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "An option is given twice in one match or target, combined with an option it excludes, or in a combination iptables refuses or silently changes",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "Within one `-m NAME` (or target) most options may appear once, and some exclude each other (`--set-mark` with `--set-xmark`, `--random` with `--random-fully`, `--mss` ranges…). iptables refuses the file (`option \"--mark\" can only be used once`, `Only one '--destination-port' allowed`). To test two values, load the match twice (`-m conntrack --ctstate NEW -m conntrack --ctstatus ASSURED`) or use a list.\n\nOnce it has read all options of an extension, iptables checks them together: `-m statistic --mode random` needs `--probability` and `--mode nth` needs `--every` and `--packet` (below `--every`); `-m time --contiguous` needs a `--timestop` before `--timestart`; `-m policy --strict` needs every element between `--next` to name something, and `--tunnel-src` needs `--mode tunnel` in its element; `-m rt` needs `--rt-type 0` before `--rt-0-res`; `-m string --from` beyond `--to` is refused by the kernel; with a byte rate (`--hashlimit-upto 2kb/s`) hashlimit's burst is in bytes and may not be below the rate. What iptables accepts but changes is a warning: `--rsource` and `--rdest` together (the last wins), `--ecn-ip-ect` before `--ecn-tcp-remove` (dropped), CONNMARK's `--mask`/`--ctmask`/`--nfmask` with `--set-mark` and the other mark operations (they replace the mark's mask or do nothing), `-m policy --pol none` with element options (dropped), and a `-m time` date window that ends before it starts (it never matches).",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 --dport 2222 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m multiport --dports 22,2222 -j ACCEPT\nCOMMIT\n",
  },
  create({ ast, report }) {
    const check = (options: readonly Option[], holder: Match | Target) => {
      // a list of one option needs no map (most matches have one)
      if (options.length === 1) {
        const spec: OptionSpec | undefined = options[0]!.spec;
        const needs = spec?.requiresAnyOf;
        if (needs?.length && !needs.includes(spec!.name)) report({ message: `${options[0]!.written} needs ${needs.join(" or ")} in ${holderLabel(holder)}`, span: options[0]!.nameSpan });
        return;
      }
      const seen = new Map<string, Option>();
      for (const o of options) {
        const spec: OptionSpec | undefined = o.spec;
        if (!spec) continue;
        const prev = seen.get(spec.name);
        if (prev && !spec.repeatable) {
          report({ message: `${o.written} is given twice in ${holderLabel(holder)}; it can be used only once (load the match again for a second test)`, span: o.nameSpan, related: [{ span: prev.nameSpan, message: "first given here" }] });
          continue;
        }
        for (const c of spec.conflicts ?? []) {
          const other = seen.get(c);
          if (other) report({ message: `${o.written} cannot be combined with ${other.written} in ${holderLabel(holder)}`, span: o.nameSpan, related: [{ span: other.nameSpan, message: `${other.written} given here` }] });
        }
        seen.set(spec.name, o);
      }
      for (const o of options) {
        const spec: OptionSpec | undefined = o.spec;
        const needs = spec?.requiresAnyOf;
        if (needs?.length && !needs.some((n) => seen.has(n))) report({ message: `${o.written} needs ${needs.join(" or ")} in ${holderLabel(holder)}`, span: o.nameSpan });
      }
    };
    // the extension's final check (src/catalog/final.ts): only a few extensions have one
    const final = (options: readonly Option[], holder: Match | Target) => {
      // the Option nodes are GivenOptions themselves: nothing is copied for the many rules that pass
      for (const p of holder.spec!.finalCheck!(options, ast.family)) {
        const at = p.at !== undefined && p.at >= 0 ? options[p.at] : undefined;
        report({
          message: `${holderLabel(holder)}: ${p.message}`,
          span: at ? at.nameSpan : holder.kind === "Match" ? holder.headSpan : holder.nameSpan,
          ...(p.severity ? { severity: p.severity } : {}),
          ...(p.stage ? { stage: p.stage } : {}),
        });
      }
    };
    return {
      rule(rule) {
        for (const m of rule.matches) {
          if (m.options.length) check(m.options, m);
          if (m.spec?.finalCheck) final(m.options, m);
        }
        const t = rule.target;
        if (t?.options.length) check(t.options, t);
        if (t?.spec?.finalCheck) final(t.options, t);
      },
    };
  },
});
