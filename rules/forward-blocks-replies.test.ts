import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "forward-blocks-replies";
const dump = (lines: readonly string[], policy = "DROP") => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.map((l) => `-A FORWARD ${l}\n`).join("")}COMMIT\n`;
const found = (text: string) => run(ID, text);

describe(ID, () => {
  it("reports a LAN-to-WAN accept without replies, at the accept, per pair of interfaces", () => {
    const text = dump(["-i eth1 -o eth0 -j ACCEPT"]);
    const [d, ...rest] = found(text);
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(5);
    expect(d!.severity).toBe("error");
    expect(d!.message).toBe(
      "This rule lets new TCP and UDP connections from eth1 out through eth0, but FORWARD's policy DROP drops every reply coming back from eth0 to eth1, so no such connection can complete. Accept the packets of established connections early in FORWARD: -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    );
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(found(fixed)).toEqual([]);
  });

  it("is satisfied by RELATED,ESTABLISHED, a reverse accept, or an ACCEPT policy", () => {
    expect(found(dump(["-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-i eth1 -o eth0 -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -m state --state ESTABLISHED -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-i eth1 -o eth0 -j ACCEPT"], "ACCEPT"))).toEqual([]);
  });

  it("names the dropping rule, and the protocol whose replies are dropped", () => {
    const [d] = found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -p tcp -m state --state ESTABLISHED -j ACCEPT", "-j REJECT"], "ACCEPT"));
    expect(d!.message).toMatch(/^This rule lets new UDP connections from eth1 out through eth0, but the REJECT at line 7 \(filter FORWARD\) drops every reply/);
    expect(d!.related!.map((r) => r.span.line)).toEqual([7]);
  });

  it("leaves alone replies from some sources, unknown matches, and a single interface", () => {
    expect(found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -s 192.0.2.0/24 -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -m recent --rcheck --name ok -j ACCEPT"]))).toEqual([]);
    expect(found(dump(["-i eth1 -j ACCEPT"]))).toEqual([]);
  });

  it("follows the servers' data after the handshake through FORWARD", () => {
    const [d, ...rest] = found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -p udp -j ACCEPT", "-i eth0 -o eth1 -p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT"]));
    expect(rest).toEqual([]);
    expect(d!.message).toBe(
      "This rule lets new TCP connections from eth1 out through eth0, but FORWARD's policy DROP drops the data the server sends after the handshake (its SYN-ACK gets through; the data's TCP flags are ACK, not SYN,ACK), coming back from eth0 to eth1, so no such connection can complete. Accept the packets of established connections early in FORWARD: -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    );
    expect(found(dump(["-i eth1 -o eth0 -j ACCEPT", "-i eth0 -o eth1 -p udp -j ACCEPT", "-i eth0 -o eth1 -p tcp ! --syn -j ACCEPT"]))).toEqual([]);
  });
});
