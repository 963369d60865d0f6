import type { Table } from "../src/ast/iptables.js";
import { boxOf, type Box } from "../src/model/coverage.js";
import { forwardedDnats, type ForwardedDnat } from "../src/model/dnat.js";
import { F } from "../src/model/fields.js";
import { modelOf, MODEL_ANALYSIS } from "../src/model/index.js";
import type { KRule } from "../src/model/model.js";
import type { IntervalSet, Scalar } from "../src/model/sets.js";
import { defineRule } from "../src/rule.js";

/** Chains a built-in chain reaches through jumps and gotos. */
function reach(table: Table, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const todo = [from];
  while (todo.length) {
    const name = todo.pop();
    const c = table.chains.find((x) => x.name === name);
    for (const r of c?.rules ?? []) {
      const t = r.target?.name;
      if (t && !seen.has(t) && table.chains.some((x) => x.name === t && !x.builtin)) {
        seen.add(t);
        todo.push(t);
      }
    }
  }
  return seen;
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 6: "tcp", 17: "udp" };

export default defineRule({
  id: "input-rule-bypassed-by-dnat",
  language: "iptables",
  category: "semantics",
  uses: [MODEL_ANALYSIS],
  severity: "error",
  description: "An INPUT rule filters a port that nat PREROUTING DNATs to a container: that traffic is forwarded and never reaches INPUT",
  tags: ["security", "docker"],
  securitySeverity: 7.5,
  precision: "high",
  docs: {
    rationale: [
      "A published Docker port is rewritten by a DNAT rule in nat PREROUTING before the routing decision.",
      "The rewritten destination is the container, so the packet goes through FORWARD (DOCKER-USER, DOCKER, …) and never through INPUT.",
      "An INPUT rule (or `ufw deny 8080`, which writes one) for that port therefore filters nothing: the port stays open.",
      "Filter published ports in DOCKER-USER instead, matching the original port with `-m conntrack --ctorigdstport 8080` (or the container's address and port).",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 8080 -j DROP\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n",
    good: "*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 -j DROP\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n",
    exceptions: "Traffic the DNAT rule does not match (other host addresses, other interfaces) still reaches INPUT; fwlint only reports rules whose packets overlap the DNATed ones.",
  },
  check(ctx) {
    const filter = ctx.ast.tables.find((t) => t.name === "filter");
    const nat = ctx.ast.tables.find((t) => t.name === "nat");
    if (!filter || !nat || !nat.chains.some((c) => c.rules.some((r) => r.target?.name === "DNAT"))) return;
    const input = reach(filter, "INPUT");
    const other = new Set([...reach(filter, "FORWARD"), ...reach(filter, "OUTPUT")]);
    const model = modelOf(ctx);
    // The INPUT rules that filter ports: only their ports need the symbolic DNAT computation.
    const candidates: { k: KRule; box: Box }[] = [];
    let ports: IntervalSet<Scalar> | null = null;
    for (const ch of filter.chains) {
      if (!input.has(ch.name) || other.has(ch.name)) continue;
      for (const k of model.chain("filter", ch.name)?.rules ?? []) {
        const a = k.action;
        if (k.sub > 0) continue;
        const box = boxOf(k.match);
        if (!box || !box[F.DPORT]) continue;
        const filtering = a.t === "verdict" && (a.v !== "ACCEPT" || box[F.SRC] !== undefined || box[F.IIF] !== undefined);
        if (!filtering) continue;
        candidates.push({ k, box });
        ports = ports ? ports.union(box[F.DPORT]!) : box[F.DPORT]!;
      }
    }
    if (!ports) return;
    const wanted = ports;
    const dnats: ForwardedDnat[] = ctx.memo(`${MODEL_ANALYSIS}/forwarded-dnats/${wanted.key()}`, () => forwardedDnats(model, [6, 17], wanted));
    if (dnats.length === 0) return;
    for (const { k, box } of candidates) {
      const hit = dnats.find(
        (d) =>
          (!box[F.PROTO] || box[F.PROTO]!.has(d.proto)) &&
          (!box[F.IIF] || box[F.IIF]!.has(d.iif)) &&
          (!box[F.SRC] || box[F.SRC]!.intersects(d.src)) &&
          (!box[F.DST] || box[F.DST]!.intersects(d.dst)) &&
          box[F.DPORT]!.intersects(d.dport),
      );
      if (!hit) continue;
      const port = box[F.DPORT]!.intersect(hit.dport);
      const portText = port.single !== undefined ? String(port.single) : [...port.ranges()].map(([l, h]) => (l === h ? `${l}` : `${l}-${h}`)).join(",");
      ctx.report({
        message: `This ${k.chain.name} rule never sees ${PROTO_NAMES[hit.proto] ?? hit.proto} port ${portText}: line ${hit.rule.line} DNATs it to ${hit.to} in nat PREROUTING, so that traffic goes through FORWARD (filter it in DOCKER-USER with -m conntrack --ctorigdstport ${portText})`,
        span: k.rule.span,
        related: [{ span: hit.rule.rule.span, message: `DNAT to ${hit.to}: the connection is forwarded, not delivered to the host` }],
      });
    }
  },
});
