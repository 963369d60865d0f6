/**
 * The catalog against the running kernel: every claim that can be checked by restoring rules into a throw-away
 * network namespace and reading them back with iptables-save.
 *
 * For each option of each extension the test makes candidate values (generic ones per value kind plus the
 * option's bounds and enum words), asks `checkValue` whether the catalog thinks iptables accepts each one, and
 * restores it: the kernel must agree, and iptables-save must print `checkValue(...).canonical`. The same run checks
 * negation and alias claims, print order, target/match tables and hooks (including user chains reached from a
 * wrong hook), protocol requirements, implicit protocol matches and the -p names iptables-save prints.
 *
 * Needs root, `ip`, iptables-restore/-save and ip6tables-restore/-save; otherwise the suite is skipped with a note.
 * Things this kernel cannot load at all are listed in UNLOADABLE with the kernel's message (and checked to still
 * fail); places where the catalog deliberately differs from iptables are listed in KNOWN_DIVERGENCES with a reason.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iptablesBackend, KernelSession, kernelUnavailableReason, splitSaveLine } from "../scripts/kernel-probe.js";
import {
  BUILTIN_CHAINS,
  checkValue,
  CORE_RULE_OPTIONS,
  PROTOCOL_SAVE_NAMES,
  PROTOCOLS,
  TABLE_NAMES,
  type ExtensionSpec,
  type Family,
  type Hook,
  type OptionSpec,
  type TableName,
  type ValueCheck,
  type ValueKind,
} from "../src/catalog/index.js";
import { MATCHES } from "../src/catalog/matches.js";
import { TARGETS } from "../src/catalog/targets.js";
import { candidates, OVERRIDES, PRINT_UNCHECKED, EXT_SKIP, okCheck, fixtureWords, quote, companions, contextFor, ruleText, MINIMAL_EXTRA, ORDER_SKIP, EXT_TABLE_OVERRIDES, minimalRule, nextUniq, UNLOADABLE } from "./support/catalog-samples.js";

const reason = kernelUnavailableReason();
const canUseKernel = reason === undefined;
if (!canUseKernel) console.warn(`catalog-kernel: kernel checks skipped (${reason}); run the tests as root with iptables installed`);
const backend = canUseKernel ? iptablesBackend() : "none";
const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];
/** Each kernel check restores hundreds to thousands of rules; iptables-nft needs ~20 ms per restore. */
const KERNEL_TIMEOUT = 300_000;

// ------------------------------------------------------------------------------------------------------------
// Explicit exceptions
// ------------------------------------------------------------------------------------------------------------


/**
 * Where the catalog deliberately says something else than this iptables/kernel, and why. Key:
 * "family ext option value" (value "!" for the negation claim, "alias:<spelling>" for aliases). The test fails
 * when a divergence is not listed, and when a listed one no longer happens.
 */
const KNOWN_DIVERGENCES: Readonly<Record<string, { backends: readonly string[]; why: string }>> = {
  "ipv4 limit --limit-burst 0": { backends: ["legacy"], why: "the xt_limit module (legacy) refuses burst 0; iptables-nft turns limit into an nft limit, which takes it as its default 5. The catalog follows nf_tables (0 is saved as the default) and invalid-argument reports it through legacyMin (a warning, an error in a legacy dump)" },
  "ipv6 limit --limit-burst 0": { backends: ["legacy"], why: "as for IPv4" },
  "ipv4 time --weekdays 8": { backends: ["nf_tables", "legacy"], why: "iptables takes 8 as an empty day set and saves '--weekdays ' that cannot be restored; the catalog refuses it" },
  "ipv6 time --weekdays 8": { backends: ["nf_tables", "legacy"], why: "as for IPv4" },
  "ipv4 time --monthdays 0": { backends: ["nf_tables", "legacy"], why: "iptables takes 0 as an empty day set and saves '--monthdays ' that cannot be restored; the catalog refuses it" },
  "ipv6 time --monthdays 0": { backends: ["nf_tables", "legacy"], why: "as for IPv4" },
  "ipv6 hbh --hbh-opts 256": { backends: ["nf_tables", "legacy"], why: "iptables silently wraps option types above 255 (256 → 0); the catalog refuses them" },
  "ipv6 dst --dst-opts 256": { backends: ["nf_tables", "legacy"], why: "as hbh" },
  "ipv4 NFLOG --nflog-prefix tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt": { backends: ["nf_tables"], why: "xt_NFLOG holds 63 characters (legacy cuts there); iptables-nft hands the prefix to nft log, which keeps 64+" },
  "ipv6 NFLOG --nflog-prefix tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt": { backends: ["nf_tables"], why: "as for IPv4" },
  "ipv4 TRACE @*": { backends: ["nf_tables"], why: "iptables-nft turns TRACE into nft's meta nftrace, which any table takes; the xt_TRACE module (legacy) is raw-only, as the catalog says" },
  "ipv6 TRACE @*": { backends: ["nf_tables"], why: "as for IPv4" },
  "ipv4 limit --limit-burst 10000": { backends: ["legacy"], why: "xt_limit refuses a burst whose credit (rate period × burst) overflows 32 bits, so the largest burst depends on --limit (here the default 3/hour); not modelled" },
  "ipv6 limit --limit-burst 10000": { backends: ["legacy"], why: "as for IPv4" },
};

