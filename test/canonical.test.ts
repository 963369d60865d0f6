/**
 * The canonical form (src/canonical.ts) without a kernel: every case of test/support/canonical-cases.ts (observed
 * on the kernel, and replayed there by test/roundtrip.test.ts) plus properties of the printer.
 */
import { describe, expect, it } from "vitest";
import type { Family, Rule } from "../src/ast/iptables.js";
import { canonicalRule, canonicalRuleLines, canonicalSaveLine, canonicalSaveLines } from "../src/canonical.js";
import { parse } from "../src/parse/index.js";
import { CANONICAL_CASES, CASE_USER_CHAIN } from "./support/canonical-cases.js";

/** The only rule of a one-rule restore file. */
function ruleOf(family: Family, table: string, chain: string, spec: string): Rule {
  const rs = parse(`*${table}\n:${CASE_USER_CHAIN} - [0:0]\n-A ${chain} ${spec}\nCOMMIT\n`, { family, format: "save" });
  const rules = rs.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
  expect(rules).toHaveLength(1);
  return rules[0]!;
}

describe("canonical form: cases observed on the kernel", () => {
  for (const c of CANONICAL_CASES) {
    it(`${c.family} ${c.table} ${c.chain} ${c.rule}`, () => {
      expect(canonicalRuleLines(ruleOf(c.family, c.table, c.chain, c.rule), c.family)).toEqual(c.expected);
    });
  }
});
