/**
 * The registry: every lint rule, in output order for ties. This list is the product's table of contents.
 * Rule ids are never reused; a retired rule stays here as a comment.
 */
import type { LintRule } from "../src/rule.js";

// ── syntax and validity (agree with the kernel) ──
import syntaxError from "./syntax-error.js";
import optionRequiresMatch from "./option-requires-match.js";
import unknownOption from "./unknown-option.js";
import unknownMatch from "./unknown-match.js";
import unknownTarget from "./unknown-target.js";
import undefinedChain from "./undefined-chain.js";
import targetNotAllowed from "./target-not-allowed.js";
import missingCommit from "./missing-commit.js";
import duplicateChain from "./duplicate-chain.js";
import chainLoop from "./chain-loop.js";
import policyOnUserChain from "./policy-on-user-chain.js";
import nameTooLong from "./name-too-long.js";
import lineWhitespace from "./line-whitespace.js";
import legacyNegation from "./legacy-negation.js";
import negationNotAllowed from "./negation-not-allowed.js";
import matchNeedsProtocol from "./match-needs-protocol.js";
import missingRequiredOption from "./missing-required-option.js";
import conflictingOptions from "./conflicting-options.js";
import invalidPolicy from "./invalid-policy.js";
import noSuchRule from "./no-such-rule.js";
import invalidArgument from "./invalid-argument.js";

// ── Docker rules ──

// ── daemon.json rules ──

// ── semantics (packet model) ──

export const lintRules: readonly LintRule[] = [
  // syntax and validity
  syntaxError,
  optionRequiresMatch,
  unknownOption,
  unknownMatch,
  unknownTarget,
  undefinedChain,
  invalidArgument,
  targetNotAllowed,
  missingCommit,
  duplicateChain,
  chainLoop,
  policyOnUserChain,
  nameTooLong,
  lineWhitespace,
  legacyNegation,
  negationNotAllowed,
  matchNeedsProtocol,
  missingRequiredOption,
  conflictingOptions,
  invalidPolicy,
  noSuchRule,

  // Docker

  // daemon.json

  // semantics
] as readonly LintRule[];
