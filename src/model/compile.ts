/**
 * Compiles an iptables rule into what the packet model evaluates: per field, the set of values it accepts
 * (negation folded in), plus tests that read several fields, plus the matches whose outcome the model
 * cannot know (history, outside state, unmodelled extensions). A rule with several -s/-d addresses is
 * several kernel rules (iptables expands them); each is one "expansion".
 */
import type { Family, Match, Option, Rule, TableName } from "../ast/iptables.js";
import { clear } from "../ast/nodes.js";
import { findTarget, protocolNumber } from "../catalog/index.js";
import { addrDomain, cidrSet, rangeSet } from "./addr.js";
import { BITS, DIRS, F, FLAGSET, ICMPS, ST, STATES, TCP } from "./fields.js";
import type { IfaceUniverse } from "./ifaces.js";
import type { HostLayout } from "./layout.js";
import { IntervalSet, PORTS, PROTOCOLS, U32, type Domain, type Scalar } from "./sets.js";
import { parseAddress, parseIcmpType, parsePortRange } from "./values.js";

type AnySet = IntervalSet<Scalar>;

/** Whether a compiled match matches no packet at all (it fails somewhere, or a field it certainly tests has no value left). */
export function matchesNoPacket(m: CompiledMatch): boolean {
  if (m.never !== null) return true;
  const certain = m.certain;
  for (let i = 0; i < certain.length; i++) if (certain[i]!.set.isEmpty) return true;
  return false;
}

/** A field must take a value in `set`. */
export interface SetTest {
  readonly f: number;
  readonly set: AnySet;
  /** Source text of the option(s), e.g. "! -s 10.0.0.0/8". */
  readonly text: string;
  /** The same, one text per option that restricts the field (in the order the rule gives them). */
  readonly parts: readonly string[];
}

/** A test over several fields (or a non-interval condition): evaluated when all fields it reads are known. */
export interface FnTest {
  readonly reads: readonly number[];
  /** `v` is indexed by field id. undefined = cannot tell. */
  readonly test: (v: readonly Scalar[]) => boolean | undefined;
  readonly text: string;
  /**
   * The test answers for itself when a field it reads is not known yet (given to it as undefined); without
   * this, such a packet is not tested at all (the answer is "cannot tell").
   */
  readonly partial?: boolean;
}

export interface CompiledMatch {
  readonly sets: readonly SetTest[];
  /**
   * The same without the conditions that rest on assumptions about the host (addrtype without the host's
   * addresses given): what the rule certainly tests. Same array as `sets` when nothing is assumed.
   */
  readonly certain: readonly SetTest[];
  readonly fns: readonly FnTest[];
  /** Matches whose outcome the model cannot know (both outcomes are followed). */
  readonly unknown: readonly string[];
  /** Matches no packet at all in this place (e.g. conntrack tuple options before conntrack). */
  readonly never: string | null;
}

export type NatTo = { readonly addr: readonly [Scalar, Scalar] | null; readonly port: readonly [number, number] | null };

export type Action =
  | { readonly t: "verdict"; readonly v: "ACCEPT" | "DROP" | "REJECT" }
  | { readonly t: "return" }
  | { readonly t: "jump"; readonly chain: string; readonly goto: boolean }
  | { readonly t: "continue"; readonly name: string | null }
  | { readonly t: "mark"; readonly value: number; readonly mask: number }
  | { readonly t: "connmark-set"; readonly value: number; readonly mask: number }
  | { readonly t: "connmark-save"; readonly nfmask: number; readonly ctmask: number }
  | { readonly t: "connmark-restore"; readonly nfmask: number; readonly ctmask: number }
  | { readonly t: "dnat"; readonly to: NatTo }
  | { readonly t: "snat"; readonly to: NatTo }
  | { readonly t: "masquerade"; readonly ports: readonly [number, number] | null }
  | { readonly t: "redirect"; readonly ports: readonly [number, number] | null }
  | { readonly t: "notrack" }
  /** A target the model does not evaluate; `final` when it certainly ends the traversal (QUEUE, NFQUEUE, …). */
  | { readonly t: "unknown"; readonly name: string; readonly final?: boolean };

export interface CompiledRule {
  readonly expansions: readonly CompiledMatch[];
  readonly action: Action;
}

export interface CompileContext {
  readonly family: Family;
  readonly table: TableName;
  readonly ifaces: IfaceUniverse;
  readonly layout: HostLayout;
  /** Chains that exist in the rule's table. */
  readonly chainExists: (name: string) => boolean;
  /**
   * One copy of each text of an unknown match, shared by the model's rules (15,700 statistic matches of a
   * Kubernetes dump have a few dozen distinct texts).
   */
  readonly texts?: Map<string, string>;
}

const STATE_BITS: Readonly<Record<string, number>> = { INVALID: ST.INVALID, NEW: ST.NEW, ESTABLISHED: ST.ESTABLISHED, RELATED: ST.RELATED, UNTRACKED: ST.UNTRACKED };

export function optionText(o: Option): string {
  let vals = "";
  for (let i = 0; i < o.valueCount; i++) {
    const text = o.valueText(i)!;
    vals += `${i ? " " : ""}${/\s/.test(text) || text === "" ? JSON.stringify(text) : text}`;
  }
  return `${o.negated ? "! " : ""}${o.name}${vals ? ` ${vals}` : ""}`;
}

