import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { CORPUS } from "../test/support/corpus.js";
import { applyFix, run } from "../test/support/rule-run.js";

const DOCKER2010 = readFileSync(`${CORPUS}/docker-real/docker20.10-one-published-port.rules`, "utf8");

const ID = "path-mtu-discovery-blocked";
const dump = (lines: readonly string[], policy = "DROP") => `*filter\n:INPUT ${policy} [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.map((l) => `-A INPUT ${l}\n`).join("")}COMMIT\n`;
const v4 = (lines: readonly string[], policy?: string, facts = {}) => run(ID, dump(lines, policy), { filePath: "rules.v4", facts });
const v6 = (lines: readonly string[], policy?: string) => run(ID, dump(lines, policy), { filePath: "rules.v6" });
const SSH = "-p tcp -m tcp --dport 22 -j ACCEPT";

describe(ID, () => {
  it("reports an ICMP DROP before RELATED, at the DROP", () => {
    const [d, ...rest] = v4(["-i lo -j ACCEPT", "-p icmp -j DROP", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", SSH]);
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(6);
    expect(d!.message).toMatch(/^The DROP at line 6 \(filter INPUT\) drops ICMP "fragmentation needed" \(type 3, code 4\) messages about the host's own connections \(conntrack's RELATED\): path MTU discovery fails/);
  });

  it("reports ESTABLISHED without RELATED at the policy, for IPv4 and IPv6", () => {
    const [d] = v4(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", SSH]);
    expect(d!.span.line).toBe(2);
    expect(d!.message).toMatch(/^INPUT's policy DROP drops ICMP "fragmentation needed"/);
    const [e] = v6(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", SSH]);
    expect(e!.message).toMatch(/^INPUT's policy DROP drops ICMPv6 "packet too big" \(type 2\) messages/);
    expect(e!.message).toMatch(/--icmpv6-type packet-too-big -j ACCEPT\)$/);
  });

  it("is satisfied by RELATED first, by the message's own accept, or by an ICMP accept", () => {
    expect(v4(["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-p icmp -j DROP", SSH])).toEqual([]);
    expect(v4(["-m state --state RELATED,ESTABLISHED -j ACCEPT", SSH])).toEqual([]);
    expect(v4(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", "-p icmp -m icmp --icmp-type fragmentation-needed -j ACCEPT", SSH])).toEqual([]);
    expect(v6(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", "-p ipv6-icmp -j ACCEPT", SSH])).toEqual([]);
    // the wrong ICMP type does not help
    expect(v4(["-m conntrack --ctstate ESTABLISHED -j ACCEPT", "-p icmp -m icmp --icmp-type echo-request -j ACCEPT", SSH])).toHaveLength(1);
  });

  it("leaves alone a closed host, unknown matches, an ACCEPT policy, and interfaces that accept it", () => {
    expect(v4(["-i lo -j ACCEPT"])).toEqual([]);
    expect(v4(["-p icmp -m limit --limit 5/sec -j ACCEPT", "-m conntrack --ctstate ESTABLISHED -j ACCEPT", SSH])).toEqual([]);
    expect(v4([SSH], "ACCEPT")).toEqual([]);
    const lan = ["-i eth1 -p icmp -j ACCEPT", "-m conntrack --ctstate ESTABLISHED -j ACCEPT", SSH];
    expect(v4(lan)).toEqual([]);
    expect(v4(lan, undefined, { externalInterfaces: ["eth0"] })).toHaveLength(1);
  });

  describe("on a Docker host, the containers' connections", () => {
    // Docker 20.10's dump (docker0, one published port), DOCKER-USER as given, and a mangle table
    const docker = (user: readonly string[], mangle: readonly string[] = []) =>
      DOCKER2010.replace("-A DOCKER-USER -j RETURN\n", [...user.map((l) => `-A DOCKER-USER ${l}`), "-A DOCKER-USER -j RETURN", ""].join("\n")) +
      (mangle.length ? ["*mangle", ":PREROUTING ACCEPT [0:0]", ...mangle.map((l) => `-A PREROUTING ${l}`), "COMMIT", ""].join("\n") : "");

    it("reports an ICMP DROP in DOCKER-USER, at the DROP", () => {
      const [d, ...rest] = run(ID, docker(["-p icmp -j DROP"]));
      expect(rest).toEqual([]);
      expect(d!.span.line).toBe(21);
      expect(d!.message).toMatch(/^The DROP at line 21 \(filter DOCKER-USER\) drops ICMP "fragmentation needed" \(type 3, code 4\) messages about the connections of the containers on docker0 \(conntrack's RELATED\)/);
      expect(d!.message).toMatch(/-I DOCKER-USER -p icmp -m icmp --icmp-type fragmentation-needed -j ACCEPT/);
    });

    it("says nothing for Docker's own rules, a DROP of pings, or RELATED returned first", () => {
      expect(run(ID, docker([]))).toEqual([]);
      expect(run(ID, docker(["-p icmp -m icmp --icmp-type echo-request -j DROP"]))).toEqual([]);
      expect(run(ID, docker(["-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN", "-p icmp -j DROP"]))).toEqual([]);
    });

    it("gives one finding when one rule drops it for the host and the containers", () => {
      const [d, ...rest] = run(ID, docker([], ["-p icmp -j DROP"]));
      expect(rest).toEqual([]);
      expect(d!.message).toMatch(/messages about the host's own connections and the connections of the containers on docker0/);
    });
  });

  it("suggests RELATED,ESTABLISHED as INPUT's first rule for the host, which ends the finding", () => {
    const text = dump(["-i lo -j ACCEPT", "-p icmp -j DROP", "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", SSH]);
    const [d] = run(ID, text, { filePath: "rules.v4" });
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(run(ID, fixed, { filePath: "rules.v4" })).toEqual([]);
  });
});
