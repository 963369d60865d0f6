import { BUILTIN_CHAINS, BUILTIN_TARGETS, CORE_RULE_OPTIONS, PROTOCOLS } from "./core.js";
import { MATCHES } from "./matches.js";
import { TARGETS } from "./targets.js";
import type { ExtensionSpec, Family, OptionSpec, TableName } from "./types.js";

export * from "./types.js";
export {
  BUILTIN_CHAINS,
  BUILTIN_TARGETS,
  CORE_RULE_OPTIONS,
  PROTOCOLS,
  PROTOCOL_FALLBACK_SAVE_NAMES,
  PROTOCOL_SAVE_NAMES,
  TABLE_NAMES,
} from "./core.js";
export * from "./values.js";
export { CONNTRACK_HELPERS, helperProblem } from "./final.js";
export * from "./value-memo.js";
export { MATCHES } from "./matches.js";
export { TARGETS } from "./targets.js";

/** Extension plus a lookup table of its option spellings (name and aliases → spec). */
export interface CatalogEntry {
  readonly spec: ExtensionSpec;
  readonly byName: ReadonlyMap<string, OptionSpec>;
}

function entry(spec: ExtensionSpec): CatalogEntry {
  const byName = new Map<string, OptionSpec>();
  for (const opt of spec.options) {
    byName.set(opt.name, opt);
    for (const alias of opt.aliases ?? []) byName.set(alias, opt);
  }
  return { spec, byName };
}

/**
 * Name → entries. A name has more than one entry only when iptables ships per-family variants with different
 * options (ah for IPv4 and for IPv6); their `families` never overlap.
 */
function index(specs: readonly ExtensionSpec[]): Map<string, CatalogEntry[]> {
  const map = new Map<string, CatalogEntry[]>();
  for (const spec of specs) {
    const e = entry(spec);
    for (const name of [spec.name, ...(spec.aliases ?? [])]) {
      const list = map.get(name);
      if (list) list.push(e);
      else map.set(name, [e]);
    }
  }
  return map;
}

const uniqueEntries = (map: Map<string, CatalogEntry[]>): CatalogEntry[] => [...new Set([...map.values()].flat())];

const matchIndex = index(MATCHES);
const targetIndex = index(TARGETS);
const coreIndex = new Map<string, OptionSpec>();
for (const opt of CORE_RULE_OPTIONS) {
  coreIndex.set(opt.name, opt);
  for (const alias of opt.aliases ?? []) coreIndex.set(alias, opt);
}

/** Every spelling of every match/target option → the extensions that define it (for "needs -m X" hints). */
const ownerIndex = new Map<string, CatalogEntry[]>();
for (const e of [...uniqueEntries(matchIndex), ...uniqueEntries(targetIndex)]) {
  for (const word of e.byName.keys()) {
    const list = ownerIndex.get(word);
    if (list) list.push(e);
    else ownerIndex.set(word, [e]);
  }
}

const implicitIndex = new Map<string, CatalogEntry[]>();
for (const e of uniqueEntries(matchIndex)) {
  for (const p of e.spec.implicitFor ?? []) {
    const list = implicitIndex.get(p);
    if (list) list.push(e);
    else implicitIndex.set(p, [e]);
  }
}

const supports = (spec: ExtensionSpec, family: Family) => spec.families.includes(family);
/** The first entry for the family (a loop: the parser looks up every -m and -j, and a callback per call was garbage). */
function forFamily(list: readonly CatalogEntry[] | undefined, family: Family): CatalogEntry | undefined {
  if (list !== undefined) for (const e of list) if (supports(e.spec, family)) return e;
  return undefined;
}

/** A match extension by name (as given to -m), or undefined when iptables has no such match for the family. */
export function findMatch(name: string, family: Family): CatalogEntry | undefined {
  return forFamily(matchIndex.get(name), family);
}

/** A match of that name exists, but only for the other family. */
export function matchExistsInOtherFamily(name: string, family: Family): boolean {
  const list = matchIndex.get(name);
  return list !== undefined && forFamily(list, family) === undefined;
}

/** A target extension by name (as given to -j), or undefined. Built-in verdicts are not extensions. */
export function findTarget(name: string, family: Family): CatalogEntry | undefined {
  return forFamily(targetIndex.get(name), family);
}

export function targetExistsInOtherFamily(name: string, family: Family): boolean {
  const list = targetIndex.get(name);
  return list !== undefined && forFamily(list, family) === undefined;
}

export function isBuiltinTarget(name: string): boolean {
  return (BUILTIN_TARGETS as readonly string[]).includes(name);
}