function num(text: string): number | null {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) && n <= 0xffffffff ? n : null;
}

/** `value[/mask]` (marks). */
function markPair(text: string): [number, number] | null {
  const [a, b] = text.split("/");
  const v = num(a ?? "");
  const m = b === undefined ? 0xffffffff : num(b);
  return v === null || m === null ? null : [v >>> 0, m >>> 0];
}

/** Sets are immutable: the same small set is made once (per domain and ranges) and shared by every rule. */
const setCache = new Map<string, AnySet>();
const rangeCache = new Map<Domain<number>, Map<number, AnySet>>();
function setOf(d: Domain<number>, ranges: readonly (readonly [number, number])[]): AnySet {
  if (ranges.length === 1 && d.max < 65536) {
    const [lo, hi] = ranges[0]!;
    let byDomain = rangeCache.get(d);
    if (!byDomain) rangeCache.set(d, (byDomain = new Map()));
    const k = lo * 65536 + hi;
    let one = byDomain.get(k);
    if (!one) byDomain.set(k, (one = IntervalSet.of(d, lo, hi) as unknown as AnySet));
    return one;
  }
  const key = `${d.name}:${ranges.map((r) => `${r[0]}-${r[1]}`).join(",")}`;
  let s = setCache.get(key);
  if (!s) {
    s = (ranges.length === 1 ? IntervalSet.of(d, ranges[0]![0], ranges[0]![1]) : IntervalSet.fromRanges(d, ranges)) as unknown as AnySet;
    if (setCache.size < 100_000) setCache.set(key, s);
  }
  return s;
}

function portList(text: string): AnySet | null {
  const ranges: (readonly [number, number])[] = [];
  for (const item of text.split(",")) {
    const r = parsePortRange(item, ":");
    if (!r) return null;
    ranges.push(r);
  }
  return setOf(PORTS, ranges);
}

/** Values x of 0..63 with (x & mask) === comp. */
function flagsSet(mask: number, comp: number): AnySet {
  const ranges: [number, number][] = [];
  for (let x = 0; x < 64; x++) if ((x & mask) === comp) ranges.push([x, x]);
  return setOf(FLAGSET, ranges);
}

function flagBits(text: string): number | null {
  let n = 0;
  for (const w of text.split(",")) {
    const u = w.toUpperCase();
    if (u === "ALL") n |= 63;
    else if (u === "NONE") n |= 0;
    else if (u in TCP) n |= TCP[u as keyof typeof TCP];
    else return null;
  }
  return n;
}

/** Builder of one expansion's match. */
type TextPart = Option | string;
const partText = (x: TextPart) => (typeof x === "string" ? x : optionText(x));

/**
 * A set test whose text is made each time someone asks (explanations only), not for every rule compiled. It
 * keeps the option(s) it came from (one, usually), nothing else: a 100k-rule model holds one per test.
 */
class LazySetTest implements SetTest {
  constructor(
    readonly f: number,
    readonly set: AnySet,
    private readonly from: TextPart | readonly TextPart[],
  ) {}
  get text(): string {
    return this.parts.join(" ");
  }
  get parts(): readonly string[] {
    const p = this.from;
    return Array.isArray(p) ? (p as readonly TextPart[]).map(partText) : [partText(p as TextPart)];
  }
}
const setTest = (f: number, set: AnySet, parts: readonly TextPart[]): SetTest => new LazySetTest(f, set, parts.length === 1 ? parts[0]! : parts);

/** One shared empty list for the many matches without multi-field tests or unknown matches. */
const NONE: readonly never[] = Object.freeze([]);

/**
 * The usual compiled match: set tests only, nothing assumed, unknown or multi-field. One field instead of
 * five (the others are constants on the prototype): the 100k-rule model holds one per rule.
 */
class SetsOnlyMatch implements CompiledMatch {
  constructor(readonly sets: readonly SetTest[]) {}
  get certain(): readonly SetTest[] {
    return this.sets;
  }
  get fns(): readonly FnTest[] {
    return NONE;
  }
  get unknown(): readonly string[] {
    return NONE;
  }
  get never(): string | null {
    return null;
  }
}

interface Entry {
  readonly f: number;
  set: AnySet;
  text: TextPart[];
}

/**
 * The complement of each set a rule negates, made once per set: sets of the same text are shared (cidrSet and
 * the other parsers cache them), so `! -s 10.244.0.0/16` on every Kubernetes service chain shares one
 * complement instead of keeping 10,000.
 */
const complements = new WeakMap<AnySet, AnySet>();
function complementOf(set: AnySet): AnySet {
  let c = complements.get(set);
  if (c === undefined) complements.set(set, (c = set.complement()));
  return c;
}

/** The copy of `text` in `texts` (added when new), or `text` itself without a table. */
function shared(texts: Map<string, string> | undefined, text: string): string {
  if (!texts) return text;
  const known = texts.get(text);
  if (known !== undefined) return known;
  texts.set(text, text);
  return text;
}

class MatchBuilder {
  /** Per field (few per rule: a list is cheaper than a map). */
  sets: Entry[] = [];
  assumed: Entry[] | null = null;
  fns: FnTest[] | null = null;
  unknown: string[] | null = null;
  never: string | null = null;

