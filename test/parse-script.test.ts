import { describe, expect, it } from "vitest";
import { findChain } from "../src/ast/iptables.js";
import { canonicalRuleLines } from "../src/canonical.js";
import { lint } from "../src/lint.js";
import { parse } from "../src/parse/index.js";
import { codes, renderRule, renderRules } from "./support/render.js";

describe("shell scripts of iptables commands", () => {
  it("reads Docker's documented DOCKER-USER commands as ordered operations", () => {
    const text = [
      "#!/bin/sh",
      "# Restrict connections to the Docker host (docs.docker.com)",
      "iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP",
      "iptables -I DOCKER-USER -m iprange -i ext_if ! --src-range 192.168.1.1-192.168.1.3 -j DROP",
      "echo done",
      "",
    ].join("\n");
    const rs = parse(text);
    expect(rs.format).toBe("script");
    expect(codes(rs)).toEqual([]);
    expect(rs.commands.map((c) => [c.op, c.chain, c.table, c.program])).toEqual([
      ["insert", "DOCKER-USER", "filter", "iptables"],
      ["insert", "DOCKER-USER", "filter", "iptables"],
    ]);
    // -I puts the second command first
    expect(renderRules(rs)).toEqual([
      "filter:DOCKER-USER#1: -m iprange -i ext_if ! --src-range 192.168.1.1-192.168.1.3 -j DROP",
      "filter:DOCKER-USER#2: -i ext_if ! -s 192.168.1.1 -j DROP",
    ]);
    expect(findChain(rs, "filter", "DOCKER-USER")).toMatchObject({ declaredBy: "implicit" });
    expect(rs.comments.map((c) => c.text)).toEqual(["!/bin/sh", " Restrict connections to the Docker host (docs.docker.com)"]);
  });

  it("understands sudo, prompts, -t, -w, continuations, variables and other program names", () => {
    const text = [
      "$ sudo iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "EXT=eth0",
      'IPT="/usr/sbin/iptables-legacy"',
      "$IPT -w 5 -A INPUT -i $EXT -p tcp \\",
      "    --dport 22 -j ACCEPT   # ssh",
      "sudo -E iptables-nft --table mangle --append PREROUTING -j MARK --set-mark 1",
      "iptables -C INPUT -j DROP 2>/dev/null || iptables -A INPUT -j DROP",
      "if ! iptables -C FORWARD -j X; then iptables -N X; fi",
      "ls -la; cat /etc/hosts",
    ].join("\n");
    const rs = parse(text);
    expect(codes(rs)).toEqual([]);
    expect(rs.commands.map((c) => `${c.program} ${c.table} ${c.op} ${c.chain}`)).toEqual([
      "iptables nat append POSTROUTING",
      "iptables-legacy filter append INPUT",
      "iptables-nft mangle append PREROUTING",
      "iptables filter check INPUT",
      "iptables filter append INPUT",
      "iptables filter check FORWARD",
      "iptables filter new-chain X",
    ]);
    const ssh = rs.commands[1]!.rule!;
    expect(renderRule(ssh)).toBe("-i eth0 -p tcp (-m tcp) --dport 22 -j ACCEPT");
    // the command spans its continuation line; the value keeps its own position
    expect(ssh.span).toMatchObject({ line: 4, column: 1, endLine: 5 });
    expect(ssh.criteria[0]!.values[0]).toMatchObject({ raw: "$EXT", text: "eth0", span: { line: 4, column: 23 } });
  });

  it("keeps unknown expansions as dynamic words", () => {
    const rs = parse('iptables -A INPUT -s "$TRUSTED" -j ACCEPT\n');
    const w = rs.commands[0]!.rule!.criteria[0]!.values[0]!;
    expect(w).toMatchObject({ text: "$TRUSTED", dynamic: true });
  });

  it("separates iptables from ip6tables commands by family", () => {
    const text = "iptables -A INPUT -j ACCEPT\nip6tables -A INPUT -p ipv6-icmp -j ACCEPT\n";
    const v4 = parse(text);
    const v6 = parse(text, { family: "ipv6" });
    expect(v4.family).toBe("ipv4");
    expect(v4.otherFamilyCommands).toBe(1);
    expect(renderRules(v4)).toEqual(["filter:INPUT#1: -j ACCEPT"]);
    expect(renderRules(v6)).toEqual(["filter:INPUT#1: -p ipv6-icmp -j ACCEPT"]);
    expect(parse("ip6tables -A INPUT -j ACCEPT\n").family).toBe("ipv6");
  });

  it("skips here-document bodies and reports broken iptables lines without throwing", () => {
    const rs = parse("cat <<EOF\niptables -A INPUT -j ACCEPT\nEOF\niptables -A INPUT -p tcp --dport\n");
    expect(rs.commands).toHaveLength(1);
    expect(codes(rs)).toEqual(["4:26 missing-value"]);
  });
});

