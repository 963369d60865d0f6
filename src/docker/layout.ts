/**
 * The Docker layout model: what Docker wrote into a ruleset. Which layout family (A0 … E, reference §1),
 * which bridges with which subnets, which ports are published where, and for every rule whether dockerd
 * wrote it (and from which template). Rules, the packet model and project checks all read this; it is
 * computed once per ruleset.
 */
import { criterion, matchOption, type Chain, type Family, type Rule, type Ruleset, type TableName } from "../ast/iptables.js";
import type { ProjectFacts } from "../rule.js";
import { canonicalRule } from "./canonical.js";
import { DOCKER_BRIDGE_NAME } from "./interfaces.js";
import { parseAddress, parsePrefix, prefixContains, type Prefix } from "./net.js";
import { DOCKER_FAMILIES, isDockerManagedChain, templatesFor, type CompiledTemplate, type DockerFamily } from "./templates.js";

export interface DockerRuleMatch {
  readonly template: CompiledTemplate;
  /** Placeholder values, e.g. { br: "docker0", cip: "172.17.0.2/32" }. */
  readonly captures: Readonly<Record<string, string>>;
}

export interface DockerBridge {
  readonly name: string;
  /** Subnets seen for the bridge (MASQUERADE/SNAT sources, internal-network rules). */
  readonly subnets: readonly string[];
  /** An --internal network (no outside access). */
  readonly internal: boolean;
  /** Inter-container communication on this bridge, when a rule says so. */
  readonly icc: boolean | null;
  /** Gateway mode read off the DOCKER chain (28.0+), when a rule says so. */
  readonly gatewayMode: "nat" | "nat-unprotected" | "routed" | null;
  readonly masquerade: boolean;
  /** Container addresses seen on the bridge (published ports, raw-table rules). */
  readonly containers: readonly string[];
}

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface PublishedPort {
  readonly family: Family;
  readonly protocol: string;
  /** Host address the port is bound to, or null for every host address (0.0.0.0 / ::). */
  readonly hostAddress: string | null;
  readonly hostPort: PortRange;
  readonly containerAddress: string;
  readonly containerPort: PortRange;
  /** Bridge of the container, when known. */
  readonly bridge: string | null;
  /** The nat DNAT rule. */
  readonly dnat: Rule;
  /** The filter DOCKER rule accepting the container port, when present. */
  readonly accept: Rule | null;
  /** Published through swarm's routing mesh (DOCKER-INGRESS). */
  readonly swarm: boolean;
  /** The DNAT rule has the shape dockerd writes. */
  readonly dockerWritten: boolean;
  /** Bound to a loopback address only (127.0.0.1 / ::1). */
  readonly loopbackOnly: boolean;
}

export interface DockerUserJump {
  readonly rule: Rule;
  /** Position in FORWARD (1-based). */
  readonly position: number;
  /** The jump has no criteria: every forwarded packet enters DOCKER-USER. */
  readonly unconditional: boolean;
}

export interface DockerLayout {
  /** Any sign of Docker: one of its chains, or a rule it writes. */
  readonly present: boolean;
  /** Best guess of the layout family; null when the ruleset does not say. */
  readonly family: DockerFamily | null;
  /** Families the ruleset is consistent with (one entry when certain). */
  readonly familyCandidates: readonly DockerFamily[];
  /** What gave the family away, for messages. */
  readonly familyEvidence: string;
  /** Docker's chains present in the ruleset (DOCKER-USER excluded). */
  readonly managedChains: readonly Chain[];
  /** The DOCKER-USER chain, if the ruleset has one. */
  readonly userChain: Chain | null;
  /** FORWARD rules jumping to DOCKER-USER. */
  readonly userJumps: readonly DockerUserJump[];
  readonly bridges: ReadonlyMap<string, DockerBridge>;
  readonly publishedPorts: readonly PublishedPort[];
  /** Rules dockerd wrote, with the template each one matches. */
  readonly dockerRules: ReadonlyMap<Rule, DockerRuleMatch>;
  /** Rules in Docker's own chains that dockerd did not write. */
  readonly userEdits: readonly Rule[];
}

