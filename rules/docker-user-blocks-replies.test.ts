import { describe, expect, it } from "vitest";
import { applyFix, dump, run } from "../test/support/rule-run.js";

const ID = "docker-user-blocks-replies";

describe(ID, () => {
  it("says which case applies", () => {
    const inbound = run(ID, dump(["-A DOCKER-USER -i eth0 ! -s 192.168.1.1/32 -j DROP"]))[0]!.message;
    expect(inbound).toMatch(/coming in to containers/);
    expect(inbound).toMatch(/replies to their own outbound connections/);
    expect(inbound).not.toMatch(/published ports/);
    const both = run(ID, dump(["-A DOCKER-USER ! -s 192.168.1.1/32 -j DROP"]))[0]!.message;
    expect(both).toMatch(/both directions/);
    expect(both).toMatch(/every published port is closed/);
    expect(both).toMatch(/replies to their own outbound connections/);
    const outbound = run(ID, dump(["-A DOCKER-USER -i docker0 -d 10.0.0.0/8 -j REJECT"]))[0]!.message;
    expect(outbound).toMatch(/leaving containers/);
    expect(outbound).not.toMatch(/own outbound connections/);
  });

  it("accepts an earlier RELATED,ESTABLISHED accept (or one in FORWARD before the jump) as the cure", () => {
    expect(run(ID, dump(["-A DOCKER-USER -m state --state ESTABLISHED,RELATED -j ACCEPT", "-A DOCKER-USER ! -s 192.168.1.1/32 -j DROP"]))).toEqual([]);
    expect(run(ID, dump(["-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A FORWARD -j DOCKER-USER", "-A DOCKER-USER ! -s 192.168.1.1/32 -j DROP"]))).toEqual([]);
    // An accept limited to another interface does not cover a rule without that condition.
    expect(run(ID, dump(["-A DOCKER-USER -i eth1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A DOCKER-USER ! -s 192.168.1.1/32 -j DROP"]))).toHaveLength(1);
  });

  it("offers to insert the accept before the rule in a dump", () => {
    const text = dump(["-A DOCKER-USER -i eth0 ! -s 192.168.1.1/32 -j DROP"]);
    const [d] = run(ID, text);
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(fixed).toContain("-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A DOCKER-USER -i eth0");
    expect(run(ID, fixed)).toEqual([]);
  });

  it("leaves out new-connection rules, blocklists and single container ports", () => {
    expect(run(ID, dump(["-A DOCKER-USER -i eth0 -m conntrack --ctstate NEW ! -s 192.0.2.0/24 -j DROP", "-A DOCKER-USER -p tcp -m tcp --syn ! -s 192.0.2.0/24 -j DROP", "-A DOCKER-USER -m conntrack --ctstate INVALID -j DROP", "-A DOCKER-USER -s 203.0.113.0/24 -j DROP", "-A DOCKER-USER -p tcp -m tcp --dport 22 ! -s 192.0.2.0/24 -j DROP", "-A DOCKER-USER -m conntrack --ctdir ORIGINAL ! -s 192.0.2.0/24 -j DROP"]))).toEqual([]);
  });

  it("treats a blocklist that covers a Docker subnet as a restriction of containers' traffic", () => {
    const nat = ["-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"];
    expect(run(ID, dump(["-A DOCKER-USER -s 172.17.0.0/16 -d 10.0.0.0/8 -j DROP"], nat))).toHaveLength(1);
  });
});
