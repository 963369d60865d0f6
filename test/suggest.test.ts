import { describe, expect, it } from "vitest";
import { defaultLimit, editDistance, nearest } from "../src/util/suggest.js";

describe("did-you-mean", () => {
  it("counts insertions, deletions, substitutions and neighbour swaps as one edit each", () => {
    expect(editDistance("dport", "dport")).toBe(0);
    expect(editDistance("dprot", "dport")).toBe(1);
    expect(editDistance("dpor", "dport")).toBe(1);
    expect(editDistance("xport", "dport")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("abcdef", "uvwxyz", 2)).toBe(3);
  });
  it("finds the nearest candidate within the limit", () => {
    expect(nearest("ESTABLISED", ["NEW", "ESTABLISHED", "RELATED"], 2)).toBe("ESTABLISHED");
    expect(nearest("established", ["NEW", "ESTABLISHED"], 2, { ignoreCase: true })).toBe("ESTABLISHED");
    expect(nearest("established", ["NEW", "ESTABLISHED"], 2)).toBeUndefined();
    expect(nearest("ab", ["abcd", "abc"], 2, { preferShort: true })).toBe("abc");
    expect(nearest("zzz", ["abc"], defaultLimit("zzz"))).toBeUndefined();
  });
});
