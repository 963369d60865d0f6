import { addMemberSuggestion, boolSetting, effectiveSettings, rootSpan } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-userland-proxy",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "The userland proxy is enabled (CIS Docker 2.16)",
  tags: ["daemon", "security", "cis"],
  securitySeverity: 2.5,
  precision: "medium",
  docs: {
    rationale: [
      "With `userland-proxy` at its default (true), dockerd starts a `docker-proxy` process per published port that listens on the host and relays connections (for loopback and hairpin traffic). Each is one more root-started listener; CIS Docker Benchmark 2.16 asks for `\"userland-proxy\": false`, which makes Docker use hairpin NAT rules instead.",
      "With the proxy off, Docker needs `route_localnet` for ports published on 127.0.0.1, and IPv6 host ports can no longer forward to IPv4-only containers: check those cases before switching.",
    ].join("\n\n"),
    bad: '{\n  "userland-proxy": true\n}\n',
    good: '{\n  "userland-proxy": false\n}\n',
    exceptions: "Hosts that publish IPv6 ports to IPv4-only containers, or depend on the proxy's loopback behaviour.",
  },
  check({ ast, report }) {
    if (ast.root?.type !== "Object") return;
    const settings = effectiveSettings(ast);
    const proxy = boolSetting(settings, "userland-proxy");
    if (proxy === false) return;
    const member = settings.get("userland-proxy")?.member;
    report({
      message: `${proxy === true ? '"userland-proxy": true' : '"userland-proxy" is not set (default true)'}: dockerd runs a docker-proxy listener for every published port; set "userland-proxy": false (CIS Docker 2.16) to use NAT rules instead`,
      span: member?.span ?? rootSpan(ast)!,
      ...(member ? {} : addMemberSuggestion(ast, '"userland-proxy": false')),
    });
  },
});
