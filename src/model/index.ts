/**
 * The packet model for lint rules: built once per ruleset and shared through `ctx.memo`.
 */
import type { Ruleset } from "../ast/iptables.js";
import type { RuleContext } from "../rule.js";
import { Coverage } from "./coverage.js";
import { computeExposure, type ExposureItem } from "./exposure.js";
import { Model } from "./model.js";

export { Model } from "./model.js";
export { Coverage } from "./coverage.js";
export { computeExposure, publishedPortOpenToAny, type ExposureItem } from "./exposure.js";
export { trace, type PacketSpec, type TraceResult } from "./trace.js";

/** The `ctx.memo` key of the packet model; the analyses made from it are kept under `packet-model/`. */
export const MODEL_ANALYSIS = "packet-model";

export function modelOf(ctx: RuleContext<Ruleset>): Model {
  return ctx.memo(MODEL_ANALYSIS, () => new Model(ctx.ast, { local: ctx.facts.hostAddresses ?? [], external: ctx.facts.externalInterfaces ?? [] }));
}

/**
 * The model with every chain compiled: the build of the packet model, kept apart from the analyses that read
 * it (FWLINT_TIMING shows it as `analysis:packet-model/compiled`).
 */
export function compiledModelOf(ctx: RuleContext<Ruleset>): Model {
  const model = modelOf(ctx);
  return ctx.memo(`${MODEL_ANALYSIS}/compiled`, () => {
    model.compileAll();
    return model;
  });
}

export function coverageOf(ctx: RuleContext<Ruleset>): Coverage {
  const model = compiledModelOf(ctx);
  return ctx.memo(`${MODEL_ANALYSIS}/coverage`, () => new Coverage(model));
}

export function exposureOf(ctx: RuleContext<Ruleset>): ExposureItem[] {
  return ctx.memo(`${MODEL_ANALYSIS}/exposure`, () => computeExposure(modelOf(ctx)));
}
