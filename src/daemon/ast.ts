/**
 * daemon.json as read by @humanwhocodes/momoa (the JSON parser ESLint uses): every node has a location and
 * duplicate keys are kept, unlike JSON.parse.
 */
import type { Span } from "../ast/span.js";

export type JsonValue =
  | { readonly type: "Object"; readonly members: readonly JsonMember[]; readonly span: Span }
  | { readonly type: "Array"; readonly elements: readonly JsonValue[]; readonly span: Span }
  | { readonly type: "String"; readonly value: string; readonly span: Span }
  | { readonly type: "Number"; readonly value: number; readonly span: Span }
  | { readonly type: "Boolean"; readonly value: boolean; readonly span: Span }
  | { readonly type: "Null"; readonly span: Span };

export interface JsonMember {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: JsonValue;
  readonly span: Span;
}

export interface DaemonJsonDocument {
  readonly kind: "DaemonJson";
  /** The parsed document, or null when the JSON is malformed (see `error`) or the file is empty (no configuration). */
  readonly root: JsonValue | null;
  /** Syntax error with its position, when the JSON is malformed. */
  readonly error: { readonly message: string; readonly span: Span } | null;
  readonly text: string;
}

/** Top-level members (in order, duplicates kept). */
export function topMembers(doc: DaemonJsonDocument): readonly JsonMember[] {
  return doc.root?.type === "Object" ? doc.root.members : [];
}

/** Last top-level member with that key (the one dockerd uses), if any. */
export function topValue(doc: DaemonJsonDocument, key: string): JsonMember | undefined {
  const ms = topMembers(doc);
  for (let i = ms.length - 1; i >= 0; i--) if (ms[i]!.name === key) return ms[i];
  return undefined;
}
