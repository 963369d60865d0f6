#!/usr/bin/env node
// The floor under any linter of a dump on this runtime, for the benchmark (README, "Performance"): a fresh
// Node process that reads the file, splits its lines into the words the lexer would make, and gives each word
// an id (equal words, equal ids), and nothing else: no tree, no rule, no report. Every design of fwlint has to
// do at least this much, so its time is the part of the 0.5× budget that no design can spend on linting.
//
//   node scripts/bench/floor.mjs FILE     → one JSON line: startMs, readMs, wordsMs, lines, words, distinct
//
// It works on the file's bytes (faster than on a string) with an open-addressing table over the byte ranges
// (no string is made for a word). Words are split as the lexer splits them (grammar/lexer.ts): whitespace
// apart, a `#` line is one comment, `*` and `:` open a line as tokens of their own, and a word with a quote
// runs to the quote that closes it. test/bench.test.ts checks the counts against the parser's scanner.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const isWs = (c) => c === 32 || (c >= 9 && c <= 13);

/** Words and distinct words of `bytes` (a Uint8Array of an iptables-save file). */
export function floorWords(bytes) {
  const n = bytes.length;
  let size = 1 << 12;
  while (size < n / 32 && size < 1 << 20) size *= 2;
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
  let lines = 0;
  let words = 0;
  let check = 0; // the ids, folded, so that the work cannot be skipped
  for (let i = 0; i < n; ) {
    let eol = bytes.indexOf(10, i);
    if (eol === -1) eol = n;
    lines++;
    let p = i;
    while (p < eol && isWs(bytes[p])) p++;
    if (p < eol && bytes[p] === 35) {
      words++; // a comment line: one token
    } else {
      if (p < eol && (bytes[p] === 42 || bytes[p] === 58)) {
        words++; // `*` or `:` opening the line
        p++;
      }
      while (p < eol) {
        while (p < eol && isWs(bytes[p])) p++;
        if (p >= eol) break;
        const s = p;
        while (p < eol && !isWs(bytes[p]) && bytes[p] !== 34) p++;
        if (p < eol && bytes[p] === 34) {
          for (p++; p < eol && bytes[p] !== 34; p++) if (bytes[p] === 92) p++;
          if (p < eol) p++;
        }
        check ^= idOf(s, Math.min(p, eol));
        words++;
      }
    }
    i = eol + 1;
  }
  return { lines, words, distinct, check };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const startMs = performance.now();
  const bytes = readFileSync(process.argv[2]);
  const readMs = performance.now() - startMs;
  const w = floorWords(bytes);
  const wordsMs = performance.now() - startMs - readMs;
  const r = (x) => Math.round(x * 10) / 10;
  process.stdout.write(`${JSON.stringify({ startMs: r(startMs), readMs: r(readMs), wordsMs: r(wordsMs), lines: w.lines, words: w.words, distinct: w.distinct })}\n`);
}
