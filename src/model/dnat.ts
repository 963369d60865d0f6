/**
 * New connections from outside that nat PREROUTING sends elsewhere (DNAT to a forwarded destination):
 * computed symbolically per outside interface and protocol, as sets of the original source, destination
 * and port.
 */
import { branch, journey, toArray } from "./engine.js";
import { outsideInterfaces, seedConnection } from "./exposure.js";
import { F } from "./fields.js";
import type { KRule, Model } from "./model.js";
import { IntervalSet, type Scalar } from "./sets.js";
import { ST } from "./fields.js";
import { formatAddress } from "./addr.js";

type AnySet = IntervalSet<Scalar>;

export interface ForwardedDnat {
  readonly proto: number;
  readonly iif: number;
  readonly src: AnySet;
  /** Original destination (a host address) and port. */
  readonly dst: AnySet;
  readonly dport: AnySet;
  /** The DNAT rule, and where it sends the connection. */
  readonly rule: KRule;
  readonly to: string;
}

/** `ports`: only connections to these (original) ports are of interest (default: every port). */
export function forwardedDnats(model: Model, protocols: readonly number[] = [6, 17], ports?: AnySet): ForwardedDnat[] {
  const out: ForwardedDnat[] = [];
  for (const proto of protocols) {
    for (const iif of outsideInterfaces(model)) {
      let p = seedConnection(model, proto, iif, model.layout.local as AnySet);
      if (ports) p = p.withSlots([[p.s[F.DPORT]!, p.slotSet(p.s[F.DPORT]!).intersect(ports)]]);
      if (p.isEmpty) continue;
      for (const o of journey(model, branch(p), { origin: "in", state: ST.NEW, untilRouting: true }, { maxBranches: 1_000_000, merge: true })) {
        if (o.delivery !== "forward") continue;
        const q = o.b.p;
        if (q.s[F.DST] === F.DST && q.s[F.DPORT] === F.DPORT) continue; // not rewritten
        const step = toArray(o.b.path).reverse().find((s) => s.krule && s.krule.action.t === "dnat");
        if (!step?.krule) continue;
        const a = q.value(F.DST);
        const port = q.value(F.DPORT);
        const to = `${a !== undefined ? formatAddress(model.family, a) : "?"}${port !== undefined ? `:${port}` : ""}`;
        const slot = (k: number) => q.cube[k] ?? IntervalSet.full(q.doms[k]!);
        out.push({ proto, iif, src: slot(F.SRC), dst: slot(F.DST), dport: slot(F.DPORT), rule: step.krule, to });
      }
    }
  }
  return out;
}
