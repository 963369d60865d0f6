/**
 * Options of one extension alone and in pairs, against the kernel. iptables checks an extension's options
 * together once it has read them all (its "final check"): `--mode random` needs `--probability`,
 * `--probability` excludes `--every`, `--contiguous` needs a stop time before the start time, `--tunnel-src`
 * needs `--mode tunnel`. The value checks of test/catalog-kernel.test.ts give each option the companions that
 * let it load; here each option is also tried with the catalog's companions only, and every two options of an
 * extension together, in both orders, and with the first negated where it can be. Some rules are valid or not
 * by what else the rule says: every conntrack helper of a CT target with each protocol, TCPMSS with and without
 * a match of SYN packets; hashlimit's burst depends on its rate's unit. fwlint, told which backend saved the file, must report an error exactly where
 * iptables-restore refuses the rule.
 *
 * Needs root, `ip`, iptables-restore and ip6tables-restore; otherwise skipped with the reason.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iptablesBackend, KernelSession, kernelUnavailableReason } from "../scripts/kernel-probe.js";
import { CONNTRACK_HELPERS, type ExtensionSpec, type Family, type OptionSpec, type TableName } from "../src/catalog/index.js";
import { MATCHES } from "../src/catalog/matches.js";
import { TARGETS } from "../src/catalog/targets.js";
import { lintFiles } from "../src/lint.js";
import { lintRules } from "../rules/index.js";
import { companions, contextFor, EXT_SKIP, fixtureWords, ruleText, UNLOADABLE, type Context } from "./support/catalog-samples.js";

const reason = kernelUnavailableReason();
const backend = reason === undefined ? iptablesBackend() : "none";
/** The set match and SET target need ipsets, made in each namespace with the ipset tool. */
const hasIpset = reason === undefined && spawnSync("sh", ["-c", "command -v ipset"], { stdio: "ignore" }).status === 0;

/** Extensions and options the kernel here cannot load (test/support/catalog-samples.ts), or that need a set. */
function unloadable(spec: ExtensionSpec, opt?: OptionSpec): boolean {
  if (EXT_SKIP[spec.name] || ((spec.name === "set" || spec.name === "SET") && !hasIpset)) return true;
  const u = UNLOADABLE[spec.name] ?? (opt ? UNLOADABLE[`${spec.name} ${opt.name}`] : undefined);
  return u !== undefined && u.backends.includes(backend);
}

/** Samples where fwlint knowingly says otherwise, by backend, with the reason (also in catalog-kernel's list). */
const KNOWN: Readonly<Record<string, { backends: readonly string[]; why: string }>> = {
  "ipv4 limit --limit-burst alone": { backends: ["legacy"], why: "xt_limit refuses a burst whose credit (rate period × burst) overflows 32 bits, which depends on --limit; not modelled" },
  "ipv6 limit --limit-burst alone": { backends: ["legacy"], why: "as for IPv4" },
};

/** Validity rules only: a sample rule is not a whole firewall, and only refusals are compared. */
const VALIDITY = new Set(lintRules.filter((r) => r.category === "syntax" || r.category === "validity").map((r) => r.id));

interface Sample {
  readonly key: string;
  readonly family: Family;
  readonly table: TableName;
  readonly chain: string;
  readonly rule: string;
  /** The kernel here refuses it, and fwlint warns instead: what another host may accept. */
  readonly warns?: string;
}

/** An option with its value words, in the order the sample gives them. */
type Words = readonly (readonly string[])[];

/** Split "--a x --b --c y z" into options with their values. */
function groups(words: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const w of words) {
    if (w.startsWith("--") || out.length === 0) out.push([w]);
    else out[out.length - 1]!.push(w);
  }
  return out;
}

/** The rule text of the extension with these options, as catalog-kernel writes its samples. */
const render = (spec: ExtensionSpec, ctx: Context, core: readonly string[], opts: Words) => ruleText(spec, { ...ctx, core: [...core], extArgs: opts.flat(), after: [] }, []);

