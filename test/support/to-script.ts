/**
 * Turns an iptables-restore file into the equivalent shell script of `iptables -t TABLE …` commands, one output
 * line per input line (so line numbers stay the same), for checking that the rules judge both forms alike.
 */
import type { Family } from "../../src/ast/iptables.js";

const BUILTIN = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);

/** Restore words → shell words: double-quoted words keep their quotes, `$` and backquotes are escaped. */
function shellQuote(rest: string): string {
  return rest.replace(/"((?:[^"\\]|\\.)*)"/g, (_, body: string) => `"${body.replace(/\\(.)/g, "$1").replace(/(["\\$`])/g, "\\$1")}"`).replace(/'/g, "\\'");
}

export function restoreToScript(text: string, family: Family): string {
  const tool = family === "ipv6" ? "ip6tables" : "iptables";
  let table = "filter";
  const otherFamily = family === "ipv6" ? /^(?:\[\d+:\d+\]\s+)?-4\s/ : /^(?:\[\d+:\d+\]\s+)?-6\s/;
  const out = ["#!/bin/sh"];
  const lines = text.replace(/\r/g, "").split("\n");
  // keep line numbers: the shebang replaces line 1 only when line 1 is a comment or blank
  const first = lines[0] ?? "";
  const body = first.startsWith("#") || first.trim() === "" ? lines.slice(1) : lines;
  if (body === lines) out.length = 0;
  for (const raw of body) {
    const l = raw.trimStart();
    let m: RegExpExecArray | null;
    if (l.startsWith("#") || l === "") out.push(l);
    else if ((m = /^\*(\S+)/.exec(l))) {
      table = m[1]!;
      out.push("");
    } else if (l === "COMMIT") out.push("");
    else if ((m = /^:(\S+)\s+(\S+)/.exec(l))) {
      const [, chain, policy] = m;
      if (BUILTIN.has(chain!)) out.push(policy === "-" ? "" : `${tool} -t ${table} -P ${chain} ${policy}`);
      else out.push(`${tool} -t ${table} -N ${chain}`);
    } else if (otherFamily.test(l)) out.push(""); // the other family's line: the restore tool skips it
    else out.push(`${tool} -t ${table} ${shellQuote(l.replace(/^\[\d+:\d+\]\s+/, ""))}`);
  }
  return out.join("\n");
}
