import { boolSetting, effectiveSettings, stringSetting } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-ip-forward-no-drop",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: '"ip-forward-no-drop": true: Docker turns IP forwarding on without setting FORWARD\'s policy to DROP, so the host routes between all its networks',
  tags: ["daemon", "security", "forwarding"],
  securitySeverity: 5.3,
  precision: "medium",
  docs: {
    rationale: [
      "When dockerd turns IP forwarding on (`net.ipv4.ip_forward=1`, and the IPv6 forwarding sysctls for IPv6 networks), it also sets the policy of iptables' FORWARD chain to DROP, so that the host forwards only what Docker's own rules accept: container traffic. `\"ip-forward-no-drop\": true` (Docker 28.0 and later) keeps FORWARD's policy as it was, ACCEPT on most hosts: the host then routes any packet between any of its interfaces (a LAN and a VPN, two VLANs, the internet and a management network), and whoever can send packets to it can use it as a router into the networks behind it.",
      "Docker's documentation gives the narrower way to let a host forward between two of its interfaces: keep the DROP policy and accept that traffic in DOCKER-USER, `iptables -I DOCKER-USER -i src_if -o dst_if -j ACCEPT`.",
    ].join("\n\n"),
    bad: '{\n  "ip-forward-no-drop": true\n}\n',
    good: "{\n}\n",
    exceptions:
      'Not reported with `"ip-forward": false` (dockerd leaves forwarding alone), `"iptables": false` (dockerd writes no firewall rules), or `"firewall-backend": "nftables"` (that backend never sets a drop policy: see docker-nftables-backend-conflict). A host whose own ruleset sets `:FORWARD DROP` is not affected; fwlint does not look for it.',
  },
  check({ ast, report }) {
    if (ast.root?.type !== "Object") return;
    const settings = effectiveSettings(ast);
    if (boolSetting(settings, "ip-forward-no-drop") !== true) return;
    if (boolSetting(settings, "ip-forward") === false || boolSetting(settings, "iptables") === false) return;
    if (stringSetting(settings, "firewall-backend") === "nftables") return;
    report({
      message:
        '"ip-forward-no-drop": true: when dockerd turns IP forwarding on it leaves FORWARD\'s policy as it is (ACCEPT on most hosts) instead of DROP, so the host routes packets between all its interfaces and networks, not only container traffic. Remove the setting and accept the forwarding you need in DOCKER-USER (iptables -I DOCKER-USER -i src_if -o dst_if -j ACCEPT), or make sure the host\'s own ruleset drops forwarded traffic',
      span: settings.get("ip-forward-no-drop")!.member.span,
    });
  },
});
