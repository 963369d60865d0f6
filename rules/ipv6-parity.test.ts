import { describe, expect, it } from "vitest";
import { lintGroups } from "../src/lint.js";
import { readFileSync } from "node:fs";
import { CORPUS } from "../test/support/corpus.js";
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

  it("finds the accepting rule for an interface class (eth+ but not eth0, which a rule names on its own)", () => {
    const v6 = filter("DROP", ["-i eth0 -j DROP", "-i eth+ -p tcp -m tcp --dport 22 -j ACCEPT"]);
    const found = check(filter("DROP", []), v6);
    expect(found.map((f) => f.diagnostic.span.line)).toEqual([8]);
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

  it("compares the two families of one file: a firewall script, a dual-stack restore file", () => {
    const script = [
      "#!/bin/sh",
      "iptables -P INPUT DROP",
      "iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "iptables -A INPUT -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT",
      "ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT",
      "",
    ].join("\n");
    const found = runProject(ID, [{ text: script, filePath: "firewall.sh" }]);
    expect(found.map((f) => [f.file, f.diagnostic.span.line, f.diagnostic.message.replace(/, but.*?to every source/, "")])).toEqual([
      ["firewall.sh", 5, "Every IPv6 source can open tcp connections to the host's ports 1-65535: the host is open over IPv6 where its IPv4 firewall is not (the file never sets the IPv6 policy, which stays ACCEPT, the kernel's default)"],
      ["firewall.sh", 5, "Every IPv6 source can open udp connections to the host's ports 1-65535: the host is open over IPv6 where its IPv4 firewall is not (the file never sets the IPv6 policy, which stays ACCEPT, the kernel's default)"],
    ]);
    expect(found[0]!.diagnostic.message).toMatch(/but its IPv4 rules do not open them to every source/);
    const both = script.replace("ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT", "ip6tables -P INPUT DROP\nip6tables -A INPUT -s 2001:db8:1::/48 -p tcp --dport 22 -j ACCEPT");
    expect(runProject(ID, [{ text: both, filePath: "firewall.sh" }])).toEqual([]);
    const dual = ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]", "-4 -A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT", "-6 -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", "COMMIT", ""].join("\n");
    const [d] = runProject(ID, [{ text: dual, filePath: "host.rules" }]);
    expect(d!.diagnostic.span.line).toBe(6);
    expect(d!.diagnostic.message).toMatch(/^Every IPv6 source can open tcp connections to the host's port 22, but its IPv4 rules do not/);
  });

  it("finds what a real pair leaves open: DNS replies' source port over IPv6 lets in more ports (incrediblepbx)", () => {
    const read = (f: string) => ({ text: readFileSync(`${CORPUS}/real-world/${f}`, "utf8"), filePath: `pbx/${f}` });
    const found = runProject(ID, [read("incrediblepbx-firewall.rules.v4"), read("incrediblepbx-firewall.rules.v6")]);
    // IPv6 accepts --sport 53 to 1024:65535, IPv4 to 9999:65535 (and 4569 and 5353 to every source)
    expect(found.map((f) => [f.file, f.diagnostic.span.line, /ports? ([\d,-]*\d),? but/.exec(f.diagnostic.message)?.[1]])).toEqual([["pbx/incrediblepbx-firewall.rules.v6", 10, "1024-4568,4570-5352,5354-9998"]]);
    // the dual-stack file of the corpus opens nothing over IPv6 that it closes over IPv4
    expect(runProject(ID, [read("dual-stack-4-6-prefixed.rules")])).toEqual([]);
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
