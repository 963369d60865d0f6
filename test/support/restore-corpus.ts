/**
 * The shared corpus (`../shared/corpus` beside the project): real rule files and what Docker writes. Files that
 * are not iptables-restore input at all (nftables dumps, Jinja/Python templates, transcripts) are left out.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Family } from "../../src/ast/iptables.js";
import { detectFamily, detectFormat } from "../../src/parse/index.js";

export const CORPUS_DIR = resolve(import.meta.dirname, "../../../shared/corpus");

export interface CorpusFile {
  readonly path: string;
  /** Path relative to the corpus folder. */
  readonly name: string;
  readonly text: string;
  readonly family: Family;
}

/** Not restore input by construction: templates with placeholders, nftables, golden transcripts. */
const NOT_RESTORE_INPUT = /\.(nft|j2|md|tsv)$|pytemplate|SOURCES/;

export function restoreCorpus(): CorpusFile[] {
  if (!existsSync(CORPUS_DIR)) return [];
  const out: CorpusFile[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (!NOT_RESTORE_INPUT.test(f)) {
        const text = readFileSync(p, "utf8");
        if (detectFormat(text) !== "save") continue;
        const name = relative(CORPUS_DIR, p);
        out.push({ path: p, name, text, family: detectFamily(text, p, "save").family });
      }
    }
  };
  walk(CORPUS_DIR);
  return out;
}
