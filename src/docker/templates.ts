/**
 * Every rule shape dockerd writes, per table and chain, in canonical iptables-save form (see canonical.ts).
 * Source: ../shared/reference/docker-iptables.md §2 (moby's iptabler/setup_ip_tables code, generated
 * iptablesdoc and TestIptabler goldens for 17.06 → 29.x). A rule in one of Docker's chains that matches
 * none of these was not written by dockerd.
 *
 * Pattern syntax: literal words separated by single spaces; `{kind}` or `{kind:name}` placeholders
 * (a name used twice must have the same value both times); `[ … ]` marks an optional part.
 */
import type { TableName } from "../ast/iptables.js";

/** Docker's firewall layouts (reference §1). */
export type DockerFamily = "A0" | "A1" | "A" | "B" | "C" | "D" | "E";

export const DOCKER_FAMILIES: readonly DockerFamily[] = ["A0", "A1", "A", "B", "C", "D", "E"];

/** What a Docker rule is for. */
export type DockerRuleRole =
  | "jump" // jump between Docker's chains, or from a built-in chain into one
  | "return" // an unconditional RETURN Docker appends
  | "published-port" // filter ACCEPT of a published container port
  | "dnat" // nat DNAT of a published host port
  | "conntrack" // RELATED,ESTABLISHED accept towards a bridge
  | "outgoing" // traffic leaving a bridge
  | "icc" // inter-container communication on one bridge
  | "isolation" // isolation between bridges / internal networks
  | "default-drop" // per-bridge DROP of unpublished ports (28.0+)
  | "unprotected" // gateway mode nat-unprotected
  | "routed" // gateway mode routed
  | "link" // legacy --link
  | "masquerade" // POSTROUTING MASQUERADE / SNAT
  | "skip-dnat" // nat DOCKER -i br -j RETURN
  | "direct-access" // raw PREROUTING drops of direct access to containers
  | "fwmark" // bridge-accept-fwmark
  | "swarm" // DOCKER-INGRESS
  | "checksum" // SCTP checksum fill
  | "overlay"; // overlay encryption

export interface DockerTemplate {
  /** Stable identifier, e.g. "filter/DOCKER/published-port". */
  readonly id: string;
  readonly table: TableName;
  readonly chains: readonly string[];
  readonly pattern: string;
  readonly role: DockerRuleRole;
  /** Layouts that write this rule. */
  readonly families: readonly DockerFamily[];
}

const ALL = DOCKER_FAMILIES;
const FROM_A1: readonly DockerFamily[] = ["A1", "A", "B", "C", "D", "E"];
const FROM_B: readonly DockerFamily[] = ["B", "C", "D", "E"];
const FROM_C: readonly DockerFamily[] = ["C", "D", "E"];
const A_TO_D: readonly DockerFamily[] = ["A", "B", "C", "D"];
const UNTIL_D: readonly DockerFamily[] = ["A0", "A1", "A", "B", "C", "D"];

type Spec = [id: string, table: TableName, chains: string | readonly string[], pattern: string, role: DockerRuleRole, families: readonly DockerFamily[]];

