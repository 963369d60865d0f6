/**
 * `log-without-limit` against the kernel: a neighbour sends two bursts of UDP datagrams to the host, whose
 * LOG and NFLOG rules are reached with and without rate limits (on the rule, on the jump into its chain,
 * through a goto, with limit (low, and far above the rule's maxRate), hashlimit up to and above a rate, rate
 * classification, recent and statistic). A rule whose rate is bounded logs nothing of the second burst (its
 * token bucket is empty for an hour); one that is not logs some of it. fwlint must report exactly the LOG
 * rules that logged packets of the second burst, and with includeNflog the NFLOG ones too.
 * Runs as root with iptables, iproute2 and python3; skipped elsewhere with the reason.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { lintFiles } from "../src/lint.js";
import { run } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type TopologySpec } from "./support/topology.js";

const TOPOLOGY: TopologySpec = {
  bridges: [],
  containers: [],
  clients: [{ name: "cl", hostIf: "eth0", hostAddr: "10.93.0.1/24", addrs: ["10.93.0.2/24"] }],
};

/** Each LOG rule's prefix names it; port 9000 + k reaches the k-th case. */
const RULES = [
  "*filter",
  ":INPUT ACCEPT [0:0]",
  ":FORWARD ACCEPT [0:0]",
  ":OUTPUT ACCEPT [0:0]",
  ":limited - [0:0]",
  ":mid - [0:0]",
  ":logged - [0:0]",
  '-A INPUT -p udp -m udp --dport 9001 -j LOG --log-prefix "plain "',
  "-A INPUT -p udp -m udp --dport 9002 -m limit --limit 1/hour --limit-burst 3 -j limited",
  '-A limited -j LOG --log-prefix "jump-limited "',
  '-A INPUT -p udp -m udp --dport 9003 -m hashlimit --hashlimit-above 1/hour --hashlimit-burst 3 --hashlimit-name c -j LOG --log-prefix "above "',
  '-A INPUT -p udp -m udp --dport 9004 -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name d -j LOG --log-prefix "upto "',
  '-A INPUT -p udp -m udp --dport 9005 -m hashlimit ! --hashlimit-above 1/hour --hashlimit-burst 3 --hashlimit-name e -j LOG --log-prefix "not-above "',
  '-A INPUT -p udp -m udp --dport 9006 -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 3 --hashlimit-name f --hashlimit-rate-match -j LOG --log-prefix "rate-match "',
  "-A INPUT -p udp -m udp --dport 9007 -j mid",
  "-A mid -g logged",
  '-A logged -j LOG --log-prefix "goto "',
  "-A INPUT -p udp -m udp --dport 9008 -m recent --set --name r",
  '-A INPUT -p udp -m udp --dport 9008 -m recent --rcheck --hitcount 4 --name r -j LOG --log-prefix "recent "',
  '-A INPUT -p udp -m udp --dport 9009 -m statistic --mode nth --every 4 --packet 0 -j LOG --log-prefix "nth "',
  '-A INPUT -p udp -m udp --dport 9010 -m limit --limit 1/hour --limit-burst 2 -j LOG --log-prefix "limit "',
  // a limit far above maxRate: its bucket is full again before the second burst
  '-A INPUT -p udp -m udp --dport 9011 -m limit --limit 10000/sec --limit-burst 2 -j LOG --log-prefix "fast "',
  // NFLOG, reported with the option includeNflog (nothing listens on the group: the kernel still counts)
  '-A INPUT -p udp -m udp --dport 9012 -j NFLOG --nflog-group 5 --nflog-prefix "nflog "',
  '-A INPUT -p udp -m udp --dport 9013 -m limit --limit 1/hour --limit-burst 2 -j NFLOG --nflog-group 5 --nflog-prefix "nflog-limit "',
  "COMMIT",
  "",
].join("\n");
const PORTS = Array.from({ length: 13 }, (_, k) => 9001 + k);

const SEND = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in sys.argv[2:]:
    for _ in range(12):
        s.sendto(b"x", (sys.argv[1], int(port)))
`;

/** Packets each LOG rule matched, by its prefix. */
function logged(ns: string): Map<string, number> {
  const out = spawnSync("ip", ["netns", "exec", ns, "iptables-save", "-c"], { encoding: "utf8" }).stdout;
  const counts = new Map<string, number>();
  for (const m of out.matchAll(/^\[(\d+):\d+\] -A .* --(?:nf)?log-prefix "?([a-z-]+) "?(?: --nflog-group \d+)?$/gm)) counts.set(m[2]!, Number(m[1]));
  return counts;
}

describe.skipIf(!kernelAvailable)("log-without-limit agrees with the kernel", () => {
  it("reports exactly the LOG rules that keep logging a flood", async () => {
    const lines = RULES.split("\n");
    const prefixOf = (line: number) => /--(?:nf)?log-prefix "([a-z-]+) "/.exec(lines[line - 1]!)![1]!;
    const reported = run("log-without-limit", RULES).map((d) => prefixOf(d.span.line)).sort();
    const [withNflog] = lintFiles([{ text: RULES }], { config: { rules: { "log-without-limit": { severity: "warning", options: { includeNflog: true } } }, facts: {} } });
    const reportedNflog = withNflog!.messages.filter((m) => m.ruleId === "log-without-limit").map((d) => prefixOf(d.span.line)).sort();

    const topo = await Topology.build(TOPOLOGY);
    try {
      const host = topo.nsOf("host");
      topo.restore(RULES);
      const burst = () => {
        const sent = spawnSync("ip", ["netns", "exec", topo.nsOf("cl"), "python3", "-c", SEND, "10.93.0.1", ...PORTS.map(String)], { encoding: "utf8" });
        expect(sent.stderr).toBe("");
        return logged(host);
      };
      const first = burst();
      const second = burst();
      expect([...first.keys()].sort()).toEqual(["above", "fast", "goto", "jump-limited", "limit", "nflog", "nflog-limit", "not-above", "nth", "plain", "rate-match", "recent", "upto"]);
      // every LOG rule saw packets of the first burst, so a silent second burst is the limit's doing
      for (const [prefix, n] of first) expect({ prefix, logged: n > 0 }).toEqual({ prefix, logged: true });
      const kept = [...second].filter(([prefix, n]) => n > first.get(prefix)!).map(([prefix]) => prefix).sort();
      expect(kept).toEqual(["above", "fast", "goto", "nflog", "nth", "plain", "recent"]);
      expect(reported).toEqual(kept.filter((p) => p !== "nflog"));
      expect(reportedNflog).toEqual(kept);
    } finally {
      topo.dispose();
    }
  }, 60_000);
});

describe.skipIf(kernelAvailable)("log-without-limit against the kernel", () => {
  it.skip(`needs root, iptables, iproute2 and python3: ${kernelSkipReason}`, () => {});
});
