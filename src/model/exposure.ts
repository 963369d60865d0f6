/**
 * `fwlint exposure`: who can open a connection to what, computed over sets rather than samples. For each
 * outside interface class and protocol, one symbolic packet stands for every new connection (any source,
 * any source port, any host address, any port); the model splits it along every rule, then checks the
 * reply and the client's next packet on the same variables. What is left are exact sets of sources per
 * published port, host port and directly routed container port.
 */
import { isPlaceholderInterface } from "../docker/interfaces.js";
import { cidrSet, formatAddrSet, formatAddress, rangeSet } from "./addr.js";
import { branch, journey, martians, toArray, type Outcome } from "./engine.js";
import { CONNECTION_PROTOCOLS, F, FIELD_COUNT, NEW_CONNECTION_TERMS, ST, TCP } from "./fields.js";
import type { Model } from "./model.js";
import { IntervalSet, PORTS, type Scalar } from "./sets.js";
import { Sym } from "./sym.js";
import { answerIsReply, answerOf, followupOf, replyOf, restrictTo, trace, type PathEntry } from "./trace.js";

export interface AllowedEntry {
  /** Interface class: a name (`eth0`), other names with a prefix (`eth+`), or `*` (any other interface). */
  readonly inInterface: string;
  /** Sources that can open a connection (IPv4/IPv6 CIDRs or `a-b` ranges). */
  readonly sources: string[];
  /** Further sources that can open one depending on matches the model cannot know (limit, set, …). */
  readonly possibleSources?: string[];
  /** When `sources` are every source but a few ranges: those ranges (a blocklist, IPv6 link-local, …). */
  readonly allExcept?: string[];
}

export interface ExposureItem {
  /** published: DNAT to a container; host: delivered to the host; routed: forwarded to a container address without DNAT. */
  readonly kind: "published" | "host" | "routed";
  readonly proto: string;
  /** Host address(es) the connection is made to; `*` for any of the host's addresses; null for routed. */
  readonly hostAddress: string | null;
  /** Port number, or ranges `a-b,c` when several ports behave the same. */
  readonly hostPort: number | string;
  /** Container address:port after DNAT (published), the routed destination (routed), null (host). */
  readonly container: string | null;
  readonly allowed: AllowedEntry[];
  /** Some outside interface admits every source. */
  readonly openToAny: boolean;
  /** Unknown matches the answer depends on. */
  readonly unknown?: string[];
  /** Number of source addresses admitted (all interfaces together), for sorting. */
  readonly width: number;
}

export interface ExposureOptions {
  /** Also report container addresses reachable by routing (no DNAT). Default true. */
  readonly routed?: boolean;
  /** Protocols to check (default tcp and udp, and sctp when a rule names it: `defaultProtocols`). */
  readonly protocols?: readonly number[];
}

type AnySet = IntervalSet<Scalar>;

interface Cell {
  readonly iface: number;
  readonly dst: AnySet;
  readonly dport: AnySet;
  readonly src: AnySet;
  readonly definite: boolean;
  readonly unknown: string[];
}


/**
 * The protocols an exposure follows when not told: TCP and UDP, and SCTP when some rule names it (a port
 * published with /sctp has Docker's `-p sctp` rules). Without such a rule an SCTP association meets only
 * rules that match every protocol, as a TCP or UDP connection does, so it would add nothing but noise.
 */
export function defaultProtocols(model: Model): readonly number[] {
  return model.namesSctp ? [6, 17, 132] : [6, 17];
}

/** The outside interface classes to start connections from. */
export function outsideInterfaces(model: Model): number[] {
  const bridges = new Set(model.layout.bridges.map((b) => model.ifaces.classOf(b.name)));
  const out: number[] = [];
  model.ifaces.classes.forEach((c, k) => {
    if (!c.wildcard && (c.key === "" || c.key === "lo")) return;
    if (bridges.has(k)) return;
    out.push(k);
  });
  return out;
}

/** Set-level runs: branches merged, no paths (nothing here reads them). */
const RUN = { maxBranches: 1_000_000, merge: true, paths: false } as const;

