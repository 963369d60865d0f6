import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "negation-not-allowed",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "`!` before an option that cannot be negated",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale:
      "Only match options can be inverted, and not all of them: `! --log-prefix`, `! --to-destination`, `! --comment` make iptables refuse the file (`option \"--log-prefix\" cannot be inverted`). The catalog records which options accept `!`.",
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LOG ! --log-prefix \"in: \"\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LOG --log-prefix \"in: \"\nCOMMIT\n",
  },
  create({ report }) {
    return {
      option(o) {
        if (o.negation !== "prefix" || !o.bangSpan || !o.spec || o.spec.negatable) return;
        report({
          message: `${o.written} cannot be inverted with "!"`,
          span: o.bangSpan,
          suggestions: [{ desc: `Remove the "!"`, fix: { range: [o.bangSpan.offset, o.nameSpan.offset], text: "" } }],
        });
      },
    };
  },
});
