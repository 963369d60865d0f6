/**
 * Connections the raw table leaves untracked, in the model (src/model/conntrack.ts): the states conntrack
 * gives a connection's reply and the client's next packet when raw untracked some packets before them, the
 * connection mark of a packet without a connection, and the same answers from the concrete path of
 * `trace --packets`. test/untracked-kernel.test.ts checks the same scenarios on the kernel.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { answerTracking, followupTracking, replyTracking, UNEVEN_TRACKING } from "../src/model/conntrack.js";
import { FastTracer } from "../src/model/fast.js";
import { ST } from "../src/model/fields.js";
import { branch, journey } from "../src/model/engine.js";
import { Model, readsTcpFlags } from "../src/model/model.js";
import { answerOf, followupOf, packetOf, pathOf, renderTrace, replyOf, restrictTo, trace, type PacketSpec } from "../src/model/trace.js";
import { parse } from "../src/parse/index.js";
import { CORPUS } from "./support/corpus.js";
import { filter, mangle, raw } from "./support/tables.js";

const TCP = 6;
const UDP = 17;
const SCTP = 132;

describe("conntrack's view of a connection raw untracks in part", () => {
  it("gives the reply and the client's next packet the states the kernel gives them", () => {
    expect(replyTracking(TCP, false)).toEqual({ state: ST.ESTABLISHED, entry: "request", sure: true });
    expect(replyTracking(UDP, true)).toEqual({ state: ST.NEW, entry: "own", sure: true });
    expect(replyTracking(TCP, true)).toEqual({ state: ST.INVALID, entry: "none", sure: true });
    expect(replyTracking(SCTP, true).sure).toBe(false);
    expect(followupTracking(UDP, false, true)).toEqual({ state: ST.NEW, entry: "request", sure: true });
    expect(followupTracking(UDP, true, false)).toEqual({ state: ST.ESTABLISHED, entry: "reply", sure: true });
    expect(followupTracking(UDP, true, true)).toEqual({ state: ST.NEW, entry: "own", sure: true });
    expect(followupTracking(TCP, false, true)).toEqual({ state: ST.INVALID, entry: "none", sure: true });
    expect(followupTracking(TCP, true, false)).toEqual({ state: ST.NEW, entry: "own", sure: true });
    expect(followupTracking(SCTP, false, true).sure).toBe(false);
    expect(answerTracking(false, false, false)).toEqual({ state: ST.ESTABLISHED, entry: "request", sure: true });
    expect(answerTracking(true, false, false)).toEqual({ state: ST.ESTABLISHED, entry: "followup", sure: true });
    expect(answerTracking(true, true, true)).toEqual({ state: ST.NEW, entry: "own", sure: true });
    // after a tracked request and an untracked SYN-ACK, the request's entry (SYN_SENT ignores the reply's ACK);
    // after an untracked client's ACK alone it depends on who speaks first (SYN_RECV checks the window)
    expect(answerTracking(false, true, false)).toEqual({ state: ST.ESTABLISHED, entry: "request", sure: true });
    expect(answerTracking(false, true, true)).toEqual({ state: ST.ESTABLISHED, entry: "request", sure: true });
    expect(answerTracking(false, false, true).sure).toBe(false);
  });
});

const HOST = "10.98.0.1";
const CLIENT = "10.98.0.2";

function model(...blocks: string[][]): Model {
  return new Model(parse(`${blocks.flat().join("\n")}\n`), { local: [HOST], interfaces: ["eth0"], external: ["eth0"] });
}
const toHost = (proto: string, dport: number): PacketSpec => ({ in: "eth0", src: CLIENT, dst: HOST, proto, sport: 40000, dport });

/** The symbolic trace, after checking that the concrete path answers the same (when it answers). */
function traced(m: Model, spec: PacketSpec) {
  const t = trace(m, spec);
  const fast = new FastTracer(m).traceJson(spec);
  if (fast !== null) expect(JSON.parse(fast)).toEqual(JSON.parse(JSON.stringify(t.result)));
  return t.result;
}

