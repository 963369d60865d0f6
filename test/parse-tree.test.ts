import { describe, expect, it } from "vitest";
import { parse } from "../src/parse/index.js";
import { LineTable, MatchNode, OptionNode, type WordParts } from "../src/ast/nodes.js";

const deleteFinds = (added: string, deleted: string) => {
  const rs = parse(`*filter\n${added}\n${deleted}\nCOMMIT\n`, { format: "save", family: "ipv4" });
  return !rs.diagnostics.some((d) => d.code === "delete-not-found") && rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules.length === 0;
};

describe("-D compares rules the way iptables does", () => {
  it("ignores counters", () => {
    expect(deleteFinds("-A INPUT -c 5 300 -i lo -j ACCEPT", "-D INPUT -i lo -j ACCEPT")).toBe(true);
    expect(deleteFinds("[5:300] -A INPUT -i lo -j ACCEPT", "-D INPUT -i lo -j ACCEPT")).toBe(true);
  });
  it("compares canonical values", () => {
    expect(deleteFinds("-A INPUT -p 6 --dport ssh -s 10.0.0.1 -j ACCEPT", "-D INPUT -p tcp --dport 22 -s 10.0.0.1/32 -j ACCEPT")).toBe(true);
    expect(deleteFinds("-A INPUT -p tcp --destination-port 22 -j ACCEPT", "-D INPUT -p tcp -m tcp --dport 22 -j ACCEPT")).toBe(true);
  });
  it("still tells different rules apart", () => {
    expect(deleteFinds("-A INPUT -p tcp --dport 22 -j ACCEPT", "-D INPUT -p tcp --dport 23 -j ACCEPT")).toBe(false);
    expect(deleteFinds("-A INPUT -s 10.0.0.1 -j ACCEPT", "-D INPUT ! -s 10.0.0.1 -j ACCEPT")).toBe(false);
  });
});

describe("script words with unknown expansions", () => {
  it("are kept as strays without a diagnostic: $EXTRA may stand for options", () => {
    const rs = parse("iptables -A INPUT $EXTRA -j ACCEPT\niptables -A INPUT extra -j ACCEPT\n", { format: "script", family: "ipv4" });
    const rules = rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules;
    expect(rules[0]!.strays.map((w) => [w.text, w.dynamic])).toEqual([["$EXTRA", true]]);
    expect(rs.diagnostics.map((d) => [d.span.line, d.code])).toEqual([[2, "unexpected-argument"]]);
  });
});

describe("a literal dollar in a script word", () => {
  it("is not an expansion when nothing that expands follows it", () => {
    const rs = parse('iptables -A INPUT -j CH$\niptables -A INPUT -m comment --comment "costs 5$ only" -j ACCEPT\n', { format: "script", family: "ipv4" });
    const rules = rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules;
    expect(rules[0]!.target!.name).toBe("CH$");
    expect(rules[1]!.matches[0]!.options[0]!.values[0]!.dynamic ?? false).toBe(false);
  });
});

describe("option values are kept inline and made into words on demand", () => {
  const text = [
    "*filter",
    ':INPUT ACCEPT [0:0]',
    '-A INPUT -p tcp --dport=22 -m comment --comment "ssh in" --tcp-flags SYN,ACK SYN --syn -j LOG --log-prefix x',
    "COMMIT",
    "",
  ].join("\n");
  const rule = parse(text).tables[0]!.chains[0]!.rules[0]!;
  const options = [...rule.criteria, ...rule.matches.flatMap((m) => m.options), ...rule.target!.options];
  const byName = (name: string) => options.find((o) => o.name === name)!;

  it("answers valueCount, valueText and valueDynamic as the words would", () => {
    expect(options.length).toBeGreaterThanOrEqual(6);
    for (const o of options) {
      // read the inline answers before the words exist, then compare with the words
      const count = o.valueCount;
      const texts = Array.from({ length: count + 1 }, (_, i) => o.valueText(i));
      expect(o.values.length).toBe(count);
      expect(texts).toEqual([...o.values.map((v) => v.text), undefined]);
      expect(o.values.map((_, i) => o.valueDynamic(i))).toEqual(o.values.map((v) => v.dynamic === true));
    }
    expect(byName("--tcp-flags").valueCount).toBe(2);
    expect(byName("--syn").valueCount).toBe(0);
  });

  it("makes words with their text, spelling and place", () => {
    const at = (w: { span: { offset: number; endOffset: number } }) => text.slice(w.span.offset, w.span.endOffset);
    const comment = byName("--comment").values[0]!;
    expect(comment).toMatchObject({ text: "ssh in", raw: '"ssh in"', quoted: true });
    expect(at(comment)).toBe('"ssh in"');
    const dport = byName("--dport");
    expect(dport.inlineValue).toBe(true);
    expect(dport.values[0]).toMatchObject({ text: "22", raw: "22", quoted: false });
    expect(at(dport.values[0]!)).toBe("22");
    expect(at(byName("--log-prefix").values[0]!)).toBe("x");
    expect(at(rule.target!)).toBe("-j LOG --log-prefix x");
    expect(text.slice(rule.target!.nameSpan.offset, rule.target!.nameSpan.endOffset)).toBe("LOG");
    // made once: the same list on every read
    expect(dport.values).toBe(dport.values);
  });

  it("keeps a script's expansions dynamic", () => {
    const o = parse('iptables -A INPUT -s "$TRUSTED" -i eth0 -j ACCEPT\n').commands[0]!.rule!.criteria;
    expect(o.map((c) => [c.valueText(0), c.valueDynamic(0)])).toEqual([
      ["$TRUSTED", true],
      ["eth0", false],
    ]);
    expect(o[0]!.values[0]).toMatchObject({ text: "$TRUSTED", raw: '"$TRUSTED"', dynamic: true, quoted: true });
  });
});

