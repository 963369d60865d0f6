// The pure parts of the benchmark (npm run bench): statistics, targets, tables. No I/O here; tested by
// test/bench.test.ts. Types: lib.d.mts.

/** Median of the finite numbers in `xs`; null when there are none. */
export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median, min, max and count of a list of samples. */
export function summarize(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  return { median: median(v), min: v.length ? Math.min(...v) : null, max: v.length ? Math.max(...v) : null, n: v.length };
}

/** Median per key over several `{key: ms}` records (a key missing from a record is not a sample). */
export function medianPhases(records) {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(records.map((r) => r[k]).filter((x) => x !== undefined))]));
}

/**
 * Phases grouped for the report: "rule:<id>" summed into "rules: <category>" (category from `categoryOf`,
 * "other" when unknown), "walk" (the listeners of the rules that share one walk) shown as "rules: shared walk";
 * the engine and CLI phases kept by name. The shared analyses ("analysis:<key>", made once for the rules that
 * read them through ctx.memo) are already inside the rule groups: they follow them as "… of which <key>",
 * by decreasing time. Ordered: startup, read, parse, the rule groups by decreasing time, the analyses,
 * directives, report, then anything else.
 */
export function groupPhases(phases, categoryOf) {
  const out = new Map();
  for (const [k, v] of Object.entries(phases)) {
    if (v === null || v === undefined) continue;
    const key = k.startsWith("rule:") ? `rules: ${categoryOf(k.slice(5)) ?? "other"}` : k === "walk" ? "rules: shared walk" : k.startsWith("analysis:") ? `… of which ${k.slice(9)}` : k;
    out.set(key, (out.get(key) ?? 0) + v);
  }
  const byTime = (a, b) => out.get(b) - out.get(a) || a.localeCompare(b);
  const head = ["startup", "read", "parse"].filter((k) => out.has(k));
  const rules = [...out.keys()].filter((k) => k.startsWith("rules: ")).sort(byTime);
  const analyses = [...out.keys()].filter((k) => k.startsWith("… of which ")).sort(byTime);
  const tail = ["directives", "report"].filter((k) => out.has(k));
  const rest = [...out.keys()].filter((k) => !head.includes(k) && !rules.includes(k) && !analyses.includes(k) && !tail.includes(k)).sort();
  return Object.fromEntries([...head, ...rules, ...analyses, ...tail, ...rest].map((k) => [k, out.get(k)]));
}

/** The rule:<id> phases sorted by time, slowest first (at most `n`). */
export function slowestRules(phases, n = 5) {
  return Object.entries(phases)
    .filter(([k, v]) => k.startsWith("rule:") && Number.isFinite(v))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([k, v]) => [k.slice(5), v]);
}

export const MiB = 1024 * 1024;

export function fmtMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  if (bytes >= 10 * MiB) return `${(bytes / MiB).toFixed(0)} MB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MB`;
  return `${(bytes / 1024).toFixed(0)} kB`;
}