export function computeExposure(model: Model, opts: ExposureOptions = {}): ExposureItem[] {
  const layout = model.layout;
  const groups = new Map<string, { kind: ExposureItem["kind"]; proto: number; container: string | null; cells: Cell[] }>();
  let targetDst = layout.local as AnySet;
  if (opts.routed !== false) targetDst = targetDst.union(layout.bridged as AnySet);
  const seedIfaces = outsideInterfaces(model);
  for (const proto of opts.protocols ?? defaultProtocols(model)) {
    for (const iface of seedIfaces) {
      const p = seedConnection(model, proto, iface, targetDst);
      const j = { origin: "in" as const, state: ST.NEW };
      const reqs = journey(model, branch(p), j, RUN);
      for (const req of reqs) {
        if (req.verdict !== "ACCEPT") continue;
        const r = replyOf(req, j, proto, model);
        for (const rep of journey(model, r.b, r.j, RUN)) {
          // a reply whose state the model does not know (conntrack.ts) may pass: listed rather than missed
          if (rep.verdict !== "ACCEPT" && r.tracking.sure) continue;
          const f = followupOf(req, j, proto, rep);
          for (const fol of journey(model, f.b, f.j, RUN)) {
            if (fol.verdict !== "ACCEPT" && f.tracking.sure) continue;
            // TCP's server data fares as the reply when nothing tells them apart (trace.ts)
            if (proto !== 6 || answerIsReply(model, req.b.notrack, rep.b.notrack, fol.b.notrack)) {
              addCell(model, groups, proto, iface, [req, rep, fol], fol);
              continue;
            }
            // TCP: the server's first data packet must get back too
            const a = answerOf(req, rep, fol, j, proto, model);
            for (const ans of journey(model, a.b, a.j, RUN)) {
              if (ans.verdict !== "ACCEPT" && a.tracking.sure) continue;
              addCell(model, groups, proto, iface, [req, rep, fol, ans], { ...fol, b: fol.b.withP(restrictTo(fol.b.p, ans.b.p)) });
            }
          }
        }
      }
    }
  }
  const items: ExposureItem[] = [];
  const ctx = itemContext(model);
  for (const g of groups.values()) for (const item of itemsOf(ctx, g.kind, g.proto, g.container, g.cells)) items.push(item);
  // One collator for the whole sort: String#localeCompare builds the same comparison on every call.
  const cmp = collator().compare;
  items.sort((a, b) => Number(b.openToAny) - Number(a.openToAny) || b.width - a.width || cmp(a.proto, b.proto) || portKey(a.hostPort) - portKey(b.hostPort) || cmp(a.container ?? "", b.container ?? ""));
  return items;
}

export function portsText(set: AnySet): string {
  return [...set.ranges()].map(([l, h]) => (l === h ? `${l}` : `${l}-${h}`)).join(",");
}

/** A source address from documentation ranges, for sample connections from outside. */
const sampleSource = (model: Model): string => (model.family === "ipv4" ? "198.51.100.77" : "2001:db8:77::77");

/** A concrete name in the interface class of this label (`eth+` gives a name no rule names on its own). */
function sampleInterface(model: Model, label: string): string {
  const k = model.ifaces.classes.findIndex((_, i) => model.ifaces.label(i) === label);
  return k >= 0 ? model.ifaces.sample(k) : "eth0";
}

/** The first address of `set` (default: the host's addresses) that a packet from outside can be sent to. */
export function hostSample(model: Model, set: { ranges(): Iterable<[Scalar, Scalar]> } = model.layout.local as AnySet): string | null {
  const martian = martians(model).dst;
  for (const [lo, hi] of set.ranges()) {
    // the first address of the range that is not a martian destination (0.0.0.0/8, 127/8, ::1) nor ::
    const rest = IntervalSet.of(martian.d, lo, hi).subtract(martian).subtract(IntervalSet.of(martian.d, (typeof lo === "bigint" ? 0n : 0) as Scalar));
    if (!rest.isEmpty) return formatAddress(model.family, rest.first!);
  }
  return null;
}