// ------------------------------------------------------------------------------------------------------------
// Running cases in batches
// ------------------------------------------------------------------------------------------------------------

interface Case {
  readonly id: string;
  readonly family: Family;
  readonly table: TableName;
  /** Built-in chain, or a user chain reached from `from`. */
  readonly chain: string;
  readonly from?: Hook;
  readonly rule: string;
  readonly expectAccept: boolean;
}

interface Outcome {
  readonly accepted: boolean;
  readonly message: string;
  /** The saved rule's words (comment id included), when accepted. */
  readonly words?: string[];
  /** The saved rule as printed. */
  readonly line?: string;
}

let nextId = 0;
const newId = () => `fwlint${nextId++}`;

function fileFor(cases: readonly Case[]): { text: string; lineOf: Map<number, Case> } {
  const lines: string[] = [];
  const lineOf = new Map<number, Case>();
  for (const table of TABLE_NAMES) {
    const here = cases.filter((c) => c.table === table);
    if (here.length === 0) continue;
    lines.push(`*${table}`);
    for (const c of here) if (c.from) lines.push(`:${c.chain} - [0:0]`);
    for (const c of here) {
      if (c.from) lines.push(`-A ${c.from} -j ${c.chain}`);
      lines.push(`-A ${c.chain} -m comment --comment ${c.id} ${c.rule}`);
      lineOf.set(lines.length, c);
    }
    lines.push("COMMIT");
  }
  return { text: lines.join("\n") + "\n", lineOf };
}

function findSaved(rules: readonly string[], id: string): { words: string[]; line: string } | undefined {
  for (const r of rules) {
    const w = splitSaveLine(r);
    const i = w.indexOf("--comment");
    if (i >= 0 && w[i + 1] === id) return { words: w, line: r };
  }
  return undefined;
}

function runAlone(s: KernelSession, c: Case): Outcome {
  const { text } = fileFor([c]);
  const r = s.restore(text);
  if (!r.ok) return { accepted: false, message: r.message };
  const saved = findSaved(s.saveRules(c.table), c.id);
  return { accepted: true, message: r.message, ...(saved ?? {}) };
}

/**
 * Restore all cases expected to pass in one go, the rest one by one. When the batch fails, iptables-nft names the
 * failing line (that case is run alone and dropped); iptables-legacy only names the COMMIT, so the batch is halved.
 */
function runCases(s: KernelSession, cases: readonly Case[]): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  const batch = (pending: readonly Case[]): void => {
    while (pending.length > 0) {
      if (pending.length === 1) {
        out.set(pending[0]!.id, runAlone(s, pending[0]!));
        return;
      }
      const { text, lineOf } = fileFor(pending);
      const r = s.restore(text);
      if (r.ok) {
        const saved = s.saveRules();
        for (const c of pending) out.set(c.id, { accepted: true, message: "", ...(findSaved(saved, c.id) ?? {}) });
        return;
      }
      const bad = r.line !== undefined ? lineOf.get(r.line) : undefined;
      if (!bad) {
        const half = Math.ceil(pending.length / 2);
        batch(pending.slice(0, half));
        batch(pending.slice(half));
        return;
      }
      out.set(bad.id, runAlone(s, bad));
      pending = pending.filter((c) => c !== bad);
    }
  };
  batch(cases.filter((c) => c.expectAccept));
  for (const c of cases) if (!c.expectAccept) out.set(c.id, runAlone(s, c));
  return out;
}

// ------------------------------------------------------------------------------------------------------------
// Shared state
// ------------------------------------------------------------------------------------------------------------

