import { analyzeDocker, describePort, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { publishedPortReach } from "../src/model/exposure.js";
import { exposureOf, MODEL_ANALYSIS, modelOf } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";

/** The docs' example: Docker 20.10's rules for `-p 127.0.0.1:8080:80` on docker0. */
const EXAMPLE = [
  "*nat",
  ":PREROUTING ACCEPT [0:0]",
  ":OUTPUT ACCEPT [0:0]",
  ":DOCKER - [0:0]",
  "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
  "-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
  "COMMIT",
  "*filter",
  ":FORWARD DROP [0:0]",
  ":DOCKER - [0:0]",
  "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
  "-A FORWARD -o docker0 -j DOCKER",
  "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
  "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
  "COMMIT",
  "",
].join("\n");

export default defineRule({
  id: "docker-loopback-publish-exposed",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS, MODEL_ANALYSIS],
  severity: "error",
  description: "A port published on the loopback address only (-p 127.0.0.1:…) is reachable from hosts on the host's networks",
  tags: ["docker", "security", "exposure"],
  securitySeverity: 7.5,
  precision: "high",
  docs: {
    rationale: [
      "`docker run -p 127.0.0.1:8080:80` is meant to make a port reachable from the host only. Before Docker 28.0, dockerd wrote its DNAT rule (`-A DOCKER -d 127.0.0.1/32 … -j DNAT`) with nothing that checks where the packet comes from: a neighbour on the same link sends a frame to the host's MAC address with 127.0.0.1 as its destination, the DNAT rewrites it to the container's address before the kernel's routing would refuse a loopback destination from outside, and the container answers (moby/moby#41872, #45610).",
      "Docker 28.0 adds a raw-table rule per such port, `-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP`, that drops those frames before NAT. fwlint decides on its exact exposure of the file (the packet model, replies included): the port is reported when new connections from some interface other than lo reach the container, and the message lists those interfaces and sources.",
      "Upgrade Docker to 28.0 or later, or add that raw rule yourself.",
    ].join(" "),
    bad: EXAMPLE,
    good: ["*raw", ":PREROUTING ACCEPT [0:0]", "-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP", "COMMIT", EXAMPLE].join("\n"),
    exceptions: "WSL2's mirrored networking (interface loopback0, which Docker lets in on purpose) is not counted. The attack needs a neighbour on the same link (frames to 127.0.0.1 are not routed across the internet). IPv6's ::1 is not affected: the kernel drops it from outside before NAT.",
  },
  check(ctx) {
    const { ast, facts, report, memo } = ctx;
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    if (!layout.publishedPorts.some((p) => p.loopbackOnly)) return;
    const model = modelOf(ctx);
    const items = exposureOf(ctx);
    for (const port of layout.publishedPorts) {
      if (!port.loopbackOnly) continue;
      // WSL2's mirrored networking brings the Windows host's own localhost in on loopback0: Docker accepts it there on purpose
      const reach = publishedPortReach(model, items, port).filter((r) => r.inInterface !== "loopback0");
      if (reach.length === 0) continue;
      const ifaces = [...new Set(reach.map((r) => (r.inInterface === "*" ? "any interface" : r.inInterface)))];
      const from = reach.every((r) => r.sources.some((x) => x.endsWith("/0"))) ? "any source" : "some sources";
      const drop = `-t raw -I PREROUTING -d ${port.hostAddress}/32 ! -i lo -p ${port.protocol} -m ${port.protocol} --dport ${port.hostPort.from === port.hostPort.to ? port.hostPort.from : `${port.hostPort.from}:${port.hostPort.to}`} -j DROP`;
      report({
        message: `${describePort(port)} is published on the loopback address only, but a neighbour on ${ifaces.join(", ")} (${from}) can reach it by sending to ${port.hostAddress}: the DNAT rewrites the packet before the kernel would refuse a loopback destination from outside (Docker before 28.0, moby/moby#45610). Upgrade Docker to 28.0 or later, or add \`${drop}\``,
        span: port.dnat.command.span,
      });
    }
  },
});
