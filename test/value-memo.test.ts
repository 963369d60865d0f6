// checkValueKept (src/catalog/value-memo.ts): checkValue's answers kept for the process, by family, option spec,
// extension, kind and text, within a bound.
import { afterEach, describe, expect, it } from "vitest";
import { checkValue, checkValueKept, findCoreOption, findMatch, findTarget, forgetValueChecks, keptValueChecks, limitValueChecks } from "../src/catalog/index.js";
import type { Family, OptionSpec, ValueKind } from "../src/catalog/types.js";

const core = (name: string) => findCoreOption(name)!;
const tcpDport = findMatch("tcp", "ipv4")!.byName.get("--dport")!;
const udpDport = findMatch("udp", "ipv4")!.byName.get("--dport")!;
const toDestination = findTarget("DNAT", "ipv4")!.byName.get("--to-destination")!;

/** Questions whose answers differ in one part of the key each. */
const cases: [ValueKind, string, Family, OptionSpec, string | undefined][] = [
  ["address", "10.0.0.1", "ipv4", core("-s"), undefined],
  ["address", "10.0.0.1", "ipv6", core("-s"), undefined],
  ["address", "10.0.0.1/8", "ipv4", core("-s"), undefined],
  ["port-range", "99999", "ipv4", tcpDport, "tcp"],
  ["port-range", "99999", "ipv4", udpDport, "udp"],
  ["nat-range", "10.0.0.2:80-90/85", "ipv4", toDestination, "DNAT"],
  ["nat-range", "10.0.0.2:80-90/85", "ipv4", toDestination, "SNAT"],
  ["protocol", "tcpp", "ipv4", core("-p"), undefined],
  ["protocol", "tcp", "ipv4", core("-p"), undefined],
];
const fresh = ([kind, text, family, option, extension]: (typeof cases)[number]) => checkValue(kind, text, extension === undefined ? { family, option } : { family, option, extension });
const kept = ([kind, text, family, option, extension]: (typeof cases)[number]) => checkValueKept(kind, text, family, option, extension);

describe("checkValueKept", () => {
  afterEach(() => limitValueChecks());

  it("the cases differ where the key does (so a key part left out would show)", () => {
    const answers = cases.map((c) => JSON.stringify(fresh(c)));
    expect(answers[0]).not.toBe(answers[1]); // family
    expect(answers[0]).not.toBe(answers[2]); // text
    expect(answers[3]).not.toBe(answers[4]); // option spec (tcp refuses, udp cuts to 16 bits)
    expect(answers[5]).not.toBe(answers[6]); // extension (only DNAT uses a base port)
    expect(answers[7]).not.toBe(answers[8]);
  });

  it("answers as checkValue does, asked in any order, and keeps each answer once", () => {
    forgetValueChecks();
    for (const order of [cases, [...cases].reverse(), cases]) {
      for (const c of order) expect(kept(c)).toEqual(fresh(c));
    }
    expect(keptValueChecks()).toBe(cases.length);
    // the same object the second time: nothing computed again
    expect(kept(cases[0]!)).toBe(kept(cases[0]!));
  });

  it("drops everything past its bound and goes on answering the same", () => {
    limitValueChecks(4);
    for (let round = 0; round < 3; round++) {
      for (const c of cases) {
        expect(kept(c)).toEqual(fresh(c));
        expect(keptValueChecks()).toBeGreaterThan(0);
        expect(keptValueChecks()).toBeLessThanOrEqual(4);
      }
    }
    limitValueChecks();
    expect(keptValueChecks()).toBe(0);
  });

  it("answers with a bound of none, keeping the last answer only", () => {
    limitValueChecks(0);
    for (const c of cases) {
      expect(kept(c)).toEqual(fresh(c));
      expect(keptValueChecks()).toBe(1);
    }
  });
});
