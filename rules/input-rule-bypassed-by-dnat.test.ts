import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "input-rule-bypassed-by-dnat";
const NAT = (rules: string[]) => `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n${rules.join("\n")}\nCOMMIT\n`;
const DNAT = "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80";
const host = (input: string[], nat = [DNAT], chains: string[] = []) => `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]\n`).join("")}${input.join("\n")}\nCOMMIT\n${NAT(nat)}`;

describe(ID, () => {
  it("reports an INPUT rule on a published host port, pointing at the DNAT", () => {
    const [d] = run(ID, host(["-A INPUT -p tcp -m tcp --dport 8080 -j DROP"]));
    expect(d!.message).toMatch(/never sees tcp port 8080: line 14 DNATs it to 172\.17\.0\.2:80/);
    expect(d!.message).toMatch(/--ctorigdstport 8080/);
    expect(d!.related![0]!.span.line).toBe(14);
  });

  it("follows ufw-style chains reached from INPUT only", () => {
    expect(run(ID, host(["-A INPUT -j ufw-user-input", "-A ufw-user-input -p tcp --dport 8000:8100 -j REJECT"], [DNAT], ["ufw-user-input"]))).toHaveLength(1);
    // A chain FORWARD uses too does see that traffic.
    expect(run(ID, host(["-A INPUT -j shared", "-A FORWARD -j shared", "-A shared -p tcp --dport 8080 -j DROP"], [DNAT], ["shared"]))).toEqual([]);
  });

  it("reports allowlists (ACCEPT with a source or interface) but not plain ACCEPTs", () => {
    expect(run(ID, host(["-A INPUT -s 192.0.2.0/24 -p tcp --dport 8080 -j ACCEPT"]))).toHaveLength(1);
    expect(run(ID, host(["-A INPUT -p tcp --dport 8080 -j ACCEPT"]))).toEqual([]);
  });

  it("only counts the traffic the DNAT really takes", () => {
    const onOneAddress = "-A DOCKER -d 203.0.113.10/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80";
    expect(run(ID, host(["-A INPUT -d 198.51.100.1/32 -p tcp --dport 8080 -j DROP"], [onOneAddress]))).toEqual([]);
    expect(run(ID, host(["-A INPUT -d 203.0.113.10/32 -p tcp --dport 8080 -j DROP"], [onOneAddress]))).toHaveLength(1);
    expect(run(ID, host(["-A INPUT -p udp --dport 8080 -j DROP"]))).toEqual([]);
    expect(run(ID, host(["-A INPUT -p tcp --dport 80 -j DROP"]))).toEqual([]);
    // REDIRECT keeps the connection on the host: INPUT sees it.
    expect(run(ID, host(["-A INPUT -p tcp --dport 8080 -j DROP"], ["-A DOCKER -p tcp --dport 8080 -j REDIRECT --to-ports 3128"]))).toEqual([]);
  });
});