export function isBuiltinChain(table: TableName, chain: string): boolean {
  return (BUILTIN_CHAINS[table] as readonly string[]).includes(chain);
}

/** A core rule option (-s, --source, -p, …) by any spelling. */
export function findCoreOption(word: string): OptionSpec | undefined {
  return coreIndex.get(word);
}

/** Extensions (matches first, then targets) that define an option spelled `word`. */
export function extensionsDefining(word: string, family: Family): readonly CatalogEntry[] {
  return (ownerIndex.get(word) ?? []).filter((e) => supports(e.spec, family));
}

/**
 * The protocol match `-p <proto>` loads implicitly when an unknown option follows (tcp, udp, icmp, …).
 * Checked on iptables 1.8.9: the -p word (lower-cased) or its number loads the match of the same name, plus
 * ip6tables' icmpv6/ipv6-icmp/58 → icmp6; `-p ipv6-mh`, `-p mobility-header` and `-p 135` do NOT load mh.
 */
export function implicitMatchFor(protocol: string, family: Family): CatalogEntry | undefined {
  return forFamily(implicitIndex.get(protocol.toLowerCase()), family);
}

/**
 * iptables parses options with getopt_long, which also accepts any unambiguous prefix of a long option
 * (`--dpor 22`, `--to 10.0.0.1` for --to-destination). Given a word and the extensions loaded so far in the rule
 * (plus the core options), returns the options it abbreviates: exactly one means iptables takes it; more means
 * "option is ambiguous"; none means unknown. An exact spelling always wins.
 */
export function matchOptionPrefix(word: string, loaded: readonly CatalogEntry[], family: Family): readonly OptionSpec[] {
  const candidates: [string, OptionSpec][] = [];
  for (const opt of CORE_RULE_OPTIONS) {
    if (opt.families && !opt.families.includes(family)) continue;
    for (const spelling of [opt.name, ...(opt.aliases ?? [])]) candidates.push([spelling, opt]);
  }
  for (const e of loaded) {
    for (const [spelling, opt] of e.byName) {
      if (opt.families && !opt.families.includes(family)) continue;
      candidates.push([spelling, opt]);
    }
  }
  const exact = candidates.filter(([spelling]) => spelling === word);
  if (exact.length > 0) return [...new Set(exact.map(([, opt]) => opt))];
  if (!word.startsWith("--") || word.length < 3) return [];
  return [...new Set(candidates.filter(([spelling]) => spelling.startsWith("--") && spelling.startsWith(word)).map(([, opt]) => opt))];
}

/** Protocol number of a `-p` value (name or number), or undefined when unknown. */
export function protocolNumber(word: string): number | undefined {
  const lower = word.toLowerCase();
  if (/^\d+$/.test(lower)) {
    const n = Number(lower);
    return n <= 255 ? n : undefined;
  }
  return PROTOCOLS[lower];
}

export const allMatches = (): readonly CatalogEntry[] => uniqueEntries(matchIndex);
export const allTargets = (): readonly CatalogEntry[] => uniqueEntries(targetIndex);

const matchNamesByFamily: Partial<Record<Family, readonly string[]>> = {};
/** The names of the family's matches (for a did-you-mean), made once per family. */
export function matchNames(family: Family): readonly string[] {
  return (matchNamesByFamily[family] ??= allMatches()
    .filter((e) => supports(e.spec, family))
    .map((e) => e.spec.name));
}

const spellingsByFamily: Partial<Record<Family, ReadonlyMap<string, string>>> = {};
/**
 * Every option spelling of the family (for a did-you-mean), made once per family: a match's or target's
 * option → the first extension defining it ("-m NAME", "-j NAME"; matches first); a core option and -m, -j,
 * -g and their long forms → "".
 */
export function optionSpellings(family: Family): ReadonlyMap<string, string> {
  const known = spellingsByFamily[family];
  if (known) return known;
  const spellings = new Map<string, string>();
  for (const e of [...allMatches(), ...allTargets()]) {
    if (!supports(e.spec, family)) continue;
    for (const w of e.byName.keys()) if (!spellings.has(w)) spellings.set(w, `${e.spec.type === "match" ? "-m" : "-j"} ${e.spec.name}`);
  }
  for (const c of CORE_RULE_OPTIONS) for (const w of [c.name, ...(c.aliases ?? [])]) spellings.set(w, "");
  for (const w of ["-m", "--match", "-j", "--jump", "-g", "--goto"]) spellings.set(w, "");
  return (spellingsByFamily[family] = spellings);
}
