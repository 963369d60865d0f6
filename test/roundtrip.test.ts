/**
 * Round trip against the kernel (issue 2's proof). Every file of the shared corpus is restored for real with
 * iptables-restore into a throw-away network namespace and read back with iptables-save; for each file the kernel
 * accepts, fwlint's canonical form of every parsed rule (src/canonical.ts, `canonicalRuleLines`, chain by chain,
 * in chain order) must equal the kernel's `-A` line for that rule. Files the kernel refuses are listed with the
 * kernel's reason; rules that cannot be compared offline (host names) are listed as exceptions with their reason.
 * The test fails on any other difference.
 *
 * The same run replays the hand-written cases of test/support/canonical-cases.ts (so the unit tests' expected
 * lines are what the kernel prints) and checks that `-D CHAIN rulespec` deletes what the kernel deletes.
 *
 * Needs root, `ip`, iptables-restore/-save (and `ipset` to create the sets the rules name); skipped elsewhere
 * with the reason printed. One namespace per family, reset between files.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allRules, type Family, type Rule, type Ruleset } from "../src/ast/iptables.js";
import { canonicalRuleLines } from "../src/canonical.js";
import { checkValue } from "../src/catalog/values.js";
import { parse } from "../src/parse/index.js";
import { CANONICAL_CASES, CASE_IPSET, CASE_USER_CHAIN } from "./support/canonical-cases.js";
import { CORPUS, corpusFiles } from "./support/corpus.js";
import { kernelAvailable, kernelSkipReason, Netns } from "./support/kernel.js";

const TIMEOUT = 600_000;
const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];
const TABLES = { filter: ["INPUT", "FORWARD", "OUTPUT"], nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"], mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"], raw: ["PREROUTING", "OUTPUT"], security: ["INPUT", "FORWARD", "OUTPUT"] } as const;
/** Restore input that empties every table (built-in chains back to ACCEPT, user chains gone). */
const RESET = Object.entries(TABLES)
  .map(([t, chains]) => `*${t}\n${chains.map((c) => `:${c} ACCEPT [0:0]`).join("\n")}\nCOMMIT\n`)
  .join("");

if (!kernelAvailable) console.warn(`roundtrip: kernel round trip skipped (${kernelSkipReason}); run the tests as root with iptables installed`);
/** The sets the rules name are created in the namespace (as they exist on the host the rules come from). */
const hasIpset = kernelAvailable && spawnSync("sh", ["-c", "command -v ipset"], { stdio: "ignore" }).status === 0;

// ------------------------------------------------------------------------------------------------------------
// Talking to the kernel
// ------------------------------------------------------------------------------------------------------------

interface KernelResult {
  readonly ok: boolean;
  /** iptables-restore's message (first lines), when it refused. */
  readonly message: string;
  /** Line of the input iptables-restore names. */
  readonly line: number | null;
  /** iptables-save output after the restore (empty when refused). */
  readonly saved: string;
}

/**
 * One shell in the namespace: create the ipsets, restore `text`, save, and empty the tables again for the next
 * file (also after a refusal: tables committed before the failing one stay otherwise).
 */
function roundTrip(ns: Netns, family: Family, text: string, sets: readonly string[]): KernelResult {
  const v6 = family === "ipv6";
  const tool = v6 ? "ip6tables" : "iptables";
  const ipset = hasIpset ? sets.map((s) => `ipset create -exist ${shellQuote(s)} hash:net family ${v6 ? "inet6" : "inet"} 2>/dev/null\n`).join("") : "";
  const script = `${ipset}${tool}-restore <&3; rc=$?\n[ $rc -eq 0 ] && ${tool}-save\nprintf '%s' ${shellQuote(RESET)} | ${tool}-restore\nexit $rc\n`;
  const r = ns.exec("sh", ["-c", `exec 3<&0 </dev/null; ${script}`], text);
  const stderr = (r.stderr ?? "").trim();
  const m = /(?:Error occurred at line|line):? (\d+)/i.exec(stderr);
  return { ok: r.status === 0, message: stderr.split("\n").filter((l) => l.trim() && !l.startsWith("Try `")).join(" / "), line: m ? Number(m[1]) : null, saved: r.status === 0 ? r.stdout : "" };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ipset names the rules use (set match, SET target). */
function setNames(rs: Ruleset): string[] {
  const names = new Set<string>();
  for (const t of rs.tables) {
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const m of r.matches) for (const o of m.options) if (o.name === "--match-set" && o.values[0]) names.add(o.values[0].text);
        for (const o of r.target?.options ?? []) if (/^--(add|del|map)-set$/.test(o.name) && o.values[0]) names.add(o.values[0].text);
      }
    }
  }
  return [...names].filter((n) => /^[A-Za-z0-9_.:-]{1,31}$/.test(n));
}

