import { describe, expect, it } from "vitest";
import { applyFix, dump, run } from "../test/support/rule-run.js";

const ID = "docker-user-not-jumped";

describe(ID, () => {
  it("is an error when DOCKER-USER has rules that never run, and offers the jump", () => {
    const text = dump(["-A FORWARD -i eth1 -o eth0 -j ACCEPT", "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"]);
    const [d] = run(ID, text);
    expect(d!.severity).toBe("error");
    expect(d!.message).toMatch(/its 1 rule never run/);
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(fixed).toContain("-A FORWARD -j DOCKER-USER\n-A FORWARD -i eth1 -o eth0 -j ACCEPT");
    expect(run(ID, fixed)).toEqual([]);
  });

  it("is a warning for an empty declared chain", () => {
    const [d] = run(ID, dump([]));
    expect(d!.severity).toBe("warning");
    expect(d!.span).toMatchObject({ line: 5, column: 2 });
  });

  it("does not count Docker's own RETURN as a rule of the user", () => {
    expect(run(ID, dump(["-A DOCKER-USER -j RETURN"]))[0]!.severity).toBe("warning");
  });

  it("names the FORWARD rules that decide before the jump", () => {
    const [d] = run(ID, dump(["-A FORWARD -i wg0 -j ACCEPT", "-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"]));
    expect(d!.message).toMatch(/line 6/);
    expect(d!.related?.[0]?.span.line).toBe(6);
  });

  it("accepts non-deciding rules (LOG, counters) before the jump", () => {
    expect(run(ID, dump(['-A FORWARD -j LOG --log-prefix "fwd "', "-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP"]))).toEqual([]);
  });

  it("ignores scripts that only use the chain dockerd made", () => {
    expect(run(ID, "iptables -I DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP\n", { kind: "script" })).toEqual([]);
    expect(run(ID, "iptables -N DOCKER-USER\niptables -A DOCKER-USER -i eth0 -j DROP\n", { kind: "script" })).toHaveLength(1);
  });
});