describe("iptables -S output", () => {
  it("reads -P/-N/-A lines for the filter table", () => {
    const rs = parse("-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N DOCKER-USER\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\n");
    expect(rs.format).toBe("list-rules");
    expect(codes(rs)).toEqual([]);
    expect(findChain(rs, "filter", "INPUT")!.policy).toBe("DROP");
    expect(renderRules(rs)).toEqual(["filter:FORWARD#1: -j DOCKER-USER", "filter:DOCKER-USER#1: -j RETURN"]);
  });
  it("infers the table of each block from its -P lines, or takes it from a -t comment", () => {
    const rs = parse(
      [
        "-P INPUT ACCEPT",
        "-P FORWARD ACCEPT",
        "-P OUTPUT ACCEPT",
        "-A INPUT -j ACCEPT",
        "-P PREROUTING ACCEPT",
        "-P INPUT ACCEPT",
        "-P OUTPUT ACCEPT",
        "-P POSTROUTING ACCEPT",
        "-N DOCKER",
        "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
        "# iptables -t raw -S",
        "-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP",
      ].join("\n"),
    );
    expect(renderRules(rs)).toEqual([
      "filter:INPUT#1: -j ACCEPT",
      "nat:PREROUTING#1: -m addrtype --dst-type LOCAL -j DOCKER",
      "raw:PREROUTING#1: -d 172.17.0.2/32 ! -i docker0 -j DROP",
    ]);
    expect(parse("-A PREROUTING -j ACCEPT\n", { format: "list-rules", table: "mangle" }).tables[0]!.name).toBe("mangle");
  });
});

describe("family detection", () => {
  it.each([
    ["rules.v6", "*filter\nCOMMIT\n", "ipv6"],
    ["/etc/iptables/rules.v4", "*filter\nCOMMIT\n", "ipv4"],
    ["ip6tables.rules", "*filter\nCOMMIT\n", "ipv6"],
    [undefined, "# Generated by ip6tables-save v1.8.9 (nf_tables)\n*filter\nCOMMIT\n", "ipv6"],
    [undefined, "*filter\n-A INPUT -s 2001:db8::/32 -j ACCEPT\nCOMMIT\n", "ipv6"],
    [undefined, "*filter\n-A INPUT -p ipv6-icmp -j ACCEPT\nCOMMIT\n", "ipv6"],
    [undefined, "*filter\n-A INPUT -p icmpv6 --icmpv6-type 128 -j ACCEPT\nCOMMIT\n", "ipv6"],
    [undefined, "*nat\n-A PREROUTING -p tcp -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n", "ipv4"],
  ])("%s → %s", (filePath, text, family) => {
    expect(parse(text, filePath ? { filePath } : {}).family).toBe(family);
  });
  it("can be forced", () => {
    expect(parse("*filter\nCOMMIT\n", { filePath: "rules.v4", family: "ipv6" })).toMatchObject({ family: "ipv6", familyReason: "forced" });
  });
});

describe("chains renamed or deleted between appends", () => {
  it("an append after -E or -X goes to the chain of that name now, not the one appended to before", () => {
    const rs = parse(["iptables -N A", "iptables -A A -j ACCEPT", "iptables -E A B", "iptables -A A -j DROP", "iptables -A B -j RETURN"].join("\n") + "\n", { format: "script" });
    expect(findChain(rs, "filter", "B")!.rules.map((r) => r.target!.name)).toEqual(["ACCEPT", "RETURN"]);
    const a = findChain(rs, "filter", "A")!;
    expect(a.declaredBy).toBe("implicit");
    expect(a.rules.map((r) => r.target!.name)).toEqual(["DROP"]);
    const deleted = parse(["iptables -N C", "iptables -A C -j ACCEPT", "iptables -F C", "iptables -X C", "iptables -A C -j DROP"].join("\n") + "\n", { format: "script" });
    const c = findChain(deleted, "filter", "C")!;
    expect(c.declaredBy).toBe("implicit");
    expect(c.rules.map((r) => r.target!.name)).toEqual(["DROP"]);
  });
});

