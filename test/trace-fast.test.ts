/**
 * The concrete path of `trace --packets` (src/model/fast.ts) against the symbolic trace: for every packet it
 * answers, its JSON line is exactly the symbolic result's JSON (`JSON.stringify(trace(model, spec).result)`,
 * which `traceResultJson` also writes). Random packets on random rulesets over every table (NAT, marks,
 * NOTRACK, unknown matches, jumps and gotos), the bench's kube-proxy dump with its packets, and real
 * rulesets of the shared corpus with packets made from their own addresses, interfaces and ports. The
 * concrete path must also actually answer: its share of the packets is checked.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kube, kubePackets, rng } from "../scripts/bench/generate.mjs";
import { FastTracer } from "../src/model/fast.js";
import { Model, type ModelOptions } from "../src/model/model.js";
import { PacketError, trace, traceResultJson, type PacketSpec } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";
import { CORPUS } from "./support/corpus.js";

interface Tally {
  compared: number;
  fast: number;
}

/** Compare both paths on one packet; returns whether the concrete path answered. */
function check(model: Model, tracer: FastTracer, spec: PacketSpec, tally: Tally, what: string): void {
  let symbolic: string | null;
  try {
    const r = trace(model, spec).result;
    symbolic = JSON.stringify(r);
    // The batch writes traceResultJson: it must be JSON.stringify's text.
    expect(traceResultJson(r), `${what}\n${JSON.stringify(spec)}`).toBe(symbolic);
  } catch (err) {
    if (!(err instanceof PacketError)) throw err;
    symbolic = null;
  }
  const fast = tracer.traceJson(spec);
  tally.compared++;
  if (fast === null) return;
  tally.fast++;
  expect(symbolic, `${what}: the concrete path answered a packet the symbolic trace refuses\n${JSON.stringify(spec)}`).not.toBeNull();
  expect(fast, `${what}\n${JSON.stringify(spec)}`).toBe(symbolic);
  expect(JSON.parse(fast)).toEqual(JSON.parse(symbolic!));
}

// ── random rulesets over every table ──

const ADDRS = ["10.0.0.1", "10.0.0.2", "10.0.0.7", "10.0.1.5", "192.0.2.1", "192.0.2.130", "172.17.0.2", "172.17.0.3", "203.0.113.9", "8.8.8.8", "127.0.0.1", "224.0.0.5", "0.1.2.3", "255.255.255.255"];
const CIDRS = ["10.0.0.0/24", "10.0.0.0/16", "10.0.0.2", "192.0.2.0/25", "192.0.2.128/25", "172.17.0.0/16", "172.17.0.2/32", "0.0.0.0/1", "203.0.113.0/24", "127.0.0.0/8", "10.0.0.2,192.0.2.1"];
const IFACES = ["eth0", "eth1", "eth+", "docker0", "lo", "br-+"];
const PORTS = [22, 53, 80, 443, 8080, 1024, 5000, 40000];
const MANY_PORTS = [...PORTS, 21, 25, 110, 143, 993, 995, 3306, 5432, 6379, 9090, 23, 8443];

const neg = fc.integer({ min: 0, max: 3 }).map((n) => (n === 0 ? "! " : ""));
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const rarely = <T>(arb: fc.Arbitrary<T>, weight = 1) => fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight, arbitrary: arb });