/** iptables-save output → table → chain → { policy, rule specs }. */
function readSave(saved: string): Map<string, Map<string, { policy: string; rules: string[] }>> {
  const tables = new Map<string, Map<string, { policy: string; rules: string[] }>>();
  let current: Map<string, { policy: string; rules: string[] }> | undefined;
  for (const line of saved.split("\n")) {
    if (line.startsWith("*")) {
      current = new Map();
      tables.set(line.slice(1), current);
    } else if (line.startsWith(":") && current) {
      const [name, policy] = line.slice(1).split(" ");
      current.set(name!, { policy: policy!, rules: [] });
    } else if (line.startsWith("-A ") && current) {
      const chain = line.split(" ")[1]!;
      current.get(chain)?.rules.push(line.slice(4 + chain.length).replace(/^ /, ""));
    }
  }
  return tables;
}

// ------------------------------------------------------------------------------------------------------------
// Comparing
// ------------------------------------------------------------------------------------------------------------

interface Exception {
  readonly where: string;
  readonly reason: string;
  readonly fwlint: string;
  readonly kernel: string;
}

/**
 * Host names in -s/-d cannot be normalised offline: iptables resolves them when it loads the rules. The test gives
 * each name of the corpus an address of the documentation ranges in the namespace's hosts file
 * (/etc/netns/NAME/hosts, which `ip netns exec` mounts over /etc/hosts), so such files load; the rule is then an
 * exception, and it is checked that the name's resolution is its only difference.
 */
const HOST_ADDRESSES = new Map<string, { ipv4: string; ipv6: string }>();

const HOST_NAME_REASON = "host name resolved by iptables at load time (fwlint keeps names as written)";

function hostNamesOf(rule: Rule, family: Family): string[] {
  const names: string[] = [];
  for (const o of rule.criteria) {
    if ((o.name !== "-s" && o.name !== "-d") || !o.spec) continue;
    for (const part of (o.values[0]?.text ?? "").split(",")) {
      const c = checkValue("address", part, { family, option: o.spec });
      if (c.ok && c.warning?.includes("host name")) names.push(part.split("/")[0]!);
    }
  }
  return names;
}

/** Per-namespace configuration that `ip netns exec` mounts over /etc. */
const NETNS_ETC = "/etc/netns";
const etcNetnsExisted = existsSync(NETNS_ETC);

/** Give the namespace its hosts file; false when /etc cannot be written (names then stay unresolvable). */
function writeHosts(ns: Netns): boolean {
  try {
    mkdirSync(`${NETNS_ETC}/${ns.name}`, { recursive: true });
    writeFileSync(`${NETNS_ETC}/${ns.name}/hosts`, hostsFile());
    return true;
  } catch {
    return false;
  }
}

function rmEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (another namespace uses it) or already gone
  }
}

function hostsFile(): string {
  const lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"];
  for (const [name, a] of HOST_ADDRESSES) lines.push(`${a.ipv4} ${name}`, `${a.ipv6} ${name}`);
  return lines.join("\n") + "\n";
}

