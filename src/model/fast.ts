/**
 * The concrete path of `fwlint trace`: the same traversal as the symbolic engine (engine.ts `journey`,
 * trace.ts `trace`) for a packet whose rules never cut a variable into parts, written for speed: the packet's
 * terms are changed in place instead of copied per step, the path is kept as its JSON text, and the result is
 * written as JSON directly (exactly the text of `traceResultJson(trace(model, spec).result)`).
 *
 * A packet still has variables (a source port left out is any ephemeral port; an established packet's
 * conntrack tuple is unknown; MASQUERADE picks one of the host's addresses): a rule that tests such a field
 * either holds for every value it may take or for none, or the packet leaves this path. Matches the model
 * cannot know (statistic, limit, …) are followed both ways as the engine does, in the engine's order, with
 * the same assumptions and the same branch budget. Whenever a rule, a route or a martian test would cut a
 * variable into parts, `traceJson` returns null and the caller traces the packet symbolically: this path
 * never decides anything the symbolic engine would not decide the same way.
 *
 * A chain whose walk is a function of the fields it tests (chainmemo.ts: no unknown match, no target that
 * changes the packet, no loop) is walked once per combination of those fields' intervals and values, then
 * answered from memory: on a Kubernetes node, INPUT and OUTPUT with the chains they call. A chain whose
 * memory serves rarely (nearly every packet a new combination) is walked from then on.
 */
import { protocolNumber } from "../catalog/index.js";
import { targetTextOf, type Action, type CompiledMatch } from "./compile.js";
import { answersRequest, answerTracking, followsRequest, followupTracking, REPLY_ENTRY_FIELDS, replyTracking, type Tracking, UNEVEN_TRACKING } from "./conntrack.js";
import { arrivalLocal, connmarkActs, markField, markValue, martians, masqueradeSourcesVia, unroutedInterfaces, type Cons, type Delivery, type Verdict } from "./engine.js";
import { EPHEMERAL_PORTS, F, FIELD_COUNT, FOLLOWUP_NAT, FOLLOWUP_TERMS, followsConnections, followupConstants, hasPorts, NEW_CONNECTION_TERMS, REPLY_NAT, REPLY_TERMS, replyConstants, ST, type ConnectionNat, STATE_NAMES, TCP, UNKNOWN_CONNECTION_FIELDS } from "./fields.js";
import { bridgeFor } from "./layout.js";
import { ChainMemoShapes, memoKey, type ChainMemoShape } from "./chainmemo.js";
import { candidatesFor, firstAtOrAfter, type CChain, type KRule, type Model } from "./model.js";
import { IntervalSet, PORTS, U32, type Domain, type Scalar } from "./sets.js";
import { answerIsReply, formatTerm, sameTerm, unknownText, type PacketSpec } from "./trace.js";
import { termSet, termValue, testFn } from "./sym.js";
import { parseAddress, parseIcmpType } from "./values.js";

type AnySet = IntervalSet<Scalar>;

/** A packet of the concrete path: a Sym's terms (constant or variable per field), changed in place. */
export class FPacket {
  /** The cube and its domains are shared with another packet (copied before a variable is added). */
  private shared = false;
  constructor(
    /** Constant value per field (meaningful when `s[f] < 0`). */
    public c: Scalar[],
    /** Variable (slot) per field, or -1 for a constant. */
    public s: number[],
    /** Set per slot; undefined = the slot's whole domain. Sets are never narrowed on this path. */
    public cube: (AnySet | undefined)[],
    public doms: Domain<Scalar>[],
  ) {}
  clone(): FPacket {
    const p = new FPacket(this.c.slice(), this.s.slice(), this.cube, this.doms);
    p.shared = this.shared = true;
    return p;
  }
  /** A new slot over `set` (undefined: the whole of `d`). */
  private addSlot(set: AnySet | undefined, d: Domain<Scalar>): number {
    if (this.shared) {
      this.cube = this.cube.slice();
      this.doms = this.doms.slice();
      this.shared = false;
    }
    this.doms.push(d);
    return this.cube.push(set) - 1;
  }
  value(f: number): Scalar | undefined {
    return termValue(this, f);
  }
  setOf(f: number, d: Domain<Scalar>): AnySet {
    return termSet(this, f, d);
  }
  setConst(f: number, v: Scalar): void {
    this.c[f] = v;
    this.s[f] = -1;
  }
  /** Field `f` becomes a fresh variable over `set` (a constant when it has one value), as Sym.withVar. */
  setVar(f: number, set: AnySet): void {
    const one = set.single;
    if (one !== undefined) return this.setConst(f, one);
    this.s[f] = this.addSlot(set.isFull ? undefined : set, set.d);
  }
  /** A fresh variable over a whole domain (with more than one value). */
  setVarFull(f: number, d: Domain<Scalar>): void {
    this.s[f] = this.addSlot(undefined, d);
  }
  /** Field `f` takes the term of field `g` of `from`. */
  copyTerm(f: number, from: FPacket, g: number): void {
    this.c[f] = from.c[g]!;
    this.s[f] = from.s[g]!;
  }
  setTerm(f: number, c: Scalar, s: number): void {
    this.c[f] = c;
    this.s[f] = s;
  }
}

interface Assumption {
  readonly krule: KRule;
  readonly holds: boolean;
}

/**
 * One packet on its way. Owned by one walk at a time: changed in place, copied when a match forks it. A
 * branch that leaves a chain or ends its journey carries how (an exit, an outcome) in its last three fields.
 */
class FBranch {
  /** An exit of a user chain's walk that returns (to the rule after the jump). */
  ret = false;
  verdict: Verdict = "ACCEPT";
  delivery: Delivery | null = null;
  constructor(
    public p: FPacket,
    /** The path as JSON: the entries joined with commas, without the brackets. */
    public path: string,
    public assume: Cons<Assumption> | null,
    public notrack: boolean,
  ) {}
  fork(): FBranch {
    return new FBranch(this.p.clone(), this.path, this.assume, this.notrack);
  }
  /** Add a path entry (its JSON, and the same with a comma before it). */
  step(e: EntryJson): void {
    this.path = this.path === "" ? e.plain : this.path + e.comma;
  }
  exit(ret: boolean, verdict: Verdict): FBranch {
    this.ret = ret;
    this.verdict = verdict;
    return this;
  }
}

/** A path entry's JSON (as JSON.stringify writes the entry), alone and after a comma. */
interface EntryJson {
  readonly plain: string;
  readonly comma: string;
}
/**
 * Both texts are kept flat (JSON.stringify and join make flat strings; `+` makes a tree): the output pastes
 * them again and again, and a tree would be walked again each time the output is written.
 */
/** An entry from its text with the comma before it (joined flat); the plain text is a slice of it. */
const entryAfterComma = (comma: string): EntryJson => ({ plain: comma.slice(1), comma });
const entryJson = (e: { table: string; chain: string; line: number | null; target: string }): EntryJson => entryAfterComma([",", JSON.stringify(e)].join(""));

/**
 * Values cached per rule id (ids are dense, 0 to the model's rule count): a list grown with every slot
 * filled, so that it keeps fast elements, instead of a Map looked up by hashing the rule.
 */
class ById<T> {
  private list: (T | undefined)[] = [];
  get(id: number): T | undefined {
    return id < this.list.length ? this.list[id] : undefined;
  }
  set(id: number, v: T, size: number): T {
    let list = this.list;
    if (id >= list.length) {
      const grown: (T | undefined)[] = new Array<T | undefined>(Math.max(id + 1, size, 2 * list.length)).fill(undefined);
      for (let k = 0; k < list.length; k++) grown[k] = list[k];
      this.list = list = grown;
    }
    list[id] = v;
    return v;
  }
}

