/**
 * The canonical form of a rule: its specification exactly as iptables-save 1.8.9 prints it once the kernel holds
 * it. Two rules are the same rule for the kernel exactly when their canonical forms are equal, so this is what
 * `-D CHAIN rulespec` compares, what rules use to compare rules with each other, and what Docker's rule
 * templates are matched against. It is also checked against the kernel itself: `test/roundtrip.test.ts` restores
 * every corpus file into a throw-away network namespace and compares these lines with iptables-save's.
 *
 * Everything the printer knows comes from the extension catalog: the order of the options (catalog order is
 * iptables-save's order), every value through `checkValue(kind, text, ctx).canonical`, defaults, dropped and
 * renamed options (`default`, `save`, `savedAs`, `invertsTo`, `saveQuoting`), and the per-extension save rules
 * that cannot be data (`src/catalog/save.ts`). This module only puts the pieces in iptables-save's order:
 * `-s -d -i -o -p -f`, then the matches in the order they were loaded (an implicit protocol match where its first
 * option loaded it), then the target and its options. Counters and `-c` are never part of the canonical form.
 *
 * This is the only canonical printer of the project (src/docker/canonical.ts re-exports it).
 */
import type { Family, Match, Option, Rule, Target } from "./ast/iptables.js";
import { CORE_RULE_OPTIONS } from "./catalog/core.js";
import { EXTENSION_SAVE, type PrintedOption } from "./catalog/save.js";
import type { ExtensionSpec, OptionSpec } from "./catalog/types.js";
import { checkValueKept } from "./catalog/value-memo.js";
import { quoteForSave } from "./parse/words.js";

export type { PrintedOption } from "./catalog/save.js";

/**
 * The rule specification as iptables-save prints it (no `-A CHAIN`, no counters). A rule the kernel splits into
 * several (comma lists in -s/-d) gives their lines joined by "\n".
 */
export function canonicalRule(rule: Rule, family: Family): string {
  return canonicalRuleLines(rule, family).join("\n");
}

/**
 * The rules the kernel holds for this rule specification, as iptables-save prints them (without `-A CHAIN`).
 * Usually one; comma lists in `-s`/`-d` make iptables add one rule per address pair, sources outermost
 * (`-s a,b -d c,d` gives a/c, a/d, b/c, b/d).
 */
export function canonicalRuleLines(rule: Rule, family: Family): string[] {
  const core = coreParts(rule, family);
  const rest = restParts(rule, family);
  const sources = core.sources.length ? core.sources : [""];
  const destinations = core.destinations.length ? core.destinations : [""];
  const lines: string[] = [];
  for (const s of sources) {
    for (const d of destinations) {
      lines.push(join([s, d, ...core.others, ...rest]));
    }
  }
  return lines;
}

/** The iptables-save lines of the rule, `-A CHAIN spec` each. */
export function canonicalSaveLines(rule: Rule, family: Family): string[] {
  return canonicalRuleLines(rule, family).map((spec) => appendLine(rule.chain, spec));
}

/** The iptables-save line of the rule, `-A CHAIN spec` (lines joined by "\n" when the kernel splits it). */
export function canonicalSaveLine(rule: Rule, family: Family): string {
  return canonicalSaveLines(rule, family).join("\n");
}

const appendLine = (chain: string, spec: string) => (spec === "" ? `-A ${chain}` : `-A ${chain} ${spec}`);
const join = (parts: readonly string[]) => parts.filter((p) => p !== "").join(" ");

// ---------------------------------------------------------------------------------------------------------
// Core criteria
// ---------------------------------------------------------------------------------------------------------

interface CoreParts {
  /** One printed `-s` criterion per address of a comma list (empty: none printed). */
  readonly sources: string[];
  readonly destinations: string[];
  /** -i, -o, -p, -f in print order. */
  readonly others: string[];
}

