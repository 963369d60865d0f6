import { criterion, type Rule, type Ruleset } from "../src/ast/iptables.js";
import { acceptsEstablished, analyzeDocker, criterionKey, dockerSubnets, DOCKER_BRIDGE_NAME, limitedToNewConnections, optionsNamed, parsePrefix, prefixesOverlap, type DockerLayout, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { defineRule } from "../src/rule.js";

const isBridge = (layout: DockerLayout, name: string) => layout.bridges.has(name) || DOCKER_BRIDGE_NAME.test(name) || /^(?:docker\+|br-\+)$/.test(name);

/** `accept` lets through the established packets `drop` would see: its only other conditions are also `drop`'s. */
function covers(accept: Rule, drop: Rule): boolean {
  if (!acceptsEstablished(accept)) return false;
  if (accept.matches.some((m) => !["conntrack", "state", "comment"].includes(m.module))) return false;
  if (accept.matches.some((m) => m.options.some((o) => o.name !== "--ctstate" && o.name !== "--state" && o.name !== "--comment"))) return false;
  const keys = new Set(drop.criteria.map(criterionKey));
  return accept.criteria.every((c) => keys.has(criterionKey(c)));
}

/** Only traffic from listed outside sources: dropping their replies too is the point of a blocklist. */
function isBlocklist(layout: DockerLayout, rule: Rule): boolean {
  const s = criterion(rule, "-s");
  const ranges = optionsNamed(rule, "--src-range");
  if (!s && ranges.length === 0) return false;
  if (s?.negated || ranges.some((r) => r.negated)) return false;
  const subnets = dockerSubnets(layout);
  const sources = (s?.valueText(0) ?? "").split(",").filter(Boolean);
  return sources.every((v) => {
    const p = parsePrefix(v);
    return p !== null && p.length > 0 && !subnets.some((n) => prefixesOverlap(n, p));
  });
}

function forwardAcceptsEstablishedFirst(ast: Ruleset, layout: DockerLayout): Rule | undefined {
  const jump = layout.userJumps.find((j) => j.unconditional);
  if (!jump) return undefined;
  const forward = ast.tables.find((t) => t.name === "filter")?.chains.find((c) => c.name === "FORWARD")?.rules ?? [];
  return forward.slice(0, jump.position - 1).find((r) => acceptsEstablished(r) && r.criteria.length === 0);
}

type Direction = "inbound" | "outbound" | "both";

function direction(layout: DockerLayout, rule: Rule): Direction {
  const i = criterion(rule, "-i");
  const o = criterion(rule, "-o");
  const iName = i?.valueText(0) ?? "";
  const oName = o?.valueText(0) ?? "";
  if (i && !i.negated && isBridge(layout, iName)) return "outbound";
  if (o && !o.negated && !isBridge(layout, oName)) return "outbound";
  if (i && !i.negated) return "inbound";
  if (o && !o.negated && isBridge(layout, oName)) return "inbound";
  if (i && i.negated && isBridge(layout, iName)) return "inbound";
  return "both";
}

const INBOUND = "containers can no longer receive replies to their own outbound connections (DNS, package downloads, API calls) from any address this rule drops";
const OUTBOUND = "it drops the containers' replies to clients of published ports, so every published port is closed to the addresses this rule drops";

export default defineRule({
  id: "docker-user-blocks-replies",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS],
  severity: "warning",
  description: "A DROP/REJECT in DOCKER-USER also drops packets of established connections",
  tags: ["docker", "correctness"],
  precision: "medium",
  docs: {
    rationale: [
      "Every forwarded packet passes DOCKER-USER, not only the first packet of a connection. A DROP that is meant to keep outsiders away from containers also matches the replies to connections the containers opened themselves, and, when it does not name an incoming interface, the containers' answers to clients of published ports.",
      "Docker's own example `iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP` does this: after it, containers can no longer get replies from any address other than 192.168.1.1: DNS lookups, package downloads and API calls from containers hang. Without `-i` the same rule also drops what containers send back to clients, closing every published port.",
      "Accept established traffic before the DROP (Docker's documentation says so too): `-I DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, or limit the DROP to new connections with `-m conntrack --ctstate NEW`.",
      "fwlint says which case applies: inbound only (`-i <external interface>` or `-o <bridge>`), the containers' outgoing answers (`-i <bridge>`), or both directions (no interface).",
    ].join("\n\n"),
    bad: ["#!/bin/sh", "iptables -I DOCKER-USER -i eth0 ! -s 192.168.1.1 -j DROP", ""].join("\n"),
    good: ["#!/bin/sh", "iptables -I DOCKER-USER -i eth0 ! -s 192.168.1.1 -j DROP", "iptables -I DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", ""].join("\n"),
    exceptions:
      "Not reported: a DROP aimed at a few hostile sources (`-s 203.0.113.0/24 -j DROP`), which is meant to cut their replies too, and a DROP of given destination ports (`-p tcp --dport 5432 …`), because replies travel to the clients' own ports.",
  },
  check({ ast, text, facts, report, memo }) {
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    const chain = layout.userChain;
    if (!chain) return;
    if (forwardAcceptsEstablishedFirst(ast, layout)) return;
    chain.rules.forEach((rule, index) => {
      const t = rule.target?.name;
      if (t !== "DROP" && t !== "REJECT") return;
      if (limitedToNewConnections(rule)) return;
      if (rule.matches.some((m) => m.options.some((o) => (o.name === "--dport" || o.name === "--dports") && !o.negated))) return;
      if (isBlocklist(layout, rule)) return;
      if (chain.rules.slice(0, index).some((earlier) => covers(earlier, rule))) return;
      const dir = direction(layout, rule);
      const what =
        dir === "inbound"
          ? `It matches packets coming in to containers, replies included: ${INBOUND}`
          : dir === "outbound"
            ? `It matches packets leaving containers, replies included: ${OUTBOUND}`
            : `With no interface it matches both directions, replies included: ${OUTBOUND}, and ${INBOUND}`;
      const fix =
        ast.format !== "script" && rule.command.op === "append"
          ? { desc: "Accept established traffic before this rule", fix: { range: [text.lastIndexOf("\n", rule.command.span.offset - 1) + 1, text.lastIndexOf("\n", rule.command.span.offset - 1) + 1] as [number, number], text: "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n" } }
          : undefined;
      report({
        message: `This ${t} in DOCKER-USER also drops packets of established connections. ${what}. Accept RELATED,ESTABLISHED first (-I DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT) or limit the rule to -m conntrack --ctstate NEW`,
        span: rule.command.span,
        ...(fix ? { suggestions: [fix] } : {}),
      });
    });
  },
});