/** Version families by Docker release (reference §1). */
export const FAMILY_VERSIONS: Readonly<Record<DockerFamily, string>> = {
  A0: "≤ 17.05",
  A1: "17.06 – 18.03",
  A: "18.06 – 27.5",
  B: "28.0.0",
  C: "28.0.1 – 28.2.1",
  D: "28.2.2 – 28.5",
  E: "29.0 and later",
};

/** Compare dotted versions numerically ("28.2.2" vs "28.10"). A missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const pb = b.replace(/^v/, "").split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The layout family a Docker Engine version writes. */
export function familyOfVersion(version: string): DockerFamily {
  if (compareVersions(version, "17.06") < 0) return "A0";
  if (compareVersions(version, "18.06") < 0) return "A1";
  if (compareVersions(version, "28.0.0") < 0) return "A";
  if (compareVersions(version, "28.0.1") < 0) return "B";
  if (compareVersions(version, "28.2.2") < 0) return "C";
  if (compareVersions(version, "29.0.0") < 0) return "D";
  return "E";
}

function matchTemplate(rule: Rule, templates: readonly CompiledTemplate[], text: string): DockerRuleMatch | undefined {
  if (rule.matches.some((m) => m.module === "comment")) return undefined;
  for (const template of templates) {
    const m = template.regex.exec(text);
    if (m) {
      const captures: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) captures[k] = v;
      return { template, captures };
    }
  }
  return undefined;
}

function portRange(text: string | undefined): PortRange | null {
  if (!text) return null;
  const m = /^(\d+)(?:[:-](\d+))?$/.exec(text);
  if (!m) return null;
  return { from: Number(m[1]), to: Number(m[2] ?? m[1]) };
}

/** `--to-destination` → address and port range (`172.17.0.2:80`, `[fd00::2]:80`, `10.0.0.2:80-90`). */
export function parseNatDestination(text: string): { address: string; port: PortRange | null } | null {
  let address: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.+))?$/.exec(text);
  if (bracketed) [address, port] = [bracketed[1]!, bracketed[2]];
  else if ((text.match(/:/g) ?? []).length > 1) address = text;
  else [address, port] = text.split(":") as [string, string | undefined];
  if (!parseAddress(address)) return null;
  const range = port === undefined ? null : portRange(port);
  if (port !== undefined && !range) return null;
  return { address, port: range };
}

const stripHost = (a: string) => a.replace(/\/(?:32|128)$/, "");

interface MutableBridge {
  name: string;
  subnets: Set<string>;
  internal: boolean;
  icc: boolean | null;
  gatewayMode: DockerBridge["gatewayMode"];
  masquerade: boolean;
  containers: Set<string>;
}

/** Capture names that hold a bridge name. */
const BRIDGE_CAPTURES = ["br", "other"];

