/**
 * daemon.json as dockerd reads it (reference §9): which keys it checks, how it flattens nested objects,
 * which value wins, and which keys a given Docker release accepts.
 */
import { defaultLimit, nearest } from "../util/suggest.js";
import type { Span } from "../ast/span.js";
import { topMembers, type DaemonJsonDocument, type JsonMember, type JsonValue } from "../daemon/ast.js";
import { DAEMON_KEYS, DAEMON_KEY_VERSIONS, type DaemonKeyInfo } from "./daemon-keys.js";
import { compareVersions } from "./layout.js";

/**
 * Top-level keys whose object value dockerd keeps as a value (`flatOptions` in daemon/config/config.go).
 * Any other key whose value is an object is not itself checked: its members are read as top-level keys.
 */
export const FLAT_OPTIONS: ReadonlySet<string> = new Set(["cluster-store-opts", "default-network-opts", "log-opts", "runtimes", "default-ulimits", "features", "builder", "nri-opts"]);

/** A key as dockerd's validation sees it. */
export interface DaemonSetting {
  readonly key: string;
  readonly member: JsonMember;
  /** The top-level member whose object value this key came out of (flattening), or null. */
  readonly nestedIn: JsonMember | null;
}

/** Every key dockerd validates, in document order: top-level keys, and members of non-flat objects instead of the object's key. */
export function daemonSettings(doc: DaemonJsonDocument): DaemonSetting[] {
  const out: DaemonSetting[] = [];
  for (const m of topMembers(doc)) {
    if (m.value.type === "Object" && !FLAT_OPTIONS.has(m.name)) {
      for (const inner of m.value.members) out.push({ key: inner.name, member: inner, nestedIn: m });
    } else out.push({ key: m.name, member: m, nestedIn: null });
  }
  return out;
}

/**
 * The value dockerd ends up using for each key: the last occurrence wins (encoding/json keeps the last
 * duplicate). Members of nested objects count for booleans (dockerd pushes file booleans into its flag
 * set, moby#20289) and inside "proxies" (a real struct field); other nested values are never decoded.
 */
export function effectiveSettings(doc: DaemonJsonDocument): Map<string, DaemonSetting> {
  const out = new Map<string, DaemonSetting>();
  for (const s of daemonSettings(doc)) {
    if (s.nestedIn && s.nestedIn.name !== "proxies" && s.member.value.type !== "Boolean") continue;
    out.set(s.key, s);
  }
  return out;
}

/** Effective boolean value of a key, or undefined when unset (or not a boolean). */
export function boolSetting(settings: ReadonlyMap<string, DaemonSetting>, key: string): boolean | undefined {
  const v = settings.get(key)?.member.value;
  return v?.type === "Boolean" ? v.value : undefined;
}

export function stringSetting(settings: ReadonlyMap<string, DaemonSetting>, key: string): string | undefined {
  const v = settings.get(key)?.member.value;
  return v?.type === "String" ? v.value : undefined;
}

/** Member of an object value by name (last one wins). */
export function objectMember(value: JsonValue | undefined, name: string): JsonMember | undefined {
  if (value?.type !== "Object") return undefined;
  for (let i = value.members.length - 1; i >= 0; i--) if (value.members[i]!.name === name) return value.members[i];
  return undefined;
}

export interface DaemonVersion {
  /** Index into DAEMON_KEY_VERSIONS. */
  readonly index: number;
  /** The release whose key set is used, e.g. "28.5.2" or "master". */
  readonly release: string;
  /** The version asked for (config `dockerVersion`), or null for the default (newest). */
  readonly requested: string | null;
}

/** The key set to use for a Docker version: the newest known release not newer than it (default: the newest). */
export function daemonVersion(dockerVersion: string | undefined): DaemonVersion {
  const last = DAEMON_KEY_VERSIONS.length - 1;
  if (!dockerVersion) return { index: last, release: DAEMON_KEY_VERSIONS[last]!, requested: null };
  let index = 0;
  DAEMON_KEY_VERSIONS.forEach((v, i) => {
    if (v !== "master" && compareVersions(v, dockerVersion) <= 0) index = i;
  });
  const lastRelease = DAEMON_KEY_VERSIONS[last - 1]!;
  if (compareVersions(dockerVersion, lastRelease) > 0) index = last;
  return { index, release: DAEMON_KEY_VERSIONS[index]!, requested: dockerVersion };
}

export function keyInfo(key: string): DaemonKeyInfo | undefined {
  return Object.prototype.hasOwnProperty.call(DAEMON_KEYS, key) ? DAEMON_KEYS[key] : undefined;
}

/** dockerd of that release accepts the key (as a flag name, NamedOption or skipped key). */
export function isAcceptedKey(key: string, version: DaemonVersion): boolean {
  const info = keyInfo(key);
  return info?.accepted !== null && info?.accepted !== undefined && version.index >= info.accepted[0] && version.index <= info.accepted[1];
}

/** The real configuration key closest to `key` in that release, if one is close enough. */
export function closestKey(key: string, version: DaemonVersion): string | undefined {
  const candidates = Object.keys(DAEMON_KEYS).filter((k) => isAcceptedKey(k, version) && DAEMON_KEYS[k]!.status === "key");
  const lower = key.toLowerCase().replace(/_/g, "-");
  const exact = candidates.find((c) => c === lower);
  if (exact) return exact;
  const best = nearest(lower, candidates, defaultLimit(key), { preferShort: true });
  if (best) return best;
  // "insecure-registry" style plurals and prefixes: a key that contains the other.
  return candidates.find((c) => c.length > 3 && (c.startsWith(lower) || lower.startsWith(c)) && Math.abs(c.length - lower.length) <= 4);
}

/** First release (name) that accepts the key, or undefined. */
export function firstRelease(key: string): string | undefined {
  const a = keyInfo(key)?.accepted;
  return a ? DAEMON_KEY_VERSIONS[a[0]] : undefined;
}

/** Span of the opening brace of the document (where findings about missing keys go). */
export function rootSpan(doc: DaemonJsonDocument): Span | null {
  const r = doc.root;
  if (!r) return null;
  return { line: r.span.line, column: r.span.column, endLine: r.span.line, endColumn: r.span.column + 1, offset: r.span.offset, endOffset: r.span.offset + 1 };
}

/** A JSON value as short text for messages. */
export function jsonText(doc: DaemonJsonDocument, value: JsonValue): string {
  const t = doc.text.slice(value.span.offset, value.span.endOffset);
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

/** A fix that adds `"key": value` as the first member of the root object. */
export function addMemberFix(doc: DaemonJsonDocument, member: string): { range: [number, number]; text: string } | null {
  const r = doc.root;
  if (r?.type !== "Object") return null;
  const at = r.span.offset + 1;
  return { range: [at, at], text: r.members.length ? `\n  ${member},` : `\n  ${member}\n` };
}

/** `{ suggestions: [add member] }` for spreading into a finding, or `{}` when the root is not an object. */
export function addMemberSuggestion(doc: DaemonJsonDocument, member: string): { suggestions?: { desc: string; fix: { range: [number, number]; text: string } }[] } {
  const fix = addMemberFix(doc, member);
  return fix ? { suggestions: [{ desc: `Add ${member}`, fix }] } : {};
}
