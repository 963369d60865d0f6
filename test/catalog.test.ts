import { describe, expect, it } from "vitest";
import { extensionsDefining, findCoreOption, findMatch, findTarget, implicitMatchFor, protocolNumber } from "../src/catalog/index.js";

describe("catalog lookups", () => {
  it("resolves core option aliases", () => {
    expect(findCoreOption("--source")?.name).toBe("-s");
    expect(findCoreOption("--in-interface")?.name).toBe("-i");
    expect(findCoreOption("--bogus")).toBeUndefined();
  });
  it("finds matches and targets per family", () => {
    expect(findMatch("iprange", "ipv4")?.spec.name).toBe("iprange");
    expect(findMatch("icmp", "ipv6")).toBeUndefined();
    expect(findTarget("DNAT", "ipv4")?.spec.tables).toEqual(["nat"]);
  });
  it("knows which extensions define an option", () => {
    expect(extensionsDefining("--src-range", "ipv4").map((e) => e.spec.name)).toEqual(["iprange"]);
    expect(extensionsDefining("--dport", "ipv4").map((e) => e.spec.name).sort()).toContain("tcp");
  });
  it("maps -p values to implicit matches", () => {
    expect(implicitMatchFor("tcp", "ipv4")?.spec.name).toBe("tcp");
    expect(implicitMatchFor("TCP", "ipv4")?.spec.name).toBe("tcp");
    expect(protocolNumber("udp")).toBe(17);
    expect(protocolNumber("300")).toBeUndefined();
  });
});
