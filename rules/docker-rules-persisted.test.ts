import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";
import { isPersisted } from "./docker-rules-persisted.js";

const ID = "docker-rules-persisted";
const DUMP = [
  "*nat",
  ":PREROUTING ACCEPT [0:0]",
  ":POSTROUTING ACCEPT [0:0]",
  ":DOCKER - [0:0]",
  "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
  "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
  "-A POSTROUTING -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE",
  "-A DOCKER -i docker0 -j RETURN",
  "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
  "COMMIT",
  "",
].join("\n");

describe(ID, () => {
  it("knows the files restored at boot", () => {
    for (const p of ["/etc/iptables/rules.v4", "rules.v6", "/etc/sysconfig/iptables", "/etc/sysconfig/ip6tables", "/etc/iptables/iptables.rules", "/etc/iptables.up.rules"]) expect(isPersisted(p, {}), p).toBe(true);
    for (const p of ["dump.save", "host.rules", "/tmp/rules.v4.bak", undefined]) expect(isPersisted(p, {}), String(p)).toBe(false);
    expect(isPersisted("host.rules", { persisted: true })).toBe(true);
    expect(isPersisted("/etc/iptables/rules.v4", { persisted: false })).toBe(false);
  });

  it("reports one finding per chain, describing Docker's runtime rules, and leaves the user's alone", () => {
    const found = run(ID, DUMP, { filePath: "/etc/iptables/rules.v4" });
    expect(found.map((d) => d.span.line)).toEqual([5, 6, 8]);
    expect(found[1]!.message).toMatch(/MASQUERADE of 172\.17\.0\.0\/16/);
    expect(found[1]!.message).not.toMatch(/192\.168\.122/);
    expect(found[2]!.message).toMatch(/These 2 rules in nat DOCKER/);
    expect(found[2]!.message).toMatch(/DNAT 8080\/tcp → 172\.17\.0\.2:80/);
    expect(found[2]!.related?.map((r) => r.span.line)).toEqual([9]);
  });

  it("is silent for dumps that are not restored at boot", () => {
    expect(run(ID, DUMP, { filePath: "live.save" })).toEqual([]);
  });
});