const SPECS: readonly Spec[] = [
  // ── filter DOCKER: per published port, per bridge, legacy links ──
  ["filter/DOCKER/published-port", "filter", "DOCKER", "-d {host:cip} ! -i {if:br} -o {if:br} -p {proto} -m {proto} --dport {port} -j ACCEPT", "published-port", ALL],
  ["filter/DOCKER/default-drop", "filter", "DOCKER", "! -i {if:br} -o {if:br} -j DROP", "default-drop", FROM_B],
  ["filter/DOCKER/nat-unprotected", "filter", "DOCKER", "! -i {if:br} -o {if:br} -j ACCEPT", "unprotected", FROM_B],
  ["filter/DOCKER/routed-icmp", "filter", "DOCKER", "-o {if:br} -p icmp -j ACCEPT", "routed", FROM_B],
  ["filter/DOCKER/routed-icmpv6", "filter", "DOCKER", "-o {if:br} -p ipv6-icmp -j ACCEPT", "routed", FROM_B],
  ["filter/DOCKER/link", "filter", "DOCKER", "-s {host} -d {host:peer} -i {if:br} -o {if:br} -p {proto} -m {proto} --dport {port} -j ACCEPT", "link", ALL],
  ["filter/DOCKER/link-reply", "filter", "DOCKER", "-s {host} -d {host:peer} -i {if:br} -o {if:br} -p {proto} -m {proto} --sport {port} -j ACCEPT", "link", ALL],
  // ── filter DOCKER-FORWARD / -BRIDGE / -CT / -INTERNAL (28.0.1+) ──
  ["filter/DOCKER-FORWARD/jump-ct", "filter", "DOCKER-FORWARD", "-j DOCKER-CT", "jump", FROM_C],
  ["filter/DOCKER-FORWARD/jump-internal", "filter", "DOCKER-FORWARD", "-j DOCKER-INTERNAL", "jump", ["E"]],
  ["filter/DOCKER-FORWARD/jump-isolation", "filter", "DOCKER-FORWARD", "-j DOCKER-ISOLATION-STAGE-1", "jump", ["C", "D"]],
  ["filter/DOCKER-FORWARD/jump-bridge", "filter", "DOCKER-FORWARD", "-j DOCKER-BRIDGE", "jump", FROM_C],
  ["filter/DOCKER-FORWARD/jump-ingress", "filter", "DOCKER-FORWARD", "-j DOCKER-INGRESS", "swarm", FROM_C],
  ["filter/DOCKER-FORWARD/outgoing", "filter", "DOCKER-FORWARD", "-i {if:br} -j ACCEPT", "outgoing", FROM_C],
  ["filter/DOCKER-FORWARD/icc", "filter", "DOCKER-FORWARD", "-i {if:br} -o {if:br} -j ACCEPT", "icc", FROM_C],
  ["filter/DOCKER-FORWARD/no-icc", "filter", "DOCKER-FORWARD", "-i {if:br} -o {if:br} -j DROP", "icc", FROM_C],
  ["filter/DOCKER-FORWARD/no-icc-outgoing", "filter", "DOCKER-FORWARD", "-i {if:br} ! -o {if:br} -j ACCEPT", "outgoing", FROM_C],
  ["filter/DOCKER-FORWARD/fwmark", "filter", "DOCKER-FORWARD", "-m mark --mark {mark} -j ACCEPT", "fwmark", ["E"]],
  ["filter/DOCKER-BRIDGE/jump", "filter", "DOCKER-BRIDGE", "-o {if:br} -j DOCKER", "jump", FROM_C],
  ["filter/DOCKER-CT/conntrack", "filter", "DOCKER-CT", "-o {if:br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "conntrack", FROM_C],
  // internal networks: DOCKER-INTERNAL (29+), DOCKER-ISOLATION-STAGE-1 (18.06–28.x), DOCKER-ISOLATION (≤18.03)
  ["filter/internal/egress", "filter", ["DOCKER-INTERNAL", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION"], "! -s {cidr:sub} -o {if:br} -j DROP", "isolation", ALL],
  ["filter/internal/ingress", "filter", ["DOCKER-INTERNAL", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION"], "! -d {cidr:sub} -i {if:br} -j DROP", "isolation", ALL],
  ["filter/internal/egress-v6", "filter", ["DOCKER-INTERNAL", "DOCKER-ISOLATION-STAGE-1"], "! -s {cidr:sub} ! -i {if:br} -o {if:br} -j DROP", "isolation", ALL],
  ["filter/internal/ingress-v6", "filter", ["DOCKER-INTERNAL", "DOCKER-ISOLATION-STAGE-1"], "! -d {cidr:sub} -i {if:br} ! -o {if:br} -j DROP", "isolation", ALL],
  // ── isolation chains (18.06–28.x) ──
  ["filter/DOCKER-ISOLATION-STAGE-1/jump", "filter", "DOCKER-ISOLATION-STAGE-1", "-i {if:br} ! -o {if:br} -j DOCKER-ISOLATION-STAGE-2", "isolation", A_TO_D],
  ["filter/DOCKER-ISOLATION-STAGE-1/routed-return", "filter", "DOCKER-ISOLATION-STAGE-1", "-o {if:br} -j RETURN", "routed", ["B", "C", "D"]],
  ["filter/DOCKER-ISOLATION-STAGE-1/routed-conntrack", "filter", "DOCKER-ISOLATION-STAGE-1", "-i {if:br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "routed", ["B", "C", "D"]],
  ["filter/DOCKER-ISOLATION-STAGE-1/return", "filter", "DOCKER-ISOLATION-STAGE-1", "-j RETURN", "return", ["A"]],
  ["filter/DOCKER-ISOLATION-STAGE-2/drop", "filter", "DOCKER-ISOLATION-STAGE-2", "-o {if:br} -j DROP", "isolation", A_TO_D],
  ["filter/DOCKER-ISOLATION-STAGE-2/return", "filter", "DOCKER-ISOLATION-STAGE-2", "-j RETURN", "return", ["A"]],
  ["filter/DOCKER-ISOLATION/drop", "filter", "DOCKER-ISOLATION", "-i {if:br} -o {if:other} -j DROP", "isolation", ["A0", "A1"]],
  ["filter/DOCKER-ISOLATION/return", "filter", "DOCKER-ISOLATION", "-j RETURN", "return", ["A0", "A1"]],
  // ── swarm ingress ──
  ["filter/DOCKER-INGRESS/port", "filter", "DOCKER-INGRESS", "-p {proto} -m {proto} --dport {port} -j ACCEPT", "swarm", ALL],
  ["filter/DOCKER-INGRESS/reply", "filter", "DOCKER-INGRESS", "-p {proto} -m {proto} --sport {port} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "swarm", ALL],
  ["filter/DOCKER-INGRESS/return", "filter", "DOCKER-INGRESS", "-j RETURN", "return", ALL],
  // ── DOCKER-USER: Docker only adds the trailing RETURN (17.06 – 28.2.1) ──
  ["filter/DOCKER-USER/return", "filter", "DOCKER-USER", "-j RETURN", "return", ["A1", "A", "B", "C"]],
  // ── filter FORWARD (built-in: only rules naming a Docker bridge count as Docker's) ──
  ["filter/FORWARD/jump-user", "filter", "FORWARD", "-j DOCKER-USER", "jump", FROM_A1],
  ["filter/FORWARD/jump-forward", "filter", "FORWARD", "-j DOCKER-FORWARD", "jump", FROM_C],
  ["filter/FORWARD/jump-ingress", "filter", "FORWARD", "-j DOCKER-INGRESS", "swarm", ["A0", "A1", "A", "B"]],
  ["filter/FORWARD/jump-isolation", "filter", "FORWARD", "-j DOCKER-ISOLATION-STAGE-1", "jump", ["A", "B"]],
  ["filter/FORWARD/jump-isolation-legacy", "filter", "FORWARD", "-j DOCKER-ISOLATION", "jump", ["A0", "A1"]],
  ["filter/FORWARD/conntrack", "filter", "FORWARD", "-o {if:br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "conntrack", ["A0", "A1", "A"]],
  ["filter/FORWARD/jump-docker", "filter", "FORWARD", "-o {if:br} -j DOCKER", "jump", ["A0", "A1", "A"]],
  ["filter/FORWARD/outgoing", "filter", "FORWARD", "-i {if:br} ! -o {if:br} -j ACCEPT", "outgoing", ["A0", "A1", "A", "B"]],
  ["filter/FORWARD/outgoing-all", "filter", "FORWARD", "-i {if:br} -j ACCEPT", "outgoing", ["B"]],
  ["filter/FORWARD/icc", "filter", "FORWARD", "-i {if:br} -o {if:br} -j ACCEPT", "icc", ["A0", "A1", "A", "B"]],
  ["filter/FORWARD/no-icc", "filter", "FORWARD", "-i {if:br} -o {if:br} -j DROP", "icc", ["A0", "A1", "A", "B"]],
  ["filter/FORWARD/ipset-conntrack", "filter", "FORWARD", "-m set --match-set {set} dst -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "conntrack", ["B"]],
  ["filter/FORWARD/ipset-jump", "filter", "FORWARD", "-m set --match-set {set} dst -j DOCKER", "jump", ["B"]],
  // overlay encryption: drop of cleartext VXLAN (arguments as Docker passes them; iptables-save may reorder)
  ["filter/INPUT/overlay-cleartext", "filter", "INPUT", "-p udp -m policy --dir in --pol none -m udp --dport {port} -m bpf --bytecode {any} -j DROP", "overlay", ALL],
  ["filter/INPUT/overlay-cleartext-saved", "filter", "INPUT", "-p udp -m udp --dport {port} -m policy --dir in --pol none -m bpf --bytecode {any} -j DROP", "overlay", ALL],
  // ── nat DOCKER ──
  ["nat/DOCKER/dnat", "nat", "DOCKER", "[ ! -s fe80::/10 ] [ -d {host:hip} ] [ ! -i {if:br} ] -p {proto} -m {proto} --dport {port:hport} -j DNAT --to-destination {dnat}", "dnat", ALL],
  ["nat/DOCKER/skip-dnat", "nat", "DOCKER", "-i {if:br} -j RETURN", "skip-dnat", UNTIL_D],
  ["nat/DOCKER/wsl2-loopback", "nat", "DOCKER", "-d 127.0.0.0/8 -i loopback0 -j RETURN", "skip-dnat", FROM_B],
  ["nat/DOCKER-INGRESS/dnat", "nat", "DOCKER-INGRESS", "-p {proto} -m {proto} --dport {port} -j DNAT --to-destination {dnat}", "swarm", ALL],
  ["nat/DOCKER-INGRESS/return", "nat", "DOCKER-INGRESS", "-j RETURN", "return", ALL],
  // ── nat built-in chains ──
  ["nat/PREROUTING/jump", "nat", "PREROUTING", "-m addrtype --dst-type LOCAL -j DOCKER", "jump", ALL],
  ["nat/PREROUTING/jump-ingress", "nat", ["PREROUTING", "OUTPUT"], "-m addrtype --dst-type LOCAL -j DOCKER-INGRESS", "swarm", ALL],
  ["nat/OUTPUT/jump", "nat", "OUTPUT", "! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER", "jump", ALL],
  ["nat/OUTPUT/jump-v6", "nat", "OUTPUT", "! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER", "jump", ALL],
  ["nat/OUTPUT/jump-hairpin", "nat", "OUTPUT", "-m addrtype --dst-type LOCAL -j DOCKER", "jump", ALL],
  ["nat/POSTROUTING/masquerade", "nat", "POSTROUTING", "-s {cidr:sub} ! -o {if:br} -j MASQUERADE", "masquerade", ALL],
  ["nat/POSTROUTING/snat", "nat", "POSTROUTING", "-s {cidr:sub} ! -o {if:br} -j SNAT --to-source {addr}", "masquerade", FROM_B],
  ["nat/POSTROUTING/local-masquerade", "nat", "POSTROUTING", "-o {if:br} -m addrtype --src-type LOCAL -j MASQUERADE", "masquerade", ALL],
  ["nat/POSTROUTING/local-snat", "nat", "POSTROUTING", "-o {if:br} -m addrtype --src-type LOCAL -j SNAT --to-source {addr}", "masquerade", FROM_B],
  ["nat/POSTROUTING/hairpin", "nat", "POSTROUTING", "-s {host:cip} -d {host:cip} -p {proto} -m {proto} --dport {port} -j MASQUERADE", "masquerade", ALL],
  // ── raw PREROUTING (28.0+) ──
  ["raw/PREROUTING/loopback-port", "raw", "PREROUTING", "-d 127.0.0.1/32 ! -i lo -p {proto} -m {proto} --dport {port} -j DROP", "direct-access", FROM_B],
  ["raw/PREROUTING/wsl2-loopback", "raw", "PREROUTING", "-d 127.0.0.1/32 -i loopback0 -p {proto} -m {proto} --dport {port} -j ACCEPT", "direct-access", FROM_B],
  ["raw/PREROUTING/direct-port", "raw", "PREROUTING", "-d {host:cip} ! -i {if:br} -p {proto} -m {proto} --dport {port} -j DROP", "direct-access", ["B", "C"]],
  ["raw/PREROUTING/direct", "raw", "PREROUTING", "-d {host:cip} ! -i {if:br} -j DROP", "direct-access", ["C", "D", "E"]],
  ["raw/PREROUTING/trusted", "raw", "PREROUTING", "-d {host:cip} -i {if:trusted} -j ACCEPT", "direct-access", ["C", "D", "E"]],
  // ── mangle ──
  ["mangle/POSTROUTING/sctp-checksum", "mangle", "POSTROUTING", "-p sctp -m sctp --sport {port} -j CHECKSUM --checksum-fill", "checksum", ["A", "B", "C", "D"]],
  ["mangle/OUTPUT/overlay-mark", "mangle", "OUTPUT", "-p udp -m udp --dport {port} -m bpf --bytecode {any} -j MARK --set-xmark {mark}", "overlay", ALL],
];

const KINDS: Record<string, string> = {
  if: String.raw`[^\s!]\S{0,14}`,
  host: String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}/32|[0-9a-f:.]*:[0-9a-f:.]*/128)`,
  cidr: String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:.]*:[0-9a-f:.]*)/\d{1,3}`,
  addr: String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:.]*:[0-9a-f:.]*)`,
  proto: "(?:tcp|udp|sctp)",
  port: String.raw`\d{1,5}(?::\d{1,5})?`,
  dnat: String.raw`(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d{1,5}(?:-\d{1,5})?`,
  mark: String.raw`(?:0x[0-9a-f]+|\d+)(?:/(?:0x[0-9a-f]+|\d+))?`,
  set: "docker-ext-bridges-v[46]",
  any: ".+?",
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Compile a pattern to a regular expression over `canonical + " "`. Exported for tests. */
export function compilePattern(pattern: string): RegExp {
  const seen = new Set<string>();
  let src = "^";
  for (const token of pattern.split(" ")) {
    if (token === "[") src += "(?:";
    else if (token === "]") src += ")?";
    else {
      const m = /^\{(\w+)(?::(\w+))?\}$/.exec(token);
      if (!m) src += `${escape(token)} `;
      else {
        const kind = m[1]!;
        const name = m[2] ?? kind;
        const re = KINDS[kind];
        if (!re) throw new Error(`unknown placeholder kind ${kind} in "${pattern}"`);
        src += seen.has(name) ? `\\k<${name}> ` : `(?<${name}>${re}) `;
        seen.add(name);
      }
    }
  }
  return new RegExp(`${src}$`);
}

export interface CompiledTemplate extends DockerTemplate {
  readonly regex: RegExp;
}

export const DOCKER_TEMPLATES: readonly CompiledTemplate[] = SPECS.map(([id, table, chains, pattern, role, families]) => ({
  id,
  table,
  chains: typeof chains === "string" ? [chains] : chains,
  pattern,
  role,
  families,
  regex: compilePattern(pattern),
}));

const byChain = new Map<string, CompiledTemplate[]>();
for (const t of DOCKER_TEMPLATES) {
  for (const c of t.chains) {
    const key = `${t.table}\0${c}`;
    const list = byChain.get(key);
    if (list) list.push(t);
    else byChain.set(key, [t]);
  }
}

export function templatesFor(table: TableName, chain: string): readonly CompiledTemplate[] {
  return byChain.get(`${table}\0${chain}`) ?? [];
}

/**
 * Chains dockerd owns: it flushes (or deletes and re-creates) them on start and on firewalld reload, so
 * anything else in them is lost. DOCKER-USER is deliberately not here: it is the user's chain.
 */
export const DOCKER_MANAGED_CHAINS: Readonly<Partial<Record<TableName, readonly string[]>>> = {
  filter: ["DOCKER", "DOCKER-FORWARD", "DOCKER-BRIDGE", "DOCKER-CT", "DOCKER-INTERNAL", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-ISOLATION", "DOCKER-INGRESS"],
  nat: ["DOCKER", "DOCKER-INGRESS"],
};

export function isDockerManagedChain(table: TableName, chain: string): boolean {
  return DOCKER_MANAGED_CHAINS[table]?.includes(chain) ?? false;
}
