/** "Did you mean …?" support shared by the catalog, the rules, the config loader and the daemon.json rules. */

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment).
 * Stops early and returns `max + 1` once the distance is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, k) => k);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `word` within `limit` edits (ties: the first, or the shorter with `preferShort`),
 * comparing case-insensitively when asked. Undefined when none is close enough.
 */
export function nearest(word: string, candidates: Iterable<string>, limit: number, options: { ignoreCase?: boolean; preferShort?: boolean } = {}): string | undefined {
  const w = options.ignoreCase ? word.toLowerCase() : word;
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const d = editDistance(w, options.ignoreCase ? c.toLowerCase() : c, limit);
    if (d < bestD || (options.preferShort && d === bestD && best !== undefined && c.length < best.length)) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** The usual tolerance: 2 edits, or a quarter of the word's length for long words. */
export const defaultLimit = (word: string) => Math.max(2, Math.floor(word.length / 4));