  /**
   * Empty again, for the next rule (compileRule reuses one builder: most rules have one expansion). The list
   * of sets is emptied in place: `done` and `clone` copy it, nothing keeps it.
   */
  reset(): void {
    clear(this.sets);
    this.assumed = null;
    this.fns = null;
    this.unknown = null;
    this.never = null;
  }

  add(f: number, set: AnySet, negated: boolean, text: TextPart, assumed = false): void {
    const s = negated ? complementOf(set) : set;
    const list = assumed ? (this.assumed ??= []) : this.sets;
    for (const e of list)
      if (e.f === f) {
        e.set = e.set.intersect(s);
        e.text.push(text);
        return;
      }
    list.push({ f, set: s, text: [text] });
  }
  addUnknown(text: string): void {
    (this.unknown ??= []).push(text);
  }
  fn(t: FnTest, negated: boolean): void {
    const list = (this.fns ??= []);
    if (!negated) list.push(t);
    else
      list.push({
        reads: t.reads,
        text: t.text,
        ...(t.partial ? { partial: true } : {}),
        test: (v) => {
          const r = t.test(v);
          return r === undefined ? undefined : !r;
        },
      });
  }
  clone(): MatchBuilder {
    const m = new MatchBuilder();
    m.sets = this.sets.map((e) => ({ f: e.f, set: e.set, text: [...e.text] }));
    m.assumed = this.assumed && this.assumed.map((e) => ({ f: e.f, set: e.set, text: [...e.text] }));
    m.fns = this.fns && [...this.fns];
    m.unknown = this.unknown && [...this.unknown];
    m.never = this.never;
    return m;
  }
  done(texts?: Map<string, string>): CompiledMatch {
    const certain = this.sets.length === 0 ? NONE : this.sets.map((e) => setTest(e.f, e.set, e.text));
    let sets = certain;
    if (this.assumed?.length) {
      const merged: Entry[] = this.sets.map((e) => ({ ...e }));
      for (const a of this.assumed) {
        const cur = merged.find((e) => e.f === a.f);
        if (cur) {
          cur.set = cur.set.intersect(a.set);
          cur.text = [...cur.text, ...a.text];
        } else merged.push(a);
      }
      sets = merged.map((e) => setTest(e.f, e.set, e.text));
    }
    if (sets === certain && this.fns === null && this.unknown === null && this.never === null) return new SetsOnlyMatch(sets);
    // Exact-size copies (a list grown by push keeps room for 17 entries: 15,700 statistic matches on the
    // 100k-rule dump kept 2 MB of that room), the unknown texts shared across the model.
    return { sets, certain, fns: this.fns ? this.fns.slice() : NONE, unknown: this.unknown ? this.unknown.map((t) => shared(texts, t)) : NONE, never: this.never };
  }
}

/*
 * The same step for every expansion of a rule (there is one unless -s/-d list several addresses). Plain
 * functions with loops: closures made per rule and per option were a large part of the model's garbage.
 */
function addAll(builders: readonly MatchBuilder[], f: number, set: AnySet, negated: boolean, text: TextPart, assumed = false): void {
  for (const b of builders) b.add(f, set, negated, text, assumed);
}
function unknownAll(builders: readonly MatchBuilder[], text: string): void {
  for (const b of builders) b.addUnknown(text);
}
function fnAll(builders: readonly MatchBuilder[], t: FnTest, negated: boolean): void {
  for (const b of builders) b.fn(t, negated);
}
function neverAll(builders: readonly MatchBuilder[], reason: string): void {
  for (const b of builders) b.never = reason;
}
/** Add the option's set, or record it as not understood when there is none. */
function addOption(builders: readonly MatchBuilder[], f: number, set: AnySet | null, o: Option): void {
  if (!set) unknownAll(builders, `${optionText(o)} (value not understood)`);
  else addAll(builders, f, set, o.negated, o);
}

/** Fields of an address option and its port, per conntrack option. */
const CT_ADDR: Readonly<Record<string, number>> = { "--ctorigsrc": F.CTORIGSRC, "--ctorigdst": F.CTORIGDST, "--ctreplsrc": F.CTREPLSRC, "--ctrepldst": F.CTREPLDST };
const CT_PORT: Readonly<Record<string, number>> = {
  "--ctorigsrcport": F.CTORIGSRCPORT,
  "--ctorigdstport": F.CTORIGDSTPORT,
  "--ctreplsrcport": F.CTREPLSRCPORT,
  "--ctrepldstport": F.CTREPLDSTPORT,
};

/** The states of a packet with a connection (xt_conntrack reads the connection's other fields only then). */
const WITH_CONNECTION: AnySet = setOf(STATES, [[ST.NEW, ST.RELATED]]);

/**
 * A conntrack option on the packet's connection as a test: `noConnection` is the answer for a packet without
 * one (INVALID, UNTRACKED); with `relatedIcmpUnknown`, an ICMP error RELATED to a connection gets no answer
 * (its connection's protocol is not the packet's).
 */
function connectionTest(text: string, f: number, want: AnySet, noConnection: boolean, relatedIcmpUnknown: boolean): FnTest {
  return {
    reads: [F.STATE, f],
    text,
    partial: true,
    test: (vals) => {
      const st = vals[F.STATE];
      if (st === undefined) return undefined;
      if (st === ST.INVALID || st === ST.UNTRACKED) return noConnection;
      const x = vals[f];
      if (x === undefined || (relatedIcmpUnknown && st === ST.RELATED && (x === 1 || x === 58))) return undefined;
      return want.has(x);
    },
  };
}

