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
import invalidChainName from "./invalid-chain-name.js";
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
import dockerChainModified from "./docker-chain-modified.js";
import dockerUserNotJumped from "./docker-user-not-jumped.js";
import dockerUserPostDnatMatch from "./docker-user-post-dnat-match.js";
import dockerUserBlocksReplies from "./docker-user-blocks-replies.js";
import dockerUserUnrestricted from "./docker-user-unrestricted.js";
import placeholderInterface from "./placeholder-interface.js";
import dockerRulesPersisted from "./docker-rules-persisted.js";
import dockerBindAddressMismatch from "./docker-bind-address-mismatch.js";
import dockerConfigMismatch from "./docker-config-mismatch.js";
import dockerLoopbackPublishExposed from "./docker-loopback-publish-exposed.js";
import dockerNftablesBackendConflict from "./docker-nftables-backend-conflict.js";

// ── daemon.json rules ──
import daemonInvalidJson from "./daemon-invalid-json.js";
import daemonUnknownKey from "./daemon-unknown-key.js";
import daemonInvalidValue from "./daemon-invalid-value.js";
import daemonDuplicateKey from "./daemon-duplicate-key.js";
import daemonIptablesDisabled from "./daemon-iptables-disabled.js";
import daemonIp6tablesDisabled from "./daemon-ip6tables-disabled.js";
import daemonInsecureTcpSocket from "./daemon-insecure-tcp-socket.js";
import daemonIccEnabled from "./daemon-icc-enabled.js";
import daemonInsecureRegistry from "./daemon-insecure-registry.js";
import daemonExperimental from "./daemon-experimental.js";
import daemonIpForwardNoDrop from "./daemon-ip-forward-no-drop.js";
import daemonUserlandProxy from "./daemon-userland-proxy.js";
import daemonDefaultBindAll from "./daemon-default-bind-all.js";
import daemonConflictingOptions from "./daemon-conflicting-options.js";

// ── semantics (packet model) ──
import unreachableRule from "./unreachable-rule.js";
import redundantRule from "./redundant-rule.js";
import unmatchableRule from "./unmatchable-rule.js";
import ipv6Parity from "./ipv6-parity.js";
import defaultAcceptPolicy from "./default-accept-policy.js";
import inputBlocksReplies from "./input-blocks-replies.js";
import outputBlocksReplies from "./output-blocks-replies.js";
import forwardBlocksReplies from "./forward-blocks-replies.js";
import neighborDiscoveryBlocked from "./neighbor-discovery-blocked.js";
import pathMtuDiscoveryBlocked from "./path-mtu-discovery-blocked.js";
import unusedChain from "./unused-chain.js";
import logWithoutLimit from "./log-without-limit.js";
import staleAcceptRule from "./stale-accept-rule.js";
import inputRuleBypassedByDnat from "./input-rule-bypassed-by-dnat.js";

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
  invalidChainName,
  lineWhitespace,
  legacyNegation,
  negationNotAllowed,
  matchNeedsProtocol,
  missingRequiredOption,
  conflictingOptions,
  invalidPolicy,
  noSuchRule,

  // Docker
  dockerChainModified,
  dockerUserNotJumped,
  dockerUserPostDnatMatch,
  dockerUserBlocksReplies,
  dockerUserUnrestricted,
  placeholderInterface,
  dockerRulesPersisted,
  dockerBindAddressMismatch,
  dockerConfigMismatch,
  dockerLoopbackPublishExposed,
  dockerNftablesBackendConflict,

  // daemon.json
  daemonInvalidJson,
  daemonUnknownKey,
  daemonInvalidValue,
  daemonDuplicateKey,
  daemonIptablesDisabled,
  daemonIp6tablesDisabled,
  daemonInsecureTcpSocket,
  daemonIccEnabled,
  daemonUserlandProxy,
  daemonDefaultBindAll,
  daemonIpForwardNoDrop,
  daemonInsecureRegistry,
  daemonExperimental,
  daemonConflictingOptions,

  // semantics
  inputRuleBypassedByDnat,
  unreachableRule,
  redundantRule,
  unmatchableRule,
  ipv6Parity,
  defaultAcceptPolicy,
  inputBlocksReplies,
  outputBlocksReplies,
  forwardBlocksReplies,
  neighborDiscoveryBlocked,
  pathMtuDiscoveryBlocked,
  unusedChain,
  logWithoutLimit,
  staleAcceptRule,
] as readonly LintRule[];
