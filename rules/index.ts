/**
 * The registry: every lint rule, in output order for ties. This list is the product's table of contents.
 * Rule ids are never reused; a retired rule stays here as a comment.
 */
import type { LintRule } from "../src/rule.js";

// ── syntax and validity (agree with the kernel) ──
import syntaxError from "./syntax-error.js";

// ── Docker rules ──

// ── daemon.json rules ──

// ── semantics (packet model) ──
import unreachableRule from "./unreachable-rule.js";
import redundantRule from "./redundant-rule.js";
import unusedChain from "./unused-chain.js";
import inputRuleBypassedByDnat from "./input-rule-bypassed-by-dnat.js";

export const lintRules: readonly LintRule[] = [
  // syntax and validity
  syntaxError,

  // Docker

  // daemon.json

  // semantics
  inputRuleBypassedByDnat,
  unreachableRule,
  redundantRule,
  unusedChain,
] as readonly LintRule[];
