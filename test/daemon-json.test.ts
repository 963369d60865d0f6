/** daemon.json: the generated key data, dockerd's way of reading the file, and one pitfall at a time. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDaemonJson } from "../src/daemon/parse.js";
import { closestKey, daemonSettings, daemonVersion, effectiveSettings, isAcceptedKey } from "../src/docker/daemon.js";
import { DAEMON_KEYS, DAEMON_KEY_VERSIONS } from "../src/docker/daemon-keys.js";
import { lint } from "../src/lint.js";
import type { ProjectFacts } from "../src/rule.js";
import { REFERENCE } from "./support/corpus.js";


describe("generated key data", () => {
  it.runIf(existsSync(join(REFERENCE, "daemon-json-keys.tsv")))("matches the reference files (run node scripts/gen-daemon-keys.mjs after changing them)", async () => {
    // @ts-expect-error: plain .mjs script without type declarations
    const { render, TSV, JSON_FILE } = (await import("../scripts/gen-daemon-keys.mjs")) as { render: (a: string, b: string) => string; TSV: string; JSON_FILE: string };
    const expected = render(readFileSync(join(REFERENCE, TSV), "utf8"), readFileSync(join(REFERENCE, JSON_FILE), "utf8"));
    expect(readFileSync("src/docker/daemon-keys.ts", "utf8")).toBe(expected);
  });

  it("knows every release from 20.10 to master", () => {
    expect(DAEMON_KEY_VERSIONS[0]).toBe("20.10.0");
    expect(DAEMON_KEY_VERSIONS.at(-1)).toBe("master");
    expect(Object.keys(DAEMON_KEYS).length).toBeGreaterThan(120);
  });

  it("maps a Docker version to the newest key set not newer than it", () => {
    expect(daemonVersion(undefined).release).toBe("master");
    expect(daemonVersion("19.03.15").release).toBe("20.10.0");
    expect(daemonVersion("24.0.9").release).toBe("24.0.0");
    expect(daemonVersion("28.2.2").release).toBe("28.2.0");
    expect(daemonVersion("29.7.2").release).toBe("29.7.2");
    expect(daemonVersion("30.1.0").release).toBe("master");
  });

  it("tracks when keys come and go", () => {
    const at = (v: string) => daemonVersion(v);
    expect(isAcceptedKey("firewall-backend", at("28.5.2"))).toBe(false);
    expect(isAcceptedKey("firewall-backend", at("29.0.0"))).toBe(true);
    expect(isAcceptedKey("graph", at("23.0.0"))).toBe(true);
    expect(isAcceptedKey("graph", at("24.0.0"))).toBe(false);
    expect(isAcceptedKey("api-cors-header", at("28.5.2"))).toBe(true);
    expect(isAcceptedKey("api-cors-header", at("29.0.0"))).toBe(false);
    expect(isAcceptedKey("label", at("29.0.0"))).toBe(true);
    expect(DAEMON_KEYS.label!.aliasOf).toBe("labels");
    expect(isAcceptedKey("containerd-plugin-namespace", at("29.0.0"))).toBe(false);
  });

  it("suggests the closest real key", () => {
    const v = daemonVersion(undefined);
    expect(closestKey("iptable", v)).toBe("iptables");
    expect(closestKey("IPTables", v)).toBe("iptables");
    expect(closestKey("log_driver", v)).toBe("log-driver");
    expect(closestKey("insecure-registry", v)).toBe("insecure-registries");
    expect(closestKey("zzzzzzzz", v)).toBeUndefined();
  });
});

describe("reading daemon.json like dockerd", () => {
  it("flattens non-flat objects and keeps flat options whole", () => {
    const doc = parseDaemonJson('{"proxies": {"http-proxy": "http://p:3128"}, "log-opts": {"max-size": "10m"}, "foo": {"iptables": false, "mtu": 1400}}');
    expect(daemonSettings(doc).map((s) => `${s.nestedIn?.name ?? ""}/${s.key}`)).toEqual(["proxies/http-proxy", "/log-opts", "foo/iptables", "foo/mtu"]);
    const eff = effectiveSettings(doc);
    expect([...eff.keys()]).toEqual(["http-proxy", "log-opts", "iptables"]);
  });

  it("lets the last duplicate win", () => {
    const eff = effectiveSettings(parseDaemonJson('{"iptables": true, "iptables": false}'));
    expect(eff.get("iptables")?.member.value).toMatchObject({ type: "Boolean", value: false });
  });

  it("accepts an empty file and a byte order mark, like dockerd", () => {
    expect(parseDaemonJson("")).toMatchObject({ root: null, error: null });
    expect(parseDaemonJson("  \n")).toMatchObject({ root: null, error: null });
    const bom = parseDaemonJson('\uFEFF{"icc": false}');
    expect(bom.error).toBeNull();
    expect(bom.root?.type).toBe("Object");
  });
});

// ── one pitfall at a time on a clean configuration ──

const CLEAN: Record<string, unknown> = {
  icc: false,
  "userland-proxy": false,
  ip: "127.0.0.1",
  "default-network-opts": { bridge: { "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1" } },
  "log-driver": "json-file",
  "log-opts": { "max-size": "10m", "max-file": "3" },
  "live-restore": true,
};

interface Pitfall {
  readonly rule: string;
  readonly edit: (c: Record<string, unknown>) => Record<string, unknown>;
  /** Key the finding must be on (its line), or null for the opening brace. */
  readonly key: string | null;
  readonly facts?: ProjectFacts;
  /** Applied to the clean configuration for both sides (a starting point that lacks some hardening). */
  readonly base?: (c: Record<string, unknown>) => Record<string, unknown>;
  /** Raw text instead of JSON.stringify of the edited object. */
  readonly raw?: (json: string) => string;
}

