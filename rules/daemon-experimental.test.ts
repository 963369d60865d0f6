import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "daemon-experimental";
const json = (text: string, facts = {}) => run(ID, text, { filePath: "daemon.json", facts });

describe(ID, () => {
  it("reports experimental: true at the member, with a suggestion that turns it off", () => {
    const text = '{\n  "debug": true,\n  "experimental": true\n}\n';
    const [d, ...rest] = json(text);
    expect(rest).toEqual([]);
    expect(d!.span).toMatchObject({ line: 3, column: 3 });
    expect(d!.message).toMatch(/CIS Docker 2\.18/);
    const fixed = applyFix(text, d!.suggestions![0]!.fix);
    expect(JSON.parse(fixed)).toEqual({ debug: true, experimental: false });
    expect(json(fixed)).toEqual([]);
  });

  it("says so when an older Docker needs it for ip6tables, and offers no suggestion then", () => {
    const [d] = json('{ "experimental": true, "ip6tables": true, "ipv6": true }', { dockerVersion: "26.1.4" });
    expect(d!.message).toMatch(/Docker 26\.1\.4 needs it for "ip6tables": true/);
    expect(d!.suggestions).toBeUndefined();
    expect(json('{ "experimental": true, "ip6tables": true }', { dockerVersion: "27.0.3" })[0]!.suggestions).toHaveLength(1);
  });

  it("is quiet when experimental is off or unset, and on a broken file", () => {
    expect(json('{ "experimental": false }')).toEqual([]);
    expect(json("{}")).toEqual([]);
    expect(json("{")).toEqual([]);
  });
});