describe("the model on connections raw untracks in part", () => {
  it("a DNS server untracked on the way in only: the answer is NEW in OUTPUT", () => {
    const m = model(filter("ACCEPT", "DROP", ["-A OUTPUT -m conntrack --ctstate ESTABLISHED,UNTRACKED -j ACCEPT"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"]));
    const r = traced(m, toHost("udp", 53));
    expect(r.verdict).toBe("ACCEPT");
    expect(r.reply?.verdict).toBe("DROP");
    expect(r.reply?.path.at(-1)).toMatchObject({ chain: "OUTPUT", line: null });
    expect(r.connection).toBe("closed");
    // the text names the state the reply has
    expect(renderTrace(m, toHost("udp", 53), trace(m, toHost("udp", 53)))).toMatch(/^Reply \(NEW, reverse of the rewritten tuple\)$/m);
    // untracked both ways, the answer is UNTRACKED and gets out
    const both = model(filter("ACCEPT", "DROP", ["-A OUTPUT -m conntrack --ctstate ESTABLISHED,UNTRACKED -j ACCEPT"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK", "-A OUTPUT -p udp -m udp --sport 53 -j NOTRACK"]));
    expect(traced(both, toHost("udp", 53)).connection).toBe("open");
  });

  it("a web server untracked on the way in only: its SYN-ACK is INVALID", () => {
    const m = model(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -m conntrack --ctstate INVALID -j DROP"]), raw(["-A PREROUTING -p tcp -m tcp --dport 80 -j NOTRACK"]));
    const r = traced(m, toHost("tcp", 80));
    expect(r.reply?.verdict).toBe("DROP");
    expect(r.reply?.path.at(-1)).toMatchObject({ chain: "OUTPUT", target: "DROP" });
    expect(r.connection).toBe("closed");
    expect(traced(m, toHost("tcp", 22)).connection).toBe("open");
  });

  it("the SYN-ACK untracked only: the client's ACK is INVALID, the server's data ESTABLISHED in the request's entry", () => {
    const dropInvalid = model(filter("ACCEPT", "ACCEPT", ["-A INPUT -m conntrack --ctstate INVALID -j DROP"]), raw(["-A OUTPUT -p tcp -m tcp --sport 22 -j NOTRACK"]));
    const r = traced(dropInvalid, toHost("tcp", 22));
    expect(r.reply?.verdict).toBe("ACCEPT");
    expect(r.followup?.verdict).toBe("DROP");
    expect(r.connection).toBe("closed");
    const open = traced(model(filter("ACCEPT", "ACCEPT", []), raw(["-A OUTPUT -p tcp -m tcp --sport 22 -j NOTRACK"])), toHost("tcp", 22));
    expect(open.connection).toBe("open");
    expect(open.unknown).toEqual([]);
    // only the SYN-ACK untracked (by its flags): the data is ESTABLISHED, which a DROP of ESTABLISHED data stops
    const synAck = raw(["-A OUTPUT -p tcp -m tcp --sport 22 --tcp-flags SYN,ACK SYN,ACK -j NOTRACK"]);
    const dataDropped = traced(model(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -p tcp -m tcp --tcp-flags SYN,ACK ACK -m conntrack --ctstate ESTABLISHED -j DROP"]), synAck), toHost("tcp", 22));
    expect([dataDropped.reply?.verdict, dataDropped.followup?.verdict, dataDropped.answer?.verdict, dataDropped.connection]).toEqual(["ACCEPT", "ACCEPT", "DROP", "closed"]);
    const newDropped = traced(model(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -p tcp -m tcp --tcp-flags SYN,ACK ACK -m conntrack --ctstate NEW,INVALID -j DROP"]), synAck), toHost("tcp", 22));
    expect(newDropped.connection).toBe("open");
  });

  it("the client's ACK untracked only: the server's data depends on who speaks first, and the model says it does not know", () => {
    const ack = raw(["-A PREROUTING -p tcp -m tcp --dport 22 --tcp-flags SYN,ACK ACK -j NOTRACK"]);
    const r = traced(model(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -p tcp -m tcp --tcp-flags SYN,ACK ACK -m conntrack --ctstate ESTABLISHED -j DROP"]), ack), toHost("tcp", 22));
    expect([r.reply?.verdict, r.followup?.verdict, r.connection]).toEqual(["ACCEPT", "ACCEPT", "unknown"]);
    expect(r.unknown).toEqual([UNEVEN_TRACKING]);
  });

  it("the server's first data packet: dropped by its TCP flags, or picked up as NEW after an untracked handshake", () => {
    // a rule on the flags of the server's packets that spares its SYN-ACK
    const flags = traced(model(filter("ACCEPT", "ACCEPT", ["-A OUTPUT -p tcp -m tcp --sport 80 --tcp-flags SYN,ACK ACK -j DROP"])), toHost("tcp", 80));
    expect(flags.reply?.verdict).toBe("ACCEPT");
    expect(flags.followup?.verdict).toBe("ACCEPT");
    expect(flags.answer?.verdict).toBe("DROP");
    expect(flags.connection).toBe("closed");
    // the whole handshake untracked on the way in, the SYN-ACK tracked (INVALID): the server's data is the
    // first packet conntrack takes up, NEW
    const untracked = (output: string[]) => model(filter("ACCEPT", "ACCEPT", output), raw(["-A PREROUTING -p tcp -m tcp --dport 80 -j NOTRACK"]));
    const picked = traced(untracked(["-A OUTPUT -p tcp -m conntrack --ctstate NEW -j REJECT"]), toHost("tcp", 80));
    expect(picked.reply?.verdict).toBe("ACCEPT");
    expect(picked.answer?.verdict).toBe("REJECT");
    expect(picked.connection).toBe("closed");
    const open = traced(untracked([]), toHost("tcp", 80));
    expect(open.connection).toBe("open");
    expect(open.unknown).toEqual([]);
    expect(traced(untracked([]), toHost("udp", 53)).answer).toBeNull();
  });

  it("-m connmark matches no packet without a connection, with ! or without, and CONNMARK leaves it alone", () => {
    const m = model(filter("ACCEPT", "ACCEPT", ["-A INPUT -m connmark --mark 0x0/0x1 -j DROP", "-A INPUT -m connmark ! --mark 0x0/0x1 -j DROP"]), raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"]));
    expect(traced(m, toHost("udp", 53)).verdict).toBe("ACCEPT");
    expect(traced(m, toHost("tcp", 80)).verdict).toBe("DROP");
    expect(traced(m, { ...toHost("tcp", 80), state: "INVALID" }).verdict).toBe("ACCEPT");
    const restore = model(
      filter("DROP", "ACCEPT", ["-A INPUT -m mark --mark 0x5 -j ACCEPT"]),
      mangle(["-A PREROUTING -j MARK --set-xmark 0x5/0xffffffff", "-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff"]),
      raw(["-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK"]),
    );
    expect(traced(restore, toHost("udp", 53)).verdict).toBe("ACCEPT");
    expect(traced(restore, toHost("tcp", 80)).verdict).toBe("DROP");
  });

  it("the host's own query untracked on the way out: the answer is a NEW connection of its own", () => {
    const rules = (accept: string[]) => model(filter("DROP", "ACCEPT", ["-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT", ...accept]), raw(["-A OUTPUT -p udp -m udp --dport 7002 -j NOTRACK"]));
    const own: PacketSpec = { src: HOST, dst: CLIENT, proto: "udp", sport: 40000, dport: 7002 };
    expect(traced(rules([]), own).connection).toBe("closed");
    // its conntrack tuple is its own, in the original direction
    const accepted = rules(["-A INPUT -p udp -m conntrack --ctstate NEW --ctdir ORIGINAL --ctorigsrc 10.98.0.2 --ctorigsrcport 7002 -j ACCEPT"]);
    expect(traced(accepted, own).connection).toBe("open");
    expect(traced(rules(["-A INPUT -p udp -m conntrack --ctstate NEW --ctorigsrc 10.98.0.1 -j ACCEPT"]), own).connection).toBe("closed");
  });
});

describe("a reply the client does not take", () => {
  // a host that publishes 9053/udp to a container and masquerades what the container sends out
  const nat = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", "-A PREROUTING -d 10.98.0.1/32 -p udp -m udp --dport 9053 -j DNAT --to-destination 172.17.0.2:53", "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", "COMMIT"];
  const routed = (...blocks: string[][]) => new Model(parse(`${blocks.flat().join("\n")}\n`), { local: [HOST, "172.17.0.1"], interfaces: ["eth0", "docker0"], external: ["eth0"] });
  const forward = filter("ACCEPT", "ACCEPT", []).map((l) => l.replace(":FORWARD DROP", ":FORWARD ACCEPT"));

  it("an answer raw leaves untracked misses conntrack's NAT: it comes from the container, not the published port", () => {
    const tracked = routed(forward, nat);
    expect(traced(tracked, toHost("udp", 9053)).connection).toBe("open");
    const untracked = routed(forward, nat, raw(["-A PREROUTING -i docker0 -p udp -m udp --sport 53 -j NOTRACK"]));
    const r = traced(untracked, toHost("udp", 9053));
    expect(r.reply?.verdict).toBe("ACCEPT");
    expect(r.connection).toBe("closed");
  });

  it("an answer that makes a connection of its own is masqueraded to the host's address on eth0", () => {
    // the client's query to the container itself, untracked on the way in: the answer is NEW and MASQUERADE
    // rewrites its source to 10.98.0.1 (eth0's address, not docker0's 172.17.0.1), which the client drops
    const m = routed(forward, nat, raw(["-A PREROUTING -i eth0 -p udp -m udp --dport 53 -j NOTRACK"]));
    const r = traced(m, { in: "eth0", src: CLIENT, dst: "172.17.0.2", proto: "udp", sport: 40000, dport: 53 });
    expect(r.reply?.path.at(-1)).toMatchObject({ table: "nat", chain: "POSTROUTING", target: "MASQUERADE" });
    expect(r.connection).toBe("closed");
    expect(r.unknown).toEqual([]);
  });
});

describe("the answer packet's shortcut", () => {
  it("without rules on TCP flags and with every packet tracked, the server's data fares exactly as the reply", () => {
    // trace and --packets reuse the reply then (readsTcpFlags): the full journey must agree
    const file = `${CORPUS}/docker-real/docker20.10-bridge-usernet-internal-published.rules`;
    const m = new Model(parse(readFileSync(file, "utf8")), { local: ["10.99.0.1"], interfaces: ["eth0"], external: ["eth0"] });
    expect(readsTcpFlags(m)).toBe(false);
    let compared = 0;
    for (const src of ["198.51.100.7", "10.99.0.2", "172.17.0.3"]) {
      for (const [dst, dport] of [["10.99.0.1", 8080], ["10.99.0.1", 8443], ["10.99.0.1", 2222], ["172.17.0.2", 80], ["10.99.0.1", 22]] as const) {
        const { p, j, proto } = packetOf(m, { in: src.startsWith("172.") ? "docker0" : "eth0", src, dst, proto: "tcp", sport: 40000, dport });
        for (const o of journey(m, branch(p), j).filter((x) => x.verdict === "ACCEPT")) {
          const r = replyOf(o, j, proto, m);
          for (const ro of journey(m, r.b, r.j).filter((x) => x.verdict === "ACCEPT")) {
            const f = followupOf({ ...o, b: o.b.withP(restrictTo(o.b.p, ro.b.p)) }, j, proto, ro);
            for (const x of journey(m, f.b, f.j).filter((y) => y.verdict === "ACCEPT")) {
              const a = answerOf({ ...o, b: o.b.withP(restrictTo(o.b.p, x.b.p)) }, ro, x, j, proto, m);
              const answers = journey(m, a.b, a.j);
              expect(answers.map((y) => [y.verdict, JSON.stringify(pathOf(y.b))])).toEqual([[ro.verdict, JSON.stringify(pathOf(ro.b))]]);
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(5);
    expect(readsTcpFlags(model(filter("ACCEPT", "ACCEPT", ["-A INPUT -p tcp -m tcp ! --syn -j ACCEPT"])))).toBe(true);
  });
});