const matchPart = fc
  .record({
    src: rarely(fc.tuple(neg, pick(CIDRS))),
    dst: rarely(fc.tuple(neg, pick(CIDRS))),
    inIf: rarely(fc.tuple(neg, pick(IFACES))),
    outIf: rarely(fc.tuple(neg, pick(IFACES))),
    proto: rarely(pick(["tcp", "udp", "icmp"]), 3),
    dport: rarely(fc.tuple(neg, pick(PORTS), fc.option(pick(PORTS), { nil: undefined })), 3),
    sport: rarely(fc.tuple(neg, pick(["1024:65535", "32768:60999", "53", "40000"]))),
    syn: rarely(neg),
    // up to 15 ports, negated or not: sets of many ranges, which the concrete path searches by halving
    multi: rarely(fc.tuple(neg, pick(["--dports", "--sports", "--ports"]), fc.array(pick(MANY_PORTS), { minLength: 1, maxLength: 15 }))),
    range: rarely(fc.tuple(neg, pick(["10.0.0.1-10.0.0.5", "192.0.2.100-192.0.2.200", "172.17.0.2-172.17.0.3"]))),
    state: rarely(fc.tuple(neg, pick(["NEW", "ESTABLISHED", "RELATED", "INVALID", "NEW,ESTABLISHED", "RELATED,ESTABLISHED", "DNAT", "SNAT", "RELATED,ESTABLISHED,DNAT", "UNTRACKED"]))),
    ct: rarely(pick(["--ctorigdst 10.0.0.1", "! --ctorigsrc 10.0.0.0/8", "--ctdir ORIGINAL", "--ctdir REPLY", "--ctorigdstport 80", "--ctreplsrc 172.17.0.2", "--ctproto tcp"])),
    addrtype: rarely(fc.tuple(neg, pick(["--dst-type LOCAL", "--src-type LOCAL", "--dst-type BROADCAST", "--dst-type UNICAST"]))),
    mark: rarely(fc.tuple(neg, pick(["0x1", "0x2", "0x1/0x1", "0x4000/0x4000"]))),
    connmark: rarely(fc.tuple(neg, pick(["0x1", "0x1/0x1"]))),
    unknown: rarely(pick(["-m limit --limit 5/sec", "-m statistic --mode random --probability 0.5", "-m recent --rcheck --name x", "-m set --match-set s src"])),
  })
  .map((m) => {
    const p: string[] = [];
    if (m.src) p.push(`${m.src[0]}-s ${m.src[1]}`);
    if (m.dst) p.push(`${m.dst[0]}-d ${m.dst[1]}`);
    if (m.inIf) p.push(`${m.inIf[0]}-i ${m.inIf[1]}`);
    if (m.outIf) p.push(`${m.outIf[0]}-o ${m.outIf[1]}`);
    if (m.proto) {
      p.push(`-p ${m.proto}`);
      if (m.proto === "icmp") {
        if (m.dport) p.push("-m icmp --icmp-type echo-request");
      } else {
        const opts: string[] = [];
        if (m.dport) {
          const [n, a, b] = m.dport;
          opts.push(`${n}--dport ${b !== undefined && b > a ? `${a}:${b}` : a}`);
        }
        if (m.sport) opts.push(`${m.sport[0]}--sport ${m.sport[1]}`);
        if (m.syn !== undefined && m.proto === "tcp") opts.push(`${m.syn}--syn`);
        if (opts.length) p.push(`-m ${m.proto} ${opts.join(" ")}`);
        if (m.multi) p.push(`-m multiport ${m.multi[0]}${m.multi[1]} ${[...new Set(m.multi[2])].join(",")}`);
      }
    }
    if (m.range) p.push(`-m iprange ${m.range[0]}--src-range ${m.range[1]}`);
    if (m.state || m.ct) p.push(`-m conntrack${m.state ? ` ${m.state[0]}--ctstate ${m.state[1]}` : ""}${m.ct ? ` ${m.ct}` : ""}`);
    if (m.addrtype) p.push(`-m addrtype ${m.addrtype[0]}${m.addrtype[1]}`);
    if (m.mark) p.push(`-m mark ${m.mark[0]}--mark ${m.mark[1]}`);
    if (m.connmark) p.push(`-m connmark ${m.connmark[0]}--mark ${m.connmark[1]}`);
    if (m.unknown) p.push(m.unknown);
    return p.join(" ");
  });

