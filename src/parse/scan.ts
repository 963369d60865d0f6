/**
 * A hand-written scanner that produces exactly the tokens of `ruleLexer` (grammar/lexer.ts) for one line,
 * into reusable typed arrays. moo stays the lexer of record — the grammar is compiled against it and the
 * tests check this scanner token-for-token against moo over the corpus and random lines — but on a
 * 100k-rule dump moo's per-token objects cost more than the rest of parsing, so the hot path uses this.
 */

import { isOddSpace } from "./chars.js";

export const T_WS = 0;
export const T_COMMENT = 1;
export const T_STAR = 2;
export const T_COLON = 3;
export const T_COUNTERS = 4;
export const T_BANG = 5;
export const T_OPTION = 6;
export const T_WORD = 7;
export const T_COMMIT = 8;
export const T_UNTERMINATED = 9;
export const T_INVALID = 10;

/** moo token type names, indexed by the codes above. */
export const TOKEN_NAMES = ["ws", "comment", "star", "colon", "counters", "bang", "option", "word", "commit", "unterminated", "invalid"] as const;

export class TokenBuffer {
  count = 0;
  types = new Uint8Array(64);
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  /** Where the line has its first Unicode space (U+00A0 …) inside an unquoted word, else -1. */
  oddSpaceAt = -1;
  push(type: number, start: number, end: number) {
    if (this.count === this.types.length) {
      const n = this.count * 2;
      const t = new Uint8Array(n);
      t.set(this.types);
      const s = new Int32Array(n);
      s.set(this.starts);
      const e = new Int32Array(n);
      e.set(this.ends);
      this.types = t;
      this.starts = s;
      this.ends = e;
    }
    this.types[this.count] = type;
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }
}

/** ASCII white space, where iptables-restore ends a word (the lexer's [\t\n\v\f\r ] classes and lookaheads). */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
/** Where the line being scanned has its first Unicode space outside quotes (part of a word), else -1. */
let oddAt = -1;
/** The lexer's ws token: [ \t\r\f\v] (not \n, not other spaces). */
const isWs = (c: number) => c === 32 || c === 9 || c === 13 || c === 12 || c === 11;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Boundary lookahead (?=\s|$). */
const boundary = (s: string, i: number, end: number) => i >= end || isSpace(s.charCodeAt(i));

/** End of `[^\s"]*` from i. */
function runNoSpaceNoQuote(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 34 || isSpace(c)) break;
    if (c > 127 && oddAt === -1 && isOddSpace(c)) oddAt = i;
    i++;
  }
  return i;
}

/** From the index just after an opening quote: index after the closing quote, or -1 if none. */
function closeQuote(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      if (i + 1 >= end) return -1;
      i += 2;
    } else i++;
  }
  return -1;
}

/** `(?:[^"\\]|\\[^])*` from i: where the unterminated segment stops. */
function openQuoteRun(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92) {
      if (i + 1 >= end) return i;
      i += 2;
    } else i++;
  }
  return i;
}

/** WORD: `[^\s"]*"(?:[^"\\]|\\[^])*"|[^\s"]+` → end index or -1. */
function matchWord(s: string, i: number, end: number): number {
  const run = runNoSpaceNoQuote(s, i, end);
  if (run < end && s.charCodeAt(run) === 34) {
    const close = closeQuote(s, run + 1, end);
    if (close !== -1) return close;
  }
  return run > i ? run : -1;
}

/** UNTERMINATED: `[^\s"]*"(?:[^"\\]|\\[^])*`. */
function matchUnterminated(s: string, i: number, end: number): number {
  const run = runNoSpaceNoQuote(s, i, end);
  if (run < end && s.charCodeAt(run) === 34) return openQuoteRun(s, run + 1, end);
  return -1;
}

/**
 * The long form of OPTION from i (a '-'): `--?[a-zA-Z][a-zA-Z0-9_-]*` with an optional `=value`, then the
 * boundary. End index or -1. A function of its own: a closure inside matchOption was allocated for every
 * option token (100 MB of garbage on a 100k-rule dump).
 */
