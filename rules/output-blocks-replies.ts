import { formatAddress } from "../src/model/addr.js";
import { portsText } from "../src/model/exposure.js";
import { CONNECTION_PROTOCOLS } from "../src/model/fields.js";
import { deadServices, decidingStep, plainest } from "../src/model/host.js";
import { MODEL_ANALYSIS, modelOf, trace } from "../src/model/index.js";
import type { Outcome } from "../src/model/engine.js";
import { stateName } from "../src/model/trace.js";
import { defineRule } from "../src/rule.js";
import { acceptEstablished, acceptEstablishedFirst } from "./_first-rule.js";
import { SERVER_DATA, stepSpan, stepText, untrackedReplyState, untrackingStep } from "./_steps.js";

const SSH = 22;
const LET_OUT_REPLIES = acceptEstablished("OUTPUT");

export default defineRule({
  id: "output-blocks-replies",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "error",
  description: "INPUT accepts connections to a port of the host, but OUTPUT drops every reply: no connection to it can complete",
  tags: ["conntrack", "policy", "correctness", "lockout"],
  precision: "high",
  docs: {
    rationale: [
      "An egress allowlist (`:OUTPUT DROP` with a few ACCEPT rules) drops the host's answers too: the SYN-ACK of a TCP connection to a port INPUT accepts, the reply to a UDP request. The port then looks open in INPUT and every connection to it fails. For SSH this is the classic lockout: restore the ruleset over SSH and the session, and every new one, hangs.",
      "The usual cure is the first rule of OUTPUT: `-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, which lets out the packets of connections already accepted.",
      "A request the raw table leaves untracked (`-t raw -A PREROUTING -p udp --dport 53 -j NOTRACK`, a common tuning for DNS servers) has no connection for its reply to belong to: conntrack sees the reply first, so a UDP reply is NEW and a TCP SYN-ACK INVALID, and `RELATED,ESTABLISHED,UNTRACKED` does not let it out. The finding then names the raw rule; untrack the replies too (`-t raw -A OUTPUT -p udp --sport 53 -j NOTRACK`).",
      "A TCP connection needs more than its SYN-ACK: a rule on TCP flags that lets the SYN-ACK out and drops the data after it (`-A OUTPUT -p tcp --sport 80 --tcp-flags SYN,ACK ACK -j DROP`) breaks it as surely. The finding then says the data is dropped, and names its conntrack state when raw leaves it untracked (RELATED,ESTABLISHED then does not let it out).",
      "fwlint checks this with the packet model, over sets: for every port some source can open a new connection to (on any interface), it follows the host's reply back out through OUTPUT and POSTROUTING, and for TCP the client's next packet and the host's first data packet after it. A port whose replies are dropped for every such connection is reported, at the rule (or policy) that accepts the connections, naming the one that drops the replies.",
    ].join("\n\n"),
    bad: "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A OUTPUT -o lo -j ACCEPT\n-A OUTPUT -p udp -m udp --dport 53 -j ACCEPT\n-A OUTPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A OUTPUT -o lo -j ACCEPT\n-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A OUTPUT -p udp -m udp --dport 53 -j ACCEPT\n-A OUTPUT -p tcp -m tcp --dport 443 -j ACCEPT\nCOMMIT\n",
    exceptions:
      "Only ports whose replies are dropped for every source and interface that can connect: a ruleset that answers some clients (`-A OUTPUT -d 10.0.0.0/8 -j ACCEPT`) and not others is not reported. Clients are taken to use source ports of Linux's ephemeral range (32768–60999, as `fwlint trace` assumes): an egress rule for a well-known port (`--dport 443`) does not let out the replies to them. TCP, UDP, and SCTP when a rule names it. Outcomes that depend on matches the model cannot know count as answered. Loopback (`-i lo`) is not checked.",
  },
  check(ctx) {
    const { ast } = ctx;
    if (ast.tables.length === 0) return;
    const model = modelOf(ctx);
    for (const dead of deadServices(model)) {
      const proto = CONNECTION_PROTOCOLS[dead.proto] ?? String(dead.proto);
      const { iface, src, dst, port } = dead.sample;
      let t;
      try {
        t = trace(model, { in: model.ifaces.sample(iface), src: formatAddress(model.family, src), dst: formatAddress(model.family, dst), proto: dead.proto, dport: port });
      } catch {
        continue;
      }
      // the outcomes that show it (an unknown match elsewhere can split the trace)
      const accepted = plainest(t.request, (o) => o.verdict === "ACCEPT");
      const stopped = (o: Outcome) => o.verdict === "DROP" || o.verdict === "REJECT";
      // the replies, or (TCP) the server's data after a SYN-ACK that got out
      const replyDropped = plainest(t.replies, stopped);
      const dropped = replyDropped ?? plainest(t.answers, stopped);
      const accept = accepted ? decidingStep(accepted) : undefined;
      const drop = dropped ? decidingStep(dropped) : undefined;
      if (!accept || !drop) continue;
      const span = stepSpan(ast, accept);
      if (!span) continue;
      const ports = portsText(dead.ports);
      const several = dead.ports.size() > 1;
      const by = stepText(drop);
      const what = accept.krule ? "This rule accepts" : `${accept.chain}'s policy ACCEPT accepts`;
      const ssh = dead.proto === 6 && dead.ports.has(SSH) ? " (for SSH: whoever restores this ruleset over SSH is locked out)" : "";
      // a request raw left untracked: its reply is a connection of its own (UDP: NEW) or none (TCP: INVALID),
      // which RELATED,ESTABLISHED does not let out
      const untracked = untrackingStep(accepted!);
      if (!replyDropped) {
        // the data is ESTABLISHED when every packet was tracked: accepting those early lets it out
        const established = stateName(dropped!) === "ESTABLISHED";
        const fix = established ? acceptEstablishedFirst(ast, ctx.text, "OUTPUT", drop) : undefined;
        ctx.report({
          message: `${what} new ${proto.toUpperCase()} connections to port${several ? "s" : ""} ${ports} of the host, but ${by} drops ${SERVER_DATA}, so no connection to ${several ? "them" : "it"} can complete${ssh}. ${established ? `Let the replies out early in OUTPUT: ${LET_OUT_REPLIES}` : `The data is ${stateName(dropped!)}${untracked ? ` (${stepText(untracked)} leaves the requests untracked)` : ""}: let it out before that rule`}`,
          span,
          related: [...(untracked ? [{ span: untracked.krule!.rule.span, message: "Leaves the requests untracked" }] : []), ...(drop.krule ? [{ span: drop.krule.rule.span, message: "Drops the server's data" }] : [])],
          ...(fix ? { suggestions: [fix] } : {}),
        });
        continue;
      }
      if (untracked) {
        const state = untrackedReplyState(new Set([proto]));
        ctx.report({
          message: `${what} new ${proto.toUpperCase()} connections to port${several ? "s" : ""} ${ports} of the host, which ${stepText(untracked)} leaves untracked, but each reply is tracked: it is ${state}, and ${by} drops it, so no connection to ${several ? "them" : "it"} can complete${ssh}. Untrack the replies too (-t raw -A OUTPUT -p ${proto} --sport ${dead.sample.port} -j NOTRACK) or do not untrack the requests`,
          span,
          related: [{ span: untracked.krule!.rule.span, message: "Leaves the requests untracked" }, ...(drop.krule ? [{ span: drop.krule.rule.span, message: "Drops the replies" }] : [])],
        });
        continue;
      }
      const fix = acceptEstablishedFirst(ast, ctx.text, "OUTPUT", drop);
      ctx.report({
        message: `${what} new ${proto.toUpperCase()} connections to port${several ? "s" : ""} ${ports} of the host, but ${by} drops every reply the host sends back, so no connection to ${several ? "them" : "it"} can complete${ssh}. Let the replies out early in OUTPUT: ${LET_OUT_REPLIES}`,
        span,
        ...(drop.krule ? { related: [{ span: drop.krule.rule.span, message: "Drops the replies" }] } : {}),
        ...(fix ? { suggestions: [fix] } : {}),
      });
    }
  },
});