const sessions = new Map<Family, KernelSession>();
const session = (f: Family) => sessions.get(f)!;
const disagreements: string[] = [];
let agreeCount = 0;
const seenDivergences = new Set<string>();

/** A KNOWN_DIVERGENCES key matches exactly, or as a prefix when it ends in "*". */
function knownDivergence(key: string): string | undefined {
  if (KNOWN_DIVERGENCES[key]?.backends.includes(backend)) return key;
  return Object.keys(KNOWN_DIVERGENCES).find((k) => k.endsWith("*") && key.startsWith(k.slice(0, -1)) && KNOWN_DIVERGENCES[k]!.backends.includes(backend));
}

function note(key: string, problem: string | undefined) {
  if (problem === undefined) {
    agreeCount++;
    return;
  }
  const known = knownDivergence(key);
  if (known) {
    seenDivergences.add(known);
    return;
  }
  disagreements.push(`${key}: ${problem}`);
}

function setupNamespace(s: KernelSession) {
  if (!hasIpset) return;
  s.exec("ipset", ["create", "fwlint_set", "hash:ip,port", "family", s.family === "ipv6" ? "inet6" : "inet"]);
  s.exec("ipset", ["create", "fwlint_map", "hash:ip", "skbinfo", "family", s.family === "ipv6" ? "inet6" : "inet"]);
}

/** The set match and SET target need an ipset to exist; without the ipset tool none can be created. */
const hasIpset = canUseKernel && spawnSync("sh", ["-c", "command -v ipset"], { stdio: "ignore" }).status === 0;
const RUNTIME_SKIP: Readonly<Record<string, string>> = hasIpset ? {} : { set: "the ipset tool is not installed", SET: "the ipset tool is not installed" };
if (canUseKernel && !hasIpset) console.warn("catalog-kernel: set/SET not checked: the ipset tool is not installed (apt-get install ipset)");

const unloadableKey = (spec: ExtensionSpec, opt?: OptionSpec) =>
  RUNTIME_SKIP[spec.name] ? spec.name : opt && UNLOADABLE[`${spec.name} ${opt.name}`] ? `${spec.name} ${opt.name}` : UNLOADABLE[spec.name] ? spec.name : undefined;
const unloadableHere = (key: string | undefined) => key !== undefined && (RUNTIME_SKIP[key] !== undefined || UNLOADABLE[key]!.backends.includes(backend));

