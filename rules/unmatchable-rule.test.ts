import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "unmatchable-rule";
const filter = (lines: string[]) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join("\n")}\nCOMMIT\n`;
const lines = (text: string, facts = {}) => run(ID, text, { facts }).map((d) => d.span.line);

describe(ID, () => {
  it("names the options that leave no value of a field, and points at each", () => {
    const [d, ...rest] = run(ID, filter(["-A INPUT -s 10.0.0.0/8 -m iprange --src-range 192.168.0.1-192.168.0.9 -j DROP"]));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(5);
    expect(d!.message).toBe("Rule can never match: `-s 10.0.0.0/8` and `--src-range 192.168.0.1-192.168.0.9` together leave no source address");
    expect(d!.related!.map((r) => [r.span.line, r.span.column])).toEqual([
      [5, 10],
      [5, 35],
    ]);
  });

  it("finds contradictions between modules on ports, states, directions and marks", () => {
    const text = filter([
      "-A INPUT -p tcp -m tcp --dport 22 -m multiport --dports 80,443 -j ACCEPT",
      "-A INPUT -m conntrack --ctstate NEW -m state --state ESTABLISHED -j ACCEPT",
      "-A INPUT -m conntrack --ctdir ORIGINAL -m conntrack --ctdir REPLY -j ACCEPT",
      "-A INPUT -m mark --mark 0x1 -m mark --mark 0x2 -j DROP",
      "-A INPUT -p icmp -m icmp --icmp-type echo-request -m icmp --icmp-type echo-reply -j ACCEPT",
      "-A INPUT -p tcp --syn -m tcp --tcp-flags SYN,ACK ACK -j DROP",
    ]);
    const found = run(ID, text);
    expect(found.map((d) => d.span.line)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(found.map((d) => d.message.replace(/.* leaves? no /, ""))).toEqual([
      "destination port",
      "conntrack state",
      "conntrack direction",
      "packet mark",
      "ICMP type",
      "combination of TCP flags",
    ]);
  });

  it("leaves options of one match that iptables refuses together to conflicting-options", () => {
    const text = filter(["-A INPUT -p tcp -m tcp --dport 22 --dport 2222 -j ACCEPT", "-A INPUT -p tcp -m tcp --syn --tcp-flags ACK ACK -j DROP"]);
    expect(lines(text)).toEqual([]);
    expect(run("conflicting-options", text).map((d) => d.span.line)).toEqual([5, 6]);
  });

  it("finds a single option that leaves nothing", () => {
    const [d] = run(ID, filter(["-A INPUT -p tcp -m multiport ! --dports 0:65535 -j DROP"]));
    expect(d!.message).toBe("Rule can never match: `! --dports 0:65535` leaves no destination port");
    expect(d!.related).toBeUndefined();
  });

  it("knows that conntrack's options on the connection need one", () => {
    const [d] = run(ID, filter(["-A INPUT -m state --state INVALID -m conntrack --ctorigdstport 8080 -j DROP"]));
    expect(d!.message).toMatch(/--ctorigdstport 8080`.*no conntrack state \(conntrack's options on the connection/);
    // in one conntrack match, the state option alone decides for a packet without a connection
    expect(lines(filter(["-A INPUT -m conntrack --ctstate INVALID --ctorigdstport 8080 -j DROP"]))).toEqual([]);
  });

  it("stays silent on rules some packet matches", () => {
    const text = filter([
      "-A INPUT -s 10.0.0.0/8 -m iprange --src-range 10.0.0.1-10.0.0.9 -j DROP",
      "-A INPUT -p tcp -m tcp --dport 20:30 -m multiport --dports 22,80 -j ACCEPT",
      "-A INPUT -m conntrack --ctstate NEW,ESTABLISHED -m state --state ESTABLISHED -j ACCEPT",
      "-A INPUT -m mark --mark 0x1/0x1 -m mark --mark 0x3 -j DROP",
      "-A INPUT -p tcp --syn -m tcp --tcp-flags ACK NONE -j DROP",
      "-A INPUT -m limit --limit 1/sec -m conntrack --ctstate NEW -j LOG",
    ]);
    expect(lines(text)).toEqual([]);
  });

  it("does not compare --ctproto with -p (an ICMP error belongs to the TCP connection it is about)", () => {
    expect(lines(filter(["-A INPUT -p icmp -m conntrack --ctstate RELATED --ctproto tcp -j ACCEPT"]))).toEqual([]);
  });

  it("reports a rule with several addresses only when none of its expansions can match", () => {
    expect(lines(filter(["-A INPUT -s 10.0.0.1,192.168.0.1 -m iprange --src-range 192.168.0.1-192.168.0.2 -j DROP"]))).toEqual([]);
    expect(lines(filter(["-A INPUT -s 10.0.0.1,10.0.0.2 -m iprange --src-range 192.168.0.1-192.168.0.2 -j DROP"]))).toEqual([5]);
  });

  it("uses address types only with the host's addresses given", () => {
    const text = filter(["-A INPUT -d 198.51.100.7/32 -m addrtype --dst-type LOCAL -j ACCEPT"]);
    expect(lines(text)).toEqual([]);
    expect(lines(text, { hostAddresses: ["203.0.113.10"] })).toEqual([5]);
    expect(lines(text, { hostAddresses: ["198.51.100.7"] })).toEqual([]);
  });

  it("does not claim conntrack options in the raw table never match (a packet looped back through lo has its connection there)", () => {
    const raw = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -m conntrack --ctorigdst 127.0.0.1 -j ACCEPT\nCOMMIT\n";
    expect(lines(raw)).toEqual([]);
  });
});
