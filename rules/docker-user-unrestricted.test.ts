import { describe, expect, it } from "vitest";
import { dump, run } from "../test/support/rule-run.js";

const ID = "docker-user-unrestricted";
const NAT = ["-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80", "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER"];
/** Docker's own FORWARD rules for the published port (20.10 layout), after the test's lines (line numbers kept). */
const DOCKER_FORWARD = [
  "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
  "-A FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
  "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
];
/** A host where the port really is published: the decision is the packet model's exact exposure. */
const host = (filter: string[], chains?: string[]) => dump([...filter, ...DOCKER_FORWARD], NAT, chains);
const open = (filter: string[], facts = {}) => run(ID, host(["-A FORWARD -j DOCKER-USER", ...filter]), { facts });

describe(ID, () => {
  it("lists the port as the issue asks", () => {
    const [d] = open([]);
    expect(d!.message).toMatch(/^8080\/tcp → 172\.17\.0\.2:80 is open to every source: DOCKER-USER is empty$/);
  });

  it("explains why the DOCKER-USER rules do not restrict it", () => {
    expect(open(["-A DOCKER-USER -j RETURN", "-A DOCKER-USER -i eth0 -j DROP"])[0]!.message).toMatch(/line 8: it never runs: the RETURN on line 7 ends DOCKER-USER first/);
    expect(open(["-A DOCKER-USER -i ext_if -j DROP"])[0]!.message).toMatch(/interface ext_if, which no host has/);
    expect(open(["-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP"])[0]!.message).toMatch(/the host port, but after DNAT the destination port is 80/);
    expect(open(["-A DOCKER-USER -s 203.0.113.0/24 -j DROP"])[0]!.message).toMatch(/only matches sources in 203\.0\.113\.0\/24/);
    expect(open(["-A DOCKER-USER -p tcp -m tcp --dport 80 -j ACCEPT", "-A DOCKER-USER -j DROP"])[0]!.message).toMatch(/line 7 accepts it/);
  });

  it("decides on the exact exposure: a file where nothing reaches the container reports nothing", () => {
    // No jump to nat DOCKER and no FORWARD accept: the DNAT never happens, FORWARD's policy drops.
    expect(run(ID, dump(["-A FORWARD -j DOCKER-USER"], [NAT[0]!]))).toEqual([]);
    // A blocklist leaves the port open to the rest of the world; the message says who is left out.
    expect(open(["-A DOCKER-USER -s 203.0.113.0/24 -j DROP"])[0]!.message).toMatch(/open to every source except 203\.0\.113\.0\/24/);
  });

  it("judges a port published for SCTP on its own, by the SCTP associations that reach it", () => {
    const sctpNat = [NAT[0]!, "-A DOCKER ! -i docker0 -p sctp -m sctp --dport 9100 -j DNAT --to-destination 172.17.0.2:9000", NAT[1]!];
    const sctpForward = "-A FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p sctp -m sctp --dport 9000 -j ACCEPT";
    const sctpHost = (filter: string[]) => run(ID, dump(["-A FORWARD -j DOCKER-USER", ...filter, ...DOCKER_FORWARD, sctpForward], sctpNat));
    // Restricting TCP leaves the SCTP port open, and the other way round.
    const tcpOnly = sctpHost(["-A DOCKER-USER -i eth0 -p tcp ! -s 192.0.2.0/24 -j DROP"]);
    expect(tcpOnly.map((d) => d.message)).toEqual([expect.stringMatching(/^9100\/sctp → 172\.17\.0\.2:9000 is open to every source: no DROP or REJECT in DOCKER-USER applies to it$/)]);
    const sctpOnly = sctpHost(["-A DOCKER-USER -i eth0 -p sctp ! -s 192.0.2.0/24 -j DROP"]);
    expect(sctpOnly.map((d) => d.message)).toEqual([expect.stringMatching(/^8080\/tcp → 172\.17\.0\.2:80 is open to every source/)]);
    expect(sctpHost(["-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"])).toEqual([]);
    // Without the FORWARD accept, no association reaches the container: nothing to report for SCTP.
    expect(run(ID, dump(["-A FORWARD -j DOCKER-USER", ...DOCKER_FORWARD], sctpNat)).map((d) => d.message)).toEqual([expect.stringMatching(/^8080\/tcp/)]);
  });

  it("counts a restriction it cannot decide as a restriction", () => {
    expect(open(["-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"])).toEqual([]);
    expect(open(["-A DOCKER-USER -m set ! --match-set allowed src -j DROP"])).toEqual([]);
  });

  it("decides interfaces exactly when the external interfaces are known", () => {
    expect(open(["-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"], { externalInterfaces: ["eth0"] })).toEqual([]);
    expect(open(["-A DOCKER-USER -i eth1 ! -s 192.0.2.0/24 -j DROP"], { externalInterfaces: ["eth0"] })).toHaveLength(1);
    expect(open(["-A DOCKER-USER -i eth+ ! -s 192.0.2.0/24 -j DROP"], { externalInterfaces: ["eth0"] })).toEqual([]);
  });

  it("follows jumps to user chains (ufw-docker style), their ACCEPTs and RETURNs", () => {
    const chains = ["DOCKER-USER", "ufw-user-forward"];
    const restricted = host(["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j ufw-user-forward", "-A ufw-user-forward -p tcp -m tcp --dport 80 -j ACCEPT", "-A DOCKER-USER -j DROP"], chains);
    expect(run(ID, restricted)[0]!.message).toMatch(/line 9 accepts it/);
    const closed = host(["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j ufw-user-forward", "-A ufw-user-forward -p tcp -m tcp --dport 5432 -j ACCEPT", "-A ufw-user-forward -p tcp -m tcp --dport 80 -j RETURN", "-A DOCKER-USER -j DROP"], chains);
    expect(run(ID, closed)).toEqual([]);
  });

  it("reports a missing jump or chain, and skips loopback-only ports and dumps without a filter table", () => {
    expect(run(ID, host([]))[0]!.message).toMatch(/FORWARD never jumps to DOCKER-USER/);
    expect(run(ID, host([], []))[0]!.message).toMatch(/there is no DOCKER-USER chain/);
    expect(run(ID, dump(["-A FORWARD -j DOCKER-USER", ...DOCKER_FORWARD], ["-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80", NAT[1]!]))).toEqual([]);
    expect(run(ID, "*nat\n:DOCKER - [0:0]\n" + NAT[0] + "\nCOMMIT\n")).toEqual([]);
  });
});