const without = (c: Record<string, unknown>, ...keys: string[]) => Object.fromEntries(Object.entries(c).filter(([k]) => !keys.includes(k)));

const PITFALLS: readonly Pitfall[] = [
  { rule: "daemon-invalid-json", edit: (c) => c, key: "live-restore", raw: (j) => j.replace(/\n}$/, ",\n}") },
  { rule: "daemon-unknown-key", edit: (c) => ({ ...c, "log-drivers": "journald" }), key: "log-drivers" },
  { rule: "daemon-unknown-key", edit: (c) => ({ ...c, "firewall-backend": "nftables" }), key: "firewall-backend", facts: { dockerVersion: "28.5.2" } },
  { rule: "daemon-invalid-value", edit: (c) => ({ ...c, "live-restore": "true" }), key: "live-restore" },
  { rule: "daemon-invalid-value", edit: (c) => ({ ...c, bip: "172.26.0.1" }), key: "bip" },
  { rule: "daemon-duplicate-key", edit: (c) => c, key: null, raw: (j) => j.replace('"log-driver": "json-file",', '"log-driver": "json-file",\n  "log-driver": "journald",') },
  { rule: "daemon-iptables-disabled", base: (c) => without(c, "icc"), edit: (c) => ({ ...c, iptables: false }), key: "iptables" },
  // With "icc": false the same change is also a startup error (daemon-conflicting-options): start without it.
  { rule: "daemon-ip6tables-disabled", base: (c) => without(c, "icc"), edit: (c) => ({ ...c, ipv6: true, "fixed-cidr-v6": "2001:db8:1::/64", ip6tables: false }), key: "ip6tables" },
  { rule: "daemon-insecure-tcp-socket", edit: (c) => ({ ...c, hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"] }), key: "hosts" },
  { rule: "daemon-icc-enabled", edit: (c) => without(c, "icc"), key: null },
  { rule: "daemon-userland-proxy", edit: (c) => ({ ...c, "userland-proxy": true }), key: "userland-proxy" },
  { rule: "daemon-default-bind-all", edit: (c) => ({ ...c, ip: "0.0.0.0" }), key: "ip" },
  { rule: "daemon-conflicting-options", edit: (c) => ({ ...c, bridge: "br-lan", bip: "192.168.10.1/24" }), key: "bip" },
];

function findings(text: string, facts: ProjectFacts): string[] {
  return lint({ text, filePath: "daemon.json" }, { config: { rules: {}, facts } }).messages.map((m) => `${m.ruleId}@${m.span.line}`);
}

describe("a clean daemon.json plus one pitfall", () => {
  const cleanText = `${JSON.stringify(CLEAN, null, 2)}\n`;

  it("starts clean", () => {
    expect(findings(cleanText, {})).toEqual([]);
  });

  it.each(PITFALLS.map((p, i) => ({ ...p, label: `${p.rule} #${i}` })))("$label", (p) => {
    const start = p.base ? p.base({ ...CLEAN }) : { ...CLEAN };
    const json = JSON.stringify(p.edit({ ...start }), null, 2);
    const text = `${p.raw ? p.raw(json) : json}\n`;
    const before = new Set(findings(`${JSON.stringify(start, null, 2)}\n`, p.facts ?? {}));
    const added = findings(text, p.facts ?? {}).filter((f) => !before.has(f));
    const lines = text.split("\n");
    const line = p.rule === "daemon-invalid-json" ? lines.length - 1 : p.rule === "daemon-duplicate-key" ? lines.findIndex((l) => l.includes('"journald"')) + 1 : p.rule === "daemon-insecure-tcp-socket" ? lines.findIndex((l) => l.includes("tcp://")) + 1 : p.key === null ? 1 : lines.findIndex((l) => l.startsWith(`  "${p.key}"`)) + 1;
    expect(added).toEqual([`${p.rule}@${line}`]);
  });
});