function detectFamily(ruleset: Ruleset, has: (table: TableName, chain: string) => boolean, dockerRules: ReadonlyMap<Rule, DockerRuleMatch>, facts: ProjectFacts): { family: DockerFamily | null; candidates: DockerFamily[]; evidence: string } {
  const roles = new Set([...dockerRules.values()].map((m) => m.template.id));
  const userReturn = roles.has("filter/DOCKER-USER/return");
  const hasUser = has("filter", "DOCKER-USER");
  let candidates: DockerFamily[];
  let evidence: string;
  if (has("filter", "DOCKER-INTERNAL")) [candidates, evidence] = [["E"], "chain DOCKER-INTERNAL"];
  else if (roles.has("filter/FORWARD/ipset-jump") || roles.has("filter/FORWARD/ipset-conntrack")) [candidates, evidence] = [["B"], "ipset docker-ext-bridges in FORWARD"];
  else if (has("filter", "DOCKER-FORWARD")) {
    if (userReturn) [candidates, evidence] = [["C"], "chain DOCKER-FORWARD with DOCKER-USER -j RETURN"];
    else if (hasUser) [candidates, evidence] = [["D"], "chain DOCKER-FORWARD without DOCKER-USER -j RETURN"];
    else if (roles.has("raw/PREROUTING/direct-port")) [candidates, evidence] = [["C"], "chain DOCKER-FORWARD with per-port raw drops"];
    else [candidates, evidence] = [["C", "D"], "chain DOCKER-FORWARD"];
  } else if (has("filter", "DOCKER-ISOLATION-STAGE-1") || has("filter", "DOCKER-ISOLATION-STAGE-2")) [candidates, evidence] = [["A"], "chains DOCKER-ISOLATION-STAGE-1/2"];
  else if (has("filter", "DOCKER-ISOLATION")) [candidates, evidence] = hasUser ? [["A1"], "chain DOCKER-ISOLATION with DOCKER-USER"] : [["A0"], "chain DOCKER-ISOLATION without DOCKER-USER"];
  else if (has("filter", "DOCKER") && !hasUser && roles.has("filter/FORWARD/jump-docker")) [candidates, evidence] = [["A0"], "FORWARD -o <bridge> -j DOCKER without DOCKER-USER"];
  else if (roles.has("nat/DOCKER/skip-dnat")) [candidates, evidence] = [["A0", "A1", "A", "B", "C", "D"], "nat DOCKER -i <bridge> -j RETURN"];
  else if (roles.has("nat/DOCKER/dnat") && [...dockerRules.values()].some((m) => m.template.id === "nat/DOCKER/dnat" && m.captures.br)) [candidates, evidence] = [["E"], "nat DOCKER DNAT with ! -i <bridge> and no skip-DNAT RETURN"];
  else if (hasUser) [candidates, evidence] = [["A1", "A", "B", "C", "D", "E"], "chain DOCKER-USER"];
  else [candidates, evidence] = [[], "no Docker chains"];
  if (ruleset.tables.length === 0) candidates = [];
  let family: DockerFamily | null = candidates.length === 1 ? candidates[0]! : null;
  if (candidates.length > 1 && facts.dockerVersion) {
    const v = familyOfVersion(facts.dockerVersion);
    if (candidates.includes(v)) {
      family = v;
      evidence += ` and dockerVersion ${facts.dockerVersion}`;
    }
  }
  if (candidates.length > 1 && family === null && candidates.length <= 2) family = candidates[candidates.length - 1]!;
  return { family, candidates, evidence };
}

