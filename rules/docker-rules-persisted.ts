import type { Rule } from "../src/ast/iptables.js";
import { analyzeDocker, describePort, type DockerLayout, type DockerRuleMatch, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { defineRule, type ProjectFacts } from "../src/rule.js";

/** File names of rulesets that are restored at boot (iptables-persistent, netfilter-persistent, RHEL, Arch, ifupdown). */
const PERSISTED_PATH = /(?:^|[/\\])(?:rules\.v[46]|ip6?tables\.rules|ip6?tables\.up\.rules|ip6?tables\.conf)$|(?:^|[/\\])etc[/\\]sysconfig[/\\]ip6?tables$/i;

/** The file is a ruleset restored at boot: declared in config, or by its name. */
export function isPersisted(filePath: string | undefined, facts: ProjectFacts): boolean {
  if (facts.persisted !== undefined) return facts.persisted;
  return filePath !== undefined && PERSISTED_PATH.test(filePath);
}

function describe(layout: DockerLayout, rule: Rule, m: DockerRuleMatch): string {
  const port = layout.publishedPorts.find((p) => p.dnat === rule);
  if (port) return `DNAT ${describePort(port)}`;
  switch (m.template.role) {
    case "masquerade":
      return m.captures.sub ? `MASQUERADE of ${m.captures.sub}` : m.captures.cip ? `hairpin MASQUERADE of ${m.captures.cip}` : `MASQUERADE towards ${m.captures.br}`;
    case "published-port":
      return `ACCEPT of ${m.captures.cip} port ${m.captures.port}`;
    case "direct-access":
      return `direct-access rule for ${m.captures.cip ?? "127.0.0.1"}`;
    case "return":
      return "the RETURN Docker appends";
    case "jump":
      return `jump to ${rule.target?.name ?? "a Docker chain"}`;
    default:
      return m.captures.br ? `rule for ${m.captures.br}` : (rule.target?.name ?? "rule");
  }
}

export default defineRule({
  id: "docker-rules-persisted",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS],
  severity: "warning",
  description: "A ruleset restored at boot contains Docker's runtime rules",
  tags: ["docker", "persistence", "reliability"],
  precision: "high",
  docs: {
    rationale: [
      "`iptables-save > /etc/iptables/rules.v4` on a Docker host saves Docker's rules along with yours: DNAT to the container addresses of that moment, MASQUERADE of bridge subnets, the contents of Docker's chains and the jumps into them.",
      "Restored at boot they are stale: containers get other addresses when they start again, so a saved DNAT forwards a host port to whichever container now has that address (moby/moby#32048), and dockerd adds its own rules on top of the saved ones, leaving duplicates (moby/moby#12294, #21327). A saved `DOCKER-USER -j RETURN` from Docker ≤ 28.2.1 survives upgrades and turns every rule you later append to DOCKER-USER into dead code (moby/moby#50067).",
      "Save only your own rules (for example with a filter that drops Docker's chains and rules) and let dockerd write its own. Keep the `FORWARD -j DOCKER-USER` jump and your DOCKER-USER rules: those are yours, and keeping the jump avoids the fail-open described under docker-user-not-jumped.",
      "The rule applies to files restored at boot: `rules.v4`/`rules.v6`, `iptables.rules`, `/etc/sysconfig/iptables`, or any file with the `persisted` fact set.",
    ].join("\n\n"),
    bad: [
      "==> /etc/iptables/rules.v4 <==",
      "*nat",
      ":PREROUTING ACCEPT [0:0]",
      ":POSTROUTING ACCEPT [0:0]",
      ":DOCKER - [0:0]",
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "==> /etc/iptables/rules.v4 <==",
      "*filter",
      ":FORWARD DROP [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A DOCKER-USER -i eth0 -m conntrack --ctstate NEW ! -s 192.0.2.0/24 -j DROP",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "Live dumps (`iptables-save | fwlint -`) are not persisted; set `persisted: false` for a file that only looks like one.",
  },
  check({ ast, filePath, facts, report, memo }) {
    if (!isPersisted(filePath, facts)) return;
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    const groups = new Map<string, Rule[]>();
    for (const [rule, m] of layout.dockerRules) {
      if (m.template.id === "filter/FORWARD/jump-user") continue;
      const key = `${rule.table} ${rule.chain}`;
      const list = groups.get(key);
      if (list) list.push(rule);
      else groups.set(key, [rule]);
    }
    for (const [key, rules] of groups) {
      rules.sort((a, b) => a.command.span.offset - b.command.span.offset);
      const [table, chain] = key.split(" ") as [string, string];
      const where = table === "filter" ? chain : `${table} ${chain}`;
      const kinds = [...new Set(rules.map((r) => describe(layout, r, layout.dockerRules.get(r)!)))];
      const shown = kinds.slice(0, 3).join("; ") + (kinds.length > 3 ? "; …" : "");
      report({
        message: `${rules.length === 1 ? "This rule" : `These ${rules.length} rules`} in ${where} ${rules.length === 1 ? "is" : "are"} Docker's runtime state (${shown}): restored at boot ${rules.length === 1 ? "it is" : "they are"} stale and collide${rules.length === 1 ? "s" : ""} with what dockerd writes when it starts; save only your own rules and let dockerd recreate its own`,
        span: rules[0]!.command.span,
        related: rules.slice(1, 20).map((r) => ({ span: r.command.span, message: "Docker runtime rule" })),
      });
    }
  },
});
