/**
 * `--fix` and `--fix-dry-run`: the pure fixer, the fixes the rules give (and the ones they only suggest), the
 * command line, and — against the kernel — that a file broken in the ways fwlint fixes comes back, once fixed,
 * to the very ruleset the kernel loads from the original.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../src/diagnostic.js";
import { applyFixes, lintFix } from "../src/fix.js";
import { lint } from "../src/lint.js";
import { defineRule } from "../src/rule.js";
import { lintRules as registry } from "../rules/index.js";
import { makeTree, runCli } from "./support/cli.js";
import { kernelAvailable, kernelSkipReason, Netns } from "./support/kernel.js";
import { restoreCorpus, type CorpusFile } from "./support/restore-corpus.js";

const SPAN = { line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 };
const withFix = (start: number, end: number, text: string): Diagnostic => ({ ruleId: "x", severity: "error", message: "m", span: SPAN, fix: { range: [start, end], text } });

describe("applyFixes", () => {
  it("applies fixes in the order of their ranges, whatever the order of the findings", () => {
    const out = applyFixes("abcdef", [withFix(4, 5, "E"), withFix(0, 1, "A"), withFix(2, 2, "+")]);
    expect(out).toEqual({ output: "Ab+cdEf", applied: 3, deferred: 0 });
  });

  it("leaves a fix that overlaps or touches one already taken for the next pass", () => {
    const out = applyFixes("abcdef", [withFix(1, 3, "X"), withFix(2, 4, "Y"), withFix(3, 3, "Z"), withFix(5, 6, "F")]);
    expect(out).toEqual({ output: "aXdeF", applied: 2, deferred: 2 });
  });

  it("changes nothing without fixes, and refuses a range outside the text", () => {
    const m: Diagnostic = { ruleId: "x", severity: "error", message: "m", span: SPAN };
    expect(applyFixes("abc", [m])).toEqual({ output: "abc", applied: 0, deferred: 0 });
    expect(() => applyFixes("abc", [withFix(2, 9, "")])).toThrow(/outside the text/);
  });
});

const fixOf = (text: string, kind?: "script") => lintFix({ text, filePath: "rules.v4", ...(kind ? { kind } : {}) });
const fixable = (text: string) =>
  lint({ text, filePath: "rules.v4" })
    .messages.filter((m) => m.fix)
    .map((m) => m.ruleId);

describe("the fixes rules give", () => {
  it("line-whitespace: blanks, indentation, CRLF, the final newline; not words after COMMIT", () => {
    const text = "*filter\r\n  :INPUT ACCEPT [0:0]\r\n   \r\n\t# note\r\n-A INPUT -j ACCEPT\r\nCOMMIT  ";
    const fixed = fixOf(text);
    expect(fixed.output).toBe("*filter\n:INPUT ACCEPT [0:0]\n\n# note\n-A INPUT -j ACCEPT\nCOMMIT\n");
    expect(fixed.result.messages).toEqual([]);
    // Words after COMMIT may be a rule that lost its line break: suggested, not fixed.
    const words = lint({ text: "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT -A INPUT -j DROP\n", filePath: "rules.v4" }).messages.find((m) => m.ruleId === "line-whitespace")!;
    expect(words.fix).toBeUndefined();
    expect(words.suggestions).toHaveLength(1);
  });

  it("option-requires-match: the one match an option can come from, once per rule", () => {
    const text = [
      "*filter",
      ":INPUT DROP [0:0]",
      "-A INPUT -i eth0 ! --src-range 10.0.0.1-10.0.0.9 -j DROP",
      "-A INPUT --ctstate NEW --ctdir ORIGINAL -j ACCEPT",
      "-A INPUT -p tcp --dports 80,443 -j ACCEPT",
      "-A INPUT --dport 22 -j ACCEPT",
      "COMMIT",
      "",
    ].join("\n");
    const fixed = fixOf(text);
    expect(fixed.output.split("\n").slice(2, 6)).toEqual([
      "-A INPUT -i eth0 -m iprange ! --src-range 10.0.0.1-10.0.0.9 -j DROP",
      "-A INPUT -m conntrack --ctstate NEW --ctdir ORIGINAL -j ACCEPT",
      "-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT",
      // tcp, udp, dccp or sctp: a choice that changes the rule, left to the author
      "-A INPUT --dport 22 -j ACCEPT",
    ]);
    expect(fixed.result.messages.map((m) => [m.ruleId, m.span.line, m.fix === undefined])).toEqual([["option-requires-match", 6, true]]);
    expect(fixed.result.messages[0]!.suggestions!.length).toBeGreaterThan(1);
  });

  it("legacy-negation moves the '!', invalid-policy writes the policy in upper case", () => {
    const ct = "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
    const fixed = fixOf(`*filter\n:INPUT drop [0:0]\n${ct}-A INPUT -s ! 10.0.0.0/8 -p tcp --dport ! 22 -j ACCEPT\nCOMMIT\n`);
    expect(fixed.output).toBe(`*filter\n:INPUT DROP [0:0]\n${ct}-A INPUT ! -s 10.0.0.0/8 -p tcp ! --dport 22 -j ACCEPT\nCOMMIT\n`);
    expect(fixed.result.messages).toEqual([]);
    expect(fixed.applied).toBe(3);
  });

  it("fixes iptables commands in a shell script where they are written, quotes and continuations kept", () => {
    const text = ["#!/bin/sh", "iptables -P INPUT drop", 'iptables -A INPUT -i "$EXT_IF" -s ! 10.0.0.1 -j DROP', "iptables -A DOCKER-USER \\", "  ! --src-range '192.168.1.1-192.168.1.9' -j DROP", ""].join("\n");
    const fixed = fixOf(text, "script");
    expect(fixed.output).toBe(["#!/bin/sh", "iptables -P INPUT DROP", 'iptables -A INPUT -i "$EXT_IF" ! -s 10.0.0.1 -j DROP', "iptables -A DOCKER-USER \\", "  -m iprange ! --src-range '192.168.1.1-192.168.1.9' -j DROP", ""].join("\n"));
    expect(fixed.result.messages.filter((m) => m.fix)).toEqual([]);
  });

  it("what changes the firewall's behaviour is only suggested", () => {
    const text = [
      "*filter",
      ":INPUT ACCEPT [0:0]",
      ":FORWARD DROP [0:0]",
      ":LOGDROP DROP [0:0]",
      ":DOCKER-USER - [0:0]",
      "-A INPUT -j LOGDRPO",
      "-A INPUT -j ACCPET",
      "-A DOCKER-USER -i eth0 -j DROP",
      "COMMIT",
      "",
    ].join("\n");
    const messages = lint({ text, filePath: "rules.v4" }).messages;
    const withSuggestions = messages.filter((m) => m.suggestions?.length).map((m) => m.ruleId);
    expect(withSuggestions).toEqual(expect.arrayContaining(["policy-on-user-chain", "undefined-chain", "unknown-target", "docker-user-not-jumped"]));
    expect(messages.filter((m) => m.fix)).toEqual([]);
    expect(fixOf(text).output).toBe(text);
  });

  it("only rules that declare fixable give fixes; the engine refuses one from another rule", () => {
    for (const r of registry) {
      const docsFixes = fixable(r.docs.bad).filter((id) => id === r.id);
      if (!r.fixable) expect(docsFixes, r.id).toEqual([]);
    }
    expect(registry.filter((r) => r.fixable).map((r) => r.id).sort()).toEqual(["invalid-policy", "legacy-negation", "line-whitespace", "option-requires-match"]);
    const rogue = defineRule({
      id: "rogue",
      language: "iptables",
      category: "style",
      severity: "warning",
      description: "reports a fix without fixable",
      tags: [],
      docs: { rationale: "", bad: "", good: "" },
      check: (ctx) => ctx.report({ message: "m", span: ctx.ast.span, fix: { range: [0, 0], text: "" } }),
    });
    expect(() => lint({ text: "*filter\nCOMMIT\n" }, { rules: [rogue] })).toThrow(/rogue reported a fix but is not fixable/);
  });

  it("a fixable rule's documented bad example, where it has a fix, is fixed into one the rule accepts", () => {
    let examples = 0;
    for (const r of registry.filter((x) => x.fixable)) {
      if (!fixable(r.docs.bad).includes(r.id)) continue;
      examples++;
      const fixed = fixOf(r.docs.bad);
      expect(fixed.applied, r.id).toBeGreaterThan(0);
      expect(fixed.result.messages.filter((m) => m.ruleId === r.id), r.id).toEqual([]);
    }
    expect(examples).toBeGreaterThanOrEqual(3);
  });
});

describe("fwlint --fix and --fix-dry-run", () => {
  const BROKEN = "*filter\n:INPUT accept [0:0]\n  # ssh\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT --src-range 10.0.0.1-10.0.0.9 -j DROP\n-A INPUT --dport 23 -j DROP\nCOMMIT\n";
  const FIXED = "*filter\n:INPUT ACCEPT [0:0]\n# ssh\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j DROP\n-A INPUT --dport 23 -j DROP\nCOMMIT\n";

  it("says how many problems --fix would fix, as ESLint's stylish does", async () => {
    const root = makeTree({ "rules.v4": BROKEN });
    const r = await runCli(["rules.v4"], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("\u2716 4 problems (4 errors, 0 warnings)\n  3 errors and 0 warnings potentially fixable with the `--fix` option.\n");
    const j = JSON.parse((await runCli(["rules.v4", "-f", "json"], { cwd: root })).stdout)[0];
    expect([j.fixableErrorCount, j.fixableWarningCount, j.output]).toEqual([3, 0, undefined]);
    expect(j.messages.filter((m: { fix?: unknown }) => m.fix).map((m: { ruleId: string }) => m.ruleId)).toEqual(["invalid-policy", "line-whitespace", "option-requires-match"]);
  });

  it("--fix writes the fixed file and reports what is left", async () => {
    const root = makeTree({ "rules.v4": BROKEN, "clean.v4": FIXED.replace("--dport 23", "-p tcp --dport 23") });
    const r = await runCli(["--fix", "rules.v4", "clean.v4", "-f", "json"], { cwd: root });
    expect(r.code).toBe(1);
    expect(readFileSync(join(root, "rules.v4"), "utf8")).toBe(FIXED);
    const [fixed, clean] = JSON.parse(r.stdout);
    expect(fixed.output).toBe(FIXED);
    expect(fixed.messages.map((m: { ruleId: string; line: number }) => [m.ruleId, m.line])).toEqual([["option-requires-match", 6]]);
    // a file with nothing to fix is left alone, and has no output
    expect(clean.output).toBeUndefined();
    expect(clean.messages).toEqual([]);
    // the next run finds nothing more to fix
    const again = await runCli(["--fix", "rules.v4"], { cwd: root });
    expect(again.stdout).not.toContain("potentially fixable");
    expect(readFileSync(join(root, "rules.v4"), "utf8")).toBe(FIXED);
  });

  it("--fix-dry-run writes nothing and works on standard input; --fix refuses standard input", async () => {
    const root = makeTree({ "rules.v4": BROKEN });
    const dry = await runCli(["--fix-dry-run", "rules.v4", "-f", "json"], { cwd: root });
    expect(JSON.parse(dry.stdout)[0].output).toBe(FIXED);
    expect(readFileSync(join(root, "rules.v4"), "utf8")).toBe(BROKEN);
    const stdin = await runCli(["--fix-dry-run", "-f", "json", "-"], { cwd: root, stdin: BROKEN });
    expect(JSON.parse(stdin.stdout)[0].output).toBe(FIXED);
    const refused = await runCli(["--fix", "-"], { cwd: root, stdin: BROKEN });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--fix cannot write standard input back; use --fix-dry-run/);
    const both = await runCli(["--fix", "--fix-dry-run", "rules.v4"], { cwd: root });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--fix and --fix-dry-run cannot be used together/);
    expect(readFileSync(join(root, "rules.v4"), "utf8")).toBe(BROKEN);
  });

  it("with --quiet, fixes only errors (what it shows)", async () => {
    // No newline after COMMIT: a warning on nf_tables, with a fix.
    const root = makeTree({ "rules.v4": "*filter\n:INPUT accept [0:0]\nCOMMIT" });
    const r = await runCli(["--fix-dry-run", "--quiet", "-f", "json", "rules.v4"], { cwd: root });
    expect(JSON.parse(r.stdout)[0].output).toBe("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT");
    const all = await runCli(["--fix-dry-run", "-f", "json", "rules.v4"], { cwd: root });
    expect(JSON.parse(all.stdout)[0].output).toBe("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n");
  });

  it("applies fixes that wait for each other over several passes", async () => {
    // CRLF is fixed by one edit of the whole file; the indentation and the missing -m come in the next pass.
    const root = makeTree({ "rules.v4": "*filter\r\n :INPUT ACCEPT [0:0]\r\n-A INPUT --ctstate NEW -s ! 10.0.0.1 -j ACCEPT\r\nCOMMIT\r\n" });
    const r = await runCli(["--fix", "rules.v4"], { cwd: root });
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, "rules.v4"), "utf8")).toBe("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate NEW ! -s 10.0.0.1 -j ACCEPT\nCOMMIT\n");
  });
});

// ── against the kernel ────────────────────────────────────────────────────────────────────────────────

/**
 * Ways to break a valid restore file that fwlint fixes; each keeps what every line means. `prefer`: files
 * that show the break at its most telling (a DROP policy, a negated address) are tried first.
 */
