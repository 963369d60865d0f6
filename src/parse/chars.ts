/** Characters a reader takes for a blank and iptables-restore or the shell for part of a word. */

/** Spaces other than the blank and the tab, by code point. */
const SPACE_NAMES: Readonly<Record<number, string>> = {
  0x85: "next line",
  0xa0: "no-break space",
  0x1680: "ogham space mark",
  0x2028: "line separator",
  0x2029: "paragraph separator",
  0x202f: "narrow no-break space",
  0x205f: "medium mathematical space",
  0x3000: "ideographic space",
  0xfeff: "zero width no-break space (byte order mark)",
};

/** A space JavaScript's \s knows beyond ASCII: part of a word for iptables-restore and the shell. */
export function isOddSpace(c: number): boolean {
  return c > 127 && (SPACE_NAMES[c] !== undefined || (c >= 0x2000 && c <= 0x200a));
}

/** "U+00A0 (no-break space, often pasted …)" when `text` starts with such a space, else undefined. */
export function oddSpace(text: string): string | undefined {
  const c = text.codePointAt(0);
  if (c === undefined) return undefined;
  const name = SPACE_NAMES[c] ?? (c >= 0x2000 && c <= 0x200a ? "typographic space" : undefined);
  if (!name) return undefined;
  return `U+${c.toString(16).toUpperCase().padStart(4, "0")} (${name}, often pasted from a web page or a document)`;
}
