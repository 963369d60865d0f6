/**
 * Postprocessors of grammar/iptables.ne. The grammar only classifies a line's shape; each builder here
 * names the shape, and src/parse/iptables.ts builds typed nodes from the line's tokens. Keeping the
 * postprocessors free of data lets the parser cache the classification per token shape (see parse-cache).
 */
export type LineKind = "blank" | "comment" | "table" | "chainDecl" | "commit" | "command";

export const blank = (): LineKind => "blank";
export const second = (d: unknown[]): LineKind => d[1] as LineKind;
export const comment = (): LineKind => "comment";
export const table = (): LineKind => "table";
export const chainDecl = (): LineKind => "chainDecl";
export const commit = (): LineKind => "commit";
export const command = (): LineKind => "command";