const BREAKS: Record<string, { readonly brk: (text: string) => string; readonly prefer?: RegExp }> = {
  "indented comments, declarations and COMMIT": { brk: (t) => t.replace(/^(#|:|COMMIT$)/gm, "  $1") },
  "CRLF line ends": { brk: (t) => t.replace(/\n/g, "\r\n") },
  "blanks after COMMIT": { brk: (t) => t.replace(/^COMMIT$/gm, "COMMIT  ") },
  "a carriage return, form feed or vertical tab between words": { brk: (t) => t.replace(/^(-A \S+) (-\S+) /gm, (_m, a: string, b: string) => `${a}\r${b}\f`).replace(/^(-A \S+ \S+ \S+) /gm, "$1\v") },
  "policies in lower case": { brk: (t) => t.replace(/^(:[A-Z]+) (ACCEPT|DROP) /gm, (_m, c: string, p: string) => `${c} ${p.toLowerCase()} `), prefer: /^:[A-Z]+ DROP /m },
  "pre-1.4.3 negation": { brk: (t) => t.replace(/^(-A .*?)! (-s|-d|-i|-o|-p|--dport|--sport) (\S+)/gm, "$1$2 ! $3"), prefer: /^-A .*! (-s|-d) /m },
  "a missing -m (iprange, conntrack, multiport, comment, addrtype, limit)": {
    brk: (t) => t.replace(/^(-A .*?)-m (iprange|conntrack|multiport|comment|addrtype|limit) (?=--)/gm, "$1"),
    prefer: /-m (iprange|multiport|addrtype|limit) /,
  },
};

const kernelState = (ns: Netns, family: "ipv4" | "ipv6") =>
  ns
    .save(family)
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]$/, "[0:0]"))
    .join("\n");

