/**
 * Extensions' final checks: what iptables 1.8 checks of a match's or target's options together once it has
 * read them all, beyond the catalog's `conflicts`, `requiresAnyOf` and `requiresOneOf`, and what it accepts
 * but changes or can never match (warnings). Each was seen with iptables-restore 1.8.9 on both backends;
 * test/option-pairs-kernel.test.ts restores the refused ones, and the messages follow iptables' own.
 */
import type { FinalProblem, GivenOption } from "./types.js";
import { byteAmount, parseUnsigned } from "./values.js";

type Check = (given: readonly GivenOption[]) => readonly FinalProblem[];

const indexOf = (given: readonly GivenOption[], name: string) => {
  for (let i = 0; i < given.length; i++) if (given[i]!.name === name) return i;
  return -1;
};
/** The option's first value, or undefined when it has none or a script expansion stands for it. */
const first = (o: GivenOption) => (o.valueDynamic(0) ? undefined : o.valueText(0));
const valueOf = (given: readonly GivenOption[], name: string) => {
  const i = indexOf(given, name);
  return i < 0 ? undefined : first(given[i]!);
};
const numberOf = (text: string | undefined) => {
  if (text === undefined) return undefined;
  const n = parseUnsigned(text);
  return n === null ? undefined : n;
};

/** No problem (shared: a check runs for every -m statistic of a Kubernetes dump). */
const NONE: readonly FinalProblem[] = Object.freeze([]);

/** statistic: each mode's own options (libxt_statistic's final check). */
export const statisticCheck: Check = (given) => {
  const mode = indexOf(given, "--mode");
  if (mode < 0) return NONE;
  const m = first(given[mode]!);
  if (m === "random") return indexOf(given, "--probability") < 0 ? [{ message: "--mode random needs --probability", at: mode }] : NONE;
  if (m !== "nth") return NONE;
  const out: FinalProblem[] = [];
  if (indexOf(given, "--every") < 0) out.push({ message: "--mode nth needs --every (and --packet)", at: mode });
  const every = numberOf(valueOf(given, "--every"));
  const p = indexOf(given, "--packet");
  const packet = numberOf(p < 0 ? undefined : first(given[p]!));
  if (every !== undefined && packet !== undefined && every > 0n && packet >= every) {
    out.push({ message: `--packet ${packet} must be below --every ${every} (the packet counter runs from 0 to n-1)`, at: p });
  }
  return out;
};

/** Seconds since midnight of a --timestart/--timestop value (hh:mm[:ss]), or undefined. */
const seconds = (text: string | undefined) => {
  const m = text === undefined ? null : /^(\d+):(\d+)(?::(\d+))?$/.exec(text);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0) : undefined;
};

/** Seconds since 1970 of a --datestart/--datestop value (YYYY[-MM[-DD[Thh[:mm[:ss]]]]], UTC), or undefined. */
const dateSeconds = (text: string | undefined) => {
  const m = text === undefined ? null : /^(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d))?)?)?)?)?$/.exec(text);
  if (!m) return undefined;
  const n = (i: number, d: number) => (m[i] === undefined ? d : Number(m[i]));
  return Date.UTC(n(1, 1970), n(2, 1) - 1, n(3, 1), n(4, 0), n(5, 0), n(6, 0)) / 1000;
};

/** time: --datestart after --datestop never matches (iptables takes it). */
function dateWindow(given: readonly GivenOption[]): FinalProblem | undefined {
  const startAt = indexOf(given, "--datestart");
  if (startAt < 0) return undefined;
  const stopAt = indexOf(given, "--datestop");
  const start = dateSeconds(first(given[startAt]!));
  const stop = dateSeconds(stopAt < 0 ? "2038-01-19T03:14:07" : first(given[stopAt]!));
  // a date past 2038-01-19T03:14:07 is invalid-argument's (iptables refuses the year or the kernel's 32-bit time overflows)
  if (start === undefined || stop === undefined || start <= stop || start > 2147483647) return undefined;
  return { message: `--datestart ${first(given[startAt]!)} is after ${stopAt < 0 ? "the default --datestop 2038-01-19T03:14:07" : `--datestop ${first(given[stopAt]!)}`}: the rule never matches`, at: startAt, severity: "warning" };
}

