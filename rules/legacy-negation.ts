import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "legacy-negation",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "Negation written after the option (`-s ! 10.0.0.1`), the syntax iptables dropped in 1.4.3",
  tags: ["validity"],
  precision: "very-high",
  fixable: "code",
  docs: {
    rationale:
      "Before iptables 1.4.3 a negation could follow the option (`-s ! 10.0.0.1`, `--dport ! 22`). Current iptables takes the `!` as the option's value and refuses the file (`Bad argument`, `invalid port/service '!'`). Old tutorials and dumps still carry it; write `! -s 10.0.0.1` (`fwlint --fix` moves the `!`).",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s ! 10.0.0.0/8 -j DROP\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ! -s 10.0.0.0/8 -j DROP\nCOMMIT\n",
  },
  create({ report }) {
    return {
      option(o) {
        if (o.negation !== "legacy" || !o.bangSpan) return;
        const bang = o.bangSpan;
        const fix = { range: [o.span.offset, o.span.endOffset] as const, text: `! ${o.written} ${o.values.map((v) => v.raw).join(" ")}` };
        report({
          message: `"${o.written} !" is the pre-1.4.3 negation syntax; iptables now reads "!" as the value of ${o.written}. Write "! ${o.written} ${o.values.map((v) => v.raw).join(" ")}"`,
          span: bang,
          fix,
          suggestions: [{ desc: `Move "!" before ${o.written}`, fix }],
        });
      },
    };
  },
});