describe("case branches of an init script", () => {
  const text = [
    "case \"$1\" in",
    "start) iptables -A INPUT -p tcp --dport 22 -j ACCEPT ;;",
    "\"stop\"|restart) iptables -F INPUT ;;",
    "(status) iptables -L -n ;;",
    "*) echo \"usage: $0 start|stop\" ;;",
    "esac",
    "",
  ].join("\n");
  it("are read as a script, with the command after each pattern at its own column", () => {
    const rs = parse(text);
    expect(rs.format).toBe("script");
    expect(codes(rs)).toEqual([]);
    expect(rs.commands.map((c) => [c.op, c.chain, c.span.line, c.span.column])).toEqual([
      ["append", "INPUT", 2, 8],
      ["flush", "INPUT", 3, 17],
      ["list", null, 4, 10],
    ]);
  });
  it("a subshell or a pattern-like word elsewhere is left alone", () => {
    const rs = parse("#!/bin/sh\n( iptables -A INPUT -j ACCEPT )\necho a) iptables\n");
    expect(rs.commands.map((c) => [c.op, c.span.line])).toEqual([["append", 2]]);
  });
});

describe("shell scripts: words next to parentheses and redirections", () => {
  it("reads a command in a subshell, a group or a one-line function, without spaces around the parentheses", () => {
    const text = [
      "#!/bin/sh",
      "(iptables -A INPUT -p tcp --dport 22 -j ACCEPT)",
      "(iptables -A INPUT -p tcp --dport 23 -j ACCEPT)&& echo ok",
      "fw() { iptables -A INPUT -p tcp --dport 80 -j ACCEPT; }",
      "fw2(){ iptables -A INPUT -p tcp --dport 81 -j ACCEPT;}",
      "iptables -A INPUT -p tcp --dport 82 -j ACCEPT>/dev/null 2>&1",
      "",
    ].join("\n");
    const rs = parse(text);
    expect(codes(rs)).toEqual([]);
    expect(rs.commands.map((c) => [c.span.line, c.span.column, c.rule!.matches.flatMap((m) => m.options).find((o) => o.name === "--dport")!.valueText(0), c.rule!.target!.name])).toEqual([
      [2, 2, "22", "ACCEPT"],
      [3, 2, "23", "ACCEPT"],
      [4, 8, "80", "ACCEPT"],
      [5, 8, "81", "ACCEPT"],
      [6, 1, "82", "ACCEPT"],
    ]);
    // Without a #! line, such a first line still tells a script.
    for (const first of ["(iptables -A INPUT -j ACCEPT)", "fw() { iptables -A INPUT -j ACCEPT; }", "fw(){ iptables -A INPUT -j ACCEPT; }"]) {
      const r = parse(`${first}\n`);
      expect([r.format, r.commands.length, codes(r)], first).toEqual(["script", 1, []]);
    }
  });
});

