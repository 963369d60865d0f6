import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-conflicting-options";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("makes startup failures errors and silent cancellations warnings", () => {
    expect(json('{ "icc": false, "iptables": false }')[0]!.severity).toBe("error");
    expect(json('{ "ip-masq": true, "iptables": false }')[0]!.severity).toBe("warning");
  });

  it("points at the conflicting setting", () => {
    const [d] = json('{\n  "bridge": "br0",\n  "bip": "10.0.0.1/24"\n}\n');
    expect(d!.span.line).toBe(3);
    expect(d!.related?.[0]?.span.line).toBe(2);
  });

  it("checks fixed-cidr against bip", () => {
    expect(json('{ "bip": "10.0.0.1/16", "fixed-cidr": "10.0.5.0/24" }')).toEqual([]);
    expect(json('{ "bip": "10.0.0.1/16", "fixed-cidr": "10.1.5.0/24" }')).toHaveLength(1);
  });

  it("does not treat an empty bridge as set", () => {
    expect(json('{ "bridge": "", "bip": "10.0.0.1/24" }')).toEqual([]);
  });
});
