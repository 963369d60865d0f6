import type { Step } from "../src/model/engine.js";
import { hostSample } from "../src/model/exposure.js";
import { droppedOnEvery, hostReceives, hostSends, hostUsesNetwork, uplinks } from "../src/model/host.js";
import { MODEL_ANALYSIS, modelOf } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";
import { stepKey, stepSpan, stepText } from "./_steps.js";

/** The link-local address of a neighbour on the link (a router, another host). */
const NEIGHBOUR = "fe80::1";
/** Where a router sends its periodic advertisements: all nodes on the link. */
const ALL_NODES = "ff02::1";
/** Where a host sends its router solicitations: all routers on the link. */
const ALL_ROUTERS = "ff02::2";
/** The host's own link-local address, which its router solicitations come from. */
const LINK_LOCAL = "fe80::2";
const ACCEPT_RS = "-A OUTPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-solicitation -j ACCEPT";

const MESSAGES = [
  { type: "neighbour-solicitation", number: 135, name: "neighbour solicitations" },
  { type: "neighbour-advertisement", number: 136, name: "neighbour advertisements" },
] as const;

interface Blocked {
  readonly dir: "in" | "out";
  readonly message: (typeof MESSAGES)[number];
  readonly step: Step;
}

export default defineRule({
  id: "neighbor-discovery-blocked",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "error",
  description: "An IPv6 ruleset drops ICMPv6 neighbour discovery: the host cannot reach anything on the link, its router included (router advertisements or the host's router solicitations dropped: a warning)",
  tags: ["ipv6", "icmpv6", "correctness"],
  precision: "high",
  docs: {
    rationale: [
      "IPv6 has no ARP: a host finds its neighbours' link-layer addresses with ICMPv6 neighbour solicitations (type 135) and advertisements (type 136), and ip6tables filters them like any other packet. An ip6tables ruleset with a default-deny INPUT that accepts only TCP ports and `RELATED,ESTABLISHED` drops them, and IPv6 stops working on the link: the neighbours cannot resolve the host's address, the host cannot resolve theirs, the router's included. RFC 4890 lists them among the ICMPv6 messages a host must not drop.",
      "`RELATED,ESTABLISHED` does not accept them: conntrack does not track neighbour discovery (its state is `UNTRACKED`), so they need a rule of their own: `-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT` and the same for `neighbour-advertisement` (and `router-advertisement` on a host that configures itself with SLAAC: without them it gets no address and no default route from its router, a warning), or `-A INPUT -p ipv6-icmp -j ACCEPT`. A default-deny OUTPUT needs the same for the host's own solicitations and advertisements, and for its router solicitations (`router-solicitation`, type 133), with which a SLAAC host asks its router for an advertisement as its link comes up instead of waiting minutes for the next periodic one (a warning).",
      "fwlint checks this with the packet model: a solicitation and an advertisement from a neighbour's link-local address to the host, and the host's own to the neighbour, each untracked, through the hooks of every interface the host is linked through. The finding names the messages dropped and the rule or policy that drops them.",
    ].join("\n\n"),
    bad: "==> rules.v6 <==\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "==> rules.v6 <==\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-advertisement -j ACCEPT\n-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: [
      "IPv6 rulesets only (IPv4 resolves neighbours with ARP, which iptables does not see). Not reported: a ruleset that closes the host to IPv6 on purpose (INPUT accepts no new connection and no reply), and outcomes that depend on matches the model cannot know. A rule that limits neighbour discovery to hop limit 255 (`-m hl --hl-eq 255`, as RFC 4890 advises) is such a match: fwlint does not know the packets' hop limit, so it stays silent there.",
      "Router advertisements (type 134) that come in dropped, or router solicitations (type 133) that go out (from the host's link-local address to ff02::2), are a warning: a host with static addresses and routes, or a router (which ignores them unless accept_ra is 2), does not need them; turn the rule off for such a file.",
      "The messages must be dropped on every interface the host is linked through: those given as `externalInterfaces` in the facts, else every interface the ruleset names (bridges left out) and any other. Only unicast messages to and from the host's address are followed: rules that tell multicast destinations (`ff02::/16`) apart are not checked.",
    ].join(" "),
  },
  check(ctx) {
    const { ast } = ctx;
    if (ast.family !== "ipv6" || ast.tables.length === 0) return;
    const model = modelOf(ctx);
    const host = hostSample(model);
    if (host === null) return;
    const ifaces = uplinks(model);
    if (ifaces.length === 0) return;
    const blocked: Blocked[] = [];
    for (const message of MESSAGES) {
      const base = { proto: "ipv6-icmp", icmpType: message.type, state: "UNTRACKED" } as const;
      for (const dir of ["in", "out"] as const) {
        const step = droppedOnEvery(ifaces, (iface) => (dir === "in" ? hostReceives(model, { ...base, src: NEIGHBOUR, dst: host }, iface) : hostSends(model, { ...base, src: host, dst: NEIGHBOUR }, iface)));
        if (step) blocked.push({ dir, message, step });
      }
    }
    const ra = droppedOnEvery(ifaces, (iface) => hostReceives(model, { proto: "ipv6-icmp", icmpType: "router-advertisement", state: "UNTRACKED", src: NEIGHBOUR, dst: ALL_NODES }, iface));
    const rs = droppedOnEvery(ifaces, (iface) => hostSends(model, { proto: "ipv6-icmp", icmpType: "router-solicitation", state: "UNTRACKED", src: LINK_LOCAL, dst: ALL_ROUTERS }, iface));
    if (blocked.length === 0 && !ra && !rs) return;
    if (!hostUsesNetwork(model, ifaces, host)) return;
    // the router messages: warnings, each at the rule or policy that drops it
    const routerMessages: [Step | undefined, (by: string) => string][] = [
      [
        ra,
        (by) =>
          `${by} drops the ICMPv6 router advertisements (type 134) of the host's router. A host that configures IPv6 from them (SLAAC, the default on a host that does not forward) gets no address and no default route from its router, and loses those it has when they expire. RELATED,ESTABLISHED does not accept them (conntrack does not track them): accept them by type, e.g. -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type router-advertisement -j ACCEPT`,
      ],
      [
        rs,
        (by) =>
          `${by} drops the ICMPv6 router solicitations (type 133) the host sends to its routers (ff02::2). A host that configures IPv6 from router advertisements (SLAAC) asks for one when its link comes up; with the question dropped it waits for the router's next periodic advertisement (up to 10 minutes with the usual MaxRtrAdvInterval of 600 s), without an IPv6 address or default route from it until then. RELATED,ESTABLISHED does not accept them (conntrack does not track them): accept them by type, e.g. ${ACCEPT_RS}`,
      ],
    ];
    for (const [step, message] of routerMessages) {
      const span = step && stepSpan(ast, step);
      if (span) ctx.report({ message: message(stepText(step!, true)), span, severity: "warning" });
    }
    // one finding per dropping rule or policy
    const byStep = new Map<string, Blocked[]>();
    for (const b of blocked) {
      const key = stepKey(b.step);
      byStep.set(key, [...(byStep.get(key) ?? []), b]);
    }
    for (const group of byStep.values()) {
      const { step } = group[0]!;
      const span = stepSpan(ast, step);
      if (!span) continue;
      const parts: string[] = [];
      for (const dir of ["in", "out"] as const) {
        const names = group.filter((b) => b.dir === dir).map((b) => `${b.message.name} (type ${b.message.number})`);
        if (names.length) parts.push(`${dir === "in" ? "from the host's neighbours" : "that the host sends"}: ${names.join(" and ")}`);
      }
      const by = stepText(step, true);
      const chain = group.some((b) => b.dir === "in") ? "INPUT" : "OUTPUT";
      ctx.report({
        message: `${by} drops ICMPv6 neighbour discovery ${parts.join("; and ")}. Without it IPv6 stops working on the link: the host and its neighbours, the router included, cannot find each other's link-layer addresses. RELATED,ESTABLISHED does not accept these messages (conntrack does not track them): accept them by type, e.g. -A ${chain} -p ipv6-icmp -m icmp6 --icmpv6-type neighbour-solicitation -j ACCEPT and the same for neighbour-advertisement`,
        span,
      });
    }
  },
});
