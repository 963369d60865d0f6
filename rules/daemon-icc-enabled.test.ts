import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "daemon-icc-enabled";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("reports a missing icc at the opening brace, with a fix that adds it", () => {
    const text = '{\n  "debug": true\n}\n';
    const [d] = json(text);
    expect(d!.span).toMatchObject({ line: 1, column: 1 });
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(JSON.parse(fixed)).toEqual({ icc: false, debug: true });
    expect(json(fixed)).toEqual([]);
    expect(JSON.parse(applyFix("{}", json("{}")[0]!.suggestions![0]!.fix))).toEqual({ icc: false });
  });

  it("is quiet when iptables is off (that combination is a conflict of its own)", () => {
    expect(json('{ "iptables": false }')).toEqual([]);
  });

  it("is quiet on an empty or broken file", () => {
    expect(json("")).toEqual([]);
    expect(json("{")).toEqual([]);
  });
});