describe("option positions and spellings survive packing", () => {
  const at = (text: string, s: { offset: number; endOffset: number }) => text.slice(s.offset, s.endOffset);
  it("keeps long spellings, abbreviations and renamed orphans as written", () => {
    const text = "*filter\n-A INPUT --source 10.0.0.1 -p tcp --dpo 22 --src-range 10.0.0.1-10.0.0.9 -j ACCEPT\nCOMMIT\n";
    const rule = parse(text).tables[0]!.chains[0]!.rules[0]!;
    const s = rule.criteria.find((o) => o.name === "-s")!;
    expect(s.written).toBe("--source");
    expect(at(text, s.nameSpan)).toBe("--source");
    const dport = rule.matches[0]!.options[0]!;
    expect([dport.name, dport.written, dport.abbreviated]).toEqual(["--dport", "--dpo", true]);
    const orphan = rule.orphans[0]!;
    expect([orphan.name, orphan.written]).toEqual(["--src-range", "--src-range"]);
    expect(at(text, orphan.values[0]!.span)).toBe("10.0.0.1-10.0.0.9");
  });

  it("keeps places that do not fit the packed form: a long name, a wide gap, a negation", () => {
    const long = `--${"x".repeat(300)}`;
    const gap = " ".repeat(100);
    const text = `*filter\n-A INPUT !    -s${gap}10.0.0.1 -p tcp --dport${gap}22 ${long} v -j ACCEPT\nCOMMIT\n`;
    const rule = parse(text).tables[0]!.chains[0]!.rules[0]!;
    const s = rule.criteria.find((o) => o.name === "-s")!;
    expect(s.negation).toBe("prefix");
    expect(at(text, s.span)).toBe(`!    -s${gap}10.0.0.1`);
    expect(at(text, s.nameSpan)).toBe("-s");
    expect(at(text, s.values[0]!.span)).toBe("10.0.0.1");
    const dport = rule.matches[0]!.options[0]!;
    expect(at(text, dport.values[0]!.span)).toBe("22");
    const unknown = [...rule.orphans, ...rule.matches.flatMap((m) => m.options)].find((o) => o.written === long)!;
    expect(at(text, unknown.nameSpan)).toBe(long);
    expect(unknown.valueText(0)).toBe("v");
    expect(at(text, unknown.values[0]!.span)).toBe("v");
  });

  it("packs gaps up to 31 characters and keeps wider ones aside, on both sides of the limit", () => {
    for (const n of [1, 30, 31, 32, 33, 63, 64]) {
      const gap = " ".repeat(n);
      const text = `*filter\n-A INPUT -s${gap}10.0.0.1 -m comment --comment${gap}"a b" -j ACCEPT\nCOMMIT\n`;
      const rule = parse(text).tables[0]!.chains[0]!.rules[0]!;
      const s = rule.criteria[0]!;
      expect(at(text, s.values[0]!.span), `gap ${n}`).toBe("10.0.0.1");
      const comment = rule.matches[0]!.options[0]!;
      expect(at(text, comment.values[0]!.span), `gap ${n}`).toBe('"a b"');
      expect([comment.values[0]!.text, comment.values[0]!.raw, comment.values[0]!.quoted]).toEqual(["a b", '"a b"', true]);
    }
  });

  it("reads a value's written form from the source, or keeps it aside where the source does not hold it", () => {
    // a restore file: the quoted value as written is the source between its start and the option's end
    const text = `*filter\n-A INPUT -m comment --comment "say \\"hi\\"" -m comment --comment=plain -j ACCEPT\nCOMMIT\n`;
    const rule = parse(text).tables[0]!.chains[0]!.rules[0]!;
    const [quoted, inline] = rule.matches.map((m) => m.options[0]!);
    expect([quoted!.valueText(0), quoted!.values[0]!.raw, quoted!.values[0]!.quoted]).toEqual(['say "hi"', '"say \\"hi\\""', true]);
    expect([inline!.valueText(0), inline!.values[0]!.raw, inline!.inlineValue]).toEqual(["plain", "plain", true]);
    // a script: expansions and quotes as the shell word was written
    const script = `#!/bin/sh\nNET="10.0.0.0/8"\niptables -A INPUT -s "$NET" -m comment --comment 'x y' -j ACCEPT\n`;
    const sr = parse(script, { filePath: "fw.sh" }).tables[0]!.chains.find((c) => c.name === "INPUT")!.rules[0]!;
    const src = sr.criteria.find((o) => o.name === "-s")!;
    expect(at(script, src.values[0]!.span)).toBe('"$NET"');
    expect(src.values[0]!.raw).toBe('"$NET"');
    const note = sr.matches[0]!.options[0]!;
    expect([note.valueText(0), note.values[0]!.raw]).toEqual(["x y", "'x y'"]);
  });

  it("keeps a match's module and spec, and an option's name and spec, in one field each", () => {
    const text = "*filter\n-A INPUT -p tcp -m tcp --dport 22 -m frobnicate --frob 1 --src-range 10.0.0.1-10.0.0.9 -j ACCEPT\nCOMMIT\n";
    const rule = parse(text).tables[0]!.chains[0]!.rules[0]!;
    const [tcp, frob] = rule.matches;
    expect([tcp!.module, tcp!.spec?.name]).toEqual(["tcp", "tcp"]);
    expect([frob!.module, frob!.spec]).toEqual(["frobnicate", undefined]);
    const dport = tcp!.options[0]!;
    expect([dport.name, dport.spec?.name]).toEqual(["--dport", "--dport"]);
    // an unknown module's option has no spec; an orphan is renamed to the spec it was read with
    expect([frob!.options[0]!.name, frob!.options[0]!.spec]).toEqual(["--frob", undefined]);
    const orphan = rule.orphans[0]!;
    expect([orphan.name, orphan.written, orphan.spec]).toEqual(["--src-range", "--src-range", undefined]);

    // made directly with a spec whose name differs: both are kept
    const loc = new LineTable(text);
    const m = new MatchNode(loc, 0, 5, "alias", false, tcp!.spec);
    expect([m.module, m.spec]).toEqual(["alias", tcp!.spec]);
    const parts: WordParts = { text: "22", raw: "22", start: 12, end: 14, quoted: false, dynamic: false };
    const o = new OptionNode(loc, 0, 14, "--dpo", "--dpo", 0, 5, parts, dport.spec, null, null, false, true);
    expect([o.name, o.written, o.spec]).toEqual(["--dpo", "--dpo", dport.spec]);
    // renamed to its spec's name: the spec is the one field again, the spelling is kept
    o.rename("--dport");
    expect([o.name, o.written, o.spec]).toEqual(["--dport", "--dpo", dport.spec]);
    o.rename("--other");
    expect([o.name, o.written, o.spec]).toEqual(["--other", "--dpo", dport.spec]);
  });

  it("keeps a target's name, near or far, and whether it is a goto", () => {
    const far = " ".repeat(300);
    const text = `*filter\n:USER - [0:0]\n-A INPUT -j${far}ACCEPT\n-A INPUT -g USER\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n`;
    const [wide, jump, near] = parse(text).tables[0]!.chains.find((c) => c.name === "INPUT")!.rules;
    expect([wide!.target!.goto, at(text, wide!.target!.nameSpan)]).toEqual([false, "ACCEPT"]);
    expect([jump!.target!.goto, at(text, jump!.target!.nameSpan)]).toEqual([true, "USER"]);
    expect(at(text, near!.target!.nameSpan)).toBe("ACCEPT");
    const m = near!.matches[0]!;
    expect([m.module, m.implicit, at(text, m.headSpan)]).toEqual(["tcp", true, "--dport"]);
  });
});

