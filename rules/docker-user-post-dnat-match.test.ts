import { describe, expect, it } from "vitest";
import { applyFix, dump, run } from "../test/support/rule-run.js";

const ID = "docker-user-post-dnat-match";
const NAT = ["-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80"];

describe(ID, () => {
  it("gives the conntrack fix and a suggestion that removes the finding", () => {
    const text = dump(["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP"], NAT);
    const [d] = run(ID, text);
    expect(d!.message).toContain("-m conntrack --ctorigdstport 8080 --ctdir ORIGINAL");
    expect(d!.message).toContain("8080/tcp → 172.17.0.2:80");
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(fixed).toContain("-A DOCKER-USER -p tcp -m tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP");
    expect(run(ID, fixed)).toEqual([]);
  });

  it("keeps the negation in the fix", () => {
    const text = dump(["-A DOCKER-USER -p tcp -m tcp ! --dport 8080 -j ACCEPT"], NAT);
    const [d] = run(ID, text);
    expect(d!.suggestions![0]!.fix.text).toBe("-m conntrack ! --ctorigdstport 8080 --ctdir ORIGINAL");
  });

  it("stays quiet when the port is also a container port, or is the container port", () => {
    const both = [...NAT, "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 172.17.0.3:8080"];
    expect(run(ID, dump(["-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP"], both))).toEqual([]);
    expect(run(ID, dump(["-A DOCKER-USER -p tcp -m tcp --dport 80 -j DROP"], NAT))).toEqual([]);
    expect(run(ID, dump(["-A DOCKER-USER -p udp -m udp --dport 8080 -j DROP"], NAT))).toEqual([]);
  });

  it("needs the published ports: a DOCKER-USER script alone is not judged", () => {
    expect(run(ID, "iptables -I DOCKER-USER -p tcp --dport 8080 -j DROP\n", { kind: "script" })).toEqual([]);
  });

  it("knows host addresses from facts and from DNAT bindings", () => {
    const nat = ["-A DOCKER -d 10.99.0.1/32 ! -i docker0 -p tcp -m tcp --dport 2222 -j DNAT --to-destination 172.17.0.3:22"];
    expect(run(ID, dump(["-A DOCKER-USER -d 10.99.0.1/32 -j DROP"], nat))).toHaveLength(1);
    expect(run(ID, dump(["-A DOCKER-USER -d 203.0.113.10/32 -j DROP"], nat))).toEqual([]);
    const [d] = run(ID, dump(["-A DOCKER-USER -d 203.0.113.10/32 -j DROP"], nat), { facts: { hostAddresses: ["203.0.113.10"] } });
    expect(d!.message).toContain("--ctorigdst 203.0.113.10");
    expect(run(ID, dump(["-A DOCKER-USER -d 172.17.0.3/32 -j DROP"], [...nat, "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"]))).toEqual([]);
  });
});
