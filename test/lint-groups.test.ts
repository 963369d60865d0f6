/**
 * Which files the engine must lint together (lintGroups): files are linted apart (worker threads, CI
 * shards) only when no project rule that is on can compare them, and then the results are the same.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lintFiles, lintGroups, type LintInput } from "../src/lint.js";
import { defineRule, type LintRule } from "../src/rule.js";

const DUMP = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n";
const DOCKER_DUMP = readFileSync("fixtures/rules/docker-config-mismatch/project-stale/host.rules", "utf8");
const DAEMON = readFileSync("fixtures/rules/docker-config-mismatch/project-stale/daemon.json", "utf8");
const input = (filePath: string, text: string): LintInput => ({ filePath, text });
/** A project rule for these tests: compares files, reports nothing unless `check` does. */
const projectRule = (parts: Pick<Parameters<typeof defineRule>[0], "check" | "appliesTo">): LintRule =>
  defineRule({ id: "test-project", language: "project", category: "style", severity: "warning", description: "Compares files", tags: ["test"], docs: { rationale: "Test rule.", bad: "", good: "" }, ...parts }) as LintRule;

describe("lintGroups: which files must be linted together", () => {
  it("every file alone when no project rule can compare them", () => {
    expect(lintGroups([input("/a/rules.v4", DUMP), input("/b/rules.v4", DUMP), input("/c/x.rules", DUMP)])).toEqual([[0], [1], [2]]);
    // two hosts' daemon.json: the Docker project rules pair nothing, so nothing is compared
    expect(lintGroups([input("/a/daemon.json", DAEMON), input("/a/rules.v4", DOCKER_DUMP), input("/b/daemon.json", DAEMON), input("/b/rules.v4", DOCKER_DUMP)])).toEqual([[0], [1], [2], [3]]);
    // a daemon.json alone, or daemon.json files only
    expect(lintGroups([input("/a/daemon.json", DAEMON), input("/b/daemon.json", DAEMON)])).toEqual([[0], [1]]);
  });

  it("together when one daemon.json and dumps may be paired", () => {
    expect(lintGroups([input("/a/rules.v4", DOCKER_DUMP), input("/a/daemon.json", DAEMON), input("/a/rules.v6", DUMP)])).toEqual([[0, 1, 2]]);
    // a daemon.json that is not an object pairs nothing: the other one is the host's
    expect(lintGroups([input("/a/daemon.json", "[1]"), input("/b/daemon.json", DAEMON), input("/b/rules.v4", DOCKER_DUMP)])).toEqual([[0, 1, 2]]);
  });

  it("apart again when the project rules are off for every file", () => {
    const off = { rules: { "docker-config-mismatch": { severity: "off" as const }, "docker-bind-address-mismatch": { severity: "off" as const } }, facts: {} };
    expect(lintGroups([input("/a/rules.v4", DOCKER_DUMP), input("/a/daemon.json", DAEMON)], { config: off })).toEqual([[0], [1]]);
    // on for one file is enough to keep them together
    expect(lintGroups([{ ...input("/a/rules.v4", DOCKER_DUMP), config: off }, input("/a/daemon.json", DAEMON)])).toEqual([[0, 1]]);
    // docker-nftables-backend-conflict keeps them together only when daemon.json selects nftables
    const nft = input("/a/daemon.json", '{ "firewall-backend": "nftables" }');
    expect(lintGroups([input("/a/rules.v4", DOCKER_DUMP), nft], { config: off })).toEqual([[0, 1]]);
    expect(lintGroups([input("/a/rules.v4", DOCKER_DUMP), nft], { config: { ...off, rules: { ...off.rules, "docker-nftables-backend-conflict": { severity: "off" as const } } } })).toEqual([[0], [1]]);
  });

  it("together whenever a project rule does not say when it applies", () => {
    const anything = projectRule({ check() {} });
    expect(lintGroups([input("/a.rules", DUMP), input("/b.rules", DUMP)], { rules: [anything] })).toEqual([[0, 1]]);
    const never = { ...anything, appliesTo: () => false } as LintRule;
    expect(lintGroups([input("/a.rules", DUMP), input("/b.rules", DUMP)], { rules: [never] })).toEqual([[0], [1]]);
    // a rule that would apply to one file alone keeps them together (alone it would report, together not)
    const alone = { ...anything, appliesTo: (files: readonly unknown[]) => files.length === 1 } as LintRule;
    expect(lintGroups([input("/a.rules", DUMP), input("/b.rules", DUMP)], { rules: [alone] })).toEqual([[0, 1]]);
  });

  it("linting the groups one by one gives what linting everything together gives", () => {
    const inputs = [input("/h1/daemon.json", DAEMON), input("/h1/rules.v4", DOCKER_DUMP), input("/h2/daemon.json", DAEMON), input("/h2/rules.v4", DOCKER_DUMP), input("/h3/x.rules", "*filter\n-A INPUT -p tcp --dport\nCOMMIT\n")];
    const strip = (rs: ReturnType<typeof lintFiles>) => rs.map(({ file: _f, ...r }) => r);
    const together = strip(lintFiles(inputs));
    const apart = lintGroups(inputs).flatMap((g) => strip(lintFiles(g.map((k) => inputs[k]!))));
    expect(apart).toEqual(together);
    expect(together.some((r) => r.messages.length > 0)).toBe(true);
  });

  it("the engine skips a project rule that says it does not apply", () => {
    let ran = 0;
    const rule = projectRule({
      appliesTo: (files) => files.length > 2,
      check() {
        ran++;
      },
    });
    lintFiles([input("/a.rules", DUMP), input("/b.rules", DUMP)], { rules: [rule] });
    expect(ran).toBe(0);
    lintFiles([input("/a.rules", DUMP), input("/b.rules", DUMP), input("/c.rules", DUMP)], { rules: [rule] });
    expect(ran).toBe(1);
  });
});
