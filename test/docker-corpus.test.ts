/**
 * Docker rules on real material (../shared/corpus): Docker's own dumps never count as edited, and a real
 * Docker dump plus one pitfall triggers exactly the matching rule on the pitfall's line.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintFiles } from "../src/lint.js";
import type { ProjectFacts } from "../src/rule.js";
import { CORPUS } from "./support/corpus.js";

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

const DOCKER_WRITTEN = [...walk(join(CORPUS, "docker")), ...walk(join(CORPUS, "docker-real"))].filter((f) => !/SOURCES\.tsv$|\.md$/.test(f));
/** Docker's iptables-format files (the nftables backend's .nft listings are not iptables input). */
const IPTABLES_FILES = DOCKER_WRITTEN.filter((f) => !f.endsWith(".nft"));

describe("docker-chain-modified on Docker's own rules", () => {
  it("has the whole corpus", () => {
    expect(IPTABLES_FILES.length).toBeGreaterThanOrEqual(618);
  });

  it(`is silent on every Docker-written file (${IPTABLES_FILES.length} iptables dumps of every layout and option combination)`, () => {
    const noisy: string[] = [];
    for (const path of IPTABLES_FILES) {
      const [result] = lintFiles([{ text: readFileSync(path, "utf8"), filePath: path }]);
      for (const m of result!.messages) if (m.ruleId === "docker-chain-modified") noisy.push(`${path}:${m.span.line} ${m.message}`);
    }
    expect(noisy).toEqual([]);
  });

  it("finds no user edit in any of them, and none of their rules goes unrecognised in Docker's chains", async () => {
    const { parse } = await import("../src/parse/index.js");
    const { analyzeDocker } = await import("../src/docker/index.js");
    let dockerRules = 0;
    for (const path of IPTABLES_FILES) {
      const layout = analyzeDocker(parse(readFileSync(path, "utf8"), { filePath: path }));
      expect(layout.userEdits, path).toEqual([]);
      dockerRules += layout.dockerRules.size;
    }
    expect(dockerRules).toBeGreaterThan(9_000);
  });
});

// ── pitfalls injected into real dumps ──

interface Pitfall {
  readonly name: string;
  readonly rule: string;
  /** Turn the dump into the broken one; returns the text and the line (content) the finding must be on. */
  apply(text: string): { text: string; line: string };
  readonly facts?: ProjectFacts;
  readonly filePath?: string;
}

const lines = (t: string) => t.split("\n");

/** Insert `line` as the first rule of DOCKER-USER (before its first rule, or before the filter COMMIT). */
function firstInDockerUser(text: string, line: string): string {
  const ls = lines(text);
  let at = ls.findIndex((l) => l.startsWith("-A DOCKER-USER "));
  if (at === -1) {
    const filter = ls.findIndex((l) => l === "*filter");
    at = ls.findIndex((l, i) => i > filter && l === "COMMIT");
  }
  ls.splice(at, 0, line);
  return ls.join("\n");
}

function afterLast(text: string, prefix: string, line: string): string {
  const ls = lines(text);
  let at = -1;
  ls.forEach((l, i) => {
    if (l.startsWith(prefix)) at = i;
  });
  ls.splice(at + 1, 0, line);
  return ls.join("\n");
}

