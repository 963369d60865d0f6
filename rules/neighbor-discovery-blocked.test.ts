import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "neighbor-discovery-blocked";
const dump = (input: readonly string[], output: readonly string[] = [], policies = { INPUT: "DROP", OUTPUT: "ACCEPT" }) =>
  `*filter\n:INPUT ${policies.INPUT} [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ${policies.OUTPUT} [0:0]\n${[...input.map((l) => `-A INPUT ${l}`), ...output.map((l) => `-A OUTPUT ${l}`)].map((l) => `${l}\n`).join("")}COMMIT\n`;
/** The rule's errors (neighbour solicitations and advertisements); router advertisements are warnings. */
const found = (text: string, facts = {}) => run(ID, text, { filePath: "rules.v6", facts }).filter((d) => d.severity === "error");
const ra = (text: string, facts = {}) => run(ID, text, { filePath: "rules.v6", facts }).filter((d) => d.severity === "warning");
const RA = "-p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT";
const BASE = ["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"];
const ND = ["-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT", "-p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT"];

describe(ID, () => {
  it("reports an INPUT that drops neighbour solicitations and advertisements, at the policy", () => {
    const [d, ...rest] = found(dump(BASE));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(2);
    expect(d!.severity).toBe("error");
    expect(d!.message).toMatch(
      /^INPUT's policy DROP drops ICMPv6 neighbour discovery from the host's neighbours: neighbour solicitations \(type 135\) and neighbour advertisements \(type 136\)\. Without it IPv6 stops working on the link/,
    );
    expect(d!.message).toMatch(/RELATED,ESTABLISHED does not accept these messages/);
  });

  it("is satisfied by an accept of ICMPv6, of the two types, or of link-local sources, even after a DROP of INVALID", () => {
    expect(found(dump([...BASE, "-p ipv6-icmp -j ACCEPT"]))).toEqual([]);
    expect(found(dump([...BASE, ...ND]))).toEqual([]);
    expect(found(dump([...BASE, "-s fe80::/10 -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-m conntrack --ctstate INVALID -j DROP", ...BASE, ...ND]))).toEqual([]);
    expect(found(dump(["-m state --state UNTRACKED -j ACCEPT", ...BASE]))).toEqual([]);
  });

  it("names only the type that is dropped", () => {
    const [d] = found(dump([...BASE, ND[1]!]));
    expect(d!.message).toMatch(/from the host's neighbours: neighbour solicitations \(type 135\)\. Without/);
  });

  it("checks the host's own messages in OUTPUT", () => {
    const [d, ...rest] = found(dump([...BASE, "-p ipv6-icmp -j ACCEPT"], ["-o lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"], { INPUT: "DROP", OUTPUT: "DROP" }));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(4);
    expect(d!.message).toMatch(/^OUTPUT's policy DROP drops ICMPv6 neighbour discovery that the host sends: neighbour solicitations \(type 135\) and neighbour advertisements \(type 136\)/);
    expect(d!.message).toMatch(/-A OUTPUT -p ipv6-icmp/);
  });

  it("reports at a DROP rule", () => {
    const [d] = found(dump(["-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j DROP", "-j ACCEPT"], [], { INPUT: "ACCEPT", OUTPUT: "ACCEPT" }));
    expect(d!.span.line).toBe(5);
    expect(d!.message).toMatch(/^The DROP at line 5 \(filter INPUT\) drops ICMPv6 neighbour discovery from the host's neighbours: neighbour solicitations \(type 135\)\./);
  });

  it("leaves IPv4, a host closed to IPv6, unknown matches, and interfaces with ND accepted alone", () => {
    expect(run(ID, dump(BASE), { filePath: "rules.v4" })).toEqual([]);
    expect(ra(dump(["-i lo -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-i lo -j ACCEPT"]))).toEqual([]);
    expect(found(dump([...BASE, "-p ipv6-icmp -m hl --hl-eq 255 -j ACCEPT"]))).toEqual([]);
    const lan = dump([...BASE, "-i eth1 -p ipv6-icmp -j ACCEPT"]);
    expect(found(lan)).toEqual([]);
    expect(found(lan, { externalInterfaces: ["eth0"] })).toHaveLength(1);
  });

  it("counts a host that only opens connections as using IPv6", () => {
    expect(found(dump(["-i lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"]))).toHaveLength(1);
  });

  it("warns about router advertisements dropped, at the rule or policy that drops them", () => {
    const [d, ...rest] = ra(dump([...BASE, ...ND]));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(2);
    expect(d!.message).toMatch(/^INPUT's policy DROP drops the ICMPv6 router advertisements \(type 134\) of the host's router\. A host that configures IPv6 from them \(SLAAC/);
    expect(ra(dump([...BASE, ...ND, RA]))).toEqual([]);
    expect(ra(dump([...BASE, "-p ipv6-icmp -j ACCEPT"]))).toEqual([]);
    expect(ra(dump([...BASE, ...ND, `-s fe80::/10 ${RA}`]))).toEqual([]);
    expect(ra(dump([...BASE, ...ND, `-d ff02::1/128 ${RA}`]))).toEqual([]);
    const [g] = ra(dump([...BASE, ...ND, `-s 2001:db8::/32 ${RA}`]));
    expect(g!.span.line).toBe(2);
    const [r] = ra(dump(["-p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j DROP", ...BASE, "-p ipv6-icmp -j ACCEPT"]));
    expect(r!.span.line).toBe(5);
    expect(r!.message).toMatch(/^The DROP at line 5 \(filter INPUT\) drops the ICMPv6 router advertisements/);
  });

  it("warns about the host's router solicitations dropped on the way out, at the rule or policy that drops them", () => {
    const rs = (text: string) => ra(text).filter((d) => d.message.includes("router solicitations"));
    const input = [...BASE, ...ND, RA];
    const [d, ...rest] = rs(dump(input, ["-o lo -j ACCEPT", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", ...ND], { INPUT: "DROP", OUTPUT: "DROP" }));
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(4);
    expect(d!.message).toBe(
      "OUTPUT's policy DROP drops the ICMPv6 router solicitations (type 133) the host sends to its routers (ff02::2). A host that configures IPv6 from router advertisements (SLAAC) asks for one when its link comes up; with the question dropped it waits for the router's next periodic advertisement (up to 10 minutes with the usual MaxRtrAdvInterval of 600 s), without an IPv6 address or default route from it until then. RELATED,ESTABLISHED does not accept them (conntrack does not track them): accept them by type, e.g. -A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation -j ACCEPT",
    );
    // accepted by type, or all ICMPv6, or an OUTPUT that accepts: no warning
    const out = ["-o lo -j ACCEPT", ...ND];
    expect(rs(dump(input, [...out, "-p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation -j ACCEPT"], { INPUT: "DROP", OUTPUT: "DROP" }))).toEqual([]);
    expect(rs(dump(input, ["-p ipv6-icmp -j ACCEPT"], { INPUT: "DROP", OUTPUT: "DROP" }))).toEqual([]);
    expect(rs(dump(input))).toEqual([]);
    // a DROP of what goes to the routers' group, with OUTPUT ACCEPT
    const [g] = rs(dump(input, ["-d ff02::2/128 -j DROP"]));
    expect(g!.message).toMatch(/^The DROP at line 11 \(filter OUTPUT\) drops the ICMPv6 router solicitations/);
    // neighbour discovery left to the errors: a finding per message kind
    expect(ra(dump(input, ["-p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation -j DROP"])).map((x) => x.span.line)).toEqual([11]);
  });
});
