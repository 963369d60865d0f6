import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ruleLexer } from "../grammar/lexer.js";
import { cacheStats, classify, classifyUncached, shapeOf, type LexToken } from "../src/parse/line-grammar.js";
import { parse } from "../src/parse/index.js";
import { corpusFiles } from "./support/corpus.js";

function tokens(line: string): LexToken[] {
  ruleLexer.reset(line, { line: 1, col: 1, state: "start" } as never);
  return [...ruleLexer].map((t) => ({ type: t.type!, value: t.value, col: t.col }));
}

describe("line grammar", () => {
  it.each([
    ["", "blank"],
    ["   \t", "blank"],
    ["# comment", "comment"],
    ["  # indented comment", "comment"],
    ["*filter", "table"],
    ["* mangle", "table"],
    [":INPUT ACCEPT [0:0]", "chainDecl"],
    [":LOGGING - DROP [0:0]", "chainDecl"],
    [":INPUT DROP", "chainDecl"],
    ["COMMIT", "commit"],
    ["COMMIT  ", "commit"],
    ["-A INPUT -j ACCEPT", "command"],
    ["[0:0] -A INPUT -j ACCEPT", "command"],
    ["  -A INPUT ! -s 10.0.0.0/8 -j DROP  ", "command"],
    ["-N FOO", "command"],
    ["-4 -A INPUT -j ACCEPT", "command"],
  ])("classifies %j as %s with exactly one parse", (line, kind) => {
    expect(classifyUncached(tokens(line))).toEqual({ ok: true, kind });
  });
  it.each([
    ["INPUT -j ACCEPT", 0],
    ["*", 1],
    [":", 1],
    ["COMMIT now", 2],
    ["! -A X", 0],
    ["*filter extra", 3],
  ])("rejects %j at token %i", (line, at) => {
    expect(classifyUncached(tokens(line))).toEqual({ ok: false, at });
  });

  it("classifies every corpus line the same with and without the shape cache, exactly once each", () => {
    let lines = 0;
    for (const f of corpusFiles()) {
      for (const line of readFileSync(f, "utf8").split(/\r?\n/)) {
        const t = tokens(line.replace(/\r$/, ""));
        expect(classify(t), `${f}: ${line}`).toEqual(classifyUncached(t));
        lines++;
      }
    }
    expect(lines).toBeGreaterThan(10_000);
    const stats = cacheStats();
    expect(stats.shapes).toBeLessThan(stats.hits);
  });

  it("shape keys distinguish token kinds", () => {
    expect(shapeOf(tokens("-A X -j Y"))).toBe("o_w_o_w");
    expect(shapeOf(tokens(":X - [0:0]"))).toBe(":w_w_c");
  });
});

describe("corpus", () => {
  const files = corpusFiles();
  it("has the shared corpus", () => {
    expect(files.length).toBeGreaterThan(300);
  });
  it("parses every corpus file without throwing, in every format", () => {
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      const rs = parse(text, { filePath: f });
      expect(rs.lineCount).toBeGreaterThan(0);
      expect(() => parse(text, { format: "script" })).not.toThrow();
      expect(() => parse(text, { format: "list-rules" })).not.toThrow();
      expect(() => parse(text, { family: rs.family === "ipv4" ? "ipv6" : "ipv4" })).not.toThrow();
    }
  });
  it("reads Docker's own dumps without any parse diagnostic", () => {
    const docker = files.filter((f) => f.includes("/docker/") || f.includes("/docker-real/"));
    expect(docker.length).toBeGreaterThan(250);
    for (const f of docker) {
      const rs = parse(readFileSync(f, "utf8"), { filePath: f });
      expect(rs.diagnostics, f).toEqual([]);
      expect(rs.format, f).toBe("save");
    }
  });
});