const PITFALLS: readonly Pitfall[] = [
  {
    name: "a hand-added rule in filter DOCKER",
    rule: "docker-chain-modified",
    apply: (t) => ({ text: afterLast(t, "-A DOCKER ", "-A DOCKER -s 203.0.113.0/24 -j ACCEPT"), line: "-A DOCKER -s 203.0.113.0/24 -j ACCEPT" }),
  },
  {
    name: "FORWARD no longer jumps to DOCKER-USER",
    rule: "docker-user-not-jumped",
    apply: (t) => ({ text: t.replace("-A FORWARD -j DOCKER-USER\n", ""), line: ":DOCKER-USER - [0:0]" }),
  },
  {
    name: "DOCKER-USER matches the host port",
    rule: "docker-user-post-dnat-match",
    apply: (t) => ({ text: firstInDockerUser(t, "-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP"), line: "-A DOCKER-USER -p tcp -m tcp --dport 8080 -j DROP" }),
  },
  {
    name: "a DOCKER-USER DROP without an established-traffic accept",
    rule: "docker-user-blocks-replies",
    apply: (t) => ({ text: firstInDockerUser(t, "-A DOCKER-USER -i eth0 ! -s 192.168.1.0/24 -j DROP"), line: "-A DOCKER-USER -i eth0 ! -s 192.168.1.0/24 -j DROP" }),
  },
  {
    name: "Docker's example interface pasted as is",
    rule: "placeholder-interface",
    apply: (t) => ({ text: firstInDockerUser(t, "-A DOCKER-USER -i ext_if -m conntrack --ctstate NEW ! -s 192.168.1.0/24 -j DROP"), line: "-A DOCKER-USER -i ext_if -m conntrack --ctstate NEW ! -s 192.168.1.0/24 -j DROP" }),
  },
  {
    name: "a RETURN in front of the restrictions",
    rule: "docker-user-unrestricted",
    facts: { externalInterfaces: ["eth0"] },
    apply: (t) => {
      const restricted = firstInDockerUser(firstInDockerUser(t, "-A DOCKER-USER -i eth0 -m conntrack --ctstate NEW -j DROP"), "-A DOCKER-USER -j RETURN");
      const dnat = lines(t).find((l) => l.startsWith("-A DOCKER ") && l.includes("-j DNAT"))!;
      return { text: restricted, line: dnat };
    },
  },
];

/** Real dumps of each layout with a published port (8080 → 80) and a DOCKER-USER chain. */
const DUMPS = [
  join(CORPUS, "docker-real", "docker20.10-one-published-port.rules"),
  join(CORPUS, "docker", "iptablesdoc_usernet-portmap__docker-27.x-style.rules"),
  join(CORPUS, "docker", "iptablesdoc_usernet-portmap__docker-28.0.0.rules"),
  join(CORPUS, "docker", "iptablesdoc_usernet-portmap__docker-28.0.1_to_28.1.1.rules"),
  join(CORPUS, "docker", "iptablesdoc_usernet-portmap__docker-28.2.2_to_28.5.2.rules"),
  join(CORPUS, "docker", "iptablesdoc_usernet-portmap__docker-29.0.0_to_29.7.2+master.rules"),
];

/** Findings as (rule, line content) so that inserted lines do not shift the comparison. */
function findings(text: string, facts: ProjectFacts, filePath = "host.rules"): Set<string> {
  const [r] = lintFiles([{ text, filePath }], { config: { rules: {}, facts } });
  const ls = lines(text);
  return new Set(r!.messages.map((m) => `${m.ruleId}\t${ls[m.span.line - 1]}`));
}

describe.each(DUMPS.map((path) => ({ path, name: path.split("/").pop()! })))("$name plus one pitfall", ({ path }) => {
  const base = readFileSync(path, "utf8");

  it.each(PITFALLS.map((p) => ({ ...p, label: p.name })))("$label → $rule", (pitfall) => {
    const facts = pitfall.facts ?? {};
    const { text, line } = pitfall.apply(base);
    // The starting point: the clean dump, with the restriction the pitfall then breaks.
    const before = pitfall.rule === "docker-user-unrestricted" ? findings(firstInDockerUser(base, "-A DOCKER-USER -i eth0 -m conntrack --ctstate NEW -j DROP"), facts) : findings(base, facts);
    const after = findings(text, facts);
    const added = [...after].filter((k) => !before.has(k));
    expect(added).toEqual([`${pitfall.rule}\t${line}`]);
    const removed = [...before].filter((k) => !after.has(k));
    // A new DOCKER-USER restriction may close a port that was reported open; nothing else may go away.
    expect(removed.every((k) => k.startsWith("docker-user-unrestricted\t")), removed.join("\n")).toBe(true);
  });

  it("saved as rules.v4 → docker-rules-persisted, and nothing else new", () => {
    const before = findings(base, {});
    const after = findings(base, {}, "/etc/iptables/rules.v4");
    const added = [...after].filter((k) => !before.has(k));
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((k) => k.startsWith("docker-rules-persisted\t"))).toBe(true);
    const [saved] = lintFiles([{ text: base, filePath: "/etc/iptables/rules.v4" }]);
    expect(saved!.messages.some((m) => m.ruleId === "docker-rules-persisted" && m.message.includes("DNAT 8080/tcp →"))).toBe(true);
  });
});
