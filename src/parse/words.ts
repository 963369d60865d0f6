import type { Word } from "../ast/iptables.js";
import type { Span } from "../ast/span.js";

/**
 * Quote processing exactly as iptables-restore does it: outside quotes every character is literal
 * (backslash included); `"` opens a quoted segment in which `\x` stands for `x`; the closing quote ends the
 * word. Returns null when the quote is never closed.
 */
export function unquoteRestoreWord(raw: string): string | null {
  const q = raw.indexOf('"');
  if (q === -1) return raw;
  // copied in runs between backslashes (a string built character by character was 80 MB of garbage on a
  // 100k-rule dump with a comment on every rule)
  let out = raw.slice(0, q);
  let from = q + 1;
  for (let i = from; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 92 /* \ */) {
      out += raw.slice(from, i);
      i++; // the escaped character opens the next run, whatever it is
      from = i;
      continue;
    }
    if (c === 34 /* " */) return out + raw.slice(from, i);
  }
  return null;
}

export function makeWord(raw: string, text: string, span: Span, quoted: boolean, dynamic = false): Word {
  return dynamic ? { kind: "Word", span, text, raw, quoted, dynamic } : { kind: "Word", span, text, raw, quoted };
}

/** Words that getopt would treat as an option: `-x`, `--long`, `--long=value` (not `-`, not `-5`). */
export function looksLikeOption(text: string): boolean {
  if (text.length < 2 || text.charCodeAt(0) !== 45 /* - */) return false;
  const c = text.charCodeAt(1);
  if (c === 45) return text.length > 2 && /[A-Za-z]/.test(text[2]!);
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || text === "-4" || text === "-6";
}

/**
 * How iptables-save prints a string value (xtables_save_string): bare when it is non-empty and made only of
 * letters, digits, `_` and `-`; otherwise double-quoted with `"`, `\` and `'` escaped by a backslash.
 */
export function quoteForSave(text: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(text)) return text;
  return `"${text.replace(/(["\\'])/g, "\\$1")}"`;
}