function analyze(ruleset: Ruleset, facts: ProjectFacts): DockerLayout {
  const dockerRules = new Map<Rule, DockerRuleMatch>();
  const pending: [Rule, DockerRuleMatch][] = [];
  const userEdits: Rule[] = [];
  const managedChains: Chain[] = [];
  const known = new Set<string>();
  let userChain: Chain | null = null;
  const exists = new Set<string>();

  for (const table of ruleset.tables) {
    for (const chain of table.chains) {
      if (!chain.builtin && (chain.declaredBy !== "implicit" || chain.rules.length > 0)) exists.add(`${table.name}\0${chain.name}`);
      const managed = isDockerManagedChain(table.name, chain.name);
      if (managed && (chain.declaredBy !== "implicit" || chain.rules.length > 0)) managedChains.push(chain);
      if (table.name === "filter" && chain.name === "DOCKER-USER") userChain = chain;
      const templates = templatesFor(table.name, chain.name);
      if (templates.length === 0 && !managed) continue;
      for (const rule of chain.rules) {
        const m = templates.length ? matchTemplate(rule, templates, `${canonicalRule(rule, ruleset.family)} `) : undefined;
        if (managed || (table.name === "filter" && chain.name === "DOCKER-USER")) {
          if (m) {
            dockerRules.set(rule, m);
            for (const k of BRIDGE_CAPTURES) if (m.captures[k]) known.add(m.captures[k]!);
          } else if (managed) userEdits.push(rule);
        } else if (m) pending.push([rule, m]);
      }
    }
  }
  // Rules in built-in chains count as Docker's only when every bridge they name is one of Docker's.
  const isBridge = (name: string) => known.has(name) || DOCKER_BRIDGE_NAME.test(name);
  for (const [rule, m] of pending) {
    if (BRIDGE_CAPTURES.every((k) => m.captures[k] === undefined || isBridge(m.captures[k]!))) {
      dockerRules.set(rule, m);
      for (const k of BRIDGE_CAPTURES) if (m.captures[k]) known.add(m.captures[k]!);
    }
  }

  // Bridges.
  const bridges = new Map<string, MutableBridge>();
  const bridge = (name: string): MutableBridge => {
    let b = bridges.get(name);
    if (!b) {
      b = { name, subnets: new Set(), internal: false, icc: null, gatewayMode: null, masquerade: false, containers: new Set() };
      bridges.set(name, b);
    }
    return b;
  };
  for (const [, m] of dockerRules) {
    const br = m.captures.br;
    if (!br) continue;
    const b = bridge(br);
    const id = m.template.id;
    if (m.captures.other) bridge(m.captures.other);
    if (m.captures.sub) b.subnets.add(m.captures.sub);
    if (m.template.role === "masquerade" && m.captures.sub) b.masquerade = true;
    if (id.startsWith("filter/internal/")) b.internal = true;
    if (m.template.role === "icc") b.icc = !id.endsWith("/no-icc");
    // 28.0+: `-i br -j ACCEPT` accepts everything leaving the bridge, back into it included (icc=true).
    if ((id === "filter/DOCKER-FORWARD/outgoing" || id === "filter/FORWARD/outgoing-all") && b.icc === null) b.icc = true;
    if (id === "filter/DOCKER/default-drop") b.gatewayMode ??= "nat";
    if (id === "filter/DOCKER/nat-unprotected") b.gatewayMode = "nat-unprotected";
    if (id === "filter/DOCKER/routed-icmp" || id === "filter/DOCKER/routed-icmpv6") b.gatewayMode = "routed";
    if (m.captures.cip && (m.template.role === "published-port" || m.template.role === "direct-access")) b.containers.add(stripHost(m.captures.cip));
  }

  // Published ports: every DNAT in nat DOCKER (and swarm's DOCKER-INGRESS), Docker's or not.
  const accepts = new Map<string, Rule>();
  for (const [rule, m] of dockerRules) {
    if (m.template.id !== "filter/DOCKER/published-port") continue;
    const key = `${stripHost(m.captures.cip ?? "")}|${m.captures.proto}|${portRange(m.captures.port)?.from}`;
    if (!accepts.has(key)) accepts.set(key, rule);
  }
  const publishedPorts: PublishedPort[] = [];
  for (const table of ruleset.tables) {
    if (table.name !== "nat") continue;
    for (const chain of table.chains) {
      if (chain.name !== "DOCKER" && chain.name !== "DOCKER-INGRESS") continue;
      for (const rule of chain.rules) {
        if (rule.target?.name !== "DNAT") continue;
        const to = rule.target.options.find((o) => o.name === "--to-destination")?.valueText(0);
        const dest = to ? parseNatDestination(to) : null;
        const dport = matchOption(rule, "--dport");
        const hostPort = dport && !dport.negated ? portRange(dport.valueText(0)) : null;
        const proto = criterion(rule, "-p");
        if (!dest || !hostPort || !proto || proto.negated) continue;
        const protocol = proto.valueText(0)?.toLowerCase() ?? "";
        const d = criterion(rule, "-d");
        const hostAddress = d && !d.negated ? stripHost(d.valueText(0) ?? "") : null;
        const containerPort = dest.port ?? hostPort;
        const fam: Family = dest.address.includes(":") ? "ipv6" : ruleset.family;
        const accept = accepts.get(`${dest.address}|${protocol}|${containerPort.from}`) ?? null;
        const inIf = criterion(rule, "-i");
        let br = inIf?.negated ? (inIf.valueText(0) ?? null) : null;
        if (!br && accept) br = dockerRules.get(accept)?.captures.br ?? null;
        if (!br) {
          const a = parsePrefix(dest.address);
          for (const b of bridges.values()) if (a && [...b.subnets].some((s) => { const p = parsePrefix(s); return p !== null && prefixContains(p, a); })) br = b.name;
        }
        if (br && bridges.has(br)) bridges.get(br)!.containers.add(dest.address);
        const loopbackOnly = hostAddress !== null && (/^127\./.test(hostAddress) || hostAddress === "::1");
        publishedPorts.push({
          family: fam,
          protocol,
          hostAddress,
          hostPort,
          containerAddress: dest.address,
          containerPort,
          bridge: br,
          dnat: rule,
          accept,
          swarm: chain.name === "DOCKER-INGRESS",
          dockerWritten: dockerRules.has(rule),
          loopbackOnly,
        });
      }
    }
  }

  const userJumps: DockerUserJump[] = [];
  const forward = ruleset.tables.find((t) => t.name === "filter")?.chains.find((c) => c.name === "FORWARD");
  forward?.rules.forEach((rule, i) => {
    if (rule.target?.name === "DOCKER-USER") userJumps.push({ rule, position: i + 1, unconditional: rule.criteria.length === 0 && rule.matches.every((m) => m.module === "comment") && rule.orphans.length === 0 });
  });

  const has = (table: TableName, chain: string) => exists.has(`${table}\0${chain}`);
  const fam = detectFamily(ruleset, has, dockerRules, facts);
  const present = managedChains.length > 0 || userChain !== null || dockerRules.size > 0;

  const frozen = new Map<string, DockerBridge>();
  for (const [k, b] of bridges) frozen.set(k, { ...b, subnets: [...b.subnets], containers: [...b.containers] });
  return {
    present,
    family: present ? fam.family : null,
    familyCandidates: present ? fam.candidates : [],
    familyEvidence: fam.evidence,
    managedChains,
    userChain,
    userJumps,
    bridges: frozen,
    publishedPorts,
    dockerRules,
    userEdits,
  };
}

