/**
 * The benchmark harness's pure parts (scripts/bench/lib.mjs): statistics, phase grouping, target
 * evaluation, tables, profile summary — and the generators' determinism. Speed itself is measured by
 * `npm run bench`, never here.
 */
import { describe, expect, it } from "vitest";
import { docker, fleet, kube, kubePackets, longChain } from "../scripts/bench/generate.mjs";
import { floorRules, floorWords } from "../scripts/bench/floor.mjs";
import * as lib from "../scripts/bench/lib.mjs";
import { scanLine, T_WS, TokenBuffer } from "../src/parse/scan.js";
import { lint } from "../src/lint.js";
import { parse } from "../src/parse/index.js";

/** Each line's words as the parser's scanner makes them (the final newline ends the last line). */
function scannedLines(text: string): string[][] {
  const buf = new TokenBuffer();
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  let at = 0;
  return lines.map((line) => {
    scanLine(text, at, at + line.length, buf);
    const words: string[] = [];
    for (let k = 0; k < buf.count; k++) if (buf.types[k] !== T_WS) words.push(text.slice(buf.starts[k], buf.ends[k]));
    at += line.length + 1;
    return words;
  });
}

describe("statistics", () => {
  it("median of odd and even counts, ignoring non-numbers", () => {
    expect(lib.median([3, 1, 2])).toBe(2);
    expect(lib.median([4, 1, 3, 2])).toBe(2.5);
    expect(lib.median([5, NaN, 1, Infinity, 3])).toBe(3);
    expect(lib.median([])).toBeNull();
    expect(lib.summarize([2, 9, 4])).toEqual({ median: 4, min: 2, max: 9, n: 3 });
    expect(lib.summarize([])).toEqual({ median: null, min: null, max: null, n: 0 });
  });

  it("median per phase over runs; a phase missing from a run is not a zero", () => {
    expect(lib.medianPhases([{ parse: 10, report: 1 }, { parse: 30 }, { parse: 20, report: 3 }])).toEqual({ parse: 20, report: 2 });
  });

  it("linear growth scaled to exactly 10× the rules, and marginal throughput", () => {
    expect(lib.growthPer10x(100, 1000, 1000, 10_000)).toBeCloseTo(10);
    expect(lib.growthPer10x(100, 1000, 9877, 99_885)).toBeCloseTo((10 * 10) / (99_885 / 9877)); // 10× the time for 10.1× the rules
    expect(lib.growthPer10x(0, 1000, 1, 10)).toBeNull();
    expect(lib.throughput(1, 500, 100_001, 2500)).toBe(50_000);
    expect(lib.throughput(1, 500, 1, 2500)).toBeNull();
    expect(lib.throughput(1, 500, 1000, 400)).toBeNull();
  });
});

describe("phases", () => {
  const category = (id: string) => ({ "syntax-error": "syntax", "docker-a": "docker", "docker-b": "docker" })[id];

  it("rules summed per category, in a fixed order around them", () => {
    const grouped = lib.groupPhases({ report: 2, "rule:docker-a": 5, parse: 100, "rule:syntax-error": 1, "rule:docker-b": 7, "rule:new-rule": 3, startup: 50, read: 4, directives: 1, extra: 9, walk: 20 }, category);
    expect(Object.entries(grouped)).toEqual([
      ["startup", 50],
      ["read", 4],
      ["parse", 100],
      ["rules: shared walk", 20],
      ["rules: docker", 12],
      ["rules: other", 3],
      ["rules: syntax", 1],
      ["directives", 1],
      ["report", 2],
      ["extra", 9],
    ]);
  });

  it("shared analyses after the rule groups that contain them, not added to them", () => {
    const grouped = lib.groupPhases({ parse: 100, "rule:docker-a": 50, "analysis:packet-model/compiled": 30, "analysis:validity:graph": 40, "analysis:packet-model": 5, directives: 1 }, category);
    expect(Object.entries(grouped)).toEqual([
      ["parse", 100],
      ["rules: docker", 50],
      ["… of which validity:graph", 40],
      ["… of which packet-model/compiled", 30],
      ["… of which packet-model", 5],
      ["directives", 1],
    ]);
  });

  it("slowest rules first", () => {
    expect(lib.slowestRules({ parse: 100, "rule:a": 1, "rule:b": 5, "rule:c": 3 }, 2)).toEqual([
      ["b", 5],
      ["c", 3],
    ]);
  });
});

