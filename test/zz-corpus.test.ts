import { readdirSync, readFileSync } from "node:fs";
import { it } from "vitest";
import { checkValue, findCoreOption, findMatch, findTarget, implicitMatchFor, isBuiltinTarget, matchOptionPrefix, type CatalogEntry, type Family } from "../src/catalog/index.js";
import { splitSaveLine } from "../scripts/kernel-probe.js";
it("corpus", () => {
  const out: string[] = [];
  const dirs = ["/work/shared/corpus/real-world", "/work/shared/corpus/docker", "/work/shared/corpus/docker-real"];
  for (const dir of dirs) for (const f of readdirSync(dir)) {
    if (f.startsWith("INVALID") || f.endsWith(".tsv") || f.endsWith(".nft") || f.endsWith(".j2")) continue;
    let text: string; try { text = readFileSync(`${dir}/${f}`, "utf8"); } catch { continue; }
    const fam: Family = /6|ipv6|ip6/.test(f) && !/rules\.v4/.test(f) ? "ipv6" : "ipv4";
    text.split("\n").forEach((line, ln) => {
      const t = line.trim().replace(/^\[\d+:\d+\]\s*/, "");
      if (!t.startsWith("-A") && !t.startsWith("-I")) return;
      const w = splitSaveLine(t).slice(2);
      let loaded: CatalogEntry[] = []; let proto: string | undefined; let neg = false;
      for (let i = 0; i < w.length; i++) {
        const word = w[i]!;
        if (word === "!") { neg = true; continue; }
        if (word === "-m" || word === "--match") { const e = findMatch(w[++i]!, fam); if (!e) out.push(`${f}:${ln+1} unknown match ${w[i]}`); else loaded.push(e); continue; }
        if (word === "-j" || word === "-g" || word === "--jump" || word === "--goto") { const n = w[++i]!; const e = findTarget(n, fam); if (e) loaded.push(e); continue; }
        if (word === "-p" || word === "--protocol") { proto = w[++i]; const r = checkValue("protocol", proto!, { family: fam, option: findCoreOption("-p")! }); if (!r.ok) out.push(`${f}:${ln+1} -p ${proto}: ${r.message}`); continue; }
        const core = findCoreOption(word);
        if (core) { for (let k = 0; k < core.args; k++) { const v = w[++i]!; const r = checkValue(core.kinds![k]!, v, { family: fam, option: core }); if (!r.ok) out.push(`${f}:${ln+1} ${word} ${v}: ${r.message}`); } neg = false; continue; }
        if (!word.startsWith("--")) { out.push(`${f}:${ln+1} stray ${word}`); continue; }
        let cands = matchOptionPrefix(word, [...loaded].reverse(), fam);
        if (cands.length === 0 && proto) { const im = implicitMatchFor(proto, fam); if (im) { loaded.push(im); cands = matchOptionPrefix(word, [...loaded].reverse(), fam); } }
        if (cands.length === 0) { out.push(`${f}:${ln+1} unknown option ${word}`); continue; }
        const opt = cands[0]!;
        const owner = [...loaded].reverse().find((e) => [...e.byName.values()].includes(opt));
        for (let k = 0; k < opt.args; k++) {
          const v = w[i + 1];
          if (opt.optionalArg && (v === undefined || v.startsWith("-"))) break;
          i++;
          const r = checkValue(opt.kinds![k]!, v!, { family: fam, option: opt, extension: owner?.spec.name });
          if (!r.ok) out.push(`${f}:${ln+1} ${owner?.spec.name} ${word} ${v}: ${r.message}`);
        }
        neg = false;
      }
    });
  }
  console.log(out.length + " findings\n" + out.slice(0, 200).join("\n"));
});
