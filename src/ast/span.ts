/**
 * Source positions. One convention everywhere: 1-based line and column (UTF-16 code units, as moo and
 * JavaScript strings count), 0-based offset, exclusive end (the column just after the last character).
 */
export interface Span {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  /** 0-based offset of the first character in the whole source text. */
  readonly offset: number;
  /** 0-based offset just after the last character. */
  readonly endOffset: number;
}

export function span(line: number, column: number, offset: number, length: number): Span {
  return { line, column, endLine: line, endColumn: column + length, offset, endOffset: offset + length };
}

/** The smallest span covering both `a` and `b` (a must start first). */
export function joinSpans(a: Span, b: Span): Span {
  return { line: a.line, column: a.column, endLine: b.endLine, endColumn: b.endColumn, offset: a.offset, endOffset: b.endOffset };
}

/** Maps offsets of a text to line/column; used where a node may cross lines (shell continuations). */
export class LineIndex {
  private readonly starts: number[];
  constructor(text: string) {
    const starts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    this.starts = starts;
  }
  get lineCount(): number {
    return this.starts.length;
  }
  lineStart(line: number): number {
    return this.starts[line - 1] ?? 0;
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
  span(offset: number, endOffset: number): Span {
    const s = this.position(offset);
    const e = this.position(endOffset);
    return { line: s.line, column: s.column, endLine: e.line, endColumn: e.column, offset, endOffset };
  }
}