/**
 * The filter-table step that accepts a new connection to `port` of `item` from a source every outside
 * interface class of it admits (traced with one such connection): the rule, or the policy (line null).
 * Ports of one item behave the same, so one port answers for all of them. null when none is found.
 */
export function acceptingStep(model: Model, item: ExposureItem, port: number): PathEntry | null {
  const entry = item.allowed.find((a) => a.sources.some((x) => x.endsWith("/0"))) ?? item.allowed[0];
  if (!entry) return null;
  const fam = model.family;
  let dst: string | null = null;
  for (const part of (item.hostAddress ?? "*").split(",")) {
    const set = part === "*" ? (model.layout.local as AnySet) : part.includes("-") ? rangeSet(part, fam) : cidrSet(part, fam);
    if (set && (dst = hostSample(model, set as AnySet)) !== null) break;
  }
  if (!dst) return null;
  // An exposure holds for some source port: the usual ephemeral one first, then those the filter rules name
  // (`--sport 53` lets in what the DNS replies' rule was written for).
  const sports: (number | undefined)[] = [undefined];
  for (const ch of model.chains) {
    if (ch.table !== "filter" || sports.length > 32) continue;
    for (const k of ch.rules) for (const t of k.match.certain) if (t.f === F.SPORT && !sports.includes(Number(t.set.first))) sports.push(Number(t.set.first));
  }
  for (const sport of sports) {
    const path = samplePath(model, entry.inInterface, dst, item.proto, port, sport);
    const step = path && lastFilterStep(path);
    if (step && step.target === "ACCEPT") return step;
  }
  return null;
}

/** The path of one connection from outside (a documentation source) traced through the model; null when refused. */
function samplePath(model: Model, ifaceLabel: string, dst: string, proto: string, dport: number, sport?: number): PathEntry[] | null {
  try {
    return trace(model, { in: sampleInterface(model, ifaceLabel), src: sampleSource(model), dst, proto, dport, ...(sport === undefined ? {} : { sport }) }).result.path;
  } catch {
    return null;
  }
}

const lastFilterStep = (path: readonly PathEntry[]): PathEntry | undefined => {
  for (let k = path.length - 1; k >= 0; k--) if (path[k]!.table === "filter") return path[k];
  return undefined;
};

/** An item's host ports (`hostPort`) as a set. */
export function portSetOf(hostPort: number | string): AnySet {
  const ranges = String(hostPort)
    .split(",")
    .map((r) => r.split("-").map(Number))
    .map(([a, b]) => [a!, b ?? a!] as [number, number]);
  return IntervalSet.fromRanges(PORTS, ranges) as unknown as AnySet;
}

let collatorCache: Intl.Collator | undefined;
/** The comparison localeCompare() uses (default locale and options). */
const collator = () => (collatorCache ??= new Intl.Collator());

const portKey = (p: number | string) => (typeof p === "number" ? p : Number(/^\d+/.exec(p)?.[0] ?? 0));

/** Every source address a packet from outside can have (the kernel drops loopback, multicast, zero-net ones). */
export function validSources(model: Model): AnySet {
  return IntervalSet.full(model.doms[F.SRC]!).subtract(martians(model).src);
}

/** One symbolic new connection from outside: every variable free except the interface and protocol. */
export function seedConnection(model: Model, proto: number, iface: number, dst: AnySet): Sym {
  const values: Scalar[] = new Array<Scalar>(FIELD_COUNT).fill(0);
  values[F.PROTO] = proto;
  values[F.IIF] = iface;
  values[F.OIF] = model.ifaces.classOf("");
  values[F.STATE] = ST.NEW;
  values[F.FLAGS] = proto === 6 ? TCP.SYN : 0;
  const c = values;
  const s = new Array<number>(FIELD_COUNT).fill(-1);
  const cube: (AnySet | undefined)[] = new Array<AnySet | undefined>(FIELD_COUNT).fill(undefined);
  // Slots are numbered by field: SRC, DST, SPORT, DPORT are the request's original tuple.
  for (const f of [F.SRC, F.DST, F.SPORT, F.DPORT]) s[f] = f;
  cube[F.DST] = dst;
  cube[F.SRC] = validSources(model);
  cube[F.SPORT] = IntervalSet.of(model.doms[F.SPORT]!, 1, 65535);
  cube[F.DPORT] = IntervalSet.of(model.doms[F.DPORT]!, 1, 65535);
  let p = new Sym(c, s, cube, model.doms.slice());
  p = p.withTerms(NEW_CONNECTION_TERMS);
  return p;
}

