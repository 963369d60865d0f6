/**
 * The words of one command, as the command reader consumes them. Restore-file lines are backed by the
 * scanner's token arrays (no per-token objects); script commands by shell words. A Word node is only
 * allocated for words that end up in the tree.
 */
import { type Locator, type WordNode, wordNode, type WordParts } from "../ast/nodes.js";
import { T_UNTERMINATED, T_WS, type TokenBuffer } from "./scan.js";
import { unquoteRestoreWord } from "./words.js";

export interface Args {
  readonly count: number;
  readonly loc: Locator;
  /** The word as the program receives it (quotes processed). */
  text(i: number): string;
  start(i: number): number;
  end(i: number): number;
  /** The word exactly as written. */
  raw(i: number): string;
  /** A Word node for argument i. */
  word(i: number): WordNode;
  /** Argument i's pieces, written into `into` (no Word node is made). */
  parts(i: number, into: WordParts): WordParts;
}

/**
 * Words repeat across a dump (option names, chain names, targets, comments, addresses): while a file is
 * parsed, each distinct word text is kept once and every node shares it. On a 100k-rule dump this keeps
 * about 1 million word strings down to the distinct ones. The table is keyed by the characters of the
 * source (an open-addressing hash over the text range), so a word seen before is found without slicing
 * it out first: a Map keyed by fresh slices spent more time hashing them than it saved.
 */
class Interner {
  private slots: (string | undefined)[];
  private hashes: Int32Array;
  private used = 0;

  /** `size`: the table's first number of slots (a power of two). */
  constructor(size: number) {
    this.slots = new Array<string | undefined>(size).fill(undefined);
    this.hashes = new Int32Array(size);
  }

  /** The interned string equal to text[start, end). */
  range(text: string, start: number, end: number): string {
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const len = end - start;
    const mask = this.slots.length - 1;
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const known = this.slots[k];
      if (known === undefined) break;
      if (this.hashes[k] === h && known.length === len && sameChars(text, start, known)) return known;
    }
    const fresh = start === 0 && end === text.length ? text : text.slice(start, end);
    this.insert(fresh, h);
    return fresh;
  }

  private insert(value: string, h: number): void {
    if (2 * (this.used + 1) > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    let k = h & mask;
    while (this.slots[k] !== undefined) k = (k + 1) & mask;
    this.slots[k] = value;
    this.hashes[k] = h;
    this.used++;
  }

  private grow(): void {
    const old = this.slots;
    const oldHashes = this.hashes;
    this.slots = new Array<string | undefined>(old.length * 2).fill(undefined);
    this.hashes = new Int32Array(old.length * 2);
    this.used = 0;
    for (let k = 0; k < old.length; k++) if (old[k] !== undefined) this.insert(old[k]!, oldHashes[k]!);
  }
}

/** text[start, start + known.length) equals known (a plain loop: cheaper than startsWith for words). */
function sameChars(text: string, start: number, known: string): boolean {
  for (let i = 0; i < known.length; i++) if (text.charCodeAt(start + i) !== known.charCodeAt(i)) return false;
  return true;
}

let interner: Interner | null = null;
/** The smallest word table, and the source characters per slot it starts with for a larger source. */
const MIN_SLOTS = 1 << 12;
const CHARS_PER_SLOT = 32;
/** The largest table a source starts with (8 MB of slots; a larger source grows it as it needs). */
const MAX_FIRST_SLOTS = 1 << 20;
/**
 * Start keeping words, for a source of `length` characters. The table starts at about one slot per 32
 * characters: a dump has about one distinct word per 115 characters (the benchmark's 100k-rule dump 131,721
 * in 15 MB), so it is seldom grown, where growing from a small table rehashed every word six times over.
 */
export function beginInterning(length = 0): void {
  let size = MIN_SLOTS;
  while (size < length / CHARS_PER_SLOT && size < MAX_FIRST_SLOTS) size *= 2;
  interner = new Interner(size);
}
export function endInterning(): void {
  interner = null;
}
/** The interned copy of `text` (itself outside a parse). */
export function intern(text: string): string {
  return interner === null ? text : interner.range(text, 0, text.length);
}
/** The interned copy of source[start, end) (a fresh slice outside a parse). */
export function internRange(source: string, start: number, end: number): string {
  return interner === null ? source.slice(start, end) : interner.range(source, start, end);
}

/**
 * A word written `"…"` with no backslash between its quotes (a comment, a log prefix): its text is the source
 * between the quotes, interned from there without slicing the written form first.
 */
