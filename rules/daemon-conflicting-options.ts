import type { Span } from "../src/ast/span.js";
import { boolSetting, effectiveSettings, stringSetting, type DaemonSetting } from "../src/docker/daemon.js";
import { compareVersions } from "../src/docker/layout.js";
import { parsePrefix, prefixContains } from "../src/docker/net.js";
import type { Severity } from "../src/diagnostic.js";
import { defineRule } from "../src/rule.js";

interface Conflict {
  readonly at: DaemonSetting;
  readonly others: readonly DaemonSetting[];
  readonly message: string;
  readonly severity: Severity;
}

export default defineRule({
  id: "daemon-conflicting-options",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: "daemon.json combines options that dockerd refuses together, or where one silently cancels the other",
  tags: ["daemon", "validity"],
  precision: "high",
  docs: {
    rationale: [
      "Some settings only make sense together, and dockerd checks a few combinations when it starts. These stop it from starting (errors):",
      "- `\"icc\": false` with `\"iptables\": false` (icc is enforced with iptables rules), and with `\"ipv6\": true` plus `\"ip6tables\": false`;\n- `bridge` together with `bip` or `bip6` (a user-managed bridge has its own address);\n- `host-gateway-ip` together with `host-gateway-ips`;\n- `fixed-cidr` outside the `bip` subnet;\n- `\"ip6tables\": true` before Docker 27.0 without `\"experimental\": true` (needs the `dockerVersion` fact).",
      "These start, but one setting silently cancels the other (warnings): `\"ip-masq\": true` with `\"iptables\": false` (dockerd forces ip-masq off), `userland-proxy-path` with `\"userland-proxy\": false`, `\"tls\": false` with `\"tlsverify\": true` (tlsverify turns TLS on), and `firewall-backend` with `\"iptables\": false` (no firewall rules with either backend).",
    ].join("\n\n"),
    bad: '{\n  "iptables": false,\n  "icc": false\n}\n',
    good: '{\n  "iptables": true,\n  "icc": false\n}\n',
  },
  check({ ast, facts, report }) {
    const s = effectiveSettings(ast);
    const get = (k: string) => s.get(k);
    const conflicts: Conflict[] = [];
    const iptables = boolSetting(s, "iptables");
    if (boolSetting(s, "icc") === false && iptables === false) {
      conflicts.push({ at: get("icc")!, others: [get("iptables")!], severity: "error", message: '"icc": false needs Docker\'s iptables rules, and "iptables" is false: dockerd refuses to start ("icc: false requires iptables: true")' });
    }
    if (boolSetting(s, "icc") === false && boolSetting(s, "ipv6") === true && boolSetting(s, "ip6tables") === false) {
      conflicts.push({ at: get("icc")!, others: [get("ip6tables")!, get("ipv6")!], severity: "error", message: '"icc": false with "ipv6": true needs ip6tables rules, and "ip6tables" is false: dockerd refuses to start' });
    }
    for (const k of ["bip", "bip6"]) {
      if (get("bridge") && get(k) && stringSetting(s, "bridge") !== "") {
        conflicts.push({ at: get(k)!, others: [get("bridge")!], severity: "error", message: `"${k}" cannot be combined with "bridge" (a user-managed bridge keeps its own address): dockerd refuses to start` });
      }
    }
    if (get("host-gateway-ip") && get("host-gateway-ips")) {
      conflicts.push({ at: get("host-gateway-ip")!, others: [get("host-gateway-ips")!], severity: "error", message: '"host-gateway-ip" and "host-gateway-ips" cannot both be set (host-gateway-ip is the deprecated single-address form): dockerd refuses to start' });
    }
    const bip = stringSetting(s, "bip");
    const fixed = stringSetting(s, "fixed-cidr");
    if (bip && fixed) {
      const b = parsePrefix(bip);
      const f = parsePrefix(fixed);
      if (b && f && b.family === f.family && !prefixContains(b, f)) {
        conflicts.push({ at: get("fixed-cidr")!, others: [get("bip")!], severity: "error", message: `"fixed-cidr" ${fixed} is not inside the "bip" subnet ${bip}: the default bridge cannot allocate container addresses from it` });
      }
    }
    if (boolSetting(s, "ip6tables") === true && facts.dockerVersion && compareVersions(facts.dockerVersion, "20.10") >= 0 && compareVersions(facts.dockerVersion, "27.0.0") < 0 && boolSetting(s, "experimental") !== true) {
      conflicts.push({ at: get("ip6tables")!, others: [], severity: "error", message: `"ip6tables": true needs "experimental": true before Docker 27.0 (dockerVersion ${facts.dockerVersion}): dockerd refuses to start` });
    }
    if (iptables === false && boolSetting(s, "ip-masq") === true) {
      conflicts.push({ at: get("ip-masq")!, others: [get("iptables")!], severity: "warning", message: '"ip-masq": true has no effect with "iptables": false: dockerd silently forces ip-masq off, so containers get no outbound NAT' });
    }
    if (iptables === false && get("firewall-backend")) {
      conflicts.push({ at: get("firewall-backend")!, others: [get("iptables")!], severity: "warning", message: '"firewall-backend" has no effect with "iptables": false: Docker writes no firewall rules with either backend' });
    }
    if (boolSetting(s, "userland-proxy") === false && stringSetting(s, "userland-proxy-path")) {
      conflicts.push({ at: get("userland-proxy-path")!, others: [get("userland-proxy")!], severity: "warning", message: '"userland-proxy-path" is ignored with "userland-proxy": false' });
    }
    if (boolSetting(s, "tls") === false && boolSetting(s, "tlsverify") === true) {
      conflicts.push({ at: get("tls")!, others: [get("tlsverify")!], severity: "warning", message: '"tls": false is overridden: "tlsverify": true turns TLS on anyway' });
    }
    for (const c of conflicts) {
      const line = (x: DaemonSetting) => x.member.nameSpan.line;
      const related = c.others.map((o) => ({ span: o.member.span as Span, message: `conflicting setting on line ${line(o)}` }));
      report({ message: c.message, span: c.at.member.span, severity: c.severity, related });
    }
  },
});