function tryLong(s: string, i: number, end: number): number {
  let j = i + 1;
  if (j < end && s.charCodeAt(j) === 45) j++;
  if (j >= end || !isAlpha(s.charCodeAt(j))) return -1;
  j++;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (isAlpha(c) || isDigit(c) || c === 95 || c === 45) j++;
    else break;
  }
  // optional =value; the regex backtracks through the alternatives if the boundary fails
  if (j < end && s.charCodeAt(j) === 61) {
    const v = j + 1;
    const run = runNoSpaceNoQuote(s, v, end);
    if (run < end && s.charCodeAt(run) === 34) {
      const close = closeQuote(s, run + 1, end);
      if (close !== -1 && boundary(s, close, end)) return close;
    }
    if (boundary(s, run, end)) return run;
  }
  // without =value: the name run may also give back characters, but the boundary needs \s or $ and
  // name characters are never spaces, so only the full run can succeed
  return boundary(s, j, end) ? j : -1;
}

/** OPTION with its trailing (?=\s|$). */
function matchOption(s: string, i: number, end: number): number {
  if (s.charCodeAt(i) !== 45) return -1;
  const long = tryLong(s, i, end);
  if (long !== -1) return long;
  // -4 / -6
  const c = s.charCodeAt(i + 1);
  if ((c === 52 || c === 54) && boundary(s, i + 2, end)) return i + 2;
  return -1;
}

/** COUNTERS: \[\d+:\d+\](?=\s|$). */
function matchCounters(s: string, i: number, end: number): number {
  if (s.charCodeAt(i) !== 91) return -1;
  let j = i + 1;
  const a = j;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j === a || j >= end || s.charCodeAt(j) !== 58) return -1;
  j++;
  const b = j;
  while (j < end && isDigit(s.charCodeAt(j))) j++;
  if (j === b || j >= end || s.charCodeAt(j) !== 93) return -1;
  j++;
  return boundary(s, j, end) ? j : -1;
}

/**
 * Tokenize s[start, end) (one line, no newline) as ruleLexer does from its start state.
 * Offsets in the buffer are absolute indexes into s.
 */
export function scanLine(s: string, start: number, end: number, out: TokenBuffer): void {
  oddAt = -1;
  scanTokens(s, start, end, out);
  out.oddSpaceAt = oddAt;
}

function scanTokens(s: string, start: number, end: number, out: TokenBuffer): void {
  out.count = 0;
  let i = start;
  let atStart = true;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (isWs(c)) {
      let j = i + 1;
      while (j < end && isWs(s.charCodeAt(j))) j++;
      out.push(T_WS, i, j);
      i = j;
      continue;
    }
    if (atStart) {
      atStart = false;
      if (c === 35) {
        out.push(T_COMMENT, i, end);
        return;
      }
      if (c === 42) {
        out.push(T_STAR, i, i + 1);
        i++;
        continue;
      }
      if (c === 58) {
        out.push(T_COLON, i, i + 1);
        i++;
        continue;
      }
    }
    let j = matchCounters(s, i, end);
    if (j !== -1) {
      out.push(T_COUNTERS, i, j);
      i = j;
      continue;
    }
    if (c === 33 && boundary(s, i + 1, end)) {
      out.push(T_BANG, i, i + 1);
      i++;
      continue;
    }
    j = matchOption(s, i, end);
    if (j !== -1) {
      out.push(T_OPTION, i, j);
      i = j;
      continue;
    }
    j = matchWord(s, i, end);
    if (j !== -1) {
      out.push(j - i === 6 && s.startsWith("COMMIT", i) ? T_COMMIT : T_WORD, i, j);
      i = j;
      continue;
    }
    j = matchUnterminated(s, i, end);
    if (j !== -1 && j > i) {
      out.push(T_UNTERMINATED, i, j);
      i = j;
      continue;
    }
    out.push(T_INVALID, i, end);
    return;
  }
}
