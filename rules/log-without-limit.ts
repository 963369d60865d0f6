import { criterion, type Chain, type Option, type Rule, type Ruleset } from "../src/ast/iptables.js";
import { packetsPerSecond } from "../src/catalog/index.js";
import type { Suggestion } from "../src/diagnostic.js";
import { defineRule } from "../src/rule.js";

/** Built-in chains that see packets other hosts send (received or forwarded). */
const FROM_OUTSIDE = new Set(["PREROUTING", "INPUT", "FORWARD", "POSTROUTING"]);

/** A rate limit on a rule: the option that sets it (none for `-m limit` at its default) and its rate. */
interface Limit {
  readonly option: Option | undefined;
  /** Packets per second; undefined for a byte rate (hashlimit's `1mb/s`), which is not compared. */
  readonly perSecond: number | undefined;
  readonly text: string;
}

/** `-m limit` without `--limit` matches 3 packets an hour (libxt_limit's default). */
const LIMIT_DEFAULT = "3/hour";

/**
 * The rule's strictest rate limit: `-m limit` (which has no negation), or `-m hashlimit` matching up to a rate
 * (`--hashlimit-upto`, or `! --hashlimit-above`, which iptables saves as `--hashlimit-upto`), with or without
 * `--hashlimit-rate-match`. `--hashlimit-above` matches the packets over the rate, which a flood makes
 * unbounded. A byte rate counts as the strictest (it is not compared).
 */
function limitOf(rule: Rule): Limit | undefined {
  let best: Limit | undefined;
  const consider = (option: Option | undefined, text: string) => {
    const l: Limit = { option, perSecond: packetsPerSecond(text), text };
    if (!best || l.perSecond === undefined || (best.perSecond !== undefined && l.perSecond < best.perSecond)) best = l;
  };
  for (const m of rule.matches) {
    if (m.module === "limit") {
      const o = m.options.find((x) => x.name === "--limit");
      consider(o, o?.valueText(0) ?? LIMIT_DEFAULT);
      continue;
    }
    if (m.module !== "hashlimit") continue;
    let upto: Option | undefined;
    for (const o of m.options) {
      if (o.name === "--hashlimit-upto") upto = o.negated ? undefined : o;
      else if (o.name === "--hashlimit-above") upto = o.negated ? o : undefined;
    }
    if (upto) consider(upto, upto.valueText(0) ?? "");
  }
  return best;
}

/** A limit that bounds the rate: at most `maxPerSecond` packets a second (a byte rate counts as a bound). */
const bounds = (l: Limit | undefined, maxPerSecond: number): boolean => l !== undefined && (l.perSecond === undefined || l.perSecond <= maxPerSecond);

/** Whether the rule matches at a rate of at most `maxPerSecond` packets a second. */
function rateLimited(rule: Rule, maxPerSecond: number): boolean {
  return bounds(limitOf(rule), maxPerSecond);
}

/** Only packets on the loopback interface, which the host sends itself (`-i lo`). */
const loopbackOnly = (rule: Rule) => {
  const i = criterion(rule, "-i");
  return i !== undefined && !i.negated && i.valueText(0) === "lo";
};

/** A way into a chain: the built-in chain it starts from, and the jumps taken (none for a built-in chain). */
interface Path {
  readonly from: string;
  readonly jumps: readonly Rule[];
}

/** The chains of a table that packets from `entries` reach through jumps with no rate limit on them (none of at most `max` a second). */
function unlimitedPaths(chains: readonly Chain[], entries: ReadonlySet<string>, max: number): Map<Chain, Path> {
  const byName = new Map<string, Chain>();
  for (const c of chains) byName.set(c.name, c);
  const paths = new Map<Chain, Path>();
  const todo: Chain[] = [];
  for (const c of chains) {
    if (c.builtin && entries.has(c.name)) {
      paths.set(c, { from: c.name, jumps: [] });
      todo.push(c);
    }
  }
  while (todo.length) {
    const c = todo.shift()!;
    const path = paths.get(c)!;
    for (const r of c.rules) {
      const t = r.target;
      if (!t || t.spec) continue;
      const next = byName.get(t.name);
      if (!next || next.builtin || paths.has(next) || rateLimited(r, max) || loopbackOnly(r)) continue;
      paths.set(next, { from: path.from, jumps: [...path.jumps, r] });
      todo.push(next);
    }
  }
  return paths;
}

