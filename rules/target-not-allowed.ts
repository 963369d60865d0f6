import { removalOf, type Chain, type Option, type Rule } from "../src/ast/iptables.js";
import { isBuiltinChain } from "../src/catalog/index.js";
import type { ExtensionSpec, Hook, OptionSpec, TableName } from "../src/catalog/types.js";
import { defineRule, type Finding } from "../src/rule.js";
import { isHookName as isHook, legacyOnlyError, quoteList } from "../src/validity/base.js";
import { describePath, graphOf, hooksReaching, pathTo, type Path, type RulesetGraph, GRAPH_ANALYSIS } from "../src/validity/graph.js";
import { valueConstraint } from "../src/validity/rules-util.js";

/** Hooks that reach the rule's chain: the built-in chain itself, or every built-in chain that jumps into it. */
function reach(graph: RulesetGraph, rule: Rule, chain: Chain | undefined): Hook[] {
  if (chain?.builtin && isHook(chain.name) && isBuiltinChain(rule.table, chain.name)) return [chain.name];
  if (!chain) return [];
  return hooksReaching(graph, chain);
}

/** Would checkExtension report anything: the extension is not for this table, or not for one of the hooks? */
function misplaced(spec: ExtensionSpec, table: TableName, hooks: readonly Hook[]): boolean {
  if (spec.tables && !spec.tables.includes(table)) return true;
  if (!spec.hooks) return false;
  for (const hook of hooks) if (!spec.hooks.includes(hook)) return true;
  return false;
}

function where(hook: Hook, path: Path, chain: string): string {
  return path.length ? `${chain}, which is reached from ${describePath(hook, path)}` : hook;
}

