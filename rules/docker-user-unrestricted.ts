import { analyzeDocker, decidePortExposure, describePort, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { publishedPortDecision } from "../src/model/exposure.js";
import { exposureOf, MODEL_ANALYSIS, modelOf } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "docker-user-unrestricted",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS, MODEL_ANALYSIS],
  severity: "warning",
  description: "A published port is open to new connections from every source address",
  tags: ["docker", "security", "exposure"],
  securitySeverity: 6.5,
  precision: "medium",
  docs: {
    rationale: [
      "`docker run -p 8080:80` publishes the port on every host address, and Docker's DNAT sends the traffic through FORWARD, not INPUT: INPUT rules, ufw and firewalld zones never see it. The one place to restrict who may connect is the DOCKER-USER chain.",
      "This rule lists every published port (from the nat DOCKER chain) that a new connection from an arbitrary outside address can reach because DOCKER-USER restricts nothing for it: the chain is empty or missing, FORWARD never jumps to it, its DROP rules come after a RETURN, name an interface that does not exist, match the host port that DNAT already rewrote, or only cover other ports.",
      "Restrict the port in DOCKER-USER (`-I DOCKER-USER -i eth0 -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL ! -s 192.0.2.0/24 -j DROP`), or publish it on the loopback address only (`-p 127.0.0.1:8080:80`, or `\"ip\": \"127.0.0.1\"` in daemon.json; before Docker 28.0 that still lets neighbours on the link in, see `docker-loopback-publish-exposed`).",
      "The decision is fwlint's exact exposure of the file (the packet model, replies included): a port is reported when new connections from every source — or every source but a blocklist, at least half of all addresses — reach the container on an external interface (`externalInterfaces` fact), or on every outside interface when that fact is not set. Conditions fwlint cannot decide from the file (ipsets, unknown matches) count as restricting: the rule only reports ports that are open whatever they turn out to be. Ports bound to a loopback address are not reported, and a file without Docker's own rules (a script of DOCKER-USER rules only) publishes nothing by itself. A port published for UDP or SCTP (`-p 5000:5000/sctp`) is judged by the datagrams or associations of its own protocol: a DOCKER-USER rule with `-p tcp` does not restrict it.",
    ].join("\n\n"),
    bad: [
      "*filter",
      ":FORWARD DROP [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
      "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "*filter",
      ":FORWARD DROP [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
      "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
      "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
      "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "Ports that are meant to be public (a web server on 80/443): disable the rule for their DNAT line, or restrict them in DOCKER-USER to document the intent.",
  },
  check(ctx) {
    const { ast, facts, report, memo } = ctx;
    if (!ast.tables.some((t) => t.name === "filter")) return;
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    if (!layout.publishedPorts.some((p) => !p.loopbackOnly)) return;
    // The decision is the packet model's exact exposure (replies included); the Docker walk only explains it.
    const model = modelOf(ctx);
    const items = exposureOf(ctx);
    for (const port of layout.publishedPorts) {
      if (port.loopbackOnly) continue;
      const exact = publishedPortDecision(model, items, port, facts.externalInterfaces ?? []);
      if (exact.outcome !== "open") continue;
      const decision = decidePortExposure(ast, layout, port, facts);
      const reason = decision.outcome === "open" ? decision.reason : exact.reason;
      const notes = decision.notes.slice(0, 3).map((n) => `line ${n.rule.span.line}: ${n.text}`);
      const scope = port.hostAddress ? ` that can reach ${port.hostAddress}` : "";
      const where = facts.externalInterfaces?.length ? ` on ${exact.openOn.join(", ")}` : "";
      const except = exact.except.length === 0 ? "" : exact.except.length <= 3 ? ` except ${exact.except.join(", ")}` : ` except ${exact.except.length} blocked ranges`;
      report({
        message: `${describePort(port)} is open to every source${except}${scope}${where}: ${reason}${notes.length ? ` (${notes.join("; ")})` : ""}`,
        span: port.dnat.command.span,
        related: [
          ...(layout.userChain ? [{ span: layout.userChain.nameSpan, message: "restrict the port here" }] : []),
          ...decision.notes.map((n) => ({ span: n.rule.command.span, message: n.text })),
        ],
      });
    }
  },
});
