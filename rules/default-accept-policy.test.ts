import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "default-accept-policy";
const input = (policy: string, lines: readonly string[]) => `*filter\n:INPUT ${policy} [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.map((l) => `-A INPUT ${l}`).join("\n")}\nCOMMIT\n`;
const found = (text: string) => run(ID, text);

describe(ID, () => {
  it("reports an allowlist over an ACCEPT policy at the policy, with the rules that allow nothing", () => {
    const [d, ...rest] = found(input("ACCEPT", ["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -m multiport --dports 80,443 -j ACCEPT"]));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(2);
    expect(d!.message).toMatch(/^INPUT's policy is ACCEPT and nothing below drops what the ACCEPT rules at lines 7, 8 let in: they allow nothing the policy would not/);
    expect(d!.related!.map((r) => r.span.line)).toEqual([7, 8]);
  });

  it("says nothing with a DROP policy or a final DROP or REJECT", () => {
    expect(found(input("DROP", ["-p tcp -m tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    expect(found(input("ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-j REJECT --reject-with icmp-port-unreachable"]))).toEqual([]);
    expect(found(input("ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -j DROP"]))).toEqual([]);
  });

  it("reports only the rules whose packets reach the policy: a DROP below for some keeps the others", () => {
    const [d] = found(input("ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-p udp -m udp --dport 53 -j ACCEPT", "-p tcp -j DROP"]));
    expect(d!.message).toMatch(/the ACCEPT rule at line 6 lets in: it allows/);
  });

  it("leaves blocklists, exceptions to a DROP, loopback and replies alone", () => {
    expect(found(input("ACCEPT", ["-s 203.0.113.0/24 -j DROP", "-p tcp -m tcp --dport 23 -j DROP"]))).toEqual([]);
    expect(found(input("ACCEPT", ["-s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -m tcp --dport 22 -j DROP"]))).toEqual([]);
    expect(found(input("ACCEPT", ["-i lo -j ACCEPT", "-m state --state RELATED,ESTABLISHED -j ACCEPT", "-s 203.0.113.0/24 -j DROP"]))).toEqual([]);
  });

  it("checks OUTPUT the same way: an egress allowlist over an ACCEPT policy", () => {
    const out = (lines: readonly string[]) => `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.map((l) => `-A OUTPUT ${l}`).join("\n")}\nCOMMIT\n`;
    const [d, ...rest] = found(out(["-o lo -j ACCEPT", "-p tcp -m tcp --dport 443 -j ACCEPT", "-p udp -m udp --dport 53 -j ACCEPT"]));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(4);
    expect(d!.message).toMatch(/^OUTPUT's policy is ACCEPT and nothing below drops what the ACCEPT rules at lines 6, 7 let out/);
    expect(found(out(["-o lo -j ACCEPT", "-p tcp -m tcp --dport 443 -j ACCEPT", "-j REJECT"]))).toEqual([]);
  });

  it("does not claim over matches it cannot evaluate, nor when the file does not set the policy", () => {
    expect(found(input("ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-m recent --rcheck --name bad -j DROP"]))).toEqual([]);
    expect(found(input("ACCEPT", ["-p tcp -m tcp --dport 22 -m limit --limit 5/min -j ACCEPT"]))).toEqual([]);
    expect(run(ID, "iptables -A INPUT -p tcp --dport 22 -j ACCEPT\n", { kind: "script" })).toEqual([]);
    expect(run(ID, "iptables -P INPUT ACCEPT\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n", { kind: "script" }).map((x) => x.span.line)).toEqual([1]);
  });
});