describe("commands keep their flag, rule number and chain name", () => {
  it("answers flag and index as written", () => {
    const text = "iptables --append INPUT -j ACCEPT\niptables -I INPUT 2 -j DROP\niptables -D INPUT 1\niptables -A INPUT -j LOG\n";
    const cmds = parse(text).commands;
    expect(cmds.map((c) => [c.op, c.flag, c.index])).toEqual([
      ["append", "--append", null],
      ["insert", "-I", 2],
      ["delete", "-D", 1],
      ["append", "-A", null],
    ]);
    const save = parse("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n").commands;
    expect(save.map((c) => [c.op, c.flag, c.index])).toEqual([
      ["declare-chain", ":", null],
      ["append", "-A", null],
    ]);
  });

  it("finds a chain name longer than the packed length allows", () => {
    const name = "C".repeat(600_000);
    const text = `*filter\n:${name} - [0:0]\n-A ${name} -j ACCEPT\nCOMMIT\n`;
    const cmds = parse(text).commands;
    for (const c of cmds) {
      expect(c.chain).toBe(name);
      expect(text.slice(c.chainSpan!.offset, c.chainSpan!.endOffset)).toBe(name);
    }
  });
});

describe("the options of matches and targets", () => {
  const rule = (line: string) => parse(`*nat\n:KUBE-MARK-MASQ - [0:0]\n${line}\nCOMMIT\n`, { format: "save", family: "ipv4" }).tables[0]!.chains.find((c) => c.name === "PREROUTING")!.rules[0]!;

  it("are listed in order whether a match or target has none, one or several", () => {
    const r = rule('-A PREROUTING -p tcp -m tcp -m comment --comment "web" -m statistic --mode random --probability 0.5 -m multiport --dports 80,443 ! --sports 1:1023 --ports 8080 -j DNAT --to-destination 10.0.0.2:80 --random');
    expect(r.matches.map((m) => [m.module, m.options.map((o) => [o.negated, o.name, o.valueText(0)])])).toEqual([
      ["tcp", []],
      ["comment", [[false, "--comment", "web"]]],
      ["statistic", [[false, "--mode", "random"], [false, "--probability", "0.5"]]],
      ["multiport", [[false, "--dports", "80,443"], [true, "--sports", "1:1023"], [false, "--ports", "8080"]]],
    ]);
    expect(r.target!.options.map((o) => [o.name, o.valueText(0)])).toEqual([["--to-destination", "10.0.0.2:80"], ["--random", undefined]]);
    expect(rule("-A PREROUTING -j KUBE-MARK-MASQ").target!.options).toEqual([]);
  });

  it("of a single option are a list made when asked: the same option, a new list each time", () => {
    const r = rule("-A PREROUTING -m comment --comment one -j DNAT --to-destination 10.0.0.2");
    const m = r.matches[0]!;
    expect(m.options).toHaveLength(1);
    expect(m.options[0]).toBe(m.options[0]);
    expect(m.options).not.toBe(m.options);
    expect(r.target!.options[0]!.valueText(0)).toBe("10.0.0.2");
    // several options: one list, kept
    const s = rule("-A PREROUTING -m statistic --mode random --probability 0.5 -j KUBE-MARK-MASQ").matches[0]!;
    expect(s.options).toBe(s.options);
  });

  it("of a rule: one criterion or one match is a list made when asked, several are one list", () => {
    const one = rule("-A PREROUTING -s 10.0.0.1 -m comment --comment c -j KUBE-MARK-MASQ");
    expect(one.criteria.map((o) => o.valueText(0))).toEqual(["10.0.0.1"]);
    expect(one.criteria[0]).toBe(one.criteria[0]);
    expect(one.criteria).not.toBe(one.criteria);
    expect(one.matches.map((m) => m.module)).toEqual(["comment"]);
    expect(one.matches).not.toBe(one.matches);
    const several = rule("-A PREROUTING -s 10.0.0.1 -d 10.0.0.2 -p udp -m udp --dport 53 -m comment --comment c -j KUBE-MARK-MASQ");
    expect(several.criteria.map((o) => o.name)).toEqual(["-s", "-d", "-p"]);
    expect(several.matches.map((m) => m.module)).toEqual(["udp", "comment"]);
    expect(several.criteria).toBe(several.criteria);
    expect(several.matches).toBe(several.matches);
    const none = rule("-A PREROUTING -j KUBE-MARK-MASQ");
    expect([none.criteria, none.matches]).toEqual([[], []]);
  });

  it("grow the node that holds them, one option after another", () => {
    const loc = new LineTable("-m multiport --dports 1 --sports 2 --ports 3");
    loc.add(0);
    const m = new MatchNode(loc, 0, 12, "multiport", false, undefined);
    const parts = (start: number, end: number, text: string): WordParts => ({ text, raw: text, start, end, quoted: false, dynamic: false });
    const add = (name: string, at: number, value: string) => m.addOption(new OptionNode(loc, at, at + name.length + 2, name, name, at, at + name.length, parts(at + name.length + 1, at + name.length + 2, value), undefined, null, null, false, false));
    expect(m.options).toEqual([]);
    add("--dports", 13, "1");
    add("--sports", 24, "2");
    add("--ports", 35, "3");
    expect(m.options.map((o) => [o.name, o.valueText(0)])).toEqual([["--dports", "1"], ["--sports", "2"], ["--ports", "3"]]);
    expect(m.endOffset).toBe("-m multiport --dports 1 --sports 2 --ports 3".length);
  });
});

