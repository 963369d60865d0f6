import { toArray, type Outcome, type Step } from "../src/model/engine.js";
import { CONNECTION_PROTOCOLS } from "../src/model/fields.js";
import { decidingStep, forwardsWithoutReplies, plainest } from "../src/model/host.js";
import { MODEL_ANALYSIS, modelOf } from "../src/model/index.js";
import { defineRule } from "../src/rule.js";
import { acceptEstablished, acceptEstablishedFirst } from "./_first-rule.js";
import { SERVER_DATA, stepKey, stepSpan, stepText } from "./_steps.js";

const ACCEPT_REPLIES = acceptEstablished("FORWARD");
/** The step of the filter table that decided a path (the FORWARD rule or policy that accepted). */
function lastFilterStep(path: readonly Step[]): Step | undefined {
  for (let k = path.length - 1; k >= 0; k--) if (path[k]!.table === "filter") return path[k];
  return undefined;
}

export default defineRule({
  id: "forward-blocks-replies",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "error",
  description: "FORWARD lets new connections from one interface out through another, but drops every reply: no such connection can complete",
  tags: ["conntrack", "forwarding", "router", "correctness"],
  precision: "high",
  docs: {
    rationale: [
      "A router's FORWARD chain with a DROP policy needs two things for its LAN to reach the internet: a rule that lets the LAN's new connections out (`-i lan -o wan -j ACCEPT`) and one that lets their replies back in (`-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`). Without the second every connection is let out and never answered: it hangs.",
      "fwlint checks this with the packet model, over sets: for each pair of interfaces the ruleset names (loopback and Docker's bridges left out; Docker's own rules are checked by the docker rules), the new TCP and UDP connections FORWARD lets through from the first to the second, and their replies coming back (for TCP, also the server's first data packet after the SYN-ACK: a rule on TCP flags that lets SYN-ACKs back and not the data, `-i wan -o lan -p tcp --tcp-flags SYN,ACK SYN,ACK -j ACCEPT`, breaks the connections too). A pair whose connections are let through and none of whose replies get back is reported, at the rule that lets the connections through, naming the one that drops the replies.",
    ].join("\n\n"),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -i eth1 -o eth0 -j ACCEPT\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -i eth1 -o eth0 -j ACCEPT\nCOMMIT\n",
    exceptions:
      "Only pairs of interfaces the ruleset names, where the rules that let the connections through name the outgoing interface (`-o wan`): fwlint does not know the routes, so a rule with `-i wan -d 192.0.2.7` alone (a port forward) says nothing of which interface its packets leave by. And only when no reply to any connection between them gets back (a ruleset that answers some sources is not reported). Clients are taken to use source ports of Linux's ephemeral range (32768–60999). Outcomes that depend on matches the model cannot know count as answered.",
  },
  check(ctx) {
    const { ast } = ctx;
    if (ast.tables.length === 0) return;
    const model = modelOf(ctx);
    // one finding per pair of interfaces, naming its protocols
    const pairs = new Map<string, { from: number; to: number; protos: string[]; accept: Step; drop: Step; data: boolean }>();
    for (const d of forwardsWithoutReplies(model)) {
      const accepted = plainest(d.sample.request, (o) => o.verdict === "ACCEPT");
      const stopped = (o: Outcome) => o.verdict === "DROP" || o.verdict === "REJECT";
      // the replies, or (TCP) the server's data after a reply that got through
      const replyDropped = plainest(d.sample.replies, stopped);
      const dropped = replyDropped ?? plainest(d.sample.data, stopped);
      if (!accepted || !dropped) continue;
      // The model cannot know which interface routes a destination: only a pair the accepting path names
      // itself (`-o wan` on one of its rules) is a connection the ruleset means to let through.
      const path = toArray(accepted.b.path);
      if (!path.some((st) => st.table === "filter" && st.krule?.rule.criteria.some((c) => c.name === "-o" && !c.negated))) continue;
      const accept = lastFilterStep(path);
      const drop = decidingStep(dropped);
      if (!accept || !drop) continue;
      const data = !replyDropped;
      const key = `${d.from}>${d.to}${data ? " data" : ""}`;
      const proto = (CONNECTION_PROTOCOLS[d.proto] ?? String(d.proto)).toUpperCase();
      const g = pairs.get(key);
      if (g) g.protos.push(proto);
      else pairs.set(key, { from: d.from, to: d.to, protos: [proto], accept, drop, data });
    }
    for (const { from, to, protos, accept, drop, data } of pairs.values()) {
      const span = stepSpan(ast, accept);
      if (!span) continue;
      const [a, b] = [model.ifaces.label(from), model.ifaces.label(to)];
      const what = accept.krule ? "This rule lets" : `${accept.chain}'s policy ACCEPT lets`;
      const by = stepText(drop);
      const fix = acceptEstablishedFirst(ast, ctx.text, "FORWARD", drop);
      ctx.report({
        message: `${what} new ${protos.join(" and ")} connections from ${a} out through ${b}, but ${by} drops ${data ? `${SERVER_DATA}, coming back from ${b} to ${a}` : `every reply coming back from ${b} to ${a}`}, so no such connection can complete. Accept the packets of established connections early in FORWARD: ${ACCEPT_REPLIES}`,
        span,
        ...(drop.krule && stepKey(drop) !== stepKey(accept) ? { related: [{ span: drop.krule.rule.span, message: "Drops the replies" }] } : {}),
        ...(fix ? { suggestions: [fix] } : {}),
      });
    }
  },
});
