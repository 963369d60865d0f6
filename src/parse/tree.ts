/**
 * Applies commands, in source order, to build the Ruleset tree: what the kernel would hold after restoring
 * the file (or after running the script on a host with empty tables). Built-in chains always exist.
 */
import type { Chain, Command, Family, Option, ParseDiagnostic, Rule, SourceFormat, Table, TableName } from "../ast/iptables.js";
import { checkValue } from "../catalog/values.js";
import type { Span } from "../ast/span.js";
import { BUILTIN_CHAINS } from "../catalog/core.js";

export class TreeBuilder {
  private readonly tables = new Map<TableName, Table>();
  private readonly chains = new Map<string, Chain>();

  constructor(
    private readonly format: SourceFormat,
    private readonly diagnostics: ParseDiagnostic[],
    private readonly family: Family = "ipv4",
  ) {}

  table(name: TableName, headerSpan: Span | null, span: Span): Table {
    let t = this.tables.get(name);
    if (!t) {
      t = { kind: "Table", span, name, headerSpan, chains: [], commits: [], unterminated: [] };
      this.tables.set(name, t);
      for (const builtin of BUILTIN_CHAINS[name]) this.addChain(t, builtin, span, "implicit", true);
    }
    return t;
  }

  private addChain(table: Table, name: string, span: Span, declaredBy: Chain["declaredBy"], builtin: boolean): Chain {
    const c: Chain = { kind: "Chain", span, name, table: table.name, builtin, policy: null, counters: null, declaredBy, declarations: [], rules: [], nameSpan: span };
    table.chains.push(c);
    this.chains.set(`${table.name}\0${name}`, c);
    return c;
  }

  findChain(table: TableName, name: string): Chain | undefined {
    return this.chains.get(`${table}\0${name}`);
  }

  /** The chain a command refers to; created as "implicit" when it was never declared. */
  private chainFor(cmd: Command, name: string, span: Span): Chain {
    const table = this.table(cmd.table, null, cmd.span);
    return this.findChain(cmd.table, name) ?? this.addChain(table, name, span, "implicit", false);
  }

