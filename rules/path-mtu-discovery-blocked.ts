import type { Step } from "../src/model/engine.js";
import { hostSample } from "../src/model/exposure.js";
import { containerConnectionError, containerSample, droppedOnEvery, hostReceives, hostUsesNetwork, remoteAddress, uplinks } from "../src/model/host.js";
import { MODEL_ANALYSIS, modelOf } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";
import { acceptEstablishedFirst } from "./_first-rule.js";
import { stepKey, stepSpan, stepText } from "./_steps.js";

/** The ICMP message path MTU discovery needs, per family. */
const MTU_MESSAGE = {
  ipv4: { proto: "icmp", type: "fragmentation-needed", name: 'ICMP "fragmentation needed" (type 3, code 4)', accept: "-A INPUT -p icmp -m icmp --icmp-type fragmentation-needed -j ACCEPT" },
  ipv6: { proto: "ipv6-icmp", type: "packet-too-big", name: 'ICMPv6 "packet too big" (type 2)', accept: "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type packet-too-big -j ACCEPT" },
} as const;

export default defineRule({
  id: "path-mtu-discovery-blocked",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "warning",
  description: 'INPUT drops the ICMP "fragmentation needed" / ICMPv6 "packet too big" messages about the host\'s connections: over a path with a smaller MTU they hang',
  tags: ["icmp", "conntrack", "correctness"],
  precision: "high",
  docs: {
    rationale: [
      "A host sends full-size packets that routers may not fragment (TCP sets Don't Fragment; IPv6 routers never fragment). Where a link on the path has a smaller MTU (a VPN, PPPoE, a tunnel, a cloud overlay), the router drops such a packet and tells the sender with an ICMP \"fragmentation needed\" (IPv4) or ICMPv6 \"packet too big\" message, and the sender lowers its packet size: path MTU discovery. A ruleset that drops these messages makes a black hole: the connection is set up, small exchanges work, and it hangs as soon as data fills a packet (a TLS certificate, a download, an `ssh` session's first screen).",
      "conntrack marks these messages RELATED to the connection they are about, so `-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` ahead of any ICMP DROP accepts them. `--ctstate ESTABLISHED` alone does not, and neither does a ruleset that drops all ICMP (`-p icmp -j DROP`, to hide from ping) before it. RFC 4890 lists \"packet too big\" among the ICMPv6 messages that must never be dropped.",
      "On a Docker host the same holds for the containers' connections: the message comes back to the host's address, conntrack de-NATs it towards the container, and FORWARD passes it through DOCKER-USER before Docker's own RELATED,ESTABLISHED accept. `-I DOCKER-USER -p icmp -j DROP`, written to stop pings to containers, also stops it.",
      "fwlint checks this with the packet model: the message, RELATED, from a router on the internet to the host, on every interface the host is linked through, and (on a Docker host) about a container's connection. The finding names the rule or policy that drops it.",
    ].join("\n\n"),
    bad: "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p icmp -j DROP\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p icmp -j DROP\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: [
      "Not reported: a host closed to the network on purpose (INPUT accepts no new connection and no reply), and outcomes that depend on matches the model cannot know (`-m limit` on ICMP, sets).",
      "The messages must be dropped on every interface the host is linked through: those given as `externalInterfaces` in the facts, else every interface the ruleset names (bridges left out) and any other. On a Docker host the containers' connections are checked too (one container of the first bridge, its connection masqueraded out of each uplink, the message de-NATed back to it through FORWARD); other routed hosts are not.",
    ].join(" "),
  },
  check(ctx) {
    const { ast } = ctx;
    if (ast.tables.length === 0) return;
    const model = modelOf(ctx);
    const host = hostSample(model);
    if (host === null) return;
    const ifaces = uplinks(model);
    if (ifaces.length === 0) return;
    const m = MTU_MESSAGE[ast.family];
    const remote = remoteAddress(model);
    // the host's own connections: the message reaches the host
    let hostStep = droppedOnEvery(ifaces, (iface) => hostReceives(model, { src: remote, dst: host, proto: m.proto, icmpType: m.type, state: "RELATED" }, iface));
    if (hostStep && !hostUsesNetwork(model, ifaces, host)) hostStep = undefined;
    // a Docker host's containers: the message about their masqueraded connection is forwarded to them
    const container = containerSample(model);
    const ctStep = container ? droppedOnEvery(ifaces, (iface) => containerConnectionError(model, container, remote, iface, m)) : undefined;
    const fix = `Accept RELATED before any ICMP DROP (-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT), or accept the message itself (${m.accept})`;
    const effect = "path MTU discovery fails, and a TCP connection over a path with a smaller MTU (a VPN, PPPoE, a tunnel) hangs once its packets are full-size";
    const report = (step: Step, whose: string, cure: string, host: boolean) => {
      const span = stepSpan(ast, step);
      if (!span) return;
      const by = stepText(step, true);
      // for the host, a filter-table DROP is cured by RELATED accepted ahead of INPUT's rules
      const fix = host ? acceptEstablishedFirst(ast, ctx.text, "INPUT", step) : undefined;
      ctx.report({ message: `${by} drops ${m.name} messages about ${whose} (conntrack's RELATED): ${effect}. ${cure}`, span, ...(fix ? { suggestions: [fix] } : {}) });
    };
    const ctWhose = `the connections of the containers on ${container?.bridge ?? "the bridge"}`;
    const ctCure = `Accept the message before the DROP (for DOCKER-USER: ${m.accept.replace("-A INPUT", "-I DOCKER-USER")}), or drop only the ICMP you mean (echo-request)`;
    if (hostStep && ctStep && stepKey(hostStep) === stepKey(ctStep)) report(hostStep, `the host's own connections and ${ctWhose}`, fix, false);
    else {
      if (hostStep) report(hostStep, "the host's own connections", fix, true);
      if (ctStep) report(ctStep, ctWhose, ctCure, false);
    }
  },
});