/** Does the saved rule contain these words in a row? */
function containsRun(words: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= words.length; i++) {
    for (let j = 0; j < run.length; j++) if (words[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

const d = canUseKernel ? describe : describe.skip;

d(`catalog against the kernel (iptables-restore backend: ${backend})`, () => {
  beforeAll(() => {
    for (const f of FAMILIES) {
      const s = new KernelSession(f);
      setupNamespace(s);
      sessions.set(f, s);
    }
  });
  afterAll(() => {
    for (const s of sessions.values()) s.close();
    console.log(`catalog-kernel summary (${backend}): ${agreeCount} claims agree with the kernel, ${disagreements.length} disagree, ${seenDivergences.size} known divergences seen`);
    if (disagreements.length) console.log(disagreements.join("\n"));
  }, KERNEL_TIMEOUT);

  it("UNLOADABLE entries still fail with the listed message", () => {
    const stale: string[] = [];
    for (const [key, u] of Object.entries(UNLOADABLE)) {
      if (!u.backends.includes(backend)) continue;
      const [name] = key.split(" ");
      const spec = [...MATCHES, ...TARGETS].find((e) => e.name === name)!;
      expect(spec, key).toBeDefined();
      const family = u.family ?? spec.families[0]!;
      const table = u.table ?? spec.tables?.[0] ?? "filter";
      const chain = u.chain ?? (BUILTIN_CHAINS[table] as readonly string[])[0]!;
      const r = runAlone(session(family), { id: newId(), family, table, chain, rule: u.sample, expectAccept: false });
      if (r.accepted || !u.message.test(r.message)) stale.push(`${key}: ${r.accepted ? "now loads" : r.message}`);
    }
    expect(stale).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("option values: kernel acceptance and iptables-save spelling agree with checkValue", () => {
    const since = disagreements.length;
    type Sample = { case: Case; key: string; check: ValueCheck; opt: OptionSpec; spec: ExtensionSpec; words: string[]; position: number; negated: boolean; line: string };
    const samples: Sample[] = [];
    for (const family of FAMILIES) {
      for (const spec of [...MATCHES, ...TARGETS]) {
        if (!spec.families.includes(family) || EXT_SKIP[spec.name]) continue;
        for (const opt of spec.options) {
          if (opt.families && !opt.families.includes(family)) continue;
          if (unloadableHere(unloadableKey(spec, opt))) continue;
          const ov = OVERRIDES[`${spec.name} ${opt.name}`] ?? {};
          if (ov.skip) continue;
          const kinds = opt.kinds ?? [];
          const fixtures = fixtureWords(spec, opt, family);
          const positions = kinds.length === 0 ? [-1] : kinds.map((_, i) => i);
          for (const position of positions) {
            const values = position < 0 ? [""] : ov.values ?? candidates(kinds[position]!, opt, family, spec.name);
            for (const value of values) {
              const words = position < 0 ? [] : fixtures ? fixtures.map((f, i) => (i === position ? value : f)) : undefined;
              if (!words) continue;
              const check: ValueCheck = position < 0 ? { ok: true, canonical: "" } : okCheck(kinds[position]!, value, spec, opt, family);
              if (check.ok && check.warning && /resolved|looked up|must be (in|defined)/.test(check.warning)) continue; // host-dependent
              const ctx = contextFor(spec, opt, family, check.ok ? check.canonical : undefined);
              if (ctx.skip || ctx.chains.length === 0) continue;
              const c: Case = { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule: ruleText(spec, ctx, [opt.name, ...words]), expectAccept: check.ok };
              samples.push({ case: c, key: `${family} ${spec.name} ${opt.name} ${value}`, check, opt, spec, words, position, negated: false, line: "" });
            }
          }
          // negation claim, with fixture values
          if (fixtures || kinds.length === 0) {
            const ctx = contextFor(spec, opt, family, fixtures && kinds[0] ? (okCheck(kinds[0], fixtures[0]!, spec, opt, family) as { canonical?: string }).canonical : undefined);
            if (!ctx.skip && ctx.chains.length > 0) {
              const words = fixtures ?? [];
              const c: Case = { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule: ruleText(spec, ctx, ["!", opt.name, ...words]), expectAccept: opt.negatable };
              samples.push({ case: c, key: `${family} ${spec.name} ${opt.name} !`, check: { ok: opt.negatable, canonical: "" } as ValueCheck, opt, spec, words, position: -2, negated: true, line: "" });
              for (const alias of opt.aliases ?? []) {
                const a: Case = { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule: ruleText(spec, ctx, [alias, ...words]), expectAccept: true };
                samples.push({ case: a, key: `${family} ${spec.name} ${opt.name} alias:${alias}`, check: { ok: true, canonical: "" }, opt, spec, words, position: -3, negated: false, line: "" });
              }
            }
          }
        }
      }
    }
    for (const family of FAMILIES) {
      const mine = samples.filter((x) => x.case.family === family);
      const outcomes = runCases(session(family), mine.map((x) => x.case));
      for (const x of mine) {
        const o = outcomes.get(x.case.id)!;
        if (o.accepted !== x.check.ok) {
          note(x.key, `catalog says ${x.check.ok ? "valid" : `invalid (${(x.check as { message: string }).message})`}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.case.rule}]`);
          continue;
        }
        if (!o.accepted || !o.words) {
          note(x.key, undefined);
          continue;
        }
        note(x.key, savedProblem({ ...x, line: ` ${o.line ?? ""} ` }, o.words));
      }
    }
    function savedProblem(x: Sample, words: string[]): string | undefined {
      const { opt, check } = x;
      if (!check.ok) return undefined;
      if (PRINT_UNCHECKED[`${x.spec.name} ${opt.name}`]) return undefined;
      const shown = words.join(" ");
      // an alias is saved under the option's own name (unless the option is saved differently anyway)
      if (x.position === -3) return words.includes(opt.name) || opt.savedAs !== undefined || opt.save !== undefined ? undefined : `alias not saved as ${opt.name}: ${shown}`;
      if (x.negated) {
        if (opt.invertsTo) return words.includes(opt.invertsTo) && !words.includes("!") ? undefined : `! ${opt.name} not saved as ${opt.invertsTo}: ${shown}`;
        if (opt.kinds?.[0] === "weekdays" || opt.kinds?.[0] === "monthdays") return undefined; // saved as the complement
        if (opt.savedAs || opt.save === "never") return undefined;
        return containsRun(words, ["!", opt.name]) ? undefined : `negation not saved: ${shown}`;
      }
      if (x.position === -1) {
        if (opt.save === "never" || opt.save === "omit-default") return words.includes(opt.name) ? `${opt.name} should be dropped: ${shown}` : undefined;
        if (opt.savedAs !== undefined) return containsRun(words, splitSaveLine(opt.savedAs)) ? undefined : `expected "${opt.savedAs}": ${shown}`;
        return words.includes(opt.name) ? undefined : `${opt.name} missing: ${shown}`;
      }
      const name = check.savedAs ?? opt.savedAs ?? opt.name;
      if (check.omitted) return words.includes(name) && !(opt.save === "always") ? `expected ${name} to be dropped: ${shown}` : undefined;
      // all value words canonicalized
      const canon = x.words.map((w, i) => {
        const r = okCheck(opt.kinds![i]!, w, x.spec, opt, x.case.family);
        return r.ok ? r.canonical : w;
      });
      const run = [name, ...canon];
      if (containsRun(words, run)) return undefined;
      // values iptables-save prints raw (saveQuoting "never") only show up in the unsplit line
      if (opt.saveQuoting === "never" && x.line.includes(` ${run.join(" ")} `)) return undefined;
      return `expected "${run.join(" ")}" in: ${shown}`;
    }
    expect(samples.length).toBeGreaterThan(500);
    const unexpected = disagreements.slice(since);
    expect(unexpected, unexpected.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("tables and hooks: targets and matches load exactly where the catalog says, also behind user chains", () => {
    const since = disagreements.length;
    const problems: string[] = [];
    for (const family of FAMILIES) {
      const cases: { c: Case; spec: ExtensionSpec; where: string }[] = [];
      for (const spec of [...MATCHES, ...TARGETS]) {
        if (!spec.families.includes(family) || EXT_SKIP[spec.name] || unloadableHere(unloadableKey(spec))) continue;
        const base = minimalRule(spec, family);
        if (!base) {
          problems.push(`${family} ${spec.name}: no minimal rule`);
          continue;
        }
        for (const table of TABLE_NAMES) {
          for (const chain of BUILTIN_CHAINS[table] as readonly Hook[]) {
            const expectAccept = (!spec.tables || spec.tables.includes(table)) && (!spec.hooks || spec.hooks.includes(chain)) && base.hooks.includes(chain) && !EXT_TABLE_OVERRIDES[spec.name]?.refused?.includes(table);
            cases.push({ c: { id: newId(), family, table, chain, rule: base.rule, expectAccept }, spec, where: `${table}/${chain}` });
          }
        }
        // a user chain is checked against every built-in chain that reaches it
        if (spec.hooks) {
          const table = spec.tables?.[0] ?? "filter";
          const builtins = BUILTIN_CHAINS[table] as readonly Hook[];
          const good = builtins.find((c) => spec.hooks!.includes(c) && base.hooks.includes(c));
          const bad = builtins.find((c) => !spec.hooks!.includes(c));
          if (good) cases.push({ c: { id: newId(), family, table, chain: `FWL_OK_${nextUniq()}`, from: good, rule: base.rule, expectAccept: true }, spec, where: `${table}/user chain from ${good}` });
          if (bad) cases.push({ c: { id: newId(), family, table, chain: `FWL_BAD_${nextUniq()}`, from: bad, rule: base.rule, expectAccept: false }, spec, where: `${table}/user chain from ${bad}` });
        }
      }
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        note(`${family} ${x.spec.name} @${x.where}`, o.accepted === x.c.expectAccept ? undefined : `catalog says ${x.c.expectAccept ? "allowed" : "refused"}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.c.rule}]`);
      }
    }
    expect(problems).toEqual([]);
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("family-only extensions are refused by the other family", () => {
    const since = disagreements.length;
    for (const spec of [...MATCHES, ...TARGETS]) {
      if (spec.families.length !== 1 || EXT_SKIP[spec.name]) continue;
      const other: Family = spec.families[0] === "ipv4" ? "ipv6" : "ipv4";
      if ([...MATCHES, ...TARGETS].some((e) => e.name === spec.name && e.families.includes(other))) continue; // per-family variants (ah)
      const base = minimalRule(spec, spec.families[0]!);
      if (!base) continue;
      const table = spec.tables?.[0] ?? "filter";
      const chain = (BUILTIN_CHAINS[table] as readonly Hook[]).find((c) => (!spec.hooks || spec.hooks.includes(c)) && base.hooks.includes(c))!;
      const o = runAlone(session(other), { id: newId(), family: other, table, chain, rule: base.rule, expectAccept: false });
      note(`${other} ${spec.name} @other-family`, o.accepted ? `${spec.name} is ${spec.families[0]}-only in the catalog, but ${other} accepts it` : undefined);
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("protocol needs and implicit protocol matches", () => {
    const since = disagreements.length;
    for (const family of FAMILIES) {
      const cases: { c: Case; key: string; mustShow?: string }[] = [];
      for (const spec of MATCHES) {
        if (!spec.families.includes(family) || !spec.protocols || unloadableHere(unloadableKey(spec))) continue;
        const base = minimalRule(spec, family);
        if (!base) continue;
        const table = spec.tables?.[0] ?? "filter";
        const chain = (BUILTIN_CHAINS[table] as readonly Hook[]).find((c) => base.hooks.includes(c) && (!spec.hooks || spec.hooks.includes(c)))!;
        // without -p the rule is refused (by iptables or the kernel)
        cases.push({ c: { id: newId(), family, table, chain, rule: base.rule.replace(/^-p \d+ /, ""), expectAccept: false }, key: `${family} ${spec.name} without -p` });
        // implicit loading: -p SPELLING --option value, no -m
        const first = spec.options.find((o) => o.args > 0 && (!o.families || o.families.includes(family)));
        const words = first ? fixtureWords(spec, first, family) : undefined;
        if (!first || !words) continue;
        const spellings = Object.entries(PROTOCOLS).filter(([, n]) => n === spec.protocols![0]).map(([name]) => name);
        for (const spelling of [...new Set([...spellings, String(spec.protocols[0])])]) {
          const implicit = (spec.implicitFor ?? []).includes(spelling);
          const rule = `-p ${spelling} ${first.name} ${words.map(quote).join(" ")} -j ACCEPT`;
          cases.push({ c: { id: newId(), family, table, chain, rule, expectAccept: implicit }, key: `${family} ${spec.name} implicit via -p ${spelling}`, mustShow: implicit ? `-m ${spec.name}` : undefined });
        }
      }
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        let problem: string | undefined;
        if (o.accepted !== x.c.expectAccept) problem = `catalog says ${x.c.expectAccept ? "accepted" : "refused"}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.c.rule}]`;
        else if (x.mustShow && o.line && !o.line.includes(x.mustShow)) problem = `expected ${x.mustShow} in ${o.line}`;
        note(x.key, problem);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("-p names: every accepted spelling and the name iptables-save prints per number", () => {
    const since = disagreements.length;
    for (const family of FAMILIES) {
      const cases: { c: Case; key: string; expect: string | undefined }[] = [];
      for (const [name, n] of Object.entries(PROTOCOLS)) {
        cases.push({ c: { id: newId(), family, table: "filter", chain: "INPUT", rule: `-p ${name} -j ACCEPT`, expectAccept: true }, key: `${family} -p ${name}`, expect: n === 0 ? undefined : PROTOCOL_SAVE_NAMES[n] ?? String(n) });
      }
      for (let n = 0; n <= 255; n++) {
        cases.push({ c: { id: newId(), family, table: "filter", chain: "INPUT", rule: `-p ${n} -j ACCEPT`, expectAccept: true }, key: `${family} -p ${n}`, expect: n === 0 ? undefined : PROTOCOL_SAVE_NAMES[n] ?? String(n) });
      }
      for (const bad of ["icmp6", "256", "nosuchproto"]) cases.push({ c: { id: newId(), family, table: "filter", chain: "INPUT", rule: `-p ${bad} -j ACCEPT`, expectAccept: false }, key: `${family} -p ${bad}`, expect: undefined });
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        let problem: string | undefined;
        if (o.accepted !== x.c.expectAccept) problem = `kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`}`;
        else if (o.accepted && o.words) {
          const i = o.words.indexOf("-p");
          const shown = i >= 0 ? o.words[i + 1] : undefined;
          if (shown !== x.expect) problem = `iptables-save prints ${shown === undefined ? "no -p" : `-p ${shown}`}, catalog says ${x.expect === undefined ? "none" : x.expect}`;
        }
        note(x.key, problem);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("options are declared in the order iptables-save prints them", () => {
    const since = disagreements.length;
    const problems: string[] = [];
    for (const family of FAMILIES) {
      for (const spec of [...MATCHES, ...TARGETS]) {
        if (!spec.families.includes(family) || EXT_SKIP[spec.name] || unloadableHere(unloadableKey(spec)) || ORDER_SKIP[spec.name]) continue;
        const chosen: { opt: OptionSpec; words: string[] }[] = [];
        for (const opt of spec.options) {
          if (opt.families && !opt.families.includes(family)) continue;
          if (opt.savedAs !== undefined || opt.save === "never" || opt.save === "omit-default" || opt.optionalArg || PRINT_UNCHECKED[`${spec.name} ${opt.name}`]) continue;
          if (unloadableHere(unloadableKey(spec, opt)) || OVERRIDES[`${spec.name} ${opt.name}`]) continue;
          if (chosen.some((c) => c.opt.conflicts?.includes(opt.name) || opt.conflicts?.includes(c.opt.name))) continue;
          if (opt.requiresAnyOf && !opt.requiresAnyOf.some((n) => chosen.some((c) => c.opt.name === n))) continue;
          const words = opt.kinds?.length ? fixtureWords(spec, opt, family) : [];
          if (!words) continue;
          chosen.push({ opt, words });
        }
        const comp = companions(spec, chosen[0]?.opt ?? { name: "", args: 0, negatable: false }, family, chosen.flatMap((c) => [c.opt.name]));
        if (typeof comp !== "string") comp.args.push(...(MINIMAL_EXTRA[spec.name] ?? []));
        if (typeof comp === "string" || chosen.length < 2) continue;
        const ctx = contextFor(spec, chosen[0]!.opt, family);
        for (const c of chosen) if (c.opt.hooks) ctx.chains = ctx.chains.filter((h) => c.opt.hooks!.includes(h));
        for (const c of chosen) for (const p of c.opt.protocols ?? []) if (!ctx.core.length) ctx.core.push(`-p ${p}`);
        if (ctx.skip || ctx.chains.length === 0) continue;
        // reversed, except that an option needing another one (requiresAnyOf) stays right after it
        const reversed = [...chosen].reverse();
        const input: typeof chosen = [];
        for (const c of reversed) if (!c.opt.requiresAnyOf) input.push(c);
        for (const c of reversed.filter((r) => r.opt.requiresAnyOf)) {
          const at = input.findIndex((i) => c.opt.requiresAnyOf!.includes(i.opt.name));
          input.splice(at + 1, 0, c);
        }
        const extra = comp.args;
        const rule = ruleText(spec, { ...ctx, extArgs: [...extra, ...input.flatMap((c) => [c.opt.name, ...c.words])], after: [] }, []);
        const o = runAlone(session(family), { id: newId(), family, table: ctx.table, chain: ctx.chains[0]!, rule, expectAccept: true });
        if (!o.accepted || !o.words) {
          note(`${family} ${spec.name} @order`, `order sample refused: ${o.message} [rule: ${rule}]`);
          continue;
        }
        const positions = chosen.map((c) => o.words!.indexOf(c.opt.name));
        const printed = chosen.filter((_, i) => positions[i]! >= 0).map((c) => c.opt.name);
        const order = [...printed].sort((a, b) => o.words!.indexOf(a) - o.words!.indexOf(b));
        note(`${family} ${spec.name} @order`, order.join(" ") === printed.join(" ") ? undefined : `catalog order ${printed.join(" ")}, iptables-save order ${order.join(" ")}`);
        if (printed.length < 2) problems.push(`${family} ${spec.name}: order not observable (${o.line})`);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("rateest: the man page's relative-mode example loads and prints in catalog order", () => {
    const s = session("ipv4");
    const rules = [
      "-A POSTROUTING -o eth0 -j RATEEST --rateest-name eth0 --rateest-interval 250ms --rateest-ewmalog 0.5s",
      "-A POSTROUTING -o ppp0 -j RATEEST --rateest-name ppp0 --rateest-interval 250ms --rateest-ewmalog 0.5s",
      // the estimators must come first in table order (legacy checks rules in that order)
      "-A POSTROUTING -m rateest --rateest-delta --rateest1 eth0 --rateest-bps1 2.5mbit --rateest-gt --rateest2 ppp0 --rateest-bps2 2mbit -j ACCEPT",
      "-A POSTROUTING -m rateest --rateest eth0 --rateest-gt --rateest-bps 1mbit -j ACCEPT",
    ];
    const r = s.restore(`*mangle\n${rules.join("\n")}\nCOMMIT\n`);
    expect(r.ok, r.message).toBe(true);
    const saved = s.saveRules("mangle").filter((l) => l.includes("-m rateest"));
    expect(saved).toHaveLength(2);
    const rateest = MATCHES.find((m) => m.name === "rateest")!;
    for (const line of saved) {
      const words = splitSaveLine(line);
      const names = rateest.options.map((o) => o.name).filter((n) => words.includes(n));
      expect(names.length).toBeGreaterThan(2);
      expect([...names].sort((a, b) => words.indexOf(a) - words.indexOf(b))).toEqual(names);
    }
    const bps = rateest.options.find((o) => o.name === "--rateest-bps")!;
    const check = checkValue("bandwidth", "1mbit", { family: "ipv4", option: bps, extension: "rateest" });
    expect(check.ok && saved.some((l) => l.includes(`--rateest-bps ${check.canonical}`)), saved.join("\n")).toBe(true);
  }, KERNEL_TIMEOUT);

  it("core options: values, saved spelling, hooks and families", () => {
    const since = disagreements.length;
    for (const family of FAMILIES) {
      const cases: { c: Case; key: string; opt: OptionSpec; check: ValueCheck }[] = [];
      for (const opt of CORE_RULE_OPTIONS) {
        if (opt.save === "never") continue;
        const allowed = !opt.families || opt.families.includes(family);
        const hooks = (BUILTIN_CHAINS.filter as readonly Hook[]).filter((h) => !opt.hooks || opt.hooks.includes(h));
        const values = opt.kinds?.length ? candidates(opt.kinds[0]!, opt, family, "").filter((v) => !v.includes(",")) : [""];
        for (const value of values) {
          const check: ValueCheck = opt.kinds?.length ? checkValue(opt.kinds[0]!, value, { family, option: opt }) : allowed ? { ok: true, canonical: "" } : { ok: false, message: `${opt.name} is not available for ${family}` };
          if (check.ok && check.warning && /resolved/.test(check.warning)) continue;
          const rule = `${opt.name} ${value === "" ? "" : quote(value)} -j ACCEPT`.replace("  ", " ");
          cases.push({ c: { id: newId(), family, table: "filter", chain: hooks[0]!, rule, expectAccept: check.ok && allowed }, key: `${family} core ${opt.name} ${value}`, opt, check });
        }
        // hook claims: each filter chain outside opt.hooks must refuse it
        const fixture = opt.kinds?.length ? values.find((v) => checkValue(opt.kinds![0]!, v, { family, option: opt }).ok) : "";
        if (fixture === undefined) continue;
        for (const chain of BUILTIN_CHAINS.filter as readonly Hook[]) {
          const expectAccept = allowed && (!opt.hooks || opt.hooks.includes(chain));
          const rule = `${opt.name} ${fixture} -j ACCEPT`.replace("  ", " ");
          cases.push({ c: { id: newId(), family, table: "filter", chain, rule, expectAccept }, key: `${family} core ${opt.name} @${chain}`, opt, check: { ok: true, canonical: "" } });
        }
      }
      const outcomes = runCases(session(family), cases.map((x) => x.c));
      for (const x of cases) {
        const o = outcomes.get(x.c.id)!;
        let problem: string | undefined;
        if (o.accepted !== x.c.expectAccept) problem = `catalog says ${x.c.expectAccept ? "accepted" : "refused"}, kernel ${o.accepted ? "accepts" : `refuses: ${o.message}`} [rule: ${x.c.rule}]`;
        else if (o.accepted && o.words && x.check.ok && x.check.canonical !== "" && !x.key.includes("@")) {
          const shown = o.words.join(" ");
          if (x.check.omitted) problem = o.words.includes(x.opt.name) ? `expected ${x.opt.name} to be dropped: ${shown}` : undefined;
          else problem = containsRun(o.words, [x.opt.name, x.check.canonical]) ? undefined : `expected "${x.opt.name} ${x.check.canonical}" in: ${shown}`;
        }
        note(x.key, problem);
      }
    }
    const mine = disagreements.slice(since);
    expect(mine, mine.join("\n")).toEqual([]);
  }, KERNEL_TIMEOUT);

  it("KNOWN_DIVERGENCES all still happen", () => {
    const expected = Object.entries(KNOWN_DIVERGENCES).filter(([, v]) => v.backends.includes(backend)).map(([k]) => k);
    expect(expected.filter((k) => !seenDivergences.has(k))).toEqual([]);
  }, KERNEL_TIMEOUT);
});
