/**
 * Mutants for the kernel-agreement test: each takes a ruleset the kernel accepts and makes ONE realistic edit —
 * a mistake people make (dropped `-m`, typo, wrong chain, bad value, …) or a look-alike spelling that is still
 * valid (long aliases, numeric protocols, `! --syn`, open port ranges, counters, `-g`, `+` wildcards, getopt
 * abbreviations, …). The kernel decides which is which; the test compares fwlint with its verdict.
 */
import type { Family } from "../../src/ast/iptables.js";

export interface Mutant {
  readonly base: string;
  readonly op: string;
  readonly text: string;
  readonly family: Family;
  /** 1-based lines the edit touched (where a rejection is expected to be reported). */
  readonly lines: readonly number[];
}

type Lines = string[];
interface Edit {
  readonly lines: Lines;
  readonly touched: readonly number[];
}
/** An operator returns every way it can apply to the file (the test samples a few). */
type Operator = (lines: readonly string[], family: Family) => Edit[];

const isRule = (l: string) => /^(?:\[\d+:\d+\]\s+)?-[AI] \S/.test(l);
const userChains = (lines: readonly string[]) => lines.flatMap((l, k) => (/^:(\S+) - /.exec(l) ? [{ name: /^:(\S+) - /.exec(l)![1]!, line: k }] : []));

/** Each *table block (its COMMIT line) that declares at least `n` user chains, with their names. */
function blocksWithChains(lines: readonly string[], n: number): { commit: number; chains: string[] }[] {
  const out: { commit: number; chains: string[] }[] = [];
  let chains: string[] = [];
  lines.forEach((l, k) => {
    if (l.startsWith("*")) chains = [];
    const m = /^:(\S+) - /.exec(l);
    if (m) chains.push(m[1]!);
    if (l.trim() === "COMMIT" && chains.length >= n) out.push({ commit: k, chains });
  });
  return out;
}

/** Replace the first match of `re` in one rule line, for every rule line where it matches. */
function onRules(re: RegExp, replace: string | ((m: RegExpExecArray, line: string) => string | null), filter: (l: string) => boolean = () => true): Operator {
  return (lines) => {
    const out: Edit[] = [];
    lines.forEach((l, k) => {
      if (!isRule(l) || !filter(l)) return;
      const once = new RegExp(re.source, re.flags.replace("g", ""));
      const m = once.exec(l);
      if (!m) return;
      let edited: string;
      if (typeof replace === "string") edited = l.replace(once, replace);
      else {
        const by = replace(m, l);
        if (by === null) return;
        edited = l.slice(0, m.index) + by + l.slice(m.index + m[0].length);
      }
      if (edited === l) return;
      const copy = [...lines];
      copy[k] = edited;
      out.push({ lines: copy, touched: [k + 1] });
    });
    return out;
  };
}

function swapInner(word: string): string {
  // swap two letters in the middle: --dport → --dpotr style typos
  const core = word.replace(/^-+/, "");
  if (core.length < 4) return word + "x";
  const i = Math.floor(core.length / 2);
  const swapped = core.slice(0, i - 1) + core[i] + core[i - 1] + core.slice(i + 1);
  return word.slice(0, word.length - core.length) + (swapped === core ? core + "x" : swapped);
}

const LONG = "averyveryverylongchainnameabc"; // 29 characters

