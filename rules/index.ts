/**
 * The registry: every lint rule, in output order for ties. This list is the product's table of contents.
 * Rule ids are never reused; a retired rule stays here as a comment.
 */
import type { LintRule } from "../src/rule.js";

// ── syntax and validity (agree with the kernel) ──
import syntaxError from "./syntax-error.js";

// ── Docker rules ──
import dockerChainModified from "./docker-chain-modified.js";
import dockerUserNotJumped from "./docker-user-not-jumped.js";
import dockerUserPostDnatMatch from "./docker-user-post-dnat-match.js";
import dockerUserBlocksReplies from "./docker-user-blocks-replies.js";
import dockerUserUnrestricted from "./docker-user-unrestricted.js";
import placeholderInterface from "./placeholder-interface.js";
import dockerRulesPersisted from "./docker-rules-persisted.js";

// ── daemon.json rules ──

// ── semantics (packet model) ──

export const lintRules: readonly LintRule[] = [
  // syntax and validity
  syntaxError,

  // Docker
  dockerChainModified,
  dockerUserNotJumped,
  dockerUserPostDnatMatch,
  dockerUserBlocksReplies,
  dockerUserUnrestricted,
  placeholderInterface,
  dockerRulesPersisted,

  // daemon.json

  // semantics
] as readonly LintRule[];
