import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigResolver, configSchema, isAddressOrCidr, normalizeSeverity, parseConfig, parseRuleFlags } from "../src/config.js";
import { makeTree } from "./support/cli.js";
import { testRules } from "./support/test-rules.js";

const parse = (value: unknown, path = "/repo/.fwlintrc.json") => parseConfig(typeof value === "string" ? value : JSON.stringify(value, null, 2), path, testRules);
const errorOf = (value: unknown): ConfigError => {
  try {
    parse(value);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
};

describe("the shipped JSON Schema", () => {
  it("is a valid draft-07 schema that ajv compiles in strict mode (optional tuple items allowed)", () => {
    const schema = JSON.parse(readFileSync("schema/fwlint.config.schema.json", "utf8"));
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    const ajv = new Ajv({ strict: true, strictTuples: false });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
    expect(configSchema()).toEqual(schema);
  });

  it("accepts the README's example configuration", () => {
    const readme = readFileSync("README.md", "utf8");
    const m = /## Configuration[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    expect(m, "README has a ## Configuration section with a JSON example").not.toBeNull();
    const example = JSON.parse(m![1]!) as { rules?: Record<string, unknown> };
    // the README names real rules; check the shape against the schema and the facts
    const ajv = new Ajv({ strict: false });
    expect(ajv.validate(configSchema(), example), JSON.stringify(ajv.errors)).toBe(true);
  });
});

describe("reading a config file", () => {
  it("normalizes severities and keeps options, facts, globs and overrides", () => {
    const c = parse({
      $schema: "./node_modules/fwlint/schema/fwlint.config.schema.json",
      rules: { "test-accept": "off", "test-drop": 1, "test-targets": ["error", { targets: ["ACCEPT"] }] },
      facts: { externalInterfaces: ["eth0", "wlan+"], trustedSources: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"], dockerVersion: "28.2.2", persisted: true },
      include: ["firewall/*.sh"],
      ignores: ["vendor/"],
      overrides: [{ files: ["hosts/db/**"], rules: { "test-accept": "error" }, facts: { externalInterfaces: ["bond0"] }, kind: "iptables", family: "ipv6" }],
      reportUnusedDisableDirectives: "error",
      noInlineConfig: false,
    });
    expect(c.rules).toEqual({ "test-accept": { severity: "off" }, "test-drop": { severity: "warning" }, "test-targets": { severity: "error", options: { targets: ["ACCEPT"] } } });
    expect(c.facts.externalInterfaces).toEqual(["eth0", "wlan+"]);
    expect(c.reportUnusedDisableDirectives).toBe("error");
    expect(c.overrides[0]).toMatchObject({ kind: "iptables", family: "ipv6", rules: { "test-accept": { severity: "error" } } });
    expect(c.include.matches("/repo/firewall/up.sh")).toBe(true);
    expect(c.ignores.matches("/repo/vendor/x/rules.v4")).toBe(true);
  });

  it.each([
    [{ rulez: {} }, "/rulez", 'unknown key "rulez"', 2, 3],
    [{ rules: { "test-acept": "off" } }, "/rules/test-acept", 'unknown rule "test-acept" (did you mean "test-accept"?)', 3, 5],
    [{ rules: { "test-accept": "on" } }, "/rules/test-accept", 'must be one of "off", "warn", "warning", "error", 0, 1, 2', 3, 5],
    [{ rules: { "test-accept": ["error", "x"] } }, "/rules/test-accept/1", "must be object", 5, 7],
    [{ rules: { "test-accept": ["error", {}] } }, "/rules/test-accept/1", 'rule "test-accept" takes no options', 5, 7],
    [{ rules: { "test-targets": ["warn", { target: ["x"] }] } }, "/rules/test-targets/1/target", 'unknown key "target"', 6, 9],
    [{ rules: { "test-targets": ["warn", { targets: [""] }] } }, "/rules/test-targets/1/targets/0", "must NOT have fewer than 1 characters", 7, 11],
    [{ rules: { Bad_Id: "off" } }, "/rules/Bad_Id", '"Bad_Id" is not a rule id (rule ids are kebab-case)', 3, 5],
    [{ facts: { externalInterfaces: ["eth 0"] } }, "/facts/externalInterfaces/0", '"eth 0" is not an interface name', 4, 7],
    [{ facts: { trustedSources: ["10.0.0.0/33"] } }, "/facts/trustedSources/0", '"10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR', 4, 7],
    [{ facts: { dockerVersion: "latest" } }, "/facts/dockerVersion", "must match pattern", 3, 5],
    [{ facts: { persisted: "yes" } }, "/facts/persisted", "must be boolean", 3, 5],
    [{ facts: { routerMode: true } }, "/facts/routerMode", 'unknown key "routerMode"', 3, 5],
    [{ overrides: [{ rules: {} }] }, "/overrides/0", 'missing required key "files"', 3, 5],
    [{ overrides: [{ files: [] }] }, "/overrides/0/files", "must NOT have fewer than 1 items", 4, 7],
    [{ overrides: [{ files: ["x"], kind: "nft" }] }, "/overrides/0/kind", 'must be one of "iptables", "ip6tables", "script", "daemon-json"', 7, 7],
    [{ ignores: "vendor" }, "/ignores", "must be array", 2, 3],
  ])("rejects %j at %s", (value, pointer, detail, line, column) => {
    const e = errorOf(value);
    expect(e.pointer).toBe(pointer);
    expect(e.detail).toContain(detail);
    expect(e.position).toEqual({ line, column });
    expect(e.message).toBe(`invalid configuration /repo/.fwlintrc.json:${line}:${column}: ${pointer}: ${e.detail}`);
    expect(e.message).not.toContain("\n");
  });

  it("rejects invalid JSON with its position, and duplicate keys", () => {
    const bad = errorOf('{\n  "rules": {\n    "test-accept": "off",\n  }\n}');
    expect(bad.detail).toMatch(/^not valid JSON/);
    expect(bad.position).toEqual({ line: 4, column: 3 });
    const dup = errorOf('{\n  "rules": { "test-accept": "off" },\n  "rules": {}\n}');
    expect([dup.pointer, dup.detail, dup.position]).toEqual(["/rules", "duplicate key", { line: 3, column: 3 }]);
    expect(errorOf("[]").detail).toBe("must be object");
  });

  it("never executes anything: a JavaScript-looking config is just invalid JSON", () => {
    expect(errorOf("module.exports = { rules: {} }").detail).toMatch(/^not valid JSON/);
  });
});

describe("helpers", () => {
  it("normalizes every severity spelling", () => {
    expect([0, 1, 2, "off", "warn", "warning", "error", "on", 3].map(normalizeSeverity)).toEqual(["off", "warning", "error", "off", "warning", "warning", "error", undefined, undefined]);
  });

  it("tells addresses and CIDRs from other text", () => {
    expect(["10.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/128", "0.0.0.0/0"].every(isAddressOrCidr)).toBe(true);
    expect(["10.0.0.256", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/8/1", "eth0", "10.0.0.0/x", ""].some(isAddressOrCidr)).toBe(false);
  });

  it("parses --rule values", () => {
    expect(parseRuleFlags(["test-accept: off", "test-drop:warn, test-accept: 2"], testRules)).toEqual({ "test-accept": { severity: "error" }, "test-drop": { severity: "warning" } });
    expect(parseRuleFlags(['test-targets: ["error", {"targets": ["DROP"]}]'], testRules)).toEqual({ "test-targets": { severity: "error", options: { targets: ["DROP"] } } });
    const fail = (v: string) => {
      try {
        parseRuleFlags([v], testRules);
      } catch (e) {
        return (e as ConfigError).message;
      }
      return "no error";
    };
    expect(fail("test-accept")).toContain('expected "rule-id: off|warn|error"');
    expect(fail("test-accept: loud")).toContain("severity must be off, warn or error");
    expect(fail("nope: off")).toContain('unknown rule "nope"');
    expect(fail('test-targets: ["error", {"targets": 3}]')).toContain("/test-targets/1/targets: must be array");
    expect(fail("test-targets: [error]")).toContain("not valid JSON");
  });
});

describe("finding and applying configuration", () => {
  const tree = () =>
    makeTree({
      ".fwlintrc.json": JSON.stringify({
        rules: { "test-accept": "error" },
        facts: { externalInterfaces: ["eth0"] },
        ignores: ["old/", "*.bak.rules"],
        include: ["fw/*.sh"],
        overrides: [
          { files: ["hosts/db/**"], excludedFiles: ["hosts/db/lab.rules"], rules: { "test-drop": "off" }, facts: { externalInterfaces: ["bond0"], persisted: true } },
          { files: ["scripts/*.sh"], kind: "script" },
        ],
      }),
      "hosts/db/rules.v4": "",
      "hosts/db/lab.rules": "",
      "team/fwlint.config.json": JSON.stringify({ rules: { "test-accept": "off" } }),
      "team/x/rules.v4": "",
      "dual/.fwlintrc.json": "{}",
      "dual/fwlint.config.json": "{}",
      "dual/rules.v4": "",
      "bad/.fwlintrc.json": '{"rules": {"nope": "off"}}',
      "bad/rules.v4": "",
    });

  it("uses the nearest config walking up, merging overrides in order and the command line last", () => {
    const root = tree();
    const r = new ConfigResolver(root, { rules: { "test-targets": { severity: "warning" } } }, testRules);
    const db = r.settingsFor(join(root, "hosts/db/rules.v4"));
    expect(db.configPath).toBe(join(root, ".fwlintrc.json"));
    expect(db.config.rules).toEqual({ "test-accept": { severity: "error" }, "test-drop": { severity: "off" }, "test-targets": { severity: "warning" } });
    expect(db.config.facts).toEqual({ externalInterfaces: ["bond0"], persisted: true });
    expect(db.config.linterOptions).toEqual({ noInlineConfig: false, reportUnusedDisableDirectives: "warning" });
    const lab = r.settingsFor(join(root, "hosts/db/lab.rules"));
    expect(lab.config.rules["test-drop"]).toBeUndefined();
    expect(lab.config.facts).toEqual({ externalInterfaces: ["eth0"] });
    const team = r.settingsFor(join(root, "team/x/rules.v4"));
    expect(team.configPath).toBe(join(root, "team/fwlint.config.json"));
    expect(team.config.rules["test-accept"]).toEqual({ severity: "off" });
    expect(r.settingsFor(join(root, "scripts/up.sh")).kind).toBe("script");
  });

  it("answers ignore and include questions with gitignore-like patterns", () => {
    const root = tree();
    const r = new ConfigResolver(root, {}, testRules);
    expect(r.isIgnored(join(root, "old/rules.v4"))).toBe(true);
    expect(r.isIgnored(join(root, "a/b/x.bak.rules"))).toBe(true);
    expect(r.isIgnored(join(root, "a/rules.v4"))).toBe(false);
    expect(r.isIncluded(join(root, "fw/up.sh"))).toBe(true);
    expect(r.isIncluded(join(root, "scripts/up.sh"))).toBe(true); // an override that sets a kind includes its files
    expect(r.isIncluded(join(root, "other/up.sh"))).toBe(false);
    expect(new ConfigResolver(root, { noIgnore: true }, testRules).isIgnored(join(root, "old/rules.v4"))).toBe(false);
    expect(new ConfigResolver(root, { ignorePatterns: ["hosts/"] }, testRules).isIgnored(join(root, "hosts/db/rules.v4"))).toBe(true);
  });

  it("--config replaces the search for every file", () => {
    const root = tree();
    const r = new ConfigResolver(root, { configFile: "team/fwlint.config.json" }, testRules);
    expect(r.settingsFor(join(root, "hosts/db/rules.v4")).configPath).toBe(join(root, "team/fwlint.config.json"));
  });

  it("fails on two config files in one directory, on a bad config, and on a missing --config", () => {
    const root = tree();
    const r = new ConfigResolver(root, {}, testRules);
    expect(() => r.settingsFor(join(root, "dual/rules.v4"))).toThrow(/both \.fwlintrc\.json and fwlint\.config\.json exist/);
    expect(() => r.settingsFor(join(root, "bad/rules.v4"))).toThrow(`invalid configuration ${join(root, "bad/.fwlintrc.json")}:1:12: /rules/nope: unknown rule "nope"`);
    expect(() => new ConfigResolver(root, { configFile: "missing.json" }, testRules)).toThrow(/missing\.json: \(document\): no such file/);
  });

  it("uses the defaults when no config file exists up to the root", () => {
    const root = makeTree({ "rules.v4": "" });
    const s = new ConfigResolver(root, {}, testRules).settingsFor(join(root, "rules.v4"));
    expect(s.configPath).toBeNull();
    expect(s.config.rules).toEqual({});
  });
});

describe("the schema and ProjectFacts", () => {
  it("name the same facts", () => {
    const source = readFileSync("src/rule.ts", "utf8");
    const body = /export interface ProjectFacts \{([\s\S]*?)\n\}/.exec(source)![1]!;
    const keys = [...body.matchAll(/^\s+readonly (\w+)\?:/gm)].map((m) => m[1]).sort();
    const schema = configSchema() as { definitions: { facts: { properties: Record<string, unknown> } } };
    expect(Object.keys(schema.definitions.facts.properties).sort()).toEqual(keys);
    expect(keys.length).toBeGreaterThanOrEqual(5);
  });
});