export function fmtCount(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

/** "1.23 s (1.10–1.40)": median with the range of the samples. */
export function fmtSpread(s) {
  if (!s || s.median === null) return "—";
  return s.n > 1 ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})` : fmtMs(s.median);
}

/**
 * The issue's targets. A measurement is `{ value, ...details }`, or `{ unavailable: reason }` (the thing to
 * measure is not in this build, or the tool to compare with is missing). `value`'s unit is the target's.
 */
export const TARGETS = [
  { id: "lint-vs-iptables-restore", name: "Full lint of the 100k-rule dump vs iptables-restore --test", op: "<=", limit: 0.5, show: (v) => `${v.toFixed(2)}×` },
  { id: "peak-rss", name: "Peak RSS, full lint of the 100k-rule dump", op: "<=", limit: 300 * MiB, show: fmtBytes },
  { id: "linear-growth", name: "Time for 10× the rules (10k → 100k)", op: "<=", limit: 11, show: (v) => `${v.toFixed(1)}×` },
  { id: "unreachable-rule", name: "unreachable-rule on one 20,000-rule chain", op: "<=", limit: 2000, show: fmtMs },
  { id: "exposure", name: "fwlint exposure, Docker host with 1,000 published ports", op: "<=", limit: 1000, show: fmtMs },
  { id: "trace-throughput", name: "fwlint trace --packets on the 100k-rule dump", op: ">=", limit: 50_000, show: (v) => `${fmtCount(v)} packets/s` },
  { id: "concurrency", name: "--concurrency vs one at a time, 500 dumps (speed-up)", op: ">", limit: 1, show: (v) => `${v.toFixed(2)}×` },
];

/** PASS/FAIL/N/A for every target, given `measurements[id]`. */
export function evaluateTargets(measurements, targets = TARGETS) {
  return targets.map((t) => {
    const m = measurements[t.id];
    const limit = `${t.op} ${t.show(t.limit)}`;
    if (!m || m.unavailable !== undefined || m.value === null || m.value === undefined || !Number.isFinite(m.value)) {
      return { id: t.id, name: t.name, limit, measured: m?.unavailable ?? "not measured", value: null, status: "N/A" };
    }
    const ok = t.op === "<=" ? m.value <= t.limit : t.op === ">=" ? m.value >= t.limit : t.op === "<" ? m.value < t.limit : m.value > t.limit;
    return { id: t.id, name: t.name, limit, measured: `${t.show(m.value)}${m.detail ? ` (${m.detail})` : ""}`, value: m.value, status: ok ? "PASS" : "FAIL" };
  });
}

/**
 * Linear growth: time(big) / time(small), scaled to exactly 10× the rules (the generated files hold
 * 9,877 and 99,885 rules, not 10,000 and 100,000). Times are net of the process start (see the harness).
 */
export function growthPer10x(smallMs, bigMs, smallRules, bigRules) {
  if (!(smallMs > 0) || !(bigMs > 0) || !(smallRules > 0) || !(bigRules > smallRules)) return null;
  return (bigMs / smallMs) * (10 / (bigRules / smallRules));
}

/** Marginal throughput: (packets added) / (time added), from a small and a large batch. */
export function throughput(fewPackets, fewMs, manyPackets, manyMs) {
  if (!(manyPackets > fewPackets) || !(manyMs > fewMs)) return null;
  return ((manyPackets - fewPackets) * 1000) / (manyMs - fewMs);
}

const visible = (s) => String(s).replace(/\u001b\[[0-9;]*m/g, "");

/**
 * A plain-text table: columns padded to their widest cell, numbers (cells starting with a digit, "—" or
 * "~") right-aligned unless `align` says otherwise ("l"/"r" per column).
 */
export function formatTable(headers, rows, align) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c ?? "")));
  const widths = headers.map((_, k) => Math.max(...all.map((r) => visible(r[k] ?? "").length)));
  const right = headers.map((_, k) => (align ? align[k] === "r" : rows.length > 0 && rows.every((r) => /^[-~—\d]/.test(String(r[k] ?? "")))));
  const line = (r) =>
    r
      .map((c, k) => {
        const pad = " ".repeat(Math.max(0, widths[k] - visible(c).length));
        return right[k] ? pad + c : k === r.length - 1 ? c : c + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** The same table in Markdown (pipes in cells escaped). */
export function markdownTable(headers, rows, align) {
  const cell = (c) => String(c ?? "").replace(/\|/g, "\\|");
  const right = headers.map((_, k) => (align ? align[k] === "r" : rows.length > 0 && rows.every((r) => /^[-~—\d]/.test(String(r[k] ?? "")))));
  return [`| ${headers.map(cell).join(" | ")} |`, `| ${right.map((r) => (r ? "---:" : "---")).join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

/** Rows of the targets table. */
export function targetRows(evaluated) {
  return evaluated.map((t) => [t.status, t.name, t.limit, t.measured]);
}

/** Share of the samples of a V8 CPU profile spent in the garbage collector, and the top self-time functions. */
export function summarizeProfile(profile, top = 15, shorten = (url) => url) {
  const dt = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) dt.set(samples[i], (dt.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  const self = new Map();
  let total = 0;
  let gc = 0;
  let idle = 0;
  for (const n of profile.nodes) {
    const t = dt.get(n.id) ?? 0;
    total += t;
    const cf = n.callFrame;
    if (cf.functionName === "(garbage collector)") gc += t;
    if (cf.functionName === "(idle)") idle += t;
    const key = `${cf.functionName || "(anonymous)"}${cf.url ? ` ${shorten(cf.url)}:${cf.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + t);
  }
  const busy = total - idle;
  const functions = [...self]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return { totalMs: busy / 1000, gcShare: busy > 0 ? gc / busy : 0, functions };
}
