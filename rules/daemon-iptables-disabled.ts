import { boolSetting, effectiveSettings } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-iptables-disabled",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: '"iptables": false: Docker stops managing the firewall and container ports become reachable from the network',
  tags: ["daemon", "security", "cis"],
  securitySeverity: 8.2,
  precision: "very-high",
  docs: {
    rationale: [
      "With `\"iptables\": false` dockerd writes no DOCKER or DOCKER-USER chains, no NAT and no filtering (with either firewall backend), and silently forces `ip-masq` off. Containers lose outbound NAT, published ports are only served by docker-proxy, and because dockerd may still turn on IP forwarding without setting the FORWARD policy to DROP, every port of every container is reachable from the local network by routing to the bridge subnet.",
      "Docker's documentation calls the option \"not appropriate for most users\" and rebuilding Docker's rules by hand \"extremely involved\"; CIS Docker Benchmark 2.4 requires that Docker be allowed to make changes to iptables.",
      "Leave `iptables` at its default (true) and put your own restrictions in the DOCKER-USER chain.",
    ].join("\n\n"),
    bad: '{\n  "iptables": false\n}\n',
    good: '{\n  "iptables": true\n}\n',
    exceptions: "Hosts where another tool (a Kubernetes CNI, a hand-written nftables ruleset) deliberately owns all container networking.",
  },
  check({ ast, report }) {
    const settings = effectiveSettings(ast);
    if (boolSetting(settings, "iptables") !== false) return;
    const s = settings.get("iptables")!;
    report({
      message: `"iptables": false${s.nestedIn ? ` (inside "${s.nestedIn.name}", which dockerd still applies)` : ""} turns off Docker's firewall management: containers lose outbound NAT and every container port is reachable from the local network; keep the default (true) and restrict traffic in DOCKER-USER`,
      span: s.member.span,
    });
  },
});
