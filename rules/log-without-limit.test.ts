import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.js";
import { lintFiles } from "../src/lint.js";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "log-without-limit";
const filter = (chains: string[], lines: string[]) =>
  `*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${chains.map((c) => `:${c} - [0:0]\n`).join("")}${lines.join("\n")}\nCOMMIT\n`;
const lines = (text: string) => run(ID, text).map((d) => d.span.line);

describe(ID, () => {
  it("reports a LOG rule in INPUT with no limit, at its target, and suggests a limit that clears it", () => {
    const text = filter([], ["-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", '-A INPUT -j LOG --log-prefix "in: "']);
    const [d, ...rest] = run(ID, text);
    expect(rest).toEqual([]);
    expect(d!.message).toBe("LOG with no rate limit in INPUT: a flood of the packets it matches floods the kernel log and the disk behind it; add -m limit --limit 5/min to the rule or to the jump into its chain");
    expect([d!.span.line, d!.span.column]).toEqual([6, 10]);
    expect(d!.severity).toBe("warning");
    const [s] = d!.suggestions!;
    const fixed = applyFix(text, s!.fix);
    expect(fixed).toContain('-A INPUT -m limit --limit 5/min -j LOG --log-prefix "in: "');
    expect(run(ID, fixed)).toEqual([]);
  });

  it("takes limit and hashlimit up to a rate as a limit; with or without rate classification; not hashlimit above a rate", () => {
    const text = filter(
      [],
      [
        "-A INPUT -m limit --limit 3/min --limit-burst 10 -j LOG",
        "-A INPUT -m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name a -j LOG",
        "-A INPUT -m hashlimit ! --hashlimit-above 5/min --hashlimit-name b -j LOG",
        "-A INPUT -m hashlimit --hashlimit-above 5/min --hashlimit-name c -j LOG",
        "-A INPUT -m hashlimit --hashlimit-upto 5/min --hashlimit-name d --hashlimit-rate-match -j LOG",
        "-A INPUT -m recent --name e --update --seconds 60 --hitcount 4 -j LOG",
        "-A INPUT -m statistic --mode nth --every 10 -j LOG",
        "-A INPUT -m conntrack --ctstate NEW -j LOG",
      ],
    );
    expect(lines(text)).toEqual([8, 10, 11, 12]);
  });

  it("follows jumps and gotos: a limit on the way counts, a way without one does not", () => {
    const limited = filter(["logdrop"], ["-A INPUT -p tcp -m limit --limit 1/s -j logdrop", "-A logdrop -j LOG", "-A logdrop -j DROP"]);
    expect(run(ID, limited)).toEqual([]);
    const both = filter(["logdrop", "mid"], ["-A INPUT -p tcp -m limit --limit 1/s -j logdrop", "-A INPUT -p udp -j mid", "-A mid -g logdrop", "-A logdrop -j LOG", "-A logdrop -j DROP"]);
    const [d, ...rest] = run(ID, both);
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(10);
    expect(d!.message).toMatch(/^LOG with no rate limit in chain logdrop \(INPUT → mid → logdrop, no limit on the way\): /);
    expect(d!.related!.map((r) => [r.span.line, r.message])).toEqual([
      [8, "jump to mid with no rate limit"],
      [9, "jump to logdrop with no rate limit"],
    ]);
  });

  it("looks at every table's chains that see other hosts' packets", () => {
    const text = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp -j LOG\nCOMMIT\n*mangle\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j LOG\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j LOG\nCOMMIT\n";
    expect(lines(text)).toEqual([4, 8]);
  });

  it("leaves the host's own packets alone: OUTPUT (unless includeOutput) and the loopback interface", () => {
    const text = filter(["out-log", "lo-log"], ["-A INPUT -i lo -j LOG", "-A INPUT -i lo -j lo-log", "-A lo-log -j LOG", "-A OUTPUT -j out-log", "-A out-log -j LOG", "-A OUTPUT -j LOG", "-A INPUT ! -i lo -j LOG"]);
    expect(lines(text)).toEqual([13]);
    const [r] = lintFiles([{ text }], { config: { rules: { [ID]: { severity: "warning", options: { includeOutput: true } } }, facts: {} } });
    expect(r!.messages.filter((m) => m.ruleId === ID).map((m) => m.span.line)).toEqual([11, 12, 13]);
  });

  it("reports nothing for rules without LOG, and reports in scripts without a suggestion", () => {
    expect(run(ID, filter([], ["-A INPUT -j NFLOG --nflog-group 1", "-A INPUT -j DROP"]))).toEqual([]);
    const script = '#!/bin/sh\niptables -N logdrop\niptables -A logdrop -j LOG --log-prefix "drop: "\niptables -A logdrop -j DROP\niptables -A INPUT -j logdrop\n';
    const [d, ...rest] = run(ID, script, { kind: "script" });
    expect(rest).toEqual([]);
    expect(d!.span.line).toBe(3);
    expect(d!.suggestions).toBeUndefined();
  });

  it("counts a limit above maxRate (10/second by default) as none, and lowers the LOG rule's own", () => {
    const text = filter(
      ["logdrop"],
      [
        "-A INPUT -p tcp -m limit --limit 10000/sec --limit-burst 100 -j LOG",
        "-A INPUT -p udp -m limit --limit 10/s -j LOG",
        "-A INPUT -p icmp -m hashlimit --hashlimit-upto 600/minute --hashlimit-name h -j LOG",
        "-A INPUT -p sctp -m hashlimit --hashlimit-upto 1mb/s --hashlimit-name b -j LOG",
        "-A INPUT -m limit --limit 11/second -j logdrop",
        "-A logdrop -j LOG",
        "-A logdrop -j DROP",
      ],
    );
    const ds = run(ID, text);
    expect(ds.map((d) => [d.span.line, d.span.column, d.message])).toEqual([
      [6, 26, "LOG limited to 10000/sec in INPUT, above maxRate 10/second: a flood of the packets it matches still writes up to 10000 lines a second to the kernel log and the disk behind it; lower the limit (5/min)"],
      [11, 12, "LOG with no rate limit in chain logdrop (INPUT → logdrop, no limit on the way): a flood of the packets it matches floods the kernel log and the disk behind it; add -m limit --limit 5/min to the rule or to the jump into its chain"],
    ]);
    expect(ds[1]!.related!.map((r) => r.message)).toEqual(["jump to logdrop limited to 11/second, above maxRate 10/second"]);
    const fixed = applyFix(text, ds[0]!.suggestions![0]!.fix);
    expect(fixed).toContain("-A INPUT -p tcp -m limit --limit 5/min --limit-burst 100 -j LOG");
    expect(run(ID, fixed).map((d) => d.span.line)).toEqual([11]);
    // the strictest of several limits counts
    expect(run(ID, filter([], ["-A INPUT -m limit --limit 10000/sec -m hashlimit --hashlimit-upto 5/min --hashlimit-name s -j LOG"]))).toEqual([]);
    // -m limit alone is 3/hour; the option raises or lowers the bound
    expect(run(ID, filter([], ["-A INPUT -m limit -j LOG"]))).toEqual([]);
    const opt = (maxRate: string) => lintFiles([{ text }], { config: { rules: { [ID]: { severity: "warning", options: { maxRate } } }, facts: {} } })[0]!.messages.filter((m) => m.ruleId === ID).map((m) => m.span.line);
    expect(opt("1/s")).toEqual([6, 7, 8, 11]);
    expect(opt("20000/second")).toEqual([]);
  });

  it("refuses a maxRate iptables would not read", () => {
    const config = (maxRate: string) => parseConfig(JSON.stringify({ rules: { [ID]: ["warning", { maxRate }] } }), ".fwlintrc.json");
    expect(() => config("fast")).toThrow(/maxRate/);
    expect(() => config("10/fortnight")).toThrow(/maxRate/);
    expect(() => config("10/")).toThrow(/maxRate/);
    expect(() => config("0/s")).toThrow(/maxRate/);
    expect(config("100/min").rules![ID]).toEqual({ severity: "warning", options: { maxRate: "100/min" } });
    // units as iptables reads them: any prefix, any case
    for (const rate of ["5", "5/s", "5/SEC", "5/Second", "5/m", "5/hou", "5/D"]) expect(() => config(rate)).not.toThrow();
  });

  it("reports NFLOG too with includeNflog, naming the logging daemon", () => {
    const text = filter([], ["-A INPUT -j NFLOG --nflog-group 1", "-A INPUT -m limit --limit 2/s -j NFLOG --nflog-group 2", "-A INPUT -m limit --limit 100/s -j NFLOG --nflog-group 3", "-A INPUT -j LOG"]);
    expect(lines(text)).toEqual([8]);
    const [r] = lintFiles([{ text }], { config: { rules: { [ID]: { severity: "warning", options: { includeNflog: true } } }, facts: {} } });
    const ds = r!.messages.filter((m) => m.ruleId === ID);
    expect(ds.map((d) => [d.span.line, d.message.split(":")[0]])).toEqual([
      [5, "NFLOG with no rate limit in INPUT"],
      [7, "NFLOG limited to 100/s in INPUT, above maxRate 10/second"],
      [8, "LOG with no rate limit in INPUT"],
    ]);
    expect(ds[0]!.message).toMatch(/floods the logging daemon \(ulogd\) and the disk behind it/);
    expect(ds[0]!.suggestions!.map((s) => s.desc)).toEqual(['Add "-m limit --limit 5/min" before -j NFLOG']);
    const fixed = applyFix(text, ds[0]!.suggestions![0]!.fix);
    expect(fixed).toContain("-A INPUT -m limit --limit 5/min -j NFLOG --nflog-group 1");
  });
});
