/**
 * Applies commands, in source order, to build the Ruleset tree: what the kernel would hold after restoring
 * the file (or after running the script on a host with empty tables). Built-in chains always exist.
 */
import type { Chain, Command, Family, ParseDiagnostic, RemovedRule, Rule, SourceFormat, Table, TableName } from "../ast/iptables.js";
import type { Span } from "../ast/span.js";
import { canonicalRule } from "../canonical.js";
import { BUILTIN_CHAINS } from "../catalog/core.js";
import { isBuiltinTarget } from "../catalog/index.js";
import { ChainNode, exact } from "../ast/nodes.js";

export class TreeBuilder {
  private readonly tables = new Map<TableName, Table>();
  /** table → chain name → chain */
  private readonly chains = new Map<TableName, Map<string, Chain>>();

  /** Rules taken out of the tree again (-D, -R, -F), in the order they left it; sorted by finish(). */
  private readonly removed: RemovedRule[] = [];

  constructor(
    private readonly format: SourceFormat,
    private readonly diagnostics: ParseDiagnostic[],
    private readonly family: Family = "ipv4",
  ) {}

  /** The table, created on first use (`span` is only read then: pass a function to avoid computing it). */
  table(name: TableName, headerSpan: Span | null, span: Span | (() => Span)): Table {
    let t = this.tables.get(name);
    if (!t) {
      if (typeof span === "function") span = span();
      t = { kind: "Table", span, name, headerSpan, chains: [], commits: [], unterminated: [] };
      this.tables.set(name, t);
      for (const builtin of BUILTIN_CHAINS[name]) this.addChain(t, builtin, span, "implicit", true);
    }
    return t;
  }

  private addChain(table: Table, name: string, origin: Command | Span, declaredBy: Chain["declaredBy"], builtin: boolean): ChainNode {
    const c = new ChainNode(name, table.name, builtin, declaredBy, origin);
    table.chains.push(c);
    this.chainMap(table.name).set(name, c);
    return c;
  }

  private chainMap(table: TableName): Map<string, Chain> {
    let m = this.chains.get(table);
    if (!m) this.chains.set(table, (m = new Map()));
    return m;
  }

  findChain(table: TableName, name: string): ChainNode | undefined {
    return this.chains.get(table)?.get(name) as ChainNode | undefined;
  }

  /**
   * The chain of the last chainFor: a dump appends to one chain line after line, and its table holds tens of
   * thousands. Its name follows -E; it is forgotten when chains are deleted.
   */
  private last: Chain | null = null;

  /** The chain a command refers to; created as "implicit" when it was never declared. */
  private chainFor(cmd: Command, table: Table, name: string): Chain {
    const last = this.last;
    if (last !== null && last.name === name && last.table === cmd.table) return last;
    let c = this.findChain(cmd.table, name);
    if (!c) {
      c = this.addChain(table, name, cmd, "implicit", false);
      if (this.format !== "script") (this.early ??= []).push({ cmd, chain: c, jump: false });
    }
    return (this.last = c);
  }

  /**
   * Rules that use a user chain before the file declares it (an append to it, or a jump to it): both backends
   * refuse them, since a restore file acts on the chains as it has built them so far. Checked in finish(), when
   * it is known which of those chains are declared later; one never declared is undefined-chain's.
   */
  private early: { cmd: Command; chain: Chain | string; jump: boolean }[] | null = null;

