import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "output-blocks-replies";
const dump = (input: readonly string[], output: readonly string[], policies = { INPUT: "DROP", OUTPUT: "DROP" }) =>
  `*filter\n:INPUT ${policies.INPUT} [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ${policies.OUTPUT} [0:0]\n${[...input.map((l) => `-A INPUT ${l}`), ...output.map((l) => `-A OUTPUT ${l}`)].map((l) => `${l}\n`).join("")}COMMIT\n`;
const found = (text: string, facts = {}) => run(ID, text, { facts });
const IN = ["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT", "-p tcp -m multiport --dports 80,443 -j ACCEPT", "-p udp -m udp --dport 53 -j ACCEPT"];
const EGRESS = ["-o lo -j ACCEPT", "-p udp -m udp --dport 53 -j ACCEPT", "-p tcp -m tcp --dport 443 -j ACCEPT"];

describe(ID, () => {
  it("reports the ports whose replies OUTPUT drops, per protocol, at the accepting rule", () => {
    const ds = found(dump(IN, EGRESS));
    expect(ds.map((d) => d.span.line)).toEqual([7, 9]);
    expect(ds[0]!.severity).toBe("error");
    expect(ds[0]!.message).toBe(
      "This rule accepts new TCP connections to ports 22,80,443 of the host, but OUTPUT's policy DROP drops every reply the host sends back, so no connection to them can complete (for SSH: whoever restores this ruleset over SSH is locked out). Let the replies out early in OUTPUT: -A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    );
    expect(ds[1]!.message).toMatch(/^This rule accepts new UDP connections to port 53 of the host, but OUTPUT's policy DROP drops every reply/);
  });

  it("names a dropping rule, and lists it as related", () => {
    const [d] = found(dump(["-p tcp -m tcp --dport 8080 -j ACCEPT"], ["-p tcp -m tcp --sport 8080 -j REJECT --reject-with tcp-reset"], { INPUT: "DROP", OUTPUT: "ACCEPT" }));
    expect(d!.message).toMatch(/but the REJECT at line 6 \(filter OUTPUT\) drops every reply/);
    expect(d!.related!.map((r) => r.span.line)).toEqual([6]);
  });

  it("is satisfied by conntrack or state in OUTPUT, or a stateless accept of the replies' ports", () => {
    expect(found(dump(IN, ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", ...EGRESS]))).toEqual([]);
    expect(found(dump(IN, ["-m state --state ESTABLISHED -j ACCEPT", ...EGRESS]))).toEqual([]);
    expect(found(dump(IN, ["-p tcp -m multiport --sports 22,80,443 -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", ...EGRESS]))).toEqual([]);
    // one port left out
    const [d] = found(dump(IN, ["-p tcp -m multiport --sports 22,443 -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", ...EGRESS]));
    expect(d!.message).toMatch(/new TCP connections to port 80 of the host/);
    expect(d!.message).not.toMatch(/SSH/);
  });

  it("leaves a port alone that some clients can use, and hosts whose OUTPUT accepts", () => {
    expect(found(dump(IN, ["-d 10.0.0.0/8 -j ACCEPT"]))).toEqual([]);
    expect(found(dump(IN, [], { INPUT: "DROP", OUTPUT: "ACCEPT" }))).toEqual([]);
    expect(found(dump(["-p tcp -m tcp --dport 22 -j ACCEPT"], ["-m recent --rcheck --name ok -j ACCEPT"]))).toEqual([]);
  });

  it("names the raw rule that leaves the requests untracked: their replies are NEW (UDP) or INVALID (TCP)", () => {
    const raw = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK\n-A PREROUTING -p tcp -m tcp --dport 80 -j CT --notrack\nCOMMIT\n";
    const output = ["-m conntrack --ctstate RELATED,ESTABLISHED,UNTRACKED -j ACCEPT", ...EGRESS];
    const ds = found(raw + dump(IN, output));
    expect(ds.map((d) => d.message)).toEqual([
      "This rule accepts new TCP connections to port 80 of the host, which the CT at line 5 (raw PREROUTING) leaves untracked, but each reply is tracked: it is INVALID (it belongs to no connection conntrack knows), and OUTPUT's policy DROP drops it, so no connection to it can complete. Untrack the replies too (-t raw -A OUTPUT -p tcp --sport 80 -j NOTRACK) or do not untrack the requests",
      "This rule accepts new UDP connections to port 53 of the host, which the NOTRACK at line 4 (raw PREROUTING) leaves untracked, but each reply is tracked: it is NEW (the first packet of its connection conntrack sees), and OUTPUT's policy DROP drops it, so no connection to it can complete. Untrack the replies too (-t raw -A OUTPUT -p udp --sport 53 -j NOTRACK) or do not untrack the requests",
    ]);
    expect(ds[0]!.related!.map((r) => r.span.line)).toEqual([5]);
    expect(ds[0]!.suggestions).toBeUndefined();
    // untracked both ways, the replies are UNTRACKED and get out
    const both = raw.replace("COMMIT", "-A OUTPUT -p udp -m udp --sport 53 -j NOTRACK\n-A OUTPUT -p tcp -m tcp --sport 80 -j NOTRACK\nCOMMIT");
    expect(found(both + dump(IN, output))).toEqual([]);
  });

  it("reports an INPUT policy ACCEPT at the chain", () => {
    const [d] = found(dump([], ["-o lo -j ACCEPT"], { INPUT: "ACCEPT", OUTPUT: "DROP" }));
    expect(d!.span.line).toBe(2);
    expect(d!.message).toMatch(/^INPUT's policy ACCEPT accepts new TCP connections to ports 1-65535 of the host/);
  });

  it("checks IPv6 and scripts", () => {
    expect(run(ID, dump(IN, EGRESS), { filePath: "rules.v6" })).toHaveLength(2);
    const script = "#!/bin/sh\niptables -P OUTPUT DROP\niptables -P INPUT DROP\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n";
    expect(run(ID, script, { kind: "script" }).map((d) => d.span.line)).toEqual([4]);
  });

  it("suggests RELATED,ESTABLISHED as OUTPUT's first rule, which ends the finding", () => {
    const text = dump(IN, EGRESS);
    const [d] = found(text);
    expect(d!.suggestions!.map((s) => s.desc)).toEqual(["Accept RELATED,ESTABLISHED as OUTPUT's first rule"]);
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(found(fixed)).toEqual([]);
  });

  it("follows the host's data after the handshake: a rule on TCP flags that spares the SYN-ACK and drops the data", () => {
    const flags = ["-p tcp -m tcp --sport 80 --tcp-flags SYN,ACK ACK -j DROP"];
    const text = dump(IN, flags, { INPUT: "DROP", OUTPUT: "ACCEPT" });
    const [d, ...rest] = found(text);
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(8);
    expect(d!.message).toBe(
      "This rule accepts new TCP connections to port 80 of the host, but the DROP at line 10 (filter OUTPUT) drops the data the server sends after the handshake (its SYN-ACK gets through; the data's TCP flags are ACK, not SYN,ACK), so no connection to it can complete. Let the replies out early in OUTPUT: -A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    );
    expect(d!.related!.map((r) => [r.span.line, r.message])).toEqual([[10, "Drops the server's data"]]);
    // the data is ESTABLISHED: accepting it first ends the finding
    expect(found(applyFix(text, d!.suggestions![0]!.fix))).toEqual([]);
    // a flags rule that drops only SYN-ACKs drops the reply itself, and one that drops no packet of a connection is not reported
    expect(found(dump(IN, ["-p tcp -m tcp --sport 80 --tcp-flags SYN,ACK SYN,ACK -j DROP"], { INPUT: "DROP", OUTPUT: "ACCEPT" }))[0]!.message).toMatch(/drops every reply the host sends back/);
    expect(found(dump(IN, ["-p tcp -m tcp --tcp-flags ALL NONE -j DROP"], { INPUT: "DROP", OUTPUT: "ACCEPT" }))).toEqual([]);
  });

  it("names the state of untracked data, and does not offer RELATED,ESTABLISHED for it", () => {
    const raw = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 80 -j NOTRACK\n-A OUTPUT -p tcp -m tcp --sport 80 -j NOTRACK\nCOMMIT\n";
    const output = ["-m conntrack --ctstate RELATED,ESTABLISHED,UNTRACKED -j ACCEPT", "-p tcp -m tcp --sport 80 --tcp-flags SYN,ACK SYN,ACK -j ACCEPT", "-p tcp -m tcp --sport 80 -j DROP"];
    // every packet untracked: the data is UNTRACKED, accepted first
    const open = { INPUT: "DROP", OUTPUT: "ACCEPT" };
    expect(found(raw + dump(IN, output, open))).toEqual([]);
    const [d, ...rest] = found(raw + dump(IN, output.slice(1), open));
    expect(rest).toEqual([]);
    expect(d!.message).toMatch(/drops the data the server sends after the handshake .*\. The data is UNTRACKED \(the NOTRACK at line 4 \(raw PREROUTING\) leaves the requests untracked\): let it out before that rule$/);
    expect(d!.suggestions).toBeUndefined();
  });
});