/** Some rule of the table logs with one of `targets` (a plain loop that stops at the first: the table of a 100k-rule dump has none). */
function hasLog(chains: readonly Chain[], targets: ReadonlySet<string>): boolean {
  for (const c of chains) for (const r of c.rules) if (r.target && targets.has(r.target.name)) return true;
  return false;
}

/** Where each logging target writes, for the message. */
const SINK: Readonly<Record<string, string>> = { LOG: "the kernel log", NFLOG: "the logging daemon (ulogd)" };

const SUGGESTED_LIMIT = "-m limit --limit 5/min";
const SUGGESTED_RATE = "5/min";
/** The default of the option maxRate: a limit above 10 lines a second (864,000 a day) bounds nothing that matters. */
const DEFAULT_MAX_RATE = "10/second";
/** Any prefix of a word, in any case: "second" → "[sS]([eE]([cC]…)?)?". */
const prefixPattern = (word: string): string => [...word].reduceRight((rest, ch, k) => `[${ch}${ch.toUpperCase()}]${k === word.length - 1 ? "" : `(${rest})?`}`, "");
/** A rate as limit reads it: a positive count, and a unit that is any prefix of second, minute, hour or day, in any case. */
const RATE_PATTERN = `^[1-9][0-9]*(/(${["second", "minute", "hour", "day"].map(prefixPattern).join("|")}))?$`;

/** A rate in packets a second as lines of log in the largest unit that gives at least one ("600 lines a second"). */
function perText(perSecond: number): string {
  if (perSecond >= 1) return `${+perSecond.toFixed(2)} lines a second`;
  if (perSecond * 60 >= 1) return `${+(perSecond * 60).toFixed(2)} lines a minute`;
  return `${+(perSecond * 3600).toFixed(2)} lines an hour`;
}

function addLimit(ast: Ruleset, rule: Rule): Suggestion | undefined {
  const t = rule.target;
  if (!t || ast.format === "script") return undefined;
  return { desc: `Add "${SUGGESTED_LIMIT}" before -j ${t.name}`, fix: { range: [t.span.offset, t.span.offset], text: `${SUGGESTED_LIMIT} ` } };
}

