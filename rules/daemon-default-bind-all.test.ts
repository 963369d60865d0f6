import { describe, expect, it } from "vitest";
import { applyFix, run } from "../test/support/rule-run.js";

const ID = "daemon-default-bind-all";
const json = (text: string, dockerVersion?: string) => run(ID, text, { filePath: "daemon.json", ...(dockerVersion ? { facts: { dockerVersion } } : {}) });
const NET = '"default-network-opts": { "bridge": { "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1" } }';

describe(ID, () => {
  it("suggests 127.0.0.1 for a missing or all-addresses ip", () => {
    const text = '{ "ip": "0.0.0.0" }';
    const [d] = json(text);
    expect(applyFix(text, d!.suggestions![0]!.fix)).toBe('{ "ip": "127.0.0.1" }');
    const missing = json('{ "debug": true }')[0]!;
    expect(JSON.parse(applyFix('{ "debug": true }', missing.suggestions![0]!.fix))).toEqual({ ip: "127.0.0.1", debug: true });
  });

  it("reminds that ip does not cover user-defined networks (24.0+)", () => {
    expect(json('{ "ip": "127.0.0.1" }')[0]!.message).toMatch(/user-defined networks/);
    expect(json(`{ "ip": "127.0.0.1", ${NET} }`)).toEqual([]);
    expect(json('{ "ip": "127.0.0.1" }', "23.0.6")).toEqual([]);
  });

  it("takes IPv6 all-addresses too", () => {
    expect(json(`{ "ip": "::", ${NET} }`)).toHaveLength(1);
  });
});
