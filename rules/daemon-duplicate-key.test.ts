import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-duplicate-key";

describe(ID, () => {
  it("reports every later occurrence and says which value wins", () => {
    const text = '{\n  "iptables": true,\n  "iptables": false,\n  "iptables": true\n}\n';
    const found = run(ID, text, { filePath: "daemon.json" });
    expect(found.map((d) => d.span.line)).toEqual([3, 4]);
    expect(found[0]!.message).toMatch(/keeps only the last value \(true on line 4\) and ignores line 2, line 3/);
    expect(found[0]!.related?.map((r) => [r.span.line, r.message])).toEqual([
      [2, "ignored"],
      [4, "this value wins"],
    ]);
  });

  it("looks inside nested objects and arrays", () => {
    const found = run(ID, '{ "default-address-pools": [{ "base": "10.0.0.0/8", "size": 24, "size": 16 }] }', { filePath: "daemon.json" });
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/column/);
  });
});
