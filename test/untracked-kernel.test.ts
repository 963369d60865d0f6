/**
 * Connections the raw table leaves untracked, on the kernel: a NOTRACK (or CT --notrack) rule in raw
 * PREROUTING or OUTPUT untracks some packets of a connection and not others, and conntrack gives the others
 * states of their own (src/model/conntrack.ts); and a TCP connection's fourth packet, the server's first
 * data, which a rule on TCP flags may drop while the SYN-ACK passes. Each scenario is a ruleset a host might really have (a DNS
 * server untracked on the way in only, a web server next to `--ctstate INVALID -j DROP`), the outcome the
 * kernel gives each connection, and `fwlint trace`'s: they must agree, and both must be the outcome named
 * here. Runs as root with iptables and iproute2; skipped elsewhere with the reason.
 */
import { describe, expect, it } from "vitest";
import { Model } from "../src/model/model.js";
import { trace } from "../src/model/trace.js";
import { UNEVEN_TRACKING } from "../src/model/conntrack.js";
import { parse } from "../src/parse/index.js";
import { filter, mangle, raw, text } from "./support/tables.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type Probe, type TopologySpec } from "./support/topology.js";

const HOST = "10.98.0.1";
const CLIENT = "10.98.0.2";
const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: `${HOST}/24`, addrs: [`${CLIENT}/24`], tcp: [7000], udp: [7002] }],
  host: { tcp: [22, 80], udp: [53] },
};

interface Connection {
  /** The client's connection to the host's port, or the host's own to the client's. */
  readonly from: "client" | "host";
  readonly proto: "tcp" | "udp";
  readonly port: number;
  /** The kernel's outcome, which fwlint must predict unless `fwlint` says it cannot. */
  readonly expect: "open" | "closed";
  /** "unknown": fwlint must say it does not know, and why. */
  readonly fwlint?: "unknown";
}

interface Scenario {
  readonly name: string;
  readonly rules: string;
  readonly connections: readonly Connection[];
}


