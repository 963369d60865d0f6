/**
 * What `fwlint trace` and `fwlint exposure` share: reading the ruleset (a file or "-") with its
 * configuration (facts: hostAddresses, externalInterfaces — the command line adds to them), picking the
 * ruleset of an address family, and building the model once per family.
 */
import type { Family, Ruleset } from "../ast/iptables.js";
import { INTERFACE_NAME_RULE, isAddressOrCidr, isInterfaceName } from "../config.js";
import { loadFile } from "../lint.js";
import { Model } from "../model/model.js";
import type { ProjectFacts } from "../rule.js";
import { loadInputs, UsageError, type CliContext } from "./shared.js";

export interface LoadedRuleset {
  readonly rulesets: Map<Family, Ruleset>;
  readonly facts: ProjectFacts;
}

/** The rulesets of one file, by family (a dual-stack file or script gives both), and its facts. */
export async function loadRuleset(ctx: CliContext, file: string, opts: { family?: Family; config?: string }): Promise<LoadedRuleset> {
  const loaded = await loadInputs(ctx, { patterns: [file], settings: { ...(opts.config ? { configFile: opts.config } : {}), ...(opts.family ? { family: opts.family } : {}) } });
  if (loaded.problems.length) throw new UsageError(loaded.problems[0]!.message);
  const first = loaded.inputs[0];
  if (!first || loaded.inputs.length > 1) throw new UsageError(`${file}: name one ruleset file`);
  const f = loadFile(first.input);
  if (f.kind === "daemon-json") throw new UsageError(`${file}: is a daemon.json, not an iptables ruleset`);
  const rulesets = new Map<Family, Ruleset>();
  for (const r of f.rulesets) rulesets.set(r.family, r);
  return { rulesets, facts: first.settings.config.facts };
}

export interface ModelArgs {
  readonly local?: readonly string[];
  readonly external?: readonly string[];
  readonly interfaces?: readonly string[];
}

/** Models per family, built on first use. */
export class Models {
  private readonly cache = new Map<Family, Model | null>();
  constructor(
    private readonly rulesets: Map<Family, Ruleset>,
    private readonly args: ModelArgs,
  ) {}
  families(): Family[] {
    return [...this.rulesets.keys()];
  }
  get(family: Family): Model | null {
    if (!this.cache.has(family)) {
      const rs = this.rulesets.get(family);
      const local = (this.args.local ?? []).filter((a) => (family === "ipv6" ? a.includes(":") : !a.includes(":")));
      this.cache.set(family, rs ? new Model(rs, { local, external: this.args.external ?? [], interfaces: this.args.interfaces ?? [] }) : null);
    }
    return this.cache.get(family)!;
  }
}

/**
 * Command-line host facts added to the configuration's (which its schema has checked). A value that is not
 * an address (`--local`) or an interface name (`--external`) is a usage error, not a fact left out.
 */
export function modelArgs(facts: ProjectFacts, local: readonly string[], external: readonly string[]): ModelArgs {
  for (const a of local) if (!isAddressOrCidr(a)) throw new UsageError(`--local ${a}: not an IPv4 or IPv6 address (addr or addr/len)`);
  for (const n of external) if (!isInterfaceName(n)) throw new UsageError(`--external ${n}: not an interface name (${INTERFACE_NAME_RULE})`);
  return { local: [...(facts.hostAddresses ?? []), ...local], external: [...(facts.externalInterfaces ?? []), ...external] };
}

/** Address family of an address as written. */
export function familyOfAddress(text: string): Family {
  return text.includes(":") ? "ipv6" : "ipv4";
}

export function arrayOf(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((x) => String(x).split(",")).map((s) => s.trim()).filter(Boolean);
}