/** fwlint's line with each host name replaced by the address the namespace resolves it to. */
function resolvedLine(line: string, rule: Rule, family: Family): string {
  let out = line;
  for (const o of rule.criteria) {
    if ((o.name !== "-s" && o.name !== "-d") || !o.spec) continue;
    for (const part of (o.values[0]?.text ?? "").split(",")) {
      const [name, mask] = part.split("/");
      const a = HOST_ADDRESSES.get(name!);
      if (!a) continue;
      const c = checkValue("address", mask === undefined ? a[family] : `${a[family]}/${mask}`, { family, option: o.spec });
      if (c.ok) out = out.replace(` ${o.name} ${part}`, ` ${o.name} ${c.canonical}`).replace(new RegExp(`^${o.name} ${part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( |$)`), `${o.name} ${c.canonical}$1`);
    }
  }
  return out;
}

interface Comparison {
  compared: number;
  equal: number;
  exceptions: Exception[];
  mismatches: string[];
}

/** Compare fwlint's view of a ruleset with iptables-save's, chain by chain and rule by rule. */
function compare(label: string, rs: Ruleset, saved: string, into: Comparison): void {
  const kernel = readSave(saved);
  const tables = new Set([...rs.tables.map((t) => t.name as string), ...kernel.keys()]);
  for (const tableName of tables) {
    const mine = rs.tables.find((t) => t.name === tableName);
    const theirs = kernel.get(tableName) ?? new Map();
    const chains = new Set([...(mine?.chains.map((c) => c.name) ?? []), ...theirs.keys()]);
    for (const chainName of chains) {
      const chain = mine?.chains.find((c) => c.name === chainName);
      const k = theirs.get(chainName);
      const where = `${label} ${tableName} ${chainName}`;
      if (!chain || !k) {
        // a table fwlint saw without rules, that the kernel does not list (or the other way round), is no difference
        if ((chain?.rules.length ?? 0) + (k?.rules.length ?? 0) > 0 || (chain && !k && !chain.builtin)) {
          into.mismatches.push(`${where}: chain ${chain ? "missing in the kernel" : "missing in fwlint's tree"}`);
        }
        continue;
      }
      if (chain.builtin && chain.policy !== null && chain.policy !== k.policy) into.mismatches.push(`${where}: policy ${chain.policy}, kernel ${k.policy}`);
      let at = 0;
      for (const rule of chain.rules) {
        const lines = canonicalRuleLines(rule, rs.family);
        const names = hostNamesOf(rule, rs.family);
        const reason = names.length ? `${HOST_NAME_REASON}: ${names.join(", ")}` : undefined;
        for (const line of lines) {
          const kernelLine = k.rules[at++];
          into.compared++;
          if (line === kernelLine) into.equal++;
          else if (reason && resolvedLine(line, rule, rs.family) === kernelLine) into.exceptions.push({ where: `${where} #${rule.position} (line ${rule.span.line})`, reason, fwlint: line, kernel: kernelLine ?? "(none)" });
          else into.mismatches.push(`${where} #${rule.position} (line ${rule.span.line})\n    fwlint: ${line}\n    kernel: ${kernelLine ?? "(none)"}`);
        }
      }
      for (; at < k.rules.length; at++) {
        into.compared++;
        into.mismatches.push(`${where}: kernel rule #${at + 1} has no counterpart in fwlint's tree: ${k.rules[at]}`);
      }
    }
  }
}

/** Control characters shown (a CR at the end of a line is invisible otherwise). */
const visible = (text: string) => text.replace(/[\x00-\x1f]/g, (c) => (c === "\t" ? "\\t" : c === "\r" ? "\\r" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));

interface Refusal {
  /** Short categories (for the counts); a file can fail for several reasons at once. */
  readonly categories: readonly string[];
  /** Each reason with its details. */
  readonly reasons: readonly string[];
}

/**
 * Why the kernel refused a file. iptables-nft names every rule the kernel refused ("line N: RULE_APPEND failed
 * (error)"); other failures name one line ("Error occurred at line: N").
 */
