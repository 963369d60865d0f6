import { defineRule } from "../src/rule.js";
import { isUfwChain, isUfwFragment } from "../src/validity/base.js";

export default defineRule({
  id: "unused-chain",
  language: "iptables",
  category: "semantics",
  severity: "warning",
  description: "A user-defined chain that no rule jumps to: its rules never run",
  tags: ["dead-rule"],
  precision: "very-high",
  docs: {
    rationale: [
      "Packets only enter a user-defined chain through a `-j CHAIN` or `-g CHAIN` rule in the same table.",
      "A chain nothing jumps to is dead code: usually a forgotten `-A INPUT -j my-chain`, a typo in a jump, or the leftover of a removed feature.",
      "Its rules look like protection but filter nothing.",
    ].join(" "),
    bad: "*filter\n:INPUT DROP [0:0]\n:ssh-allow - [0:0]\n-A ssh-allow -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n:ssh-allow - [0:0]\n-A INPUT -j ssh-allow\n-A ssh-allow -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: "In ufw's rules files (before.rules, after.rules, user.rules, …) the ufw-… chains are not reported: ufw jumps to them itself. Docker's chains are left to the Docker rules (`docker-user-not-jumped`), and empty chains are not reported (they hide no rule; managers such as ufw, kube-proxy or fail2ban create theirs empty and fill them later).",
  },
  check({ ast, report }) {
    const ufw = isUfwFragment(ast);
    for (const table of ast.tables) {
      const chains = table.chains;
      // Each name's place in the table (the last chain of that name, as a lookup by name finds it), and
      // whether the built-in chains reach it: one lookup per jump, in a typed array instead of a set of names.
      const at = new Map<string, number>();
      for (let i = 0; i < chains.length; i++) at.set(chains[i]!.name, i);
      const live = new Uint8Array(chains.length);
      const todo: number[] = [];
      const reach = (name: string) => {
        const j = at.get(name);
        if (j !== undefined && live[j] === 0) {
          live[j] = 1;
          todo.push(j);
        }
      };
      for (const c of chains) if (c.builtin) reach(c.name);
      while (todo.length) {
        const rules = chains[todo.pop()!]!.rules;
        let last: string | undefined;
        for (let k = 0; k < rules.length; k++) {
          const target = rules[k]!.target;
          // a target extension (a spec) is not a jump, even where a chain has its name (declared after the rule)
          const t = target && !target.spec ? target.name : undefined;
          // consecutive rules often jump to the same chain (KUBE-MARK-MASQ): looked up once
          if (t && t !== last) reach((last = t));
        }
      }
      const unused = chains.filter((c) => {
        if (c.builtin || live[at.get(c.name)!] === 1) return false;
        // Docker's chains (DOCKER-USER included) are the Docker rules' business (docker-user-not-jumped).
        if (c.name === "DOCKER" || c.name.startsWith("DOCKER-")) return false;
        // ufw jumps to the chains of its rules files from INPUT, OUTPUT, FORWARD and its other chains
        if (ufw && isUfwChain(c.name)) return false;
        // A chain the file never creates (a rule appended to it) is undefined-chain's finding.
        if (c.declaredBy === "implicit") return false;
        // An empty chain runs nothing: it hides no rule (managers also create theirs empty and fill them later).
        return c.rules.length > 0;
      });
      if (unused.length === 0) continue;
      // Who jumps to the unused chains (for the message); only collected when there are some: a set per
      // jumped-to chain was 37,000 sets on a Kubernetes dump that has none.
      const wanted = new Set(unused.map((c) => c.name));
      const jumpers = new Map<string, Set<string>>();
      for (const c of table.chains)
        for (const r of c.rules) {
          const t = r.target?.name;
          if (!t || t === c.name || !wanted.has(t)) continue;
          (jumpers.get(t) ?? jumpers.set(t, new Set()).get(t)!).add(c.name);
        }
      for (const c of unused) {
        const from = [...(jumpers.get(c.name) ?? [])];
        const runs = `: its ${c.rules.length} rule${c.rules.length === 1 ? "" : "s"} never run${c.rules.length === 1 ? "s" : ""}`;
        report({
          message: from.length
            ? `Chain ${c.name} is only jumped to from ${from.length > 1 ? "chains that never run" : "a chain that never runs"} (${from.join(", ")})${runs}`
            : `Chain ${c.name} is never jumped to${runs}`,
          span: c.nameSpan,
        });
      }
    }
  },
});
