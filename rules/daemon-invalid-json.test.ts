import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-invalid-json";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("explains the usual hand-editing mistakes with their position", () => {
    expect(json('{\n  "a": 1,\n}\n')[0]).toMatchObject({ span: { line: 3, column: 1 }, message: expect.stringMatching(/trailing comma/) });
    expect(json('{\n  # comment\n  "a": 1\n}\n')[0]!.message).toMatch(/comments are not allowed/);
    expect(json("{\n  'a': 1\n}\n")[0]!.message).toMatch(/double quotes/);
    expect(json('{\n  "a": 1\n  "b": 2\n}\n')[0]).toMatchObject({ span: { line: 3, column: 3 }, message: expect.stringMatching(/missing comma/) });
    expect(json('{\n  "a": 1\n')[0]!.message).toMatch(/ends before the JSON is complete/);
  });

  it("requires an object", () => {
    expect(json('"iptables"\n')[0]!.message).toMatch(/not a string/);
  });

  it("accepts an empty file (no configuration) and is an error for CI", () => {
    expect(json("")).toEqual([]);
    expect(json("{,}")[0]!.severity).toBe("error");
  });
});
