import { describe, expect, it } from "vitest";
import { parse } from "../src/parse/index.js";

const deleteFinds = (added: string, deleted: string) => {
  const rs = parse(`*filter\n${added}\n${deleted}\nCOMMIT\n`, { format: "save", family: "ipv4" });
  return !rs.diagnostics.some((d) => d.code === "delete-not-found") && rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules.length === 0;
};

describe("-D compares rules the way iptables does", () => {
  it("ignores counters", () => {
    expect(deleteFinds("-A INPUT -c 5 300 -i lo -j ACCEPT", "-D INPUT -i lo -j ACCEPT")).toBe(true);
    expect(deleteFinds("[5:300] -A INPUT -i lo -j ACCEPT", "-D INPUT -i lo -j ACCEPT")).toBe(true);
  });
  it("compares canonical values", () => {
    expect(deleteFinds("-A INPUT -p 6 --dport ssh -s 10.0.0.1 -j ACCEPT", "-D INPUT -p tcp --dport 22 -s 10.0.0.1/32 -j ACCEPT")).toBe(true);
    expect(deleteFinds("-A INPUT -p tcp --destination-port 22 -j ACCEPT", "-D INPUT -p tcp -m tcp --dport 22 -j ACCEPT")).toBe(true);
  });
  it("still tells different rules apart", () => {
    expect(deleteFinds("-A INPUT -p tcp --dport 22 -j ACCEPT", "-D INPUT -p tcp --dport 23 -j ACCEPT")).toBe(false);
    expect(deleteFinds("-A INPUT -s 10.0.0.1 -j ACCEPT", "-D INPUT ! -s 10.0.0.1 -j ACCEPT")).toBe(false);
  });
});

describe("script words with unknown expansions", () => {
  it("are kept as strays without a diagnostic: $EXTRA may stand for options", () => {
    const rs = parse("iptables -A INPUT $EXTRA -j ACCEPT\niptables -A INPUT extra -j ACCEPT\n", { format: "script", family: "ipv4" });
    const rules = rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules;
    expect(rules[0]!.strays.map((w) => [w.text, w.dynamic])).toEqual([["$EXTRA", true]]);
    expect(rs.diagnostics.map((d) => [d.span.line, d.code])).toEqual([[2, "unexpected-argument"]]);
  });
});

describe("a literal dollar in a script word", () => {
  it("is not an expansion when nothing that expands follows it", () => {
    const rs = parse('iptables -A INPUT -j CH$\niptables -A INPUT -m comment --comment "costs 5$ only" -j ACCEPT\n', { format: "script", family: "ipv4" });
    const rules = rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules;
    expect(rules[0]!.target!.name).toBe("CH$");
    expect(rules[1]!.matches[0]!.options[0]!.values[0]!.dynamic ?? false).toBe(false);
  });
});
