#!/usr/bin/env node
// The floor under any linter of a dump on this runtime, for the benchmark (docs/performance.md, rounds 23 and 24): a fresh
// Node process that reads the file, splits its lines into the words the lexer would make, and gives each word
// an id (equal words, equal ids), and nothing else: no tree, no rule, no report. Every design of fwlint has to
// do at least this much, so its time is the part of the 0.5× budget that no design can spend on linting.
//
// With --rules it also does the least a compact design (typed arrays and word ids, no object per node) does
// next: it finds each line's command, keeps each table's chains by name, and puts every rule's options, with
// their values and negation, into typed arrays. It knows no option: a word that starts with `-` is an option,
// and the word after it is its value unless that is `!` or another option (true of iptables-save output,
// where a value starting with `-` is quoted). No value is read or checked.
//
//   node scripts/bench/floor.mjs [--rules] FILE
//     → one JSON line: startMs, readMs, wordsMs, lines, words, distinct (and with --rules: chains, rules, options,
//       negated and valued options)
//
// It works on the file's bytes (faster than on a string) with an open-addressing table over the byte ranges
// (no string is made for a word). Words are split as the lexer splits them (grammar/lexer.ts): whitespace
// apart, a `#` line is one comment, `*` and `:` open a line as tokens of their own, and a word with a quote
// runs to the quote that closes it. test/bench.test.ts checks the counts against the parser's scanner and
// the parser's tree.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const isWs = (c) => c === 32 || (c >= 9 && c <= 13);

/** The word table over `bytes`: `idOf(s, e)` gives the bytes s..e an id, the same for equal words. */
function wordTable(bytes) {
  let size = 1 << 12;
  while (size < bytes.length / 32 && size < 1 << 20) size *= 2;
  let starts = new Int32Array(size).fill(-1);
  let lens = new Int32Array(size);
  let hashes = new Int32Array(size);
  let ids = new Int32Array(size);
  let distinct = 0;
  const place = (h, s, len, id) => {
    const mask = starts.length - 1;
    let k = h & mask;
    while (starts[k] !== -1) k = (k + 1) & mask;
    starts[k] = s;
    lens[k] = len;
    hashes[k] = h;
    ids[k] = id;
  };
  const idOf = (s, e) => {
    let h = 0x811c9dc5 | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    const len = e - s;
    const mask = starts.length - 1;
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const at = starts[k];
      if (at === -1) break;
      if (hashes[k] === h && lens[k] === len) {
        let j = 0;
        while (j < len && bytes[at + j] === bytes[s + j]) j++;
        if (j === len) return ids[k];
      }
    }
    if (2 * (distinct + 1) > starts.length) {
      const [os, ol, oh, oi] = [starts, lens, hashes, ids];
      starts = new Int32Array(os.length * 2).fill(-1);
      lens = new Int32Array(os.length * 2);
      hashes = new Int32Array(os.length * 2);
      ids = new Int32Array(os.length * 2);
      for (let k = 0; k < os.length; k++) if (os[k] !== -1) place(oh[k], os[k], ol[k], oi[k]);
    }
    place(h, s, len, distinct);
    return distinct++;
  };
  return { idOf, distinct: () => distinct };
}

/** A line's words: their ids and where they start, in lists reused from line to line. */
class LineWords {
  count = 0;
  /** `*` or `:` when it opens the line (a token of its own, not among `ids`), else 0; 35 for a comment line. */
  lead = 0;
  ids = new Int32Array(256);
  ats = new Int32Array(256);

  /** Split bytes[from, eol) into words. */
  split(bytes, from, eol, idOf) {
    let p = from;
    let count = 0;
    this.lead = 0;
    while (p < eol && isWs(bytes[p])) p++;
    if (p < eol && bytes[p] === 35) {
      this.lead = 35; // a comment line: one token
      this.count = 0;
      return;
    }
    if (p < eol && (bytes[p] === 42 || bytes[p] === 58)) this.lead = bytes[p++];
    while (p < eol) {
      while (p < eol && isWs(bytes[p])) p++;
      if (p >= eol) break;
      const s = p;
      while (p < eol && !isWs(bytes[p]) && bytes[p] !== 34) p++;
      if (p < eol && bytes[p] === 34) {
        for (p++; p < eol && bytes[p] !== 34; p++) if (bytes[p] === 92) p++;
        if (p < eol) p++;
      }
      if (count === this.ids.length) {
        this.ids = grow(this.ids, count * 2);
        this.ats = grow(this.ats, count * 2);
      }
      this.ids[count] = idOf(s, Math.min(p, eol));
      this.ats[count++] = s;
    }
    this.count = count;
  }

  /** Tokens on the line as the lexer counts them. */
  get tokens() {
    return this.count + (this.lead ? 1 : 0);
  }
}

function grow(a, length) {
  const b = new a.constructor(length);
  b.set(a);
  return b;
}

/**
 * Split `bytes` line by line into `line` (its words given ids by `table`), calling `visit` after each line;
 * the number of lines and of tokens.
 */
function eachLine(bytes, table, line, visit) {
  const n = bytes.length;
  let lines = 0;
  let words = 0;
  for (let i = 0; i < n; ) {
    let eol = bytes.indexOf(10, i);
    if (eol === -1) eol = n;
    lines++;
    line.split(bytes, i, eol, table.idOf);
    words += line.tokens;
    visit(lines);
    i = eol + 1;
  }
  return { lines, words };
}

