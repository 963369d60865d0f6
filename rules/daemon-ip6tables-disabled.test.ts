import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-ip6tables-disabled";
const json = (text: string, dockerVersion?: string) => run(ID, text, { filePath: "daemon.json", ...(dockerVersion ? { facts: { dockerVersion } } : {}) });

describe(ID, () => {
  it("needs IPv6 to be on", () => {
    expect(json('{ "ipv6": true, "ip6tables": false }')).toHaveLength(1);
    expect(json('{ "ip6tables": false }')).toEqual([]);
    expect(json('{ "ipv6": true }')).toEqual([]);
  });

  it("knows ip6tables defaulted to false before 27.0", () => {
    expect(json('{ "ipv6": true }', "26.1.4")[0]!.message).toMatch(/defaults to false/);
    expect(json('{ "ipv6": true }', "27.0.1")).toEqual([]);
    expect(json('{ "ipv6": true, "ip6tables": true, "experimental": true }', "25.0.0")).toEqual([]);
  });
});