const isStateOption = (o: Option): boolean => o.name === "--state" || o.name === "--ctstate";

/** A `--state`/`--ctstate` value: its states, the virtual SNAT (1) and DNAT (2) states, and whether a word is not known. */
function readState(o: Option): { states: number[]; nat: number; bad: boolean } {
  const states: number[] = [];
  let nat = 0;
  let bad = false;
  for (const w of (o.valueText(0) ?? "").split(",")) {
    const u = w.toUpperCase();
    if (u in STATE_BITS) states.push(STATE_BITS[u]!);
    else if (u === "SNAT" && o.name === "--ctstate") nat |= 1;
    else if (u === "DNAT" && o.name === "--ctstate") nat |= 2;
    else bad = true;
  }
  return { states, nat, bad };
}

/**
 * Whether a state option may pass a packet without a connection (INVALID or UNTRACKED): the match's other
 * options are then not tested. True when the state is not understood.
 */
function passesWithoutConnection(o: Option): boolean {
  const { states, bad } = readState(o);
  if (bad) return true;
  const inv = states.includes(ST.INVALID);
  const untracked = states.includes(ST.UNTRACKED);
  return o.negated ? !(inv && untracked) : inv || untracked;
}

/** Modules whose outcome depends on history or outside state (or that the model does not evaluate). */
function unknownText(m: Match): string {
  const opts = m.options.map(optionText).join(" ");
  return `-m ${m.module}${opts ? ` ${opts}` : ""}`;
}

/** One address of -s or -d as the field's set, or as a test the model cannot read (a host name). */
function addAddress(b: MatchBuilder, f: number, item: string, o: Option, family: Family): void {
  const s = cidrSet(item, family);
  if (s) b.add(f, s as AnySet, o.negated, o);
  else b.addUnknown(`${o.negated ? "! " : ""}${o.name} ${item} (not an address: resolved when the rule is loaded)`);
}

/** The builder of the rule being compiled, and the list of it: a rule with one expansion allocates neither. */
const SCRATCH = new MatchBuilder();
const ONE_BUILDER: readonly MatchBuilder[] = [SCRATCH];

export function compileRule(rule: Rule, ctx: CompileContext): CompiledRule {
  const { family } = ctx;
  SCRATCH.reset();
  let builders: readonly MatchBuilder[] = ONE_BUILDER;

  // Core criteria.
  for (const o of rule.criteria) {
    const v = o.valueText(0) ?? "";
    const text: TextPart = o;
    switch (o.name) {
      case "-s":
      case "-d": {
        const f = o.name === "-s" ? F.SRC : F.DST;
        // one address (most rules): every expansion takes it, and the list of expansions stays as it is
        if (v !== "" && v.indexOf(",") === -1) {
          for (const b of builders) addAddress(b, f, v, o, family);
          break;
        }
        // several: one expansion per address (iptables makes one rule per address); none: no expansion
        const items = v === "" ? [] : v.split(",").filter(Boolean);
        const next: MatchBuilder[] = [];
        for (const b of builders) {
          for (const item of items) {
            const nb = items.length > 1 ? b.clone() : b;
            addAddress(nb, f, item, o, family);
            next.push(nb);
          }
        }
        builders = next;
        break;
      }
      case "-i":
      case "-o":
        addAll(builders, o.name === "-i" ? F.IIF : F.OIF, ctx.ifaces.pattern(v) as unknown as AnySet, o.negated, text);
        break;
      case "-p": {
        const p = protocolNumber(v);
        if (p === undefined) unknownAll(builders, optionText(o));
        else if (p === 0) {
          if (o.negated) neverAll(builders, optionText(o));
        } else addAll(builders, F.PROTO, setOf(PROTOCOLS, [[p, p]]), o.negated, text);
        break;
      }
      case "-f":
        addAll(builders, F.FRAG, setOf(BITS, [[1, 1]]), o.negated, text);
        break;
      default:
        break; // -c counters
    }
  }

  for (const m of rule.matches) builders = compileMatch(m, ctx, builders);
  // Options no loaded extension defines: after the target they are the target's (for targets the catalog
  // does not describe yet); before it they are matches the model cannot evaluate.
  if (rule.orphans.length) {
    const targetAt = rule.items.findIndex((it) => it.type === "target");
    rule.items.forEach((it, k) => {
      if (it.type === "orphan" && (targetAt < 0 || k < targetAt)) unknownAll(builders, `${optionText(it.option)} (no match extension loaded for it)`);
    });
  }

  return { expansions: builders.map((b) => b.done(ctx.texts)), action: compileTarget(rule, ctx) };
}

/**
 * A key for what `compileRule` reads to make a rule's expansions, when that does not name addresses: the
 * criteria and the matches (but comments), each name and value written with its length, so that two rules
 * have the same key only when they are compiled alike. null for a rule with -s or -d (addresses nearly
 * always differ from rule to rule: a key would only be kept, never met again) or with orphan options.
 */
export function matchKey(rule: Rule): string | null {
  if (rule.orphans.length !== 0) return null;
  let key = "";
  for (const o of rule.criteria) {
    if (o.name === "-s" || o.name === "-d") return null;
    key += optionKey(o);
  }
  for (const m of rule.matches) {
    if (m.module === "comment") continue; // compileMatch reads nothing of it
    key += `\u0001${m.module.length}:${m.module}`;
    for (const o of m.options) key += optionKey(o);
  }
  return key;
}

