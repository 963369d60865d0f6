import { describe, expect, it } from "vitest";
import { ruleLexer, shellLexer } from "../grammar/lexer.js";

function lex(line: string) {
  ruleLexer.reset(line, { line: 1, col: 1, state: "start" } as never);
  return [...ruleLexer].filter((t) => t.type !== "ws").map((t) => [t.type, t.value, t.col] as const);
}
function shell(line: string) {
  shellLexer.reset(line);
  return [...shellLexer].filter((t) => t.type !== "ws").map((t) => [t.type, t.value] as const);
}

describe("rule lexer", () => {
  it("splits a rule line into options and words with 1-based columns", () => {
    expect(lex("-A INPUT -p tcp --dport 22 -j ACCEPT")).toEqual([
      ["option", "-A", 1],
      ["word", "INPUT", 4],
      ["option", "-p", 10],
      ["word", "tcp", 13],
      ["option", "--dport", 17],
      ["word", "22", 25],
      ["option", "-j", 28],
      ["word", "ACCEPT", 31],
    ]);
  });
  it("recognises headers, declarations, counters, COMMIT and comments only where they belong", () => {
    expect(lex("*filter")).toEqual([["star", "*", 1], ["word", "filter", 2]]);
    expect(lex(":INPUT ACCEPT [12:345]")).toEqual([["colon", ":", 1], ["word", "INPUT", 2], ["word", "ACCEPT", 8], ["counters", "[12:345]", 15]]);
    expect(lex("COMMIT")).toEqual([["commit", "COMMIT", 1]]);
    expect(lex("# a comment")).toEqual([["comment", "# a comment", 1]]);
    // '#' after the start of a line is an ordinary word, as iptables-restore sees it
    expect(lex("-A X -j LOG --log-prefix #1")).toContainEqual(["word", "#1", 26]);
    expect(lex("[1:2] -A X")[0]).toEqual(["counters", "[1:2]", 1]);
  });
  it("keeps a double-quoted segment (with backslash escapes) inside one word", () => {
    expect(lex('--comment "a \\"quoted\\" word" x')).toEqual([
      ["option", "--comment", 1],
      ["word", '"a \\"quoted\\" word"', 11],
      ["word", "x", 31],
    ]);
    expect(lex('--comment foo"bar baz"')[1]).toEqual(["word", 'foo"bar baz"', 11]);
  });
  it("marks a quote that is never closed", () => {
    expect(lex('-A X --comment "open')).toContainEqual(["unterminated", '"open', 16]);
  });
  it("treats ! as negation only when it stands alone", () => {
    expect(lex("! -s 1.2.3.4")[0]).toEqual(["bang", "!", 1]);
    expect(lex("-A X --comment !x")).toContainEqual(["word", "!x", 16]);
  });
  it("lexes --opt=value, -4/-6 prefixes, and does not take numbers or - for options", () => {
    expect(lex('--comment="a b"')).toEqual([["option", '--comment="a b"', 1]]);
    expect(lex("-4 -A INPUT")[0]).toEqual(["option", "-4", 1]);
    expect(lex(":FOO - [0:0]")[2]).toEqual(["word", "-", 6]);
    expect(lex("-A X --ttl-dec -1")[3]).toEqual(["word", "-1", 16]);
  });
});

describe("shell lexer", () => {
  it("reads words with quotes and expansions, operators and redirections", () => {
    expect(shell(`sudo iptables -A X -m comment --comment 'a b' -s "$NET" 2>/dev/null || echo $(date)`)).toEqual([
      ["word", "sudo"],
      ["word", "iptables"],
      ["word", "-A"],
      ["word", "X"],
      ["word", "-m"],
      ["word", "comment"],
      ["word", "--comment"],
      ["word", "'a b'"],
      ["word", "-s"],
      ["word", '"$NET"'],
      ["redirect", "2>/dev/null"],
      ["op", "||"],
      ["word", "echo"],
      ["word", "$(date)"],
    ]);
  });
  it("starts a comment only at the start of a word", () => {
    expect(shell("iptables -A X # trailing")).toEqual([["word", "iptables"], ["word", "-A"], ["word", "X"], ["comment", "# trailing"]]);
    expect(shell("echo a#b")).toEqual([["word", "echo"], ["word", "a#b"]]);
  });
});
