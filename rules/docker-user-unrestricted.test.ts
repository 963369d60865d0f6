import { describe, expect, it } from "vitest";
import { dump, run } from "../test/support/rule-run.js";

const ID = "docker-user-unrestricted";
const NAT = ["-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80"];
const open = (filter: string[], facts = {}) => run(ID, dump(["-A FORWARD -j DOCKER-USER", ...filter], NAT), { facts });

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
    const restricted = dump(["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j ufw-user-forward", "-A ufw-user-forward -p tcp -m tcp --dport 80 -j ACCEPT", "-A DOCKER-USER -j DROP"], NAT, chains);
    expect(run(ID, restricted)[0]!.message).toMatch(/line 9 accepts it/);
    const closed = dump(["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -j ufw-user-forward", "-A ufw-user-forward -p tcp -m tcp --dport 5432 -j ACCEPT", "-A ufw-user-forward -p tcp -m tcp --dport 80 -j RETURN", "-A DOCKER-USER -j DROP"], NAT, chains);
    expect(run(ID, closed)).toEqual([]);
  });

  it("reports a missing jump or chain, and skips loopback-only ports and dumps without a filter table", () => {
    expect(run(ID, dump([], NAT))[0]!.message).toMatch(/FORWARD never jumps to DOCKER-USER/);
    expect(run(ID, dump([], NAT, []))[0]!.message).toMatch(/there is no DOCKER-USER chain/);
    expect(run(ID, dump(["-A FORWARD -j DOCKER-USER"], ["-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80"]))).toEqual([]);
    expect(run(ID, "*nat\n:DOCKER - [0:0]\n" + NAT[0] + "\nCOMMIT\n")).toEqual([]);
  });
});
