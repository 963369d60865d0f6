import type { Step } from "../src/model/engine.js";
import { acceptsSomethingNew, decidingStep, hostConnection, remoteAddress, sureVerdict, uplinks } from "../src/model/host.js";
import { hostSample } from "../src/model/exposure.js";
import { MODEL_ANALYSIS, modelOf } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";
import { acceptEstablished, acceptEstablishedFirst } from "./_first-rule.js";
import { SERVER_DATA, stepKey, stepSpan, stepText, untrackedReplyState, untrackingStep } from "./_steps.js";

/** Connections nearly every host opens itself (the kernel test opens the same). */
export const SERVICES = [
  { name: "DNS", proto: "udp", port: 53 },
  { name: "HTTPS", proto: "tcp", port: 443 },
  { name: "HTTP", proto: "tcp", port: 80 },
  { name: "NTP", proto: "udp", port: 123 },
] as const;

type Service = (typeof SERVICES)[number];

const ACCEPT_REPLIES = acceptEstablished("INPUT");

const serviceText = (s: Service) => `${s.name} (${s.proto} ${s.port})`;

function listText(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export default defineRule({
  id: "input-blocks-replies",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "warning",
  description: "The host's own connections get no replies: OUTPUT lets them out, INPUT drops what comes back",
  tags: ["conntrack", "policy", "correctness"],
  precision: "high",
  docs: {
    rationale: [
      "A default-deny INPUT (`:INPUT DROP`, or a final DROP) drops every packet no rule accepts, and that includes the answers to connections the host opens itself: DNS lookups, package downloads, NTP, calls to APIs. OUTPUT lets the request out, the server answers, and INPUT drops the answer, so these connections hang until they time out. The usual cure is the first rule of INPUT: `-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, which accepts the packets of connections already let through (and the ICMP errors about them).",
      "fwlint checks this with the packet model: for DNS (udp 53), HTTPS (tcp 443), HTTP (tcp 80) and NTP (udp 123) to a server on the internet, it follows the host's request through OUTPUT and POSTROUTING and, when it is let out, the server's reply (ESTABLISHED, from the server's port to the host's ephemeral port) back through PREROUTING and INPUT. The finding names the connections whose replies are dropped and the rule or policy that drops them. A stateless ruleset that accepts the replies by their ports (`-p udp --sport 53 -j ACCEPT`, `-p tcp ! --syn -j ACCEPT`) passes, as the kernel would let them in.",
      "A TCP connection needs more than its SYN-ACK: a ruleset that accepts SYN-ACKs by their flags (`-p tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT`) and drops the data after them hangs every such connection, and the finding says the data is dropped. The classic stateless accept, `-p tcp ! --syn -j ACCEPT`, lets the data in and passes.",
      "A request the raw table leaves untracked (`-t raw -A OUTPUT -p udp --dport 53 -j NOTRACK`) has no connection for its reply to belong to: conntrack sees the reply first, so a UDP reply is NEW and a TCP SYN-ACK INVALID, and `RELATED,ESTABLISHED,UNTRACKED` does not accept it. The finding then names the raw rule; untrack the replies too (`-t raw -A PREROUTING -p udp --sport 53 -j NOTRACK`).",
    ].join("\n\n"),
    bad: "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    exceptions: [
      "Not reported: connections OUTPUT does not let out (an egress allowlist that keeps the host from the internet), connections whose replies INPUT lets in from some sources (a host meant to use only given servers, `-s 192.0.2.123 -p udp --sport 123 -j ACCEPT`, or a trusted network, `-s 10.0.0.0/8 -j ACCEPT`), a host that accepts no new connection at all (a ruleset that closes the host, or IPv6, on purpose), and outcomes that depend on matches the model cannot know (`-m recent`, `-m limit`, sets).",
      "Replies must be dropped on every interface the host could reach the internet through: those given as `externalInterfaces` in the facts, else every interface the ruleset names (bridges left out) and any other. A ruleset that accepts everything from a trusted LAN interface is reported only when the facts say which interface is the uplink.",
    ].join(" "),
  },
  check(ctx) {
    const { ast } = ctx;
    if (ast.tables.length === 0) return;
    const model = modelOf(ctx);
    const src = hostSample(model);
    if (src === null) return;
    const dst = remoteAddress(model);
    const ifaces = uplinks(model);
    if (ifaces.length === 0) return;
    // the step that drops each service's replies (the first uplink's), for services dropped on every uplink
    const dropped = new Map<Service, Step>();
    // the services whose SYN-ACK gets in while the server's data after it is dropped (a rule on TCP flags)
    const dataOnly = new Set<Service>();
    // the raw rule that leaves a service's requests untracked (its replies are then NEW or INVALID)
    const untracked = new Map<Service, Step>();
    let sent = false;
    for (const service of SERVICES) {
      let step: Step | undefined;
      let all = true;
      for (const oif of ifaces) {
        const c = hostConnection(model, { src, dst, proto: service.proto, dport: service.port }, oif);
        if (sureVerdict(c.request) !== "ACCEPT") {
          all = false;
          break;
        }
        sent = true;
        // the replies, or (TCP) the server's data after replies that got in
        const v = sureVerdict(c.replies);
        const data = v === "ACCEPT" ? sureVerdict(c.data) : null;
        const stops = (x: string | null) => x === "DROP" || x === "REJECT";
        if (!stops(v) && !stops(data)) {
          all = false;
          break;
        }
        if (!step) {
          step = decidingStep(stops(v) ? c.replies[0]! : c.data[0]!);
          if (!stops(v)) dataOnly.add(service);
          const raw = untrackingStep(c.request[0]!);
          if (raw) untracked.set(service, raw);
        }
      }
      if (all && step) dropped.set(service, step);
    }
    // a ruleset that lets replies in from some servers (those the host is meant to use, a trusted network)
    // restricts the host on purpose
    for (const service of [...dropped.keys()]) {
      const answered = ifaces.some((oif) => {
        const c = hostConnection(model, { src, dst, proto: service.proto, dport: service.port }, oif, true);
        // data that gets in (for each reply: the reply itself where the data fares as it, UNKNOWN where not known)
        return c.data.some((o) => o.verdict !== "DROP" && o.verdict !== "REJECT");
      });
      if (answered) dropped.delete(service);
    }
    if (!sent || dropped.size === 0) return;
    if (!acceptsSomethingNew(model, ifaces)) return;
    // one finding per dropping rule or policy
    const byStep = new Map<string, { step: Step; raw: Step | undefined; data: boolean; services: Service[] }>();
    for (const [service, step] of dropped) {
      const raw = untracked.get(service);
      const data = dataOnly.has(service);
      const key = `${stepKey(step)} ${raw ? stepKey(raw) : ""}${data ? " data" : ""}`;
      const g = byStep.get(key) ?? { step, raw, data, services: [] };
      g.services.push(service);
      byStep.set(key, g);
    }
    for (const { step, raw, data, services } of byStep.values()) {
      const what = listText(services.map(serviceText));
      const by = stepText(step);
      const span = stepSpan(ast, step);
      if (!span) continue;
      if (data) {
        const fix = raw ? undefined : acceptEstablishedFirst(ast, ctx.text, "INPUT", step);
        ctx.report({
          message: `The host's own connections get no data: OUTPUT lets out ${what} to servers on the internet, but ${by} drops ${SERVER_DATA}, so such connections hang. ${raw ? `${stepText(raw, true)} leaves the requests untracked: accept the data before that rule` : `Accept the packets of established connections early in INPUT: ${ACCEPT_REPLIES}`}`,
          span,
          ...(raw ? { related: [{ span: raw.krule!.rule.span, message: "Leaves the requests untracked" }] } : {}),
          ...(fix ? { suggestions: [fix] } : {}),
        });
        continue;
      }
      if (raw) {
        // the requests left untracked: conntrack sees the reply first (UDP: NEW; TCP's SYN-ACK: INVALID)
        const state = untrackedReplyState(new Set(services.map((x) => x.proto)));
        const first = services[0]!;
        ctx.report({
          message: `The host's own connections get no replies: OUTPUT lets out ${what} to servers on the internet, which ${stepText(raw)} leaves untracked, but each reply is tracked: it is ${state}, and ${by} drops it, so such connections hang. Untrack the replies too (-t raw -A PREROUTING -p ${first.proto} --sport ${first.port} -j NOTRACK) or do not untrack the requests`,
          span,
          related: [{ span: raw.krule!.rule.span, message: "Leaves the requests untracked" }],
        });
        continue;
      }
      // a DROP in the filter table is cured by the accept ahead of INPUT's rules (not one in raw or mangle)
      const fix = acceptEstablishedFirst(ast, ctx.text, "INPUT", step);
      ctx.report({
        message: `The host's own connections get no replies: OUTPUT lets out ${what} to servers on the internet, and ${by} drops what they send back, so such connections hang. Accept the packets of established connections early in INPUT: ${ACCEPT_REPLIES}`,
        span,
        ...(fix ? { suggestions: [fix] } : {}),
      });
    }
  },
});
