#!/usr/bin/env node
/**
 * Generates src/docker/daemon-keys.ts from the daemon.json reference data:
 *   daemon-json-keys.tsv                      (key, type, default, notes: one row per key dockerd knows of)
 *   docker-daemon-json-keys-by-version.json   (accepted top-level keys per Docker release)
 *
 * Usage: node scripts/gen-daemon-keys.mjs [reference-dir]   (default: ../shared/reference)
 *
 * The output is committed: it is data, and the package must not depend on files outside the repository.
 * test/daemon-keys.test.ts regenerates it in memory and fails when the committed copy is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = resolve(HERE, "../src/docker/daemon-keys.ts");
export const DEFAULT_REFERENCE = resolve(HERE, "../../shared/reference");
export const TSV = "daemon-json-keys.tsv";
export const JSON_FILE = "docker-daemon-json-keys-by-version.json";

/** "v20.10.0" → "20.10.0", "docker-v29.0.0" → "29.0.0", "HEAD" → "master". */
function versionName(tag) {
  if (tag === "HEAD") return "master";
  return tag.replace(/^(?:docker-)?v/, "");
}

/** The JSON value kind dockerd's decoder expects, from the TSV's free-text type column. */
function kindOf(type) {
  if (type === "(flag name)" || type === "-") return "none";
  if (type === "any") return "any";
  if (type === "bool") return "boolean";
  if (/^int/.test(type)) return "integer";
  if (/^string\/bytes/.test(type)) return "string-or-number";
  if (/^string/.test(type)) return "string";
  if (/^array of \{/.test(type)) return "object-array";
  if (/^array of/.test(type)) return "string-array";
  if (type === "object {string: string}") return "string-map";
  if (type === "object {string: bool}") return "boolean-map";
  if (/^object/.test(type)) return "object";
  throw new Error(`unknown type "${type}"`);
}

function statusOf(key, type, notes, flagAliasOf) {
  if (type === "(flag name)" || flagAliasOf) return "flag-alias";
  if (/^REJECTED/.test(notes)) return "rejected";
  if (/^REMOVED/.test(notes)) return "removed";
  if (/^Nested object/.test(notes)) return "nested";
  if (/QUIRK: accepted by validation .* silently IGNORED/.test(notes) || /Flag only|Accepted in daemon\.json but ignored|Accepted but ignored in daemon\.json|Deprecated\/ignored|explicitly skipped by validation and ignored/.test(notes)) return "ignored";
  return "key";
}

export function render(tsvText, jsonText) {
  const data = JSON.parse(jsonText);
  const tags = Object.keys(data.versions);
  const versions = tags.map(versionName);
  const rows = new Map();
  const lines = tsvText.split("\n").filter((l) => l.trim() !== "");
  for (const line of lines.slice(1)) {
    const [key, type, def, notes] = line.split("\t");
    if (!key || type === undefined) throw new Error(`bad TSV line: ${line}`);
    rows.set(key, { type, def: def ?? "", notes: notes ?? "" });
  }
  // Accepted version range per key (accepted_keys plus the keys validation skips).
  const accepted = new Map();
  const deprecated = new Map();
  const aliases = new Map();
  tags.forEach((tag, i) => {
    const v = data.versions[tag];
    for (const k of [...v.accepted_keys, ...(v.skip_validate ?? [])]) {
      const list = accepted.get(k) ?? [];
      if (!list.includes(i)) list.push(i);
      accepted.set(k, list);
    }
    for (const k of v.deprecated_flags ?? []) deprecated.set(k, [...(deprecated.get(k) ?? []), i]);
    for (const [flag, key] of Object.entries(v.named_option_map_flag_to_key ?? {})) if (flag !== key) aliases.set(flag, key);
  });
  const range = (list, key) => {
    if (!list || list.length === 0) return null;
    const sorted = [...list].sort((a, b) => a - b);
    for (let j = 1; j < sorted.length; j++) if (sorted[j] !== sorted[j - 1] + 1) throw new Error(`${key}: accepted versions are not contiguous`);
    return [sorted[0], sorted[sorted.length - 1]];
  };
  const skipped = new Set(tags.flatMap((t) => data.versions[t].skip_validate ?? []));
  const keys = [...new Set([...rows.keys(), ...accepted.keys()])].sort();
  const out = [];
  for (const key of keys) {
    const row = rows.get(key) ?? { type: aliases.has(key) ? "(flag name)" : "-", def: "-", notes: aliases.has(key) ? `Flag name of "${aliases.get(key)}".` : "" };
    const alias = row.type === "(flag name)" ? (/Use "([^"]+)"/.exec(row.notes)?.[1] ?? aliases.get(key)) : undefined;
    const entry = {
      kind: kindOf(row.type),
      type: row.type,
      default: row.def,
      status: statusOf(key, row.type, row.notes, alias !== undefined && row.type === "(flag name)"),
      accepted: range(accepted.get(key), key),
    };
    if (alias) entry.aliasOf = alias;
    if (skipped.has(key)) entry.skipsValidation = true;
    const dep = range(deprecated.get(key), `${key} (deprecated)`);
    if (dep) entry.deprecated = dep;
    entry.notes = row.notes;
    out.push(`  ${JSON.stringify(key)}: ${JSON.stringify(entry)},`);
  }
  return `/**
 * daemon.json keys dockerd knows of, with the releases that accept each one.
 * GENERATED by scripts/gen-daemon-keys.mjs from ${TSV} and ${JSON_FILE}
 * (../shared/reference). Do not edit: change the reference data and run \`node scripts/gen-daemon-keys.mjs\`.
 */

/** Docker releases whose accepted key sets are known, oldest first ("master" is the newest). */
export const DAEMON_KEY_VERSIONS = ${JSON.stringify(versions)} as const;

/** The JSON value dockerd's decoder wants for a key. */
export type DaemonValueKind = "boolean" | "integer" | "string" | "string-or-number" | "string-array" | "object-array" | "string-map" | "boolean-map" | "object" | "any" | "none";

/**
 * key: a configuration key; flag-alias: a command-line flag name that validation accepts but the decoder
 * ignores (aliasOf is the real key); ignored: accepted and ignored; rejected: has a JSON tag but no flag, so
 * validation refuses it; removed: no longer accepted; nested: an object whose keys are checked as top-level keys.
 */
export type DaemonKeyStatus = "key" | "flag-alias" | "ignored" | "rejected" | "removed" | "nested";

export interface DaemonKeyInfo {
  readonly kind: DaemonValueKind;
  /** Type as the reference describes it. */
  readonly type: string;
  readonly default: string;
  readonly status: DaemonKeyStatus;
  /** First and last index into DAEMON_KEY_VERSIONS of the releases that accept the key, or null. */
  readonly accepted: readonly [number, number] | null;
  readonly aliasOf?: string;
  /** Validation skips the key (features, builder, …): its value is not checked against flags. */
  readonly skipsValidation?: boolean;
  /** Releases (index range) in which the flag is deprecated. */
  readonly deprecated?: readonly [number, number];
  readonly notes: string;
}

export const DAEMON_KEYS: Readonly<Record<string, DaemonKeyInfo>> = {
${out.join("\n")}
};
`;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const dir = resolve(process.argv[2] ?? DEFAULT_REFERENCE);
  const text = render(readFileSync(join(dir, TSV), "utf8"), readFileSync(join(dir, JSON_FILE), "utf8"));
  writeFileSync(OUTPUT, text);
  process.stdout.write(`wrote ${OUTPUT}\n`);
}
