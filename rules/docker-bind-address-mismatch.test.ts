import { describe, expect, it } from "vitest";
import { dump, runProject } from "../test/support/rule-run.js";

const ID = "docker-bind-address-mismatch";
const dnat = (bridge: string, host = "") => `-A DOCKER ${host}! -i ${bridge} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`;

describe(ID, () => {
  it("reports in the dump, naming the daemon.json setting", () => {
    const found = runProject(ID, [
      { text: '{\n  "ip": "127.0.0.1"\n}\n', filePath: "/etc/docker/daemon.json" },
      { text: dump([], [dnat("docker0")]), filePath: "/srv/host.rules" },
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]!.file).toBe("/srv/host.rules");
    expect(found[0]!.diagnostic.message).toMatch(/although daemon\.json sets "ip": "127\.0\.0\.1" \(line 2\)/);
  });

  it("uses default-network-opts for other bridges and ip for the default one only", () => {
    const files = (daemon: string, bridge: string) => [
      { text: daemon, filePath: "daemon.json" },
      { text: dump([], [dnat(bridge)]), filePath: "host.rules" },
    ];
    expect(runProject(ID, files('{ "ip": "127.0.0.1" }', "br-0123456789ab"))).toEqual([]);
    expect(runProject(ID, files('{ "default-network-opts": { "bridge": { "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1" } } }', "br-0123456789ab"))).toHaveLength(1);
  });

  it("needs exactly one daemon.json and something to compare", () => {
    const rules = { text: dump([], [dnat("docker0")]), filePath: "host.rules" };
    expect(runProject(ID, [rules])).toEqual([]);
    expect(runProject(ID, [{ text: '{ "ip": "127.0.0.1" }', filePath: "a/daemon.json" }, { text: '{ "ip": "127.0.0.1" }', filePath: "b/daemon.json" }, rules])).toEqual([]);
    expect(runProject(ID, [{ text: '{ "ip": "127.0.0.1" }', filePath: "daemon.json" }, { text: dump([], [dnat("docker0", "-d 127.0.0.1/32 ")]), filePath: "host.rules" }])).toEqual([]);
  });
});
