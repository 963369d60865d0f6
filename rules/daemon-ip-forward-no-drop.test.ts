import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-ip-forward-no-drop";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("reports the setting", () => {
    const [d, ...rest] = json('{\n  "debug": true,\n  "ip-forward-no-drop": true\n}\n');
    expect(rest).toEqual([]);
    expect(d!.span).toMatchObject({ line: 3, column: 3 });
    expect(d!.message).toMatch(/^"ip-forward-no-drop": true: when dockerd turns IP forwarding on it leaves FORWARD's policy as it is/);
  });

  it("is quiet when it is false or absent, or has no effect", () => {
    expect(json('{ "ip-forward-no-drop": false }')).toEqual([]);
    expect(json("{}")).toEqual([]);
    expect(json('{ "ip-forward-no-drop": true, "ip-forward": false }')).toEqual([]);
    expect(json('{ "ip-forward-no-drop": true, "iptables": false }')).toEqual([]);
    expect(json('{ "ip-forward-no-drop": true, "firewall-backend": "nftables" }')).toEqual([]);
    expect(json('{ "ip-forward-no-drop": true, "firewall-backend": "iptables" }')).toHaveLength(1);
    expect(json("{")).toEqual([]);
  });
});
