/**
 * Bad input never crashes the linter: real files (the rule fixtures and the shared corpus) with random edits
 * (words that mean something to iptables, a shell or the parser inserted, text cut out, lines repeated) are
 * linted as restore files, ip6tables files and shell scripts with every rule on. A crash of the engine or of a
 * rule throws out of lintFiles, which the CLI would turn into exit code 2 and an "internal error" message.
 * Deterministic: the same seeds give the same inputs; a failure prints the seed and the input's source file.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintFiles, type LintInput } from "../src/lint.js";
import { CORPUS, REPO_ROOT } from "./support/corpus.js";

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(p));
    else if (!/\.(tsv|expected|md)$/.test(p)) out.push(p);
  }
  return out;
}

const SOURCES = [...filesUnder(join(REPO_ROOT, "fixtures", "rules")), ...filesUnder(join(CORPUS, "real-world")), ...filesUnder(join(CORPUS, "docker-real"))].sort();

/** Words that change how a line is read. */
const WORDS = [
  "!", '"', "'", "\\", "-A", "-I", "-D", "-R", "-N", "-X", "-F", "-E", "-P", "-j", "-g", "-m", "-p", "-s", "-i", "-t", "--", ":", "*filter", "*nat",
  "COMMIT", "\n", " ", "\t", "\r", "\u0000", "\u00e9", "$", "$(", "`", "{", "}", "#", ",", "/", "-", "0", "65536", "::", "10.0.0.0/33", "[0:0]",
  "DOCKER-USER", "--dport", "--comment", "iptables", "ip6tables", "&&", "||", ";", "|", "if", "then", "fi", "for", "do", "done", "case", "esac",
  "<<EOF", "-j DNAT --to-destination", "-m conntrack --ctstate", "-m policy --next", "--strict", "-m statistic --mode", "-j CT --helper",
  "-j LOG", "-m limit --limit", "-m multiport --dports", "-j TCPMSS", '{ "iptables": false, ', "]",
  "\u00a0", "\u3000", ":LOG - [0:0]\n", ":-x - [0:0]\n", "-j -x", "-c 0 0", "[7:420] ", "-N LOG",
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]!;
  let t = text;
  const edits = 1 + Math.floor(next() * 6);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (t.length + 1));
    const r = next();
    if (r < 0.4) t = t.slice(0, at) + pick(WORDS) + t.slice(at);
    else if (r < 0.7) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(next() * 20));
    else if (r < 0.85) {
      const lines = t.split("\n");
      lines.splice(Math.floor(next() * lines.length), 0, pick(lines));
      t = lines.join("\n");
    } else t = `${t.slice(0, at)} ${pick(WORDS)} ${pick(WORDS)} ${t.slice(at)}`;
  }
  return t;
}

describe("random edits of real files never crash the linter", () => {
  // FWLINT_FUZZ_SEEDS=N runs N seeds instead (a longer search by hand)
  const seeds = Array.from({ length: Number(process.env.FWLINT_FUZZ_SEEDS ?? 6) }, (_, k) => k + 1);
  it.each(seeds)("seed %i: 250 edited files, every rule on", (seed) => {
    expect(SOURCES.length).toBeGreaterThan(50);
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    for (let i = 0; i < 250; i++) {
      const file = SOURCES[Math.floor(next() * SOURCES.length)]!;
      const text = mutate(readFileSync(file, "utf8"), next);
      const kinds: LintInput["kind"][] = file.endsWith(".json") ? ["daemon-json"] : ["iptables", "ip6tables", "script"];
      const kind = kinds[Math.floor(next() * kinds.length)]!;
      let crash: unknown;
      try {
        lintFiles([{ text, kind, filePath: file }], { config: { rules: {}, facts: {} } });
      } catch (err) {
        crash = err;
        if (process.env.FWLINT_FUZZ_DUMP) writeFileSync(process.env.FWLINT_FUZZ_DUMP, `${kind}\n${String((err as { cause?: { stack?: string } }).cause?.stack)}\n=====\n${text}`);
      }
      expect(crash, `seed ${seed}, input ${i}: ${file} as ${kind}`).toBeUndefined();
    }
  }, 120_000);
});