/** time: --contiguous only for a period over midnight (libxt_time); a date window that ends before it starts. */
export const timeCheck: Check = (given) => {
  const window = dateWindow(given);
  const contiguous = contiguousCheck(given);
  return window ? [window, ...contiguous] : contiguous;
};

const contiguousCheck: Check = (given) => {
  const c = indexOf(given, "--contiguous");
  if (c < 0) return [];
  const startText = indexOf(given, "--timestart") < 0 ? "00:00:00" : valueOf(given, "--timestart");
  const stopText = indexOf(given, "--timestop") < 0 ? "23:59:59" : valueOf(given, "--timestop");
  const start = seconds(startText);
  const stop = seconds(stopText);
  if (start === undefined || stop === undefined || start >= stop) return [];
  return [{ message: `--contiguous only makes sense when --timestop is before --timestart (a period over midnight); here ${startText} to ${stopText}`, at: c }];
};

/** string: the search window must not end before it starts; the kernel refuses the rule (Invalid argument). */
export const stringCheck: Check = (given) => {
  const from = numberOf(indexOf(given, "--from") < 0 ? "0" : valueOf(given, "--from"));
  const toAt = indexOf(given, "--to");
  const to = numberOf(toAt < 0 ? "65535" : first(given[toAt]!));
  if (from === undefined || to === undefined || from <= to) return [];
  return [{ message: `--from ${from} is beyond --to ${to}: the kernel refuses the rule (Invalid argument)`, at: toAt < 0 ? indexOf(given, "--from") : toAt, stage: "kernel" }];
};

/** rt: the type 0 options need a `--rt-type 0` before them, and --rt-0-not-strict its --rt-0-addrs (libip6t_rt). */
export const rtCheck: Check = (given) => {
  const out: FinalProblem[] = [];
  let type0 = false;
  let addrs = false;
  given.forEach((o, i) => {
    if (o.name === "--rt-type") type0 = !o.negated && numberOf(first(o)) === 0n;
    else if ((o.name === "--rt-0-res" || o.name === "--rt-0-addrs") && !type0) out.push({ message: `${o.name} needs --rt-type 0 before it`, at: i });
    if (o.name === "--rt-0-addrs") addrs = true;
    else if (o.name === "--rt-0-not-strict" && !addrs && indexOf(given, "--rt-0-addrs") > i) out.push({ message: "--rt-0-not-strict needs --rt-0-addrs before it", at: i });
  });
  return out;
};

const ELEMENT = new Set(["--reqid", "--spi", "--proto", "--mode", "--tunnel-src", "--tunnel-dst"]);
const ordinal = (k: number) => ["first", "second", "third", "fourth"][k] ?? `${k + 1}th`;

/** policy: --strict and the policy elements between --next (libxt_policy's final check). */
export const policyCheck: Check = (given) => {
  const out: FinalProblem[] = [];
  const strict = indexOf(given, "--strict");
  const none = valueOf(given, "--pol") === "none";
  if (strict >= 0 && none) out.push({ message: "--strict cannot be used with --pol none", at: strict });
  const elements: number[][] = [[]];
  given.forEach((o, i) => {
    if (o.name === "--next") elements.push([]);
    else if (ELEMENT.has(o.name)) elements[elements.length - 1]!.push(i);
  });
  elements.forEach((element, k) => {
    if (strict >= 0 && !none && element.length === 0) {
      out.push({ message: `the ${ordinal(k)} policy element is empty: with --strict, each element (up to each --next) needs --reqid, --spi, --proto, --mode, --tunnel-src or --tunnel-dst`, at: k === 0 ? strict : nthNext(given, k) });
    }
    const tunnel = element.some((i) => given[i]!.name === "--mode" && !given[i]!.negated && first(given[i]!) === "tunnel");
    for (const i of element) {
      const o = given[i]!;
      if ((o.name === "--tunnel-src" || o.name === "--tunnel-dst") && !tunnel) out.push({ message: `${o.name} is only valid in tunnel mode: add --mode tunnel to the same policy element`, at: i });
    }
  });
  if (none && strict < 0) {
    const i = given.findIndex((o) => ELEMENT.has(o.name));
    if (i >= 0) out.push({ message: `${given[i]!.name} is ignored with --pol none (iptables-save drops it)`, at: i, severity: "warning" });
  }
  return out;
};