type TableSpec = { readonly builtins: readonly string[]; readonly targets: readonly string[] };
const TABLES: Readonly<Record<string, TableSpec>> = {
  raw: { builtins: ["PREROUTING", "OUTPUT"], targets: ["-j NOTRACK", "-j CT --notrack", "-j ACCEPT", "-j DROP", "-j RETURN", "JUMP", ""] },
  mangle: {
    builtins: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
    targets: ["-j MARK --set-xmark 0x1/0xffffffff", "-j MARK --or-mark 0x4000", "-j CONNMARK --save-mark", "-j CONNMARK --restore-mark", "-j CONNMARK --set-mark 0x1", "-j ACCEPT", "-j RETURN", "-j DROP", "JUMP", "GOTO", "-j TCPMSS --clamp-mss-to-pmtu", ""],
  },
  nat: {
    builtins: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
    targets: [
      "-j DNAT --to-destination 172.17.0.2:80",
      "-j DNAT --to-destination 172.17.0.3",
      "-j DNAT --to-destination 10.0.1.5:8000-8010",
      "-j DNAT --to-destination 172.17.0.2-172.17.0.3",
      "-j REDIRECT --to-ports 3128",
      "-j SNAT --to-source 192.0.2.1",
      "-j SNAT --to-source 192.0.2.1:1024-2048",
      "-j MASQUERADE",
      "-j MASQUERADE --to-ports 5000",
      "-j RETURN",
      "-j ACCEPT",
      "-j LOG",
      "JUMP",
      "GOTO",
      "",
    ],
  },
  filter: {
    builtins: ["INPUT", "FORWARD", "OUTPUT"],
    targets: ["-j ACCEPT", "-j DROP", "-j REJECT", "-j RETURN", "-j LOG", "-j MARK --set-mark 0x2", "-j NFQUEUE", "-j SOMETHING-UNKNOWN", "JUMP", "GOTO", ""],
  },
};

const tableArb = (name: string, t: TableSpec) =>
  fc
    .record({
      present: fc.integer({ min: 0, max: 4 }).map((n) => name === "filter" || n > 0),
      policies: fc.array(pick(["ACCEPT", "DROP"]), { minLength: t.builtins.length, maxLength: t.builtins.length }),
      chains: fc.array(fc.array(fc.tuple(matchPart, pick(t.targets)), { minLength: 0, maxLength: 6 }), { minLength: t.builtins.length + 2, maxLength: t.builtins.length + 2 }),
    })
    .map(({ present, policies, chains }) => {
      if (!present) return [];
      const users = ["U1", "U2"];
      const names = [...t.builtins, ...users];
      // Only filter's policies may be DROP: a DROP policy elsewhere makes most packets end early.
      const lines = [`*${name}`, ...t.builtins.map((b, k) => `:${b} ${name === "filter" ? policies[k] : "ACCEPT"} [0:0]`), ...users.map((u) => `:${u} - [0:0]`)];
      chains.forEach((rules, k) => {
        for (const [match, target0] of rules) {
          // A chain jumps only to a user chain after it (no loops).
          const later = users.filter((u) => names.indexOf(u) > k);
          let target = target0;
          if (target0 === "JUMP" || target0 === "GOTO") target = later.length ? `${target0 === "GOTO" ? "-g" : "-j"} ${later[match.length % later.length]}` : "-j ACCEPT";
          lines.push(`-A ${names[k]} ${match} ${target}`.replace(/\s+/g, " ").trim());
        }
      });
      lines.push("COMMIT");
      return lines;
    });

const rulesetArb = fc
  .tuple(...Object.entries(TABLES).map(([name, t]) => tableArb(name, t)))
  .map((tables) => [...tables.flat(), ""].join("\n"));

const packetArb = fc.record({
  in: fc.option(pick(["eth0", "eth1", "eth7", "docker0", "lo", "br-x1"]), { nil: undefined }),
  out: fc.option(pick(["eth0", "eth1", "docker0"]), { nil: undefined }),
  src: pick(ADDRS),
  dst: pick(ADDRS),
  proto: pick(["tcp", "udp", "icmp", "47", "sctp"]),
  sport: fc.option(pick([1024, 40000, 53]), { nil: undefined }),
  dport: fc.option(pick(PORTS), { nil: undefined }),
  state: pick(["NEW", "NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"]),
});

const hostArb = fc.record({
  local: pick([[], ["10.0.0.1/24"], ["10.0.0.1", "192.0.2.1/25"]]),
  external: pick([[], ["eth0"], ["eth0", "eth1"]]),
});