describe("shell scripts: functions and case branches", () => {
  const lines = (rs: ReturnType<typeof parse>, chain = "INPUT") => rs.tables.find((t) => t.name === "filter")!.chains.find((c) => c.name === chain)!.rules.map((r) => r.span.line);
  const INIT = [
    "#!/bin/sh", //                                            1
    "IPT=/sbin/iptables", //                                   2
    "start() {", //                                            3
    "  $IPT -P INPUT DROP", //                                 4
    "  $IPT -A INPUT -i lo -j ACCEPT", //                      5
    "  allow_ssh", //                                          6
    "}", //                                                    7
    "allow_ssh() { $IPT -A INPUT -p tcp --dport 22 -j ACCEPT; }", // 8
    "stop()", //                                               9
    "{", //                                                   10
    "  $IPT -F", //                                           11
    "  $IPT -P INPUT ACCEPT", //                              12
    "  $IPT -A INPUT -p tcp --dport 80 -j ACCEPT", //         13
    "}", //                                                   14
    "case \"$1\" in", //                                       15
    "  stop) stop ;;", //                                     16
    "  start|reload) start ;;", //                            17
    "  restart) stop; start ;;", //                           18
    "  *) echo usage ;;", //                                  19
    "esac", //                                                20
    "",
  ].join("\n");

  it("runs functions where they are called, and of a case with a start branch that branch alone", () => {
    const rs = parse(INIT);
    expect(codes(rs)).toEqual([]);
    const filter = rs.tables.find((t) => t.name === "filter")!;
    expect(filter.chains.find((c) => c.name === "INPUT")!.policy).toBe("DROP");
    // start's rules, and allow_ssh's through start (defined after start, called when start runs)
    expect(lines(rs)).toEqual([5, 8]);
    // stop's rule never runs on that way: kept apart, checked as iptables checks it when it runs
    expect(rs.removedRules.map((r) => [r.rule.span.line, r.by.span.line])).toEqual([[13, 13]]);
    // every command once, in source order
    expect(rs.commands.map((c) => c.span.line)).toEqual([4, 5, 8, 11, 12, 13]);
  });

  it("without a start branch, runs every branch in order; a function called twice runs twice", () => {
    const rs = parse(INIT.replace("start|reload)", "up|reload)"));
    // stop, then up (start), then restart (stop; start): the second stop's -F empties the chain, then its
    // own rule and start's are appended
    expect(lines(rs)).toEqual([13, 5, 8]);
    expect(rs.commands.filter((c) => c.span.line === 5)).toHaveLength(2);
    expect(rs.commands.filter((c) => c.span.line === 13)).toHaveLength(2);
    const twice = parse("#!/bin/sh\nfw() {\n  iptables -A INPUT -s 10.0.0.1 -j DROP\n}\nfw\nfw\n");
    expect(lines(twice)).toEqual([3, 3]);
  });

  it("takes a dispatch through the first argument (\"$1\") as a call of start", () => {
    for (const dispatch of ['"$1"', "$1", "${1}", 'case "$1" in\n  start|stop) "$1" ;;\nesac']) {
      const rs = parse(`#!/bin/sh\nstart() { iptables -A INPUT -j ACCEPT; }\nstop() { iptables -F; }\n${dispatch}\n`);
      expect(lines(rs), dispatch).toEqual([2]);
    }
  });

  it("gives a function its call's words as $1…$9, splits unquoted values at blanks, drops empty ones", () => {
    const text = [
      "#!/bin/sh",
      'OPTS="-p tcp --dport 22"',
      'EXTRA=""',
      'block() { iptables -A INPUT -s "$1" $EXTRA -j "${2}"; }',
      "block 10.0.0.1 DROP",
      "block 10.0.0.2 REJECT",
      // a word not given is unset, not empty: ${3-…} gives the default
      'tail() { iptables -A INPUT -s $1 $2 -j ${3-RETURN}; }',
      "tail 10.0.0.3",
      "iptables -A INPUT $OPTS -j ACCEPT",
      'iptables -A OUTPUT -d "$1" -j DROP',
      "",
    ].join("\n");
    const rs = parse(text);
    expect(codes(rs)).toEqual([]);
    expect(rs.tables.find((t) => t.name === "filter")!.chains.find((c) => c.name === "INPUT")!.rules.flatMap((r) => canonicalRuleLines(r, "ipv4"))).toEqual([
      "-s 10.0.0.1/32 -j DROP",
      "-s 10.0.0.2/32 -j REJECT --reject-with icmp-port-unreachable",
      "-s 10.0.0.3/32 -j RETURN",
      "-p tcp -m tcp --dport 22 -j ACCEPT",
    ]);
    // the script's own $1 stays unknown (not the text "$1", which is no address)
    const out = rs.tables.find((t) => t.name === "filter")!.chains.find((c) => c.name === "OUTPUT")!.rules[0]!.criteria[0]!;
    expect([out.valueText(0), out.valueDynamic(0)]).toEqual(["$1", true]);
  });

  it("leaves a wrapper that passes on all its arguments (\"$@\") alone, and reads the calls", () => {
    const rs = parse('#!/bin/sh\niptables() {\n  /sbin/iptables -w "$@"\n}\nipt() { iptables $* ; }\niptables -A INPUT -p tcp --dport 22 -j ACCEPT\n');
    expect(codes(rs)).toEqual([]);
    expect(lines(rs)).toEqual([6]);
  });

  it("runs a for loop's body once per word, with its variable set; other loops once", () => {
    const text = [
      "#!/bin/sh",
      'PORTS="22 80"',
      "for p in $PORTS 443; do",
      "  iptables -A INPUT -p tcp --dport $p -j ACCEPT",
      "done",
      'for n in "10.0.0.0/8" ; do iptables -A FORWARD -s $n -j DROP; done',
      "for x in $1; do iptables -A OUTPUT -d $x -j DROP; done",
      'while read ip; do iptables -A INPUT -s "$ip" -j DROP; done < /etc/blocklist',
      "",
    ].join("\n");
    const rs = parse(text);
    expect(codes(rs)).toEqual([]);
    const filter = rs.tables.find((t) => t.name === "filter")!;
    const values = (chain: string, option: string) =>
      filter.chains.find((c) => c.name === chain)!.rules.map((r) => [...r.criteria, ...r.matches.flatMap((m) => m.options)].find((o) => o.name === option)?.valueText(0));
    expect(values("INPUT", "--dport")).toEqual(["22", "80", "443", undefined]);
    expect(values("FORWARD", "-s")).toEqual(["10.0.0.0/8"]);
    // words not known ($1): the body once, the variable unknown
    expect(values("OUTPUT", "-d")).toEqual(["$x"]);
    expect(rs.commands.filter((c) => c.span.line === 4)).toHaveLength(3);
    // a while loop's condition is read too
    const cond = parse("#!/bin/sh\nwhile ! iptables -C INPUT -j DROP; do\n  iptables -A INPUT -j DROP\ndone\n");
    expect(cond.commands.map((c) => [c.span.line, c.op])).toEqual([[2, "check"], [3, "append"]]);
    // a loop opened on the line of a one-line function's header, and closed before its brace
    const inline = parse("#!/bin/sh\nf() { for p in 1 2; do iptables -A INPUT -p tcp --dport $p -j ACCEPT; done; }\nf\n");
    expect(inline.tables.find((t) => t.name === "filter")!.chains.find((c) => c.name === "INPUT")!.rules.map((r) => r.matches[0]!.options[0]!.valueText(0))).toEqual(["1", "2"]);
  });

  it("reads a quoted string that goes on over a line break as the shell does", () => {
    const rs = parse('#!/bin/sh\nNETS="10.1.0.0/16\n10.2.0.0/16"\nfor n in $NETS; do iptables -A INPUT -s $n -j ACCEPT; done\necho \'a\nb\'\niptables -A INPUT -j DROP\n');
    expect(codes(rs)).toEqual([]);
    const input = rs.tables.find((t) => t.name === "filter")!.chains.find((c) => c.name === "INPUT")!;
    expect(input.rules.map((r) => [r.span.line, r.criteria.find((o) => o.name === "-s")?.valueText(0) ?? null])).toEqual([
      [4, "10.1.0.0/16"],
      [4, "10.2.0.0/16"],
      [7, null],
    ]);
  });

  it("reads the other family's commands also when they do not run on the way followed", () => {
    const text = '#!/bin/sh\ncase "$1" in\n  start) iptables -A INPUT -j ACCEPT ;;\n  stop) ip6tables -A INPUT --src-range ::1-::2 -j DROP ;;\nesac\n';
    expect(parse(text, { family: "ipv4" }).otherFamilyCommands).toBe(1);
    expect(lint({ text, kind: "script" }).messages.map((m) => [m.span.line, m.ruleId])).toEqual([[4, "option-requires-match"]]);
  });

  it("reads a script whose shape does not close in the order written", () => {
    // the function is never closed: no call can be told from its body
    const rs = parse("#!/bin/sh\nfw() {\n  iptables -A INPUT -j ACCEPT\nstop() { iptables -F; }\n");
    expect(lines(rs)).toEqual([]);
    expect(rs.commands.map((c) => c.op)).toEqual(["append", "flush"]);
    // a `}` too many
    const extra = parse("#!/bin/sh\n}\niptables -A INPUT -j ACCEPT\n");
    expect(lines(extra)).toEqual([3]);
  });

  it("checks the rules of a function never called and of the other branches, as iptables would when they run", () => {
    const text = [
      "#!/bin/sh",
      "case \"$1\" in",
      "  start)",
      "    iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
      "    ;;",
      "  stop)",
      "    iptables -A INPUT --src-range 10.0.0.1-10.0.0.9 -j DROP",
      "    ;;",
      "esac",
      "unused() { iptables -A OUTPUT -i eth0 -j DROP; }",
      "",
    ].join("\n");
    expect(lint({ text, kind: "script" }).messages.map((m) => [m.span.line, m.ruleId])).toEqual([
      [7, "option-requires-match"],
      [10, "target-not-allowed"],
    ]);
  });
});
