import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "unused-chain";
const filter = (chains: string[], lines: string[]) => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]\n`).join("")}${lines.join("\n")}\nCOMMIT\n`;

describe(ID, () => {
  it("reports a chain nothing jumps to, at its declaration", () => {
    const [d] = run(ID, filter(["ssh-allow"], ["-A ssh-allow -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT"]));
    expect(d!.message).toBe("Chain ssh-allow is never jumped to: its 1 rule never runs");
    expect(d!.span.line).toBe(5);
  });

  it("reports chains only reachable from dead chains, and not chains the built-in chains reach", () => {
    const msgs = run(ID, filter(["a", "b", "c"], ["-A INPUT -j c", "-A a -j b", "-A b -j DROP", "-A c -g b"])).map((d) => d.message);
    expect(msgs).toEqual(["Chain a is never jumped to: its 1 rule never runs"]);
    const dead = run(ID, filter(["a", "b"], ["-A a -j b", "-A b -j DROP"])).map((d) => d.message);
    expect(dead).toEqual(["Chain a is never jumped to: its 1 rule never runs", "Chain b is only jumped to from a chain that never runs (a): its 1 rule never runs"]);
  });

  it("leaves Docker's chains and empty chains alone", () => {
    expect(run(ID, filter(["DOCKER-USER", "DOCKER", "ufw-user-input", "f2b-sshd", "my-empty"], ["-A DOCKER-USER -j RETURN"]))).toEqual([]);
  });

  it("leaves the ufw chains of a ufw rules file alone (ufw jumps to them), not others", () => {
    const ufw = "*filter\n:ufw-before-input - [0:0]\n:ufw-not-local - [0:0]\n:mine - [0:0]\n-A ufw-before-input -j ufw-not-local\n-A ufw-not-local -j RETURN\n-A mine -j DROP\nCOMMIT\n";
    expect(run(ID, ufw).map((d) => d.message)).toEqual(["Chain mine is never jumped to: its 1 rule never runs"]);
    const whole = filter(["ufw-before-input"], ["-A ufw-before-input -j DROP"]);
    expect(run(ID, whole).map((d) => d.message)).toEqual(["Chain ufw-before-input is never jumped to: its 1 rule never runs"]);
  });
});