function refusal(file: string, text: string, r: KernelResult): Refusal {
  const lines = text.split("\n");
  const at = (n: number) => visible((lines[n - 1] ?? "").replace(/^\[\d+:\d+\] */, "").replace(/ +$/, "")).slice(0, 140);
  const out: { category: string; reason: string }[] = [];
  const add = (category: string, reason: string) => out.push({ category, reason });
  const m = r.message;
  const unsupported = [...m.matchAll(/Extension (\S+) revision \d+ not supported/g)].map((x) => x[1]!);
  const failed = [...m.matchAll(/line (\d+): RULE_APPEND failed \(([^)]+)\)/g)].map((x) => ({ line: Number(x[1]), error: x[2]! }));
  let x: RegExpExecArray | null;
  if (/\.j2$|\.pytemplate/.test(file) || (r.line !== null && /\{[{%]|%\(\w+\)s/.test(lines[r.line - 1] ?? ""))) add("template file", "a template: placeholders are filled in before use");
  else if (failed.length) {
    for (const f of failed) {
      const rule = at(f.line);
      const ext = unsupported.find((e) => new RegExp(`-[jm] ${e}(\\s|$)`).test(rule));
      if (ext) add("kernel module not loadable here", `line ${f.line}: no kernel support for ${ext} here: ${rule}`);
      else if (/-m nfacct/.test(rule)) add("kernel object missing", `line ${f.line}: the nfacct object does not exist (nfacct add NAME; no nfacct tool here): ${rule}`);
      else add("refused by the kernel", `line ${f.line}: ${f.error}: ${rule}`);
    }
  } else if ((x = /Set (\S+) doesn't exist/.exec(m))) add("missing ipset", `ipset ${x[1]} does not exist${hasIpset ? "" : " (the ipset tool is not installed)"}`);
  else if ((x = /host\/network `([^']+)' not found/.exec(m))) add("unresolvable host name", `line ${r.line}: host name ${x[1]} cannot be resolved (no DNS in the namespace): ${at(r.line ?? 0)}`);
  else if ((x = /Chain '([^']+)' does not exist/.exec(m)) && /^[A-Z]+$/.test(x[1]!) && !text.includes(`:${x[1]} `)) add("target extension not installed", `-j ${x[1]}: not a chain of the file; an out-of-tree target (xtables-addons) that is not installed here`);
  else if (x && /^[\w:-]+$/.test(x[1]!)) add("fragment of a larger ruleset", `jumps to chain ${x[1]}, defined in another file`);
  else if (/line \d+ failed/.test(m) && r.line !== null && /^(ip6?tables(-save)?|\$ .*)$/.test(lines[r.line - 1] ?? "")) add("not a restore file", "a test-harness listing (tool names, iptables -S lines)");
  else add("invalid for iptables 1.8.9", `${visible(m.replace(/^ip6?tables-restore v[\d.]+ \([^)]*\): /, "").replace(/ \/ Error occurred at line: \d+/, "")).slice(0, 160)}${r.line !== null ? ` (line ${r.line}: ${at(r.line)})` : ""}`);
  for (const e of unsupported) if (!out.some((o) => o.reason.includes(`for ${e} `))) add("kernel module not loadable here", `no kernel support for ${e} here (iptables warned)`);
  return { categories: [...new Set(out.map((o) => o.category))], reasons: out.map((o) => o.reason) };
}

// ------------------------------------------------------------------------------------------------------------

describe.skipIf(!kernelAvailable)("round trip against the kernel", () => {
  const ns = {} as Record<Family, Netns>;
  beforeAll(() => {
    for (const f of FAMILIES) ns[f] = new Netns("fwlrt");
  });
  afterAll(() => {
    for (const f of FAMILIES) {
      if (!ns[f]) continue;
      rmSync(`${NETNS_ETC}/${ns[f].name}`, { recursive: true, force: true });
      ns[f].dispose();
    }
    if (!etcNetnsExisted) rmEmptyDir(NETNS_ETC);
  });

  it(
    "corpus: fwlint's canonical form of every rule equals the kernel's iptables-save line",
    () => {
      const result: Comparison = { compared: 0, equal: 0, exceptions: [], mismatches: [] };
      const refused: { file: string; refusal: Refusal }[] = [];
      const accepted = { ipv4: 0, ipv6: 0 };
      // FWLINT_ROUNDTRIP_FILES=regex limits the run to matching corpus paths (while working on one file)
      const only = process.env.FWLINT_ROUNDTRIP_FILES ? new RegExp(process.env.FWLINT_ROUNDTRIP_FILES) : undefined;
      const files = corpusFiles().filter((f) => !only || only.test(f));
      const parsed = files.map((file) => {
        const text = readFileSync(file, "utf8");
        return { file, text, rs: parse(text, { filePath: file }) };
      });
      for (const { rs } of parsed) {
        for (const rule of allRules(rs)) {
          for (const name of hostNamesOf(rule, rs.family)) {
            const k = HOST_ADDRESSES.size + 1;
            if (!HOST_ADDRESSES.has(name)) HOST_ADDRESSES.set(name, { ipv4: `192.0.2.${k}`, ipv6: `2001:db8::${k.toString(16)}` });
          }
        }
      }
      const hostsWritten = FAMILIES.map((f) => writeHosts(ns[f])).every(Boolean);
      for (const { file, text, rs } of parsed) {
        const label = file.slice(CORPUS.length + 1);
        const r = roundTrip(ns[rs.family], rs.family, text, setNames(rs));
        if (!r.ok) {
          refused.push({ file: label, refusal: refusal(file, text, r) });
          continue;
        }
        accepted[rs.family]++;
        compare(label, rs, r.saved, result);
      }

      const byCategory = new Map<string, number>();
      for (const x of refused) for (const c of x.refusal.categories) byCategory.set(c, (byCategory.get(c) ?? 0) + 1);
      const byReason = new Map<string, number>();
      for (const x of result.exceptions) {
        const key = x.reason.replace(/:.*/, "");
        byReason.set(key, (byReason.get(key) ?? 0) + 1);
      }
      const report = [
        `round trip: ${files.length} corpus files; kernel accepted ${accepted.ipv4 + accepted.ipv6} (${accepted.ipv4} iptables, ${accepted.ipv6} ip6tables), refused ${refused.length}`,
        `rules compared ${result.compared}, equal ${result.equal}, exceptions ${result.exceptions.length}, unexplained ${result.mismatches.length}`,
        `exceptions by reason: ${[...byReason].map(([r, n]) => `${r} ${n}`).join(", ") || "none"}`,
        `(ipsets the rules name are created in the namespace${hasIpset ? "" : " — not here: the ipset tool is missing"}; ${hostsWritten ? `${HOST_ADDRESSES.size} host names resolve to 192.0.2.x / 2001:db8::x through the namespace's hosts file` : `no hosts file for the namespace (${NETNS_ETC} cannot be written): host names stay unresolvable`})`,
        "",
        `refused by the kernel: ${[...byCategory].map(([c, n]) => `${c} ${n}`).join(", ")}`,
        ...refused.map((x) => `  ${x.file}:\n${x.refusal.reasons.map((r) => `      ${r}`).join("\n")}`),
        "",
        "exceptions:",
        ...(result.exceptions.length ? result.exceptions.map((x) => `  ${x.where}: ${x.reason}\n      fwlint: ${x.fwlint}\n      kernel: ${x.kernel}`) : ["  (none)"]),
      ];
      if (result.mismatches.length) report.push("", "UNEXPLAINED differences:", ...result.mismatches.map((m) => `  ${m}`));
      console.log(report.join("\n"));

      if (!only) {
        expect(accepted.ipv4 + accepted.ipv6).toBeGreaterThan(files.length / 2);
        expect(result.compared).toBeGreaterThan(1000);
      }
      expect(result.mismatches, result.mismatches.slice(0, 20).join("\n")).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "canonical cases: the kernel prints exactly the expected lines",
    () => {
      const problems: string[] = [];
      for (const family of FAMILIES) {
        // Without the ipset tool the set these cases name cannot be created, and the kernel refuses them.
        const runnable = CANONICAL_CASES.map((c, i) => ({ c, i })).filter(({ c }) => c.family === family && !c.notOnKernel);
        const cases = hasIpset ? runnable : runnable.filter(({ c }) => !c.rule.includes(CASE_IPSET));
        const leftOut = runnable.length - cases.length;
        if (leftOut > 0) console.log(`${family}: ${leftOut} canonical case(s) naming the ipset ${CASE_IPSET} left out: the ipset tool is not installed`);
        const byTable = new Map<string, string[]>();
        for (const { c, i } of cases) {
          const lines = byTable.get(c.table) ?? [`:${CASE_USER_CHAIN} - [0:0]`];
          lines.push(`-A ${c.chain} -m comment --comment fwlint-case-${i}`, `-A ${c.chain} ${c.rule}`);
          byTable.set(c.table, lines);
        }
        const text = [...byTable].map(([t, lines]) => `*${t}\n${lines.join("\n")}\nCOMMIT\n`).join("");
        const r = roundTrip(ns[family], family, text, [CASE_IPSET]);
        if (!r.ok) {
          problems.push(`${family}: the kernel refused the cases: ${r.message} (line ${r.line}: ${text.split("\n")[(r.line ?? 1) - 1]})`);
          continue;
        }
        const printed = new Map<number, string[]>();
        for (const chains of readSave(r.saved).values()) {
          for (const { rules } of chains.values()) {
            let current = -1;
            for (const spec of rules) {
              const marker = /^-m comment --comment fwlint-case-(\d+)$/.exec(spec);
              if (marker) {
                current = Number(marker[1]);
                printed.set(current, []);
              } else if (current >= 0) printed.get(current)!.push(spec);
            }
          }
        }
        for (const { c, i } of cases) {
          const got = printed.get(i) ?? [];
          if (JSON.stringify(got) !== JSON.stringify(c.expected)) problems.push(`${family} ${c.table} ${c.chain} ${c.rule}\n    expected: ${c.expected.join(" | ")}\n    kernel:   ${got.join(" | ")}`);
        }
      }
      expect(problems, problems.join("\n")).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "-D CHAIN rulespec deletes the rule the kernel deletes (canonical forms compared)",
    () => {
      const text = [
        "*filter",
        ":X - [0:0]",
        "-A X -p tcp -m tcp --dport 22 -j ACCEPT",
        "-A X -s 10.0.0.1/32 -j DROP",
        "-A X -m state --state RELATED,ESTABLISHED -j ACCEPT",
        "-A X -p udp -m udp --dport 53 -j ACCEPT",
        "-A X -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP",
        "-A X -j LOG",
        '-A X -m comment --comment "a b" -j ACCEPT',
        "-A X -j REJECT",
        "-A X -j MARK --set-xmark 0x1/0xffffffff",
        "-D X -p 6 --dport ssh -j ACCEPT",
        "-D X --source 10.0.0.1 --jump DROP",
        "-D X -m state --state ESTABLISHED,RELATED -j ACCEPT",
        "-D X -p tcp --syn -j DROP",
        "-D X -j LOG --log-level warning",
        "-D X -m comment --comment 'a b' -j ACCEPT".replace(/'/g, '"'),
        "-D X -j REJECT --reject-with icmp-port-unreachable",
        "-D X -j MARK --set-mark 1",
        "COMMIT",
        "",
      ].join("\n");
      const rs = parse(text, { family: "ipv4", format: "save" });
      expect(rs.diagnostics.map((d) => d.message)).toEqual([]);
      expect(rs.tables[0]!.chains.find((c) => c.name === "X")!.rules).toHaveLength(1);
      const r = roundTrip(ns.ipv4, "ipv4", text, []);
      expect(r.ok, r.message).toBe(true);
      const result: Comparison = { compared: 0, equal: 0, exceptions: [], mismatches: [] };
      compare("-D cases", rs, r.saved, result);
      expect(result.mismatches).toEqual([]);
      expect(result.equal).toBe(1);
    },
    TIMEOUT,
  );
});