function slot(p: Sym, k: number): AnySet {
  return p.cube[k] ?? IntervalSet.full(p.doms[k]!);
}

function addCell(
  model: Model,
  groups: Map<string, { kind: ExposureItem["kind"]; proto: number; container: string | null; cells: Cell[] }>,
  proto: number,
  iface: number,
  /** The connection's packets: request, reply, the client's next packet (and the server's first data). */
  packets: readonly Outcome[],
  /** The client's next packet, restricted to what every packet let through. */
  fol: Outcome,
): void {
  const req = packets[0]!;
  const rp = req.b.p;
  const fp = fol.b.p;
  const dnat = rp.s[F.DST] !== F.DST || rp.s[F.DPORT] !== F.DPORT;
  const kind: ExposureItem["kind"] = req.delivery === "local" ? "host" : dnat ? "published" : "routed";
  let container: string | null = null;
  if (kind === "published") {
    const a = rp.value(F.DST);
    const port = rp.value(F.DPORT);
    const addr = a !== undefined ? formatAddress(model.family, a) : formatAddrSet(model.family, rp.setOf(F.DST, model.doms[F.DST]!) as never).join(",");
    const host = model.family === "ipv6" ? `[${addr}]` : addr;
    container = `${host}:${port !== undefined ? port : portsText(rp.setOf(F.DPORT, model.doms[F.DPORT]!))}`;
  }
  const unknown: string[] = [];
  for (const o of packets) for (const a of toArray(o.b.assume)) unknown.push(`line ${a.krule.line}: ${a.krule.match.unknown.join(" ")}`);
  const key = `${kind}\0${proto}\0${container ?? ""}`;
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { kind, proto, container, cells: [] }));
  g.cells.push({ iface, dst: slot(fp, F.DST), dport: slot(fp, F.DPORT), src: slot(fp, F.SRC), definite: unknown.length === 0, unknown });
}

/**
 * Cut the items' sets into the coarsest pieces on which membership in every set is constant: each piece
 * with the items whose set contains it (in the items' order). Pieces come in the order of their lowest
 * value. One sweep over the sets' bounds, so a thousand containers' cells cost a sort, not a product.
 */
function partition<T>(items: readonly T[], setOf: (t: T) => AnySet): { set: AnySet; members: T[] }[] {
  if (items.length === 0) return [];
  const first = setOf(items[0]!);
  const d = first.d;
  // Usually every item has the same set (one cell per interface for a published port): one piece.
  let same = true;
  for (let k = 1; k < items.length && same; k++) same = setOf(items[k]!).equals(first);
  if (same) return first.isEmpty ? [] : [{ set: first, members: items.slice() }];
  const at: Scalar[] = [];
  const who: number[] = [];
  items.forEach((t, k) => {
    const b = setOf(t).b;
    for (let i = 0; i < b.length; i += 2) {
      at.push(b[i]!);
      who.push(k); // k enters at b[i]
      const hi = b[i + 1]!;
      if (hi < d.max) {
        at.push(d.succ(hi));
        who.push(~k); // and leaves after hi
      }
    }
  });
  const order = at.map((_, i) => i).sort((x, y) => (at[x]! < at[y]! ? -1 : at[x]! > at[y]! ? 1 : 0));
  const active = new Set<number>();
  const pieces = new Map<string, { ranges: [Scalar, Scalar][]; members: number[] }>();
  for (let i = 0; i < order.length; ) {
    const lo = at[order[i]!]!;
    for (; i < order.length && at[order[i]!] === lo; i++) {
      const k = who[order[i]!]!;
      if (k >= 0) active.add(k);
      else active.delete(~k);
    }
    if (active.size === 0) continue;
    const hi = i < order.length ? d.pred(at[order[i]!]!) : d.max;
    const members = [...active].sort((a, b) => a - b);
    const sig = members.join(",");
    const piece = pieces.get(sig);
    if (piece) piece.ranges.push([lo, hi]);
    else pieces.set(sig, { ranges: [[lo, hi]], members });
  }
  return [...pieces.values()].map((p) => ({ set: IntervalSet.fromRanges(d, p.ranges), members: p.members.map((k) => items[k]!) }));
}