/** An option in a match key: `!` when negated, the name, the number of values, the values (lengths first). */
function optionKey(o: Option): string {
  const n = o.valueCount;
  let k = `${o.negated ? "!" : ""}${o.name.length}:${o.name}${n};`;
  for (let i = 0; i < n; i++) {
    const v = o.valueText(i)!;
    k += `${v.length}:${v}`;
  }
  return k;
}

/** Keys a table's model keeps at most (an odd file with many keys keeps compiling the rest one by one). */
const SHARED_MATCHES_MAX = 4096;

/**
 * `compileRule` for a model, whose rules of one table share their expansions when their match keys are
 * equal (compiled matches are never changed). On a Kubernetes dump half the rules are of a few dozen kinds
 * (`-p tcp -m tcp` before each endpoint's DNAT, the random picks of the service chains, jumps with only a
 * comment), and are compiled once per kind.
 */
export function compileRuleShared(rule: Rule, ctx: CompileContext, shared: Map<string, readonly CompiledMatch[]>): CompiledRule {
  const key = matchKey(rule);
  if (key === null) return compileRule(rule, ctx);
  const expansions = shared.get(key);
  if (expansions !== undefined) return { expansions, action: compileTarget(rule, ctx) };
  const comp = compileRule(rule, ctx);
  if (shared.size < SHARED_MATCHES_MAX) shared.set(key, comp.expansions);
  return comp;
}

/** Compile one match into the rule's expansions; the list of expansions it returns replaces the one given. */
function compileMatch(m: Match, ctx: CompileContext, builders: readonly MatchBuilder[]): readonly MatchBuilder[] {
  compileMatchInto(m, ctx, builders);
  if (m.module === "multiport") for (const o of m.options) if (o.name === "--ports" && !o.negated) builders = eitherPort(builders, o);
  return builders;
}

/**
 * `--ports L` matches when the source port or the destination port is in L: two expansions that no packet
 * meets both of, the destination port in L, and the destination port not in L with the source port in it.
 * Each is a box of sets, so set-level runs (exposure, coverage) decide it as a concrete trace does; as one
 * test of two fields it was a function those runs could not evaluate. The first expansion is the usual
 * meaning (a rule's first expansion is what some rules read).
 */
function eitherPort(builders: readonly MatchBuilder[], o: Option): readonly MatchBuilder[] {
  const set = portList(o.valueText(0) ?? "");
  if (!set) return builders;
  const v = o.valueText(0) ?? "";
  const next: MatchBuilder[] = [];
  for (const b of builders) {
    const other = b.clone();
    b.add(F.DPORT, set, false, `--ports ${v} (destination port)`);
    other.add(F.DPORT, set, true, `--ports ${v} (not the destination port)`);
    other.add(F.SPORT, set, false, `--ports ${v} (source port)`);
    next.push(b, other);
  }
  return next;
}