/** Words and distinct words of `bytes` (a Uint8Array of an iptables-save file). */
export function floorWords(bytes) {
  const table = wordTable(bytes);
  const line = new LineWords();
  let check = 0; // the ids, folded, so that the work cannot be skipped
  const { lines, words } = eachLine(bytes, table, line, () => {
    for (let k = 0; k < line.count; k++) check ^= line.ids[k];
  });
  return { lines, words, distinct: table.distinct(), check };
}

/** Kinds of word, found once per distinct word. */
const PLAIN = 1;
const OPTION = 2;
const BANG = 3;
const APPEND = 4;

/**
 * The words, and then each table's chains and every rule's options in typed arrays: per rule its chain, line
 * and first option; per option its word, value word (-1: none), place and negation.
 */
export function floorRules(bytes) {
  const table = wordTable(bytes);
  const line = new LineWords();
  const n = bytes.length;
  let kinds = new Uint8Array(1 << 16);
  const kindOf = (id, at) => {
    if (id >= kinds.length) kinds = grow(kinds, Math.max(kinds.length * 2, id + 1));
    let k = kinds[id];
    if (k !== 0) return k;
    const c = bytes[at];
    const next = bytes[at + 1];
    const one = at + 1 >= n || isWs(next);
    if (c === 33 && one) k = BANG;
    else if (c === 45 && next === 65 && (at + 2 >= n || isWs(bytes[at + 2]))) k = APPEND;
    else if (c === 45 && !one) k = OPTION;
    else k = PLAIN;
    kinds[id] = k;
    return k;
  };
  // chains by name (word id) within the current table: a chain id, valid when its table mark is the current
  // table's (tables are counted from 1, so that no mark is valid before the first)
  let chainOf = new Int32Array(1 << 16);
  let chainTable = new Int32Array(1 << 16);
  let tables = 1;
  let chains = 0;
  const chainId = (id) => {
    if (id >= chainOf.length) {
      const size = Math.max(chainOf.length * 2, id + 1);
      chainOf = grow(chainOf, size);
      chainTable = grow(chainTable, size);
    }
    if (chainTable[id] !== tables) {
      chainTable[id] = tables;
      chainOf[id] = chains++;
    }
    return chainOf[id];
  };
  let ruleChain = new Int32Array(1 << 12);
  let ruleLine = new Int32Array(1 << 12);
  let ruleFirst = new Int32Array(1 << 12);
  let optWord = new Int32Array(1 << 14);
  let optValue = new Int32Array(1 << 14);
  let optAt = new Int32Array(1 << 14);
  let optNeg = new Uint8Array(1 << 14);
  let rules = 0;
  let options = 0;
  const { lines, words } = eachLine(bytes, table, line, (lineNo) => {
    const { ids, ats, count } = line;
    if (line.lead === 42) tables++; // `*table`
    else if (line.lead === 58 && count > 0) chainId(ids[0]); // `:CHAIN policy [counters]`
    else if (line.lead === 0 && count >= 2 && kindOf(ids[0], ats[0]) === APPEND) {
      if (rules === ruleChain.length) {
        ruleChain = grow(ruleChain, rules * 2);
        ruleLine = grow(ruleLine, rules * 2);
        ruleFirst = grow(ruleFirst, rules * 2);
      }
      ruleChain[rules] = chainId(ids[1]);
      ruleLine[rules] = lineNo;
      ruleFirst[rules++] = options;
      let neg = 0;
      for (let k = 2; k < count; k++) {
        const kind = kindOf(ids[k], ats[k]);
        if (kind === BANG) {
          neg = 1;
          continue;
        }
        if (options === optWord.length) {
          optWord = grow(optWord, options * 2);
          optValue = grow(optValue, options * 2);
          optAt = grow(optAt, options * 2);
          optNeg = grow(optNeg, options * 2);
        }
        optWord[options] = ids[k];
        optAt[options] = ats[k];
        optNeg[options] = neg;
        neg = 0;
        const v = k + 1 < count && kind === OPTION ? kindOf(ids[k + 1], ats[k + 1]) : 0;
        optValue[options++] = v === PLAIN ? ids[++k] : -1;
      }
    }
  });
  let check = 0; // the arrays, folded, so that the work cannot be skipped
  let negated = 0;
  let valued = 0;
  for (let r = 0; r < rules; r++) check ^= ruleChain[r] + ruleLine[r] + ruleFirst[r];
  for (let o = 0; o < options; o++) {
    check ^= optWord[o] + optValue[o] + optAt[o];
    negated += optNeg[o];
    if (optValue[o] !== -1) valued++;
  }
  return { lines, words, distinct: table.distinct(), chains, rules, options, negated, valued, check };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const startMs = performance.now();
  const withRules = process.argv[2] === "--rules";
  const bytes = readFileSync(process.argv[withRules ? 3 : 2]);
  const readMs = performance.now() - startMs;
  const w = withRules ? floorRules(bytes) : floorWords(bytes);
  const wordsMs = performance.now() - startMs - readMs;
  const r = (x) => Math.round(x * 10) / 10;
  const { check: _check, ...counts } = w;
  process.stdout.write(`${JSON.stringify({ startMs: r(startMs), readMs: r(readMs), wordsMs: r(wordsMs), ...counts })}\n`);
}
