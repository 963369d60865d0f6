// Types of floor.mjs (the benchmark's floor), for test/bench.test.ts.
export function floorWords(bytes: Uint8Array): { lines: number; words: number; distinct: number; check: number };
export function floorRules(bytes: Uint8Array): { lines: number; words: number; distinct: number; chains: number; rules: number; options: number; negated: number; valued: number; check: number };
