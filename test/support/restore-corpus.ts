/**
 * The corpus files that are iptables-restore input (../shared/corpus, see corpus.ts), with their text and family.
 * Templates with placeholders (Jinja, Python) are left out: they are not meant to be restored as they are.
 */
import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { Family } from "../../src/ast/iptables.js";
import { detectFamily, detectFormat } from "../../src/parse/index.js";
import { CORPUS, corpusFiles } from "./corpus.js";

export const CORPUS_DIR = resolve(CORPUS);

export interface CorpusFile {
  readonly path: string;
  /** Path relative to the corpus folder. */
  readonly name: string;
  readonly text: string;
  readonly family: Family;
}

const TEMPLATE = /\.j2$|pytemplate/;

export function restoreCorpus(): CorpusFile[] {
  if (!existsSync(CORPUS_DIR)) return [];
  const out: CorpusFile[] = [];
  for (const p of corpusFiles()) {
    if (TEMPLATE.test(p)) continue;
    const text = readFileSync(p, "utf8");
    if (detectFormat(text) !== "save") continue;
    out.push({ path: p, name: relative(CORPUS_DIR, p), text, family: detectFamily(text, p, "save").family });
  }
  return out;
}