describe("targets", () => {
  it("PASS, FAIL and N/A with the measured value and the reason", () => {
    const rows = lib.evaluateTargets({
      "lint-vs-iptables-restore": { value: 0.42, detail: "1.0 s vs 2.4 s" },
      "peak-rss": { value: 350 * lib.MiB },
      "linear-growth": { value: 11 },
      "unreachable-rule": { unavailable: "not available: unreachable-rule is not in this build" },
      "trace-throughput": { value: 49_999 },
      concurrency: { value: 1 },
    });
    const by = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(by["lint-vs-iptables-restore"]).toMatchObject({ status: "PASS", measured: "0.42× (1.0 s vs 2.4 s)", limit: "<= 0.50×" });
    expect(by["peak-rss"]).toMatchObject({ status: "FAIL", measured: "350 MB", limit: "<= 300 MB" });
    expect(by["linear-growth"]!.status).toBe("PASS"); // the limit itself passes
    expect(by["unreachable-rule"]).toMatchObject({ status: "N/A", measured: "not available: unreachable-rule is not in this build", value: null });
    expect(by.exposure).toMatchObject({ status: "N/A", measured: "not measured" });
    expect(by["trace-throughput"]).toMatchObject({ status: "FAIL", limit: ">= 50,000 packets/s", measured: "49,999 packets/s" });
    expect(by.concurrency!.status).toBe("FAIL"); // must be faster, not as fast
    expect(rows.map((r) => r.id)).toEqual(lib.TARGETS.map((t) => t.id));
  });

  it("a non-finite value is not a result", () => {
    expect(lib.evaluateTargets({ exposure: { value: NaN } }).find((r) => r.id === "exposure")!.status).toBe("N/A");
  });
});

describe("formatting", () => {
  it("durations, sizes and counts", () => {
    expect([lib.fmtMs(0.25), lib.fmtMs(42.4), lib.fmtMs(1234), lib.fmtMs(12_345), lib.fmtMs(null)]).toEqual(["0.3 ms", "42 ms", "1.23 s", "12.3 s", "—"]);
    expect([lib.fmtBytes(2048), lib.fmtBytes(1.5 * lib.MiB), lib.fmtBytes(300 * lib.MiB)]).toEqual(["2 kB", "1.5 MB", "300 MB"]);
    expect(lib.fmtCount(99_885)).toBe("99,885");
    expect(lib.fmtSpread({ median: 1500, min: 1200, max: 2000, n: 5 })).toBe("1.50 s (1.20 s–2.00 s)");
    expect(lib.fmtSpread({ median: 15, min: 15, max: 15, n: 1 })).toBe("15 ms");
  });

  it("text table: padded columns, numbers right-aligned, no trailing blanks", () => {
    const t = lib.formatTable(["Dump", "Rules", "Note"], [["kube-1000", "881", "ok"], ["kube-100000", "99,885", ""]]);
    expect(t.split("\n")).toEqual(["Dump          Rules  Note", "-----------  ------  ----", "kube-1000       881  ok", "kube-100000  99,885"]);
    expect(lib.formatTable(["A", "B"], [["x", "1"]], ["r", "l"]).split("\n")[2]).toBe("x  1");
  });

  it("markdown table with right-aligned number columns and escaped pipes", () => {
    expect(lib.markdownTable(["Target", "Time"], [["a|b", "12 ms"]])).toBe("| Target | Time |\n| --- | ---: |\n| a\\|b | 12 ms |");
  });

  it("target rows: status first", () => {
    const rows = lib.targetRows(lib.evaluateTargets({ exposure: { value: 500 } }));
    expect(rows.find((r) => r[1]!.includes("exposure"))).toEqual(["PASS", "fwlint exposure, Docker host with 1,000 published ports", "<= 1.00 s", "500 ms"]);
  });
});

describe("CPU profile summary", () => {
  it("self time per function, GC share of the busy time, idle left out", () => {
    const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame("(root)") },
        { id: 2, callFrame: frame("parseSave", "file:///repo/dist/src/parse/save.js", 21) },
        { id: 3, callFrame: frame("(garbage collector)") },
        { id: 4, callFrame: frame("(idle)") },
        { id: 5, callFrame: frame("parseSave", "file:///repo/dist/src/parse/save.js", 21) },
      ],
      samples: [2, 3, 2, 4, 5, 3],
      timeDeltas: [1000, 2000, 1000, 5000, 2000, 2000],
    };
    const s = lib.summarizeProfile(profile, 5, (u) => u.replace("file:///repo/", ""));
    expect(s.totalMs).toBe(8);
    expect(s.gcShare).toBe(0.5);
    expect(s.functions).toEqual([
      { name: "(garbage collector)", ms: 4, share: 0.5 },
      { name: "parseSave dist/src/parse/save.js:22", ms: 4, share: 0.5 },
      { name: "(root)", ms: 0, share: 0 },
    ]);
  });
});

