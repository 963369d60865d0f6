import { findChain, type Chain, type Ruleset } from "../src/ast/iptables.js";
import type { DaemonJsonDocument } from "../src/daemon/ast.js";
import { effectiveSettings, stringSetting } from "../src/docker/daemon.js";
import { daemonAndDumps, mayPair, where } from "../src/docker/project.js";
import { defineRule } from "../src/rule.js";

/** The filter chains FORWARD reaches by jumps and gotos, FORWARD included. */
function reachedFromForward(ruleset: Ruleset): Set<Chain> {
  const start = findChain(ruleset, "filter", "FORWARD");
  const seen = new Set<Chain>();
  const todo = start ? [start] : [];
  while (todo.length) {
    const chain = todo.pop()!;
    if (seen.has(chain)) continue;
    seen.add(chain);
    for (const rule of chain.rules) {
      const name = rule.target?.name;
      const next = name ? findChain(ruleset, "filter", name) : undefined;
      if (next && !seen.has(next)) todo.push(next);
    }
  }
  return seen;
}

const selectsNftables = (daemon: DaemonJsonDocument): boolean => stringSetting(effectiveSettings(daemon), "firewall-backend") === "nftables";

const DOCS_LINK = "https://docs.docker.com/engine/network/firewall-nftables/";

export default defineRule({
  id: "docker-nftables-backend-conflict",
  language: "project",
  category: "docker",
  severity: "error",
  description: 'daemon.json selects Docker\'s nftables backend, and the host\'s iptables ruleset relies on DOCKER-USER or drops what Docker accepts (dump + daemon.json)',
  tags: ["docker", "daemon", "nftables", "security"],
  precision: "high",
  docs: {
    rationale: [
      `With \`"firewall-backend": "nftables"\` (Docker 29, experimental) Docker writes its rules into nftables tables of its own (\`ip docker-bridges\`, \`ip6 docker-bridges\`) instead of iptables chains. Docker's documentation (${DOCS_LINK}) names two consequences for an iptables ruleset kept beside it, and fwlint checks both when a host's daemon.json and its iptables dump are linted together:`,
      "- **DOCKER-USER is gone.** Docker neither creates DOCKER-USER nor jumps to it, and does not remove a jump an earlier iptables-backend run left. Rules in a DOCKER-USER that nothing in FORWARD jumps to filter no container traffic: the restrictions they were written for are not enforced (an error). Write them in a base chain of a table of your own (`type filter hook forward priority filter`), or jump to DOCKER-USER from FORWARD yourself; either way a DROP works, while an ACCEPT cannot override Docker's drops (use `bridge-accept-fwmark`).",
      "- **An iptables FORWARD policy DROP still drops.** An accept in one base chain does not end a packet's way through the hook: the next base chain, iptables' FORWARD, still sees it. Docker's nftables backend never sets a drop policy itself, so a `:FORWARD DROP` left over from the iptables backend (or from a host firewall) whose FORWARD accepts nothing drops every packet Docker's rules accept: published ports, containers' outbound traffic (a warning: the host stays closed, but containers lose their network).",
    ].join("\n\n"),
    bad: [
      "==> daemon.json <==",
      '{ "firewall-backend": "nftables" }',
      "==> rules.v4 <==",
      "*filter",
      ":INPUT ACCEPT [0:0]",
      ":FORWARD DROP [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "==> daemon.json <==",
      '{ "firewall-backend": "nftables" }',
      "==> rules.v4 <==",
      "*filter",
      ":INPUT ACCEPT [0:0]",
      ":FORWARD ACCEPT [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions:
      "Rulesets linted with a daemon.json only (`fwlint daemon.json rules.v4`), and only when that daemon.json selects nftables. Not reported: a DOCKER-USER that FORWARD jumps to (its DROP rules run), and a FORWARD policy DROP when some rule reached from FORWARD accepts packets (fwlint does not check that it accepts all of Docker's traffic).",
  },
  // only a daemon.json that selects nftables makes the files depend on each other
  appliesTo: (files) => mayPair(files) && files.some((f) => f.daemon !== null && f.daemon.root?.type === "Object" && selectsNftables(f.daemon)),
  check({ ast, report }) {
    const pair = daemonAndDumps(ast);
    if (!pair) return;
    if (!selectsNftables(pair.daemon)) return;
    const settings = effectiveSettings(pair.daemon);
    const setting = settings.get("firewall-backend")!;
    const at = where(pair.daemonFile, setting.member.span.line);
    for (const { file, ruleset } of pair.dumps) {
      const filePath = file.filePath;
      const reached = reachedFromForward(ruleset);
      const user = findChain(ruleset, "filter", "DOCKER-USER");
      if (user && user.rules.length > 0 && !reached.has(user)) {
        const n = user.rules.length;
        report({
          message: `${at} selects Docker's nftables backend, which has no DOCKER-USER: Docker does not jump to it and nothing in FORWARD does, so ${n === 1 ? "this rule filters" : `the ${n} rules of DOCKER-USER filter`} no container traffic. Move ${n === 1 ? "it" : "them"} to a forward-hook chain of an nftables table of your own, or jump to DOCKER-USER from FORWARD yourself (-I FORWARD -j DOCKER-USER: its DROP rules then apply; ACCEPT cannot override Docker's drops, use "bridge-accept-fwmark")`,
          span: user.rules[0]!.span,
          ...(n > 1 ? { related: user.rules.slice(1, 8).map((r) => ({ span: r.span, message: "Filters nothing either" })) } : {}),
          ...(filePath ? { filePath } : {}),
        });
      }
      const forward = findChain(ruleset, "filter", "FORWARD");
      if (forward?.policy === "DROP" && ![...reached].some((c) => c.rules.some((r) => r.target?.name === "ACCEPT"))) {
        report({
          message: `FORWARD's policy is DROP and nothing in FORWARD accepts, while ${at} selects Docker's nftables backend: Docker's nftables rules accept container traffic in a table of their own, and an accept there does not stop this chain from dropping it, so containers lose their published ports and their outbound traffic. Set the policy to ACCEPT and filter in an nftables table of your own, or accept Docker's traffic here`,
          span: forward.span,
          severity: "warning",
          ...(filePath ? { filePath } : {}),
        });
      }
    }
  },
});