function compileMatchInto(m: Match, ctx: CompileContext, builders: readonly MatchBuilder[]): void {
  const { family, layout } = ctx;
  switch (m.module) {
    case "comment":
      return;
    case "tcp":
    case "udp":
    case "sctp":
    case "dccp":
    case "udplite": {
      for (const o of m.options) {
        const v = o.valueText(0) ?? "";
        if (o.name === "--sport" || o.name === "--dport") {
          const r = parsePortRange(v, ":", m.module);
          addOption(builders, o.name === "--sport" ? F.SPORT : F.DPORT, r ? setOf(PORTS, [r]) : null, o);
        } else if (o.name === "--tcp-flags" && m.module === "tcp") {
          const mask = flagBits(v);
          const comp = flagBits(o.valueText(1) ?? "");
          addOption(builders, F.FLAGS, mask === null || comp === null ? null : flagsSet(mask, comp & mask), o);
        } else if (o.name === "--syn" && m.module === "tcp") {
          addOption(builders, F.FLAGS, flagsSet(TCP.SYN | TCP.RST | TCP.ACK | TCP.FIN, TCP.SYN), o);
        } else unknownAll(builders, `-m ${m.module} ${optionText(o)}`);
      }
      return;
    }
    case "multiport": {
      for (const o of m.options) {
        const set = portList(o.valueText(0) ?? "");
        if (o.name === "--sports") addOption(builders, F.SPORT, set, o);
        else if (o.name === "--dports") addOption(builders, F.DPORT, set, o);
        else if (o.name === "--ports" && set) {
          // ! --ports L: neither port in L; --ports L makes two expansions (eitherPort, after the match)
          if (o.negated) {
            addAll(builders, F.SPORT, set, true, o);
            addAll(builders, F.DPORT, set, true, o);
          }
        } else unknownAll(builders, `-m multiport ${optionText(o)}`);
      }
      return;
    }
    case "iprange": {
      for (const o of m.options) {
        const set = rangeSet(o.valueText(0) ?? "", family) as AnySet | null;
        addOption(builders, o.name === "--src-range" ? F.SRC : F.DST, set, o);
      }
      return;
    }
    case "state":
    case "conntrack": {
      const stateOption = m.options.find(isStateOption);
      const hasState = stateOption !== undefined;
      // whether the state option passes a packet without a connection, asked once the match needs to know
      let noConnection: boolean | undefined;
      for (const o of m.options) {
        const v = o.valueText(0) ?? "";
        if (isStateOption(o)) {
          const { states, nat, bad } = readState(o);
          if (bad) {
            unknownAll(builders, `${optionText(o)} (state not understood)`);
            continue;
          }
          const stateSet = setOf(STATES, states.map((s) => [s, s] as [number, number]));
          if (nat === 0) addOption(builders, F.STATE, stateSet, o);
          else {
            const want = nat;
            fnAll(
              builders,
              {
                reads: [F.STATE, F.NATTED],
                text: optionText(o),
                test: (vals) => stateSet.has(vals[F.STATE]!) || (Number(vals[F.NATTED]) & want) !== 0,
              },
              o.negated,
            );
          }
          continue;
        }
        // An option on the packet's connection. xt_conntrack tests it only when the packet has one (state
        // NEW, ESTABLISHED or RELATED; never INVALID or UNTRACKED, and in the raw table only a packet looped
        // back through lo, which keeps the connection OUTPUT gave it). Without a connection the match fails,
        // or, when it has a state option, rests on that option alone.
        let field: number;
        let set: AnySet | null;
        if (o.name in CT_ADDR) {
          field = CT_ADDR[o.name]!;
          set = cidrSet(v, family) as AnySet | null;
        } else if (o.name in CT_PORT) {
          const r = parsePortRange(v, ":");
          field = CT_PORT[o.name]!;
          set = r ? setOf(PORTS, [r]) : null;
        } else if (o.name === "--ctproto") {
          const p = protocolNumber(v);
          field = F.PROTO;
          set = p === undefined ? null : p === 0 ? (IntervalSet.full(PROTOCOLS) as unknown as AnySet) : setOf(PROTOCOLS, [[p, p]]);
        } else if (o.name === "--ctdir") {
          const d = v.toUpperCase() === "REPLY" ? 1 : 0;
          field = F.CTDIR;
          set = setOf(DIRS, [[d, d]]);
        } else {
          unknownAll(builders, `-m conntrack ${optionText(o)}`);
          continue;
        }
        if (!set) {
          addOption(builders, field, null, o);
          continue;
        }
        const want = o.negated ? complementOf(set) : set;
        if (o.name === "--ctproto") {
          // The connection's protocol is the packet's, except for an ICMP error RELATED to a connection: that
          // connection's protocol (udp for a port unreachable) is not the packet's, and not known here.
          if (!hasState) addAll(builders, F.STATE, WITH_CONNECTION, false, o);
          fnAll(builders, connectionTest(optionText(o), F.PROTO, want, hasState && (noConnection ??= passesWithoutConnection(stateOption)), true), false);
        } else if (!hasState) {
          addAll(builders, F.STATE, WITH_CONNECTION, false, o);
          addAll(builders, field, set, o.negated, o);
        } else if ((noConnection ??= passesWithoutConnection(stateOption))) fnAll(builders, connectionTest(optionText(o), field, want, true, false), false);
        else addAll(builders, field, set, o.negated, o);
      }
      return;
    }
    case "addrtype": {
      if (m.options.some((o) => o.name === "--limit-iface-in" || o.name === "--limit-iface-out")) {
        unknownAll(builders, unknownText(m));
        return;
      }
      for (const o of m.options) {
        if (o.name !== "--src-type" && o.name !== "--dst-type") continue;
        const text = o.valueText(0) ?? "";
        const set = addrTypeSet(text, layout, family);
        // Address types come from the host's addresses: an assumption unless the user gave them (IPv6's
        // UNICAST, MULTICAST and UNSPEC are properties of the address alone).
        const fromHost = family === "ipv4" || /local/i.test(text);
        if (!set) addOption(builders, F.SRC, null, o);
        else addAll(builders, o.name === "--src-type" ? F.SRC : F.DST, set, o.negated, o, fromHost && !layout.localGiven);
      }
      return;
    }
    case "icmp":
    case "icmp6":
    case "icmpv6": {
      for (const o of m.options) {
        const t = parseIcmpType(o.valueText(0) ?? "", family);
        if (!t) {
          addOption(builders, F.ICMP, null, o);
          continue;
        }
        const [type, lo, hi] = t;
        const set = type < 0 ? IntervalSet.full(ICMPS) : IntervalSet.of(ICMPS, type * 256 + lo, type * 256 + hi);
        addOption(builders, F.ICMP, set as unknown as AnySet, o);
      }
      return;
    }
    case "mark":
    case "connmark": {
      const f = m.module === "mark" ? F.MARK : F.CONNMARK;
      for (const o of m.options) {
        const pair = markPair(o.valueText(0) ?? "");
        if (!pair || o.name !== "--mark") {
          unknownAll(builders, `-m ${m.module} ${optionText(o)}`);
          continue;
        }
        // xt_connmark reads the packet's connection: without one (INVALID, UNTRACKED, or in raw before
        // conntrack) the match fails, with `!` or without
        if (f === F.CONNMARK) addAll(builders, F.STATE, WITH_CONNECTION, false, o);
        const [value, mask] = pair;
        if (mask === 0xffffffff) addOption(builders, f, IntervalSet.of(U32, value) as unknown as AnySet, o);
        else fnAll(builders, { reads: [f], text: `-m ${m.module} ${optionText(o)}`, test: (v) => ((Number(v[f]) & mask) >>> 0) === (value & mask) >>> 0 }, o.negated);
      }
      return;
    }
    default:
      unknownAll(builders, unknownText(m));
  }
}

