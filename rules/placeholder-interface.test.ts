import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "placeholder-interface";

describe(ID, () => {
  it("flags Docker's documentation placeholders in every form", () => {
    const script = ["iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP", "iptables -I DOCKER-USER -i src_if -o dst_if -j ACCEPT", "iptables -A INPUT -i INTERFACE -j ACCEPT", ""].join("\n");
    const found = run(ID, script, { kind: "script" });
    expect(found.map((d) => d.message.match(/"([^"]+)"/)![1])).toEqual(["ext_if", "src_if", "dst_if", "INTERFACE"]);
    expect(found[0]!.message).toMatch(/Docker's documentation/);
    expect(found[0]!.span).toMatchObject({ line: 1, column: 28, endColumn: 34 });
  });

  it("suggests the configured external interface", () => {
    const text = "iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP\n";
    const [d] = run(ID, text, { kind: "script", facts: { externalInterfaces: ["enp3s0"] } });
    expect(d!.message).toMatch(/externalInterfaces: enp3s0/);
    expect(applyFix(text, d!.suggestions![0]!.fix)).toBe("iptables -I DOCKER-USER -i enp3s0 ! -s 192.168.1.1 -j DROP\n");
  });

  it("does not guess which of several external interfaces was meant", () => {
    const [d] = run(ID, "iptables -I DOCKER-USER -i ext_if -j DROP\n", { kind: "script", facts: { externalInterfaces: ["eth0", "eth1"] } });
    expect(d!.suggestions).toBeUndefined();
  });

  it("leaves real names and unknown shell variables alone", () => {
    expect(run(ID, 'iptables -A FORWARD -i "$WAN" -o wan -j ACCEPT\niptables -A FORWARD -i eth+ -o lan1 -j ACCEPT\n', { kind: "script" })).toEqual([]);
  });

  it("flags an unexpanded variable in a restore file", () => {
    expect(run(ID, "*filter\n-A INPUT -i $WAN_IF -j DROP\nCOMMIT\n")).toHaveLength(1);
  });
});
