/** Interface names: Docker's bridges and names copied from documentation. */

/** Names dockerd gives its bridges (custom names via com.docker.network.bridge.name are found by structure). */
export const DOCKER_BRIDGE_NAME = /^(?:docker0|docker_gwbridge|br-[0-9a-f]{12})$/;

/**
 * Interface names used as placeholders in documentation and tutorials, which no host has: Docker's
 * "Packet filtering and firewalls" page (`ext_if`, `src_if`, `dst_if`), pf-style `int_if`, and the usual
 * tutorial stand-ins. Compared case-insensitively. Real names that merely look generic (`wan`, `lan1`,
 * `eth0`) are deliberately absent: OpenWrt's DSA ports really are called `wan` and `lan1`.
 */
const PLACEHOLDERS = new Set([
  "ext_if",
  "int_if",
  "src_if",
  "dst_if",
  "ext-if",
  "int-if",
  "extif",
  "intif",
  "ext_iface",
  "int_iface",
  "external_interface",
  "internal_interface",
  "external-interface",
  "your_interface",
  "your-interface",
  "yourinterface",
  "interface",
  "iface",
  "ifname",
  "if_name",
  "ethx",
  "ensx",
  "wlanx",
  "eth?",
  "xxx",
]);

/** Characters of template/placeholder syntax that no real interface name contains. */
const TEMPLATE_SYNTAX = /[<>{}$%]/;

/** Why `name` is a placeholder, or null when it may be a real interface. */
export function placeholderReason(name: string): string | null {
  const base = name.endsWith("+") ? name.slice(0, -1) : name;
  if (PLACEHOLDERS.has(base.toLowerCase())) {
    return /^(?:ext|src|dst)_if$/i.test(base) ? "a placeholder from Docker's documentation" : "a documentation placeholder";
  }
  if (TEMPLATE_SYNTAX.test(base)) return "unexpanded template or variable syntax";
  return null;
}

export function isPlaceholderInterface(name: string): boolean {
  return placeholderReason(name) !== null;
}

/** iptables interface match: exact, or prefix when the name ends in `+`. */
export function interfaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("+") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}