/** The option (its own words) and the companions it needs in `ctx`, or undefined when it cannot be sampled. */
function optionSample(spec: ExtensionSpec, opt: OptionSpec, family: Family): { ctx: Context; own: string[] } | undefined {
  if (opt.families && !opt.families.includes(family)) return undefined;
  const ctx = contextFor(spec, opt, family);
  if (ctx.skip || ctx.chains.length === 0) return undefined;
  const words = opt.args === 0 ? [] : fixtureWords(spec, opt, family);
  if (!words) return undefined;
  return { ctx, own: [opt.name, ...words] };
}

/**
 * Rules whose validity depends on the rest of the rule, not on the extension's options: every conntrack helper
 * with each protocol (and none), and TCPMSS with and without a tcp match of SYN packets.
 */
function ruleSamples(family: Family): Sample[] {
  const out: Sample[] = [];
  for (const helper of [...Object.keys(CONNTRACK_HELPERS), "h323", "nosuch"]) {
    for (const p of ["", "-p tcp", "-p udp", "! -p tcp"]) {
      const known = Object.hasOwn(CONNTRACK_HELPERS, helper);
      out.push({
        key: `${family} CT --helper ${helper} ${p}`,
        family,
        table: "raw",
        chain: "PREROUTING",
        rule: `${p} -j CT --helper ${helper}`.trim(),
        ...(known ? {} : { warns: "a user-space helper (nfct add helper) may register the name on another host" }),
      });
    }
  }
  let n = 0;
  for (const rate of ["5/s", "1kb/s", "2kb/s", "1mb/s"]) {
    for (const burst of ["", "5", "1024", "1kb", "976kb", "977kb", "1mb"]) {
      const b = burst ? ` --hashlimit-burst ${burst}` : "";
      out.push({ key: `${family} hashlimit ${rate}${b}`, family, table: "filter", chain: "INPUT", rule: `-m hashlimit --hashlimit-upto ${rate}${b} --hashlimit-name hb${n++} -j ACCEPT` });
    }
  }
  for (const total of [1, 2, 32]) {
    for (const local of ["--cluster-local-node 1", "--cluster-local-node 2", "--cluster-local-node 3", "--cluster-local-nodemask 3", "--cluster-local-nodemask 4"]) {
      out.push({ key: `${family} cluster ${total} ${local}`, family, table: "filter", chain: "INPUT", rule: `-m cluster --cluster-total-nodes ${total} ${local} --cluster-hash-seed 1 -j ACCEPT` });
    }
  }
  for (const m of ["", "-m tcp --syn", "-m tcp ! --syn", "-m tcp --tcp-flags SYN,RST SYN", "-m tcp --tcp-flags ALL SYN,ACK", "-m tcp --tcp-flags SYN ACK", "-m tcp ! --tcp-flags SYN,RST SYN", "-m tcp --dport 80"]) {
    for (const t of ["--set-mss 1400", "--clamp-mss-to-pmtu"]) {
      out.push({ key: `${family} TCPMSS ${m} ${t}`, family, table: "mangle", chain: "FORWARD", rule: `-p tcp ${m} -j TCPMSS ${t}`.replace(/ +/g, " ") });
    }
  }
  return out;
}

