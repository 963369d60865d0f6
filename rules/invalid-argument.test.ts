import { afterEach, describe, expect, it } from "vitest";
import { restore, ruleTests, runRule } from "../test/support/rule-test.js";
import { forgetValueChecks, keptValueChecks, limitValueChecks } from "../src/catalog/index.js";
import rule from "./invalid-argument.js";

const filter = (...l: string[]) => restore("filter", ...l);

ruleTests(rule, [
  { name: "address octet out of range", text: filter("-A INPUT -s 10.0.0.300 -j DROP"), expect: ["2:13 error"] },
  { name: "prefix too long", text: filter("-A INPUT -d 10.0.0.0/33 -j DROP"), expect: ["2:13 error"] },
  { name: "IPv6 address in an IPv4 file", text: filter("-A INPUT -s 2001:db8::1 -j DROP"), family: "ipv4", expect: ["2:13 error"] },
  { name: "IPv4 address in an IPv6 file", text: filter("-A INPUT -s 10.0.0.1 -j DROP"), family: "ipv6", expect: ["2:13 error"] },
  { name: "port out of range and reversed range", text: filter("-A INPUT -p tcp --dport 70000 -j DROP", "-A INPUT -p tcp --sport 2000:1000 -j DROP"), expect: ["2:25 error", "3:25 error"] },
  { name: "more than 15 multiport ports", text: filter(`-A INPUT -p tcp -m multiport --dports ${Array.from({ length: 16 }, (_, k) => 1000 + k).join(",")} -j DROP`), expect: ["2:39 error"] },
  { name: "unknown conntrack state", text: filter("-A INPUT -m conntrack --ctstate NEWW -j DROP"), expect: ["2:33 error"] },
  { name: "unknown reject type", text: filter("-A INPUT -j REJECT --reject-with icmp-bogus"), expect: ["2:34 error"] },
  { name: "bad mark", text: restore("mangle", "-A PREROUTING -j MARK --set-mark 0xfoo"), expect: ["2:34 error"] },
  { name: "bad DNAT destination", text: restore("nat", "-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.2:99999"), expect: ["2:47 error"] },
  { name: "unknown protocol", text: filter("-A INPUT -p tcpp -j DROP"), expect: ["2:13 error"] },
  { name: "host bits cleared by the mask (warning)", text: filter("-A INPUT -s 10.0.0.1/8 -j DROP"), expect: ["2:13 warning"] },
  { name: "! with several addresses", text: filter("-A INPUT ! -s 10.0.0.1,10.0.0.2 -j DROP"), expect: ["2:10 error"] },
  {
    name: "valid look-alikes",
    text: filter(
      "-A INPUT -s 10.0.0.0/255.0.0.0 -d 192.0.2.1,192.0.2.2 -p 6 --dport 1024: -j ACCEPT",
      "-A INPUT -p tcp --sport :1023 -m conntrack --ctstate est,rel -j ACCEPT",
      "-A INPUT -p icmp --icmp-type echo-request -m limit --limit 5/m -j ACCEPT",
      "-A INPUT -j REJECT --reject-with host-unreach",
    ),
    expect: [],
  },
  { name: "an abbreviated reject type is taken (warning)", text: filter("-A INPUT -j REJECT --reject-with icmp-host-unreach"), expect: ["2:34 warning"], message: /abbreviation of icmp-host-unreachable/ },
  { name: "variables in scripts are not judged", format: "script", text: "iptables -A INPUT -s $TRUSTED -p tcp --dport $PORT -j ACCEPT\n", expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -s 10.0.0.256 -j DROP\n", expect: ["1:22 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -p tcp --dport 99999 -j ACCEPT\n", expect: ["2:25 error"] },
  { name: "udp ports above 65535 are cut to 16 bits (iptables accepts them)", text: filter("-A INPUT -p udp --dport 99999 -j ACCEPT"), expect: ["2:25 warning"] },
]);

describe("invalid-argument: value checks kept for the process", () => {
  afterEach(() => limitValueChecks());
  const errors = (text: string, family?: "ipv4" | "ipv6") => runRule(rule, text, undefined, family).map((d) => `${d.span.line}:${d.span.column} ${d.severity}`);

  it("are kept by family: one address, right in one file and wrong in the next", () => {
    forgetValueChecks();
    const text = filter("-A INPUT -s 10.0.0.1 -j DROP");
    expect(errors(text, "ipv4")).toEqual([]);
    expect(errors(text, "ipv6")).toEqual(["2:13 error"]);
    expect(errors(text, "ipv4")).toEqual([]);
  });

  it("are kept by option: the same text judged apart (tcp and udp ports, a comment)", () => {
    forgetValueChecks();
    expect(errors(filter("-A INPUT -p tcp --dport 99999 -j ACCEPT"))).toEqual(["2:25 error"]);
    expect(errors(filter("-A INPUT -p udp --dport 99999 -j ACCEPT"))).toEqual(["2:25 warning"]);
    expect(errors(filter("-A INPUT -m comment --comment 99999 -j ACCEPT"))).toEqual([]);
  });

  it("are reused by a second file, and dropped past their bound with the same answers", () => {
    forgetValueChecks();
    const rules = Array.from({ length: 40 }, (_, k) => `-A INPUT -s 10.0.${k}.${k % 2 ? 300 : 1} -j DROP`);
    const text = filter(...rules);
    const first = errors(text);
    expect(first).toHaveLength(20);
    const kept = keptValueChecks();
    expect(kept).toBeGreaterThanOrEqual(40);
    expect(errors(text)).toEqual(first);
    expect(keptValueChecks()).toBe(kept); // every value found, none checked again
    limitValueChecks(15);
    expect(errors(text)).toEqual(first);
    expect(keptValueChecks()).toBeLessThanOrEqual(15);
    expect(keptValueChecks()).toBeGreaterThan(0);
  });
});