const SCENARIOS: readonly Scenario[] = [
  {
    name: "a DNS server untracked on the way in only: its answer is a NEW connection, which OUTPUT drops",
    rules: text(filter("ACCEPT", "DROP", ["-A OUTPUT -m conntrack --ctstate ESTABLISHED,UNTRACKED -j ACCEPT"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"])),
    connections: [{ from: "client", proto: "udp", port: 53, expect: "closed" }],
  },
  {
    name: "the same server with its answers accepted as NEW",
    rules: text(filter("ACCEPT", "DROP", ["-A OUTPUT -m conntrack --ctstate ESTABLISHED,UNTRACKED -j ACCEPT", "-A OUTPUT -p udp -m udp --sport 53 -m conntrack --ctstate NEW -j ACCEPT"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"])),
    connections: [{ from: "client", proto: "udp", port: 53, expect: "open" }],
  },
  {
    name: "a DNS server untracked both ways: its answers are UNTRACKED",
    rules: text(filter("ACCEPT", "DROP", ["-A OUTPUT -m conntrack --ctstate ESTABLISHED,UNTRACKED -j ACCEPT"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK", "-A OUTPUT -p udp -m udp --sport 53 -j CT --notrack"])),
    connections: [{ from: "client", proto: "udp", port: 53, expect: "open" }],
  },
  {
    name: "a web server untracked on the way in only, next to a rule that drops INVALID: its SYN-ACK is INVALID",
    rules: text(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -m conntrack --ctstate INVALID -j DROP"]), raw(["-A PREROUTING -p tcp -m tcp --dport 80 -j NOTRACK"])),
    connections: [
      { from: "client", proto: "tcp", port: 80, expect: "closed" },
      { from: "client", proto: "tcp", port: 22, expect: "open" },
    ],
  },
  {
    name: "the SYN-ACK untracked only: the client's ACK is INVALID in a connection still in SYN_SENT",
    rules: text(filter("ACCEPT", "ACCEPT", ["-A INPUT -m conntrack --ctstate INVALID -j DROP"]), raw(["-A OUTPUT -p tcp -m tcp --sport 22 -j NOTRACK"])),
    connections: [
      { from: "client", proto: "tcp", port: 22, expect: "closed" },
      { from: "client", proto: "tcp", port: 80, expect: "open" },
    ],
  },
  {
    name: "a web server's handshake untracked on the way in: its first data packet is picked up as NEW, which OUTPUT rejects",
    rules: text(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -p tcp -m conntrack --ctstate NEW -j REJECT"]), raw(["-A PREROUTING -p tcp -m tcp --dport 80 -j NOTRACK"])),
    connections: [
      { from: "client", proto: "tcp", port: 80, expect: "closed" },
      { from: "client", proto: "tcp", port: 22, expect: "open" },
    ],
  },
  {
    name: "the same server with nothing dropped: open, each packet in the state conntrack gives it",
    rules: text(filter("ACCEPT", "ACCEPT", []), raw(["-A PREROUTING -p tcp -m tcp --dport 80 -j NOTRACK"])),
    connections: [{ from: "client", proto: "tcp", port: 80, expect: "open" }],
  },
  {
    name: "a rule on TCP flags that spares the SYN-ACK and drops the server's data",
    rules: text(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -p tcp -m tcp --sport 80 --tcp-flags SYN,ACK ACK -j DROP"]), raw([])),
    connections: [
      { from: "client", proto: "tcp", port: 80, expect: "closed" },
      { from: "client", proto: "tcp", port: 22, expect: "open" },
    ],
  },
  {
    name: "the server's packets untracked on the way out, every packet accepted: open",
    rules: text(filter("ACCEPT", "ACCEPT", []), raw(["-A OUTPUT -p tcp -m tcp --sport 22 -j NOTRACK"])),
    connections: [{ from: "client", proto: "tcp", port: 22, expect: "open" }],
  },
  // After a tracked request and an untracked SYN-ACK the server's first data packet is ESTABLISHED in the
  // request's entry (still in SYN_SENT, which ignores it): a DROP of ESTABLISHED data closes the connection, a
  // DROP of NEW and INVALID data does not. After an untracked client's ACK alone (SYN_RECV) it is INVALID
  // here, where the client speaks first and the server's data acknowledges data conntrack never saw; it would
  // be ESTABLISHED were the server to speak first, so fwlint must say it does not know.
  ...(["--sport 22 --tcp-flags SYN,ACK SYN,ACK", "--dport 22 --tcp-flags SYN,ACK ACK"] as const).flatMap((which) => {
    const untrack = which.startsWith("--sport") ? ["-A OUTPUT -p tcp -m tcp " + which + " -j NOTRACK"] : ["-A PREROUTING -p tcp -m tcp " + which + " -j NOTRACK"];
    const packet = which.startsWith("--sport") ? "the SYN-ACK" : "the client's ACK";
    return (["ESTABLISHED", "NEW,INVALID"] as const).map(
      (states): Scenario => ({
        name: `${packet} untracked only, the server's ${states} data dropped`,
        rules: text(filter("ACCEPT", "ACCEPT", [`-A OUTPUT -p tcp -m tcp --sport 22 --tcp-flags SYN,ACK ACK -m conntrack --ctstate ${states} -j DROP`]), raw(untrack)),
        connections: [
          which.startsWith("--sport")
            ? { from: "client", proto: "tcp", port: 22, expect: states === "ESTABLISHED" ? "closed" : "open" }
            : { from: "client", proto: "tcp", port: 22, expect: states === "ESTABLISHED" ? "open" : "closed", fwlint: "unknown" },
          { from: "client", proto: "tcp", port: 80, expect: "open" },
        ],
      }),
    );
  }),
  {
    name: "a connection mark on an untracked packet: CONNMARK sets nothing, and -m connmark ! --mark does not match",
    rules: text(filter("ACCEPT", "ACCEPT", ["-A INPUT -m connmark ! --mark 0x1 -j DROP"]), mangle(["-A PREROUTING -j CONNMARK --set-xmark 0x1/0xffffffff"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"])),
    connections: [
      { from: "client", proto: "udp", port: 53, expect: "open" },
      { from: "client", proto: "tcp", port: 80, expect: "open" },
    ],
  },
  {
    name: "CONNMARK --restore-mark leaves an untracked packet's mark as it is",
    rules: text(
      filter("DROP", "ACCEPT", ["-A INPUT -m mark --mark 0x5 -j ACCEPT"]),
      mangle(["-A PREROUTING -j MARK --set-xmark 0x5/0xffffffff", "-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff"]),
      raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"]),
    ),
    connections: [
      { from: "client", proto: "udp", port: 53, expect: "open" },
      { from: "client", proto: "tcp", port: 80, expect: "closed" },
    ],
  },
  {
    name: "-m connmark --mark 0x0/0x1 on an untracked packet does not match either",
    rules: text(filter("ACCEPT", "ACCEPT", ["-A INPUT -m connmark --mark 0x0/0x1 -j DROP"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"])),
    connections: [
      { from: "client", proto: "udp", port: 53, expect: "open" },
      { from: "client", proto: "tcp", port: 80, expect: "closed" },
    ],
  },
  {
    name: "the host's own query untracked on the way out: the answer is NEW, and INPUT accepts only ESTABLISHED",
    rules: text(filter("DROP", "ACCEPT", ["-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT"]), raw(["-A OUTPUT -p udp -m udp --dport 7002 -j NOTRACK"])),
    connections: [
      { from: "host", proto: "udp", port: 7002, expect: "closed" },
      { from: "host", proto: "tcp", port: 7000, expect: "open" },
    ],
  },
  {
    name: "the same answer accepted as a NEW connection of its own (--ctdir ORIGINAL)",
    rules: text(filter("DROP", "ACCEPT", ["-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT", "-A INPUT -p udp -m udp --sport 7002 -m conntrack --ctstate NEW --ctdir ORIGINAL -j ACCEPT"]), raw(["-A OUTPUT -p udp -m udp --dport 7002 -j NOTRACK"])),
    connections: [{ from: "host", proto: "udp", port: 7002, expect: "open" }],
  },
];

describe.skipIf(!kernelAvailable)("connections raw leaves untracked, on the kernel", () => {
  it(`agrees with the kernel on ${SCENARIOS.length} rulesets, and both give the outcome named`, async () => {
    const topo = await Topology.build(TOPOLOGY);
    const problems: string[] = [];
    let sport = 41000;
    try {
      for (const s of SCENARIOS) {
        topo.restore(s.rules);
        const model = new Model(parse(s.rules), { local: [HOST], interfaces: ["eth0"], external: ["eth0"] });
        const probes = s.connections.map((c, id): Probe => ({ id, proto: c.proto, src: c.from === "host" ? HOST : CLIENT, dst: c.from === "host" ? CLIENT : HOST, port: c.port, sport: sport++, timeout: 700 }));
        const byId = new Map<number, boolean>();
        for (const node of ["cl1", "host"] as const) {
          const mine = probes.filter((p) => (p.src === HOST) === (node === "host"));
          if (mine.length) for (const r of await topo.probe(node, mine)) byId.set(r.id, r.open);
        }
        s.connections.forEach((c, k) => {
          const p = probes[k]!;
          const kernel = byId.get(k)! ? "open" : "closed";
          const t = trace(model, { ...(c.from === "host" ? {} : { in: "eth0" }), src: p.src, dst: p.dst, proto: c.proto, sport: p.sport!, dport: c.port }).result;
          const what = `${s.name}: ${c.proto} ${p.src} → ${p.dst}:${c.port}`;
          if (kernel !== c.expect) problems.push(`${what}: the kernel says ${kernel}, the scenario ${c.expect}`);
          const said = c.fwlint ?? c.expect;
          if (t.connection !== said) problems.push(`${what}: fwlint trace says ${t.connection}, the scenario ${said} (the kernel ${kernel})`);
          if (said === "unknown" ? !t.unknown.includes(UNEVEN_TRACKING) : t.unknown.includes(UNEVEN_TRACKING)) problems.push(`${what}: trace's unknown is ${JSON.stringify(t.unknown)}`);
        });
      }
    } finally {
      topo.dispose();
    }
    expect(problems).toEqual([]);
  }, 120_000);
});

describe.skipIf(kernelAvailable)("connections raw leaves untracked, on the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
