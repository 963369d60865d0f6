import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-userland-proxy";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("reports the default and an explicit true", () => {
    expect(json("{}")[0]!.message).toMatch(/not set \(default true\)/);
    expect(json('{\n  "userland-proxy": true\n}')[0]!.span.line).toBe(2);
    expect(json('{ "userland-proxy": false }')).toEqual([]);
  });

  it("is a low-severity CIS finding", async () => {
    const { default: rule } = await import("./daemon-userland-proxy.js");
    expect(rule.tags).toContain("cis");
    expect(rule.securitySeverity).toBeLessThan(4);
  });
});
