/**
 * Runtime classes behind the AST interfaces of iptables.ts. Coordinates are stored inline in each node
 * (no separate span object per node) and `span` builds a Span on demand: a 100k-rule dump has millions
 * of nodes, and a span object apiece doubled the parser's memory and garbage-collection time.
 */
import type { ExtensionSpec, OptionSpec, TableName } from "../catalog/types.js";
import type { Chain, Command, Counters, Family, Match, OperationType, Option, Rule, RuleItem, Target, Word } from "./iptables.js";
import type { Span } from "./span.js";

/** Maps source offsets to 1-based line and column. */
export interface Locator {
  line(offset: number): number;
  column(offset: number): number;
  /** The text the offsets point into, when the locator keeps it (a restore file's). */
  readonly source?: string;
}

/**
 * The locator of a whole restore file: the start offset of every line, filled in as the parser reaches
 * each line, and a binary search. One per file, where a locator object per line cost 5 MB and 136,000
 * allocations on a 100k-rule dump; positions are only asked for the few nodes that end up in findings.
 */
export class LineTable implements Locator {
  private starts = new Int32Array(1024);
  private count = 0;
  constructor(readonly source?: string) {}
  /** Record that line `count + 1` starts at `offset` (lines are added in order). */
  add(offset: number): void {
    if (this.count === this.starts.length) {
      const grown = new Int32Array(this.count * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    this.starts[this.count++] = offset;
  }
  /** Drop the unused room once every line is known. */
  trim(): void {
    this.starts = this.starts.slice(0, this.count);
  }
  /** 0-based index of the line holding `offset`. */
  private index(offset: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  line(offset: number): number {
    return this.index(offset) + 1;
  }
  column(offset: number): number {
    return offset - this.starts[this.index(offset)]! + 1;
  }
}

/** A locator for text that lies on one line. */
export class SingleLine implements Locator {
  constructor(
    readonly lineNo: number,
    readonly lineStart: number,
  ) {}
  line(): number {
    return this.lineNo;
  }
  column(offset: number): number {
    return offset - this.lineStart + 1;
  }
}

/**
 * A node's extent: its locator (shared by every node of a line) and two offsets. Line and column are
 * computed on demand, so a node carries three fields instead of a six-field span object.
 */
export abstract class Located {
  loc: Locator;
  offset: number;
  endOffset: number;
  constructor(loc: Locator, start: number, end: number) {
    this.loc = loc;
    this.offset = start;
    this.endOffset = end;
  }
  get line(): number {
    return this.loc.line(this.offset);
  }
  get column(): number {
    return this.loc.column(this.offset);
  }
  get endLine(): number {
    return this.loc.line(this.endOffset);
  }
  get endColumn(): number {
    return this.loc.column(this.endOffset);
  }
  get span(): Span {
    const { loc, offset, endOffset } = this;
    return { line: loc.line(offset), column: loc.column(offset), endLine: loc.line(endOffset), endColumn: loc.column(endOffset), offset, endOffset };
  }
  /** Grow the node to end where `other` ends. */
  extendTo(other: Located): void {
    if (other.endOffset > this.endOffset) this.endOffset = other.endOffset;
  }
  /** Give the node exactly this extent (offsets are interpreted with the node's locator). */
  setExtent(other: { offset: number; endOffset: number }): void {
    this.offset = other.offset;
    this.endOffset = other.endOffset;
  }
}

/**
 * The shared empty list. Made from a list of objects so that V8 files it under the same element kind as the
 * lists of nodes it stands in for (code reading both stays monomorphic). Never add to it.
 */
const EMPTY: never[] = (() => {
  const list: unknown[] = [{}];
  list.pop();
  return list as never[];
})();
/** An exact-size copy of a list (the shared empty list when empty). */
export function exact<T>(list: readonly T[]): T[] {
  return list.length === 0 ? EMPTY : list.slice();
}

/**
 * Empty a list that is reused, keeping its room. (`list.length = 0` gives the room back, and the next
 * push allocates it again: on a 100k-rule dump that was tens of megabytes of garbage.)
 */
export function clear(list: unknown[]): void {
  while (list.length > 0) list.pop();
}

/**
 * A new exact-size list: `list` followed by `item`. Extensions hold one or two options, so copying beats
 * growing an array by push (which reserves room for 17).
 */
function appended<T>(list: readonly T[], item: T): T[] {
  switch (list.length) {
    case 0:
      return [item];
    case 1:
      return [list[0]!, item];
    default:
      return [...list, item];
  }
}

/** Array.isArray that narrows a readonly list. */
const isArray = Array.isArray as (x: unknown) => x is readonly unknown[];

function kind<K extends string>(cls: { prototype: object }, value: K) {
  Object.defineProperty(cls.prototype, "kind", { value, enumerable: true });
}

/** The span of offsets [start, end) of a node's text. */
function subSpan(n: Located, start: number, end: number): Span {
  const { loc } = n;
  return { line: loc.line(start), column: loc.column(start), endLine: loc.line(end), endColumn: loc.column(end), offset: start, endOffset: end };
}

/**
 * A word written plainly (no quotes, no shell expansion): what it says is what it is, so it keeps only its
 * text; `raw` is the same string. Nine words in ten of a dump; quoted and script words are WrittenWordNode.
 * Make words with `wordNode`.
 */
export class WordNode extends Located implements Word {
  declare readonly kind: "Word";
  readonly text: string;
  constructor(loc: Locator, start: number, end: number, text: string) {
    super(loc, start, end);
    this.text = text;
  }
  get raw(): string {
    return this.text;
  }
  get quoted(): boolean {
    return false;
  }
  get dynamic(): boolean | undefined {
    return undefined;
  }
}

/** A word whose text differs from how it is written (quotes), or that holds a shell expansion. */
class WrittenWordNode extends WordNode {
  private readonly written: string;
  /** 1 quoted, 2 dynamic (script expansion). */
  private readonly flags: number;
  constructor(loc: Locator, start: number, end: number, text: string, raw: string, quoted: boolean, dynamic: boolean) {
    super(loc, start, end, text);
    this.written = raw;
    this.flags = (quoted ? 1 : 0) | (dynamic ? 2 : 0);
  }
  override get raw(): string {
    return this.written;
  }
  override get quoted(): boolean {
    return (this.flags & 1) !== 0;
  }
  override get dynamic(): boolean | undefined {
    return this.flags & 2 ? true : undefined;
  }
}

/**
 * A word described by its pieces, for code that copies them instead of keeping a Word node (the parser fills
 * one reused object; nothing keeps it).
 */
export interface WordParts {
  text: string;
  raw: string;
  start: number;
  end: number;
  quoted: boolean;
  dynamic: boolean;
}

/** A Word node: the compact kind when the word is written plainly. */
export function wordNode(loc: Locator, start: number, end: number, text: string, raw: string, quoted: boolean, dynamic: boolean): WordNode {
  return !quoted && !dynamic && raw === text ? new WordNode(loc, start, end, text) : new WrittenWordNode(loc, start, end, text, raw, quoted, dynamic);
}
kind(WordNode, "Word");

/** A counter value; "0" (nearly every counter in a saved file) shares one bigint. */
export function counterValue(digits: string): bigint {
  return digits === "0" ? 0n : BigInt(digits);
}

/** The `[p:b]` counters (a scanned counters token) that start at `offset` of `loc`'s source. */
export function countersAt(loc: Locator, offset: number): CountersNode {
  const source = loc.source!;
  const colon = source.indexOf(":", offset);
  const end = source.indexOf("]", colon) + 1;
  return new CountersNode(loc, offset, end, counterValue(source.slice(offset + 1, colon)), counterValue(source.slice(colon + 1, end - 1)));
}

export class CountersNode extends Located implements Counters {
  declare readonly kind: "Counters";
  constructor(
    loc: Locator,
    start: number,
    end: number,
    readonly packets: bigint,
    readonly bytes: bigint,
  ) {
    super(loc, start, end);
  }
}
kind(CountersNode, "Counters");

const NEG_PREFIX = 1;
const NEG_LEGACY = 2;
const INLINE = 4;
const ABBREVIATED = 8;
/** The single value is quoted. */
const VALUE_QUOTED = 16;
/** The single value holds a shell expansion. */
const VALUE_DYNAMIC = 32;
/** The positions did not fit in `bits` and are kept in `widePlaces`. */
const WIDE = 64;
/** Written differently from `name` (long spelling, abbreviation): the spelling is kept in `spellings`. */
const RESPELT = 128;
/** Bits 8–15: where the name starts, from the option's start (a `!` comes first); 16–23: the name's length; 24–28: the gap between the name's end and the single value. */
const NAME_AT = 8;
const NAME_LENGTH = 16;
const VALUE_GAP = 24;
/**
 * The single value is written differently from its text (quotes, escapes, expansions): as the source has it
 * between the value's start and the option's end (RAW_IN_SOURCE), else kept in `rawValues` (RAW_ASIDE).
 */
const RAW_IN_SOURCE = 1 << 29;
const RAW_ASIDE = 1 << 30;
const rawValues = new WeakMap<object, string>();

/** source[start, end) equals `text` (compared in place: no slice). */
function sourceHolds(source: string | undefined, start: number, end: number, text: string): boolean {
  if (source === undefined || end - start !== text.length || end > source.length) return false;
  for (let i = 0; i < text.length; i++) if (source.charCodeAt(start + i) !== text.charCodeAt(i)) return false;
  return true;
}

/** The `!` of each legacy negation (rare: a field for it in every option cost 2 MB on a 100k-rule dump). */
const legacyBangs = new WeakMap<object, Span>();
/** Spellings that differ from the canonical name (an iptables-save dump has none). */
const spellings = new WeakMap<object, string>();
/** Positions of an option whose name or gaps are too long for `bits` (only odd or broken input has them). */
const widePlaces = new WeakMap<object, { nameStart: number; nameEnd: number; valueStart: number }>();

/**
 * One field for a node's spec and name: the spec when its name is the node's name, else the name itself (no
 * spec, or one named otherwise, which is then kept in `aside`). Options and matches hold one each.
 */
function packSpec<S extends { readonly name: string }>(node: object, spec: S | undefined, name: string, aside: WeakMap<object, S>): S | string {
  if (spec === undefined || spec.name === name) return spec ?? name;
  aside.set(node, spec);
  return name;
}
const packedName = (x: { readonly name: string } | string): string => (typeof x === "string" ? x : x.name);
function packedSpec<S>(node: object, x: S | string, aside: WeakMap<object, S>): S | undefined {
  return typeof x === "string" ? aside.get(node) : x;
}

/** Specs of options whose canonical name is not their spec's name (the parser makes none). */
const optionSpecsAside = new WeakMap<object, OptionSpec>();

/**
 * An option. Most options have one value; such an option keeps that value's text inline and makes its Word
 * (and the one-element `values` list) only when something asks for `values`. Positions are small offsets
 * packed in one number. On a 100k-rule dump that is 284,000 options: the list and the word cost 112 bytes
 * apiece, and a field 8 bytes. Code that runs for every option reads `valueCount` and `valueText`.
 */
export class OptionNode extends Located implements Option {
  declare readonly kind: "Option";
  /**
   * The spec, whose name is the option's canonical name; else the canonical name (an option no extension
   * defines). One field for both: a 100k-rule dump has 284,000 options.
   */
  private specOrName: OptionSpec | string;
  /** Negation, spelling and value bits, and the name's and the value's places (see NAME_AT). */
  private bits: number;
  /** The single value's text while it has no Word, else the values as Words (no value, several, or asked for). */
  private vals: string | Word[];
  /**
   * The name word spans [nameStart, nameEnd); `bang` is the span of a legacy negation's `!`. (Plain
   * parameters rather than an options object: the parser makes one option per criterion, and an object
   * for each call was garbage.) `values` is a single value's pieces (copied, not kept: the parser passes
   * one reused object, and no Word is made), or the Words of no value or several (copied exact-size).
   */
  constructor(
    loc: Locator,
    start: number,
    end: number,
    name: string,
    written: string,
    nameStart: number,
    nameEnd: number,
    values: WordParts | readonly Word[],
    spec: OptionSpec | undefined,
    negation: "prefix" | "legacy" | null,
    bang: Span | null,
    inlineValue: boolean,
    abbreviated: boolean,
  ) {
    super(loc, start, end);
    this.specOrName = packSpec(this, spec, name, optionSpecsAside);
    let bits = (negation === "prefix" ? NEG_PREFIX : negation === "legacy" ? NEG_LEGACY : 0) | (inlineValue ? INLINE : 0) | (abbreviated ? ABBREVIATED : 0);
    if (written !== name) {
      bits |= RESPELT;
      spellings.set(this, written);
    }
    let valueStart = nameEnd;
    if (isArray(values)) {
      this.vals = exact(values);
    } else if (values.end === end) {
      // the value ends the option (as the parser's always does): its Word can be made again from these
      this.vals = values.text;
      if (values.raw !== values.text) {
        if (sourceHolds(loc.source, values.start, values.end, values.raw)) bits |= RAW_IN_SOURCE;
        else {
          bits |= RAW_ASIDE;
          rawValues.set(this, values.raw);
        }
      }
      if (values.quoted) bits |= VALUE_QUOTED;
      if (values.dynamic) bits |= VALUE_DYNAMIC;
      valueStart = values.start;
    } else {
      this.vals = [wordNode(loc, values.start, values.end, values.text, values.raw, values.quoted, values.dynamic)];
    }
    const nameAt = nameStart - start;
    const nameLength = nameEnd - nameStart;
    const gap = valueStart - nameEnd;
    if (nameAt >= 0 && nameAt < 256 && nameLength >= 0 && nameLength < 256 && gap >= 0 && gap < 32) {
      bits |= (nameAt << NAME_AT) | (nameLength << NAME_LENGTH) | (gap << VALUE_GAP);
    } else {
      bits |= WIDE;
      widePlaces.set(this, { nameStart, nameEnd, valueStart });
    }
    this.bits = bits;
    // the `!` of a legacy negation (`-s ! x`) is the only one that is not the option's first character
    if (negation === "legacy" && bang) legacyBangs.set(this, bang);
  }
  /** Canonical name; `rename` changes it (the spelling stays what was written). */
  get name(): string {
    return packedName(this.specOrName);
  }
  get spec(): OptionSpec | undefined {
    return packedSpec(this, this.specOrName, optionSpecsAside);
  }
  /** Spelling used in the source. */
  get written(): string {
    return this.bits & RESPELT ? spellings.get(this)! : this.name;
  }
  /** Give the option its canonical name once the parser knows it (the spelling is kept). */
  rename(name: string): void {
    if (name === this.name) return;
    if (!(this.bits & RESPELT)) {
      spellings.set(this, this.name);
      this.bits |= RESPELT;
    }
    const spec = this.spec;
    optionSpecsAside.delete(this);
    this.specOrName = packSpec(this, spec, name, optionSpecsAside);
  }
  get nameStart(): number {
    return this.bits & WIDE ? widePlaces.get(this)!.nameStart : this.offset + ((this.bits >>> NAME_AT) & 255);
  }
  get nameEnd(): number {
    return this.bits & WIDE ? widePlaces.get(this)!.nameEnd : this.nameStart + ((this.bits >>> NAME_LENGTH) & 255);
  }
  private get valueStart(): number {
    return this.bits & WIDE ? widePlaces.get(this)!.valueStart : this.nameEnd + ((this.bits >>> VALUE_GAP) & 31);
  }
  get values(): readonly Word[] {
    const vals = this.vals;
    if (typeof vals !== "string") return vals;
    const bits = this.bits;
    const raw = bits & RAW_IN_SOURCE ? this.loc.source!.slice(this.valueStart, this.endOffset) : bits & RAW_ASIDE ? rawValues.get(this)! : vals;
    const list = [wordNode(this.loc, this.valueStart, this.endOffset, vals, raw, (bits & VALUE_QUOTED) !== 0, (bits & VALUE_DYNAMIC) !== 0)];
    this.vals = list;
    return list;
  }
  get valueCount(): number {
    const vals = this.vals;
    return typeof vals === "string" ? 1 : vals.length;
  }
  valueText(i: number): string | undefined {
    const vals = this.vals;
    return typeof vals === "string" ? (i === 0 ? vals : undefined) : vals[i]?.text;
  }
  valueDynamic(i: number): boolean {
    const vals = this.vals;
    return typeof vals === "string" ? i === 0 && (this.bits & VALUE_DYNAMIC) !== 0 : vals[i]?.dynamic === true;
  }
  get negated(): boolean {
    return (this.bits & (NEG_PREFIX | NEG_LEGACY)) !== 0;
  }
  get negation(): "prefix" | "legacy" | null {
    return this.bits & NEG_PREFIX ? "prefix" : this.bits & NEG_LEGACY ? "legacy" : null;
  }
  get inlineValue(): boolean {
    return (this.bits & INLINE) !== 0;
  }
  get abbreviated(): boolean {
    return (this.bits & ABBREVIATED) !== 0;
  }
  get nameSpan(): Span {
    return subSpan(this, this.nameStart, this.nameEnd);
  }
  get bangSpan(): Span | null {
    if (this.bits & NEG_PREFIX) return subSpan(this, this.offset, this.offset + 1);
    return legacyBangs.get(this) ?? null;
  }
}
kind(OptionNode, "Option");

/** Specs of matches whose module name is not their spec's name (the parser makes none). */
const specsAside = new WeakMap<object, ExtensionSpec>();

/** What a node holds as one item or a list, as a list (a fresh one-element list for a single item). */
function listOf<T extends object>(held: T | T[]): T[] {
  return isArray(held) ? (held as T[]) : [held as T];
}
/** An exact-size copy of a list, or its one item. */
function oneOrList<T extends object>(list: readonly T[]): T | T[] {
  return list.length === 1 ? list[0]! : exact(list);
}
/** What a match or target holds once `option` is added: the option alone, or an exact-size list. */
function withOption(opts: Option | Option[], option: Option): Option | Option[] {
  if (opts === EMPTY) return option;
  return isArray(opts) ? appended(opts as Option[], option) : [opts, option];
}

export class MatchNode extends Located implements Match {
  declare readonly kind: "Match";
  /** The options: the one option itself (most matches have one), else an exact-size list (see `options`). */
  private opts: Option | Option[] = EMPTY;
  /** Exact-size; a match with one option makes its list each time it is asked (the tree keeps no list for it). */
  get options(): Option[] {
    return listOf(this.opts);
  }
  /** The spec, whose name is the module; else the module's name (an unknown module). One field for both. */
  private readonly specOrModule: ExtensionSpec | string;
  /** The head's length (`-m NAME`, or the option that loaded an implicit match) times two, plus 1 when implicit. */
  private readonly head: number;
  constructor(loc: Locator, start: number, end: number, module: string, implicit: boolean, spec: ExtensionSpec | undefined) {
    super(loc, start, end);
    this.specOrModule = packSpec(this, spec, module, specsAside);
    this.head = (end - start) * 2 + (implicit ? 1 : 0);
  }
  get module(): string {
    return packedName(this.specOrModule);
  }
  get spec(): ExtensionSpec | undefined {
    return packedSpec(this, this.specOrModule, specsAside);
  }
  get implicit(): boolean {
    return this.head % 2 === 1;
  }
  get headSpan(): Span {
    return subSpan(this, this.offset, this.offset + Math.floor(this.head / 2));
  }
  /** Append an option and grow the match to cover it. */
  addOption(option: OptionNode): void {
    this.opts = withOption(this.opts, option);
    this.extendTo(option);
  }
}
kind(MatchNode, "Match");

/** Places of target names too far from the target's start, or too long, for TargetNode's bits. */
const wideNames = new WeakMap<object, readonly [number, number]>();

export class TargetNode extends Located implements Target {
  declare readonly kind: "Target";
  readonly name: string;
  /** The options: the one option itself, else an exact-size list (see MatchNode). */
  private opts: Option | Option[] = EMPTY;
  readonly spec: ExtensionSpec | undefined;
  /**
   * Bit 0 goto, bit 1 "wide" (the name's place is kept in `wideNames`), bits 2–9 where the name word starts
   * (from the target's start), from bit 10 its length. The word itself is not kept: one per rule, and only
   * its span is ever asked for.
   */
  private readonly bits: number;
  /** `nameWord` (read, not kept) is located with `loc`. */
  constructor(loc: Locator, start: number, end: number, nameWord: Readonly<WordParts>, goto: boolean, spec: ExtensionSpec | undefined) {
    super(loc, start, end);
    this.name = nameWord.text;
    this.spec = spec;
    const at = nameWord.start - start;
    const length = nameWord.end - nameWord.start;
    if (at >= 0 && at < 256 && length >= 0 && length < 1 << 20) this.bits = (goto ? 1 : 0) | (at << 2) | (length << 10);
    else {
      this.bits = (goto ? 1 : 0) | 2;
      wideNames.set(this, [nameWord.start, nameWord.end]);
    }
  }
  get goto(): boolean {
    return (this.bits & 1) !== 0;
  }
  get nameSpan(): Span {
    const wide = this.bits & 2 ? wideNames.get(this)! : null;
    const start = wide ? wide[0] : this.offset + ((this.bits >>> 2) & 255);
    return subSpan(this, start, wide ? wide[1] : start + (this.bits >>> 10));
  }
  /** Exact-size; a target with one option makes its list each time it is asked. */
  get options(): Option[] {
    return listOf(this.opts);
  }
  /** Append an option and grow the target to cover it. */
  addOption(option: OptionNode): void {
    this.opts = withOption(this.opts, option);
    this.extendTo(option);
  }
}
kind(TargetNode, "Target");

export class RuleNode extends Located implements Rule {
  declare readonly kind: "Rule";
  position = 0;
  /** The criteria and the matches: the parser's lists while it reads the rule; after `compact`, a single one itself, else an exact-size list. */
  private crit: Option | Option[];
  private mats: Match | Match[];
  target: Target | null = null;
  readonly orphans: Option[];
  readonly strays: Word[];
  counters: Counters | null;
  command: Command = null as unknown as Command;
  /**
   * `table` and `chain` are the creating command's (read through it: two fields less per rule). The lists
   * are the parser's, filled while the rule is read and replaced by exact-size copies in `compact`.
   */
  constructor(loc: Locator, start: number, end: number, command: Command, counters: Counters | null, lists: { criteria: Option[]; matches: Match[]; orphans: Option[]; strays: Word[] }) {
    super(loc, start, end);
    this.command = command;
    this.counters = counters;
    this.crit = lists.criteria;
    this.mats = lists.matches;
    this.orphans = lists.orphans;
    this.strays = lists.strays;
  }
  get table(): TableName {
    return this.command.table;
  }
  get chain(): string {
    return this.command.chain!;
  }
  /** Exact-size; a rule with one criterion makes its list each time it is asked (the tree keeps none for it). */
  get criteria(): Option[] {
    return listOf(this.crit);
  }
  /** As `criteria`, for the matches. */
  get matches(): Match[] {
    return listOf(this.mats);
  }
  /**
   * Replace the parser's lists by exact-size copies (a pushed-to array keeps room for 17 elements; on a
   * 100k-rule dump that slack was a third of the tree's memory), or by the one criterion or match itself.
   * Match and target options are exact already.
   */
  compact(): void {
    const self = this as { orphans: Option[]; strays: Word[] };
    this.crit = oneOrList(listOf(this.crit));
    this.mats = oneOrList(listOf(this.mats));
    self.orphans = exact(this.orphans);
    self.strays = exact(this.strays);
  }
  /** Criteria, matches, their options, the target and its options, in source order. */
  get items(): readonly RuleItem[] {
    const out: { at: number; item: RuleItem }[] = [];
    const at = (n: unknown) => (n as Located).offset;
    for (const option of this.criteria) out.push({ at: at(option), item: { type: "criterion", option } });
    for (const match of this.matches) {
      out.push({ at: at(match), item: { type: "match", match } });
      for (const option of match.options) out.push({ at: at(option), item: { type: "option", match, option } });
    }
    if (this.target) {
      out.push({ at: at(this.target), item: { type: "target", target: this.target } });
      for (const option of this.target.options) out.push({ at: at(option), item: { type: "target-option", option } });
    }
    for (const option of this.orphans) out.push({ at: at(option), item: { type: "orphan", option } });
    // an implicit match starts at its first option: list the match before that option
    out.sort((a, b) => a.at - b.at || (a.item.type === "match" ? -1 : b.item.type === "match" ? 1 : 0));
    return out.map((x) => x.item);
  }
}
kind(RuleNode, "Rule");

const OPS: readonly OperationType[] = ["append", "insert", "delete", "replace", "check", "new-chain", "delete-chain", "flush", "zero", "policy", "rename-chain", "declare-chain", "list"];
const TABLES: readonly TableName[] = ["filter", "nat", "mangle", "raw", "security"];
const FAMILIES: readonly (Family | null)[] = [null, "ipv4", "ipv6"];
/** The largest chain name length `bits` holds (19 bits); a longer name keeps its end offset aside. */
const LONG_NAME = 0x7ffff;
const longChainEnds = new WeakMap<CommandNode, number>();
/** How each operation is usually written; a command written otherwise keeps its flag in `otherFlags`. */
const USUAL_FLAGS: Readonly<Record<OperationType, string>> = {
  append: "-A",
  insert: "-I",
  delete: "-D",
  replace: "-R",
  check: "-C",
  "new-chain": "-N",
  "delete-chain": "-X",
  flush: "-F",
  zero: "-Z",
  policy: "-P",
  "rename-chain": "-E",
  "declare-chain": ":",
  list: "-S",
};
const otherFlags = new WeakMap<CommandNode, string>();
/** Rule numbers of the commands that give one (-I CHAIN 2, -R, -D CHAIN 3): a few in a dump, if any. */
const ruleNumbers = new WeakMap<CommandNode, number>();
const OTHER_FLAG = 1 << 9;
const RULE_NUMBER = 1 << 10;
const CHAIN_LENGTH = 11;

export class CommandNode extends Located implements Command {
  declare readonly kind: "Command";
  declare readonly chainSpan: Span | null;
  readonly chain: string | null;
  /** Offset of the chain name word (-1 when the command names no chain); its length is in `bits`. */
  private readonly chainStart: number;
  /**
   * Operation (bits 0–3), table (4–6), family (7–8), whether the flag is written unusually (9) and whether a
   * rule number is given (10), and the chain name's length (from bit 11), in one number: a 100k-rule dump has
   * 136,000 commands.
   */
  private bits: number;
  rule: Rule | null = null;
  /**
   * The argument's Word, or the offset of a `-` argument whose Word is made when read: every user chain of a
   * restore file is declared with `:NAME - [0:0]`, 37,000 of them on a Kubernetes dump.
   */
  private arg: Word | number | null;
  program?: string;
  /** `argument` may be given as `dashAt`, the offset of an unquoted `-`. */
  constructor(
    loc: Locator,
    start: number,
    end: number,
    init: { op: OperationType; flag: string; table: TableName; chain: string | null; chainStart: number; chainEnd: number; index: number | null; argument: Word | null; dashAt?: number; family: Family | null; program?: string },
  ) {
    super(loc, start, end);
    this.chain = init.chain;
    this.chainStart = init.chainStart;
    let length = init.chainStart < 0 ? 0 : init.chainEnd - init.chainStart;
    if (length >= LONG_NAME) {
      longChainEnds.set(this, init.chainEnd);
      length = LONG_NAME;
    }
    let bits = OPS.indexOf(init.op) | (TABLES.indexOf(init.table) << 4) | (FAMILIES.indexOf(init.family) << 7) | (length << CHAIN_LENGTH);
    if (init.flag !== USUAL_FLAGS[init.op]) {
      bits |= OTHER_FLAG;
      otherFlags.set(this, init.flag);
    }
    if (init.index !== null) {
      bits |= RULE_NUMBER;
      ruleNumbers.set(this, init.index);
    }
    this.bits = bits;
    this.arg = init.dashAt !== undefined ? init.dashAt : init.argument;
    if (init.program !== undefined) this.program = init.program;
  }
  get argument(): Word | null {
    const a = this.arg;
    if (typeof a !== "number") return a;
    const word = wordNode(this.loc, a, a + 1, "-", "-", false, false);
    this.arg = word;
    return word;
  }
  get argumentText(): string | null {
    const a = this.arg;
    return typeof a === "number" ? "-" : a === null ? null : a.text;
  }
  get op(): OperationType {
    return OPS[this.bits & 15]!;
  }
  /** The flag as written (`-A`, `--append`, `:` for a restore file's chain line). */
  get flag(): string {
    return this.bits & OTHER_FLAG ? otherFlags.get(this)! : USUAL_FLAGS[this.op];
  }
  /** The rule number (-I CHAIN 2, -R CHAIN 3, -D CHAIN 4), or null. */
  get index(): number | null {
    return this.bits & RULE_NUMBER ? ruleNumbers.get(this)! : null;
  }
  get table(): TableName {
    return TABLES[(this.bits >>> 4) & 7]!;
  }
  set table(t: TableName) {
    this.bits = (this.bits & ~(7 << 4)) | (TABLES.indexOf(t) << 4);
  }
  get family(): Family | null {
    return FAMILIES[(this.bits >>> 7) & 3]!;
  }
  set family(f: Family | null) {
    this.bits = (this.bits & ~(3 << 7)) | (FAMILIES.indexOf(f) << 7);
  }
  private get chainEnd(): number {
    const length = this.bits >>> CHAIN_LENGTH;
    return length === LONG_NAME ? longChainEnds.get(this)! : this.chainStart + length;
  }
}
Object.defineProperty(CommandNode.prototype, "chainSpan", {
  get(this: { chainStart: number; chainEnd: number } & Located): Span | null {
    return this.chainStart < 0 ? null : subSpan(this, this.chainStart, this.chainEnd);
  },
});
kind(CommandNode, "Command");

/**
 * A chain. Its spans come from the command that declared it (or first used it) and are computed when read:
 * a Kubernetes dump declares tens of thousands of chains.
 */
export class ChainNode implements Chain {
  declare readonly kind: "Chain";
  readonly name: string;
  readonly table: TableName;
  readonly builtin: boolean;
  policy: "ACCEPT" | "DROP" | null = null;
  /** The counters, or where the declaring line's `[p:b]` starts in its source (made when read). */
  private countersOr: Counters | number | null = null;
  declaredBy: Chain["declaredBy"];
  readonly rules: Rule[] = [];
  /** Where the chain comes from: its declaring command, or a span (table header, first use). */
  private origin: Command | Span;
  /**
   * Declarations (`:NAME` lines, -N) in order; the first is usually `origin`. One declaration (nearly every
   * chain) is kept as is, more as a list.
   */
  private decls: Command | Command[] | null = null;
  constructor(name: string, table: TableName, builtin: boolean, declaredBy: Chain["declaredBy"], origin: Command | Span) {
    this.name = name;
    this.table = table;
    this.builtin = builtin;
    this.declaredBy = declaredBy;
    this.origin = origin;
  }
  get counters(): Counters | null {
    const c = this.countersOr;
    if (typeof c !== "number") return c;
    // set at the first declaration, which later ones do not replace
    const d = this.decls!;
    const made = countersAt(((Array.isArray(d) ? d[0] : d) as unknown as Located).loc, c);
    this.countersOr = made;
    return made;
  }
  set counters(c: Counters | null) {
    this.countersOr = c;
  }
  /**
   * The counters are the `[p:b]` at `offset` of the chain's one declaration (a restore file's `:` line, whose
   * locator keeps the source): they are made when read. A Kubernetes dump declares tens of thousands of
   * chains, and nothing reads their counters while linting.
   */
  countersFrom(offset: number): void {
    const d = this.decls;
    if (d === null || Array.isArray(d) || (d as unknown as Located).loc.source === undefined) throw new Error("countersFrom: the chain needs one declaration, read from a restore file");
    this.countersOr = offset;
  }
  get span(): Span {
    return "kind" in this.origin ? this.origin.span : this.origin;
  }
  get nameSpan(): Span {
    return "kind" in this.origin ? (this.origin.chainSpan ?? this.origin.span) : this.origin;
  }
  get declarations(): readonly Span[] {
    const d = this.decls;
    return (d === null ? [] : Array.isArray(d) ? d : [d]).map((c) => c.chainSpan ?? c.span);
  }
  /** Record a declaration; the first one also becomes the chain's origin when it was implicit before. */
  declare_(by: Command, declaredBy: Chain["declaredBy"]): void {
    const d = this.decls;
    if (d === null) this.decls = by;
    else if (Array.isArray(d)) d.push(by);
    else this.decls = [d, by];
    if (this.declaredBy === "implicit") {
      this.declaredBy = declaredBy;
      this.origin = by;
    }
  }
  get declarationCount(): number {
    const d = this.decls;
    return d === null ? 0 : Array.isArray(d) ? d.length : 1;
  }
}
kind(ChainNode, "Chain");
