/**
 * `partialFingerprints.primaryLocationLineHash` computed as github/codeql-action's upload-sarif computes it
 * (src/fingerprints.ts), for users who upload SARIF through the REST API, which does not add it:
 *
 * a rolling polynomial hash (base 37, modulo 2^64) over a window of the next 100 characters that starts at
 * each line; spaces and tabs are skipped, CR and CRLF count as LF; after the text, 65535 (EOF) then 100
 * zeros are fed. The value is the unsigned hash in hex, ":", and how many times that hash was seen so far
 * in the file (1-based).
 *
 * 64-bit arithmetic in two 32-bit halves (BigInt per character is several times slower on 10 MB dumps).
 */

const WINDOW = 100;
const EOF = 65535;
const TWO32 = 0x1_0000_0000;

/** 37^100 mod 2^64 as [hi, lo]. */
const FIRST_MOD: readonly [number, number] = (() => {
  let v = 1n;
  for (let i = 0; i < WINDOW; i++) v = (v * 37n) & 0xffff_ffff_ffff_ffffn;
  return [Number(v >> 32n), Number(v & 0xffff_ffffn)];
})();

/** (hi:lo) * k mod 2^64, for 0 <= k < 2^16. */
function mulSmall(hi: number, lo: number, k: number): [number, number] {
  const loProd = lo * k; // < 2^48: exact
  const carry = Math.floor(loProd / TWO32);
  return [(hi * k + carry) % TWO32, loProd % TWO32];
}

/** 37^100 * k mod 2^64 for every UTF-16 code unit k, as hi/lo pairs (filled on first use). */
let firstModTable: Float64Array | undefined;
const filled = new Uint8Array(65536);
function firstModBy(k: number): Float64Array {
  const table = (firstModTable ??= new Float64Array(2 * 65536));
  if (!filled[k]) {
    const [hi, lo] = mulSmall(FIRST_MOD[0], FIRST_MOD[1], k);
    table[2 * k] = hi;
    table[2 * k + 1] = lo;
    filled[k] = 1;
  }
  return table;
}

/** Line number (1-based) → its primaryLocationLineHash, for every line of `text` that has one. */
export function lineHashes(text: string): Map<number, string> {
  const window = new Array<number>(WINDOW).fill(0);
  const lineNumbers = new Array<number>(WINDOW).fill(-1);
  let hi = 0;
  let lo = 0;
  let index = 0;
  let lineNumber = 0;
  let lineStart = true;
  let prevCR = false;
  const counts = new Map<string, number>();
  const out = new Map<number, string>();

  const output = () => {
    const value = hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, "0");
    const n = (counts.get(value) ?? 0) + 1;
    counts.set(value, n);
    out.set(lineNumbers[index]!, `${value}:${n}`);
    lineNumbers[index] = -1;
  };
  const update = (current: number) => {
    const begin = window[index]!;
    window[index] = current;
    // hash = 37 * hash + current - 37^100 * begin   (mod 2^64); lo * 37 + current < 2^53, exact
    const loProd = lo * 37 + current;
    const carry = Math.floor(loProd / TWO32);
    lo = loProd - carry * TWO32;
    hi = (hi * 37 + carry) % TWO32;
    if (begin !== 0) {
      const table = firstModBy(begin);
      lo -= table[2 * begin + 1]!;
      let borrow = 0;
      if (lo < 0) {
        lo += TWO32;
        borrow = 1;
      }
      hi -= table[2 * begin]! + borrow;
      if (hi < 0) hi += TWO32;
    }
    index = (index + 1) % WINDOW;
  };
  const processCharacter = (code: number) => {
    let current = code;
    if (current === 0x20 || current === 0x09 || (prevCR && current === 0x0a)) {
      prevCR = false;
      return;
    }
    if (current === 0x0d) {
      current = 0x0a;
      prevCR = true;
    } else prevCR = false;
    if (lineNumbers[index] !== -1) output();
    if (lineStart) {
      lineStart = false;
      lineNumber++;
      lineNumbers[index] = lineNumber;
    }
    if (current === 0x0a) lineStart = true;
    update(current);
  };

  for (let i = 0; i < text.length; i++) processCharacter(text.charCodeAt(i));
  processCharacter(EOF);
  for (let i = 0; i < WINDOW; i++) {
    if (lineNumbers[index] !== -1) output();
    update(0);
  }
  return out;
}