const cache = new WeakMap<Ruleset, Map<string, DockerLayout>>();

/** The Docker layout of a ruleset (cached per ruleset and Docker version). */
/** The `ctx.memo` key of a dump's Docker layout (name it in a rule's `uses`). */
export const DOCKER_LAYOUT_ANALYSIS = "docker:layout";

export function analyzeDocker(ruleset: Ruleset, facts: ProjectFacts = {}): DockerLayout {
  let perVersion = cache.get(ruleset);
  if (!perVersion) {
    perVersion = new Map();
    cache.set(ruleset, perVersion);
  }
  const key = facts.dockerVersion ?? "";
  let layout = perVersion.get(key);
  if (!layout) {
    layout = analyze(ruleset, facts);
    perVersion.set(key, layout);
  }
  return layout;
}

/** "8080/tcp", "8000-8010/udp". */
export function formatPortRange(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}

/** "8080/tcp → 172.17.0.2:80", "127.0.0.1:8080/tcp → 172.18.0.2:9000". */
export function describePort(p: PublishedPort): string {
  const host = p.hostAddress ? `${p.hostAddress.includes(":") ? `[${p.hostAddress}]` : p.hostAddress}:` : "";
  const container = p.containerAddress.includes(":") ? `[${p.containerAddress}]` : p.containerAddress;
  return `${host}${formatPortRange(p.hostPort)}/${p.protocol} → ${container}:${formatPortRange(p.containerPort)}`;
}

/** The bridge (if any) whose subnets contain `address`. */
export function bridgeOfAddress(layout: DockerLayout, address: string): DockerBridge | undefined {
  const a = parsePrefix(address);
  if (!a) return undefined;
  for (const b of layout.bridges.values()) {
    if (b.subnets.some((s) => { const p = parsePrefix(s); return p !== null && prefixContains(p, a); })) return b;
  }
  return undefined;
}

/** All prefixes of Docker's bridge subnets. */
export function dockerSubnets(layout: DockerLayout): Prefix[] {
  return [...layout.bridges.values()].flatMap((b) => b.subnets.map((s) => parsePrefix(s)).filter((p): p is Prefix => p !== null));
}

export { DOCKER_FAMILIES };