describe("rules the file takes out again (Ruleset.removedRules)", () => {
  const removed = (body: string, format: "save" | "script" = "save") => {
    const rs = parse(format === "save" ? `*filter\n:U - [0:0]\n${body}\nCOMMIT\n` : body, { format, family: "ipv4" });
    return rs.removedRules.map((r) => `${r.rule.span.line}:${r.rule.chain} by ${r.by.op} at ${r.by.span.line}`);
  };
  it("keeps the rules -D (by number or by rule), -R and -F take out, in source order", () => {
    expect(removed(["-A INPUT -i lo -j ACCEPT", "-A INPUT -i eth0 -j DROP", "-D INPUT 2", "-D INPUT -i lo -j ACCEPT"].join("\n"))).toEqual(["3:INPUT by delete at 6", "4:INPUT by delete at 5"]);
    expect(removed(["-A U -j RETURN", "-R U 1 -j ACCEPT"].join("\n"))).toEqual(["3:U by replace at 4"]);
    expect(removed(["-A U -j RETURN", "-A INPUT -j U", "-A OUTPUT -j ACCEPT", "-F U", "-F"].join("\n"))).toEqual(["3:U by flush at 6", "4:INPUT by flush at 7", "5:OUTPUT by flush at 7"]);
  });
  it("is empty when nothing is taken out, and leaves the tree as it was", () => {
    const rs = parse("*filter\n-A INPUT -j ACCEPT\n-D INPUT 1\n-A INPUT -j DROP\nCOMMIT\n", { format: "save", family: "ipv4" });
    expect(rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules.map((r) => r.span.line)).toEqual([4]);
    expect(removed("-A INPUT -j ACCEPT")).toEqual([]);
  });
  it("a delete that finds nothing takes nothing out", () => {
    expect(removed("-A INPUT -j ACCEPT\n-D INPUT 2\n-D INPUT -j DROP")).toEqual([]);
  });
  it("in a script too", () => {
    expect(removed("iptables -A INPUT -p tcp --dport 22 -j ACCEPT\niptables -F\n", "script")).toEqual(["1:INPUT by flush at 2"]);
  });
});

describe("-E: jumps follow the renamed chain, as in the kernel", () => {
  it("a jump to the old name becomes a jump to the new one, and -D finds it by the new name", () => {
    const text = "*filter\n:A - [0:0]\n-A INPUT -j A\n-A FORWARD -g A\n-A A -j ACCEPT\n-E A B\n-D FORWARD -g B\nCOMMIT\n";
    const rs = parse(text, { format: "save", family: "ipv4" });
    const chain = (name: string) => rs.tables[0]!.chains.find((c) => c.name === name);
    expect(chain("A")).toBeUndefined();
    expect(chain("INPUT")!.rules.map((r) => r.target!.name)).toEqual(["B"]);
    expect(chain("FORWARD")!.rules).toEqual([]);
    expect(rs.diagnostics.filter((d) => d.code === "delete-not-found")).toEqual([]);
  });
  it("in a script too", () => {
    const rs = parse("iptables -N A\niptables -A INPUT -j A\niptables -E A B\n", { format: "script", family: "ipv4" });
    expect(rs.tables[0]!.chains.find((c) => c.name === "INPUT")!.rules.map((r) => r.target!.name)).toEqual(["B"]);
  });
});
