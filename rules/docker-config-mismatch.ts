import type { Rule } from "../src/ast/iptables.js";
import { boolSetting, effectiveSettings, stringSetting, type DaemonSetting } from "../src/docker/daemon.js";
import { analyzeDocker, parsePrefix, formatPrefix, type DockerLayout } from "../src/docker/index.js";
import { daemonAndDumps, mayPair, where, type DumpRuleset } from "../src/docker/project.js";
import { defineRule } from "../src/rule.js";

function firstDockerRule(layout: DockerLayout, pred: (id: string, rule: Rule) => boolean = () => true): Rule | undefined {
  let best: Rule | undefined;
  for (const [rule, m] of layout.dockerRules) if (pred(m.template.id, rule) && (!best || rule.command.span.offset < best.command.span.offset)) best = rule;
  return best;
}

export default defineRule({
  id: "docker-config-mismatch",
  language: "project",
  category: "docker",
  severity: "warning",
  description: "daemon.json and the host's ruleset contradict each other: one of them is not what is running",
  tags: ["docker", "daemon", "correctness"],
  precision: "medium",
  docs: {
    rationale: [
      "Linted together (both files on the command line), a host's daemon.json and its iptables dump must tell the same story. When they do not, either dockerd has not been restarted since daemon.json changed, or the saved ruleset is stale, and in both cases what you review is not what runs.",
      "Checked: `\"iptables\": false` (or `\"ip6tables\": false`) while the ruleset has Docker's chains (dockerd with iptables off does not remove old rules: they stay, stale, until reboot); `icc` against docker0's inter-container rule; `userland-proxy` against the nat OUTPUT jump Docker writes for each mode; `ip-masq` against docker0's MASQUERADE; `bip` against docker0's subnet.",
    ].join("\n\n"),
    bad: [
      "==> daemon.json <==",
      '{ "iptables": false }',
      "==> rules.v4 <==",
      "*nat",
      ":DOCKER - [0:0]",
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "==> daemon.json <==",
      '{ "iptables": true }',
      "==> rules.v4 <==",
      "*nat",
      ":DOCKER - [0:0]",
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "COMMIT",
      "",
    ].join("\n"),
  },
  appliesTo: mayPair,
  check({ ast, facts, report }) {
    const pair = daemonAndDumps(ast);
    if (!pair) return;
    const s = effectiveSettings(pair.daemon);
    const file = pair.daemonFile.filePath;
    const emit = (setting: DaemonSetting | undefined, message: string) => {
      const span = setting?.member.span ?? pair.daemon.root!.span;
      report({ message, span: setting ? span : { ...span, endLine: span.line, endColumn: span.column + 1, endOffset: span.offset + 1 }, ...(file ? { filePath: file } : {}) });
    };
    const layouts = pair.dumps.map((d: DumpRuleset) => ({ ...d, layout: analyzeDocker(d.ruleset, facts) }));
    for (const [key, family] of [["iptables", "ipv4"], ["ip6tables", "ipv6"]] as const) {
      if (boolSetting(s, key) !== false) continue;
      for (const d of layouts) {
        if (d.ruleset.family !== family || !d.layout.present) continue;
        const rule = firstDockerRule(d.layout);
        const line = rule?.command.span.line ?? d.layout.managedChains[0]?.span.line ?? d.layout.userChain?.span.line ?? 1;
        emit(s.get(key), `"${key}": false, but ${where(d.file, line)} has Docker's ${family === "ipv4" ? "iptables" : "ip6tables"} chains and rules: dockerd was not restarted since this setting, or those rules are left over (dockerd with ${key} off does not remove them; they stay, stale, until reboot)`);
      }
    }
    if (boolSetting(s, "iptables") === false) return;
    const bridgeName = stringSetting(s, "bridge") || "docker0";
    for (const d of layouts) {
      if (d.ruleset.family !== "ipv4") continue;
      const docker0 = d.layout.bridges.get(bridgeName);
      const icc = boolSetting(s, "icc") ?? true;
      if (docker0 && docker0.icc !== null && docker0.icc !== icc) {
        const rule = firstDockerRule(d.layout, (id, r) => id.endsWith("icc") && r.criteria.some((c) => c.valueText(0) === bridgeName));
        emit(s.get("icc"), `"icc" is ${icc}${s.get("icc") ? "" : " (the default)"}, but ${where(d.file, rule?.command.span.line ?? 1)} has inter-container traffic on ${bridgeName} ${docker0.icc ? "allowed" : "dropped"}: dockerd has not been restarted with this setting, or the ruleset is stale`);
      }
      const proxy = boolSetting(s, "userland-proxy") ?? true;
      const jump = firstDockerRule(d.layout, (id) => id === "nat/OUTPUT/jump" || id === "nat/OUTPUT/jump-hairpin");
      if (jump) {
        const dumpProxy = d.layout.dockerRules.get(jump)!.template.id === "nat/OUTPUT/jump";
        if (dumpProxy !== proxy) {
          emit(s.get("userland-proxy"), `"userland-proxy" is ${proxy}${s.get("userland-proxy") ? "" : " (the default)"}, but ${where(d.file, jump.command.span.line)} is the nat OUTPUT rule Docker writes with the proxy ${dumpProxy ? "on" : "off"}: dockerd has not been restarted with this setting, or the ruleset is stale`);
        }
      }
      const masq = boolSetting(s, "ip-masq");
      const masqRule = firstDockerRule(d.layout, (id, r) => id === "nat/POSTROUTING/masquerade" && r.criteria.some((c) => c.name === "-o" && c.valueText(0) === bridgeName));
      if (masq === false && masqRule) {
        emit(s.get("ip-masq"), `"ip-masq": false, but ${where(d.file, masqRule.command.span.line)} masquerades ${bridgeName}'s subnet: dockerd has not been restarted with this setting, or the ruleset is stale`);
      }
      const bip = stringSetting(s, "bip");
      const bipPrefix = bip ? parsePrefix(bip) : null;
      if (bipPrefix && docker0 && docker0.subnets.length > 0) {
        const expected = formatPrefix(bipPrefix);
        if (!docker0.subnets.some((x) => { const p = parsePrefix(x); return p !== null && formatPrefix(p) === expected; })) {
          const rule = masqRule ?? firstDockerRule(d.layout, (id) => id.startsWith("nat/POSTROUTING"));
          emit(s.get("bip"), `"bip" is ${bip} (subnet ${expected}), but ${where(d.file, rule?.command.span.line ?? 1)} has ${bridgeName} on ${docker0.subnets.join(", ")}: dockerd has not been restarted with this setting, or the ruleset is stale`);
        }
      }
    }
  },
});
