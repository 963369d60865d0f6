import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "unreachable-rule";
const filter = (lines: string[], chains: string[] = []) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]\n`).join("")}${lines.join("\n")}\nCOMMIT\n`;
const lines = (text: string, facts = {}) => run(ID, text, { facts }).map((d) => d.span.line);

describe(ID, () => {
  it("finds rules covered by the union of earlier rules, not only by one", () => {
    const text = filter(["-A INPUT -s 10.0.0.0/9 -j DROP", "-A INPUT -s 10.128.0.0/9 -j ACCEPT", "-A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j DROP"]);
    const [d] = run(ID, text);
    expect(d!.span.line).toBe(7);
    expect(d!.message).toMatch(/lines 5, 6/);
    expect(d!.related!.map((r) => r.span.line)).toEqual([5, 6]);
  });

  it("reads multiport --ports as either port: covered by the destination-port rules and the source-port rules together", () => {
    // --ports 80 after --dport 80 and --sport 80: both of its halves are decided
    expect(lines(filter(["-A INPUT -p tcp -m tcp --dport 80 -j DROP", "-A INPUT -p tcp -m tcp --sport 80 -j DROP", "-A INPUT -p tcp -m multiport --ports 80 -j ACCEPT"]))).toEqual([7]);
    // a source port of 80 still reaches it
    expect(lines(filter(["-A INPUT -p tcp -m tcp --dport 80 -j DROP", "-A INPUT -p tcp -m multiport --ports 80 -j ACCEPT"]))).toEqual([]);
    // and it covers both kinds of rule after it; with its negation after it, every tcp packet is decided
    expect(lines(filter(["-A INPUT -p tcp -m multiport --ports 80,443 -j DROP", "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT", "-A INPUT -p tcp -m tcp --sport 80 -j ACCEPT", "-A INPUT -p tcp -m multiport ! --ports 80,443 -j ACCEPT", "-A INPUT -p tcp -j ACCEPT"]))).toEqual([6, 7, 9]);
  });

  it("handles negation", () => {
    expect(lines(filter(["-A INPUT ! -s 10.0.0.0/8 -j DROP", "-A INPUT -s 10.0.0.0/8 -j ACCEPT", "-A INPUT -p tcp -j REJECT"]))).toEqual([7]);
    expect(lines(filter(["-A INPUT ! -s 10.0.0.0/8 -j DROP", "-A INPUT -s 10.0.0.0/9 -j ACCEPT", "-A INPUT -p tcp -j REJECT"]))).toEqual([]);
  });

  it("follows jumps into chains that decide, and not into chains that may return", () => {
    const decides = filter(["-A INPUT -j allow", "-A INPUT -p tcp --dport 22 -j ACCEPT", "-A allow -s 192.0.2.0/24 -j ACCEPT", "-A allow -j DROP"], ["allow"]);
    const [d] = run(ID, decides);
    expect(d!.span.line).toBe(7);
    expect(d!.related![0]!.message).toMatch(/jumps to allow, which decides these packets/);
    const returns = filter(["-A INPUT -j allow", "-A INPUT -p tcp --dport 22 -j ACCEPT", "-A allow -s 192.0.2.0/24 -j RETURN", "-A allow -j DROP"], ["allow"]);
    expect(lines(returns)).toEqual([]);
    // goto never comes back: whatever it matches leaves INPUT.
    expect(lines(filter(["-A INPUT -p tcp -g allow", "-A INPUT -p tcp --dport 22 -j ACCEPT", "-A allow -j RETURN"], ["allow"]))).toEqual([7]);
  });

  it("reports the rules Docker ≤ 28.2.1 users append after DOCKER-USER's RETURN", () => {
    const [d] = run(ID, filter(["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j RETURN", "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"], ["DOCKER-USER"]));
    expect(d!.message).toMatch(/unconditional -j RETURN at line 7/);
    expect(d!.message).toMatch(/iptables -I DOCKER-USER/);
  });

  it("never claims on unknown matches, but a rule's own unknown match does not save it", () => {
    expect(lines(filter(["-A INPUT -p tcp -m limit --limit 5/sec -j DROP", "-A INPUT -p tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -m set --match-set blocked src -j DROP", "-A INPUT -p tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -j DROP", "-A INPUT -p tcp -m limit --limit 5/sec -j ACCEPT"]))).toEqual([6]);
  });

  it("sees nothing to cover in a chain whose earlier rules take no packet out for certain, and looks further when one does", () => {
    // a Kubernetes service chain: random picks, then the last endpoint for the rest
    const svc = ["-A INPUT -j SVC", "-A SVC -m statistic --mode random --probability 0.5 -j ACCEPT", "-A SVC -j ACCEPT"];
    expect(lines(filter(svc, ["SVC"]))).toEqual([]);
    // the rule before the last one takes every packet out: the last one is unreachable (line 9)
    expect(lines(filter([...svc, "-A SVC -p tcp -j DROP"], ["SVC"]))).toEqual([9]);
    // a jump to a chain that returns takes nothing out, so what follows it is reachable
    expect(lines(filter(["-A INPUT -j MARKS", "-A INPUT -j ACCEPT", "-A MARKS -j MARK --set-mark 1"], ["MARKS"]).replace("*filter", "*mangle").replace(":FORWARD ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]"))).toEqual([]);
  });

  it("knows that marks change between rules", () => {
    expect(lines(filter(["-A INPUT -m mark --mark 0x1 -j DROP", "-A INPUT -m mark --mark 0x1 -p tcp -j ACCEPT"]))).toEqual([6]);
    expect(lines(filter(["-A INPUT -m mark --mark 0x1 -j DROP", "-A INPUT -j MARK --set-xmark 0x1/0xffffffff", "-A INPUT -m mark --mark 0x1 -p tcp -j ACCEPT"]))).toEqual([]);
  });

  it("compares interfaces with + wildcards", () => {
    expect(lines(filter(["-A INPUT -i eth+ -j DROP", "-A INPUT -i eth0 -j ACCEPT"]))).toEqual([6]);
    expect(lines(filter(["-A INPUT -i eth0 -j DROP", "-A INPUT -i eth+ -j ACCEPT"]))).toEqual([]);
  });

  it("needs every address of a multi-address rule to be covered", () => {
    expect(lines(filter(["-A INPUT -s 192.0.2.1/32 -j DROP", "-A INPUT -s 192.0.2.1/32,192.0.2.2/32 -j DROP"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -s 192.0.2.0/24 -j DROP", "-A INPUT -s 192.0.2.1/32,192.0.2.2/32 -j DROP"]))).toEqual([6]);
  });

  it("uses address types only when the host's addresses are known", () => {
    const text = filter(["-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT", "-A INPUT -d 203.0.113.10/32 -j DROP"]);
    expect(lines(text)).toEqual([]);
    expect(lines(text, { hostAddresses: ["203.0.113.10"] })).toEqual([6]);
  });

  it("handles IPv6", () => {
    const text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 2001:db8::/32 -j DROP\n-A INPUT -s 2001:db8:1::/48 -p tcp -j ACCEPT\nCOMMIT\n";
    expect(run(ID, text, { kind: "ip6tables" }).map((d) => d.span.line)).toEqual([4]);
  });
});
