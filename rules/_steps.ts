import { findChain, type Ruleset, type TableName } from "../src/ast/iptables.js";
import type { Span } from "../src/ast/span.js";
import { toArray, type Outcome, type Step } from "../src/model/engine.js";

/** One key per rule or chain policy a step of the packet model stands for (to group findings by it). */
export const stepKey = (s: Step): string => `${s.table}/${s.chain}/${s.krule?.id ?? "policy"}`;

/** Where a step is written: its rule, or the chain's declaration for a policy. */
export function stepSpan(ast: Ruleset, s: Step): Span | undefined {
  return s.krule ? s.krule.rule.span : findChain(ast, s.table as TableName, s.chain)?.span;
}

/**
 * A step as findings name it: "the DROP at line 7 (filter INPUT)", or "INPUT's policy DROP" (with the table
 * when it is not filter). `capital` for the start of a sentence.
 */
export function stepText(s: Step, capital = false): string {
  if (s.krule) return `${capital ? "The" : "the"} ${s.target.split(" ")[0]} at line ${s.krule.line} (${s.table} ${s.chain})`;
  return `${s.chain}'s policy ${s.target}${s.table === "filter" ? "" : ` (${s.table} table)`}`;
}

/** The raw rule (NOTRACK, CT --notrack) that left an outcome's packet untracked, if one did. */
export function untrackingStep(o: Outcome): Step | undefined {
  if (!o.b.notrack) return undefined;
  return toArray(o.b.path).find((s) => s.table === "raw" && s.krule?.action.t === "notrack");
}

/**
 * What a finding calls a TCP server's data after the handshake, when a rule on TCP flags (or conntrack's
 * state of an untracked connection) drops it while the SYN-ACK passes.
 */
export const SERVER_DATA = "the data the server sends after the handshake (its SYN-ACK gets through; the data's TCP flags are ACK, not SYN,ACK)";

/**
 * The state a reply gets when raw left its request untracked (src/model/conntrack.ts), as findings say it:
 * NEW for UDP (the reply is the first packet conntrack sees), INVALID for TCP (a SYN-ACK starts nothing).
 */
export function untrackedReplyState(protos: ReadonlySet<string>): string {
  if (protos.size > 1) return "NEW (UDP) or INVALID (TCP)";
  return protos.has("udp") ? "NEW (the first packet of its connection conntrack sees)" : "INVALID (it belongs to no connection conntrack knows)";
}