describe.skipIf(!kernelAvailable)("fixed files load as the originals do (iptables-restore)", () => {
  let ns: Netns;
  let files: CorpusFile[] = [];
  beforeAll(() => {
    ns = new Netns("fwlfix");
    files = restoreCorpus().filter((f) => {
      ns.reset(f.family);
      return ns.restore(f.text, f.family).ok;
    });
  });
  afterAll(() => ns?.dispose());

  const PER_KIND = 10;
  for (const [kind, { brk, prefer }] of Object.entries(BREAKS)) {
    it(kind, () => {
      expect(files.length).toBeGreaterThan(30);
      let tried = 0;
      const problems: string[] = [];
      const order = prefer ? [...files.filter((f) => prefer.test(f.text)), ...files.filter((f) => !prefer.test(f.text))] : files;
      for (const f of order) {
        const broken = brk(f.text);
        if (broken === f.text) continue;
        if (++tried > PER_KIND) break;
        ns.reset(f.family);
        const refused = !ns.restore(broken, f.family).ok;
        const fixed = lintFix({ text: broken, filePath: f.path });
        ns.reset(f.family);
        ns.restore(f.text, f.family);
        const want = kernelState(ns, f.family);
        ns.reset(f.family);
        const loaded = ns.restore(fixed.output, f.family);
        const got = loaded.ok ? kernelState(ns, f.family) : `refused: ${loaded.stderr}`;
        if (!refused) problems.push(`${f.name}: the break did not break the file`);
        if (fixed.applied === 0) problems.push(`${f.name}: nothing fixed`);
        if (got !== want) problems.push(`${f.name}: the fixed file loads differently:\n${got.slice(0, 400)}`);
      }
      expect(tried, "files this break applies to").toBeGreaterThan(0);
      expect(problems, problems.join("\n")).toEqual([]);
    }, 120_000);
  }
});

describe.skipIf(kernelAvailable)("fixed files against the kernel (skipped)", () => {
  it("needs root, iptables and iproute2", () => {
    console.log(`fix kernel tests skipped: ${kernelSkipReason}`);
  });
});