export const MISTAKES: Record<string, Operator> = {
  // option-requires-match
  "drop -m iprange": onRules(/-m iprange /, ""),
  "drop -m conntrack": onRules(/-m conntrack /, ""),
  "drop -m state": onRules(/-m state /, ""),
  "drop -m multiport": onRules(/-m multiport /, ""),
  "drop -m comment": onRules(/-m comment /, ""),
  "drop -m mark": onRules(/-m mark /, ""),
  "drop -m addrtype": onRules(/-m addrtype /, ""),
  "drop -m limit": onRules(/-m limit /, ""),
  "drop -m mac": onRules(/-m mac /, ""),
  "drop -m physdev": onRules(/-m physdev /, ""),
  "drop -m set": onRules(/-m set /, ""),
  "drop -m icmp": onRules(/-m icmp6? /, ""),
  "drop -p and -m tcp": onRules(/-p tcp (-m tcp )?/, "", (l) => /--dport|--sport|--tcp-flags|--syn/.test(l)),
  "drop -p udp": onRules(/-p udp (-m udp )?/, "", (l) => /--dport|--sport/.test(l)),
  "drop -j before target option": onRules(/-j (DNAT|SNAT|LOG|MARK|REJECT|CONNMARK|MASQUERADE|REDIRECT) (?=--)/, ""),
  "move --dport before -p": onRules(/-p (tcp|udp) -m \1 --dport (\S+)/, "--dport $2 -p $1"),
  // unknown-option / unknown-match / unknown-target
  "typo in option": onRules(/ (--(?:dport|sport|ctstate|state|dports|comment|src-range|to-destination|to-source|log-prefix|reject-with|mark|set-xmark|icmp-type|tcp-flags|match-set|src-type|dst-type|limit|to-ports|physdev-in|physdev-out|mac-source|uid-owner)) /, (m) => ` ${swapInner(m[1]!)} `),
  "option of the other family": onRules(/--icmp-type /, "--icmpv6-type ", undefined),
  "typo in match": onRules(/-m (conntrack|multiport|comment|addrtype|iprange|state|limit|physdev|mark|set|owner|recent|hashlimit|connmark) /, (m) => `-m ${m[1]!.slice(0, -2) + m[1]!.slice(-1)} `),
  "match of the other family": onRules(/-m icmp6? /, (m) => (m[0].includes("6") ? "-m icmp " : "-m icmp6 ")),
  "typo in target": onRules(/-j (ACCEPT|DROP|REJECT|RETURN|LOG|DNAT|SNAT|MASQUERADE|MARK|REDIRECT|CONNMARK)\b/, (m) => `-j ${swapInner(m[1]!)}`),
  "lower-case target": onRules(/-j (ACCEPT|DROP|REJECT|RETURN|LOG|DNAT|MASQUERADE)\b/, (m) => `-j ${m[1]!.toLowerCase()}`),
  // undefined-chain
  "jump to undeclared chain": onRules(/-j ([A-Za-z][\w-]*)/, (m, l) => (/^(ACCEPT|DROP|RETURN|QUEUE|[A-Z]+)$/.test(m[1]!) && !m[1]!.includes("-") && m[1] === m[1]!.toUpperCase() && !/[a-z]/.test(m[1]!) && !l.includes(`-j ${m[1]} `) ? null : `-j ${m[1]}-X`), (l) => / -j [A-Za-z]+[-_]/.test(l) || / -j [a-z]/.test(l)),
  "append to undeclared chain": onRules(/^(?:\[\d+:\d+\] )?-A ([\w-]+)/, (m) => m[0].replace(m[1]!, `${m[1]}-X`), (l) => !/^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) /.test(l)),
  "jump to a built-in chain": onRules(/ -j (ACCEPT|DROP|RETURN)$/, (m, l) => (/^-A (INPUT|OUTPUT|FORWARD) /.test(l) ? ` -j ${/^-A OUTPUT /.test(l) ? "INPUT" : "OUTPUT"}` : null)),
  "built-in chain of another table": (lines) => {
    const out: Edit[] = [];
    let table = "";
    lines.forEach((l, k) => {
      if (l.startsWith("*")) table = l.slice(1).trim();
      if (table === "filter" && /^-A INPUT /.test(l)) out.push({ lines: lines.map((x, j) => (j === k ? x.replace("-A INPUT ", "-A PREROUTING ") : x)), touched: [k + 1] });
    });
    return out;
  },
  "remove a chain declaration": (lines) =>
    userChains(lines)
      .filter((c) => lines.some((l) => isRule(l) && (l.includes(`-A ${c.name} `) || l.includes(`-j ${c.name}`))))
      .map((c) => {
        const copy = lines.filter((_, j) => j !== c.line);
        const uses = copy.flatMap((l, j) => (isRule(l) && (l.startsWith(`-A ${c.name} `) || l.endsWith(`-j ${c.name}`) || l.includes(`-j ${c.name} `) || l.includes(`-g ${c.name}`)) ? [j + 1] : []));
        return { lines: copy, touched: uses.slice(0, 1) };
      }),
  // invalid-argument
  "address octet out of range": onRules(/(-[sd]|--to-destination|--to-source) (\d+)\.(\d+)\.(\d+)\.(\d+)/, (m) => `${m[1]} ${m[2]}.${m[3]}.${m[4]}.300`),
  "prefix too long": onRules(/(-[sd]) (\d+\.\d+\.\d+\.\d+)\/(\d+)/, (m) => `${m[1]} ${m[2]}/33`),
  "IPv6 prefix too long": onRules(/(-[sd]) ([0-9a-f:]+:[0-9a-f:]*)\/(\d+)/, (m) => `${m[1]} ${m[2]}/129`),
  "address of the other family": onRules(/(-[sd]) (\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f:]+)(\/\d+)?/, (m) => `${m[1]} ${m[2]!.includes(":") ? "10.1.2.3" : "2001:db8::1"}`),
  "port out of range": onRules(/--(dport|sport) (\d+)\b/, (m) => `--${m[1]} 70000`),
  "reversed port range": onRules(/--(dport|sport) (\d+)(?=\s)/, (m) => `--${m[1]} ${Number(m[2]) + 10}:${m[2]}`),
  "too many multiport ports": onRules(/--dports (\S+)/, () => `--dports ${Array.from({ length: 16 }, (_, k) => 1000 + k).join(",")}`),
  "unknown conntrack state": onRules(/--ctstate (\S+)/, (m) => `--ctstate ${m[1]!.replace(/ESTABLISHED|RELATED|NEW|INVALID|DNAT/, (s) => s.slice(0, -1))}`),
  "unknown state": onRules(/--state (\S+)/, (m) => `--state ${m[1]!.replace(/ESTABLISHED|RELATED|NEW|INVALID/, (s) => s + "S")}`),
  "unknown reject type": onRules(/--reject-with (\S+)/, (m) => `--reject-with ${m[1]!.replace(/unreachable|prohibited|reset/, "unreach")}`),
  "bad mark": onRules(/--(set-xmark|set-mark|mark) (\S+)/, (m) => `--${m[1]} 0xfoo`),
  "bad DNAT port": onRules(/--to-destination (\S+):(\d+)/, (m) => `--to-destination ${m[1]}:99999`),
  "bad DNAT address": onRules(/--to-destination (\d+\.\d+\.\d+)\.\d+/, (m) => `--to-destination ${m[1]}.256`),
  "unknown protocol": onRules(/-p (tcp|udp|icmp)\b/, () => "-p tcpp", (l) => !/--(dport|sport|icmp)/.test(l)),
  "bad limit rate": onRules(/--limit (\d+)\/(\w+)/, (m) => `--limit ${m[1]}/fortnight`),
  "bad icmp type": onRules(/--icmp(v6)?-type (\S+)/, (m) => `--icmp${m[1] ?? ""}-type echo-requestt`),
  "bad tcp flag": onRules(/--tcp-flags (\S+) (\S+)/, (m) => `--tcp-flags ${m[1]} ${m[2]},SYNN`),
  "bad log level": onRules(/--log-level (\S+)/, () => "--log-level loud"),
  "bad addrtype": onRules(/--(src|dst)-type (\S+)/, (m) => `--${m[1]}-type LOCALL`),
  // target-not-allowed
  "DNAT in POSTROUTING": onRules(/^-A (PREROUTING|OUTPUT) /, "-A POSTROUTING ", (l) => /-j DNAT\b/.test(l)),
  "MASQUERADE in PREROUTING": onRules(/^-A POSTROUTING /, "-A PREROUTING ", (l) => /-j (MASQUERADE|SNAT)\b/.test(l)),
  "-i in OUTPUT": onRules(/^-A OUTPUT /, "-A OUTPUT -i eth0 ", (l) => !/ -i /.test(l)),
  "-o in INPUT": onRules(/^-A (INPUT|PREROUTING) /, (m) => `${m[0]}-o eth0 `, (l) => !/ -o /.test(l)),
  "jump from POSTROUTING into a chain with DNAT": (lines) => {
    const out: Edit[] = [];
    let table = "";
    const chains = new Set<string>();
    lines.forEach((l, k) => {
      if (l.startsWith("*")) table = l.slice(1).trim();
      const m = /^-A (\S+) .*-j DNAT\b/.exec(l);
      if (table !== "nat" || !m || ["PREROUTING", "OUTPUT", "POSTROUTING", "INPUT"].includes(m[1]!) || chains.has(m[1]!)) return;
      chains.add(m[1]!);
      const commit = lines.findIndex((x, j) => j > k && x.trim() === "COMMIT");
      if (commit > 0) out.push({ lines: [...lines.slice(0, commit), `-A POSTROUTING -j ${m[1]}`, ...lines.slice(commit)], touched: [commit + 1] });
    });
    return out;
  },
  "jump from the wrong built-in chain into a chain with REJECT": (lines) => {
    const out: Edit[] = [];
    let table = "";
    const chains = new Set<string>();
    lines.forEach((l, k) => {
      if (l.startsWith("*")) table = l.slice(1).trim();
      const m = /^-A (\S+) .*-j REJECT\b/.exec(l);
      if (table !== "mangle" && table !== "filter") return;
      if (!m || ["INPUT", "FORWARD", "OUTPUT"].includes(m[1]!) || chains.has(m[1]!)) return;
      chains.add(m[1]!);
      const commit = lines.findIndex((x, j) => j > k && x.trim() === "COMMIT");
      if (commit > 0 && table === "mangle") out.push({ lines: [...lines.slice(0, commit), `-A PREROUTING -j ${m[1]}`, ...lines.slice(commit)], touched: [commit + 1] });
      if (commit > 0 && table === "filter") {
        // the same chain reached from mangle's PREROUTING does not exist; move the chain's REJECT into a mangle copy instead
        out.push({ lines: [...lines, "*mangle", `:${m[1]} - [0:0]`, `-A PREROUTING -j ${m[1]}`, `-A ${m[1]} -j REJECT`, "COMMIT"], touched: [lines.length + 3, lines.length + 4] });
      }
    });
    return out;
  },
  "REJECT in PREROUTING": onRules(/^-A (INPUT|FORWARD) (.*)-j (ACCEPT|DROP)$/, (m) => `-A PREROUTING ${m[2]}-j REJECT`),
  "NAT target in filter": (lines) => {
    const out: Edit[] = [];
    let table = "";
    lines.forEach((l, k) => {
      if (l.startsWith("*")) table = l.slice(1).trim();
      if (table === "filter" && /^-A FORWARD .*-j ACCEPT$/.test(l)) out.push({ lines: lines.map((x, j) => (j === k ? x.replace(/-j ACCEPT$/, "-j MASQUERADE") : x)), touched: [k + 1] });
    });
    return out;
  },
  "reject type of the other family": onRules(/--reject-with icmp(6?)-(\S+)/, (m) => (m[1] ? "--reject-with icmp-port-unreachable" : "--reject-with icmp6-port-unreachable")),
  "stray word after the target": onRules(/ -j (ACCEPT|DROP|RETURN)$/, " -j $1 now"),
  "double negation": onRules(/ ! (-[sdio]) /, " ! ! $1 "),
  "line cut in the middle": onRules(/ -j (\S+)$/, (m) => ` -j ${m[1]!.slice(0, Math.max(1, m[1]!.length - 3))}$`),
  "option cut before its value": onRules(/ (--dport|--sport|--ctstate|--state|--comment|--log-prefix) ("[^"]*"|\S+)$/, " $1"),
  "--to-ports without REDIRECT": onRules(/-j (MASQUERADE|REDIRECT) --to-ports (\S+)/, "-j ACCEPT --to-ports $2"),
  "-p sctp with --tcp-flags": onRules(/-p tcp (-m tcp )?(.*--tcp-flags)/, "-p sctp $2"),
  "unknown service name": onRules(/--dport (ssh|http|https|domain|\d+)\b(?![:,\d])/, "--dport sshh"),
  "reversed NAT address range": onRules(/--to-destination (\d+\.\d+\.\d+)\.(\d+)\b(?![.\d-])/, (m) => `--to-destination ${m[1]}.${Number(m[2]) < 255 ? Number(m[2]) + 1 : 254}-${m[1]}.${m[2]}`),
  "--to-ports without -p": onRules(/-p (tcp|udp) (-m \1 )?(.*-j (?:MASQUERADE|REDIRECT) --to-ports)/, "$3"),
  "DNAT port without -p": onRules(/-p (tcp|udp) (?:-m \1 )?--dport \S+ (?=.*-j DNAT --to-destination \S+:\d+)/, ""),
  "-m multiport without -p": onRules(/-p (tcp|udp) (?:-m \1 )?(.*-m multiport)/, "$2"),
  "TCPMSS without -p tcp": onRules(/-p tcp (-m tcp )?(.*-j TCPMSS)/, "$2"),
  // structure
  "misspelt table header": (lines) => lines.flatMap((l, k) => (/^\*(filter|nat|mangle|raw)$/.test(l) ? [{ lines: lines.map((x, j) => (j === k ? x.slice(0, -1) : x)), touched: [k + 1] }] : [])).slice(0, 1),
  "misspelt COMMIT": (lines) => lines.flatMap((l, k) => (l === "COMMIT" ? [{ lines: lines.map((x, j) => (j === k ? "COMIT" : x)), touched: [k + 1] }] : [])).slice(0, 1),
  "remove COMMIT": (lines) =>
    lines.flatMap((l, k) => {
      if (l.trim() !== "COMMIT") return [];
      const header = lines.slice(0, k).map((x) => x.startsWith("*")).lastIndexOf(true);
      return [{ lines: lines.filter((_, j) => j !== k), touched: header >= 0 ? [header + 1] : [] }];
    }),
  "duplicate declaration": (lines) => userChains(lines).map((c) => ({ lines: [...lines.slice(0, c.line + 1), lines[c.line]!, ...lines.slice(c.line + 1)], touched: [c.line + 2] })),
  "-N of a declared chain": (lines) => userChains(lines).map((c) => ({ lines: [...lines.slice(0, c.line + 1), `-N ${c.name}`, ...lines.slice(c.line + 1)], touched: [c.line + 2] })),
  "policy on a user chain": (lines) => userChains(lines).map((c) => ({ lines: lines.map((l, j) => (j === c.line ? l.replace(" - ", " DROP ") : l)), touched: [c.line + 1] })),
  "bad policy name": (lines) => lines.flatMap((l, k) => (/^:(INPUT|FORWARD|OUTPUT) (ACCEPT|DROP)/.test(l) ? [{ lines: lines.map((x, j) => (j === k ? x.replace(/ (ACCEPT|DROP) /, " REJECT ") : x)), touched: [k + 1] }] : [])),
  "-P on a user chain": (lines) => {
    const commit = lines.findIndex((l) => l.trim() === "COMMIT");
    const c = userChains(lines).find((u) => u.line < commit);
    return c ? [{ lines: [...lines.slice(0, commit), `-P ${c.name} DROP`, ...lines.slice(commit)], touched: [commit + 1] }] : [];
  },
  "jump loop": (lines) => {
    const out: Edit[] = [];
    for (const c of userChains(lines)) {
      const jumpFrom = lines.findIndex((l) => isRule(l) && l.endsWith(`-j ${c.name}`) && /^-A (\S+)/.exec(l)![1] !== c.name);
      if (jumpFrom < 0) continue;
      const parent = /^-A (\S+)/.exec(lines[jumpFrom]!)![1]!;
      if (["INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"].includes(parent)) {
        out.push({ lines: [...lines.slice(0, jumpFrom + 1), `-A ${c.name} -j ${c.name}`, ...lines.slice(jumpFrom + 1)], touched: [jumpFrom + 2] });
      } else {
        out.push({ lines: [...lines.slice(0, jumpFrom + 1), `-A ${c.name} -j ${parent}`, ...lines.slice(jumpFrom + 1)], touched: [jumpFrom + 2] });
      }
    }
    return out;
  },
  "chain name too long": (lines) =>
    userChains(lines).map((c) => ({ lines: lines.map((l) => l.split(c.name).join(LONG)), touched: [c.line + 1] })).slice(0, 2),
  "interface name too long": onRules(/(-[io]) ([\w.]+)/, (m) => `${m[1]} ${m[2]}abcdefghijklmnop`.slice(0, m[1]!.length + 1 + 16)),
  "log prefix too long": onRules(/--log-prefix ("[^"]*"|\S+)/, () => `--log-prefix "${"p".repeat(40)}"`),
  "comment too long": onRules(/--comment ("[^"]*"|\S+)/, () => `--comment "${"c".repeat(300)}"`),
  // negation
  "legacy negation": onRules(/! (-[sdio]|--dport|--sport|--ctstate|--state) (\S+)/, "$1 ! $2"),
  "negated protocol of a port match": onRules(/(?<!! )-p (tcp|udp) (-m \1 )?(--[ds]port \S+)/, "! -p $1 $2$3"),
  "negated protocol of an icmp match": onRules(/(?<!! )-p icmp (-m icmp )?--icmp-type (\S+)/, "! -p icmp $1--icmp-type $2"),
  "negated protocol of multiport": onRules(/(?<!! )-p (tcp|udp) (.*-m multiport)/, "! -p $1 $2"),
  "-p after multiport's ports": onRules(/-p (tcp|udp) (.*)(-m multiport --d?s?ports \S+)/, "$2$3 -p $1"),
  "negated -p all": onRules(/(?<!! )-p (tcp|udp|icmp|ipv6-icmp)(?= )/, "! -p all"),
  "negated address with a zero mask": onRules(/ -([sd]) (\d+\.\d+\.\d+\.\d+\/\d+|[0-9a-f:]+::?[0-9a-f:]*\/\d+)(?= )/, (m) => ` ! -${m[1]} ${m[2]!.replace(/\/\d+$/, "/0")}`),
  "tcp-reset by its alias without -p tcp": onRules(/-p tcp (-m tcp )?(.*-j REJECT --reject-with) tcp-reset/, "$2 tcp-rst"),
  "zero --limit-burst": onRules(/--limit-burst \d+/, "--limit-burst 0"),
  "declaration moved below the rules": (lines) =>
    blocksWithChains(lines, 1).flatMap((b) => {
      const k = lines.findIndex((l, j) => j < b.commit && l.startsWith(`:${b.chains[0]} `));
      if (k < 0) return [];
      const moved = [...lines.slice(0, k), ...lines.slice(k + 1, b.commit), lines[k]!, ...lines.slice(b.commit)];
      const uses = moved.flatMap((l, j) => (j > k - 1 && j < b.commit - 1 && new RegExp(`^-A ${b.chains[0]} | -[jg] ${b.chains[0]}(\\s|$)`).test(l) ? [j + 1] : []));
      return [{ lines: moved, touched: [...uses, b.commit] }];
    }).slice(0, 1),
  "DROP in nat": (lines) => {
    const out: Edit[] = [];
    let table = "";
    lines.forEach((l, k) => {
      if (l.startsWith("*")) table = l.slice(1).trim();
      if (table === "nat" && isRule(l) && / -j (ACCEPT|RETURN|MASQUERADE)$/.test(l)) out.push({ lines: lines.map((x, j) => (j === k ? x.replace(/ -j \S+$/, " -j DROP") : x)), touched: [k + 1] });
    });
    return out;
  },
  "TRACE outside raw": onRules(/ -j (ACCEPT|DROP|RETURN)$/, " -j TRACE"),
  "-X of a chain in use": (lines) =>
    blocksWithChains(lines, 1)
      .filter((b) => lines.some((l, j) => j < b.commit && (l.startsWith(`-A ${b.chains[0]} `) || new RegExp(` -[jg] ${b.chains[0]}(\\s|$)`).test(l))))
      .map((b) => ({ lines: [...lines.slice(0, b.commit), `-X ${b.chains[0]}`, ...lines.slice(b.commit)], touched: [b.commit + 1] }))
      .slice(0, 1),
  "-F of an undeclared chain": (lines) => {
    const commit = lines.findIndex((l) => l.trim() === "COMMIT");
    return commit < 0 ? [] : [{ lines: [...lines.slice(0, commit), "-F FWLINT-NONE", ...lines.slice(commit)], touched: [commit + 1] }];
  },
  "-E onto a declared chain": (lines) => blocksWithChains(lines, 2).map((b) => ({ lines: [...lines.slice(0, b.commit), `-E ${b.chains[0]} ${b.chains[1]}`, ...lines.slice(b.commit)], touched: [b.commit + 1] })).slice(0, 1),
  "-E of a declared chain": (lines) => blocksWithChains(lines, 1).map((b) => ({ lines: [...lines.slice(0, b.commit), `-E ${b.chains[0]} FWLINT-RENAMED`, ...lines.slice(b.commit)], touched: [b.commit + 1] })).slice(0, 1),
  "closing quote removed": onRules(/(--comment|--log-prefix|--nflog-prefix) "([^"\\]*)"/, '$1 "$2'),
  "negation before and after the option": onRules(/! (-[sdio]|--dport|--sport|--ctstate|--state|--mark) (\S+)/, "! $1 ! $2"),
  "negated non-negatable option": onRules(/ (--to-destination|--to-source|--log-prefix|--reject-with|--comment|--set-xmark|--to-ports) /, " ! $1 "),
  "negated -j": onRules(/ -j /, " ! -j "),
  // protocol and required options
  "-m tcp with -p udp": onRules(/-p tcp -m tcp/, "-p udp -m tcp"),
  "-m tcp without -p": onRules(/-p tcp (?=-m tcp)/, ""),
  "DNAT without --to-destination": onRules(/ --to-destination \S+/, ""),
  "SNAT without --to-source": onRules(/ --to-source \S+/, ""),
  "-m comment without --comment": onRules(/(-m comment) --comment ("[^"]*"|\S+)/, "$1"),
  "-m conntrack without options": onRules(/(-m conntrack) --ctstate \S+/, "$1"),
  "tcp-reset without -p tcp": onRules(/-j REJECT --reject-with \S+/, "-j REJECT --reject-with tcp-reset", (l) => !/-p tcp/.test(l)),
  "repeated option": onRules(/(-[sd]) (\S+)/, "$1 $2 $1 $2"),
  "repeated match option": onRules(/--ctstate (\S+)/, "--ctstate $1 --ctstate $1"),
  "conflicting options": onRules(/--to-ports (\S+)/, "--to-ports $1 --random --random-fully --to-ports $1"),
  "-t in a rule": onRules(/^-A /, "-t filter -A "),
  // layout
  "indented declaration": (lines) => lines.flatMap((l, k) => (l.startsWith(":") ? [{ lines: lines.map((x, j) => (j === k ? `  ${x}` : x)), touched: [k + 1] }] : [])).slice(0, 2),
  "indented comment": (lines) => lines.flatMap((l, k) => (l.startsWith("#") && k > 0 ? [{ lines: lines.map((x, j) => (j === k ? `\t${x}` : x)), touched: [k + 1] }] : [])).slice(0, 2),
  "trailing space after COMMIT": (lines) => lines.flatMap((l, k) => (l === "COMMIT" ? [{ lines: lines.map((x, j) => (j === k ? "COMMIT " : x)), touched: [k + 1] }] : [])),
  "whitespace-only line": (lines) => {
    const k = lines.findIndex((l) => isRule(l));
    return k < 0 ? [] : [{ lines: [...lines.slice(0, k), "   ", ...lines.slice(k)], touched: [k + 1] }];
  },
  "missing option value": onRules(/(--dport|--comment|--log-prefix|-s|-d) ("[^"]*"|\S+) (?=-)/, "$1 "),
  "no-break space before -j": onRules(/([^"\s]) -j /, "$1\u00a0-j "),
  "unquoted comment with spaces": onRules(/--comment "([^"\\]* [^"\\]*)"/, "--comment $1"),
};

export const LOOKALIKES: Record<string, Operator> = {
  "unquoted comment with no-break spaces": onRules(/--comment "([^"\\]* [^"\\]*)"/, (m) => `--comment ${m[1]!.replace(/ /g, "\u00a0")}`),
  "long option names": onRules(/ -s (\S+)/, " --source $1"),
  "long --destination": onRules(/ -d (\S+)/, " --destination $1"),
  "long --in-interface": onRules(/ -i (\S+)/, " --in-interface $1"),
  "long --out-interface": onRules(/ -o (\S+)/, " --out-interface $1"),
  "long --protocol": onRules(/ -p (\S+)/, " --protocol $1"),
  "long --jump and --match": onRules(/ -m (\S+) (.*)-j /, " --match $1 $2--jump "),
  "--destination-port": onRules(/--dport /, "--destination-port "),
  "--source-port": onRules(/--sport /, "--source-port "),
  "--destination-ports": onRules(/--dports /, "--destination-ports "),
  "numeric protocol": onRules(/-p (tcp|udp|icmp)\b/, (m) => `-p ${{ tcp: 6, udp: 17, icmp: 1 }[m[1] as "tcp"]}`),
  "upper-case protocol": onRules(/-p (tcp|udp)\b/, (m) => `-p ${m[1]!.toUpperCase()}`),
  "negated --syn": onRules(/-p tcp -m tcp /, "-p tcp -m tcp ! --syn "),
  "--syn": onRules(/-p tcp -m tcp /, "-p tcp -m tcp --syn "),
  "open port range": onRules(/--dport (\d+)\b(?!:)/, "--dport $1:"),
  "port range from zero": onRules(/--sport (\d+)\b(?!:)/, "--sport :$1"),
  "port by service name": onRules(/--dport (22|80|443|53)\b(?![:\d])/, (m) => `--dport ${{ "22": "ssh", "80": "http", "443": "https", "53": "domain" }[m[1] as "22"]}`),
  "state instead of conntrack": onRules(/-m conntrack --ctstate ((?:NEW|ESTABLISHED|RELATED|INVALID|UNTRACKED)(?:,(?:NEW|ESTABLISHED|RELATED|INVALID|UNTRACKED))*)(?=\s|$)/, "-m state --state $1"),
  "negated state": onRules(/--ctstate /, "! --ctstate "),
  "rule counters": onRules(/^-A /, "[7:420] -A "),
  "-c counters": onRules(/^-A (\S+) /, "-A $1 -c 5 300 "),
  "goto instead of jump": onRules(/ -j ([A-Za-z][\w-]*-[\w-]+)$/, " -g $1"),
  "comma list of sources": onRules(/ -s (\d+\.\d+\.\d+\.\d+(?:\/\d+)?)/, " -s $1,192.0.2.7"),
  "interface wildcard": onRules(/ -([io]) ([a-z]+)\d+\b/, " -$1 $2+"),
  "getopt abbreviation": onRules(/--dport /, "--dpo "),
  "abbreviated --ctstate": onRules(/--ctstate /, "--ctst "),
  "--opt=value": onRules(/--dport (\S+)/, "--dport=$1"),
  "prefix negation": onRules(/ -s (\S+)/, " ! -s $1"),
  "negated interface": onRules(/ -i (\S+)/, " ! -i $1"),
  "quoted comment with spaces": onRules(/ -j (ACCEPT|DROP|RETURN)$/, ' -m comment --comment "fwlint look-alike, with spaces" -j $1'),
  "comment line and blank line": (lines) => {
    const k = lines.findIndex((l) => isRule(l));
    return k < 0 ? [] : [{ lines: [...lines.slice(0, k), "# a comment between rules", "", ...lines.slice(k)], touched: [] }];
  },
  "indented rule": onRules(/^-A /, "  -A "),
  "trailing space on a rule": onRules(/$/, " "),
  "policy counters": (lines) => lines.flatMap((l, k) => (/^:(INPUT|FORWARD|OUTPUT) (ACCEPT|DROP) \[0:0\]/.test(l) ? [{ lines: lines.map((x, j) => (j === k ? x.replace("[0:0]", "[123:45678]") : x)), touched: [] }] : [])).slice(0, 1),
  "declaration without counters": (lines) => userChains(lines).map((c) => ({ lines: lines.map((l, j) => (j === c.line ? l.replace(/ \[\d+:\d+\]$/, "") : l)), touched: [] })).slice(0, 1),
  "-N instead of declaration": (lines) => userChains(lines).map((c) => ({ lines: lines.map((l, j) => (j === c.line ? `-N ${c.name}` : l)), touched: [] })).slice(0, 1),
  "DNAT without port": onRules(/--to-destination (\d+\.\d+\.\d+\.\d+):\d+/, "--to-destination $1"),
  "DNAT port range": onRules(/--to-destination (\d+\.\d+\.\d+\.\d+):(\d+)\b(?!-)/, "--to-destination $1:$2-$2"),
  "host address without mask": onRules(/ -([sd]) (\d+\.\d+\.\d+\.\d+)\/32/, " -$1 $2"),
  "netmask in dotted form": onRules(/ -([sd]) (\d+\.\d+\.\d+\.\d+)\/24\b/, " -$1 $2/255.255.255.0"),
  "ctstate with DNAT and UNTRACKED": onRules(/--ctstate (\S+)/, "--ctstate $1,DNAT,UNTRACKED"),
  "hex mark": onRules(/--set-xmark (\S+)/, "--set-xmark 0x10/0xff"),
  "log level name": onRules(/-j LOG\b/, "-j LOG --log-level warning"),
  "icmp type number": onRules(/--icmp-type echo-request/, "--icmp-type 8"),
  "-p all": onRules(/^-A (\S+) -j /, "-A $1 -p all -j "),
  "reject-with tcp-reset": onRules(/-p tcp (.*)-j REJECT --reject-with \S+/, "-p tcp $1-j REJECT --reject-with tcp-reset"),
  "multiport ranges": onRules(/--dports (\d+)\b(?![:\d])/, "--dports $1,8000:8080"),
  "iprange match": onRules(/^-A (\S+) (.*)-j (ACCEPT|DROP|RETURN)$/, "-A $1 $2-m iprange ! --src-range 192.168.1.1-192.168.1.3 -j $3"),
  "sctp ports": onRules(/-p tcp (-m tcp )?--dport (\d+)/, "-p sctp --dport $2"),
  "udplite ports": onRules(/-p udp (-m udp )?--dport (\d+)/, "-p udplite -m udplite --dport $2"),
  "abbreviated --to-destination": onRules(/--to-destination /, "--to-dest "),
  "negated protocol": onRules(/ -p (tcp|udp) -j /, " ! -p $1 -j "),
  "comment match twice": onRules(/ -j (ACCEPT|DROP|RETURN)$/, ' -m comment --comment one -m comment --comment two -j $1'),
  "any interface": onRules(/^-A (FORWARD) /, "-A $1 -o + "),
  "everywhere address": onRules(/^-A (\S+) -j /, "-A $1 -s 0/0 -j "),
  "conntrack instead of state": onRules(/-m state --state (\S+)/, "-m conntrack --ctstate $1"),
  "options after the target": onRules(/^-A (\S+) -s (\S+) -j (ACCEPT|DROP|RETURN)$/, "-A $1 -j $3 -s $2"),
};

function pick<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  // spread deterministically over the file: first, last, and evenly in between
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(items[Math.round((k * (items.length - 1)) / Math.max(1, max - 1))]!);
  return [...new Set(out)];
}

export function makeMutants(base: string, text: string, family: Family, perOperator = 1): Mutant[] {
  const lines = text.replace(/\r/g, "").split("\n");
  const out: Mutant[] = [];
  for (const [ops, kind] of [[MISTAKES, "mistake"], [LOOKALIKES, "look-alike"]] as const) {
    for (const [name, op] of Object.entries(ops)) {
      let edits: Edit[];
      try {
        edits = op(lines, family);
      } catch {
        continue;
      }
      for (const e of pick(edits, perOperator)) out.push({ base, op: `${kind}: ${name}`, text: e.lines.join("\n"), family, lines: e.touched });
    }
  }
  return out;
}

/**
 * The same mistake in a rule the file takes out again right after adding it: the mutated `-A CHAIN …` line
 * becomes `-I CHAIN 1 …`, followed by `-D CHAIN 1` or by `-F CHAIN`. iptables checks a rule when it is added,
 * but the kernel's checks come at different times on the two backends (src/validity/removed.ts), so each
 * check's verdict may change. Null when the mutant did not edit exactly one appended rule.
 */
export function takenOutAgain(m: Mutant, how: "delete" | "flush"): Mutant | null {
  if (m.lines.length !== 1) return null;
  const lines = m.text.split("\n");
  const k = m.lines[0]! - 1;
  const hit = /^(\[\d+:\d+\]\s+)?-A (\S+) /.exec(lines[k] ?? "");
  if (!hit) return null;
  const chain = hit[2]!;
  const added = lines[k]!.replace(/-A (\S+) /, "-I $1 1 ");
  const out = how === "delete" ? `-D ${chain} 1` : `-F ${chain}`;
  return { ...m, op: `${m.op}, then ${how === "delete" ? "-D" : "-F"}`, text: [...lines.slice(0, k), added, out, ...lines.slice(k + 1)].join("\n") };
}