const ADDRTYPES = ["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE"];

/** Addresses of the given addrtype list (any of them), from the host's layout; null when unknown. */
function addrTypeSet(text: string, layout: HostLayout, family: Family): AnySet | null {
  const local = layout.local as AnySet;
  const bcast = layout.broadcast as AnySet;
  const mcast = layout.multicast as AnySet;
  const types = text.split(",").map((t) => t.toUpperCase());
  if (types.some((t) => !ADDRTYPES.includes(t))) return null;
  if (family === "ipv6") return addrTypeSet6(types, local, mcast);
  let set = IntervalSet.empty(addrDomain(family));
  for (const t of types) {
    if (t === "LOCAL") set = set.union(local);
    else if (t === "BROADCAST") set = set.union(bcast);
    else if (t === "MULTICAST") set = set.union(mcast);
    else if (t === "UNICAST") set = set.union(IntervalSet.full(addrDomain(family)).subtract(local).subtract(bcast).subtract(mcast));
    else return null; // depends on routes the model does not know
  }
  return set;
}

/**
 * IPv6's address types (xt_addrtype's match_type6): UNICAST, MULTICAST and UNSPEC are properties of the address
 * (ipv6_addr_type: UNICAST is every address but ::, ff00::/8 and ::ffff:0:0/96, a local address included, unlike
 * IPv4's), each of them required; LOCAL, ANYCAST and UNREACHABLE come from the route to it, any of them. Only
 * LOCAL's routes are known (the host's addresses); BROADCAST and the others are refused by ip6tables.
 */
function addrTypeSet6(types: readonly string[], local: AnySet, mcast: AnySet): AnySet | null {
  const d = addrDomain("ipv6");
  let set = IntervalSet.full(d);
  let routed: AnySet | null = null;
  for (const t of types) {
    if (t === "MULTICAST") set = set.intersect(mcast);
    else if (t === "UNICAST") set = set.subtract(IntervalSet.of(d, 0n as Scalar)).subtract(mcast).subtract(cidrSet("::ffff:0:0/96", "ipv6") as AnySet);
    else if (t === "UNSPEC") set = set.intersect(IntervalSet.of(d, 0n as Scalar));
    else if (t === "LOCAL") routed = local;
    else return null;
  }
  return routed ? set.intersect(routed) : set;
}

function natRange(text: string, family: Family): NatTo | null {
  let addrPart: string | null;
  let portPart: string | null = null;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) return null;
    addrPart = text.slice(1, end);
    if (text[end + 1] === ":") portPart = text.slice(end + 2);
  } else if (family === "ipv6" && !text.startsWith(":")) {
    addrPart = text;
  } else {
    const at = text.indexOf(":");
    addrPart = at < 0 ? text : text.slice(0, at);
    if (at >= 0) portPart = text.slice(at + 1);
    if (addrPart === "") addrPart = null;
  }
  let addr: [Scalar, Scalar] | null = null;
  if (addrPart) {
    const [a, b] = addrPart.split("-");
    const lo = parseAddress(a!, family);
    const hi = b === undefined ? lo : parseAddress(b, family);
    if (lo === null || hi === null) return null;
    addr = [lo, hi];
  }
  let port: readonly [number, number] | null = null;
  if (portPart) {
    const range = parsePortRange(portPart.split("/")[0]!, "-");
    if (!range) return null;
    port = range[0] === range[1] ? singlePort(range[0]) : range;
  }
  return { addr, port };
}

/** One shared [p, p] per port (at most 65,536): 26,000 DNAT rules of a Kubernetes dump name a few ports. */
const SINGLE_PORTS = new Map<number, readonly [number, number]>();
function singlePort(p: number): readonly [number, number] {
  let r = SINGLE_PORTS.get(p);
  if (r === undefined) SINGLE_PORTS.set(p, (r = [p, p]));
  return r;
}

/** The target's options, with the orphan options written after it (options of targets the catalog does not describe). */
function targetOptions(rule: Rule): readonly Option[] {
  const t = rule.target!;
  if (!rule.orphans.length) return t.options;
  const items = rule.items;
  const targetAt = items.findIndex((it) => it.type === "target");
  const more = items.filter((it, k) => it.type === "orphan" && k > targetAt).map((it) => (it as { option: Option }).option);
  return more.length ? [...t.options, ...more] : t.options;
}

/** Whether the rule's target untracks the packet (NOTRACK, CT --notrack), read as a target extension. */
export function untracksPacket(rule: Rule): boolean {
  const t = rule.target;
  return t?.name === "NOTRACK" || (t?.name === "CT" && targetOptions(rule).some((o) => o.name === "--notrack"));
}

/** The target as written, e.g. "DNAT --to-destination 172.17.0.2:80" ("" without a target). */
export function targetTextOf(rule: Rule): string {
  const t = rule.target;
  if (!t) return "";
  const options = targetOptions(rule);
  return `${t.name}${options.length ? ` ${options.map(optionText).join(" ")}` : ""}`;
}

