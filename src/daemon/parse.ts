import { parse as momoaParse } from "@humanwhocodes/momoa";
import type { Span } from "../ast/span.js";
import type { DaemonJsonDocument, JsonMember, JsonValue } from "./ast.js";

interface MomoaLoc {
  start: { line: number; column: number; offset: number };
  end: { line: number; column: number; offset: number };
}
interface MomoaNode {
  type: string;
  loc: MomoaLoc;
  value?: unknown;
  members?: { name: MomoaNode; value: MomoaNode; loc: MomoaLoc }[];
  elements?: { value: MomoaNode }[];
}

const toSpan = (loc: MomoaLoc): Span => ({
  line: loc.start.line,
  column: loc.start.column,
  endLine: loc.end.line,
  endColumn: loc.end.column,
  offset: loc.start.offset,
  endOffset: loc.end.offset,
});

function convert(node: MomoaNode): JsonValue {
  const span = toSpan(node.loc);
  switch (node.type) {
    case "Object":
      return {
        type: "Object",
        span,
        members: (node.members ?? []).map((m): JsonMember => ({ name: String(m.name.value), nameSpan: toSpan(m.name.loc), value: convert(m.value), span: toSpan(m.loc) })),
      };
    case "Array":
      return { type: "Array", span, elements: (node.elements ?? []).map((e) => convert(e.value)) };
    case "String":
      return { type: "String", span, value: String(node.value) };
    case "Number":
      return { type: "Number", span, value: Number(node.value) };
    case "Boolean":
      return { type: "Boolean", span, value: Boolean(node.value) };
    default:
      return { type: "Null", span };
  }
}

/**
 * Parse daemon.json. Never throws: a syntax error is returned with its line and column.
 * Like dockerd, an empty (or whitespace-only) file means "no configuration" and a UTF-8 byte order mark is
 * accepted.
 */
export function parseDaemonJson(text: string): DaemonJsonDocument {
  if (text.replace(/^\uFEFF/, "").trim() === "") return { kind: "DaemonJson", root: null, error: null, text };
  // Replace the BOM by a space so every offset stays the same.
  const body = text.startsWith("\uFEFF") ? ` ${text.slice(1)}` : text;
  try {
    const doc = momoaParse(body, { mode: "json", ranges: false, tokens: false }) as unknown as { body: MomoaNode };
    return { kind: "DaemonJson", root: convert(doc.body), error: null, text };
  } catch (err) {
    const e = err as { message?: string; line?: number; column?: number; offset?: number };
    const line = e.line ?? 1;
    const column = e.column ?? 1;
    const offset = e.offset ?? 0;
    const message = (e.message ?? "invalid JSON").replace(/\s*\(\d+:\d+\)\s*$/, "");
    return { kind: "DaemonJson", root: null, error: { message, span: { line, column, endLine: line, endColumn: column + 1, offset, endOffset: offset + 1 } }, text };
  }
}