/** A rule's unknown matches as JSON: its assumption objects (holds, does not hold), its quoted unknownText. */
interface UnknownJson {
  readonly yes: string;
  readonly no: string;
  readonly note: string;
}

/** A list of branches reused from walk to walk (a count; the slots past it are cleared). */
class Buf {
  readonly a: (FBranch | null)[] = [];
  n = 0;
  push(b: FBranch): void {
    this.a[this.n++] = b;
  }
  at(k: number): FBranch {
    return this.a[k]!;
  }
  clear(): void {
    for (let k = 0; k < this.n; k++) this.a[k] = null;
    this.n = 0;
  }
}

/** A walk's work items: a branch, the first rule position it has not seen, its candidate rules. */
class Stack {
  readonly b: (FBranch | null)[] = [];
  readonly i: number[] = [];
  readonly c: (Int32Array | null)[] = [];
  n = 0;
}

/** A journey (engine.ts Journey) with its terms as fields. */
class FJourney {
  /** The request's conntrack NAT (replies and follow-ups): PREROUTING/OUTPUT set dst:dport, the others src:sport. */
  manip = false;
  preDstC: Scalar = 0;
  preDstS = -1;
  preDportC: Scalar = 0;
  preDportS = -1;
  postSrcC: Scalar = 0;
  postSrcS = -1;
  postSportC: Scalar = 0;
  postSportS = -1;
  /** Fixed routing: 0 none, 1 local, 2 forward (with the output interface's term unless oifS is NO_TERM). */
  route = 0;
  oifC: Scalar = 0;
  oifS = NO_TERM;
  constructor(
    /** Generated by the host (else it arrives on an interface). */
    readonly local: boolean,
    readonly state: number,
  ) {}
  /** The connection's NAT (fields.ts ConnectionNat), its terms read from the request `p0`. */
  setManip(p0: FPacket, nat: ConnectionNat): void {
    this.manip = true;
    this.preDstC = p0.c[nat.dst]!;
    this.preDstS = p0.s[nat.dst]!;
    this.preDportC = p0.c[nat.dport]!;
    this.preDportS = p0.s[nat.dport]!;
    this.postSrcC = p0.c[nat.src]!;
    this.postSrcS = p0.s[nat.src]!;
    this.postSportC = p0.c[nat.sport]!;
    this.postSportS = p0.s[nat.sport]!;
  }
}
const NO_TERM = -2;

