import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The shared material beside the project (`../shared`: corpus and reference), or FWLINT_SHARED.
 * Tests on real material need it; it is an error, not a skip, when it is missing.
 */
export const SHARED = process.env.FWLINT_SHARED ? resolve(process.env.FWLINT_SHARED) : resolve(REPO_ROOT, "..", "shared");
if (!existsSync(join(SHARED, "corpus"))) {
  throw new Error(`the shared corpus is not at ${SHARED}/corpus: clone fwlint beside ../shared, or set FWLINT_SHARED`);
}

/** The shared corpus of real rule files. */
export const CORPUS = join(SHARED, "corpus");
/** The shared reference notes and data. */
export const REFERENCE = join(SHARED, "reference");

/** Every rules file of the corpus (not the notes, not nftables files). */
export function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/SOURCES\.tsv$|\.md$|\.nft$/.test(f)) out.push(p);
    }
  };
  walk(CORPUS);
  return out;
}