describe("generated inputs", () => {
  it("are deterministic and about the size asked for", () => {
    expect(kube(1000)).toBe(kube(1000));
    expect(kube(1000, 2)).not.toBe(kube(1000));
    const rules = (t: string) => t.split("\n").filter((l) => l.startsWith("-A ")).length;
    expect(rules(kube(10_000))).toBeGreaterThan(9000);
    expect(rules(kube(10_000))).toBeLessThan(11_000);
    expect(rules(longChain(500))).toBe(501);
    expect(docker(1000).match(/-j DNAT/g)!.length).toBe(1000);
    const f = fleet(20);
    expect(f.map(([name]) => name).slice(0, 2)).toEqual(["host-00/rules.v4", "host-01/rules.v4"]);
    expect(new Set(f.map(([, t]) => t)).size).toBe(20);
    expect(kubePackets(1000, 50)).toBe(kubePackets(1000, 50));
    expect(kubePackets(1000, 50).trim().split("\n").map((l) => Object.keys(JSON.parse(l) as object))[0]).toEqual(["in", "src", "dst", "proto", "dport", "state"]);
  });

  it("parse without syntax errors", () => {
    for (const text of [kube(2000), docker(50), longChain(200), fleet(3)[0]![1]]) {
      const r = lint({ text, filePath: "/bench/x.rules" });
      expect(r.messages.filter((m) => m.ruleId === "syntax-error")).toEqual([]);
    }
  });

  it("the floor splits them into the scanner's tokens and tells equal words apart from different ones", () => {
    const quoted = '*filter\n:INPUT ACCEPT [0:0]\n# a comment\n-A INPUT ! -s 10.0.0.1 -m comment --comment "two words" -j LOG --log-prefix "a\\"b "\n-A INPUT -m comment --comment x"y z"w -j ACCEPT\nCOMMIT\n';
    for (const text of [kube(3000), docker(40), longChain(300), fleet(2)[1]![1], quoted]) {
      const lines = scannedLines(text);
      const words = lines.reduce((n, l) => n + l.length, 0);
      const distinct = new Set(lines.flat());
      const floor = floorWords(Buffer.from(text));
      expect(floor.lines).toBe(lines.length);
      expect(floor.words).toBe(words);
      // the floor does not count comment lines, `*` and `:` among its distinct words
      const ids = [...distinct].filter((w) => !w.startsWith("#") && w !== "*" && w !== ":");
      expect(floor.distinct).toBe(ids.length);
    }
  });

  it("the floor with --rules finds the parser's chains and rules, and groups each rule's options with their values", () => {
    const quoted = '*filter\n:INPUT ACCEPT [0:0]\n:OUT - [0:0]\n-A INPUT ! -s 10.0.0.1 -m comment --comment "two words" -j LOG --log-prefix "a\\"b "\n-A INPUT -m mark ! --mark 0x1/0x1 -p tcp --syn -j OUT\n-A OUT -m comment --comment "x y" -j ACCEPT\nCOMMIT\n*nat\n:OUT - [0:0]\n:INPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A OUT -j RETURN\n-A POSTROUTING -j MASQUERADE --random-fully\nCOMMIT\n';
    for (const text of [kube(3000), docker(40), longChain(300), fleet(2)[1]![1], quoted]) {
      const ruleset = parse(text);
      // an independent count from the scanner's tokens: in a rule line, after `-A CHAIN`, a word starting with
      // `-` (and more) is an option, with a value when the word after it is neither `!` nor an option
      let options = 0;
      let negated = 0;
      let valued = 0;
      for (const words of scannedLines(text)) {
        if (words[0] !== "-A") continue;
        const isOption = (w: string | undefined) => w !== undefined && w.length > 1 && w.startsWith("-");
        for (let k = 2; k < words.length; k++) {
          if (!isOption(words[k])) continue;
          options++;
          if (words[k - 1] === "!") negated++;
          if (words[k + 1] !== undefined && words[k + 1] !== "!" && !isOption(words[k + 1])) valued++;
        }
      }
      const floor = floorRules(Buffer.from(text));
      expect(floor.rules).toBe(ruleset.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0));
      // the floor knows only the chains the text names: declared by a `:` line or holding rules (the parser
      // adds the table's other built-in chains)
      expect(floor.chains).toBe(ruleset.tables.reduce((n, t) => n + t.chains.filter((c) => c.declaredBy === "declaration" || c.rules.length > 0).length, 0));
      expect(floor).toMatchObject({ options, negated, valued });
      expect(floor.words).toBe(floorWords(Buffer.from(text)).words);
    }
    // the hand-made case (iptables-restore --test takes it), counted by hand: -s -m --comment -j --log-prefix;
    // -m --mark -p --syn -j; -m --comment -j; -j; -j --random-fully
    expect(floorRules(Buffer.from(quoted))).toMatchObject({ chains: 5, rules: 5, options: 16, negated: 2, valued: 14 });
  });
});