function nthNext(given: readonly GivenOption[], k: number): number {
  let seen = 0;
  for (let i = 0; i < given.length; i++) if (given[i]!.name === "--next" && ++seen === k) return i;
  return -1;
}

/**
 * hashlimit: in byte mode (a rate in b/s, kb/s or mb/s) the burst is a byte amount and may not be smaller than
 * the rate; in packet mode a burst written in bytes is that many packets, at most 1,000,000 (libxt_hashlimit).
 */
export const hashlimitCheck: Check = (given) => {
  const burstAt = indexOf(given, "--hashlimit-burst");
  if (burstAt < 0) return NONE;
  const burstText = first(given[burstAt]!);
  const upto = indexOf(given, "--hashlimit-upto");
  const rateAt = upto >= 0 ? upto : indexOf(given, "--hashlimit-above");
  const rateText = rateAt < 0 ? undefined : first(given[rateAt]!);
  if (burstText === undefined || rateText === undefined) return NONE;
  const rate = /^(\d+)(b|kb|mb)\/s(ec(ond)?)?$/i.exec(rateText);
  const unit = /^(\d+)(b|kb|mb)$/i.exec(burstText);
  const burst = unit ? byteAmount(unit[1]!, unit[2]!) : Number(burstText);
  if (!rate) {
    if (unit && burst > 1000000) return [{ message: `--hashlimit-burst ${burstText} is ${burst} packets with a packet rate (${rateText}): iptables takes at most 1000000`, at: burstAt }];
    return NONE;
  }
  const rateBytes = byteAmount(rate[1]!, rate[2]!);
  if (Number.isFinite(burst) && burst < rateBytes) {
    return [{ message: `--hashlimit-burst ${burstText} is smaller than the rate ${rateText} (${rateBytes} bytes): with a byte rate the burst is in bytes, and iptables refuses one below the rate`, at: burstAt }];
  }
  return NONE;
};

/** cluster: the local node (or node mask) must fit in --cluster-total-nodes (libxt_cluster's final check). */
export const clusterCheck: Check = (given) => {
  const totalAt = indexOf(given, "--cluster-total-nodes");
  const total = numberOf(totalAt < 0 ? undefined : first(given[totalAt]!));
  if (total === undefined) return NONE;
  const nodeAt = indexOf(given, "--cluster-local-node");
  const node = numberOf(nodeAt < 0 ? undefined : first(given[nodeAt]!));
  if (node !== undefined && node > total) return [{ message: `--cluster-local-node ${node} must not be above --cluster-total-nodes ${total}`, at: nodeAt }];
  const maskAt = indexOf(given, "--cluster-local-nodemask");
  const mask = numberOf(maskAt < 0 ? undefined : first(given[maskAt]!));
  if (mask !== undefined && mask >= 1n << total) return [{ message: `--cluster-local-nodemask ${first(given[maskAt]!)} names a node above --cluster-total-nodes ${total}`, at: maskAt }];
  return NONE;
};

/** recent: --rsource and --rdest both given; the last one wins. */
export const recentCheck: Check = (given) => {
  const s = indexOf(given, "--rsource");
  const d = indexOf(given, "--rdest");
  if (s < 0 || d < 0) return [];
  const [first, last] = s < d ? [s, d] : [d, s];
  return [{ message: `${given[first]!.name} is overridden by ${given[last]!.name} later in the rule (the last one wins)`, at: first, severity: "warning" }];
};

