/**
 * The words of one command, as the command reader consumes them. Restore-file lines are backed by the
 * scanner's token arrays (no per-token objects); script commands by shell words. A Word node is only
 * allocated for words that end up in the tree.
 */
import { type Locator, WordNode } from "../ast/nodes.js";
import type { Word } from "../ast/iptables.js";
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
  word(i: number): Word;
}

/**
 * Words repeat across a dump (option names, chain names, targets, comments, addresses): while a file is
 * parsed, each distinct word text is kept once and every node shares it. On a 100k-rule dump this keeps
 * about 1 million word strings down to the distinct ones (and the copies die young, before promotion).
 */
let interned: Map<string, string> | null = null;
export function beginInterning(): void {
  interned = new Map();
}
export function endInterning(): void {
  interned = null;
}
export function intern(text: string): string {
  if (interned === null) return text;
  const known = interned.get(text);
  if (known !== undefined) return known;
  interned.set(text, text);
  return text;
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
      const raw = intern(source.slice(s, e));
      if (raw.indexOf('"') === -1) {
        this.texts[n] = raw;
        this.quoted[n] = 0;
      } else {
        this.texts[n] = intern(type === T_UNTERMINATED ? (unquoteRestoreWord(`${raw}"`) ?? raw) : (unquoteRestoreWord(raw) ?? raw));
        this.quoted[n] = 1;
      }
      n++;
    }
    this.count = n;
    this.texts.length = n;
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
  word(i: number): Word {
    const text = this.texts[i]!;
    const quoted = this.quoted[i] === 1;
    return new WordNode(this.loc, this.starts[i]!, this.ends[i]!, text, quoted ? intern(this.raw(i)) : text, quoted, false);
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
  word(i: number): Word {
    const a = this.items[i]!;
    return new WordNode(this.loc, a.start, a.end, a.text, a.raw, a.quoted, a.dynamic);
  }
}
