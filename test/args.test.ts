import { describe, expect, it } from "vitest";
import { LineTable } from "../src/ast/nodes.js";
import { beginInterning, endInterning, LineArgs } from "../src/parse/args.js";
import { scanLine, T_UNTERMINATED, T_WS, TokenBuffer } from "../src/parse/scan.js";
import { unquoteRestoreWord } from "../src/parse/words.js";
import { parse } from "../src/parse/index.js";

/** What each word of a line must read as, computed from the tokens alone (no word table). */
function expected(text: string, buf: TokenBuffer) {
  const out: { raw: string; text: string; quoted: boolean; start: number; end: number }[] = [];
  for (let k = 0; k < buf.count; k++) {
    if (buf.types[k] === T_WS) continue;
    const raw = text.slice(buf.starts[k]!, buf.ends[k]!);
    const quoted = raw.includes('"');
    const unquoted = quoted ? (buf.types[k] === T_UNTERMINATED ? unquoteRestoreWord(`${raw}"`) : unquoteRestoreWord(raw)) : raw;
    out.push({ raw, text: unquoted ?? raw, quoted, start: buf.starts[k]!, end: buf.ends[k]! });
  }
  return out;
}

/**
 * Load every line of `text` in turn into one LineArgs (as the parser does, with one word table for the whole text)
 * and compare with `expected`.
 */
function checkLines(text: string, tableFor = 0): number {
  const buf = new TokenBuffer();
  const args = new LineArgs();
  const loc = new LineTable(text);
  let words = 0;
  beginInterning(tableFor);
  try {
    let pos = 0;
    while (pos <= text.length) {
      let nl = text.indexOf("\n", pos);
      if (nl === -1) nl = text.length;
      scanLine(text, pos, nl, buf);
      args.load(text, buf, 0, loc);
      const want = expected(text, buf);
      const got = want.map((_, i) => {
        const w = args.word(i);
        return { raw: args.raw(i), text: args.text(i), quoted: w.quoted, start: args.start(i), end: args.end(i), wordRaw: w.raw };
      });
      expect(got.map(({ wordRaw: _, ...g }) => g), JSON.stringify(text.slice(pos, nl))).toEqual(want);
      for (const g of got) expect(g.wordRaw).toBe(g.raw);
      expect(args.count).toBe(want.length);
      words += want.length;
      pos = nl + 1;
    }
  } finally {
    endInterning();
  }
  return words;
}

describe("line arguments read each word as its tokens say, line after line", () => {
  it("reads equal, same-length and shifted words right", () => {
    const text = [
      "-A KUBE-SEP-AAAA -s 10.0.0.1/32 -m comment --comment \"ns/a:http\" -j KUBE-MARK-MASQ",
      // the same words again: each found in the word table
      "-A KUBE-SEP-AAAA -s 10.0.0.1/32 -m comment --comment \"ns/a:http\" -j KUBE-MARK-MASQ",
      // same lengths, other characters (first, middle and last character differ)
      "-A KUBE-SEP-AAAB -s 10.0.0.2/32 -m commenT --comment \"ns/b:http\" -j KUBE-MARK-DROP",
      "-A XUBE-SEP-AAAB -s 10.0.9.2/32 -m comment --comment \"ns/b:httP\" -j KUBE-MARK-DROP",
      // the same words one place later
      "! -A XUBE-SEP-AAAB -s 10.0.9.2/32 -m comment --comment \"ns/b:httP\" -j KUBE-MARK-DROP",
      // the same characters quoted differently, and an unterminated quote at the end
      "-A X --comment \"a\\\"b\" -j Y",
      "-A X --comment \"a\\\"b\" -j Y",
      "-A X --comment a\"b\" -j Y",
      "-A X --comment \"a\\\"b",
      "-A X --comment \"a\\\"b",
      // shorter and longer lines than the one before
      "-A X",
      "-A X -j Y --to 1 --to 2 --to 3",
      "",
      "-A X -j Y --to 1 --to 2 --to 3",
    ].join("\n");
    expect(checkLines(text)).toBe(99);
  });

  it("reads random lines of few, similar words right", () => {
    // a vocabulary of look-alike words: same lengths, shared prefixes, quoted and not
    // (quoted words: plain `"…"`, read from between the quotes; with escapes, empty, after an `=`, opened
    // and never closed, and a quote inside a word)
    const vocab = ["-A", "-B", "-j", "X1", "X2", "Y1", "\"ab\"", "\"a\"b", "a\"b\"", "AB", "--to", "--tp", "\"x y\"", "KUBE-SEP-AB", "KUBE-SEP-BA", "KUBE-SVC-AB", "ab", "\"\"", "\"a\\\\b\"", "\"a\\\"b\"", "--to=\"ab\"", "--to=ab", "\"ab", "\"x y"];
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const lines: string[] = [];
    for (let l = 0; l < 3000; l++) {
      const n = rand(9);
      const words: string[] = [];
      for (let k = 0; k < n; k++) words.push(vocab[rand(vocab.length)]!);
      lines.push(words.join(rand(4) === 0 ? "  " : " "));
    }
    expect(checkLines(lines.join("\n"))).toBeGreaterThan(10_000);
  });

  it("reads many distinct words right, from a small word table that grows and from one sized for the source", () => {
    // 6,000 distinct words (the smallest table holds 2,048 before it grows), each seen twice
    const lines: string[] = [];
    for (let k = 0; k < 3_000; k++) lines.push(`-A KUBE-SEP-${k} -m comment --comment "ns/svc-${k}:http" -j KUBE-SVC-${k % 97}`);
    const text = [...lines, ...lines].join("\n");
    const words = checkLines(text);
    expect(words).toBe(48_000);
    expect(checkLines(text, text.length)).toBe(words);
    expect(checkLines(text, 1 << 40)).toBe(words);
  });

  it("gives the same tree whether or not the lines repeat (a dump and its lines one by one)", () => {
    const lines = [
      "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y",
      "-A KUBE-SERVICES -d 10.96.0.2/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 444 -j KUBE-SVC-NPX46M4PTMTKRN6Z",
      "-A KUBE-SERVICES -d 10.96.0.2/32 -p udp -m comment --comment \"default/kubernetes:https cluster IP\" -m udp --dport 444 -j KUBE-SVC-NPX46M4PTMTKRN6Z",
    ];
    const head = "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]\n:KUBE-SVC-NPX46M4PTMTKRN6Z - [0:0]\n";
    const whole = parse(`${head}${lines.join("\n")}\nCOMMIT\n`);
    const rules = whole.tables[0]!.chains.find((c) => c.name === "KUBE-SERVICES")!.rules;
    const shape = (r: (typeof rules)[number]) => ({
      criteria: r.criteria.map((o) => [o.name, o.values.map((v) => [v.text, v.raw, v.quoted])]),
      matches: r.matches.map((m) => [m.module, m.options.map((o) => [o.name, o.values.map((v) => [v.text, v.raw, v.quoted])])]),
      target: r.target?.name,
    });
    lines.forEach((line, i) => {
      const alone = parse(`${head}${line}\nCOMMIT\n`).tables[0]!.chains.find((c) => c.name === "KUBE-SERVICES")!.rules[0]!;
      expect(shape(rules[i]!)).toEqual(shape(alone));
    });
  });
});
