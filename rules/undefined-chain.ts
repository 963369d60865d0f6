import type { Command } from "../src/ast/iptables.js";
import { BUILTIN_CHAINS, isBuiltinChain } from "../src/catalog/index.js";
import { defineRule, type Finding } from "../src/rule.js";
import { DOCKER_CHAINS, didYouMean, isComplete, isDynamicName, isHookName, isUfwChain, isUfwFragment } from "../src/validity/base.js";
import { graphOf, GRAPH_ANALYSIS } from "../src/validity/graph.js";
import { judgeJump } from "../src/validity/jumps.js";

export default defineRule({
  id: "undefined-chain",
  language: "iptables",
  category: "validity",
  uses: [GRAPH_ANALYSIS],
  severity: "error",
  description: "A rule is added to, or jumps to, a chain that was never declared in that table",
  tags: ["validity"],
  precision: "high",
  docs: {
    rationale: [
      "A restore file replaces the tables it names: every user chain it uses must be declared in the same table",
      "(`:NAME - [0:0]` or `-N NAME`), and built-in chains exist only in their own tables (filter has no PREROUTING).",
      "Otherwise `iptables-restore` refuses the file with `Chain 'NAME' does not exist`.",
      "In a shell script the host's ruleset is unknown: a chain the script uses without creating it may already exist",
      "(dockerd creates DOCKER-USER, ufw and firewalld create theirs). Scripts therefore get a warning, and none at",
      "all for the chains dockerd creates; built-in chains of the wrong table are errors in every format.",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LOGDROP\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:LOGDROP - [0:0]\n-A INPUT -j LOGDROP\n-A LOGDROP -j DROP\nCOMMIT\n",
    exceptions: "Files meant for `iptables-restore --noflush` on top of a running ruleset may use chains created elsewhere; disable the rule for them. ufw's rules files (before.rules, after.rules, user.rules and their IPv6 twins: files that declare only user chains, one of them named ufw-…) are recognised: the ufw-… chains they use without declaring them are the ones ufw creates.",
  },
  create(ctx) {
    const { ast, report } = ctx;
    const graph = graphOf(ctx);
    const complete = isComplete(ast);
    // a ufw rules file uses the chains ufw creates itself (ufw-skip-to-policy-input, ufw-logging-deny, …)
    const ufw = isUfwFragment(ast);
    const soft = (name: string): "skip" | "warning" | "error" => (ufw && isUfwChain(name) ? "skip" : complete ? "error" : DOCKER_CHAINS.has(name) ? "skip" : "warning");

    // rules added to chains that do not exist: report the first command per chain
    const reported = new Set<string>();
    const onCommand = (cmd: Command, name: string, span: Finding["span"]) => {
      if (isDynamicName(ast, name)) return;
      const key = `${cmd.table}\0${name}`;
      if (reported.has(key)) return;
      reported.add(key);
      if (isHookName(name) && !isBuiltinChain(cmd.table, name)) {
        const owners = (Object.keys(BUILTIN_CHAINS) as (keyof typeof BUILTIN_CHAINS)[]).filter((t) => isBuiltinChain(t, name));
        report({ message: `table ${cmd.table} has no ${name} chain (built-in chains of ${cmd.table}: ${BUILTIN_CHAINS[cmd.table].join(", ")}; ${name} is in ${owners.join(", ")})`, span });
        return;
      }
      const s = soft(name);
      if (s === "skip") return;
      const table = ast.tables.find((t) => t.name === cmd.table);
      const guess = didYouMean(name, (table?.chains ?? []).filter((c) => c.declaredBy !== "implicit" || c.builtin).map((c) => c.name));
      const msg = complete
        ? `chain ${name} is not declared in table ${cmd.table}; add ":${name} - [0:0]" to the *${cmd.table} block${guess ? ` (or did you mean ${guess}?)` : ""}`
        : `chain ${name} is not created by this script (iptables -N ${name}); it must already exist on the host${guess ? ` (did you mean ${guess}?)` : ""}`;
      report({ message: msg, span, severity: s });
    };
    // first command naming each chain, in one pass
    // (per table, keyed by the chain name itself: a joined key was a new string per command)
    const firstUse = new Map<string, Map<string, Command>>();
    // commands naming a built-in chain of another table (policy, flush, delete…), reported after the others
    const misplacedHooks: Command[] = [];
    // chains that exist only because rules name them, in table and chain order: firstUse is read only for
    // them, and without any (most files) it is not kept at all (a Kubernetes dump names tens of thousands)
    const implicit = ast.tables.flatMap((t) => t.chains.filter((c) => !c.builtin && c.declaredBy === "implicit"));
    return {
      command(c) {
        if (c.chain === null || c.op === "declare-chain" || c.op === "new-chain") return;
        if (isHookName(c.chain) && !isBuiltinChain(c.table, c.chain)) misplacedHooks.push(c);
        if (c.op === "list" || implicit.length === 0) return;
        let inTable = firstUse.get(c.table);
        if (!inTable) firstUse.set(c.table, (inTable = new Map()));
        if (!inTable.has(c.chain)) inTable.set(c.chain, c);
      },
      rule(rule) {
        const t = rule.target;
        if (!t || isDynamicName(ast, t.name)) return;
        // a jump to a chain that only exists because rules are appended to it: the legacy backend stops here
        const implicit = complete && !t.spec ? graph.tables.get(rule.table)?.byName.get(t.name) : undefined;
        if (implicit && !implicit.builtin && implicit.declaredBy === "implicit") {
          report({ message: `${t.goto ? "-g" : "-j"} ${t.name}: chain ${t.name} is never declared in table ${rule.table} (rules are added to it, but it needs ":${t.name} - [0:0]")`, span: t.nameSpan });
          return;
        }
        const v = judgeJump(ast, graph, rule);
        if (v.kind !== "undefined-chain") return;
        if (isHookName(t.name)) {
          report({ message: `table ${rule.table} has no ${t.name} chain, and a rule cannot jump to a built-in chain anyway`, span: t.nameSpan });
          return;
        }
        const s = soft(t.name);
        if (s === "skip") return;
        const where = v.inTables.length ? ` (it is declared in table ${v.inTables.join(", ")}; a jump stays within its table)` : "";
        const guess = v.suggestion ? `; did you mean ${v.suggestion}?` : "";
        const msg = complete
          ? `${t.goto ? "-g" : "-j"} ${t.name}: no chain ${t.name} in table ${rule.table}${where}${guess}`
          : `${t.goto ? "-g" : "-j"} ${t.name}: chain ${t.name} is not created by this script; it must already exist on the host${guess}`;
        report({
          message: msg,
          span: t.nameSpan,
          severity: s,
          ...(v.suggestion ? { suggestions: [{ desc: `Replace with ${v.suggestion}`, fix: { range: [t.nameSpan.offset, t.nameSpan.endOffset] as const, text: v.suggestion } }] } : {}),
        });
      },
      end() {
        for (const chain of implicit) {
          const first = firstUse.get(chain.table)?.get(chain.name);
          if (first && first.chainSpan) onCommand(first, chain.name, first.chainSpan);
        }
        for (const cmd of misplacedHooks) onCommand(cmd, cmd.chain!, cmd.chainSpan ?? cmd.span);
      },
    };
  },
});
