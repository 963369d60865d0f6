/**
 * Findings on the rules a file adds and takes out again (`Ruleset.removedRules`): does iptables still refuse
 * the file for them? Checked with iptables(-legacy)-restore 1.8.9 for each stage of `Finding.stage`:
 *
 * - A script runs each command on its own, and each is checked in full when it runs: every finding stands,
 *   as it is.
 * - A restore file is one transaction per table. What iptables refuses while reading a rule it refuses
 *   whatever follows. The legacy backend hands the kernel only the table as it stands at COMMIT, so a rule
 *   taken out before then never meets the kernel's checks. iptables-nft translates and sends every rule as it
 *   reads it, and the kernel checks it then, except when a later `-F CHAIN` drops the chain's pending rules
 *   from the batch before it is sent (a `-F` of the whole table does not).
 * - "nft-kernel" (a jump to a built-in chain): the legacy backend's iptables refuses it while reading the rule,
 *   nf_tables' kernel when the rule is added, as for "kernel".
 * - A warning at the "kernel" stage says the legacy backend's kernel refuses what nf_tables takes: it does not
 *   stand for a rule that is gone by COMMIT.
 */
import type { RemovedRule, Ruleset } from "../ast/iptables.js";
import type { Finding } from "../rule.js";
import { backendOf } from "./base.js";

export type RemovalFilter = (f: Finding) => Finding | null;

/** How findings on removed rules are judged for this ruleset; null when it removes none (nearly always). */
export function removalFilter(ruleset: Ruleset): RemovalFilter | null {
  const removed = ruleset.removedRules;
  // a script's commands are each checked in full when they run (and a -F further down may be another branch
  // of the script, a "stop" beside a "start"): its findings stand as they are
  if (removed.length === 0 || ruleset.format === "script") return null;
  const legacy = backendOf(ruleset) === "legacy";
  return (f) => {
    const r = removedAt(removed, f.span.offset, f.span.endOffset);
    if (!r) return f;
    const flushed = r.by.op === "flush" && r.by.chain !== null;
    if (f.stage === "nft-kernel") {
      if (!legacy && flushed) return null;
    } else if (f.stage !== undefined) {
      // a warning of its own severity: what nf_tables takes and only the legacy backend's kernel refuses
      if (legacy || f.severity === "warning") return null;
      if (f.stage === "kernel" && flushed) return null;
    }
    const by = r.by.op === "flush" ? `-F${r.by.chain === null ? "" : ` ${r.by.chain}`}` : r.by.op === "replace" ? "-R" : "-D";
    return {
      ...f,
      message: `${f.message} (${by} at line ${r.by.span.line} takes the rule out again, but iptables checks each rule when it is added)`,
      related: [...(f.related ?? []), { span: r.by.span, message: "the rule is taken out here" }],
    };
  };
}

/** The removed rule whose span holds [offset, endOffset), by binary search (the list is in source order). */
function removedAt(removed: readonly RemovedRule[], offset: number, endOffset: number): RemovedRule | undefined {
  let lo = 0;
  let hi = removed.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (removed[mid]!.rule.span.offset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  const r = removed[found]!;
  return endOffset <= r.rule.span.endOffset ? r : undefined;
}
