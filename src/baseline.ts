/**
 * Baselines: record today's findings (`--baseline-write FILE`), then report only new ones (`--baseline FILE`),
 * to adopt fwlint on an existing fleet without fixing everything first.
 *
 * A finding is identified by its file (relative to the baseline file), its rule id and a hash of the text it
 * points at — the reported lines with counters, runs of blanks and trailing commas normalized away, plus the
 * reported words — never by line numbers, so findings survive lines moving, rules being reordered and
 * `iptables-save -c` counters changing. Identical findings are counted: a baseline with two
 * `duplicate-rule` findings on identical lines accepts two, and a third is new.
 */
import { createHash } from "node:crypto";
import { LineIndex } from "./ast/span.js";
import { reportedId, type Diagnostic, type SuppressedDiagnostic } from "./diagnostic.js";

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  readonly ruleId: string;
  readonly hash: string;
  readonly count: number;
  /** For people reading the file: the normalized line and the message when it was written. */
  readonly text: string;
  readonly message: string;
}

export interface Baseline {
  readonly version: typeof BASELINE_VERSION;
  /** Entries by file path (forward slashes, relative to the baseline file). */
  readonly files: Readonly<Record<string, readonly BaselineEntry[]>>;
}

/** A file's findings as the baseline sees them. */
export interface BaselineSubject {
  /** Path relative to the baseline file's directory, forward slashes (or "<stdin>"). */
  readonly key: string;
  readonly source: string;
  readonly messages: readonly Diagnostic[];
}

export class BaselineError extends Error {}

const MAX_CONTEXT_LINES = 20;
const MAX_TEXT = 200;

/** Counters (`[12:3456]`), runs of blanks and a trailing comma do not make a finding different. */
export function normalizeText(s: string): string {
  return s
    .replace(/\[\d+:\d+\]/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/,$/, "");
}

/** Hash and display text of a finding, independent of its line number. */
export function fingerprint(source: string, d: Diagnostic, index: LineIndex = new LineIndex(source)): { hash: string; text: string } {
  const s = d.span;
  const first = Math.max(1, s.line);
  const last = Math.min(Math.max(first, s.endLine), first + MAX_CONTEXT_LINES - 1, index.lineCount);
  const from = index.lineStart(first);
  const to = last < index.lineCount ? index.lineStart(last + 1) : source.length;
  const context = normalizeText(source.slice(from, to));
  const reported = normalizeText(source.slice(s.offset, Math.min(s.endOffset, s.offset + 4 * MAX_TEXT))).slice(0, MAX_TEXT);
  const hash = createHash("sha256").update(`${context}\n${reported}`).digest("hex").slice(0, 20);
  return { hash, text: context.length > MAX_TEXT ? `${context.slice(0, MAX_TEXT - 1)}…` : context };
}

const keyOf = (ruleId: string, hash: string) => `${ruleId}\0${hash}`;

/** A baseline of every finding (messages without a position — ignored-file notes — are left out). */
export function createBaseline(subjects: readonly BaselineSubject[]): Baseline {
  const files: Record<string, BaselineEntry[]> = {};
  for (const subject of [...subjects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const index = new LineIndex(subject.source);
    const entries = new Map<string, { ruleId: string; hash: string; count: number; text: string; message: string }>();
    for (const m of subject.messages) {
      if (m.span.line < 1) continue;
      const ruleId = reportedId(m);
      const { hash, text } = fingerprint(subject.source, m, index);
      const k = keyOf(ruleId, hash);
      const e = entries.get(k);
      if (e) e.count++;
      else entries.set(k, { ruleId, hash, count: 1, text, message: m.message });
    }
    if (entries.size === 0) continue;
    files[subject.key] = [...entries.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : a.hash < b.hash ? -1 : 1));
  }
  return { version: BASELINE_VERSION, files };
}

export function serializeBaseline(b: Baseline): string {
  return `${JSON.stringify(b, null, 2)}\n`;
}

/** Parse a baseline file's text; throws BaselineError with a one-line reason. */
export function parseBaseline(text: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BaselineError(`not valid JSON (${(err as Error).message})`);
  }
  const d = data as { version?: unknown; files?: unknown };
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw new BaselineError("expected an object with version and files");
  if (d.version !== BASELINE_VERSION) throw new BaselineError(`unsupported version ${JSON.stringify(d.version)} (this fwlint reads version ${BASELINE_VERSION})`);
  if (typeof d.files !== "object" || d.files === null || Array.isArray(d.files)) throw new BaselineError('"files" must be an object');
  for (const [file, entries] of Object.entries(d.files as Record<string, unknown>)) {
    if (!Array.isArray(entries)) throw new BaselineError(`files["${file}"] must be an array`);
    entries.forEach((e: unknown, i) => {
      const x = e as Partial<BaselineEntry>;
      if (typeof x !== "object" || x === null || typeof x.ruleId !== "string" || typeof x.hash !== "string" || !Number.isInteger(x.count) || (x.count as number) < 1) {
        throw new BaselineError(`files["${file}"][${i}] needs ruleId, hash and a positive integer count`);
      }
    });
  }
  return data as Baseline;
}

/**
 * Split each subject's messages into new ones and ones the baseline accepts (as suppressed, kind "baseline").
 * Returns, per subject, the messages left and the suppressed ones, plus how many accepted findings of the
 * linted files were not seen again (fixed since the baseline was written).
 */
export function applyBaseline(baseline: Baseline, subjects: readonly BaselineSubject[]): { results: { messages: Diagnostic[]; suppressed: SuppressedDiagnostic[] }[]; unmatched: number } {
  const budget = new Map<string, Map<string, number>>();
  for (const [file, entries] of Object.entries(baseline.files)) {
    const m = new Map<string, number>();
    for (const e of entries) m.set(keyOf(e.ruleId, e.hash), (m.get(keyOf(e.ruleId, e.hash)) ?? 0) + e.count);
    budget.set(file, m);
  }
  const results = subjects.map((subject) => {
    const left = budget.get(subject.key);
    if (!left || subject.messages.length === 0) return { messages: [...subject.messages], suppressed: [] };
    const index = new LineIndex(subject.source);
    const messages: Diagnostic[] = [];
    const suppressed: SuppressedDiagnostic[] = [];
    for (const m of subject.messages) {
      if (m.span.line < 1) {
        messages.push(m);
        continue;
      }
      const k = keyOf(reportedId(m), fingerprint(subject.source, m, index).hash);
      const n = left.get(k) ?? 0;
      if (n > 0) {
        left.set(k, n - 1);
        suppressed.push({ ...m, suppressions: [{ kind: "baseline", justification: "" }] });
      } else messages.push(m);
    }
    return { messages, suppressed };
  });
  let unmatched = 0;
  for (const key of new Set(subjects.map((s) => s.key))) for (const n of budget.get(key)?.values() ?? []) unmatched += n;
  return { results, unmatched };
}
