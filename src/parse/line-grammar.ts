/**
 * Runs the nearley line grammar (grammar/iptables.ne) over pre-lexed tokens, with a cache keyed by the
 * line's token-type shape: lines of the same shape always classify the same way, so the Earley chart is
 * built once per shape, not once per line. A 100k-rule dump has a few hundred shapes.
 */
import nearley from "nearley";
import grammarSpec from "../generated/iptables.js";
import type { LineKind } from "./line-nodes.js";

export interface LexToken {
  readonly type: string;
  readonly value: string;
  /** 1-based column in the line. */
  readonly col: number;
}

export type Classification = { readonly ok: true; readonly kind: LineKind } | { readonly ok: false; readonly at: number };

const SHAPE_CHAR: Record<string, string> = { ws: "_", comment: "#", star: "*", colon: ":", counters: "c", bang: "!", option: "o", word: "w", commit: "C", unterminated: "u", invalid: "x" };
/** Shape characters by scanner token code (src/parse/scan.ts order). */
const SHAPE_BY_CODE = ["_", "#", "*", ":", "c", "!", "o", "w", "C", "u", "x"];

/** nearley lexer that replays tokens we already have. */
class ReplayLexer {
  private tokens: readonly LexToken[] = [];
  private i = 0;
  load(tokens: readonly LexToken[]) {
    this.tokens = tokens;
    this.i = 0;
  }
  reset() {
    /* tokens are loaded explicitly */
  }
  next() {
    return this.tokens[this.i++] as { type: string; value: string } | undefined;
  }
  save() {
    return {};
  }
  formatError(token: LexToken) {
    return `unexpected ${token.type} "${token.value}"`;
  }
  has(type: string) {
    return type in SHAPE_CHAR;
  }
}

const replay = new ReplayLexer();
const grammar = nearley.Grammar.fromCompiled({ ...(grammarSpec as unknown as nearley.CompiledRules), Lexer: replay as unknown as nearley.Lexer });

const cache = new Map<string, Classification>();
let hits = 0;
let misses = 0;

export function shapeOf(tokens: readonly LexToken[]): string {
  let s = "";
  for (const t of tokens) s += SHAPE_CHAR[t.type] ?? "?";
  return s;
}

/** Classify a line by running the grammar (no cache). Throws if the grammar is ambiguous: that is a bug. */
export function classifyUncached(tokens: readonly LexToken[]): Classification {
  replay.load(tokens);
  const parser = new nearley.Parser(grammar);
  try {
    parser.feed("");
  } catch (err) {
    const token = (err as { token?: LexToken }).token;
    const at = token ? tokens.indexOf(token) : tokens.length;
    return { ok: false, at: at < 0 ? tokens.length : at };
  }
  const results = parser.results as LineKind[];
  if (results.length === 0) return { ok: false, at: tokens.length };
  if (results.length > 1) throw new Error(`internal error: the line grammar is ambiguous for shape ${shapeOf(tokens)} (${results.length} parses)`);
  return { ok: true, kind: results[0]! };
}

/** Cache for scanner buffers: token-code sequence hash → entries with the exact sequence. */
const codeCache = new Map<number, { readonly codes: Uint8Array; readonly result: Classification }[]>();

/**
 * Classify the line held in a scanner buffer. The key is the sequence of token codes (hashed, then
 * compared exactly); token objects for nearley are only built (by `tokens()`) on a cache miss.
 */
export function classifyShape(buf: { count: number; types: Uint8Array }, tokens: () => LexToken[]): Classification {
  const { count, types } = buf;
  let h = count;
  for (let k = 0; k < count; k++) h = (Math.imul(h, 31) + types[k]! + 1) | 0;
  const bucket = codeCache.get(h);
  if (bucket) {
    for (const e of bucket) {
      const c = e.codes;
      if (c.length !== count) continue;
      let same = true;
      for (let k = 0; k < count && same; k++) same = c[k] === types[k];
      if (same) {
        hits++;
        return e.result;
      }
    }
  }
  misses++;
  const result = classifyUncached(tokens());
  const entry = { codes: types.slice(0, count), result };
  if (bucket) bucket.push(entry);
  else codeCache.set(h, [entry]);
  return result;
}

export function classify(tokens: readonly LexToken[]): Classification {
  const key = shapeOf(tokens);
  const cached = cache.get(key);
  if (cached) {
    hits++;
    return cached;
  }
  misses++;
  const c = classifyUncached(tokens);
  cache.set(key, c);
  return c;
}

export function cacheStats() {
  let shapes = cache.size;
  for (const b of codeCache.values()) shapes += b.length;
  return { hits, misses, shapes };
}
