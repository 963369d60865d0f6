/**
 * FWLINT_TIMING's phases of the shared analyses (`analysis:<key>`): each analysis a rule asks for through
 * ctx.memo is timed once, under a key without its variable part; the packet model's build (every rule
 * compiled) apart from the coverage analysis that reads it.
 */
import { describe, expect, it } from "vitest";
import { analysisPhase, lintFiles } from "../src/lint.js";

const DUMP = [
  "*filter",
  ":INPUT DROP [0:0]",
  ":FORWARD DROP [0:0]",
  ":OUTPUT ACCEPT [0:0]",
  ":WEB - [0:0]",
  "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
  "-A INPUT -p tcp -m tcp --dport 22 -s 192.0.2.0/24 -j ACCEPT",
  "-A INPUT -j WEB",
  "-A WEB -p tcp -m tcp --dport 443 -j ACCEPT",
  "COMMIT",
  "",
].join("\n");

describe("timing of shared analyses", () => {
  it("names a phase by the memo key's first two parts", () => {
    expect(analysisPhase("packet-model")).toBe("analysis:packet-model");
    expect(analysisPhase("packet-model/coverage")).toBe("analysis:packet-model/coverage");
    expect(analysisPhase("packet-model/forwarded-dnats/6:8080-8080")).toBe("analysis:packet-model/forwarded-dnats");
    expect(analysisPhase("validity:graph")).toBe("analysis:validity:graph");
  });

  it("times the model's build, its coverage and the validity graph once each, within the rules' own time", () => {
    const timing = new Map<string, number>();
    const [result] = lintFiles([{ text: DUMP, filePath: "rules.v4" }], { timing });
    // the analyses ran: the duplicate SSH rule is found unreachable
    expect(result!.messages.map((m) => m.ruleId)).toContain("unreachable-rule");
    for (const key of ["analysis:packet-model", "analysis:packet-model/compiled", "analysis:packet-model/coverage", "analysis:validity:graph"]) {
      expect(timing.get(key), key).toBeGreaterThanOrEqual(0);
    }
    // a shared analysis is part of the phase of the rule that asked for it first (one of the two that read it)
    const analyses = timing.get("analysis:packet-model/compiled")! + timing.get("analysis:packet-model/coverage")!;
    expect(analyses).toBeLessThanOrEqual(timing.get("rule:unreachable-rule")! + timing.get("rule:redundant-rule")! + 1e-6);
  });
});