function specOf(p: typeof packetArb extends fc.Arbitrary<infer T> ? T : never): PacketSpec {
  return {
    ...(p.in ? { in: p.in } : {}),
    ...(p.out ? { out: p.out } : {}),
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    ...(p.sport !== undefined ? { sport: p.sport } : {}),
    ...(p.dport !== undefined ? { dport: p.dport } : {}),
    state: p.state,
  };
}

const RUNS = Number(process.env.FWLINT_PROPERTY_RUNS ?? 200);

describe("trace: the concrete path gives the symbolic trace's result", () => {
  it("on random rulesets over every table, for random packets", () => {
    const tally: Tally = { compared: 0, fast: 0 };
    fc.assert(
      fc.property(rulesetArb, hostArb, fc.array(packetArb, { minLength: 20, maxLength: 40 }), (text, host, packets) => {
        const model = new Model(parse(text), host);
        const tracer = new FastTracer(model);
        for (const p of packets) check(model, tracer, specOf(p), tally, text);
      }),
      { numRuns: RUNS },
    );
    console.log(`random rulesets: ${tally.fast} of ${tally.compared} packets on the concrete path`);
    expect(tally.compared).toBeGreaterThan(RUNS * 20 - 1);
    expect(tally.fast / tally.compared).toBeGreaterThan(0.6);
  });

  it("on the bench's kube-proxy dump, for its packets: every one on the concrete path", () => {
    const model = new Model(parse(kube(1000)), {});
    const tracer = new FastTracer(model);
    const tally: Tally = { compared: 0, fast: 0 };
    for (const line of kubePackets(1000, 600).trim().split("\n")) {
      const o = JSON.parse(line) as Record<string, unknown>;
      check(model, tracer, { ...(o as unknown as PacketSpec), in: (o.in as string) ?? null }, tally, "kube(1000)");
    }
    console.log(`kube(1000): ${tally.fast} of ${tally.compared} packets on the concrete path`);
    expect(tally.compared).toBe(600);
    expect(tally.fast).toBe(600);
  });

  it("at the engine's limits too: the branch budget spent by unknown matches, jumps deeper than 64 chains", () => {
    // 600 unknown matches that continue: the branches double until the budget of 512 splits runs out.
    const budget = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"];
    for (let k = 0; k < 600; k++) budget.push(`-A INPUT -p tcp -m statistic --mode random --probability 0.5 -j LOG --log-prefix "r${k}"`);
    budget.push("-A INPUT -j DROP", "COMMIT", "");
    // U1 jumps to U2, … to U70.
    const deep = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ...Array.from({ length: 70 }, (_, k) => `:U${k + 1} - [0:0]`), "-A INPUT -j U1"];
    for (let k = 1; k < 70; k++) deep.push(`-A U${k} -p tcp -j U${k + 1}`);
    deep.push("-A U70 -j DROP", "COMMIT", "");
    for (const text of [budget.join("\n"), deep.join("\n")]) {
      const model = new Model(parse(text), { local: ["10.0.0.1"] });
      const tracer = new FastTracer(model);
      const tally: Tally = { compared: 0, fast: 0 };
      check(model, tracer, { in: "eth0", src: "192.0.2.1", dst: "10.0.0.1", proto: "tcp", dport: 22 }, tally, text.slice(0, 200));
      check(model, tracer, { in: "eth0", src: "192.0.2.1", dst: "10.0.0.1", proto: "udp", dport: 53 }, tally, text.slice(0, 200));
      expect(tally.fast).toBe(2);
    }
    // Both limits were reached: each gives UNKNOWN.
    for (const text of [budget.join("\n"), deep.join("\n")]) {
      const t = trace(new Model(parse(text), { local: ["10.0.0.1"] }), { in: "eth0", src: "192.0.2.1", dst: "10.0.0.1", proto: "tcp", dport: 22 }).result;
      expect(t.verdict).toBe("UNKNOWN");
    }
  });

  const files = [
    ...readdirSync(join(CORPUS, "docker-real")).map((f) => join(CORPUS, "docker-real", f)),
    ...["iptablesdoc_usernet-portmap-lo__docker-28.2.2_to_28.5.2.rules", "iptablesdoc_swarm-portmap__docker-29.0.0_to_29.7.2+master.rules", "iptablesdoc_usernet-portmap-natunprot__docker-28.0.0.rules"].map((f) => join(CORPUS, "docker", f)),
    ...[
      "diekmann-medium-company.save",
      "k8s-proxier-overall-expected.rules",
      "moby-iptabler-icc-masq-wsl2.golden",
      "moby-iptabler-routed-snat.ip6tables.golden",
      "vpn-policy-routing-connmark.rules.v4",
      "tor-exitnode-raw-notrack.rules.v4",
      "incrediblepbx-firewall.rules.v6",
      "ufw-real-server2.save",
      "upstream-fedora27-firewalld-counters.save",
      "istio-cni-plugin-tproxy.golden.rules",
      "shadowsocks-transparent-proxy.rules.v4",
      "kpntv-iptv-router.rules.v4",
      "pptp-docker.rules.v4",
    ].map((f) => join(CORPUS, "real-world", f)),
  ];
  const overall: Tally = { compared: 0, fast: 0 };

  it.each(files.map((f) => [basename(f), f]))("on %s, for packets made from its own addresses", (_name, file) => {
    const text = readFileSync(file, "utf8");
    const ruleset = parse(text, { filePath: file });
    const v6 = ruleset.family === "ipv6";
    const r = rng(hash(basename(file)));
    const addrs = [...new Set(text.match(v6 ? /\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b/gi : /\b(?:\d{1,3}\.){3}\d{1,3}\b/g) ?? [])].filter((a) => !a.endsWith(":"));
    addrs.push(...(v6 ? ["::1", "2001:db8::1", "fe80::1", "ff02::1"] : ["127.0.0.1", "198.51.100.7", "10.0.0.1", "255.255.255.255"]));
    const ifaces = [...new Set([...text.matchAll(/-[io] ([^\s]+)/g)].map((m) => m[1]!.replace(/\+$/, "0")))];
    ifaces.push("eth0", "lo");
    const ports = [...new Set([...text.matchAll(/(?:--dports?|--sports?|--to-ports|:)\s?(\d{1,5})\b/g)].map((m) => Number(m[1])).filter((n) => n <= 65535))];
    ports.push(22, 80, 443, 53);
    const opts: ModelOptions = r() < 0.5 ? {} : { local: [addrs[Math.floor(r() * addrs.length)]!] };
    const model = new Model(ruleset, opts);
    const tracer = new FastTracer(model);
    const tally: Tally = { compared: 0, fast: 0 };
    const any = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    for (let k = 0; k < 300; k++) {
      const proto = any(["tcp", "tcp", "udp", "icmp", v6 ? "ipv6-icmp" : "gre"]);
      const spec: PacketSpec = {
        ...(r() < 0.8 ? { in: any(ifaces) } : {}),
        ...(r() < 0.2 ? { out: any(ifaces) } : {}),
        src: any(addrs),
        dst: any(addrs),
        proto,
        ...(r() < 0.3 ? { sport: any(ports) } : {}),
        ...(r() < 0.85 ? { dport: any(ports) } : {}),
        state: any(["NEW", "NEW", "NEW", "ESTABLISHED", "RELATED", "INVALID"]),
      };
      check(model, tracer, spec, tally, basename(file));
    }
    overall.compared += tally.compared;
    overall.fast += tally.fast;
    console.log(`${basename(file)}: ${tally.fast} of ${tally.compared} packets on the concrete path`);
    expect(tally.compared).toBe(300);
  });

  it("answers most corpus packets on the concrete path", () => {
    console.log(`corpus: ${overall.fast} of ${overall.compared} packets on the concrete path`);
    expect(overall.compared).toBe(files.length * 300);
    expect(overall.fast / overall.compared).toBeGreaterThan(0.7);
  });
});

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
