/**
 * What `fwlint exposure` says about one connection from outside, for the kernel tests that compare it with
 * what the kernel did: open (an allowed source), maybe (a possible source: unknown matches), or closed.
 */
import type { Family } from "../../src/ast/iptables.js";
import { cidrSet, rangeSet } from "../../src/model/addr.js";
import type { ExposureItem } from "../../src/model/exposure.js";
import type { Model } from "../../src/model/model.js";
import type { IntervalSet, Scalar } from "../../src/model/sets.js";
import type { PacketSpec } from "../../src/model/trace.js";
import { parseAddress } from "../../src/model/values.js";
import type { Probe } from "./topology.js";

function inSources(list: readonly string[] | undefined, addr: string, family: Family): boolean {
  const a = parseAddress(addr, family);
  if (a === null || !list) return false;
  return list.some((item) => {
    const set = (item.includes("-") && !item.includes("/") ? rangeSet(item, family) : cidrSet(item, family)) as IntervalSet<Scalar> | null;
    return set?.has(a) ?? false;
  });
}

function portCovers(spec: number | string, port: number): boolean {
  if (typeof spec === "number") return spec === port;
  return spec.split(",").some((r) => {
    const [a, b] = r.split("-").map(Number);
    return port >= a! && port <= (b ?? a)!;
  });
}

function addrCovers(text: string | null, addr: string, family: Family): boolean {
  if (text === null) return false;
  if (text === "*") return true;
  return inSources(text.replace(/^\[|\]$/g, "").split(","), addr, family);
}

/** What exposure says about a connection from outside: open, closed or maybe. */
export function exposureSays(items: readonly ExposureItem[], model: Model, probe: Probe, spec: PacketSpec, family: Family): "open" | "closed" | "maybe" {
  const label = model.ifaces.label(model.ifaces.classOf(spec.in ?? ""));
  let verdict: "open" | "closed" | "maybe" = "closed";
  for (const it of items) {
    if (it.proto !== probe.proto || !portCovers(it.hostPort, probe.port)) continue;
    const target = it.kind === "routed" ? (it.container ?? "").replace(/:[^:\]]*$/, "") : it.hostAddress;
    if (!addrCovers(target, probe.dst, family)) continue;
    const entry = it.allowed.find((a) => a.inInterface === label);
    if (!entry) continue;
    if (inSources(entry.sources, probe.src, family)) return "open";
    if (inSources(entry.possibleSources, probe.src, family)) verdict = "maybe";
  }
  return verdict;
}