  apply(cmd: Command): void {
    const { op, chain: chainName } = cmd;
    const table = this.table(cmd.table, null, cmd.span);
    switch (op) {
      case "declare-chain":
      case "new-chain": {
        if (chainName === null) return;
        const existing = this.findChain(cmd.table, chainName);
        const declSpan = cmd.chainSpan ?? cmd.span;
        if (existing) {
          existing.declarations.push(declSpan);
          if (existing.declaredBy === "implicit") {
            const c = existing as { -readonly [K in keyof Chain]: Chain[K] };
            c.declaredBy = op === "new-chain" ? "new-chain" : "declaration";
            c.span = cmd.span;
            c.nameSpan = declSpan;
          }
          if (op === "declare-chain" && existing.builtin && cmd.argument && (cmd.argument.text === "ACCEPT" || cmd.argument.text === "DROP")) existing.policy = cmd.argument.text;
          return;
        }
        const c = this.addChain(table, chainName, cmd.span, op === "new-chain" ? "new-chain" : "declaration", false);
        (c as { nameSpan: Span }).nameSpan = declSpan;
        c.declarations.push(declSpan);
        return;
      }
      case "append":
      case "insert":
      case "replace": {
        if (chainName === null || !cmd.rule) return;
        const chain = this.chainFor(cmd, chainName, cmd.chainSpan ?? cmd.span);
        const rule = cmd.rule as { -readonly [K in keyof Rule]: Rule[K] };
        rule.command = cmd;
        if (op === "append") chain.rules.push(cmd.rule);
        else if (op === "insert") {
          const at = (cmd.index ?? 1) - 1;
          if (at > chain.rules.length && this.format !== "script") {
            this.diagnostics.push({ code: "index-out-of-range", message: `cannot insert at position ${cmd.index} of ${chainName}: the chain has ${chain.rules.length} rule(s) at this point`, span: cmd.span });
          }
          chain.rules.splice(Math.min(Math.max(at, 0), chain.rules.length), 0, cmd.rule);
        } else {
          const at = (cmd.index ?? 1) - 1;
          if (at < chain.rules.length && at >= 0) chain.rules[at] = cmd.rule;
          else if (this.format !== "script") {
            this.diagnostics.push({ code: "index-out-of-range", message: `cannot replace rule ${cmd.index} of ${chainName}: the chain has ${chain.rules.length} rule(s) at this point`, span: cmd.span });
          }
        }
        return;
      }
      case "delete": {
        if (chainName === null) return;
        const chain = this.findChain(cmd.table, chainName);
        if (!chain) {
          if (this.format !== "script") this.diagnostics.push({ code: "delete-not-found", message: `cannot delete from ${chainName}: no such chain at this point`, span: cmd.span });
          return;
        }
        let at = -1;
        if (cmd.index !== null) at = cmd.index - 1 < chain.rules.length ? cmd.index - 1 : -1;
        else if (cmd.rule) {
          const key = ruleSignature(cmd.rule, this.family);
          at = chain.rules.findIndex((r) => ruleSignature(r, this.family) === key);
        }
        if (at >= 0) chain.rules.splice(at, 1);
        else if (this.format !== "script") this.diagnostics.push({ code: "delete-not-found", message: `no matching rule to delete in ${chainName} at this point`, span: cmd.span });
        return;
      }
      case "flush": {
        if (chainName === null) for (const c of table.chains) c.rules.length = 0;
        else {
          const c = this.findChain(cmd.table, chainName);
          if (c) c.rules.length = 0;
        }
        return;
      }
      case "delete-chain": {
        const victims = chainName === null ? table.chains.filter((c) => !c.builtin && c.rules.length === 0) : table.chains.filter((c) => c.name === chainName && !c.builtin);
        for (const v of victims) {
          table.chains.splice(table.chains.indexOf(v), 1);
          this.chains.delete(`${table.name}\0${v.name}`);
        }
        return;
      }
      case "policy": {
        if (chainName === null || !cmd.argument) return;
        const c = this.findChain(cmd.table, chainName);
        if (c?.builtin && (cmd.argument.text === "ACCEPT" || cmd.argument.text === "DROP")) c.policy = cmd.argument.text;
        return;
      }
      case "rename-chain": {
        if (chainName === null || !cmd.argument) return;
        const c = this.findChain(cmd.table, chainName);
        if (!c || c.builtin) return;
        this.chains.delete(`${table.name}\0${c.name}`);
        (c as { name: string }).name = cmd.argument.text;
        this.chains.set(`${table.name}\0${c.name}`, c);
        return;
      }
      case "zero":
      case "check":
      case "list":
        return;
    }
  }

  /** Tables in first-seen order with rule positions computed. */
  finish(): Table[] {
    const tables = [...this.tables.values()];
    for (const t of tables) for (const c of t.chains) c.rules.forEach((r, k) => (r.position = k + 1));
    return tables;
  }
}

/**
 * Order-sensitive identity of a rule's specification (what `-D chain rulespec` compares): option values in
 * their canonical form (`-p 6` = `-p tcp`, `10.0.0.1` = `10.0.0.1/32`), counters left out.
 */
export function ruleSignature(rule: Rule, family: Family = "ipv4"): string {
  const parts: string[] = [];
  const value = (o: Option) =>
    o.values
      .map((v, k) => {
        const kind = o.spec?.kinds?.[k];
        if (!kind || !o.spec) return v.text;
        const r = checkValue(kind, v.text, { family, option: o.spec });
        return r.ok ? r.canonical : v.text;
      })
      .join("\u0001");
  for (const it of rule.items) {
    switch (it.type) {
      case "criterion":
        if (it.option.name === "-c") break;
        parts.push(`${it.option.negated ? "!" : ""}${it.option.name}=${value(it.option)}`);
        break;
      case "option":
      case "target-option":
      case "orphan":
        parts.push(`${it.option.negated ? "!" : ""}${it.option.name}=${value(it.option)}`);
        break;
      case "match":
        parts.push(`-m ${it.match.module}`);
        break;
      case "target":
        parts.push(`${it.target.goto ? "-g" : "-j"} ${it.target.name}`);
        break;
    }
  }
  return parts.join("\u0000");
}
