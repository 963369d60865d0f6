/**
 * `docker-nftables-backend-conflict` against the kernel: Docker 29's own nftables rules for a published port
 * (moby's generated documentation, loaded with the real nft) and an iptables ruleset beside them, loaded with
 * the real iptables-restore. A client connects to the published port; fwlint's warning about a FORWARD
 * policy DROP must hold exactly when the connection fails, and its error about an unjumped DOCKER-USER exactly
 * when a DROP there does not stop the connection. Runs as root with iptables, nft and iproute2; skipped
 * elsewhere with the reason.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CORPUS } from "./support/corpus.js";
import { runProject } from "./support/rule-run.js";
import { kernelAvailable, kernelSkipReason } from "./support/kernel.js";
import { Topology, type TopologySpec } from "./support/topology.js";

const NFT_FILE = `${CORPUS}/docker/nftablesdoc_usernet-portmap__docker-29.0.0_to_29.7.2+master.nft`;
const nftAvailable = spawnSync("nft", ["--version"]).status === 0;

/** Docker's table, as moby generated it; nft 1.0.6 does not take `priority dstnat` on the output hook. */
const dockerNft = () => readFileSync(NFT_FILE, "utf8").replace("type nat hook output priority dstnat;", "type nat hook output priority -100;");

const TOPOLOGY: TopologySpec = {
  bridges: [{ name: "bridge1", gateway: "192.0.2.1/24" }],
  containers: [{ name: "c1", bridge: "bridge1", addr: "192.0.2.2/24", tcp: [80] }],
  clients: [{ name: "cl", hostIf: "eth0", hostAddr: "10.96.0.1/24", addrs: ["10.96.0.2/24"] }],
};

const filter = (forward: string, lines: readonly string[]) =>
  ["*filter", ":INPUT ACCEPT [0:0]", `:FORWARD ${forward} [0:0]`, ":OUTPUT ACCEPT [0:0]", ":DOCKER-USER - [0:0]", ...lines, "COMMIT", ""].join("\n");
const DROP_CLIENT = "-A DOCKER-USER -i eth0 -s 10.96.0.2/32 -j DROP";

const CASES: { name: string; text: string; open: boolean; found: string[] }[] = [
  { name: "FORWARD ACCEPT", text: filter("ACCEPT", []), open: true, found: [] },
  { name: "FORWARD DROP left over", text: filter("DROP", []), open: false, found: ["warning"] },
  { name: "FORWARD DROP accepting the bridge", text: filter("DROP", ["-A FORWARD -o bridge1 -j ACCEPT", "-A FORWARD -i bridge1 -j ACCEPT"]), open: true, found: [] },
  { name: "DOCKER-USER DROP, not jumped", text: filter("ACCEPT", [DROP_CLIENT]), open: true, found: ["error"] },
  { name: "DOCKER-USER DROP, jumped from FORWARD", text: filter("ACCEPT", ["-A FORWARD -j DOCKER-USER", DROP_CLIENT]), open: false, found: [] },
];

describe.skipIf(!kernelAvailable || !nftAvailable)("docker-nftables-backend-conflict agrees with the kernel", () => {
  it("warns exactly when Docker's accept is undone by FORWARD, and errs exactly when DOCKER-USER filters nothing", async () => {
    const topo = await Topology.build(TOPOLOGY);
    try {
      const host = topo.nsOf("host");
      const nft = spawnSync("ip", ["netns", "exec", host, "nft", "-f", "-"], { input: dockerNft(), encoding: "utf8" });
      expect(nft.stderr).toBe("");
      for (const c of CASES) {
        topo.restore(c.text);
        const [r] = await topo.probe("cl", [{ id: 0, proto: "tcp", src: "10.96.0.2", dst: "10.96.0.1", port: 8080, timeout: 1500 }]);
        const found = runProject("docker-nftables-backend-conflict", [
          { text: '{ "firewall-backend": "nftables" }', filePath: "daemon.json" },
          { text: c.text, filePath: "rules.v4" },
        ]).map((f) => f.diagnostic.severity);
        expect({ case: c.name, open: r!.open, found }).toEqual({ case: c.name, open: c.open, found: c.found });
      }
    } finally {
      topo.dispose();
    }
  }, 120_000);
});

describe.skipIf(kernelAvailable && nftAvailable)("docker-nftables-backend-conflict against the kernel", () => {
  it.skip(`needs root, iptables, nft and iproute2: ${kernelAvailable ? "nft is not installed" : kernelSkipReason}`, () => {});
});