/**
 * How MARK and CONNMARK set a mark, as the kernel applies it: mark = (mark & ~mask) ^ value. --set-mark v/m
 * clears m|v, --set-xmark v/m clears m; --and/--or/--xor-mark are the same with a fixed value or mask.
 * undefined: none of these options (or an unreadable and/or/xor value); "unreadable": a set value that is not a mark.
 */
function markUpdate(opt: (name: string) => string | undefined): { value: number; mask: number } | "unreadable" | undefined {
  const xset = opt("--set-xmark");
  const set = xset ?? opt("--set-mark");
  if (set !== undefined) {
    const p = markPair(set);
    if (!p) return "unreadable";
    return { value: p[0], mask: xset !== undefined ? p[1] : (p[1] | p[0]) >>> 0 };
  }
  const and = num(opt("--and-mark") ?? "");
  if (and !== null) return { value: 0, mask: ~and >>> 0 };
  const or = num(opt("--or-mark") ?? "");
  if (or !== null) return { value: or, mask: or };
  const xor = num(opt("--xor-mark") ?? "");
  if (xor !== null) return { value: xor, mask: 0 };
  return undefined;
}

const CONTINUE: Action = { t: "continue", name: null };
const RETURN: Action = { t: "return" };
const VERDICTS: Readonly<Record<"ACCEPT" | "DROP" | "REJECT", Action>> = { ACCEPT: { t: "verdict", v: "ACCEPT" }, DROP: { t: "verdict", v: "DROP" }, REJECT: { t: "verdict", v: "REJECT" } };

/** The first value of the option named `name` among `options`. */
function optionValue(options: readonly Option[], name: string): string | undefined {
  for (const o of options) if (o.name === name) return o.valueText(0);
  return undefined;
}

/**
 * The action of a jump, shared by every rule that jumps there the same way (a Kubernetes dump has
 * thousands of jumps to KUBE-MARK-MASQ); actions are never changed.
 */
const jumpActions: [Map<string, Action>, Map<string, Action>] = [new Map(), new Map()];
function jumpAction(chain: string, goto: boolean): Action {
  const cache = jumpActions[goto ? 1 : 0];
  let a = cache.get(chain);
  if (a === undefined) {
    if (cache.size > 100_000) cache.clear();
    cache.set(chain, (a = { t: "jump", chain, goto }));
  }
  return a;
}

function compileTarget(rule: Rule, ctx: CompileContext): Action {
  const t = rule.target;
  if (!t) return CONTINUE;
  // built-in verdicts, then jumps, without the option list (most rules of a large dump)
  if (t.name === "ACCEPT" || t.name === "DROP" || t.name === "REJECT") return VERDICTS[t.name];
  if (t.name === "RETURN") return RETURN;
  // a target extension's name is the extension, unless the parser found a chain of that name declared first
  if (t.spec === undefined && ctx.chainExists(t.name)) return jumpAction(t.name, t.goto);
  const options = targetOptions(rule);
  const text = (): string => targetTextOf(rule);
  const opt = (name: string) => optionValue(options, name);
  switch (t.name) {
    case "QUEUE":
    case "NFQUEUE":
      return { t: "unknown", name: t.name, final: true };
    case "MARK": {
      const u = markUpdate(opt);
      return u && u !== "unreadable" ? { t: "mark", ...u } : { t: "unknown", name: text() };
    }
    case "CONNMARK": {
      const u = markUpdate(opt);
      if (u === "unreadable") return { t: "unknown", name: text() };
      if (u) return { t: "connmark-set", ...u };
      const mask = opt("--mask");
      const nf = num(opt("--nfmask") ?? mask ?? "0xffffffff") ?? 0xffffffff;
      const ct = num(opt("--ctmask") ?? mask ?? "0xffffffff") ?? 0xffffffff;
      if (options.some((o) => o.name === "--save-mark")) return { t: "connmark-save", nfmask: nf, ctmask: ct };
      if (options.some((o) => o.name === "--restore-mark")) return { t: "connmark-restore", nfmask: nf, ctmask: ct };
      return { t: "unknown", name: text() };
    }
    case "DNAT":
    case "SNAT": {
      const to = opt(t.name === "DNAT" ? "--to-destination" : "--to-source");
      const r = to === undefined ? null : natRange(to, ctx.family);
      if (!r) return { t: "unknown", name: text() };
      return { t: t.name === "DNAT" ? "dnat" : "snat", to: r };
    }
    case "MASQUERADE":
    case "REDIRECT": {
      const p = opt("--to-ports");
      const ports = p === undefined ? null : parsePortRange(p, "-");
      if (p !== undefined && !ports) return { t: "unknown", name: text() };
      return t.name === "MASQUERADE" ? { t: "masquerade", ports } : { t: "redirect", ports };
    }
    case "NOTRACK":
    case "CT":
      return untracksPacket(rule) ? { t: "notrack" } : { t: "continue", name: t.name };
    default: {
      // (a chain of this name was taken above)
      const spec = findTarget(t.name, ctx.family)?.spec;
      if (spec?.verdict === "continue") return { t: "continue", name: t.name };
      if (spec?.verdict === "terminal") return { t: "unknown", name: t.name, final: true };
      if (["LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "TCPMSS", "TTL", "HL", "DSCP", "TOS", "ECN", "CHECKSUM", "CLASSIFY", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED", "RATEEST", "TEE", "HMARK"].includes(t.name)) {
        return { t: "continue", name: t.name };
      }
      return { t: "unknown", name: t.name };
    }
  }
}

