/**
 * A user chain named like a target extension (`:LOG - [0:0]`), against the kernel. iptables looks a `-j NAME`
 * up among the table's chains first: a rule after the declaration jumps to the chain (and NAME's options are
 * then unknown), a rule before it uses the target. Each file is restored for real, on both backends where the
 * legacy one works, and the kernel's own listing says how many rules refer to each chain ("Chain LOG
 * (1 references)"). fwlint must read the same jumps (a Target without a spec), in the file and in the
 * kernel's `iptables -S` listing of it, refuse what the kernel refuses, and its packet model must follow the
 * jump. A chain named "-x", which only the legacy backend takes, is read the same way. Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import type { Ruleset, TableName } from "../src/ast/iptables.js";
import { lintFiles } from "../src/lint.js";
import { Model } from "../src/model/model.js";
import { trace } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";
import { kernelAvailable, kernelSkipReason, withNetns, type Netns } from "./support/kernel.js";

interface Case {
  readonly name: string;
  readonly table: TableName;
  /** The table's lines between the header and COMMIT (built-in chains are declared by `file`). */
  readonly lines: readonly string[];
  /** The user chains named like targets whose references are compared. */
  readonly chains: readonly string[];
  /** For filter cases: what a new TCP connection to the host's port 22 meets (the chain drops, the target does not). */
  readonly input?: "DROP" | "ACCEPT";
}

const BUILTIN: Record<string, readonly string[]> = {
  filter: ["INPUT ACCEPT", "FORWARD ACCEPT", "OUTPUT ACCEPT"],
  nat: ["PREROUTING ACCEPT", "INPUT ACCEPT", "OUTPUT ACCEPT", "POSTROUTING ACCEPT"],
  mangle: ["PREROUTING ACCEPT", "INPUT ACCEPT", "FORWARD ACCEPT", "OUTPUT ACCEPT", "POSTROUTING ACCEPT"],
};

const CASES: readonly Case[] = [
  { name: "LOG declared first: the jump reaches the chain", table: "filter", lines: [":LOG - [0:0]", "-A INPUT -p tcp -j LOG", "-A LOG -j DROP"], chains: ["LOG"], input: "DROP" },
  { name: "LOG declared after the rule: the target", table: "filter", lines: ["-A INPUT -p tcp -j LOG", ":LOG - [0:0]", "-A LOG -j DROP"], chains: ["LOG"], input: "ACCEPT" },
  { name: "the target's option after a jump to the chain is refused", table: "filter", lines: [":LOG - [0:0]", "-A INPUT -p tcp -j LOG --log-prefix x", "-A LOG -j DROP"], chains: ["LOG"] },
  { name: "REJECT and NFLOG as chains, one rule each", table: "filter", lines: [":REJECT - [0:0]", ":NFLOG - [0:0]", "-A INPUT -p tcp -j NFLOG", "-A INPUT -p udp -j REJECT", "-A NFLOG -j DROP"], chains: ["REJECT", "NFLOG"], input: "DROP" },
  { name: "a goto to the chain", table: "filter", lines: [":AUDIT - [0:0]", "-A INPUT -p tcp -g AUDIT", "-A AUDIT -j DROP"], chains: ["AUDIT"], input: "DROP" },
  { name: "MARK in mangle: chain first, then the same name used before another declaration", table: "mangle", lines: ["-A PREROUTING -j CONNMARK --restore-mark", ":MARK - [0:0]", ":CONNMARK - [0:0]", "-A PREROUTING -j MARK", "-A OUTPUT -j CONNMARK"], chains: ["MARK", "CONNMARK"] },
  { name: "DNAT and MASQUERADE in nat", table: "nat", lines: [":DNAT - [0:0]", "-A PREROUTING -p tcp -j DNAT", "-A POSTROUTING -j MASQUERADE", ":MASQUERADE - [0:0]", "-A OUTPUT -j MASQUERADE", "-A DNAT -j RETURN"], chains: ["DNAT", "MASQUERADE"] },
  { name: "a chain named -x (the legacy backend takes it): -j -x, -A -x, -I -x 1", table: "filter", lines: [":-x - [0:0]", "-A INPUT -p tcp -j -x", "-A -x -j DROP", "-I -x 1 -p udp -j ACCEPT"], chains: ["-x"], input: "DROP" },
  { name: "DNAT's option after a jump to the chain is refused", table: "nat", lines: [":DNAT - [0:0]", "-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1"], chains: ["DNAT"] },
];

