/**
 * The Docker model, for lint rules and the packet model:
 *
 * - `analyzeDocker(ruleset, facts)` → `DockerLayout`: layout family (A0 … E), Docker's chains, bridges
 *   and subnets, published ports (nat DNAT: protocol, host address and port → container address and
 *   port), which rules dockerd wrote (`dockerRules`, by template) and which rules in its chains it did
 *   not (`userEdits`). Cached per ruleset.
 * - `DOCKER_TEMPLATES`, `isDockerManagedChain`: the rule shapes Docker writes, per chain.
 * - `dockerUserRules(layout)`: DOCKER-USER's rules with reachability.
 * - `decidePortExposure(...)`: whether a published port is open to every source (docker-user-unrestricted).
 */
export * from "./layout.js";
export * from "./templates.js";
export * from "./docker-user.js";
export * from "./exposure.js";
export { canonicalRule } from "./canonical.js";
export { DOCKER_BRIDGE_NAME, isPlaceholderInterface, placeholderReason, interfaceMatches } from "./interfaces.js";
export * from "./net.js";
