import { effectiveSettings, objectMember, stringSetting } from "../src/docker/daemon.js";
import { analyzeDocker, describePort, isUnspecified } from "../src/docker/index.js";
import { daemonAndDumps, mayPair } from "../src/docker/project.js";
import { defineRule } from "../src/rule.js";

const BINDING = "com.docker.network.bridge.host_binding_ipv4";

export default defineRule({
  id: "docker-bind-address-mismatch",
  language: "project",
  category: "docker",
  severity: "warning",
  description: "daemon.json makes published ports local-only by default, but the ruleset publishes ports on every address",
  tags: ["docker", "security", "exposure"],
  securitySeverity: 6.5,
  precision: "high",
  docs: {
    rationale: [
      "`\"ip\": \"127.0.0.1\"` in daemon.json (default bridge) and `default-network-opts` … `host_binding_ipv4` (user-defined networks) change the default address of ports published without one. They do not change ports published with an explicit address (`-p 0.0.0.0:8080:80`), and they only take effect when dockerd restarts and the container is started again.",
      "When a host's ruleset still has DNAT rules without a destination address (bound to every host address) for networks that daemon.json makes local-only, the ports are public although the configuration says otherwise. fwlint compares the two when they are linted together (both files on the command line).",
    ].join("\n\n"),
    bad: [
      "==> daemon.json <==",
      '{ "ip": "127.0.0.1" }',
      "==> rules.v4 <==",
      "*nat",
      ":DOCKER - [0:0]",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "==> daemon.json <==",
      '{ "ip": "127.0.0.1" }',
      "==> rules.v4 <==",
      "*nat",
      ":DOCKER - [0:0]",
      "-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "Ports published on every address on purpose (`-p 0.0.0.0:443:443`): disable the rule for their DNAT line.",
  },
  appliesTo: mayPair,
  check({ ast, facts, report }) {
    const pair = daemonAndDumps(ast);
    if (!pair) return;
    const settings = effectiveSettings(pair.daemon);
    const ip = stringSetting(settings, "ip");
    const ipMember = settings.get("ip")?.member;
    const opts = settings.get("default-network-opts")?.member.value;
    const bindingMember = objectMember(objectMember(opts, "bridge")?.value, BINDING);
    const binding = bindingMember?.value.type === "String" ? bindingMember.value.value : undefined;
    const defaultBridge = stringSetting(settings, "bridge") || "docker0";
    for (const { file, ruleset } of pair.dumps) {
      const layout = analyzeDocker(ruleset, facts);
      for (const port of layout.publishedPorts) {
        if (port.hostAddress !== null || port.swarm) continue;
        const onDefault = port.bridge === defaultBridge;
        const local = onDefault ? ip : port.bridge !== null ? binding : undefined;
        if (local === undefined || local === "" || isUnspecified(local)) continue;
        const setting = onDefault ? `"ip": "${ip}" (line ${ipMember!.span.line})` : `default-network-opts ${BINDING} "${binding}" (line ${bindingMember!.span.line})`;
        report({
          message: `${describePort(port)} is published on every host address, although ${pair.daemonFile.filePath?.split(/[/\\]/).pop() ?? "daemon.json"} sets ${setting}: the container was published with an explicit 0.0.0.0, or started before that setting took effect; publish it as ${local}:${port.hostPort.from}:${port.containerPort.from} or recreate the container`,
          span: port.dnat.command.span,
          ...(file.filePath ? { filePath: file.filePath } : {}),
        });
      }
    }
  },
});
