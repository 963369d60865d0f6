import { describe, expect, it } from "vitest";
import { lintFiles } from "../src/lint.js";
import { run } from "../test/support/rule-run.js";

const ID = "stale-accept-rule";
const filter = (policies: string, chains: string[], lines: string[]) =>
  `*filter\n${policies}\n${chains.map((c) => `:${c} - [0:0]\n`).join("")}${lines.join("\n")}\nCOMMIT\n`;
const POLICIES = ":INPUT DROP [5210:312600]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [90211:8112044]";
const at = (text: string, minPackets?: number) => {
  const [r] = lintFiles([{ text }], { config: { rules: minPackets === undefined ? {} : { [ID]: { severity: "warning", options: { minPackets } } }, facts: {} } });
  return r!.messages.filter((m) => m.ruleId === ID).map((m) => `${m.span.line}:${m.span.column}`);
};

describe(ID, () => {
  it("reports an ACCEPT at [0:0] in a chain that saw traffic, at its counters, with how much traffic", () => {
    const text = filter(POLICIES, [], [
      "[88123:60211876] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "[412:24720] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
      "[0:0] -A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT",
      "[0:0] -A INPUT -p tcp -m tcp --dport 23 -j DROP",
    ]);
    const [d, ...rest] = run(ID, text);
    expect(rest).toEqual([]);
    expect([d!.span.line, d!.span.column, d!.span.endColumn]).toEqual([7, 1, 6]);
    expect(d!.message).toBe(
      "ACCEPT rule matched no packet since the counters were reset, while packets went through chain INPUT (its rules and policy counted 93745 packets): an opening nobody uses; remove it if what it opened is gone",
    );
    expect(d!.severity).toBe("warning");
  });

  it("counts a user chain's traffic from the jumps into it; a chain no counted packet entered is left alone", () => {
    const text = filter(POLICIES, ["udp-in", "never"], [
      "[3000:180000] -A INPUT -p udp -j udp-in",
      "[0:0] -A INPUT -s 192.0.2.9/32 -j never",
      "[2990:179400] -A udp-in -p udp -m udp --dport 53 -j ACCEPT",
      "[0:0] -A udp-in -p udp -m udp --dport 123 -j ACCEPT",
      "[0:0] -A never -j ACCEPT",
    ]);
    const [d, ...rest] = run(ID, text);
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(10);
    expect(d!.message).toContain("chain udp-in (the jumps into it counted 3000 packets)");
  });

  it("reads -c counters (iptables -S -v) as well as [packets:bytes]", () => {
    const text = "-P INPUT DROP -c 4000 240000\n-A INPUT -p tcp -m tcp --dport 22 -c 1200 72000 -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 8443 -c 0 0 -j ACCEPT\n";
    expect(at(text)).toEqual(["3:37"]);
  });

  it("needs minPackets packets in the chain (1000 by default)", () => {
    const text = filter(":INPUT DROP [500:30000]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]", [], ["[40:2400] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", "[0:0] -A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT"]);
    expect(at(text)).toEqual([]);
    expect(at(text, 500)).toEqual(["6:1"]);
    expect(at(text, 541)).toEqual([]);
  });

  it("leaves alone: files without counted traffic, replies-only rules, other tables, managed chains", () => {
    // a restore file with [0:0] everywhere: nothing was counted
    expect(run(ID, filter(":INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]", [], ["[0:0] -A INPUT -j ACCEPT"]))).toEqual([]);
    // no counters at all
    expect(run(ID, filter(POLICIES, [], ["-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT"]))).toEqual([]);
    const text = filter(POLICIES.replace("FORWARD DROP [0:0]", "FORWARD DROP [8000:480000]"), ["DOCKER", "DOCKER-USER", "KUBE-SERVICES"], [
      "[5000:300000] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
      "[0:0] -A INPUT -m state --state ESTABLISHED -j ACCEPT",
      "[0:0] -A INPUT -m conntrack --ctstate RELATED -j ACCEPT",
      "[9000:540000] -A FORWARD -j DOCKER-USER",
      "[9000:540000] -A FORWARD -j DOCKER",
      "[9000:540000] -A FORWARD -j KUBE-SERVICES",
      "[0:0] -A DOCKER -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT",
      "[0:0] -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j ACCEPT",
      "[0:0] -A DOCKER-USER -s 198.51.100.0/24 -j ACCEPT",
      "[0:0] -A INPUT -m conntrack ! --ctstate ESTABLISHED -j ACCEPT",
    ]);
    // DOCKER-USER is the user's; a negated state is not replies-only
    expect(run(ID, text).map((d) => d.span.line)).toEqual([16, 17]);
    // OUTPUT: the host's own packets
    expect(run(ID, filter(POLICIES, ["out-allow"], ["[9000:540000] -A OUTPUT -j out-allow", "[0:0] -A OUTPUT -p udp -m udp --dport 68 -j ACCEPT", "[0:0] -A out-allow -p tcp -m tcp --dport 25 -j ACCEPT"]))).toEqual([]);
    const nat = "*nat\n:PREROUTING ACCEPT [7000:420000]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n[0:0] -A PREROUTING -p tcp -j ACCEPT\nCOMMIT\n";
    expect(run(ID, nat)).toEqual([]);
  });
});
