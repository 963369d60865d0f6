import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "input-blocks-replies";
const dump = (input: string, lines: readonly string[], output = "ACCEPT", out: readonly string[] = []) =>
  `*filter\n:INPUT ${input} [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ${output} [0:0]\n${lines.map((l) => `-A INPUT ${l}`).join("\n")}${lines.length ? "\n" : ""}${out.map((l) => `-A OUTPUT ${l}`).join("\n")}${out.length ? "\n" : ""}COMMIT\n`;
const found = (text: string, facts = {}) => run(ID, text, { facts });

describe(ID, () => {
  it("reports a DROP policy that drops the replies to the host's own connections, at the policy", () => {
    const [d, ...rest] = found(dump("DROP", ["-i lo -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(2);
    expect(d!.message).toBe(
      "The host's own connections get no replies: OUTPUT lets out DNS (udp 53), HTTPS (tcp 443), HTTP (tcp 80) and NTP (udp 123) to servers on the internet, and INPUT's policy DROP drops what they send back, so such connections hang. Accept the packets of established connections early in INPUT: -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    );
  });

  it("names the raw rule that leaves the host's requests untracked: the replies are NEW (UDP) or INVALID (TCP)", () => {
    const raw = (lines: readonly string[]) => `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.map((l) => `${l}\n`).join("")}COMMIT\n`;
    const input = ["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED,UNTRACKED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];
    const ds = found(raw(["-A OUTPUT -p udp -m udp --dport 53 -j NOTRACK", "-A OUTPUT -p tcp -m tcp --dport 443 -j CT --notrack"]) + dump("DROP", input));
    expect(ds.map((d) => [d.span.line, d.message, d.related?.map((r) => r.span.line)])).toEqual([
      [
        8,
        "The host's own connections get no replies: OUTPUT lets out DNS (udp 53) to servers on the internet, which the NOTRACK at line 4 (raw OUTPUT) leaves untracked, but each reply is tracked: it is NEW (the first packet of its connection conntrack sees), and INPUT's policy DROP drops it, so such connections hang. Untrack the replies too (-t raw -A PREROUTING -p udp --sport 53 -j NOTRACK) or do not untrack the requests",
        [4],
      ],
      [
        8,
        "The host's own connections get no replies: OUTPUT lets out HTTPS (tcp 443) to servers on the internet, which the CT at line 5 (raw OUTPUT) leaves untracked, but each reply is tracked: it is INVALID (it belongs to no connection conntrack knows), and INPUT's policy DROP drops it, so such connections hang. Untrack the replies too (-t raw -A PREROUTING -p tcp --sport 443 -j NOTRACK) or do not untrack the requests",
        [5],
      ],
    ]);
    // untracked both ways: the replies are UNTRACKED, which INPUT accepts
    expect(found(raw(["-A OUTPUT -p udp -m udp --dport 53 -j NOTRACK", "-A PREROUTING -p udp -m udp --sport 53 -j NOTRACK"]) + dump("DROP", input))).toEqual([]);
  });

  it("reports at a final DROP or REJECT rule", () => {
    const [d] = found(dump("ACCEPT", ["-p tcp -m tcp --dport 22 -j ACCEPT", "-j REJECT --reject-with icmp-port-unreachable"]));
    expect(d!.span.line).toBe(6);
    expect(d!.message).toMatch(/and the REJECT at line 6 \(filter INPUT\) drops what they send back/);
  });

  it("is satisfied by conntrack or state, or by a stateless accept of the replies' ports", () => {
    expect(found(dump("DROP", ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    expect(found(dump("DROP", ["-m state --state ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    const stateless = ["-p tcp -m tcp ! --tcp-flags SYN,RST,ACK SYN -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", "-p udp -m udp --sport 123 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];
    expect(found(dump("DROP", stateless))).toEqual([]);
    // without the NTP line only NTP is named
    const [d] = found(dump("DROP", stateless.filter((l) => !l.includes("123"))));
    expect(d!.message).toMatch(/OUTPUT lets out NTP \(udp 123\) to servers/);
  });

  it("leaves out what OUTPUT keeps in, and a host closed to every new connection", () => {
    expect(found(dump("DROP", ["-p tcp -m tcp --dport 22 -j ACCEPT"], "DROP", ["-p tcp -m tcp --sport 22 -j ACCEPT"]))).toEqual([]);
    const [d] = found(dump("DROP", ["-p tcp -m tcp --dport 22 -j ACCEPT"], "DROP", ["-p udp -m udp --dport 53 -j ACCEPT"]));
    expect(d!.message).toMatch(/OUTPUT lets out DNS \(udp 53\) to servers/);
    expect(found(dump("DROP", ["-i lo -j ACCEPT"]))).toEqual([]);
  });

  it("needs the replies dropped on every uplink, or on the external interfaces the facts name", () => {
    const lan = dump("DROP", ["-i eth1 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);
    expect(found(lan)).toEqual([]);
    expect(found(lan, { externalInterfaces: ["eth0"] })).toHaveLength(1);
    expect(found(lan, { externalInterfaces: ["eth1"] })).toEqual([]);
  });

  it("leaves alone a host meant to talk only to given servers or networks", () => {
    const ntp = ["-p tcp -m tcp ! --tcp-flags SYN,RST,ACK SYN -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", "-s 192.0.2.123/32 -p udp -m udp --sport 123 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];
    expect(found(dump("DROP", ntp))).toEqual([]);
    expect(found(dump("DROP", ["-s 10.0.0.0/8 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    // the same server restriction on the wrong port does not let NTP's replies in
    const [d] = found(dump("DROP", ntp.map((l) => l.replace("--sport 123", "--sport 124"))));
    expect(d!.message).toMatch(/OUTPUT lets out NTP \(udp 123\) to servers/);
  });

  it("does not claim over matches it cannot evaluate", () => {
    expect(found(dump("DROP", ["-m recent --rcheck --name ok -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]))).toEqual([]);
  });

  it("checks IPv6 rulesets and scripts the same way", () => {
    const v6 = dump("DROP", ["-p ipv6-icmp -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);
    expect(run(ID, v6, { filePath: "rules.v6" })).toHaveLength(1);
    const script = "#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n";
    const [d] = run(ID, script, { kind: "script" });
    expect(d!.span.line).toBe(2);
  });

  it("suggests RELATED,ESTABLISHED as INPUT's first rule, which ends the finding", () => {
    const text = dump("DROP", ["-i lo -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);
    const [d] = found(text);
    const [s] = d!.suggestions!;
    expect(s!.desc).toBe("Accept RELATED,ESTABLISHED as INPUT's first rule");
    const fixed = applyFix(text, s!.fix);
    expect(fixed.split("\n")[4]).toBe("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    expect(found(fixed)).toEqual([]);
    // none for a script, nor for a DROP the accept in INPUT cannot undo
    expect(run(ID, "#!/bin/sh\niptables -P INPUT DROP\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n", { kind: "script" })[0]!.suggestions).toBeUndefined();
    const raw = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --sport 53 -j DROP\nCOMMIT\n" + dump("DROP", ["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);
    const [r] = found(raw);
    expect(r!.message).toMatch(/the DROP at line 4 \(raw PREROUTING\)/);
    expect(r!.suggestions).toBeUndefined();
  });

  it("follows the servers' data after the handshake: SYN-ACKs accepted by their flags, the data dropped", () => {
    const stateless = ["-i lo -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT", "-p udp -m udp --sport 53 -j ACCEPT", "-p udp -m udp --sport 123 -j ACCEPT"];
    const text = dump("DROP", [...stateless, "-p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT"]);
    const [d, ...rest] = found(text);
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(2);
    expect(d!.message).toBe(
      "The host's own connections get no data: OUTPUT lets out HTTPS (tcp 443) and HTTP (tcp 80) to servers on the internet, but INPUT's policy DROP drops the data the server sends after the handshake (its SYN-ACK gets through; the data's TCP flags are ACK, not SYN,ACK), so such connections hang. Accept the packets of established connections early in INPUT: -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    );
    expect(found(applyFix(text, d!.suggestions![0]!.fix))).toEqual([]);
    // a stateless accept of every TCP packet but SYN (the classic `! --syn`) lets the data in too
    expect(found(dump("DROP", [...stateless, "-p tcp -m tcp ! --syn -j ACCEPT"]))).toEqual([]);
  });
});