/** What every group's items share: the model's constants and the text of sets already formatted. */
interface ItemContext {
  readonly model: Model;
  readonly valid: AnySet;
  readonly validSize: number;
  readonly local: AnySet;
  readonly external: ReadonlySet<number> | null;
  /** Source set (by key) → its text: most published ports admit the same sources. */
  readonly shown: Map<string, string[]>;
  /** Source set (by key) → the blocklist text of `allExcept`. */
  readonly excepts: Map<string, string[]>;
}

function itemContext(model: Model): ItemContext {
  const valid = validSources(model);
  return {
    model,
    valid,
    validSize: valid.size(),
    local: model.layout.local as AnySet,
    external: model.layout.external.length ? new Set(model.layout.external.map((n) => model.ifaces.classOf(n))) : null,
    shown: new Map(),
    excepts: new Map(),
  };
}

/** The text of a source set: the whole valid range as one CIDR, else its ranges. */
function showSources(ctx: ItemContext, set: AnySet, key: string): string[] {
  let text = ctx.shown.get(key);
  if (!text) {
    const fam = ctx.model.family;
    text = set.equals(ctx.valid) ? [fam === "ipv4" ? "0.0.0.0/0" : "::/0"] : formatAddrSet(fam, set as never);
    ctx.shown.set(key, text);
  }
  return text;
}

/** The sources a wide set leaves out (a blocklist), when it admits at least half of all sources. */
function exceptText(ctx: ItemContext, def: AnySet, key: string): string[] {
  let text = ctx.excepts.get(key);
  if (!text) {
    const missing = ctx.valid.subtract(def);
    text = !missing.isEmpty && def.size() >= ctx.validSize / 2 ? formatAddrSet(ctx.model.family, missing as never) : [];
    ctx.excepts.set(key, text);
  }
  return text;
}

function itemsOf(ctx: ItemContext, kind: ExposureItem["kind"], proto: number, container: string | null, cells: Cell[]): ExposureItem[] {
  const { model, valid } = ctx;
  const fam = model.family;
  const d = valid.d;
  const byKey = new Map<string, { dports: AnySet[]; dst: AnySet; allowed: AllowedEntry[]; openToAny: boolean; unknown: Set<string>; width: number }>();
  for (const { set: dport, members: inPort } of partition(cells, (c) => c.dport)) {
    for (const { set: dst, members: here } of partition(inPort, (c) => c.dst)) {
      const ifaces = [...new Set(here.map((c) => c.iface))].sort((a, b) => a - b);
      const allowed: AllowedEntry[] = [];
      let openToAny = false;
      let width = 0;
      const unknown = new Set<string>();
      // The item's identity: its destination and, per interface, the sets it admits.
      let key = dst.key();
      for (const k of ifaces) {
        let def = IntervalSet.empty(d);
        let maybe = IntervalSet.empty(d);
        for (const c of here) {
          if (c.iface !== k) continue;
          if (c.definite) def = def.union(c.src);
          else {
            maybe = maybe.union(c.src);
            c.unknown.forEach((u) => unknown.add(u));
          }
        }
        maybe = maybe.subtract(def);
        if (def.isEmpty && maybe.isEmpty) continue;
        const defKey = def.key();
        const maybeKey = maybe.key();
        key += `|${k}:${defKey}:${maybeKey}`;
        const except = exceptText(ctx, def, defKey);
        const entry: AllowedEntry = {
          inInterface: model.ifaces.label(k),
          sources: showSources(ctx, def, defKey),
          ...(maybe.isEmpty ? {} : { possibleSources: showSources(ctx, maybe, maybeKey) }),
          ...(except.length > 0 && except.length <= 4 ? { allExcept: except } : {}),
        };
        // The sets themselves, for callers in the process (not serialised).
        entrySets.set(entry, def);
        allowed.push(entry);
        width += def.size() + maybe.size();
        if (def.equals(valid) && (ctx.external === null || ctx.external.has(k))) openToAny = true;
      }
      if (allowed.length === 0) continue;
      const cur = byKey.get(key);
      if (cur) cur.dports.push(dport);
      else byKey.set(key, { dports: [dport], dst, allowed, openToAny, unknown, width });
    }
  }
  const items: ExposureItem[] = [];
  for (const v of byKey.values()) {
    let ports = IntervalSet.empty(v.dports[0]!.d);
    for (const p of v.dports) ports = ports.union(p);
    const single = ports.single;
    const hostPort = single !== undefined ? Number(single) : portsText(ports);
    const dstText = formatAddrSet(fam, v.dst as never).join(",");
    const hostAddress = kind === "routed" ? null : ctx.local.isSubsetOf(v.dst) ? "*" : dstText;
    items.push({
      kind,
      proto: CONNECTION_PROTOCOLS[proto] ?? String(proto),
      hostAddress,
      hostPort,
      container: kind === "routed" ? `${fam === "ipv6" ? `[${dstText}]` : dstText}:${hostPort}` : container,
      allowed: v.allowed,
      openToAny: v.openToAny,
      ...(v.unknown.size ? { unknown: [...v.unknown].sort(byLine) } : {}),
      width: v.width,
    });
  }
  return items;
}

