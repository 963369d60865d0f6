import { addMemberSuggestion, effectiveSettings, objectMember, rootSpan, daemonVersion, isAcceptedKey } from "../src/docker/daemon.js";
import { isUnspecified } from "../src/docker/net.js";
import { defineRule } from "../src/rule.js";

const BINDING = "com.docker.network.bridge.host_binding_ipv4";

export default defineRule({
  id: "daemon-default-bind-all",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "Ports published without an address bind every host address",
  tags: ["daemon", "security", "exposure"],
  securitySeverity: 5.3,
  precision: "medium",
  docs: {
    rationale: [
      "`docker run -p 8080:80` (and `ports: [\"8080:80\"]` in Compose) publishes on every host address, 0.0.0.0 and ::, and Docker's DNAT bypasses INPUT rules, ufw and firewalld: a database published \"for local use\" is on the internet. Docker calls port publishing \"insecure by default\".",
      "Make local-only the default: `\"ip\": \"127.0.0.1\"` for the default bridge, and `\"default-network-opts\": {\"bridge\": {\"com.docker.network.bridge.host_binding_ipv4\": \"127.0.0.1\"}}` (Docker 24+) for user-defined networks, which is where Compose projects live. Ports that must be public are then published with an explicit address (`-p 0.0.0.0:443:443`).",
      "Before Docker 28.0, hosts on the same L2 segment could still reach ports published on 127.0.0.1 (moby/moby#45610).",
    ].join("\n\n"),
    bad: '{\n  "ip": "0.0.0.0"\n}\n',
    good: '{\n  "ip": "127.0.0.1",\n  "default-network-opts": {\n    "bridge": { "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1" }\n  }\n}\n',
    exceptions: "Hosts whose job is to serve published ports to the world, with each port restricted in DOCKER-USER.",
  },
  check({ ast, facts, report }) {
    if (ast.root?.type !== "Object") return;
    const settings = effectiveSettings(ast);
    const ip = settings.get("ip")?.member;
    const ipValue = ip?.value.type === "String" ? ip.value.value : undefined;
    if (!ip) {
      report({
        message: 'No "ip" is set: ports published without an address (docker run -p 8080:80) bind every host address (0.0.0.0 and ::) and bypass INPUT rules; set "ip": "127.0.0.1" and publish public ports with an explicit address',
        span: rootSpan(ast)!,
        ...addMemberSuggestion(ast, '"ip": "127.0.0.1"'),
      });
      return;
    }
    if (ipValue !== undefined && isUnspecified(ipValue)) {
      report({
        message: `"ip": "${ipValue}" makes ports published without an address (docker run -p 8080:80) bind every host address and bypass INPUT rules; use "ip": "127.0.0.1" and publish public ports with an explicit address`,
        span: ip.value.span,
        suggestions: [{ desc: 'Use "127.0.0.1"', fix: { range: [ip.value.span.offset, ip.value.span.endOffset], text: '"127.0.0.1"' } }],
      });
      return;
    }
    // "ip" only covers the default bridge; user-defined networks need default-network-opts (24.0+).
    if (!isAcceptedKey("default-network-opts", daemonVersion(facts.dockerVersion))) return;
    const opts = settings.get("default-network-opts")?.member.value;
    const binding = objectMember(objectMember(opts, "bridge")?.value, BINDING)?.value;
    if (binding?.type === "String" && !isUnspecified(binding.value)) return;
    report({
      message: `"ip" only applies to the default bridge: containers on user-defined networks (every Compose project) still publish on every address; also set "default-network-opts": {"bridge": {"${BINDING}": "${ipValue ?? "127.0.0.1"}"}}`,
      span: ip.nameSpan,
    });
  },
});