/** IntervalSet.has over packed bounds: whether `x` lies in one of the ranges lo, hi, lo, hi, … (sorted) in flat[from, end). */
function packedHas(flat: Float64Array, from: number, end: number, x: number): boolean {
  let lo = 0;
  let hi = ((end - from) >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (x < flat[from + 2 * mid]!) hi = mid - 1;
    else if (x > flat[from + 2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** `flatAt` entries: a rule not evaluated yet; a rule evaluated from its CompiledMatch. */
const FLAT_UNBUILT = -1;
const FLAT_NONE = -2;

/** Evaluation of a rule's match: no packet value matches, every one does, unknown (both ways), or a cut. */
const NO = 0;
const YES = 1;
const FORK = 2;
const CUT = 3;

/** Thrown to leave the concrete path (caught in traceJson). */
class Cut {}
const CUT_SIGNAL = new Cut();

/** A nat stage: PREROUTING and OUTPUT apply the connection's destination NAT, INPUT and POSTROUTING its source NAT. */
const NAT_PRE = 1;
const NAT_POST = 2;

/** The chain of each table at each hook (null when the table has none), in engine.ts HOOK_TABLES order. */
interface Hooks {
  readonly rawPre: CChain | null;
  readonly manglePre: CChain | null;
  readonly natPre: CChain | null;
  readonly mangleIn: CChain | null;
  readonly filterIn: CChain | null;
  readonly securityIn: CChain | null;
  readonly natIn: CChain | null;
  readonly mangleFwd: CChain | null;
  readonly filterFwd: CChain | null;
  readonly securityFwd: CChain | null;
  readonly rawOut: CChain | null;
  readonly mangleOut: CChain | null;
  readonly natOut: CChain | null;
  readonly filterOut: CChain | null;
  readonly securityOut: CChain | null;
  readonly manglePost: CChain | null;
  readonly natPost: CChain | null;
}


const q = (s: string) => JSON.stringify(s);
const jstr = (v: string | null) => (v === null ? "null" : JSON.stringify(v));
const VERDICT_JSON: Readonly<Record<Verdict, string>> = { ACCEPT: q("ACCEPT"), DROP: q("DROP"), REJECT: q("REJECT"), UNKNOWN: q("UNKNOWN") };
const DELIVERY_JSON = (d: Delivery | null) => (d === null ? "null" : d === "local" ? '"local"' : '"forward"');
const MARTIAN_SRC = entryJson({ table: "routing", chain: "martian source", line: null, target: "DROP" });
const MARTIAN_DST = entryJson({ table: "routing", chain: "martian destination", line: null, target: "DROP" });

/** The verdict all branches agree on, else UNKNOWN (trace.ts `agree`). */
function agreedVerdict(bs: readonly FBranch[]): Verdict {
  const v = bs[0]!.verdict;
  for (let k = 1; k < bs.length; k++) if (bs[k]!.verdict !== v) return "UNKNOWN";
  return v;
}

/** The packet's field values before anything is set: an array of any values (numbers, bigints), never re-shaped. */
const C_TEMPLATE: Scalar[] = new Array<Scalar>(FIELD_COUNT).fill(0);
C_TEMPLATE[0] = 0n; // generic elements from the start: storing an address (a double or a bigint) then changes nothing
C_TEMPLATE[0] = 0;
const S_TEMPLATE: number[] = new Array<number>(FIELD_COUNT).fill(-1);

/**
 * Counts of a tracer: packets answered on the concrete path, packets left to the symbolic engine, walks of a
 * chain answered from memory, chains whose memory served too rarely to keep, and the ways kept now.
 */
export interface FastStats {
  fast: number;
  fallback: number;
  remembered: number;
  forgotten: number;
  kept: number;
}

/** A packet's way through a chain that is a function of its tested fields (chainmemo.ts): its path entries, how it leaves. */
interface Way {
  readonly entry: EntryJson | null;
  readonly ret: boolean;
  readonly verdict: Verdict;
}
/** Ways kept per chain (a chain keyed on addresses may meet many combinations; past this they are walked). */
const MAX_WAYS = 1 << 14;
/**
 * Ways kept by a tracer in all: past this, new ones are walked. A way holds its path text (a few hundred
 * bytes for a chain that calls others), so this bounds them to about 100 MB.
 */
const MAX_TRACER_WAYS = 1 << 18;
/**
 * Walks after which a chain's memory is judged: one that found fewer than three ways in four already known is
 * walked from then on (a key, and a miss, cost more than the walk of a chain whose index already finds its rules).
 */
const JUDGED_AFTER = 256;

/**
 * Walks of a chain before its memory is considered: most chains of a large dump are met a few times in a batch
 * (a Kubernetes service's endpoint chains), and finding whether a chain qualifies costs more than those walks.
 */
const REMEMBER_FROM = 4;

/** A chain's ways found so far, by key, and how well its memory serves. */
class Ways {
  readonly known = new Map<number, Way>();
  lookups = 0;
  misses = 0;
  off = false;
}

export interface FastTracerOptions {
  /** Answer the walks of chains that are functions of their tested fields from memory (default true). */
  readonly memo?: boolean;
  /** Ways kept in all (default 2^18); known ones still serve once it is reached. */
  readonly maxWays?: number;
}

/** The concrete path for one model (its caches live as long as the model). */
export class FastTracer {
  readonly stats: FastStats = { fast: 0, fallback: 0, remembered: 0, forgotten: 0, kept: 0 };
  private readonly shapes: ChainMemoShapes | null;
  /** Per chain id: the ways found so far. */
  private readonly ways: (Ways | undefined)[];
  /** Ways this tracer may keep in all (`stats.kept` counts those it keeps). */
  private readonly maxWays: number;
  /** Per chain id: its walks so far, up to REMEMBER_FROM. */
  private readonly walked: Uint8Array;
  private readonly none: number;
  private readonly lo: number;
  /** Path entries' JSON per rule id, per chain policy. */
  private readonly ruleJson = new ById<EntryJson>();
  /** Per chain id: the start of its rules' entries, up to the line number. */
  private readonly chainJson: (string | undefined)[];
  private readonly policyJson = new Map<CChain, EntryJson>();
  /** Per rule id, for rules with unknown matches. */
  private readonly unknownJson = new ById<UnknownJson>();
  /**
   * Per rule id: where the rule's set tests start in `flat` (see `pack`); FLAT_UNBUILT until the rule is first
   * evaluated, FLAT_NONE for a rule evaluated from its CompiledMatch. A chain's rules have consecutive ids
   * (`chainBase`), so that a rule that does not match is told from its place, without reading its KRule.
   */
  private flatAt = new Int32Array(0);
  /** Per chain id: its first rule's id; FLAT_UNBUILT before its first walk, FLAT_NONE when its ids are not consecutive. */
  private readonly chainBase: Int32Array;
  private flat = new Float64Array(4096);
  private flatN = 0;
  private readonly ifaceClass = new Map<string, number>();
  private readonly protocols = new Map<string, number | undefined>();
  private readonly ephemeral: AnySet;
  // Per journey.
  private budget = 0;
  private out: string | undefined = undefined;
  private outcomes: FBranch[] = [];
  /** Per walk depth: continuing branches of an action, exits of a jump's walk, the work items. */
  private readonly conts: Buf[] = [];
  private readonly subs: Buf[] = [];
  private readonly stacks: Stack[] = [];
  /** Exits of a hook's chain. */
  private readonly exits = new Buf();

  private readonly hooks: Hooks;

  constructor(
    readonly model: Model,
    opts: FastTracerOptions = {},
  ) {
    this.shapes = opts.memo === false ? null : new ChainMemoShapes(model);
    this.maxWays = opts.maxWays ?? MAX_TRACER_WAYS;
    this.ways = new Array<Ways | undefined>(model.chains.length).fill(undefined);
    this.walked = new Uint8Array(model.chains.length);
    const h = (t: "raw" | "mangle" | "nat" | "filter" | "security", hook: string) => model.hook(t, hook);
    this.hooks = {
      rawPre: h("raw", "PREROUTING"),
      manglePre: h("mangle", "PREROUTING"),
      natPre: h("nat", "PREROUTING"),
      mangleIn: h("mangle", "INPUT"),
      filterIn: h("filter", "INPUT"),
      securityIn: h("security", "INPUT"),
      natIn: h("nat", "INPUT"),
      mangleFwd: h("mangle", "FORWARD"),
      filterFwd: h("filter", "FORWARD"),
      securityFwd: h("security", "FORWARD"),
      rawOut: h("raw", "OUTPUT"),
      mangleOut: h("mangle", "OUTPUT"),
      natOut: h("nat", "OUTPUT"),
      filterOut: h("filter", "OUTPUT"),
      securityOut: h("security", "OUTPUT"),
      manglePost: h("mangle", "POSTROUTING"),
      natPost: h("nat", "POSTROUTING"),
    };
    // Made up front for every depth a walk reaches (64 and one more), so that no read falls outside them.
    for (let d = 0; d <= 65; d++) {
      this.conts.push(new Buf());
      this.subs.push(new Buf());
      this.stacks.push(new Stack());
    }
    this.chainJson = new Array<string | undefined>(model.chains.length).fill(undefined);
    this.chainBase = new Int32Array(model.chains.length).fill(FLAT_UNBUILT);
    this.none = model.ifaces.classOf("");
    this.lo = model.ifaces.classOf("lo");
    this.ephemeral = IntervalSet.of(PORTS, EPHEMERAL_PORTS[0], EPHEMERAL_PORTS[1]) as unknown as AnySet;
  }

  /**
   * The JSON line of `trace(model, spec).result` (as traceResultJson writes it), or null when the packet
   * must be traced symbolically (a variable would be cut, or the spec is not a valid packet).
   */
  traceJson(spec: PacketSpec): string | null {
    let r: string | null;
    try {
      r = this.traceOne(spec);
    } catch (err) {
      if (err !== CUT_SIGNAL) throw err;
      r = null;
    }
    if (r === null) this.stats.fallback++;
    else this.stats.fast++;
    return r;
  }

  private classOf(name: string): number {
    let k = this.ifaceClass.get(name);
    if (k === undefined) this.ifaceClass.set(name, (k = this.model.ifaces.classOf(name)));
    return k;
  }

  /** The path entry of a rule (engine.ts stepOf, trace.ts entryOf), as JSON.stringify writes it. */
  private ruleEntry(ch: CChain, r: KRule): EntryJson {
    const e = this.ruleJson.get(r.id);
    if (e !== undefined) return e;
    // The chain's part is made once per chain; JSON.stringify would write it again for every rule.
    let head = this.chainJson[ch.id];
    if (head === undefined) this.chainJson[ch.id] = head = `{"table":${q(ch.table)},"chain":${q(ch.name)},"line":`;
    // the target's text straight from the rule: the entry is the cache (KRule.targetText would keep a copy aside)
    return this.ruleJson.set(r.id, entryAfterComma([",", head, String(r.line), ',"target":', q(targetTextOf(r.rule) || "(no target)"), "}"].join("")), this.model.rules.length);
  }

  private policyEntry(ch: CChain): EntryJson {
    let e = this.policyJson.get(ch);
    if (e === undefined) this.policyJson.set(ch, (e = entryJson({ table: ch.table, chain: ch.name, line: null, target: ch.policy })));
    return e;
  }

  // ── the packet ──

  /** packetOf (trace.ts) on the concrete path; null for a spec it refuses (the symbolic path says why). */
  private packetOf(spec: PacketSpec): { p: FPacket; j: FJourney; proto: number } | null {
    const model = this.model;
    const fam = model.family;
    const src = parseAddress(spec.src, fam);
    const dst = parseAddress(spec.dst, fam);
    if (src === null || dst === null) return null;
    const protoText = spec.proto === undefined ? "tcp" : String(spec.proto);
    let proto = this.protocols.get(protoText);
    if (proto === undefined && !this.protocols.has(protoText)) this.protocols.set(protoText, (proto = protocolNumber(protoText)));
    if (proto === undefined || proto === 0) return null;
    const state = STATE_NAMES.indexOf((spec.state ?? "NEW").toUpperCase() as (typeof STATE_NAMES)[number]);
    if (state < 0) return null;
    const sport = spec.sport;
    const dport = spec.dport;
    if (sport !== undefined && (!Number.isInteger(sport) || sport < 0 || sport > 65535)) return null;
    if (dport !== undefined && (!Number.isInteger(dport) || dport < 0 || dport > 65535)) return null;
    const local = spec.in === undefined || spec.in === null || spec.in === "";
    const c = C_TEMPLATE.slice();
    c[F.SRC] = src;
    c[F.DST] = dst;
    c[F.PROTO] = proto;
    c[F.IIF] = this.classOf(local ? "" : spec.in!);
    c[F.OIF] = this.none;
    c[F.STATE] = state;
    c[F.MARK] = (spec.mark ?? 0) >>> 0;
    c[F.FLAGS] = proto === 6 ? (state === ST.NEW ? TCP.SYN : TCP.ACK) : 0;
    if (proto === 1 || proto === 58) {
      const t = parseIcmpType(spec.icmpType ?? "echo-request", fam);
      if (!t || t[0] < 0) return null;
      c[F.ICMP] = t[0] * 256 + t[1];
    }
    const p = new FPacket(c, S_TEMPLATE.slice(), [], []);
    if (hasPorts(proto)) {
      if (sport !== undefined) p.setConst(F.SPORT, sport);
      else p.setVar(F.SPORT, this.ephemeral);
      if (dport !== undefined) p.setConst(F.DPORT, dport);
      else p.setVarFull(F.DPORT, PORTS as unknown as Domain<Scalar>);
    }
    if (state === ST.NEW) {
      for (const [f, g] of NEW_CONNECTION_TERMS) p.copyTerm(f, p, g);
    } else {
      for (const f of UNKNOWN_CONNECTION_FIELDS) p.setVarFull(f, model.doms[f]!);
    }
    return { p, j: new FJourney(local, state), proto };
  }

  // ── one rule ──

  /**
   * evalMatch for rule `r`, from its packed tests while every field they test is a constant of the packet
   * (what nearly every traced packet is): one array read in order instead of the rule's match, its list of
   * tests, each test and its set, scattered over the heap (a 100k-rule model does not fit in the processor's
   * cache, and the walk spent most of its time waiting for those reads). Anything else: `evalMatch`.
   */
  private evalRule(p: FPacket, base: number, rules: readonly KRule[], pos: number): number {
    if (base < 0) return this.evalMatch(p, rules[pos]!.match);
    const flatAt = this.flatAt;
    let at = flatAt[base + pos]!;
    if (at === FLAT_UNBUILT) at = flatAt[base + pos] = this.pack(rules[pos]!);
    if (at === FLAT_NONE) return this.evalMatch(p, rules[pos]!.match);
    const flat = this.flat;
    const c = p.c;
    const s = p.s;
    const n = flat[at + 1]!;
    let i = at + 2;
    for (let k = 0; k < n; k++) {
      const f = flat[i]!;
      const end = i + 2 + flat[i + 1]!;
      if (s[f]! >= 0) return this.evalMatch(p, rules[pos]!.match);
      const x = c[f] as number;
      if (!packedHas(flat, i + 2, end, x)) return NO;
      i = end;
    }
    return flat[at]! !== 0 ? FORK : YES;
  }

  /**
   * The id of a chain's first rule, with `flatAt` grown to hold its rules; FLAT_NONE for an empty chain, or one
   * whose rules' ids are not consecutive (the model compiles a chain's rules one after the other, so this is
   * only a guard).
   */
  private baseOf(rules: readonly KRule[]): number {
    const n = rules.length;
    if (n === 0) return FLAT_NONE;
    const base = rules[0]!.id;
    const last = rules[n - 1]!.id;
    if (last - base !== n - 1) return FLAT_NONE;
    if (last >= this.flatAt.length) {
      const grown = new Int32Array(Math.max(last + 1, this.model.rules.length, 2 * this.flatAt.length)).fill(FLAT_UNBUILT);
      grown.set(this.flatAt);
      this.flatAt = grown;
    }
    return base;
  }

  /**
   * Packs rule `r`'s tests at the end of `flat` (unknown matches 1/0, number of tests, then per test its
   * field, its number of bounds and the bounds) and returns where; FLAT_NONE when the rule never matches,
   * tests functions, or has bounds that are not numbers (IPv6 addresses): those keep `evalMatch`.
   */
  private pack(r: KRule): number {
    const m = r.match;
    let at = FLAT_NONE;
    const sets = m.sets;
    let need = 2;
    let numeric = m.never === null && m.fns.length === 0;
    for (let k = 0; k < sets.length && numeric; k++) {
      const b = sets[k]!.set.b;
      need += 2 + b.length;
      for (let j = 0; j < b.length; j++) if (typeof b[j] !== "number") numeric = false;
    }
    if (numeric) {
      if (this.flatN + need > this.flat.length) {
        const grown = new Float64Array(Math.max(2 * this.flat.length, this.flatN + need));
        grown.set(this.flat.subarray(0, this.flatN));
        this.flat = grown;
      }
      const flat = this.flat;
      at = this.flatN;
      flat[at] = m.unknown.length > 0 ? 1 : 0;
      flat[at + 1] = sets.length;
      let i = at + 2;
      for (let k = 0; k < sets.length; k++) {
        const t = sets[k]!;
        const b = t.set.b as readonly number[];
        flat[i] = t.f;
        flat[i + 1] = b.length;
        for (let j = 0; j < b.length; j++) flat[i + 2 + j] = b[j]!;
        i += 2 + b.length;
      }
      this.flatN = i;
    }
    return at;
  }

  /** evalMatch (sym.ts) for a packet that must not be cut: NO, YES, FORK (unknown: both ways) or CUT. */
  private evalMatch(p: FPacket, m: CompiledMatch): number {
    if (m.never !== null) return NO;
    const sets = m.sets;
    const c = p.c;
    const s = p.s;
    let cut = false;
    for (let k = 0; k < sets.length; k++) {
      const t = sets[k]!;
      const slot = s[t.f]!;
      if (slot < 0) {
        if (!t.set.has(c[t.f]!)) return NO;
        continue;
      }
      const cur = p.cube[slot];
      if (cur) {
        if (!cur.intersects(t.set)) return NO;
        if (!cur.isSubsetOf(t.set)) cut = true;
      } else if (t.set.b.length === 0) return NO;
      else if (!t.set.isFull) cut = true;
    }
    let unknown = m.unknown.length > 0;
    const fns = m.fns;
    for (let k = 0; k < fns.length; k++) {
      const r = testFn(fns[k]!, p);
      if (r === false) return NO;
      if (r === undefined) unknown = true;
    }
    if (cut) return CUT;
    return unknown ? FORK : YES;
  }

  // ── chains ──

  private pushItem(st: Stack, ch: CChain, b: FBranch, from: number): void {
    const k = st.n++;
    st.b[k] = b;
    st.i[k] = from;
    st.c[k] = candidatesFor(this.model, ch, b.p);
  }

  /** Runner.walk (engine.ts) without merging or visits: the same exits in the same order. */
  private walk(ch: CChain, start: FBranch, depth: number, out: Buf): void {
    if (depth > 64) {
      out.push(start.exit(false, "UNKNOWN"));
      return;
    }
    let shape: ChainMemoShape | null = null;
    if (this.shapes !== null) {
      const n = this.walked[ch.id]!;
      if (n < REMEMBER_FROM) this.walked[ch.id] = n + 1;
      else shape = this.shapes.shapeOf(ch);
    }
    // Within the depth limit all the way down, the way does not depend on the depth it starts at.
    if (shape !== null && depth + shape.height <= 64) {
      let ways = this.ways[ch.id];
      if (ways === undefined) this.ways[ch.id] = ways = new Ways();
      if (!ways.off) {
        const key = memoKey(shape, start.p.c, start.p.s);
        if (key >= 0) {
          this.walkRemembered(ch, ways, key, start, depth, out);
          return;
        }
      }
    }
    this.walkRules(ch, start, depth, out);
  }

  /** The walk of a chain that is a function of its tested fields, all of them constants: one way, found once per key. */
  private walkRemembered(ch: CChain, ways: Ways, key: number, start: FBranch, depth: number, out: Buf): void {
    ways.lookups++;
    const known = ways.known.get(key);
    if (known !== undefined) {
      this.stats.remembered++;
      if (known.entry !== null) start.step(known.entry);
      out.push(start.exit(known.ret, known.verdict));
      return;
    }
    if (++ways.misses * 4 > ways.lookups && ways.lookups >= JUDGED_AFTER) {
      ways.off = true;
      this.stats.kept -= ways.known.size;
      ways.known.clear();
      this.stats.forgotten++;
    }
    // Walked with an empty path, so that the path it adds is its own text.
    const before = start.path;
    const assumed = start.assume;
    start.path = "";
    const n0 = out.n;
    this.walkRules(ch, start, depth, out);
    if (out.n !== n0 + 1 || out.at(n0) !== start || start.assume !== assumed) {
      // A test that could not tell (both ways were followed): the exits get the path before the chain back, and nothing is kept.
      for (let k = n0; k < out.n; k++) {
        const e = out.at(k);
        e.path = e.path === "" ? before : before === "" ? e.path : [before, e.path].join(",");
      }
      return;
    }
    const added = start.path;
    const entry = added === "" ? null : entryAfterComma([",", added].join(""));
    start.path = before;
    if (entry !== null) start.step(entry);
    if (!ways.off && ways.known.size < MAX_WAYS && this.stats.kept < this.maxWays) {
      this.stats.kept++;
      ways.known.set(key, { entry, ret: start.ret, verdict: start.verdict });
    }
  }

  /** The walk itself, rule by rule. */
  private walkRules(ch: CChain, start: FBranch, depth: number, out: Buf): void {
    const rules = ch.rules;
    const n = rules.length;
    let base = this.chainBase[ch.id]!;
    if (base === FLAT_UNBUILT) base = this.chainBase[ch.id] = this.baseOf(rules);
    const st = this.stacks[depth]!;
    st.n = 0;
    const cont = this.conts[depth]!;
    let first: FBranch | null = start;
    const firstC = candidatesFor(this.model, ch, start.p);
    while (first !== null || st.n > 0) {
      let b: FBranch;
      let from: number;
      let cand: Int32Array | null;
      if (first !== null) {
        b = first;
        from = 0;
        cand = firstC;
        first = null;
      } else {
        const k = --st.n;
        b = st.b[k]!;
        from = st.i[k]!;
        cand = st.c[k]!;
        st.b[k] = null;
        st.c[k] = null;
      }
      let ci = cand ? firstAtOrAfter(cand, from) : 0;
      let pos = cand ? (ci < cand.length ? cand[ci]! : n) : from;
      let alive = true;
      while (pos < n) {
        const res = this.evalRule(b.p, base, rules, pos);
        // a rule that does not match is passed over without reading its compiled rule
        if (res !== NO) {
          const r = rules[pos]!;
          if (res === YES) {
            cont.clear();
            this.act(ch, r, b, cont, out, depth);
            if (cont.n === 0) {
              alive = false;
              break;
            }
            b = cont.at(0);
            for (let k = 1; k < cont.n; k++) this.pushItem(st, ch, cont.at(k), pos + 1);
            cont.clear();
          } else if (res === FORK) {
            // Both ways, as the engine splits: the branch where the unknown matches do not hold waits on the
            // stack; the one where they hold acts first.
            this.budget -= 1;
            if (this.budget < 0) {
              out.push(b.exit(false, "UNKNOWN"));
              alive = false;
              break;
            }
            const nb = b.fork();
            nb.assume = { head: { krule: r, holds: false }, tail: nb.assume };
            this.pushItem(st, ch, nb, pos + 1);
            b.assume = { head: { krule: r, holds: true }, tail: b.assume };
            cont.clear();
            this.act(ch, r, b, cont, out, depth);
            for (let k = 0; k < cont.n; k++) this.pushItem(st, ch, cont.at(k), pos + 1);
            cont.clear();
            alive = false;
            break;
          } else if (res === CUT) throw CUT_SIGNAL;
        }
        if (cand) {
          ci++;
          pos = ci < cand.length ? cand[ci]! : n;
        } else pos++;
      }
      if (!alive) continue;
      if (ch.builtin) {
        b.step(this.policyEntry(ch));
        out.push(b.exit(false, ch.policy));
      } else out.push(b.exit(true, "ACCEPT"));
    }
  }

  /** Runner.act (engine.ts). */
  private act(ch: CChain, r: KRule, b: FBranch, next: Buf, out: Buf, depth: number): void {
    const a: Action = r.action;
    if (!(a.t === "continue" && a.name === null)) b.step(this.ruleEntry(ch, r));
    switch (a.t) {
      case "verdict":
        out.push(b.exit(false, a.v));
        return;
      case "return":
        if (ch.builtin) {
          b.step(this.policyEntry(ch));
          out.push(b.exit(false, ch.policy));
        } else out.push(b.exit(true, "ACCEPT"));
        return;
      case "continue":
        next.push(b);
        return;
      case "unknown":
        out.push(b.exit(false, "UNKNOWN"));
        return;
      case "notrack":
        b.notrack = true;
        next.push(b);
        return;
      case "mark":
      case "connmark-set":
      case "connmark-save":
      case "connmark-restore":
        applyMark(b.p, a);
        next.push(b);
        return;
      case "jump": {
        const target = r.jumpTarget;
        if (!target) {
          out.push(b.exit(false, "UNKNOWN"));
          return;
        }
        const sub = this.subs[depth]!;
        sub.clear();
        this.walk(target, b, depth + 1, sub);
        for (let k = 0; k < sub.n; k++) {
          const e = sub.at(k);
          if (e.ret) {
            if (a.goto) {
              if (ch.builtin) {
                e.step(this.policyEntry(ch));
                out.push(e.exit(false, ch.policy));
              } else out.push(e);
            } else next.push(e);
          } else out.push(e);
        }
        sub.clear();
        return;
      }
      case "dnat":
      case "snat":
      case "masquerade":
      case "redirect":
        this.nat(b.p, a, ch);
        out.push(b.exit(false, "ACCEPT"));
        return;
    }
  }

  /** Runner.nat (engine.ts), in place. */
  private nat(p: FPacket, a: Extract<Action, { t: "dnat" | "snat" | "masquerade" | "redirect" }>, ch: CChain): void {
    const m = this.model;
    const ad = m.doms[F.SRC]!;
    const pd = m.doms[F.SPORT]!;
    const setOrConst = (f: number, lo: Scalar, hi: Scalar, d: Domain<Scalar>) => (lo === hi ? p.setConst(f, lo) : p.setVar(f, IntervalSet.of(d, lo, hi)));
    if (a.t === "dnat" && a.to.addr && a.to.addr[0] === a.to.addr[1] && (!a.to.port || a.to.port[0] === a.to.port[1])) {
      const nv = p.value(F.NATTED);
      if (!a.to.port) p.copyTerm(F.CTREPLSRCPORT, p, F.DPORT);
      p.setConst(F.DST, a.to.addr[0]);
      p.setConst(F.CTREPLSRC, a.to.addr[0]);
      if (a.to.port) {
        p.setConst(F.DPORT, a.to.port[0]);
        p.setConst(F.CTREPLSRCPORT, a.to.port[0]);
      }
      if (nv !== undefined) p.setConst(F.NATTED, Number(nv) | 2);
      return;
    }
    let bit: number;
    if (a.t === "dnat" || a.t === "redirect") {
      if (a.t === "dnat") {
        if (a.to.addr) setOrConst(F.DST, a.to.addr[0], a.to.addr[1], ad);
        if (a.to.port) setOrConst(F.DPORT, a.to.port[0], a.to.port[1], pd);
      } else {
        p.setVar(F.DST, (ch.name === "OUTPUT" ? m.layout.redirectedOutput : m.layout.redirected) as IntervalSet<Scalar>);
        if (a.ports) setOrConst(F.DPORT, a.ports[0], a.ports[1], pd);
      }
      p.copyTerm(F.CTREPLSRC, p, F.DST);
      p.copyTerm(F.CTREPLSRCPORT, p, F.DPORT);
      bit = 2;
    } else {
      if (a.t === "snat") {
        if (a.to.addr) setOrConst(F.SRC, a.to.addr[0], a.to.addr[1], ad);
        if (a.to.port) setOrConst(F.SPORT, a.to.port[0], a.to.port[1], pd);
      } else {
        p.setVar(F.SRC, masqueradeSourcesVia(m, p.value(F.OIF)));
        if (a.ports) setOrConst(F.SPORT, a.ports[0], a.ports[1], pd);
      }
      p.copyTerm(F.CTREPLDST, p, F.SRC);
      p.copyTerm(F.CTREPLDSTPORT, p, F.SPORT);
      bit = 1;
    }
    const v = p.value(F.NATTED);
    if (v !== undefined) p.setConst(F.NATTED, Number(v) | bit);
  }

  // ── hooks ──

  private outcome(b: FBranch, verdict: Verdict, delivery: Delivery | null): void {
    b.verdict = verdict;
    b.delivery = delivery;
    this.outcomes.push(b);
  }

  /** journey (engine.ts) for one branch: the outcomes in the engine's order. */
  private journey(start: FBranch, j: FJourney): FBranch[] {
    this.budget = 512;
    const outcomes: FBranch[] = (this.outcomes = []);
    // Raw sees no connection yet: state INVALID until conntrack.
    start.p.setConst(F.STATE, ST.INVALID);
    if (!j.local) {
      this.inbound(j, [start], false);
      return outcomes;
    }
    // Locally generated: routing first (the output interface is known to OUTPUT chains), then the hooks.
    const isNew = j.state === ST.NEW;
    const routed = this.route(j, [start], true);
    const h = this.hooks;
    for (const b of routed) {
      let cur = this.stage(j, h.rawOut, 0, [b], null);
      this.conntrack(j, cur);
      cur = this.stage(j, h.mangleOut, 0, cur, null);
      cur = this.stage(j, h.natOut, NAT_PRE, cur, null);
      // nat OUTPUT may have changed the destination: route again.
      if (isNew && j.route === 0) cur = this.route(j, cur, true);
      cur = this.stage(j, h.filterOut, 0, cur, null);
      cur = this.stage(j, h.securityOut, 0, cur, null);
      cur = this.stage(j, h.manglePost, 0, cur, null);
      cur = this.stage(j, h.natPost, NAT_POST, cur, null);
      let loop: FBranch[] | null = null;
      for (const x of cur) {
        const oif = x.p.value(F.OIF);
        if (oif !== undefined && Number(oif) === this.lo) (loop ??= []).push(x);
        else this.outcome(x, "ACCEPT", "forward");
      }
      if (loop) {
        // Back in through lo: PREROUTING (nat already decided), then INPUT.
        for (const x of loop) {
          x.p.setConst(F.IIF, this.lo);
          x.p.setConst(F.OIF, this.none);
          // its connection stays: raw PREROUTING on lo sees its state (see engine.ts)
        }
        this.inbound(j, loop, true);
      }
    }
    return outcomes;
  }

  private inbound(j: FJourney, bs: FBranch[], skipNat: boolean): void {
    const h = this.hooks;
    // IPv6 drops martians on arrival, before any hook (engine.ts)
    const arrived = this.model.family === "ipv6" && j.route === 0 ? bs.filter((b) => !this.martian(b)) : bs;
    let cur = this.stage(j, h.rawPre, 0, arrived, null);
    this.conntrack(j, cur);
    cur = this.stage(j, h.manglePre, 0, cur, null);
    if (!skipNat) cur = this.stage(j, h.natPre, NAT_PRE, cur, null);
    const routed = this.route(j, cur, false);
    let l: FBranch[];
    let f: FBranch[];
    if (routed.length === 1) {
      // One branch: it goes one way, the other list is empty.
      const local = routed[0]!.delivery === "local";
      l = local ? routed : [];
      f = local ? [] : routed;
    } else {
      l = [];
      f = [];
      for (const b of routed) (b.delivery === "local" ? l : f).push(b);
    }
    l = this.stage(j, h.mangleIn, 0, l, "local");
    l = this.stage(j, h.filterIn, 0, l, "local");
    l = this.stage(j, h.securityIn, 0, l, "local");
    if (!skipNat) l = this.stage(j, h.natIn, NAT_POST, l, "local");
    for (const b of l) this.outcome(b, "ACCEPT", "local");
    f = this.stage(j, h.mangleFwd, 0, f, "forward");
    f = this.stage(j, h.filterFwd, 0, f, "forward");
    f = this.stage(j, h.securityFwd, 0, f, "forward");
    f = this.stage(j, h.manglePost, 0, f, "forward");
    f = this.stage(j, h.natPost, NAT_POST, f, "forward");
    for (const b of f) this.outcome(b, "ACCEPT", "forward");
  }

  /** Conntrack: from here on the packet has its state. */
  private conntrack(j: FJourney, bs: FBranch[]): void {
    for (const b of bs) b.p.setConst(F.STATE, b.notrack ? ST.UNTRACKED : j.state);
  }

  /**
   * One table of one hook (its chain, if the table has it; `nat` says whether it is nat's, and which of the
   * connection's NAT it applies); returns the accepted branches (the same list when it is the same one branch).
   */
  private stage(j: FJourney, ch: CChain | null, nat: number, bs: FBranch[], delivery: Delivery | null): FBranch[] {
    if (bs.length === 0) return bs;
    if (nat !== 0) {
      if (j.state !== ST.NEW || j.manip) {
        if (j.manip) {
          for (const b of bs) {
            if (b.notrack) continue;
            if (nat === NAT_PRE) {
              b.p.setTerm(F.DST, j.preDstC, j.preDstS);
              b.p.setTerm(F.DPORT, j.preDportC, j.preDportS);
            } else {
              b.p.setTerm(F.SRC, j.postSrcC, j.postSrcS);
              b.p.setTerm(F.SPORT, j.postSportC, j.postSportS);
            }
          }
        }
        return bs;
      }
      if (bs.every((b) => b.notrack)) return bs;
    }
    if (!ch) return bs;
    const exits = this.exits;
    if (bs.length === 1) {
      exits.clear();
      this.walk(ch, bs[0]!, 0, exits);
      if (exits.n === 1 && exits.at(0).verdict === "ACCEPT") {
        bs[0] = exits.at(0);
        exits.clear();
        return bs;
      }
      const acc: FBranch[] = [];
      for (let k = 0; k < exits.n; k++) {
        const e = exits.at(k);
        if (e.verdict === "ACCEPT") acc.push(e);
        else this.outcome(e, e.verdict, delivery);
      }
      exits.clear();
      return acc;
    }
    const acc: FBranch[] = [];
    for (const b of bs) {
      if (nat !== 0 && b.notrack) {
        acc.push(b);
        continue;
      }
      exits.clear();
      this.walk(ch, b, 0, exits);
      for (let k = 0; k < exits.n; k++) {
        const e = exits.at(k);
        if (e.verdict === "ACCEPT") acc.push(e);
        else this.outcome(e, e.verdict, delivery);
      }
      exits.clear();
    }
    return acc;
  }

  /** route (engine.ts): martians dropped (from outside), then the routing decision of each branch (its `delivery`). */
  private route(j: FJourney, bs: FBranch[], fromLocal: boolean): FBranch[] {
    if (bs.length === 1) {
      const b = bs[0]!;
      if (!fromLocal && j.route === 0 && this.martian(b)) return [];
      b.delivery = this.routeOne(j, b, fromLocal);
      return bs;
    }
    const res: FBranch[] = [];
    for (const b of bs) {
      if (!fromLocal && j.route === 0 && this.martian(b)) continue;
      b.delivery = this.routeOne(j, b, fromLocal);
      res.push(b);
    }
    return res;
  }

  /** dropMartians (engine.ts): true when the branch was dropped (its outcome recorded). */
  private martian(b: FBranch): boolean {
    const p = b.p;
    const iif = p.value(F.IIF);
    if (iif !== undefined && Number(iif) === this.lo) return false;
    const m = martians(this.model);
    for (let k = 0; k < 2; k++) {
      const f = k === 0 ? F.SRC : F.DST;
      const set = k === 0 ? m.src : m.dst;
      const slot = p.s[f]!;
      let hit: boolean;
      if (slot < 0) hit = set.has(p.c[f]!);
      else {
        const cur = p.cube[slot] ?? IntervalSet.full(p.doms[slot]!);
        if (!cur.intersects(set)) hit = false;
        else if (cur.isSubsetOf(set)) hit = true;
        else throw CUT_SIGNAL;
      }
      if (hit) {
        b.step(k === 0 ? MARTIAN_SRC : MARTIAN_DST);
        this.outcome(b, "DROP", null);
        return true;
      }
    }
    return false;
  }

  /** routeOne (engine.ts) for a branch whose destination is one address. */
  private routeOne(j: FJourney, b: FBranch, fromLocal: boolean): Delivery {
    const p = b.p;
    if (j.route !== 0) {
      if (j.oifS !== NO_TERM) p.setTerm(F.OIF, j.oifC, j.oifS);
      if (j.route === 1) {
        p.setConst(F.OIF, fromLocal ? this.lo : this.none);
        return "local";
      }
      return "forward";
    }
    if (p.s[F.DST]! >= 0) throw CUT_SIGNAL; // a destination variable is cut by routing
    const layout = this.model.layout;
    const dst = p.c[F.DST]!;
    if ((layout.local as IntervalSet<Scalar>).has(dst) || (!fromLocal && arrivalLocal(this.model).has(dst))) {
      p.setConst(F.OIF, fromLocal ? this.lo : this.none);
      return "local";
    }
    // --out overrides the routing decision of a forwarded packet.
    const br = this.out ? null : bridgeFor(layout, dst);
    if (br !== null) {
      p.setConst(F.OIF, this.classOf(br));
      return "forward";
    }
    const name = this.out ?? (layout.external.length === 1 ? layout.external[0] : undefined);
    if (name !== undefined) p.setConst(F.OIF, this.classOf(name));
    else p.setVar(F.OIF, unroutedInterfaces(this.model));
    return "forward";
  }

  // ── the trace ──

  private traceOne(spec: PacketSpec): string | null {
    const model = this.model;
    const pk = this.packetOf(spec);
    if (!pk) return null;
    const { p, j, proto } = pk;
    // read before the journey, which changes the packet in place
    const broadcastOrMulticast = arrivalLocal(model).has(p.c[F.DST]!);
    this.out = spec.out ? spec.out : undefined;
    const request = this.journey(new FBranch(p, "", null, false), j);
    if (request.length === 0) return null;
    const isPorted = hasPorts(proto);
    const first = request[0]!;
    const verdict = agreedVerdict(request);
    let delivery = first.delivery;
    for (let k = 1; k < request.length; k++) if (request[k]!.delivery !== delivery) delivery = null;
    const fp = first.p;
    // as trace(): a packet of a connection the model has not seen keeps its addresses
    const isNew = j.state === ST.NEW;
    const natSrc = !isNew || (sameTerm(fp, F.SRC, F.CTORIGSRC) && sameTerm(fp, F.SPORT, F.CTORIGSRCPORT)) ? null : formatTerm(model, fp, F.SRC, F.SPORT, isPorted);
    const natDst = !isNew || (sameTerm(fp, F.DST, F.CTORIGDST) && sameTerm(fp, F.DPORT, F.CTORIGDSTPORT)) ? null : formatTerm(model, fp, F.DST, F.DPORT, isPorted);
    // The unknown matches met, as JSON strings in the engine's order (each once).
    let unknown: string[] | null = null;
    const note = (o: FBranch) => {
      for (let a = o.assume; a; a = a.tail) {
        const u = this.unknownOf(a.head.krule).note;
        if (unknown === null) unknown = [u];
        else if (!unknown.includes(u)) unknown.push(u);
      }
    };
    for (const o of request) if (o.assume) note(o);

    let reply = "null";
    let followup = "null";
    let answer = "null";
    let connection: "open" | "closed" | "unknown" | null = null;
    // as trace(): no connection to a broadcast or multicast destination
    const connected = followsConnections(proto) && j.state === ST.NEW && !broadcastOrMulticast;
    let accepted = false;
    let undecided = false;
    for (const o of request) {
      if (o.verdict === "ACCEPT") accepted = true;
      else if (o.verdict === "UNKNOWN") undecided = true;
    }
    if (connected && !accepted) connection = undecided ? "unknown" : "closed";
    if (connected && accepted) {
      let open = false;
      let closed = false;
      let unsure = false;
      const state = (v: Verdict, ok: boolean) => {
        if (v === "UNKNOWN") unsure = true;
        else if (ok && v === "ACCEPT") open = true;
        else closed = true;
      };
      let uneven = false;
      let replies: FBranch[] | null = null;
      let followups: FBranch[] | null = null;
      let answers: FBranch[] | null = null;
      for (const o of request) {
        if (o.verdict !== "ACCEPT") {
          state(o.verdict, false);
          continue;
        }
        const rt = replyTracking(proto, o.notrack);
        const rs = this.journey(this.replyOf(o, proto, rt), this.replyJourney(o, j, rt));
        for (const ro of rs) {
          (replies ??= []).push(ro);
          if (ro.assume) note(ro);
          if (!rt.sure) {
            unsure = uneven = true;
            continue;
          }
          if (ro.verdict !== "ACCEPT") {
            state(ro.verdict, false);
            continue;
          }
          // as trace(): an accepted reply the client does not take
          const answer = answersRequest(o.p, ro.p);
          if (answer === "no") closed = true;
          if (answer === "maybe") unsure = uneven = true;
          if (answer !== "yes") continue;
          // The engine restricts the request to what the reply accepted: nothing, as nothing is ever cut here.
          const ft = followupTracking(proto, o.notrack, ro.notrack);
          const fb = this.followupOf(o, proto, ft, ro);
          const fs = this.journey(fb, this.followupJourney(o, j, ft, fb.p));
          for (const x of fs) {
            (followups ??= []).push(x);
            if (x.assume) note(x);
            const way = x.verdict === "ACCEPT" ? followsRequest(o.p, x.p) : "yes";
            if (!ft.sure || way === "maybe") {
              unsure = uneven = true;
              continue;
            }
            if (x.verdict !== "ACCEPT" || way !== "yes" || proto !== 6) {
              state(x.verdict, way === "yes");
              continue;
            }
            // as trace(): the server's first data packet of a TCP connection (as the reply when nothing tells them apart)
            if (answerIsReply(this.model, o.notrack, ro.notrack, x.notrack)) {
              (answers ??= []).push(ro);
              state(ro.verdict, true);
              continue;
            }
            const at = answerTracking(o.notrack, ro.notrack, x.notrack);
            const ab = this.answerOf(o, proto, at, x);
            for (const y of this.journey(ab, this.answerJourney(o, j, at, ab.p))) {
              (answers ??= []).push(y);
              if (y.assume) note(y);
              const back = y.verdict === "ACCEPT" ? answersRequest(o.p, y.p) : "yes";
              if (!at.sure || back === "maybe") unsure = uneven = true;
              else state(y.verdict, back === "yes");
            }
          }
        }
      }
      if (uneven) (unknown ??= [] as string[]).push(UNEVEN_JSON);
      connection = unsure || (open && closed) ? (open || unsure ? "unknown" : "closed") : open ? "open" : "closed";
      if (replies) reply = `{"verdict":${VERDICT_JSON[agreedVerdict(replies)]},"path":[${replies[0]!.path}]}`;
      if (followups) followup = `{"verdict":${VERDICT_JSON[agreedVerdict(followups)]},"path":[${followups[0]!.path}]}`;
      if (answers) answer = `{"verdict":${VERDICT_JSON[agreedVerdict(answers)]},"path":[${answers[0]!.path}]}`;
    }
    let t = `{"verdict":${VERDICT_JSON[verdict]},"delivery":${DELIVERY_JSON(delivery)},"nat":{"src":${jstr(natSrc)},"dst":${jstr(natDst)}},"path":[${first.path}],"reply":${reply},"connection":${jstr(connection)},"followup":${followup},"answer":${answer},"unknown":[`;
    if (unknown) t += (unknown as string[]).join(",");
    t += "]";
    if (request.length > 1) {
      t += ',"outcomes":[';
      for (let k = 0; k < request.length; k++) t += (k ? "," : "") + this.outcomeJson(request[k]!);
      t += "]";
    }
    return `${t}}`;
  }

  private unknownOf(k: KRule): UnknownJson {
    const u = this.unknownJson.get(k.id);
    if (u !== undefined) return u;
    const head = `{"line":${JSON.stringify(k.line)},"match":${q(k.match.unknown.join(" "))},"holds":`;
    return this.unknownJson.set(k.id, { yes: [head, "true}"].join(""), no: [head, "false}"].join(""), note: q(unknownText(k)) }, this.model.rules.length);
  }

  /** An outcome's JSON (trace.ts outcomeJson), its assumptions oldest first. */
  private outcomeJson(o: FBranch): string {
    const assumptions: string[] = [];
    for (let a = o.assume; a; a = a.tail) assumptions.push(a.head.holds ? this.unknownOf(a.head.krule).yes : this.unknownOf(a.head.krule).no);
    return `{"verdict":${VERDICT_JSON[o.verdict]},"delivery":${DELIVERY_JSON(o.delivery)},"path":[${o.path}],"assumptions":[${assumptions.reverse().join(",")}]}`;
  }

  /** replyOf (trace.ts): the reply's packet. */
  private replyOf(req: FBranch, proto: number, t: Tracking): FBranch {
    const p0 = req.p;
    const p = edited(p0, replyConstants(proto), REPLY_TERMS);
    if (req.delivery === "local") p.setConst(F.IIF, this.none);
    if (t.entry === "own") ownEntry(p);
    return new FBranch(p, "", null, false);
  }

  /** replyOf (trace.ts): the reply's journey, back the way the request came. */
  private replyJourney(req: FBranch, j: FJourney, t: Tracking): FJourney {
    const p0 = req.p;
    const rj = new FJourney(req.delivery === "local", t.state);
    if (t.entry === "request") rj.setManip(p0, REPLY_NAT);
    if (j.local) rj.route = 1;
    else {
      rj.route = 2;
      rj.oifC = p0.c[F.IIF]!;
      rj.oifS = p0.s[F.IIF]!;
    }
    return rj;
  }

  /** answerOf (trace.ts): the server's first data packet, after the client's next packet `fol`. */
  private answerOf(req: FBranch, proto: number, t: Tracking, fol: FBranch): FBranch {
    const b = this.replyOf(req, proto, replyTracking(proto, req.notrack));
    const p = b.p;
    p.setConst(F.FLAGS, TCP.ACK);
    if (t.entry === "own") ownEntry(p);
    else if (t.entry === "followup") this.entryOf(p, fol.p, req.p.cube.length);
    return b;
  }

  /** answerOf (trace.ts): its journey, the reply's way with the NAT of its entry (`p`: the packet). */
  private answerJourney(req: FBranch, j: FJourney, t: Tracking, p: FPacket): FJourney {
    const aj = this.replyJourney(req, j, { ...t, entry: "none" });
    if (t.entry === "request") aj.setManip(req.p, REPLY_NAT);
    else if (t.entry === "followup") aj.setManip(p, REPLY_NAT);
    return aj;
  }

  /** replyEntry (trace.ts), in place: the fields of the entry the packet `r` made, reply direction (`n`: slots shared). */
  private entryOf(p: FPacket, r: FPacket, n: number): void {
    p.setConst(F.CTDIR, 1);
    // a variable the other packet's journey made is not one of this packet's: a fresh one over the same values
    for (const f of REPLY_ENTRY_FIELDS) {
      if (r.s[f]! < 0 || r.s[f]! < n) p.copyTerm(f, r, f);
      else p.setVar(f, r.setOf(f, r.doms[r.s[f]!]!));
    }
  }

  /** followupOf (trace.ts): the client's next packet, after the reply `rep`. */
  private followupOf(req: FBranch, proto: number, t: Tracking, rep: FBranch): FBranch {
    const p = edited(req.p, followupConstants(proto), FOLLOWUP_TERMS);
    if (t.entry === "own") ownEntry(p);
    else if (t.entry === "reply") this.entryOf(p, rep.p, req.p.cube.length);
    return new FBranch(p, "", null, false);
  }

  /** followupOf (trace.ts): the next packet's journey, the request's way with its connection's NAT (`p`: the packet). */
  private followupJourney(req: FBranch, j: FJourney, t: Tracking, p: FPacket): FJourney {
    const p0 = req.p;
    const fj = new FJourney(j.local, t.state);
    if (t.entry === "request") fj.setManip(p0, FOLLOWUP_NAT);
    else if (t.entry === "reply") fj.setManip(p, REPLY_NAT);
    fj.route = (req.delivery ?? "forward") === "local" ? 1 : 2;
    fj.oifC = p0.c[F.OIF]!;
    fj.oifS = p0.s[F.OIF]!;
    return fj;
  }
}


/** ownEntry (trace.ts), in place: the packet's own conntrack tuple, original direction, no mark, no NAT. */
function ownEntry(p: FPacket): void {
  p.setConst(F.CTDIR, 0);
  p.setConst(F.CONNMARK, 0);
  p.setConst(F.NATTED, 0);
  for (let k = 0; k < NEW_CONNECTION_TERMS.length; k++) p.copyTerm(NEW_CONNECTION_TERMS[k]![0], p, NEW_CONNECTION_TERMS[k]![1]);
}

/** The note of UNEVEN_TRACKING, as JSON. */
const UNEVEN_JSON = JSON.stringify(UNEVEN_TRACKING);

/** A copy of `p0` with terms copied from it, then constants set (Sym.withEdits on the concrete path). */
function edited(p0: FPacket, consts: readonly (readonly [number, Scalar])[], terms: readonly (readonly [number, number])[]): FPacket {
  const p = p0.clone();
  for (let k = 0; k < terms.length; k++) p.copyTerm(terms[k]![0], p0, terms[k]![1]);
  for (let k = 0; k < consts.length; k++) p.setConst(consts[k]![0], consts[k]![1]);
  return p;
}

/** applyMark (engine.ts), in place. */
function applyMark(p: FPacket, a: Extract<Action, { t: "mark" | "connmark-set" | "connmark-save" | "connmark-restore" }>): void {
  if (!connmarkActs(a, p.value(F.STATE))) return;
  const v = markValue(a, p.value(F.MARK), p.value(F.CONNMARK));
  if (v === undefined) p.setVarFull(markField(a), U32 as unknown as Domain<Scalar>);
  else p.setConst(markField(a), v);
}

/** The tracer of a model, made once. */
const tracers = new WeakMap<Model, FastTracer>();
export function fastTracer(model: Model): FastTracer {
  let t = tracers.get(model);
  if (!t) tracers.set(model, (t = new FastTracer(model)));
  return t;
}