function samples(family: Family): Sample[] {
  const out: Sample[] = ruleSamples(family);
  for (const spec of [...MATCHES, ...TARGETS]) {
    if (!spec.families.includes(family) || spec.outOfTree || unloadable(spec)) continue;
    const opts = spec.options.filter((o) => !unloadable(spec, o)).map((o) => ({ o, s: optionSample(spec, o, family) })).filter((x) => x.s !== undefined) as { o: OptionSpec; s: { ctx: Context; own: string[] } }[];
    for (let i = 0; i < opts.length; i++) {
      const a = opts[i]!;
      // alone, with only the companions the catalog itself asks for (no hand-made extras)
      const own = companions(spec, a.o, family, []);
      if (typeof own !== "string") {
        out.push({ key: `${family} ${spec.name} ${a.o.name} alone`, family, table: a.s.ctx.table, chain: a.s.ctx.chains[0]!, rule: render(spec, a.s.ctx, a.s.ctx.core, [...groups(own.args), a.s.own]) });
      }
      for (let j = i + 1; j < opts.length; j++) {
        const b = opts[j]!;
        if (a.s.ctx.table !== b.s.ctx.table) continue;
        const chain = a.s.ctx.chains.find((c) => b.s.ctx.chains.includes(c));
        if (!chain) continue;
        const core = [...new Set([...a.s.ctx.core, ...b.s.ctx.core])];
        if (core.filter((c) => c.startsWith("-p")).length > 1) continue;
        for (const [x, y] of [
          [a, b],
          [b, a],
        ] as const) {
          // x's companions, x, then y's companions and y, each option once
          const seen = new Set<string>();
          const opts: string[][] = [];
          for (const g of [...groups([...x.s.ctx.extArgs]), x.s.own, ...groups([...y.s.ctx.extArgs]), y.s.own, ...groups([...x.s.ctx.after, ...y.s.ctx.after])]) {
            if (seen.has(g[0]!)) continue;
            seen.add(g[0]!);
            opts.push(g);
          }
          out.push({ key: `${family} ${spec.name} ${x.o.name} + ${y.o.name}`, family, table: x.s.ctx.table, chain, rule: render(spec, x.s.ctx, core, opts) });
          if (x.o.negatable) {
            const neg = opts.map((g) => (g[0] === x.o.name ? ["!", ...g] : g));
            out.push({ key: `${family} ${spec.name} ! ${x.o.name} + ${y.o.name}`, family, table: x.s.ctx.table, chain, rule: render(spec, x.s.ctx, core, neg) });
          }
        }
      }
    }
  }
  return out;
}

/** What fwlint says of a restore file saved by the backend under test: its first validity error (or warning), or null. */
function fwlintSays(family: Family, body: string, severity: "error" | "warning" = "error"): string | null {
  const tool = family === "ipv6" ? "ip6tables-save" : "iptables-save";
  const text = `# Generated by ${tool} v1.8.9 (${backend}) on Sat Nov 28 00:00:00 2026\n${body}`;
  const [r] = lintFiles([{ text, kind: family === "ipv6" ? "ip6tables" : "iptables" }], { config: { rules: {}, facts: {} } });
  const e = r!.messages.find((m) => m.severity === severity && m.ruleId !== null && VALIDITY.has(m.ruleId));
  return e ? `${e.ruleId}: ${e.message}` : null;
}

/** What fwlint says of the sample (see fwlintSays). */
const fwlintRefuses = (s: Sample, severity: "error" | "warning" = "error") => fwlintSays(s.family, `*${s.table}\n-A ${s.chain} ${s.rule}\nCOMMIT\n`, severity);

/** Restore every sample, many per restore; the line iptables-nft names is taken out and run alone. */
function kernelVerdicts(s: KernelSession, list: readonly Sample[]): Map<Sample, string | null> {
  const out = new Map<Sample, string | null>();
  let pending = [...list];
  const alone = (x: Sample) => {
    const r = s.restore(`*${x.table}\n-A ${x.chain} ${x.rule}\nCOMMIT\n`);
    out.set(x, r.ok ? null : r.message);
  };
  while (pending.length) {
    const batch = pending.slice(0, 400);
    const lines: string[] = [];
    const at = new Map<number, Sample>();
    for (const table of new Set(batch.map((x) => x.table))) {
      lines.push(`*${table}`);
      for (const x of batch.filter((y) => y.table === table)) {
        lines.push(`-A ${x.chain} ${x.rule}`);
        at.set(lines.length, x);
      }
      lines.push("COMMIT");
    }
    const r = s.restore(`${lines.join("\n")}\n`);
    if (r.ok) {
      for (const x of batch) out.set(x, null);
      pending = pending.slice(batch.length);
      continue;
    }
    const bad = r.line !== undefined ? at.get(r.line) : undefined;
    if (bad) {
      alone(bad);
      pending = pending.filter((x) => x !== bad);
    } else {
      // no line named (COMMIT, legacy): one by one
      for (const x of batch) alone(x);
      pending = pending.slice(batch.length);
    }
  }
  return out;
}

