import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-iptables-disabled";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("is an error on the member", () => {
    const [d] = json('{\n  "iptables": false\n}\n');
    expect(d).toMatchObject({ severity: "error", span: { line: 2, column: 3 } });
    expect(d!.message).toMatch(/every container port is reachable from the local network/);
  });

  it("follows the value dockerd uses: the last duplicate, and booleans inside nested objects", () => {
    expect(json('{ "iptables": false, "iptables": true }')).toEqual([]);
    expect(json('{ "iptables": true, "iptables": false }')).toHaveLength(1);
    expect(json('{ "net": { "iptables": false } }')[0]!.message).toMatch(/inside "net"/);
    expect(json('{ "iptables": true }')).toEqual([]);
  });
});
