import type { Rule, Ruleset } from "../src/ast/iptables.js";
import { analyzeDocker, dockerUserRules, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { defineRule } from "../src/rule.js";
import { insertFirstRule } from "./_first-rule.js";

/** Where to insert `-A FORWARD -j DOCKER-USER` so it becomes FORWARD's first rule (save and -S formats). */
const insertJump = (ast: Ruleset, text: string) => insertFirstRule(ast, text, "filter", "-A FORWARD -j DOCKER-USER", "Insert -A FORWARD -j DOCKER-USER as the first FORWARD rule");

/** FORWARD rules before the jump that can decide a packet (accept, drop, or jump to a chain that does). */
function deciders(ast: Ruleset, forward: readonly Rule[], before: number): Rule[] {
  return forward.slice(0, before).filter((r) => {
    const t = r.target?.name;
    if (!t) return false;
    if (t === "ACCEPT" || t === "DROP" || t === "REJECT") return true;
    const chain = ast.tables.find((x) => x.name === "filter")?.chains.find((c) => c.name === t);
    return chain !== undefined && !chain.builtin && chain.rules.some((x) => ["ACCEPT", "DROP", "REJECT"].includes(x.target?.name ?? "") || x.target?.goto);
  });
}

export default defineRule({
  id: "docker-user-not-jumped",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS],
  severity: "error",
  description: "DOCKER-USER is created but FORWARD does not jump to it first, so its rules do not protect containers",
  tags: ["docker", "security"],
  securitySeverity: 8.1,
  precision: "high",
  docs: {
    rationale: [
      "Docker filters forwarded traffic to containers through `FORWARD -j DOCKER-USER` as the very first FORWARD rule; everything you restrict for containers lives in DOCKER-USER.",
      "A saved ruleset (rules.v4 and the like) that declares DOCKER-USER but has no jump to it is dangerous: restored at boot before dockerd starts, dockerd finds DOCKER-USER already there and, in affected versions, does not insert the jump (moby/libnetwork#2631, moby/moby#48560). The rules in DOCKER-USER then never run and the firewall fails open.",
      "A jump that is not first, or that only applies to some packets, lets FORWARD rules before it accept traffic that your DOCKER-USER rules were meant to stop.",
      "Keep `-A FORWARD -j DOCKER-USER` as the first FORWARD rule of any saved ruleset that has a DOCKER-USER chain.",
    ].join("\n\n"),
    bad: ["*filter", ":FORWARD DROP [0:0]", ":DOCKER-USER - [0:0]", "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP", "COMMIT", ""].join("\n"),
    good: ["*filter", ":FORWARD DROP [0:0]", ":DOCKER-USER - [0:0]", "-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP", "COMMIT", ""].join("\n"),
    exceptions:
      "Scripts that only add rules to DOCKER-USER (`iptables -I DOCKER-USER …`, as Docker's documentation does) are not checked: they run on a host where dockerd already made the chain and the jump.",
  },
  check({ ast, text, facts, report, memo }) {
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    const chain = layout.userChain;
    if (!chain || chain.declaredBy === "implicit") return;
    const own = dockerUserRules(layout).filter((u) => u.reachable && !(layout.dockerRules.has(u.rule) && u.rule.target?.name === "RETURN"));
    if (layout.userJumps.length === 0) {
      const suggestion = insertJump(ast, text);
      report({
        message:
          own.length > 0
            ? `DOCKER-USER is created here but FORWARD never jumps to it: its ${own.length} rule${own.length === 1 ? "" : "s"} never run. Restored before dockerd starts, this leaves the firewall failing open (dockerd finds the chain and does not add the jump, moby#48560); add -A FORWARD -j DOCKER-USER as the first FORWARD rule`
            : "DOCKER-USER is created here but FORWARD never jumps to it: restored before dockerd starts, dockerd finds the chain and does not add the jump (moby#48560), so rules added to DOCKER-USER later never run; add -A FORWARD -j DOCKER-USER as the first FORWARD rule",
        span: chain.nameSpan,
        severity: own.length > 0 ? "error" : "warning",
        ...(suggestion ? { suggestions: [suggestion] } : {}),
      });
      return;
    }
    if (own.length === 0) return;
    const forward = ast.tables.find((t) => t.name === "filter")?.chains.find((c) => c.name === "FORWARD")?.rules ?? [];
    const first = layout.userJumps[0]!;
    const unconditional = layout.userJumps.find((j) => j.unconditional);
    if (!unconditional) {
      report({
        message: "FORWARD only jumps to DOCKER-USER for some packets: every other forwarded packet skips your DOCKER-USER rules; make the jump unconditional (-A FORWARD -j DOCKER-USER)",
        span: first.rule.command.span,
        severity: "warning",
      });
      return;
    }
    const before = deciders(ast, forward, unconditional.position - 1);
    if (before.length > 0) {
      report({
        message: `FORWARD decides packets before it jumps to DOCKER-USER (line ${before.map((r) => r.span.line).join(", ")}): what those rules accept never reaches your DOCKER-USER rules; the jump to DOCKER-USER must be the first FORWARD rule`,
        span: unconditional.rule.command.span,
        severity: "warning",
        related: before.map((r) => ({ span: r.command.span, message: "decides before DOCKER-USER" })),
      });
    }
  },
});
