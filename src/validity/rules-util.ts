/** Helpers the validity rules share for walking rules and their options. */
import { criterion, type Command, type Family, type Match, type Option, type Rule, type RuleItem, type Target } from "../ast/iptables.js";
import type { Span } from "../ast/span.js";
import { checkValueKept, protocolNumber } from "../catalog/index.js";
import type { OptionSpec } from "../catalog/types.js";

/** The `-p` criterion of a rule and its protocol number (undefined when unknown or absent). */
export function protocolOf(rule: Rule): { option: Option; number: number | undefined; negated: boolean } | undefined {
  const p = criterion(rule, "-p");
  const text = p?.valueText(0);
  if (text === undefined) return undefined;
  return { option: p!, number: protocolNumber(text), negated: p!.negated };
}

/** Index in `rule.items` of the item holding `option`. */
export function itemIndexOf(rule: Rule, option: Option): number {
  return rule.items.findIndex((it) => "option" in it && it.option === option);
}

/**
 * Something before this option may have loaded its extension without fwlint knowing: a match of unknown module
 * (its options are unknown), or in a script a word with an unresolved expansion (`$MATCH` may be `-m iprange`).
 */
export function afterUnknownMatch(rule: Rule, option: Option): boolean {
  if (rule.strays.some((w) => w.dynamic && w.span.offset < option.span.offset)) return true;
  // rule.items builds and sorts the list on every read: read it once
  const items = rule.items;
  const at = items.findIndex((it) => "option" in it && it.option === option);
  for (let k = 0; k < at; k++) {
    const it: RuleItem = items[k]!;
    if (it.type === "match" && it.match.spec === undefined && !it.match.implicit) return true;
  }
  return false;
}

/** The rule holds a script word with an unresolved expansion that may stand for any options. */
export function hasDynamicWords(rule: Rule): boolean {
  return rule.strays.some((w) => w.dynamic);
}

/** Offset where text must be inserted to go before an option (before its `!` when prefix-negated). */
export function insertionPoint(option: Option): number {
  return option.negation === "prefix" && option.bangSpan ? option.bangSpan.offset : option.span.offset;
}

/** A match or target as messages name it: "-m conntrack", "-j DNAT" (made only for a finding). */
export function holderLabel(holder: Match | Target): string {
  return holder.kind === "Match" ? `-m ${holder.module}` : `-j ${holder.name}`;
}

/** Where a match (its `-m NAME`) or a target (its name) is written. */
export function holderSpan(holder: Match | Target): Span {
  return holder.kind === "Match" ? holder.headSpan : holder.nameSpan;
}

/**
 * The catalog's per-value restriction for an option's first value (REJECT tcp-reset needs -p tcp; policy --dir
 * in/out hooks). It is keyed by the canonical value, so the value is canonicalised first: `--reject-with tcp-rst`
 * (an alias) and `tcp` (an abbreviation) are tcp-reset. `extension`: the match or target holding the option.
 */
export function valueConstraint(o: Option, family: Family, extension: string | undefined): NonNullable<OptionSpec["valueConstraints"]>[string] | undefined {
  const spec = o.spec;
  const text = o.valueText(0);
  if (!spec?.valueConstraints || text === undefined) return undefined;
  const kind = spec.kinds?.[0];
  const r = kind && !o.valueDynamic(0) ? checkValueKept(kind, text, family, spec, extension) : undefined;
  return spec.valueConstraints[r?.ok ? r.canonical : text];
}

/** The name a command gives a chain, with its span: a declaration (`:NAME`), `-N NAME`, or the new name of `-E`. */
export function newChainName(cmd: Command): { name: string; span: Span } | undefined {
  if ((cmd.op === "declare-chain" || cmd.op === "new-chain") && cmd.chain !== null) return { name: cmd.chain, span: cmd.chainSpan ?? cmd.span };
  if (cmd.op === "rename-chain" && cmd.argument) return { name: cmd.argument.text, span: cmd.argument.span };
  return undefined;
}