/**
 * The decision `docker-user-unrestricted` needs: is this published port open to every source on some
 * outside interface? (`exposure` must be computed once per model and shared.)
 */
export function publishedPortOpenToAny(items: readonly ExposureItem[], proto: string, hostPort: number, container: string): boolean {
  return items.some((i) => i.kind === "published" && i.proto === proto && i.container === container && i.openToAny && portIn(i.hostPort, hostPort));
}

function portIn(spec: number | string, port: number): boolean {
  if (typeof spec === "number") return spec === port;
  return spec.split(",").some((r) => {
    const [a, b] = r.split("-").map(Number);
    return port >= a! && port <= (b ?? a)!;
  });
}

/** The exact decision for one published port, as docker-user-unrestricted needs it. */
export interface PortDecision {
  /**
   * open: new connections (replies included) from at least half of all source addresses reach the
   * container — every source, or every source but a blocklist; blocked: an allowlist or nothing gets in.
   */
  readonly outcome: "open" | "blocked" | "unknown";
  /** Interface classes that admit it. */
  readonly openOn: readonly string[];
  /** Sources that cannot open it on those interfaces (a blocklist), as text; empty when none. */
  readonly except: readonly string[];
  /** Why, in a few words (the accepting rule of a sample connection). */
  readonly reason: string;
}

export interface PublishedPortRef {
  readonly protocol: string;
  readonly hostAddress: string | null;
  readonly hostPort: { readonly from: number; readonly to: number };
  readonly containerAddress: string;
  readonly containerPort: { readonly from: number; readonly to: number };
}

/** The admitted sources of each entry (in-process only, not serialised). */
const entrySets = new WeakMap<AllowedEntry, AnySet>();
const entrySet = (a: AllowedEntry): AnySet | undefined => entrySets.get(a);

/**
 * Is this published port open to the world? With the host's external interfaces known, on one of them;
 * without, on every outside interface (whichever turns out to be external).
 */
