// Types of lib.mjs (the benchmark's pure parts), for test/bench.test.ts.
export interface Summary {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
}
export interface Measurement {
  value?: number | null;
  detail?: string;
  unavailable?: string;
  [key: string]: unknown;
}
export interface Target {
  id: string;
  name: string;
  op: "<=" | ">=" | "<" | ">";
  limit: number;
  show(v: number): string;
}
export interface EvaluatedTarget {
  id: string;
  name: string;
  limit: string;
  measured: string;
  value: number | null;
  status: "PASS" | "FAIL" | "N/A";
}
export interface ProfileSummary {
  totalMs: number;
  gcShare: number;
  functions: { name: string; ms: number; share: number }[];
}
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

export declare const MiB: number;
export declare const TARGETS: readonly Target[];
export declare function median(xs: readonly number[]): number | null;
export declare function summarize(xs: readonly number[]): Summary;
export declare function medianPhases(records: readonly Record<string, number>[]): Record<string, number | null>;
export declare function groupPhases(phases: Record<string, number | null | undefined>, categoryOf: (ruleId: string) => string | undefined): Record<string, number>;
export declare function slowestRules(phases: Record<string, number | null>, n?: number): [string, number][];
export declare function fmtMs(ms: number | null | undefined): string;
export declare function fmtBytes(bytes: number | null | undefined): string;
export declare function fmtCount(n: number | null | undefined): string;
export declare function fmtSpread(s: Summary | null | undefined): string;
export declare function evaluateTargets(measurements: Record<string, Measurement | undefined>, targets?: readonly Target[]): EvaluatedTarget[];
export declare function growthPer10x(smallMs: number, bigMs: number, smallRules: number, bigRules: number): number | null;
export declare function throughput(fewPackets: number, fewMs: number, manyPackets: number, manyMs: number): number | null;
export declare function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], align?: readonly ("l" | "r")[]): string;
export declare function markdownTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], align?: readonly ("l" | "r")[]): string;
export declare function targetRows(evaluated: readonly EvaluatedTarget[]): string[][];
export declare function summarizeProfile(profile: CpuProfile, top?: number, shorten?: (url: string) => string): ProfileSummary;
