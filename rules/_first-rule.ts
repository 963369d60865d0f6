import type { Ruleset, TableName } from "../src/ast/iptables.js";
import type { Suggestion } from "../src/diagnostic.js";

/**
 * A suggestion that makes `line` (`-A CHAIN …`) the first rule of its chain in a save or `-S` file: it goes
 * before the table's first `-A` command (or before its COMMIT when it has none). Scripts get none: where a
 * command belongs in a script is the author's choice.
 */
export function insertFirstRule(ast: Ruleset, text: string, table: TableName, line: string, desc: string): Suggestion | undefined {
  if (ast.format === "script") return undefined;
  const t = ast.tables.find((x) => x.name === table);
  if (!t) return undefined;
  const firstAppend = ast.commands.find((c) => c.table === table && c.op === "append");
  const offset = firstAppend ? firstAppend.span.offset : t.commits[0]?.offset;
  if (offset === undefined) return undefined;
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return { desc, fix: { range: [lineStart, lineStart], text: `${line}\n` } };
}

/** The rule that accepts the packets of connections already let through (and the ICMP errors about them). */
export const acceptEstablished = (chain: string): string => `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;

/**
 * `acceptEstablished(chain)` as the first rule of its filter chain, the cure for replies a step of the filter
 * table drops (none for a drop in raw or mangle, which a filter rule cannot undo).
 */
export function acceptEstablishedFirst(ast: Ruleset, text: string, chain: string, drop: { readonly table: string }): Suggestion | undefined {
  return drop.table === "filter" ? insertFirstRule(ast, text, "filter", acceptEstablished(chain), `Accept RELATED,ESTABLISHED as ${chain}'s first rule`) : undefined;
}