export function publishedPortDecision(model: Model, items: readonly ExposureItem[], port: PublishedPortRef, externalInterfaces: readonly string[] = []): PortDecision {
  const fam = model.family;
  const outside = realOutsideInterfaces(model);
  const relevant = externalInterfaces.length ? [...new Set(externalInterfaces.map((n) => model.ifaces.label(model.ifaces.classOf(n))))] : outside;
  const mine = itemsOfPort(model, items, port);
  const valid = validSources(model);
  const half = valid.size() / 2;
  const admitted = new Map<string, AnySet>();
  let maybe = false;
  for (const i of mine)
    for (const a of i.allowed) {
      const set = entrySet(a);
      if (set) admitted.set(a.inInterface, (admitted.get(a.inInterface) ?? IntervalSet.empty(valid.d)).union(set));
      if (a.possibleSources?.length) maybe = true;
    }
  const openOn = relevant.filter((l) => (admitted.get(l)?.size() ?? 0) >= half);
  const open = externalInterfaces.length ? openOn.length > 0 : relevant.length > 0 && openOn.length === relevant.length;
  if (!open) return { outcome: maybe ? "unknown" : "blocked", openOn, except: [], reason: "" };
  const worst = openOn.map((l) => admitted.get(l)!).reduce((a, b) => (a.size() <= b.size() ? a : b));
  const except = worst.equals(valid) ? [] : formatAddrSet(fam, valid.subtract(worst) as never);
  return { outcome: "open", openOn, except, reason: acceptReason(model, port, openOn[0]!) };
}

/** The outside interface classes by label, without the names of Docker's documentation (ext_if, …), which exist on no host. */
function realOutsideInterfaces(model: Model): string[] {
  return outsideInterfaces(model)
    .filter((k) => !(model.ifaces.classes[k]!.wildcard === false && isPlaceholderInterface(model.ifaces.classes[k]!.key)))
    .map((k) => model.ifaces.label(k));
}

/** The exposure's items of one published port (its DNAT's protocol, host port and address, and container). */
function itemsOfPort(model: Model, items: readonly ExposureItem[], port: PublishedPortRef): ExposureItem[] {
  const host = model.family === "ipv6" ? `[${port.containerAddress.replace(/\/\d+$/, "")}]` : port.containerAddress.replace(/\/\d+$/, "");
  const container = `${host}:${port.containerPort.from === port.containerPort.to ? port.containerPort.from : `${port.containerPort.from}-${port.containerPort.to}`}`;
  return items.filter(
    (i) =>
      i.kind === "published" &&
      i.proto === port.protocol &&
      i.container === container &&
      overlaps(i.hostPort, port.hostPort.from, port.hostPort.to) &&
      (port.hostAddress === null || i.hostAddress === "*" || (i.hostAddress ?? "").split(",").includes(port.hostAddress)),
  );
}

/**
 * The outside interfaces on which some source can certainly open a connection to this published port (not
 * counting sources that depend on matches fwlint cannot know), with those sources.
 */
export function publishedPortReach(model: Model, items: readonly ExposureItem[], port: PublishedPortRef): { readonly inInterface: string; readonly sources: readonly string[] }[] {
  const outside = new Set(realOutsideInterfaces(model));
  const out: { inInterface: string; sources: string[] }[] = [];
  for (const i of itemsOfPort(model, items, port))
    for (const a of i.allowed) if (outside.has(a.inInterface) && a.sources.length > 0) out.push({ inInterface: a.inInterface, sources: a.sources });
  return out;
}

function overlaps(spec: number | string, from: number, to: number): boolean {
  if (typeof spec === "number") return spec >= from && spec <= to;
  return spec.split(",").some((r) => {
    const [a, b] = r.split("-").map(Number);
    return a! <= to && (b ?? a)! >= from;
  });
}

/** Which rule lets a sample connection from an arbitrary source through FORWARD. */
function acceptReason(model: Model, port: PublishedPortRef, ifaceLabel: string): string {
  const dst = port.hostAddress ?? hostSample(model) ?? (model.family === "ipv4" ? "203.0.113.1" : "2001:db8::1");
  const path = samplePath(model, ifaceLabel, dst, port.protocol, port.hostPort.from);
  const last = path && lastFilterStep(path);
  if (!last) return "nothing in FORWARD stops it";
  if (last.line === null) return `the ${last.chain} policy ${last.target} lets it through`;
  return `line ${last.line} accepts it`;
}

/** "line N: …" texts in line order. */
function byLine(a: string, b: string): number {
  return Number(/\d+/.exec(a)?.[0] ?? 0) - Number(/\d+/.exec(b)?.[0] ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
}