function coreParts(rule: Rule, family: Family): CoreParts {
  const out: CoreParts = { sources: [], destinations: [], others: [] };
  for (const spec of CORE_RULE_OPTIONS) {
    if (spec.save === "never") continue;
    const given = rule.criteria.find((o) => o.spec === spec);
    if (!given) continue;
    // an option of the other family only (-f in ip6tables) is refused by iptables: kept as written
    const bang = given.negated ? "! " : "";
    if (spec.args === 0) {
      out.others.push(`${bang}${spec.name}`);
      continue;
    }
    const text = given.valueText(0);
    if (text === undefined) continue;
    const kind = spec.kinds![0]!;
    if (kind === "address-list") {
      const list = spec.name === "-s" ? out.sources : out.destinations;
      for (const part of text.split(",")) {
        const check = checkValueKept("address", part, family, spec);
        if (check.ok && check.omitted && !given.negated) continue;
        list.push(`${bang}${spec.name} ${check.ok ? check.canonical : part}`);
      }
      continue;
    }
    const check = checkValueKept(kind, text, family, spec);
    if (check.ok && check.omitted && !given.negated) continue;
    out.others.push(`${bang}${spec.name} ${check.ok ? check.canonical : text}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Matches, orphans, target
// ---------------------------------------------------------------------------------------------------------

function restParts(rule: Rule, family: Family): string[] {
  const parts: string[] = [];
  for (const m of rule.matches) parts.push(matchText(m, family));
  for (const o of rule.orphans) parts.push(rawOption(o));
  if (rule.target) parts.push(targetText(rule.target, family));
  for (const w of rule.strays) parts.push(rawWord(w.text));
  return parts;
}

function matchText(m: Match, family: Family): string {
  const name = m.spec?.name ?? m.module;
  return join([`-m ${name}`, ...extensionOptions(m.spec, m.options, family)]);
}

function targetText(t: Target, family: Family): string {
  const head = `${t.goto ? "-g" : "-j"} ${t.spec?.name ?? t.name}`;
  return join([head, ...extensionOptions(t.spec, t.options, family)]);
}

/** An option nothing loaded defines, printed as written (the kernel refuses such rules anyway). */
function rawOption(o: Option): string {
  return join([o.negated ? "!" : "", o.name, ...o.values.map((v) => rawWord(v.text))]);
}

/** A word of unknown meaning: bare, or quoted when it would not read back as one word. */
function rawWord(text: string): string {
  return /^[^\s"\\]+$/.test(text) ? text : quoteValue(text, "always");
}

/** The printed options of one match or target instance, in iptables-save order. */
function extensionOptions(spec: ExtensionSpec | undefined, options: readonly Option[], family: Family): string[] {
  if (!spec) return options.map(rawOption);
  const index = optionIndex(spec);
  const printed: PrintedOption[] = [];
  const given = new Set<string>();
  for (const o of options) {
    if (!o.spec) {
      printed.push({ name: o.name, negated: o.negated, values: o.values.map((v) => v.text), order: Infinity, quoted: o.values.map(() => "raw" as const) });
      continue;
    }
    given.add(o.spec.name);
    const p = printOption(spec, o, family, index);
    if (p) printed.push(p);
  }
  // options iptables-save prints with their default when the rule did not give them
  for (const [i, opt] of spec.options.entries()) {
    if (opt.save !== "always" || given.has(opt.name)) continue;
    if (opt.families && !opt.families.includes(family)) continue;
    if (opt.conflicts?.some((c) => given.has(c))) continue;
    if (opt.requiresAnyOf && !opt.requiresAnyOf.some((r) => given.has(r))) continue;
    if (printed.some((p) => p.name === opt.name)) continue;
    if (opt.args === 0) {
      printed.push({ name: opt.name, negated: false, values: [], order: i, quoted: [] });
      continue;
    }
    const dflt = defaultOf(opt, family);
    if (dflt === undefined) continue;
    printed.push({ name: opt.name, negated: false, values: dflt.split(" "), order: i, quoted: dflt.split(" ").map(() => quoting(opt)) });
  }
  const hook = EXTENSION_SAVE[spec.name];
  const final = hook ? hook(printed, { family, spec, given: options }) : printed;
  return [...final].sort(byOrder).map(printedText);
}

const optionIndexes = new WeakMap<ExtensionSpec, ReadonlyMap<string, number>>();

/** Option name → position in the catalog (iptables-save's order). */
function optionIndex(spec: ExtensionSpec): ReadonlyMap<string, number> {
  let index = optionIndexes.get(spec);
  if (!index) {
    index = new Map(spec.options.map((o, i) => [o.name, i]));
    optionIndexes.set(spec, index);
  }
  return index;
}

/** Catalog order; options the catalog does not know keep their place at the end. */
const byOrder = (a: PrintedOption, b: PrintedOption) => (a.order === b.order ? 0 : a.order < b.order ? -1 : 1);

function defaultOf(opt: OptionSpec, family: Family): string | undefined {
  return typeof opt.default === "string" ? opt.default : opt.default?.[family];
}

/** How a value word of this option is quoted: "always", "never", or "auto" (xtables_save_string). */
function quoting(opt: OptionSpec | undefined): PrintedOption["quoted"][number] {
  if (!opt) return "auto";
  if (opt.saveQuoting) return opt.saveQuoting;
  return opt.kinds?.some((k) => k === "string") ? "auto" : "never";
}

function printOption(ext: ExtensionSpec, o: Option, family: Family, index: ReadonlyMap<string, number>): PrintedOption | null {
  const opt = o.spec!;
  if (opt.save === "never") return null;
  const values: string[] = [];
  let savedAs: string | undefined;
  let omitted = false;
  let invalid = false;
  (opt.kinds ?? []).forEach((kind, i) => {
    const text = o.valueText(i);
    if (text === undefined) return;
    const check = checkValueKept(kind, text, family, opt, ext.name);
    if (!check.ok) {
      invalid = true;
      return;
    }
    if (check.omitted) omitted = true;
    if (check.savedAs) savedAs = check.savedAs;
    values.push(check.canonical);
  });
  // a value iptables refuses: the option as written (canonical name), nothing derived from it
  if (invalid) return { name: opt.name, negated: o.negated, values: o.values.map((v) => v.text), order: index.get(opt.name) ?? Infinity, quoted: o.values.map(() => "raw" as const), source: o };
  if (opt.args === 0 && opt.save === "omit-default" && !o.negated) return null;
  if (opt.args > 1 && opt.save === "omit-default" && values.join(" ") === defaultOf(opt, family)) omitted = true;
  if (omitted && !o.negated) return null;
  let negated = o.negated;
  let name = savedAs ?? opt.savedAs ?? opt.name;
  if (negated && opt.invertsTo) {
    name = opt.invertsTo;
    negated = false;
  }
  // a name that stands for several words ("--tcp-flags FIN,SYN,RST,ACK SYN") carries its own values
  const words = name.split(" ");
  const printedName = words[0]!;
  const all = [...words.slice(1), ...values];
  const order = index.get(printedName) ?? index.get(opt.name) ?? Infinity;
  const q = quoting(opt);
  return { name: printedName, negated, values: all, order, quoted: all.map((_, i) => (i < words.length - 1 ? "never" : q)), source: o };
}

function printedText(p: PrintedOption): string {
  const values = p.values.map((v, i) => quoteValue(v, p.quoted[i] ?? "auto"));
  return join([p.negated ? "!" : "", p.name, ...values]);
}

function quoteValue(text: string, how: PrintedOption["quoted"][number]): string {
  if (how === "never") return text;
  if (how === "raw") return rawWord(text);
  if (how === "always") return `"${text.replace(/(["\\])/g, "\\$1")}"`;
  return quoteForSave(text);
}
