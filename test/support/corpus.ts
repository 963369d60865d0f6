import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** The shared corpus beside the project (../shared/corpus). */
export const CORPUS = "../shared/corpus";

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
