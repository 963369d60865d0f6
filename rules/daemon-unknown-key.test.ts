import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "daemon-unknown-key";
const json = (text: string, dockerVersion?: string) => run(ID, text, { filePath: "daemon.json", ...(dockerVersion ? { facts: { dockerVersion } } : {}) });

describe(ID, () => {
  it("suggests and fixes the closest key", () => {
    const text = '{ "log-drivers": "journald" }';
    const [d] = json(text);
    expect(d!.message).toMatch(/did you mean "log-driver"/);
    expect(applyFix(text, d!.suggestions![0]!.fix)).toBe('{ "log-driver": "journald" }');
  });

  it("checks against the configured Docker version (default: the newest)", () => {
    const text = '{ "firewall-backend": "iptables", "api-cors-header": "*" }';
    expect(json(text).map((d) => d.message.slice(0, 40))).toEqual(['"api-cors-header" is no longer accepted ']);
    expect(json(text, "28.5.2").map((d) => d.message)).toEqual([expect.stringMatching(/"firewall-backend" is not accepted before Docker 29\.0\.0, and dockerVersion is 28\.5\.2/)]);
    expect(json('{ "graph": "/srv" }', "23.0.6")).toEqual([]);
    expect(json('{ "graph": "/srv" }', "24.0.0")[0]!.message).toMatch(/removed in 24\.0 \(use data-root\)/);
  });

  it("reports flag-name look-alikes as warnings with the real key", () => {
    const [d] = json('{ "label": ["a=b"] }');
    expect(d!.severity).toBe("warning");
    expect(d!.message).toMatch(/the key is "labels"/);
  });

  it("mirrors dockerd's flattening of nested objects", () => {
    expect(json('{ "proxies": { "http-proxy": "http://p:3128" } }')).toEqual([]);
    const found = json('{ "tuning": { "max-concurent-downloads": 3 } }');
    expect(found.map((d) => [d.severity, d.message.slice(0, 30)])).toEqual([
      ["warning", '"tuning" is not a daemon.json '],
      ["error", 'Unknown key "max-concurent-dow'],
    ]);
    expect(found[1]!.message).toMatch(/inside "tuning"/);
    expect(json('{ "log-opts": { "anything-goes": "1" }, "features": { "whatever": true } }')).toEqual([]);
  });
});