describe.skipIf(reason !== undefined)("options of one extension in pairs against the kernel", () => {
  const sessions = new Map<Family, KernelSession>();
  beforeAll(() => {
    for (const f of ["ipv4", "ipv6"] as const) {
      const s = new KernelSession(f);
      sessions.set(f, s);
      if (!hasIpset) continue;
      const inet = f === "ipv6" ? "inet6" : "inet";
      s.exec("ipset", ["create", "fwlint_set", "hash:ip,port", "family", inet]);
      s.exec("ipset", ["create", "fwlint_map", "hash:ip", "skbinfo", "family", inet]);
    }
  });
  afterAll(() => {
    for (const s of sessions.values()) s.close();
  });

  for (const family of ["ipv4", "ipv6"] as const) {
    it(`${family}: fwlint reports an error exactly where iptables-restore refuses the rule`, () => {
      const list = samples(family);
      const kernel = kernelVerdicts(sessions.get(family)!, list);
      const disagreements: string[] = [];
      for (const x of list) {
        const k = kernel.get(x)!;
        if (x.warns) {
          const w = fwlintRefuses(x, "warning");
          if (k === null || w === null || fwlintRefuses(x) !== null) disagreements.push(`${x.key}: ${x.rule}\n    kernel: ${k ?? "accepts"}\n    fwlint: ${w ?? "no warning"} (expected a warning: ${x.warns})`);
          continue;
        }
        const f = fwlintRefuses(x);
        if ((k === null) !== (f === null) && !KNOWN[x.key]?.backends.includes(backend)) disagreements.push(`${x.key}: ${x.rule}\n    kernel: ${k ?? "accepts"}\n    fwlint: ${f ?? "accepts"}`);
      }
      console.log(`${family}: ${list.length} samples, ${disagreements.length} disagreements`);
      expect(disagreements).toEqual([]);
    }, 600_000);
  }
});

/** Chain names, declared (`:NAME`) or created (`-N NAME`): which the kernel's iptables refuses. */
const CHAIN_NAMES = ["ACCEPT", "DROP", "RETURN", "QUEUE", "accept", "!x", "a!b", "-y", "LOG", "DNAT", "REJECT", "CT", "NOTRACK", "TRACE", "SNPT", "CLUSTERIP", "ULOG", "mark", "x:y", "x,y", "é", "LOGDROP"];

describe.skipIf(reason !== undefined)("chain names against the kernel", () => {
  for (const family of ["ipv4", "ipv6"] as const) {
    it(`${family}: fwlint reports an error exactly where iptables-restore refuses a chain's name`, () => {
      const s = new KernelSession(family);
      const disagreements: string[] = [];
      try {
        for (const name of CHAIN_NAMES) {
          for (const line of [`:${name} - [0:0]`, `-N ${name}`]) {
            const body = `*filter\n${line}\nCOMMIT\n`;
            s.reset();
            const k = s.restore(body);
            const e = fwlintSays(family, body);
            if (k.ok === (e !== null)) disagreements.push(`${line}: kernel ${k.ok ? "accepts" : k.message}; fwlint ${e ?? "accepts"}`);
          }
        }
      } finally {
        s.close();
      }
      expect(disagreements).toEqual([]);
    }, 120_000);
  }
});

describe.skipIf(reason === undefined)("options of one extension in pairs against the kernel", () => {
  it.skip(`needs root, ip and iptables: ${reason}`, () => {});
});