export default defineRule({
  id: "log-without-limit",
  language: "iptables",
  category: "semantics",
  severity: "warning",
  description: "A LOG rule that packets from other hosts reach with no rate limit: a flood of them floods the log",
  tags: ["logging", "security", "denial-of-service"],
  securitySeverity: 4.0,
  precision: "high",
  optionsSchema: {
    type: "object",
    properties: {
      includeOutput: {
        type: "boolean",
        description: "Also report LOG rules that only the host's own packets reach (OUTPUT)",
      },
      includeNflog: {
        type: "boolean",
        description: "Also report NFLOG rules, whose packets go to a logging daemon (ulogd) instead of the kernel log",
      },
      maxRate: {
        type: "string",
        pattern: RATE_PATTERN,
        description: "The highest rate a limit may allow and still count as one, as iptables writes it (`10/second`, `100/minute`)",
      },
    },
    additionalProperties: false,
  },
  defaultOptions: { includeOutput: false, includeNflog: false, maxRate: DEFAULT_MAX_RATE },
  docs: {
    rationale: [
      "The LOG target writes a line to the kernel log for every packet it matches; the kernel does not limit the rate. Whoever can send such packets decides how much is written: a port scan or a spoofed UDP flood turns each packet into a line in the kernel ring buffer, journald and the disk behind /var/log, pushes out the lines that matter, and can fill the disk.",
      "Put a rate limit on the rule, `-m limit --limit 5/min` (a token bucket; `--limit-burst` sets the burst, 5 by default), or per source with `-m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name log`. A limit on the jump into the chain that logs counts too: every way packets from outside reach the LOG rule is checked, through `-j` and `-g`.",
      "A limit must be low enough to bound anything: `-m limit --limit 10000/sec` lets a flood write ten thousand lines a second. A limit above the option `maxRate` (`10/second` by default, 864,000 lines a day) counts as none; the LOG rule's own is reported with its rate, and the suggestion lowers it to 5/min.",
      "Only a limit bounds the rate: `--hashlimit-above` logs the packets over the rate, `-m recent --hitcount`, conntrack states and `-m statistic` sampling all leave it to the sender. The rule looks at chains that packets from other hosts reach (PREROUTING, INPUT, FORWARD and POSTROUTING, in any table); the option `includeOutput` adds OUTPUT, where the host's own packets are logged.",
    ].join("\n\n"),
    bad: "*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -j LOG --log-prefix \"INPUT drop: \"\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -m limit --limit 5/min -j LOG --log-prefix \"INPUT drop: \"\nCOMMIT\n",
    exceptions: "Packets on the loopback interface (`-i lo`) come from the host itself and are not reported. A host whose logging pipeline limits the rate itself (journald's RateLimitBurst, a remote collector that samples) may turn the rule off; NFLOG, which hands packets to a user-space daemon (ulogd), is reported only with the option `includeNflog`: the daemon writes what it gets, but the kernel drops what its netlink socket cannot take, so a flood costs the daemon's disk rather than the kernel log.",
  },
  check({ ast, options, report }) {
    const entries = options.includeOutput === true ? new Set([...FROM_OUTSIDE, "OUTPUT"]) : FROM_OUTSIDE;
    const maxText = typeof options.maxRate === "string" ? options.maxRate : DEFAULT_MAX_RATE;
    const max = packetsPerSecond(maxText) ?? packetsPerSecond(DEFAULT_MAX_RATE)!;
    const targets = new Set(options.includeNflog === true ? ["LOG", "NFLOG"] : ["LOG"]);
    for (const table of ast.tables) {
      if (!hasLog(table.chains, targets)) continue;
      const paths = unlimitedPaths(table.chains, entries, max);
      for (const [chain, path] of paths) {
        for (const r of chain.rules) {
          const target = r.target?.name;
          if (target === undefined || !targets.has(target) || loopbackOnly(r)) continue;
          const sink = SINK[target]!;
          const limit = limitOf(r);
          if (bounds(limit, max)) continue;
          const where = path.jumps.length === 0 ? `in ${chain.name}` : `in chain ${chain.name} (${[path.from, ...path.jumps.map((j) => j.target!.name)].join(" → ")}, no limit on the way)`;
          const related = path.jumps.map((j) => {
            const l = limitOf(j);
            return { span: j.span, message: l ? `jump to ${j.target!.name} limited to ${l.text}, above maxRate ${maxText}` : `jump to ${j.target!.name} with no rate limit` };
          });
          if (limit) {
            // a limit too high to bound a flood: lower it
            const value = limit.option?.values[0];
            const fix = value && ast.format !== "script" ? { desc: `Lower the limit to ${SUGGESTED_RATE}`, fix: { range: [value.span.offset, value.span.endOffset] as [number, number], text: SUGGESTED_RATE } } : undefined;
            report({
              message: `${target} limited to ${limit.text} ${where}, above maxRate ${maxText}: a flood of the packets it matches still writes up to ${perText(limit.perSecond!)} to ${sink} and the disk behind it; lower the limit (${SUGGESTED_RATE})`,
              span: (limit.option ?? r.target!).span,
              related,
              ...(fix ? { suggestions: [fix] } : {}),
            });
            continue;
          }
          const fix = addLimit(ast, r);
          report({
            message: `${target} with no rate limit ${where}: a flood of the packets it matches floods ${sink} and the disk behind it; add ${SUGGESTED_LIMIT} to the rule or to the jump into its chain`,
            span: r.target!.span,
            related,
            ...(fix ? { suggestions: [fix] } : {}),
          });
        }
      }
    }
  },
});
