import { findChain, criterion, type Rule } from "../src/ast/iptables.js";
import { analyzeDocker, bridgeOfAddress, parsePrefix, type DockerLayout, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { defineRule } from "../src/rule.js";

function advice(table: string, chain: string): string {
  if (table === "nat") return "put NAT rules of your own in a chain of your own, jumped from nat PREROUTING before Docker's jump";
  if (chain === "DOCKER-INGRESS") return "swarm re-creates DOCKER-INGRESS from its service list; restrict published ports in DOCKER-USER instead";
  return "put filtering of your own in DOCKER-USER, the chain Docker keeps for it and jumps to first";
}

/** Container addresses Docker's rules mention (published ports, raw-table drops). */
function containerAddresses(layout: DockerLayout): Set<string> {
  const out = new Set<string>();
  for (const b of layout.bridges.values()) for (const c of b.containers) out.add(c);
  for (const p of layout.publishedPorts) out.add(p.containerAddress);
  return out;
}

/** A raw PREROUTING rule that looks like an edited copy of Docker's per-container direct-access rule. */
function editedRawRule(layout: DockerLayout, rule: Rule, containers: Set<string>): string | null {
  if (layout.dockerRules.has(rule)) return null;
  const d = criterion(rule, "-d");
  const target = rule.target?.name;
  if (!d || d.negated || (target !== "DROP" && target !== "ACCEPT")) return null;
  const addr = d.valueText(0)?.replace(/\/(?:32|128)$/, "") ?? "";
  const p = parsePrefix(addr);
  if (!p || p.length !== (p.family === "ipv4" ? 32 : 128)) return null;
  if (!containers.has(addr) && !bridgeOfAddress(layout, addr)) return null;
  const i = criterion(rule, "-i");
  if (!i || !layout.bridges.has(i.valueText(0) ?? "")) return null;
  return addr;
}

export default defineRule({
  id: "docker-chain-modified",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS],
  severity: "warning",
  description: "A rule in one of Docker's own chains that dockerd did not write: it is lost when dockerd rebuilds the chain",
  tags: ["docker", "security", "persistence"],
  securitySeverity: 5.0,
  precision: "high",
  docs: {
    rationale: [
      "dockerd owns the filter chains `DOCKER`, `DOCKER-FORWARD`, `DOCKER-BRIDGE`, `DOCKER-CT`, `DOCKER-INTERNAL`, `DOCKER-ISOLATION-STAGE-1/2` (and the older `DOCKER-ISOLATION`), `DOCKER-INGRESS`, and nat `DOCKER`/`DOCKER-INGRESS`.",
      "It deletes and re-creates them on every start and on every firewalld reload, and adds or removes rules as containers come and go.",
      "A rule you add there is gone after the next restart, and until then it sits among Docker's rules in an order you do not control. If it was a restriction, the protection silently disappears.",
      "fwlint compares every rule in these chains with the rule shapes Docker writes in each of its layouts (17.06 to 29.x): anything else is reported.",
      "It also reports raw-table rules that look like edited copies of Docker's per-container direct-access drops (same container address and bridge): container addresses change on restart, so such a copy ends up protecting the wrong container.",
      "Docker's documentation: \"you should not modify the rules Docker creates\"; use `DOCKER-USER`.",
    ].join("\n\n"),
    bad: [
      "*filter",
      ":DOCKER - [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -o docker0 -j DOCKER",
      "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
      "-A DOCKER -s 203.0.113.0/24 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "*filter",
      ":DOCKER - [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -o docker0 -j DOCKER",
      "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
      "-A DOCKER-USER -s 203.0.113.0/24 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "A ruleset that is not a Docker host's but happens to name a chain `DOCKER`: turn the rule off for that file.",
  },
  check({ ast, facts, report, memo }) {
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    for (const rule of layout.userEdits) {
      report({
        message: `Docker did not write this rule in its ${rule.table === "filter" ? "" : `${rule.table} `}chain ${rule.chain}: dockerd deletes and re-creates that chain on every start and firewalld reload, so this rule will be lost; ${advice(rule.table, rule.chain)}`,
        span: rule.command.span,
      });
    }
    const raw = findChain(ast, "raw", "PREROUTING");
    if (raw && layout.present) {
      const containers = containerAddresses(layout);
      for (const rule of raw.rules) {
        const addr = editedRawRule(layout, rule, containers);
        if (addr === null) continue;
        report({
          message: `This raw PREROUTING rule for container address ${addr} is not one Docker writes (Docker's is \`-d ${addr}/${addr.includes(":") ? 128 : 32} ! -i <bridge> -j DROP\`): dockerd adds and removes its per-container rules as containers start and stop, and the address will belong to another container after a restart`,
          span: rule.command.span,
        });
      }
    }
  },
});
