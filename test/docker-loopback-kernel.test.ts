/**
 * `docker-loopback-publish-exposed` against the kernel. A neighbour on the host's link sends a TCP SYN in a
 * frame to the host's MAC address with the loopback address as its destination (test/support/l2probe.py,
 * as in moby/moby#41872), to a port Docker published on 127.0.0.1 or ::1. The rule must report exactly the
 * ports the container answers for: Docker 20.10's IPv4 rules (DNAT before the kernel's routing refuses a
 * loopback destination), not Docker 29's (a raw-table DROP first), and not IPv6 (the kernel drops ::1 from
 * outside on arrival, before any hook). Runs as root with iptables, iproute2 and python3; skipped elsewhere
 * with the reason.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Family } from "../src/ast/iptables.js";
import { CORPUS } from "./support/corpus.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { run } from "./support/rule-run.js";
import { Topology, type TopologySpec } from "./support/topology.js";

const L2PROBE = fileURLToPath(new URL("./support/l2probe.py", import.meta.url));
const GOLDEN = (f: string) => readFileSync(`${CORPUS}/docker/moby-iptabler-golden_docker-29.0.0_to_master/hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=true__${f}.rules`, "utf8");

interface Case {
  readonly name: string;
  readonly family: Family;
  readonly topology: TopologySpec;
  readonly rules: string;
  /** The loopback address and port published, the client's and the host's address on the link. */
  readonly probe: { readonly dst: string; readonly port: number; readonly src: string; readonly host: string };
}

const D2010 = readFileSync(`${CORPUS}/docker-real/docker20.10-bridge-usernet-internal-published.rules`, "utf8");
const usernet: TopologySpec = {
  bridges: [{ name: "br-02516fb767bf", gateway: "172.18.0.1/16" }],
  containers: [{ name: "c2", bridge: "br-02516fb767bf", addr: "172.18.0.2/16", tcp: [9000] }],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: "10.99.0.1/24", addrs: ["10.99.0.2/24"], tcp: [], udp: [] }],
};
const dual: TopologySpec = {
  bridges: [{ name: "br-dummy", gateway: "192.168.0.1/24", gateway6: "fd49:efd7:54aa::fe/64" }],
  containers: [{ name: "c1", bridge: "br-dummy", addr: "192.168.0.2/24", addr6: "fd49:efd7:54aa::1/64", tcp: [80] }],
  clients: [{ name: "cl1", hostIf: "eth0", hostAddr: "10.99.0.1/24", hostAddr6: "fd00:99::1/64", addrs: ["10.99.0.2/24"], addrs6: ["fd00:99::2/64"], tcp: [], udp: [] }],
};

const CASES: readonly Case[] = [
  { name: "Docker 20.10, IPv4, 127.0.0.1:9000", family: "ipv4", topology: usernet, rules: D2010, probe: { dst: "127.0.0.1", port: 9000, src: "10.99.0.2", host: "10.99.0.1" } },
  { name: "Docker 29, IPv4, 127.0.0.1:8080 (raw DROP)", family: "ipv4", topology: dual, rules: GOLDEN("iptables"), probe: { dst: "127.0.0.1", port: 8080, src: "10.99.0.2", host: "10.99.0.1" } },
  { name: "Docker 29, IPv6, [::1]:8080", family: "ipv6", topology: dual, rules: GOLDEN("ip6tables"), probe: { dst: "::1", port: 8080, src: "fd00:99::2", host: "fd00:99::1" } },
];

/** Whether the container answers a SYN the client sends in a frame to the host's eth0 MAC (see l2probe.py). */
function l2probe(topo: Topology, src: string, dst: string, port: number, host: string): boolean {
  const mac = /link\/ether (\S+)/.exec(spawnSync("ip", ["-n", topo.nsOf("host"), "link", "show", "eth0"], { encoding: "utf8" }).stdout)![1]!;
  const r = spawnSync("ip", ["netns", "exec", topo.nsOf("cl1"), "python3", L2PROBE, "eth0", mac, src, dst, String(port), host], { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`l2probe failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { open: boolean }).open;
}

describe.skipIf(!kernelAvailable)("docker-loopback-publish-exposed agrees with the kernel", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const topo = await Topology.build(c.topology);
      try {
        topo.restore(c.rules, c.family);
        const kernel = l2probe(topo, c.probe.src, c.probe.dst, c.probe.port, c.probe.host);
        const reported = run("docker-loopback-publish-exposed", c.rules).length > 0;
        expect(reported, `kernel: ${kernel ? "open" : "closed"}`).toBe(kernel);
      } finally {
        topo.dispose();
      }
    }, 60_000);
  }

  it("the probe itself reaches a published port the rules let through (so a closed answer means something)", async () => {
    const topo = await Topology.build(dual);
    try {
      topo.restore(GOLDEN("ip6tables").replace("-d ::1/128 ! -i br-dummy", "! -i br-dummy"), "ipv6");
      expect(l2probe(topo, "fd00:99::2", "fd00:99::1", 8080, "fd00:99::1")).toBe(true);
    } finally {
      topo.dispose();
    }
  }, 60_000);
});

describe.skipIf(kernelAvailable)("docker-loopback-publish-exposed against the kernel", () => {
  it.skip(`needs root, iptables and iproute2: ${kernelSkipReason}`, () => {});
});