function file(c: Case): string {
  return [`*${c.table}`, ...BUILTIN[c.table]!.map((b) => `:${b} [0:0]`), ...c.lines, "COMMIT", ""].join("\n");
}

/** The kernel's count of rules that refer to each chain, from `iptables -L`'s chain headers. */
function kernelReferences(ns: Netns, table: TableName, legacy: boolean): Map<string, number> {
  const r = ns.exec(legacy ? "iptables-legacy" : "iptables", ["-t", table, "-L", "-n"]);
  expect(r.status, r.stderr).toBe(0);
  const refs = new Map<string, number>();
  for (const m of r.stdout.matchAll(/^Chain (\S+) \((\d+) references\)/gm)) refs.set(m[1]!, Number(m[2]));
  return refs;
}

/** fwlint's reading: the rules of the table whose `-j NAME` / `-g NAME` is a jump (no target spec). */
function fwlintReferences(ruleset: Ruleset, table: TableName, names: readonly string[]): Map<string, number> {
  const refs = new Map(names.map((n) => [n, 0]));
  for (const t of ruleset.tables) {
    if (t.name !== table) continue;
    for (const chain of t.chains) for (const rule of chain.rules) if (rule.target && !rule.target.spec && refs.has(rule.target.name)) refs.set(rule.target.name, refs.get(rule.target.name)! + 1);
  }
  return refs;
}

function fwlintErrors(text: string): string[] {
  const [result] = lintFiles([{ text, filePath: "rules.v4" }], { config: { rules: {}, facts: {} } });
  return result!.messages.filter((m) => m.severity === "error").map((m) => `${m.span.line}:${m.span.column} ${m.ruleId} ${m.message}`);
}

describe.skipIf(!kernelAvailable)("chains named like targets, against the kernel", () => {
  for (const backend of ["nf_tables", "legacy"] as const) {
    describe(backend, () => {
      for (const c of CASES) {
        it(c.name, ({ skip }) => {
          withNetns((ns) => {
            if (backend === "legacy" && !ns.legacyWorks()) skip("the legacy backend does not work on this machine");
            const text = file(c);
            const legacy = backend === "legacy";
            const header = `# Generated by iptables-save v1.8.9 (${backend}) on Mon Jan  1 00:00:00 2024\n`;
            const r = ns.exec(legacy ? "iptables-legacy-restore" : "iptables-restore", [], text);
            const errors = fwlintErrors(header + text);
            if (r.status !== 0) {
              // refused: fwlint must say why, on the line the kernel names (+1 for the header line)
              const line = Number(/line:? (\d+)/.exec(r.stderr ?? "")?.[1]);
              expect(errors.some((e) => e.startsWith(`${line + 1}:`)), `kernel: ${r.stderr}\nfwlint: ${errors.join("\n")}`).toBe(true);
              return;
            }
            expect(errors, `the kernel took the file`).toEqual([]);
            const kernel = kernelReferences(ns, c.table, legacy);
            const ruleset = parse(header + text);
            const expected = new Map(c.chains.map((n) => [n, kernel.get(n) ?? -1]));
            expect(fwlintReferences(ruleset, c.table, c.chains), "the file").toEqual(expected);
            // the kernel's own listing names every chain (-N) before the rules, so read again it means what
            // the file means only where the chains came first
            const listing = ns.exec(legacy ? "iptables-legacy" : "iptables", ["-t", c.table, "-S"]);
            expect(listing.status).toBe(0);
            const listed = parse(listing.stdout, { format: "list-rules", table: c.table, family: "ipv4" });
            const firstUse = Math.min(...c.lines.map((l, i) => (l.startsWith("-A") ? i : Infinity)));
            const lastDeclaration = Math.max(...c.lines.map((l, i) => (l.startsWith(":") ? i : -1)));
            if (lastDeclaration < firstUse) expect(fwlintReferences(listed, c.table, c.chains), "the listing").toEqual(expected);
            if (c.input) {
              const model = new Model(ruleset, { local: ["10.99.0.1/24"], interfaces: ["eth0"] });
              const t = trace(model, { in: "eth0", src: "10.99.0.2", dst: "10.99.0.1", proto: "tcp", dport: 22 }).result;
              expect(t.verdict).toBe(c.input);
            }
          });
        });
      }
    });
  }
});

describe.skipIf(kernelAvailable)("chains named like targets, against the kernel (skipped)", () => {
  it.skip(`needs root and iptables: ${kernelSkipReason}`, () => {});
});
