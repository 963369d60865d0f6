import { analyzeDocker, decidePortExposure, describePort } from "../src/docker/index.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "docker-user-unrestricted",
  language: "iptables",
  category: "docker",
  severity: "warning",
  description: "A published port is open to new connections from every source address",
  tags: ["docker", "security", "exposure"],
  securitySeverity: 6.5,
  precision: "medium",
  docs: {
    rationale: [
      "`docker run -p 8080:80` publishes the port on every host address, and Docker's DNAT sends the traffic through FORWARD, not INPUT: INPUT rules, ufw and firewalld zones never see it. The one place to restrict who may connect is the DOCKER-USER chain.",
      "This rule lists every published port (from the nat DOCKER chain) that a new connection from an arbitrary outside address can reach because DOCKER-USER restricts nothing for it: the chain is empty or missing, FORWARD never jumps to it, its DROP rules come after a RETURN, name an interface that does not exist, match the host port that DNAT already rewrote, or only cover other ports.",
      "Restrict the port in DOCKER-USER (`-I DOCKER-USER -i eth0 -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL ! -s 192.0.2.0/24 -j DROP`), or publish it on the loopback address only (`-p 127.0.0.1:8080:80`, or `\"ip\": \"127.0.0.1\"` in daemon.json).",
      "Conditions fwlint cannot decide from the file (ipsets, marks, unknown matches, interfaces when the `externalInterfaces` fact is not set) count as restricting: the rule only reports ports that are open whatever they turn out to be. Ports bound to a loopback address are not reported.",
    ].join("\n\n"),
    bad: [
      "*filter",
      ":FORWARD DROP [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "*filter",
      ":FORWARD DROP [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
      "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "Ports that are meant to be public (a web server on 80/443): disable the rule for their DNAT line, or restrict them in DOCKER-USER to document the intent.",
  },
  check({ ast, facts, report, memo }) {
    if (!ast.tables.some((t) => t.name === "filter")) return;
    const layout = memo("docker:layout", () => analyzeDocker(ast, facts));
    for (const port of layout.publishedPorts) {
      if (port.loopbackOnly) continue;
      const decision = decidePortExposure(ast, layout, port, facts);
      if (decision.outcome !== "open") continue;
      const notes = decision.notes.slice(0, 3).map((n) => `line ${n.rule.span.line}: ${n.text}`);
      const scope = port.hostAddress ? ` that can reach ${port.hostAddress}` : "";
      report({
        message: `${describePort(port)} is open to every source${scope}: ${decision.reason}${notes.length ? ` (${notes.join("; ")})` : ""}`,
        span: port.dnat.command.span,
        related: [
          ...(layout.userChain ? [{ span: layout.userChain.nameSpan, message: "restrict the port here" }] : []),
          ...decision.notes.map((n) => ({ span: n.rule.command.span, message: n.text })),
        ],
      });
    }
  },
});
