import { boolSetting, effectiveSettings, rootSpan } from "../src/docker/daemon.js";
import { compareVersions } from "../src/docker/layout.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-ip6tables-disabled",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "IPv6 is enabled but Docker does not manage ip6tables, so containers' IPv6 addresses are unfiltered",
  tags: ["daemon", "security"],
  securitySeverity: 7.5,
  precision: "high",
  docs: {
    rationale: [
      "`\"ipv6\": true` gives containers globally routable IPv6 addresses. Without ip6tables management (`\"ip6tables\": false`) Docker writes no IPv6 NAT and no IPv6 filtering, so every port of every container is reachable over IPv6 by anyone who can route to the subnet, whatever ports you published.",
      "`ip6tables` defaults to true since Docker 27.0; in 20.10–26.x it defaulted to false and needed `\"experimental\": true`. With the `dockerVersion` fact set to such a release, a missing `ip6tables` is reported too.",
    ].join("\n\n"),
    bad: '{\n  "ipv6": true,\n  "fixed-cidr-v6": "2001:db8:1::/64",\n  "ip6tables": false\n}\n',
    good: '{\n  "ipv6": true,\n  "fixed-cidr-v6": "2001:db8:1::/64",\n  "ip6tables": true\n}\n',
  },
  check({ ast, facts, report }) {
    const settings = effectiveSettings(ast);
    if (boolSetting(settings, "ipv6") !== true) return;
    const ip6 = boolSetting(settings, "ip6tables");
    if (ip6 === false) {
      report({
        message: '"ip6tables": false with "ipv6": true: Docker writes no IPv6 filtering or NAT, so every port of every container is reachable over IPv6; set "ip6tables": true',
        span: settings.get("ip6tables")!.member.span,
      });
    } else if (ip6 === undefined && facts.dockerVersion && compareVersions(facts.dockerVersion, "27.0.0") < 0) {
      report({
        message: `"ipv6": true, but before Docker 27.0 "ip6tables" defaults to false (dockerVersion ${facts.dockerVersion}): containers' IPv6 addresses are unfiltered; set "ip6tables": true (with "experimental": true on these releases)`,
        span: settings.get("ipv6")?.member.span ?? rootSpan(ast)!,
      });
    }
  },
});