  /** Apply a command; a chain declaration (`:NAME` or -N) returns its chain, other commands undefined. */
  apply(cmd: Command): ChainNode | undefined {
    const { op, chain: chainName } = cmd;
    const table = this.table(cmd.table, null, () => cmd.span);
    switch (op) {
      case "declare-chain":
      case "new-chain": {
        if (chainName === null) return;
        const declaredBy = op === "new-chain" ? "new-chain" : "declaration";
        const existing = this.findChain(cmd.table, chainName);
        if (existing) {
          existing.declare_(cmd, declaredBy);
          const policy = cmd.argumentText;
          if (op === "declare-chain" && existing.builtin && (policy === "ACCEPT" || policy === "DROP")) existing.policy = policy;
          return existing;
        }
        const added = this.addChain(table, chainName, cmd, declaredBy, false);
        added.declare_(cmd, declaredBy);
        return added;
      }
      case "append":
      case "insert":
      case "replace": {
        if (chainName === null || !cmd.rule) return;
        const chain = this.chainFor(cmd, table, chainName);
        const rule = cmd.rule as { -readonly [K in keyof Rule]: Rule[K] };
        const target = rule.target;
        if (target !== null && target.spec === undefined && this.format !== "script" && !isBuiltinTarget(target.name) && (this.findChain(cmd.table, target.name)?.declaredBy ?? "implicit") === "implicit") {
          (this.early ??= []).push({ cmd, chain: target.name, jump: true });
        }
        rule.command = cmd;
        if (op === "append") chain.rules.push(cmd.rule);
        else if (op === "insert") {
          const at = (cmd.index ?? 1) - 1;
          if (at > chain.rules.length) this.refuse("index-out-of-range", `cannot insert at position ${cmd.index} of ${chainName}: the chain has ${chain.rules.length} rule(s) at this point`, cmd.span);
          chain.rules.splice(Math.min(Math.max(at, 0), chain.rules.length), 0, cmd.rule);
        } else {
          const at = (cmd.index ?? 1) - 1;
          if (at < chain.rules.length && at >= 0) {
            this.removed.push({ rule: chain.rules[at]!, by: cmd });
            chain.rules[at] = cmd.rule;
          } else this.refuse("index-out-of-range", `cannot replace rule ${cmd.index} of ${chainName}: the chain has ${chain.rules.length} rule(s) at this point`, cmd.span);
        }
        return;
      }
      case "delete": {
        if (chainName === null) return;
        const chain = this.findChain(cmd.table, chainName);
        if (!chain) {
          this.refuse("delete-not-found", `cannot delete from ${chainName}: no such chain at this point`, cmd.span);
          return;
        }
        let at = -1;
        if (cmd.index !== null) at = cmd.index - 1 < chain.rules.length ? cmd.index - 1 : -1;
        else if (cmd.rule) {
          const key = ruleSignature(cmd.rule, this.family);
          at = chain.rules.findIndex((r) => ruleSignature(r, this.family) === key);
        }
        if (at >= 0) this.removed.push({ rule: chain.rules.splice(at, 1)[0]!, by: cmd });
        else this.refuse("delete-not-found", `no matching rule to delete in ${chainName} at this point`, cmd.span);
        return;
      }
      case "flush": {
        if (chainName === null) for (const c of table.chains) this.flush(c, cmd);
        else {
          const c = this.findChain(cmd.table, chainName);
          if (c) this.flush(c, cmd);
          else this.noChain(cmd, "flush", chainName);
        }
        return;
      }
      case "delete-chain": {
        this.last = null;
        const victims = chainName === null ? table.chains.filter((c) => !c.builtin && c.rules.length === 0) : table.chains.filter((c) => c.name === chainName && !c.builtin);
        if (chainName !== null && !this.findChain(cmd.table, chainName)) this.noChain(cmd, "delete", chainName);
        if (this.busy(cmd, table, chainName === null ? table.chains.filter((c) => !c.builtin) : victims)) return;
        for (const v of victims) {
          table.chains.splice(table.chains.indexOf(v), 1);
          this.chainMap(table.name).delete(v.name);
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
        if (!c || c.builtin) {
          this.noChain(cmd, "rename", chainName);
          return;
        }
        const to = cmd.argument.text;
        if (this.findChain(cmd.table, to)) {
          this.refuse("chain-exists", `cannot rename ${chainName} to ${to}: table ${cmd.table} already has a chain ${to} at this point`, cmd.span);
          return;
        }
        // nf_tables cannot rename a chain its own transaction creates, and a restore creates every chain it declares
        if (c.declaredBy !== "implicit") {
          this.refuse("rename-declared", `nf_tables refuses to rename ${chainName}: this file creates the chain, and a chain cannot be renamed in the restore that creates it ("CHAIN_RENAME failed"); declare it as ${to} instead`, cmd.span);
        }
        this.last = null;
        this.chainMap(table.name).delete(c.name);
        (c as { name: string }).name = to;
        this.chainMap(table.name).set(c.name, c);
        this.followRename(table, chainName, to);
        return;
      }
      case "zero":
        if (chainName !== null && !this.findChain(cmd.table, chainName)) this.noChain(cmd, "zero the counters of", chainName);
        return;
      case "check":
      case "list":
        return;
    }
  }

  private flush(chain: Chain, cmd: Command): void {
    for (const rule of chain.rules) this.removed.push({ rule, by: cmd });
    chain.rules.length = 0;
  }

  /**
   * A script's command that does not run on the way fwlint follows (a function never called, a `case` branch
   * other than `start`): the rule it would add is checked as iptables would check it when it runs, and kept
   * out of the tree, with the rules the file takes out again.
   */
  notRun(cmd: Command): void {
    if (cmd.rule && (cmd.op === "append" || cmd.op === "insert" || cmd.op === "replace")) {
      (cmd.rule as { -readonly [K in keyof Rule]: Rule[K] }).command = cmd;
      this.removed.push({ rule: cmd.rule, by: cmd });
    }
  }

  /** The rules the file took out again, in source order (see `Ruleset.removedRules`). */
  removedRules(): RemovedRule[] {
    return this.removed.sort((a, b) => a.rule.span.offset - b.rule.span.offset);
  }

  /**
   * The kernel keeps a jump pointing at its chain through a rename: after `-E A B`, `-j A` is `-j B` (as
   * iptables-save prints it, and as `-D … -j B` finds it). Renames are rare; this walks the table's rules.
   */
  private followRename(table: Table, from: string, to: string): void {
    for (const chain of table.chains) {
      for (const rule of chain.rules) {
        const t = rule.target;
        if (t === null || t.spec !== undefined || t.name !== from) continue;
        (t as { name: string }).name = to;
        signatures[this.family].delete(rule);
      }
    }
  }

  /**
   * What iptables-restore refuses in a restore file, which acts on the ruleset as it has built it so far. A
   * script acts on the host's ruleset, which fwlint cannot see: nothing is reported for it.
   */
  private refuse(code: string, message: string, span: Span): void {
    if (this.format !== "script") this.diagnostics.push({ code, message, span });
  }

  /**
   * `-X` refuses a chain that still has rules or that a rule still jumps to ("CHAIN_DEL failed (Device or
   * resource busy)"); `-X` without a name tries every user chain of the table. The first such chain is reported,
   * and the tree keeps the chains, as the refused command leaves them. Not in scripts.
   */
  private busy(cmd: Command, table: Table, chains: readonly Chain[]): boolean {
    if (this.format === "script" || chains.length === 0) return false;
    // the chain each jump target name is first jumped to from, in one pass over the table (not one per chain)
    const jumpedFrom = new Map<string, Chain>();
    for (const o of table.chains) {
      for (const r of o.rules) {
        const t = r.target;
        if (t !== null && t.spec === undefined && !jumpedFrom.has(t.name)) jumpedFrom.set(t.name, o);
      }
    }
    for (const c of chains) {
      const from = jumpedFrom.get(c.name);
      const why =
        c.rules.length > 0 ? `it still has ${c.rules.length} rule${c.rules.length === 1 ? "" : "s"}; flush it first (-F ${c.name})` : from ? `a rule in ${from.name} still jumps to it` : undefined;
      if (why === undefined) continue;
      this.refuse("chain-busy", `cannot delete chain ${c.name}: ${why} ("CHAIN_DEL failed (Device or resource busy)")`, cmd.span);
      return true;
    }
    return false;
  }

  /** A restore file acts on the chains as it has built them so far: naming a missing one fails the restore. */
  private noChain(cmd: Command, what: string, name: string): void {
    this.refuse("chain-not-found", `cannot ${what} ${name}: no such chain in table ${cmd.table} at this point`, cmd.span);
  }

  /** Tables in first-seen order with rule positions computed. */
  finish(): Table[] {
    for (const e of this.early ?? []) {
      const chain = typeof e.chain === "string" ? this.findChain(e.cmd.table, e.chain) : e.chain;
      if (!chain || chain.declaredBy === "implicit" || chain.builtin) continue;
      const span = e.jump ? (e.cmd.rule?.target?.nameSpan ?? e.cmd.span) : (e.cmd.chainSpan ?? e.cmd.span);
      const message = e.jump
        ? `${e.cmd.rule?.target?.goto ? "-g" : "-j"} ${chain.name}: chain ${chain.name} is declared only further down the file; iptables-restore refuses a jump to a chain it has not created yet ("Chain '${chain.name}' does not exist"). Declare it before this line`
        : `rule added to ${chain.name} before the file declares the chain; iptables-restore refuses it ("No chain/target/match by that name"). Declare it before this line`;
      this.refuse("chain-not-found", message, span);
    }
    const tables = [...this.tables.values()];
    for (const t of tables)
      for (const c of t.chains) {
        // an array filled by push keeps spare room; a Kubernetes dump has tens of thousands of short chains
        const rules = exact(c.rules);
        (c as { rules: Rule[] }).rules = rules;
        rules.forEach((r, k) => (r.position = k + 1));
      }
    return tables;
  }
}

const signatures: Record<Family, WeakMap<Rule, string>> = { ipv4: new WeakMap(), ipv6: new WeakMap() };

/**
 * Identity of a rule's specification, as `-D chain rulespec` compares it: the kernel finds the rule whose
 * canonical form (src/canonical.ts: what iptables-save prints) equals that of the given specification, so
 * `-p 6 --dport 22` deletes `-p tcp -m tcp --dport 22` and `-s 10.0.0.1` deletes `-s 10.0.0.1/32`. Counters do not
 * take part; the order of the matches does.
 */
export function ruleSignature(rule: Rule, family: Family = "ipv4"): string {
  const cache = signatures[family];
  let key = cache.get(rule);
  if (key === undefined) {
    key = canonicalRule(rule, family);
    cache.set(rule, key);
  }
  return key;
}
