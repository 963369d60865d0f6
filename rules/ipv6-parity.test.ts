import { describe, expect, it } from "vitest";
import { lintGroups } from "../src/lint.js";
import { runProject } from "../test/support/rule-run.js";

const ID = "ipv6-parity";

/** A filter table with INPUT and FORWARD policies and INPUT rules. */
const filter = (policy: "ACCEPT" | "DROP", input: readonly string[]) =>
  ["*filter", `:INPUT ${policy} [0:0]`, ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", "-A INPUT -i lo -j ACCEPT", "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", ...input.map((r) => `-A INPUT ${r}`), "COMMIT", ""].join("\n");

const V4 = filter("DROP", ["-p tcp -m tcp --dport 80 -j ACCEPT", "-s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT"]);
const check = (v4: string, v6: string, dir4 = "host", dir6 = "host") =>
  runProject(ID, [
    { text: v4, filePath: `${dir4}/rules.v4` },
    { text: v6, filePath: `${dir6}/rules.v6` },
  ]);

describe(ID, () => {
  it("reports a port that every IPv6 source reaches and IPv4 restricts, at the IPv6 rule that lets it in", () => {
    const v6 = filter("DROP", ["-p ipv6-icmp -j ACCEPT", "-p tcp -m tcp --dport 80 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);
    const found = check(V4, v6);
    expect(found).toHaveLength(1);
    expect(found[0]!.file).toBe("host/rules.v6");
    expect(found[0]!.diagnostic.span.line).toBe(9);
    expect(found[0]!.diagnostic.message).toBe(
      "Every IPv6 source can open tcp connections to the host's port 22, but rules.v4 does not open it to every source: the host is open over IPv6 where its IPv4 firewall is not",
    );
  });

  it("reports an IPv6 ruleset left open, per protocol, at the policy that accepts", () => {
    const found = check(V4, filter("ACCEPT", []));
    expect(found.map((f) => f.diagnostic.message.replace(/, but.*/, ""))).toEqual([
      "Every IPv6 source can open tcp connections to the host's ports 1-79,81-65535",
      "Every IPv6 source can open udp connections to the host's ports 1-65535",
    ]);
    expect(found.map((f) => f.diagnostic.span.line)).toEqual([2, 2]);
  });

  it("says nothing when IPv6 is as closed as IPv4 or more", () => {
    expect(check(V4, filter("DROP", ["-p ipv6-icmp -j ACCEPT", "-p tcp -m tcp --dport 80 -j ACCEPT", "-s 2001:db8:1::/48 -p tcp -m tcp --dport 22 -j ACCEPT"]))).toEqual([]);
    expect(check(V4, filter("DROP", []))).toEqual([]);
  });

  it("does not count a port that IPv4 might open to everyone (a match fwlint cannot evaluate)", () => {
    const v4 = filter("DROP", ["-p tcp -m tcp --dport 80 -j ACCEPT", "-p tcp -m tcp --dport 22 -m recent --rcheck --name ssh -j ACCEPT"]);
    const v6 = filter("DROP", ["-p tcp -m tcp --dport 80 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"]);
    expect(check(v4, v6)).toEqual([]);
  });

  it("compares Docker's published ports too", () => {
    const nat = (dnat: string) => ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ":DOCKER - [0:0]", "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER", `-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination ${dnat}`, "COMMIT", ""].join("\n");
    const fwd = (container: string, user: readonly string[]) =>
      ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", ":DOCKER - [0:0]", ":DOCKER-USER - [0:0]", "-A FORWARD -j DOCKER-USER", "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", "-A FORWARD -o docker0 -j DOCKER", "-A FORWARD -i docker0 -j ACCEPT", `-A DOCKER -d ${container} ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT`, ...user, "-A DOCKER-USER -j RETURN", "COMMIT", ""].join("\n");
    const v4 = nat("172.17.0.2:80") + fwd("172.17.0.2/32", ["-A DOCKER-USER -m conntrack --ctstate NEW ! -s 192.0.2.0/24 -j DROP"]);
    const v6 = nat("[fd00:d0::2]:80") + fwd("fd00:d0::2/128", []);
    const found = check(v4, v6);
    expect(found.map((f) => f.diagnostic.message.replace(/, but.*/, ""))).toEqual(["Every IPv6 source can open tcp connections to published port 8080"]);
    expect(found[0]!.diagnostic.span.line).toBe(20);
    const v6closed = nat("[fd00:d0::2]:80") + fwd("fd00:d0::2/128", ["-A DOCKER-USER -m conntrack --ctstate NEW ! -s 2001:db8::/32 -j DROP"]);
    expect(check(v4, v6closed)).toEqual([]);
  });

  it("pairs one IPv4 and one IPv6 ruleset per directory, and nothing else", () => {
    const open6 = filter("ACCEPT", []);
    expect(check(V4, open6, "a", "b")).toEqual([]);
    const three = runProject(ID, [
      { text: V4, filePath: "h/rules.v4" },
      { text: V4, filePath: "h/other.v4" },
      { text: open6, filePath: "h/rules.v6" },
    ]);
    expect(three).toEqual([]);
  });

  it("keeps files apart for --concurrency unless a directory holds both families", () => {
    const a = { text: V4, filePath: "fleet/a.rules" };
    const b = { text: V4, filePath: "fleet/b.rules" };
    expect(lintGroups([a, b])).toEqual([[0], [1]]);
    expect(lintGroups([a, b, { text: filter("ACCEPT", []), filePath: "fleet/c.v6" }])).toEqual([[0, 1, 2]]);
    expect(lintGroups([a, { text: filter("ACCEPT", []), filePath: "other/c.v6" }])).toEqual([[0], [1]]);
    // only the directory that holds both families is one group
    expect(lintGroups([a, { text: V4, filePath: "host/rules.v4" }, b, { text: filter("ACCEPT", []), filePath: "host/rules.v6" }])).toEqual([[0], [1, 3], [2]]);
  });
});
