import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "redundant-rule";
const filter = (lines: string[], policy = "ACCEPT") => `*filter\n:INPUT ${policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:other - [0:0]\n${lines.join("\n")}\nCOMMIT\n`;
const lines = (text: string) => run(ID, text).map((d) => d.span.line);

describe(ID, () => {
  it("finds a narrow rule under a wider one with the same verdict", () => {
    const [d] = run(ID, filter(["-A INPUT -s 203.0.113.7/32 -p tcp --dport 22 -j DROP", "-A INPUT -s 203.0.113.0/24 -j DROP"]));
    expect(d!.span.line).toBe(6);
    expect(d!.message).toMatch(/would still get DROP from the rule at line 7/);
    expect(d!.related![0]!.span.line).toBe(7);
  });

  it("uses the union of the rules below, steps over LOG, stops at anything that may change the fate", () => {
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j DROP", "-A INPUT -s 10.0.0.0/9 -j DROP", "-A INPUT -s 10.128.0.0/9 -j DROP"]))).toEqual([6]);
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j DROP", "-A INPUT -j LOG", "-A INPUT -s 10.0.0.0/8 -j DROP"]))).toEqual([6]);
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j DROP", "-A INPUT -s 10.1.2.0/24 -j ACCEPT", "-A INPUT -s 10.0.0.0/8 -j DROP"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j DROP", "-A INPUT -j other", "-A INPUT -s 10.0.0.0/8 -j DROP"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j REJECT", "-A INPUT -s 10.0.0.0/8 -j REJECT --reject-with tcp-reset"]))).toEqual([]);
  });

  it("does not count the chain policy, nor rules it cannot evaluate", () => {
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j DROP"], "DROP"))).toEqual([]);
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -j DROP", "-A INPUT -s 10.0.0.0/8 -m limit --limit 1/sec -j DROP"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -s 10.1.0.0/16 -m limit --limit 1/sec -j DROP", "-A INPUT -s 10.0.0.0/8 -j DROP"]))).toEqual([]);
  });

  it("leaves duplicates to unreachable-rule", () => {
    const text = filter(["-A INPUT -s 10.0.0.0/8 -j DROP", "-A INPUT -s 10.0.0.0/8 -j DROP"]);
    expect(lines(text)).toEqual([]);
    expect(run("unreachable-rule", text).map((d) => d.span.line)).toEqual([7]);
  });
});
