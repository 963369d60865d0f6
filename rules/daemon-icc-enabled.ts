import { addMemberSuggestion, boolSetting, effectiveSettings, rootSpan } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-icc-enabled",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "Inter-container communication on the default bridge is enabled (CIS Docker 2.2)",
  tags: ["daemon", "security", "cis"],
  securitySeverity: 3.5,
  precision: "medium",
  docs: {
    rationale: [
      "With `icc` at its default (true) every container on the default bridge (docker0) can reach every port of every other one, published or not: one compromised container can attack all its neighbours. CIS Docker Benchmark 2.2 asks for `\"icc\": false`, so containers on the default bridge only talk to each other through published ports or explicit links.",
      "`icc` only affects the default bridge: containers that must talk to each other belong on a user-defined network, where they can (and where `docker network create -o com.docker.network.bridge.enable_icc=false` exists too).",
      "Not reported when `\"iptables\": false` (icc needs Docker's iptables rules; that combination is reported by daemon-conflicting-options).",
    ].join("\n\n"),
    bad: '{\n  "icc": true\n}\n',
    good: '{\n  "icc": false\n}\n',
    exceptions: "Hosts that run cooperating containers on the default bridge on purpose (prefer a user-defined network).",
  },
  check({ ast, report }) {
    if (ast.root?.type !== "Object") return;
    const settings = effectiveSettings(ast);
    if (boolSetting(settings, "iptables") === false) return;
    const icc = boolSetting(settings, "icc");
    if (icc === false) return;
    const member = settings.get("icc")?.member;
    report({
      message: `${icc === true ? '"icc": true' : '"icc" is not set (default true)'}: every container on the default bridge can reach every port of every other one; set "icc": false (CIS Docker 2.2) and put containers that talk to each other on a user-defined network`,
      span: member?.span ?? rootSpan(ast)!,
      ...(member ? {} : addMemberSuggestion(ast, '"icc": false')),
    });
  },
});
