import type { Chain, Rule, Table } from "../src/ast/iptables.js";
import { ruleStates } from "../src/docker/docker-user.js";
import { defineRule } from "../src/rule.js";

/**
 * Chains that a manager generates and keeps in step with what runs (Docker's per-container rules, kube-proxy's
 * services, Calico, Cilium, Flannel, libvirt): an ACCEPT there that no packet used is a port nobody connected
 * to yet, not a forgotten opening. DOCKER-USER is the user's own.
 */
const MANAGED = /^(?:DOCKER(?:-(?!USER$).*)?|KUBE-.*|cali-.*|CILIUM_.*|FLANNEL-.*|LIBVIRT_.*)$/;

/** The rule accepts only packets of connections already made (`--ctstate ESTABLISHED`, `RELATED`, or both). */
function repliesOnly(rule: Rule): boolean {
  const states = ruleStates(rule);
  return states !== null && [...states].every((s) => s === "ESTABLISHED" || s === "RELATED");
}

/** Built-in chains of packets that come in: an ACCEPT there opens the host or the networks behind it. */
const INBOUND = new Set(["INPUT", "FORWARD"]);

/**
 * How many packets the counters show entering each chain of the table, at least: for INPUT and FORWARD what
 * their rules and policy counted, for a user chain what the jumps into it counted (a packet that a jump counts
 * enters the chain), except jumps from OUTPUT, whose packets the host sends. Chains missing from the map show
 * no incoming packet.
 */
function packetsIn(table: Table): Map<Chain, bigint> {
  const byName = new Map<string, Chain>();
  for (const c of table.chains) byName.set(c.name, c);
  const seen = new Map<Chain, bigint>();
  const add = (c: Chain, n: bigint) => seen.set(c, (seen.get(c) ?? 0n) + n);
  for (const c of table.chains) {
    if (c.builtin && !INBOUND.has(c.name)) continue;
    if (c.builtin) add(c, c.counters?.packets ?? 0n);
    for (const r of c.rules) {
      const n = r.counters?.packets ?? 0n;
      if (n === 0n) continue;
      if (c.builtin) add(c, n);
      const t = r.target;
      const into = t && !t.spec ? byName.get(t.name) : undefined;
      if (into && !into.builtin && into !== c) add(into, n);
    }
  }
  return seen;
}

export default defineRule({
  id: "stale-accept-rule",
  language: "iptables",
  category: "semantics",
  severity: "warning",
  description: "An ACCEPT rule whose counters (iptables-save -c) show no packet since they were reset, while packets went through its chain: an opening nobody uses",
  tags: ["dead-rule", "security", "counters"],
  precision: "medium",
  optionsSchema: {
    type: "object",
    properties: {
      minPackets: {
        type: "integer",
        minimum: 1,
        description: "Report only where the counters show at least this many packets entering the rule's chain (fewer say too little about what is used)",
      },
    },
    additionalProperties: false,
  },
  defaultOptions: { minPackets: 1000 },
  docs: {
    rationale: [
      "`iptables-save -c` (and `iptables -S -v`) writes each rule's packet and byte counters, `[packets:bytes]`, counted since the rule was added or the counters were reset. On a live host, an ACCEPT rule at `[0:0]` while thousands of packets went through its chain has let nothing in: the service it opened is gone, the address it allowed has changed, or the port was opened for a test. Each such rule is an opening an attacker can use and nobody else does (Lynis FIRE-4513, \"unused rules\").",
      "The rule reads only counters: it runs on dumps saved with counters (a file without them, or with `[0:0]` everywhere, as after a restore, gives nothing). Packets entering a chain are counted from what the counters show: for a built-in chain, its rules and its policy; for a user chain, the jumps into it. With the option `minPackets` (1000 by default) a chain must have seen at least that many packets. Only packets that come in count: INPUT, FORWARD and the chains they jump to (an ACCEPT in OUTPUT lets the host's own packets out and opens nothing).",
    ].join("\n\n"),
    bad: "*filter\n:INPUT DROP [52340:7812004]\n[88123:60211876] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n[412:24720] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n[0:0] -A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [52340:7812004]\n[88123:60211876] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n[412:24720] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: "Counters start again at every reboot, restore or `iptables -Z`: a rule for something rare (a monthly backup, a fail-over address) can be at zero and still be needed; raise `minPackets`, or suppress the rule's line with a reason. Rules that accept only established or related packets are not reported, nor rules in chains a manager generates (Docker's chains other than DOCKER-USER, kube-proxy's KUBE-…, Calico, Cilium, Flannel, libvirt).",
  },
  check({ ast, options, report }) {
    const min = BigInt(typeof options.minPackets === "number" ? options.minPackets : 1000);
    for (const table of ast.tables) {
      if (table.name !== "filter") continue;
      let counted = false;
      for (const c of table.chains) for (const r of c.rules) if (r.counters && r.counters.packets > 0n) counted = true;
      if (!counted) continue;
      const seen = packetsIn(table);
      for (const chain of table.chains) {
        const n = seen.get(chain) ?? 0n;
        if (n < min || MANAGED.test(chain.name)) continue;
        for (const r of chain.rules) {
          if (r.target?.name !== "ACCEPT" || !r.counters || r.counters.packets !== 0n || repliesOnly(r)) continue;
          const how = chain.builtin ? `its rules and policy counted ${n} packets` : `the jumps into it counted ${n} packets`;
          report({
            message: `ACCEPT rule matched no packet since the counters were reset, while packets went through chain ${chain.name} (${how}): an opening nobody uses; remove it if what it opened is gone`,
            span: r.counters.span,
          });
        }
      }
    }
  },
});