function plainQuoted(source: string, s: number, e: number, type: number): boolean {
  if (type === T_UNTERMINATED || e - s < 2 || source.charCodeAt(s) !== 34) return false;
  for (let p = s + 1; p < e - 1; p++) if (source.charCodeAt(p) === 92) return false;
  return true;
}

/** The text of a written word that holds a quote, as iptables-restore reads it (an unclosed quote closes at the end). */
function unquoted(raw: string, type: number): string {
  return type === T_UNTERMINATED ? (unquoteRestoreWord(`${raw}"`) ?? raw) : (unquoteRestoreWord(raw) ?? raw);
}

/** Arguments of one restore-file line, from token `from` on (whitespace skipped). */
export class LineArgs implements Args {
  count = 0;
  loc!: Locator;
  private source = "";
  private readonly texts: string[] = [];
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private quoted = new Uint8Array(64);

  load(source: string, buf: TokenBuffer, from: number, loc: Locator): this {
    this.source = source;
    this.loc = loc;
    let n = 0;
    if (this.starts.length < buf.count) {
      this.starts = new Int32Array(buf.count * 2);
      this.ends = new Int32Array(buf.count * 2);
      this.quoted = new Uint8Array(buf.count * 2);
    }
    for (let k = from; k < buf.count; k++) {
      const type = buf.types[k]!;
      if (type === T_WS) continue;
      const s = buf.starts[k]!;
      const e = buf.ends[k]!;
      this.starts[n] = s;
      this.ends[n] = e;
      // a token holds a quote exactly when it ends with one (the scanner's quoted forms end at their closing
      // quote, its bare forms hold none), or when its quote is never closed
      if (type !== T_UNTERMINATED && source.charCodeAt(e - 1) !== 34) {
        this.texts[n] = internRange(source, s, e);
        this.quoted[n] = 0;
      } else {
        this.texts[n] = plainQuoted(source, s, e, type) ? internRange(source, s + 1, e - 1) : intern(unquoted(source.slice(s, e), type));
        this.quoted[n] = 1;
      }
      n++;
    }
    // `texts` keeps its length (entries past `count` are stale): cutting it back made V8 regrow the array
    // on every line
    this.count = n;
    return this;
  }
  text(i: number): string {
    return this.texts[i]!;
  }
  start(i: number): number {
    return this.starts[i]!;
  }
  end(i: number): number {
    return this.ends[i]!;
  }
  raw(i: number): string {
    return this.source.slice(this.starts[i]!, this.ends[i]!);
  }
  /** The word as written: its text unless quoted (then the interned source range). */
  private written(i: number): string {
    return this.quoted[i] === 1 ? internRange(this.source, this.starts[i]!, this.ends[i]!) : this.texts[i]!;
  }
  word(i: number): WordNode {
    return wordNode(this.loc, this.starts[i]!, this.ends[i]!, this.texts[i]!, this.written(i), this.quoted[i] === 1, false);
  }
  parts(i: number, into: WordParts): WordParts {
    into.text = this.texts[i]!;
    into.raw = this.written(i);
    into.start = this.starts[i]!;
    into.end = this.ends[i]!;
    into.quoted = this.quoted[i] === 1;
    into.dynamic = false;
    return into;
  }
}

export interface ShellArg {
  readonly text: string;
  readonly raw: string;
  readonly start: number;
  readonly end: number;
  readonly quoted: boolean;
  readonly dynamic: boolean;
}

/** Arguments of a script command (shell words already unquoted and expanded). */
export class ShellArgs implements Args {
  constructor(
    private readonly items: readonly ShellArg[],
    readonly loc: Locator,
  ) {}
  get count() {
    return this.items.length;
  }
  text(i: number) {
    return this.items[i]!.text;
  }
  start(i: number) {
    return this.items[i]!.start;
  }
  end(i: number) {
    return this.items[i]!.end;
  }
  raw(i: number) {
    return this.items[i]!.raw;
  }
  word(i: number): WordNode {
    const a = this.items[i]!;
    return wordNode(this.loc, a.start, a.end, a.text, a.raw, a.quoted, a.dynamic);
  }
  parts(i: number, into: WordParts): WordParts {
    const a = this.items[i]!;
    into.text = a.text;
    into.raw = a.raw;
    into.start = a.start;
    into.end = a.end;
    into.quoted = a.quoted;
    into.dynamic = a.dynamic;
    return into;
  }
}
