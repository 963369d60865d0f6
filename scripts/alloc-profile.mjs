#!/usr/bin/env node
// Where a lint allocates: runs every rule on FILE in this process under V8's sampling heap profiler, counting
// objects the garbage collector has already freed too, and prints the bytes allocated per function (a
// built-in such as `push` is shown with its caller). Run `npm run build` first; it profiles dist/.
//
//   node scripts/alloc-profile.mjs bench/out/kube-100000.rules [--top 40] [--parse-only]
import { readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 40;
if (!file || !Number.isInteger(top) || top <= 0) {
  console.error("usage: node scripts/alloc-profile.mjs FILE [--top N] [--parse-only]");
  process.exit(2);
}
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const { lintFiles } = await import(`${dist}src/lint.js`);
const { lintRules } = await import(`${dist}rules/index.js`);
const { parse } = await import(`${dist}src/parse/index.js`);
const text = readFileSync(file, "utf8");

const session = new Session();
session.connect();
await session.post("HeapProfiler.startSampling", { samplingInterval: 8192, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const started = performance.now();
const kept = args.includes("--parse-only") ? parse(text) : lintFiles([{ text, filePath: file }], { rules: lintRules });
const ms = performance.now() - started;
const { profile } = await session.post("HeapProfiler.stopSampling");
void kept;

const where = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
const bytes = new Map();
let total = 0;
const visit = (node, parent) => {
  const key = node.callFrame.url || !parent ? where(node) : `${where(node)} <- ${where(parent)}`;
  total += node.selfSize;
  bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
  for (const child of node.children) visit(child, node);
};
visit(profile.head, null);
const mb = (n) => (n / 1048576).toFixed(1).padStart(8);
console.log(`${file}: ${mb(total).trim()} MB allocated in ${ms.toFixed(0)} ms (sampled; lines are where each function starts)`);
for (const [key, n] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${mb(n)} MB  ${key}`);
