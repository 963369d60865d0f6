import { BUILTIN_CHAINS, BUILTIN_TARGETS, CORE_RULE_OPTIONS, PROTOCOLS } from "./core.js";
import { MATCHES } from "./matches.js";
import { TARGETS } from "./targets.js";
import type { ExtensionSpec, Family, OptionSpec, TableName } from "./types.js";

export * from "./types.js";
export { BUILTIN_CHAINS, BUILTIN_TARGETS, CORE_RULE_OPTIONS, PROTOCOLS, TABLE_NAMES } from "./core.js";
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

function index(specs: readonly ExtensionSpec[]): Map<string, CatalogEntry> {
  const map = new Map<string, CatalogEntry>();
  for (const spec of specs) {
    const e = entry(spec);
    map.set(spec.name, e);
    for (const alias of spec.aliases ?? []) map.set(alias, e);
  }
  return map;
}

const matchIndex = index(MATCHES);
const targetIndex = index(TARGETS);
const coreIndex = new Map<string, OptionSpec>();
for (const opt of CORE_RULE_OPTIONS) {
  coreIndex.set(opt.name, opt);
  for (const alias of opt.aliases ?? []) coreIndex.set(alias, opt);
}

/** Every spelling of every match/target option → the extensions that define it (for "needs -m X" hints). */
const ownerIndex = new Map<string, CatalogEntry[]>();
for (const e of [...new Set([...matchIndex.values(), ...targetIndex.values()])]) {
  for (const word of e.byName.keys()) {
    const list = ownerIndex.get(word);
    if (list) list.push(e);
    else ownerIndex.set(word, [e]);
  }
}

const implicitIndex = new Map<string, CatalogEntry>();
for (const e of matchIndex.values()) for (const p of e.spec.implicitFor ?? []) implicitIndex.set(p, e);

const supports = (spec: ExtensionSpec, family: Family) => spec.families.includes(family);

/** A match extension by name (as given to -m), or undefined when iptables has no such match for the family. */
export function findMatch(name: string, family: Family): CatalogEntry | undefined {
  const e = matchIndex.get(name);
  return e && supports(e.spec, family) ? e : undefined;
}

/** A match of that name exists, but only for the other family. */
export function matchExistsInOtherFamily(name: string, family: Family): boolean {
  const e = matchIndex.get(name);
  return e !== undefined && !supports(e.spec, family);
}

/** A target extension by name (as given to -j), or undefined. Built-in verdicts are not extensions. */
export function findTarget(name: string, family: Family): CatalogEntry | undefined {
  const e = targetIndex.get(name);
  return e && supports(e.spec, family) ? e : undefined;
}

export function targetExistsInOtherFamily(name: string, family: Family): boolean {
  const e = targetIndex.get(name);
  return e !== undefined && !supports(e.spec, family);
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

/** The protocol match `-p <proto>` loads implicitly when an unknown option follows (tcp, udp, icmp, …). */
export function implicitMatchFor(protocol: string, family: Family): CatalogEntry | undefined {
  const e = implicitIndex.get(protocol.toLowerCase());
  return e && supports(e.spec, family) ? e : undefined;
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

export const allMatches = (): readonly CatalogEntry[] => [...new Set(matchIndex.values())];
export const allTargets = (): readonly CatalogEntry[] => [...new Set(targetIndex.values())];