/** ECN: --ecn-tcp-remove after --ecn-ip-ect drops the IP codepoint (iptables saves only --ecn-tcp-remove). */
export const ecnCheck: Check = (given) => {
  const ect = indexOf(given, "--ecn-ip-ect");
  const remove = indexOf(given, "--ecn-tcp-remove");
  if (ect < 0 || remove < 0 || ect > remove) return [];
  return [{ message: "--ecn-ip-ect is dropped by the --ecn-tcp-remove after it (iptables saves --ecn-tcp-remove alone); give --ecn-tcp-remove first", at: ect, severity: "warning" }];
};

const MARK_OPERATIONS = new Set(["--set-mark", "--set-xmark", "--and-mark", "--or-mark", "--xor-mark"]);

/** CONNMARK: the save/restore masks with a mark operation change or do nothing (iptables accepts them). */
export const connmarkCheck: Check = (given) => {
  const op = given.findIndex((o) => MARK_OPERATIONS.has(o.name));
  if (op < 0) return [];
  const out: FinalProblem[] = [];
  given.forEach((o, i) => {
    if ((o.name === "--mask" || o.name === "--ctmask") && i > op) {
      out.push({ message: `${o.name} after ${given[op]!.name} replaces the mark's mask (iptables saves --set-xmark value/${first(o) ?? "mask"}); it is meant for --save-mark and --restore-mark`, at: i, severity: "warning" });
    } else if (o.name === "--mask" || o.name === "--ctmask") {
      out.push({ message: `${o.name} is ignored: ${given[op]!.name} after it sets the mark's own mask; it is meant for --save-mark and --restore-mark`, at: i, severity: "warning" });
    } else if (o.name === "--nfmask") {
      out.push({ message: `--nfmask is ignored with ${given[op]!.name}; it is meant for --save-mark and --restore-mark`, at: i, severity: "warning" });
    }
  });
  return out;
};

/**
 * The kernel's conntrack helpers a CT rule can attach (`--helper NAME`): the protocols each is registered for
 * and, for some, IPv4 only. Each pair was restored on Linux 6.x with iptables 1.8.9, both families; the kernel
 * refuses any other name, protocol or family (`RULE_APPEND failed (No such file or directory)`), unless a
 * user-space helper (conntrack-tools' `nfct add helper`) registers that name.
 */
export const CONNTRACK_HELPERS: Readonly<Record<string, { readonly protocols: readonly number[]; readonly ipv4Only?: boolean }>> = {
  ftp: { protocols: [6] },
  tftp: { protocols: [17] },
  sip: { protocols: [6, 17] },
  irc: { protocols: [6], ipv4Only: true },
  amanda: { protocols: [17] },
  RAS: { protocols: [17] },
  "Q.931": { protocols: [6] },
  "H.245": { protocols: [17] },
  pptp: { protocols: [6], ipv4Only: true },
  sane: { protocols: [6] },
  snmp: { protocols: [17], ipv4Only: true },
  snmp_trap: { protocols: [17], ipv4Only: true },
  "netbios-ns": { protocols: [17], ipv4Only: true },
};

/**
 * What the kernel says of `-j CT --helper NAME` in this family, apart from the rule's protocol (which
 * match-needs-protocol checks through the option's valueConstraints): undefined when it has such a helper.
 */
export function helperProblem(name: string, family: "ipv4" | "ipv6"): FinalProblem | undefined {
  const helper = Object.hasOwn(CONNTRACK_HELPERS, name) ? CONNTRACK_HELPERS[name] : undefined;
  if (!helper) {
    return { message: `Linux has no conntrack helper named ${name} (it has ${Object.keys(CONNTRACK_HELPERS).join(", ")}): the kernel refuses the rule unless a user-space helper (nfct add helper) registers that name`, severity: "warning", stage: "kernel" };
  }
  if (helper.ipv4Only && family === "ipv6") return { message: `the ${name} helper exists for IPv4 only: the kernel refuses the rule`, stage: "kernel" };
  return undefined;
}
