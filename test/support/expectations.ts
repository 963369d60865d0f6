/**
 * Inline expectations for fixture files. In rule files and scripts:
 *
 *   # expect-next-line: option-requires-match, unknown-option@13
 *   -A INPUT --src-range 1.2.3.4-1.2.3.9 -j DROP
 *
 * applies to the next line that is neither blank nor a comment (`@13` pins the start column).
 * `# fwlint-facts: {"externalInterfaces":["eth0"]}` sets project facts for the fixture.
 * JSON files cannot hold comments: `<file>.expected` beside them lists `rule-id line[:column]` per line.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ProjectFacts } from "../../src/rule.js";

export interface Expectation {
  readonly line: number;
  readonly ruleId: string;
  readonly column?: number;
}

export function readExpectations(path: string, text: string): Expectation[] {
  if (path.endsWith(".json")) {
    const side = `${path}.expected`;
    if (!existsSync(side)) return [];
    return readFileSync(side, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => {
        const m = /^(\S+)\s+(\d+)(?::(\d+))?$/.exec(l);
        if (!m) throw new Error(`${side}: bad expectation line "${l}"`);
        return m[3] ? { ruleId: m[1]!, line: Number(m[2]), column: Number(m[3]) } : { ruleId: m[1]!, line: Number(m[2]) };
      });
  }
  const lines = text.split(/\r?\n/);
  const out: Expectation[] = [];
  let pending: { ruleId: string; column?: number }[] = [];
  lines.forEach((l, k) => {
    const m = /^\s*#\s*expect-next-line:\s*(.+)$/.exec(l);
    if (m) {
      for (const item of m[1]!.split(",").map((s) => s.trim()).filter(Boolean)) {
        const [id, col] = item.split("@");
        pending.push(col ? { ruleId: id!, column: Number(col) } : { ruleId: id! });
      }
      return;
    }
    if (/^\s*(#.*)?$/.test(l)) return;
    for (const p of pending) out.push({ line: k + 1, ...p });
    pending = [];
  });
  if (pending.length) throw new Error(`${path}: expect-next-line at end of file has no line to apply to`);
  return out;
}

export function readFacts(path: string, text: string): ProjectFacts {
  const side = path.replace(/\.[^./]+$/, "") + ".facts.json";
  if (existsSync(side)) return JSON.parse(readFileSync(side, "utf8")) as ProjectFacts;
  const m = /^\s*#\s*fwlint-facts:\s*(\{.*\})\s*$/m.exec(text);
  return m ? (JSON.parse(m[1]!) as ProjectFacts) : {};
}

export function listFixtures(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(expected|facts\.json|snap|md)$/.test(f)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}
