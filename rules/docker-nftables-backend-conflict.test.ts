import { describe, expect, it } from "vitest";
import { run, runProject } from "../test/support/rule-run.js";

const ID = "docker-nftables-backend-conflict";
const NFT = '{\n  "firewall-backend": "nftables"\n}\n';
const filter = (forward: string, lines: readonly string[], chains: readonly string[] = ["DOCKER-USER"]) =>
  ["*filter", ":INPUT ACCEPT [0:0]", `:FORWARD ${forward} [0:0]`, ":OUTPUT ACCEPT [0:0]", ...chains.map((c) => `:${c} - [0:0]`), ...lines, "COMMIT", ""].join("\n");
const check = (daemon: string, rules: string, rulesPath = "rules.v4") => runProject(ID, [{ text: daemon, filePath: "daemon.json" }, { text: rules, filePath: rulesPath }]);

describe(ID, () => {
  it("reports DOCKER-USER rules nothing jumps to, at the first rule, naming the daemon.json line", () => {
    const [f, ...rest] = check(NFT, filter("ACCEPT", ["-A DOCKER-USER -i eth0 ! -s 192.0.2.0/24 -j DROP", "-A DOCKER-USER -i eth0 -p tcp --dport 5432 -j DROP"]));
    expect(rest).toEqual([]);
    expect(f!.file).toBe("rules.v4");
    expect(f!.diagnostic.span.line).toBe(6);
    expect(f!.diagnostic.severity).toBe("error");
    expect(f!.diagnostic.message).toMatch(/^daemon\.json line 2 selects Docker's nftables backend, which has no DOCKER-USER: Docker does not jump to it and nothing in FORWARD does, so the 2 rules of DOCKER-USER filter no container traffic/);
    expect(f!.diagnostic.related!.map((r) => r.span.line)).toEqual([7]);
  });

  it("accepts a DOCKER-USER that FORWARD reaches, directly or through a chain, and an empty one", () => {
    expect(check(NFT, filter("ACCEPT", ["-A FORWARD -j DOCKER-USER", "-A DOCKER-USER -i eth0 -j DROP"]))).toEqual([]);
    expect(check(NFT, filter("ACCEPT", ["-A FORWARD -j MINE", "-A MINE -j DOCKER-USER", "-A DOCKER-USER -i eth0 -j DROP"], ["DOCKER-USER", "MINE"]))).toEqual([]);
    expect(check(NFT, filter("ACCEPT", []))).toEqual([]);
  });

  it("warns of a FORWARD policy DROP that accepts nothing, not of one that accepts something", () => {
    const [f, ...rest] = check(NFT, filter("DROP", [], []));
    expect(rest).toEqual([]);
    expect(f!.diagnostic.span.line).toBe(3);
    expect(f!.diagnostic.severity).toBe("warning");
    expect(f!.diagnostic.message).toMatch(/^FORWARD's policy is DROP and nothing in FORWARD accepts, while daemon\.json line 2 selects Docker's nftables backend/);
    expect(check(NFT, filter("DROP", ["-A FORWARD -o br+ -j ACCEPT", "-A FORWARD -i br+ -j ACCEPT"], []))).toEqual([]);
  });

  it("checks IPv6 dumps too", () => {
    expect(check(NFT, filter("DROP", ["-A DOCKER-USER -i eth0 -j DROP"]), "rules.v6").map((f) => f.diagnostic.severity)).toEqual(["warning", "error"]);
  });

  it("says nothing for the iptables backend, without a daemon.json, or for a script", () => {
    const bad = filter("DROP", ["-A DOCKER-USER -i eth0 -j DROP"]);
    expect(check("{}", bad)).toEqual([]);
    expect(check('{ "firewall-backend": "iptables" }', bad)).toEqual([]);
    expect(run(ID, bad)).toEqual([]);
    expect(runProject(ID, [{ text: NFT, filePath: "daemon.json" }, { text: "#!/bin/sh\niptables -A DOCKER-USER -i eth0 -j DROP\n", filePath: "fw.sh", kind: "script" }])).toEqual([]);
  });
});
