import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ruleLexer } from "../grammar/lexer.js";
import { scanLine, TOKEN_NAMES, TokenBuffer } from "../src/parse/scan.js";
import { corpusFiles } from "./support/corpus.js";

function viaMoo(line: string) {
  ruleLexer.reset(line, { line: 1, col: 1, state: "start" } as never);
  const out: string[] = [];
  for (let t = ruleLexer.next(); t; t = ruleLexer.next()) out.push(`${t.type}:${t.offset}:${t.text.length}`);
  return out;
}
const buf = new TokenBuffer();
function viaScanner(line: string) {
  // scan inside a larger string to check absolute offsets
  const pad = "xx\n";
  scanLine(pad + line + "\nyy", pad.length, pad.length + line.length, buf);
  const out: string[] = [];
  for (let k = 0; k < buf.count; k++) out.push(`${TOKEN_NAMES[buf.types[k]!]}:${buf.starts[k]! - pad.length}:${buf.ends[k]! - buf.starts[k]!}`);
  return out;
}

describe("fast scanner = moo lexer", () => {
  it("agrees on every line of the corpus", () => {
    let n = 0;
    for (const f of corpusFiles()) {
      for (const raw of readFileSync(f, "utf8").split("\n")) {
        const line = raw.replace(/\r$/, "");
        expect(viaScanner(line), `${f}: ${line}`).toEqual(viaMoo(line));
        n++;
      }
    }
    expect(n).toBeGreaterThan(10_000);
  });
  it("agrees on tricky and random lines", () => {
    const tricky = [
      '--log-prefix="x"y',
      '--comment="a b" -j X',
      '-A X --comment "abc\\',
      'abc"def',
      '"a"b "c',
      "-4 -6 -46 -4x --4",
      "[1:2][3:4] [1:2]x [1:] [:2]",
      "! !x x! -!",
      "*filter :x # y",
      "  # c",
      "COMMIT COMMITS xCOMMIT",
      "-A X\u00a0-j Y",
      "a\u2028b",
      "--a=b=c --=x -- - --a_b-c9",
      '-m comment --comment "\\"" -j A',
      "\t\v\f -A\r",
    ];
    for (const line of tricky) expect(viaScanner(line), line).toEqual(viaMoo(line));
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ' \t"\\!-:*[]#0123456789=aAzZ_.,/+\u00a0';
    for (let k = 0; k < 5000; k++) {
      let s = "";
      const n = Math.floor(rnd() * 40);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(viaScanner(s), JSON.stringify(s)).toEqual(viaMoo(s));
    }
  });
});