export default defineRule({
  id: "target-not-allowed",
  language: "iptables",
  category: "validity",
  uses: [GRAPH_ANALYSIS],
  severity: "error",
  description: "A target, match or option is used in a table or chain where the kernel refuses it",
  tags: ["validity", "docker"],
  precision: "high",
  docs: {
    rationale: [
      "Extensions are registered for certain tables and hooks: DNAT and REDIRECT work only in nat PREROUTING/OUTPUT,",
      "SNAT and MASQUERADE only in nat POSTROUTING/INPUT, REJECT only in INPUT/FORWARD/OUTPUT of filter or mangle.",
      "The kernel checks this for the built-in chain a rule is in and for every built-in chain that reaches the rule's",
      "user chain through jumps, and refuses the ruleset (`RULE_APPEND failed (Invalid argument)`).",
      "`-i` is refused in OUTPUT/POSTROUTING and `-o` in INPUT/PREROUTING (no such interface exists there); in a user",
      "chain reached from those chains iptables cannot check it and the rule silently never matches (a warning).",
      "Hooks that only one option restricts (TCPMSS --clamp-mss-to-pmtu, physdev --physdev-out, policy --dir) are",
      "checked by nf_tables in built-in chains only: in a user chain they are a warning (the legacy backend refuses",
      "them), as TRACE outside raw is. `-j DROP` is refused anywhere in the nat table.",
    ].join(" "),
    bad: "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -p tcp --dport 80 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n",
    good: "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n",
  },
  create(ctx) {
    const { ast, report } = ctx;
    const graph = graphOf(ctx);
    const blamed = new Set<string>();
    // the rule being checked (undefined before the first), its chain and the hooks that reach it (the helpers
    // below read them; they are defined once, not once per rule)
    let rule!: Rule;
    let chain: Chain | undefined;
    let hooks: Hook[] = [];
    let removed = false;
    const anyRemoved = ast.removedRules.length > 0;

    // the jumps from a hook to this rule's chain, rebuilt only for a message
    const pathOf = (hook: Hook): Path => (chain && !chain.builtin ? pathTo(graph, chain, hook) : []);

    // The kernel refuses whichever piece completes the forbidden path, often the jump written after the
    // target: report that jump too, so the line iptables-restore names carries an error.
    const blameJump = (hook: Hook, path: Path, label: string, span: Finding["span"]) => {
      const last = path.reduce<Path[number] | undefined>((a, e) => (!a || e.rule.span.offset > a.rule.span.offset ? e : a), undefined);
      if (!last || last.rule.span.offset < rule.span.offset) return;
      const key = `${last.rule.span.offset}\0${label}`;
      if (blamed.has(key)) return;
      blamed.add(key);
      report({
        message: `this jump makes ${rule.chain} reachable from ${hook} (${describePath(hook, path)}), where its ${label} (line ${span.line}) is not allowed`,
        span: last.rule.target!.nameSpan,
        related: [{ span, message: `${label} here` }],
      });
    };
    const checkExtension = (spec: ExtensionSpec, span: Finding["span"], label: string) => {
      if (spec.tables && !spec.tables.includes(rule.table)) {
        if (spec.tablesLegacyOnly) {
          const severity = legacyOnlyError(ast);
          report({ message: `${label} is only valid in the ${quoteList([...spec.tables])} table${spec.tables.length > 1 ? "s" : ""} on the legacy backend, not in ${rule.table}${severity === "error" ? "" : "; nf_tables takes it in any table"}`, span, severity, stage: "kernel" });
          return;
        }
        report({ message: `${label} is only valid in the ${quoteList([...spec.tables])} table${spec.tables.length > 1 ? "s" : ""}, not in ${rule.table}`, span, stage: "kernel" });
        return;
      }
      if (!spec.hooks) return;
      for (const hook of hooks) {
        if (spec.hooks.includes(hook)) continue;
        const path = pathOf(hook);
        report({ message: `${label} is not allowed in ${where(hook, path, rule.chain)}; it is valid only in ${quoteList([...spec.hooks])}${spec.tables ? ` of ${quoteList([...spec.tables as TableName[]])}` : ""}`, span, stage: "kernel", ...related(path) });
        blameJump(hook, path, label, span);
        return;
      }
    };
    /** `owner`: "-m tcp", "-j DNAT", or "" for a criterion; built only for a message. */
    const checkOption = (o: Option, ownerFlag: "" | "-m" | "-j", ownerName: string, extension?: string) => {
      const spec: OptionSpec | undefined = o.spec;
      if (!spec || hooks.length === 0) return;
      // -i/-o: iptables refuses them in the built-in chains the catalog excludes; deeper in they never match
      const interfaceHooks = spec.name === "-i" || spec.name === "-o" ? spec.hooks : undefined;
      const allowed = interfaceHooks ?? spec.hooks;
      const byValue = spec.valueConstraints ? valueConstraint(o, ast.family, extension)?.hooks : undefined;
      if (allowed) checkList(o, ownerFlag, ownerName, allowed, interfaceHooks !== undefined, o.written);
      if (byValue) checkList(o, ownerFlag, ownerName, byValue, interfaceHooks !== undefined && byValue === allowed, `${o.written} ${o.valueText(0) ?? ""}`);
    };
    const checkList = (o: Option, ownerFlag: "" | "-m" | "-j", ownerName: string, list: readonly Hook[], interfaceList: boolean, what: string) => {
      for (const hook of hooks) {
        if (list.includes(hook)) continue;
        const path = pathOf(hook);
        if (interfaceList) {
          const msg = o.name === "-i" ? "locally generated packets have no input interface" : "packets have no output interface yet";
          if (path.length === 0) report({ message: `${what} cannot be used in ${hook}: ${msg} (iptables refuses it)`, span: o.nameSpan });
          // a user chain shared between hooks (Docker's DOCKER chain serves PREROUTING and OUTPUT) is fine as
          // long as one of them has the interface; warn only when none does
          else if (!hooks.some((h) => list.includes(h))) {
            report({ message: `${what} in ${where(hook, path, rule.chain)} never matches there: ${msg}`, span: o.nameSpan, severity: "warning", ...related(path) });
          }
        } else {
          // An option's hooks are checked by the extension itself when the rule is added, against the hooks the
          // kernel knows for the rule's chain: none for a user chain on nf_tables, so only the legacy backend
          // refuses the option there (checked: TCPMSS --clamp-mss-to-pmtu, physdev --physdev-out, policy --dir)
          const severity = path.length > 0 ? legacyOnlyError(ast) : "error";
          const nft = severity === "error" ? "" : "; nf_tables takes it in a user chain, the legacy backend refuses it";
          report({ message: `${what}${ownerFlag ? ` (${ownerFlag} ${ownerName})` : ""} is not allowed in ${where(hook, path, rule.chain)}; it is valid only in ${quoteList([...list])}${nft}`, span: o.nameSpan, severity, stage: "kernel", ...related(path) });
          if (severity === "error") blameJump(hook, path, what, o.nameSpan);
        }
        break;
      }
    };

    return {
      rule(r) {
        // the walk gives the rules chain by chain: the chain and its hooks (which depend on the chain only) are
        // looked up when the chain changes
        const gone = anyRemoved && removalOf(ast, r) !== undefined;
        if (rule === undefined || r.chain !== rule.chain || r.table !== rule.table || gone !== removed) {
          chain = graph.tables.get(r.table)?.byName.get(r.chain);
          // a rule taken out again is checked when it is added: by nf_tables against its chain's hooks, which
          // a user chain has none of then (the legacy backend checks hooks at COMMIT, when the rule is gone)
          hooks = gone && !chain?.builtin ? [] : reach(graph, r, chain);
          removed = gone;
        }
        rule = r;
        for (const c of rule.criteria) checkOption(c, "", "");
        for (const m of rule.matches) {
          // spans and labels are built only for a finding (a span is computed on demand, with a line lookup)
          if (m.spec && misplaced(m.spec, rule.table, hooks)) checkExtension(m.spec, m.headSpan, `match ${m.module}`);
          for (const o of m.options) checkOption(o, "-m", m.module, m.spec?.name);
        }
        if (rule.target?.spec) {
          if (misplaced(rule.target.spec, rule.table, hooks)) checkExtension(rule.target.spec, rule.target.nameSpan, `target ${rule.target.name}`);
          for (const o of rule.target.options) checkOption(o, "-j", rule.target.name, rule.target.spec.name);
        }
        const t = rule.target;
        if (t && !t.goto && t.name === "DROP" && rule.table === "nat") {
          report({ message: `-j DROP in the nat table: iptables refuses it ("The nat table is not intended for filtering"); drop the packets in filter (or mangle, raw)`, span: t.nameSpan });
        }
        if (t && !t.spec && isBuiltinChain(rule.table, t.name)) {
          report({ message: `${t.goto ? "-g" : "-j"} ${t.name}: a rule cannot jump to a built-in chain (the kernel refuses it)`, span: t.nameSpan, stage: "nft-kernel" });
        }
      },
    };
  },
});

function related(path: Path): Pick<Finding, "related"> {
  return path.length ? { related: path.slice(-5).map((e) => ({ span: e.rule.target!.nameSpan, message: `${e.from.name} jumps to ${e.to.name} here` })) } : {};
}
