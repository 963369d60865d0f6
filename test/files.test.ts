import { chmodSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeText, discover, findProjectRoot, isDefaultLintName, PathMatcher, readTextFile, relativePosix } from "../src/files.js";
import { makeTree } from "./support/cli.js";

describe("PathMatcher (gitignore-like globs relative to a base)", () => {
  const m = (patterns: string[]) => new PathMatcher("/repo", patterns);

  it("matches a name without slash at any depth, and everything below a matching directory", () => {
    const p = m(["*.bak", "vendor"]);
    expect(p.matches("/repo/a.bak")).toBe(true);
    expect(p.matches("/repo/x/y/a.bak")).toBe(true);
    expect(p.matches("/repo/vendor/rules.v4")).toBe(true);
    expect(p.matches("/repo/x/vendor/y/rules.v4")).toBe(true);
    expect(p.matches("/repo/vendors/rules.v4")).toBe(false);
  });

  it("anchors patterns with a slash to the base, and a trailing slash means a directory", () => {
    const p = m(["hosts/*/rules.v4", "/top.rules", "build/"]);
    expect(p.matches("/repo/hosts/db/rules.v4")).toBe(true);
    expect(p.matches("/repo/x/hosts/db/rules.v4")).toBe(false);
    expect(p.matches("/repo/top.rules")).toBe(true);
    expect(p.matches("/repo/sub/top.rules")).toBe(false);
    expect(p.matches("/repo/build/a.rules")).toBe(true);
    expect(m(["build/"]).matches("/repo/build")).toBe(false); // a file named build
  });

  it("lets a later ! pattern re-include, matches dot files, and never matches outside the base", () => {
    const p = m(["*.rules", "!keep.rules"]);
    expect(p.matches("/repo/a.rules")).toBe(true);
    expect(p.matches("/repo/keep.rules")).toBe(false);
    expect(m(["**/*.rules"]).matches("/repo/.hidden/a.rules")).toBe(true);
    expect(m(["*.rules"]).matches("/elsewhere/a.rules")).toBe(false);
    expect(m([]).matches("/repo/a.rules")).toBe(false);
  });
});

describe("discovering files", () => {
  const hooks = (ignored: string[] = [], included: string[] = []) => ({
    isIgnored: (p: string) => ignored.some((i) => p.includes(i)),
    isIncluded: (p: string) => included.some((i) => p.endsWith(i)),
  });
  const tree = () =>
    makeTree({
      "etc/iptables/rules.v4": "",
      "etc/iptables/rules.v6": "",
      "etc/iptables/notes.txt": "",
      "etc/docker/daemon.json": "{}",
      "etc/docker/other.json": "{}",
      "hosts/a/web.rules": "",
      "hosts/a/.rules": "",
      "hosts/a/firewall.sh": "iptables -A INPUT -j DROP\n",
      "hosts/b/iptables.rules": "",
      "hosts/b/ip6tables.rules": "",
      "node_modules/pkg/x.rules": "",
      ".git/x.rules": "",
      "dumps/host1.save": "",
      "dumps/host2.save": "",
    });

  it("knows the names it lints when searching", () => {
    expect(["rules.v4", "rules.v6", "daemon.json", "web.rules", "iptables.rules", "ip6tables.rules"].every(isDefaultLintName)).toBe(true);
    expect(["rules.v5", ".rules", "firewall.sh", "daemon.json.bak", "other.json", "rules"].some(isDefaultLintName)).toBe(false);
  });

  it("searches directories for rules.v4/v6, *.rules and daemon.json, in sorted order, skipping node_modules and .git", () => {
    const root = tree();
    const d = discover(["."], root, hooks());
    expect(d.targets.map((t) => relativePosix(root, t.path))).toEqual(["etc/docker/daemon.json", "etc/iptables/rules.v4", "etc/iptables/rules.v6", "hosts/a/web.rules", "hosts/b/ip6tables.rules", "hosts/b/iptables.rules"]);
    expect(d.targets.every((t) => !t.explicit)).toBe(true);
    expect(d.problems).toEqual([]);
  });

  it("adds files config includes and leaves out ignored ones", () => {
    const root = tree();
    const d = discover(["hosts"], root, hooks(["hosts/b"], ["firewall.sh"]));
    expect(d.targets.map((t) => relativePosix(root, t.path))).toEqual(["hosts/a/firewall.sh", "hosts/a/web.rules"]);
  });

  it("lints a file named explicitly whatever its name, and reports ignored explicit files apart", () => {
    const root = tree();
    const d = discover(["dumps/host1.save", "etc/iptables/notes.txt", "hosts/b/iptables.rules"], root, hooks(["hosts/b"]));
    expect(d.targets.map((t) => [relativePosix(root, t.path), t.explicit])).toEqual([
      ["dumps/host1.save", true],
      ["etc/iptables/notes.txt", true],
    ]);
    expect(d.ignored.map((p) => relativePosix(root, p))).toEqual(["hosts/b/iptables.rules"]);
  });

  it("expands globs from their static base, without dot files, deduplicating", () => {
    const root = tree();
    const d = discover(["dumps/*.save", "hosts/**/*.rules", "dumps/host1.save"], root, hooks());
    expect(d.targets.map((t) => relativePosix(root, t.path))).toEqual(["dumps/host1.save", "dumps/host2.save", "hosts/a/web.rules", "hosts/b/ip6tables.rules", "hosts/b/iptables.rules"]);
  });

  it("takes an existing path literally even when it looks like a glob", () => {
    const root = makeTree({ "hosts/[old]/rules.v4": "", "hosts/o/rules.v4": "" });
    expect(discover(["hosts/[old]/rules.v4"], root, hooks()).targets.map((t) => relativePosix(root, t.path))).toEqual(["hosts/[old]/rules.v4"]);
    expect(discover(["hosts/[o]/rules.v4"], root, hooks()).targets.map((t) => relativePosix(root, t.path))).toEqual(["hosts/o/rules.v4"]);
  });

  it("reports missing paths (I/O) and patterns that match nothing, and goes on", () => {
    const root = tree();
    const d = discover(["missing.rules", "dumps/*.nothing", "etc/iptables/rules.v4", "dumps"], root, hooks());
    expect(d.targets.map((t) => relativePosix(root, t.path))).toEqual(["etc/iptables/rules.v4"]);
    expect(d.problems).toEqual([
      { pattern: "missing.rules", message: "missing.rules: cannot read file (no such file or directory)", io: true },
      { pattern: "dumps/*.nothing", message: 'No files matching the pattern "dumps/*.nothing" were found', io: false },
      { pattern: "dumps", message: 'No files matching the pattern "dumps" were found', io: false },
    ]);
  });

  it("searches node_modules only when it is named", () => {
    const root = tree();
    expect(discover(["node_modules"], root, hooks()).targets.map((t) => relativePosix(root, t.path))).toEqual(["node_modules/pkg/x.rules"]);
  });

  it("follows symlinked files but not symlinked directories", () => {
    const root = tree();
    symlinkSync(join(root, "etc/iptables/rules.v4"), join(root, "hosts/a/link.rules"));
    symlinkSync(join(root, "etc"), join(root, "hosts/a/etc-link"));
    const d = discover(["hosts/a"], root, hooks());
    expect(d.targets.map((t) => relativePosix(root, t.path))).toEqual(["hosts/a/link.rules", "hosts/a/web.rules"]);
  });
});

describe("reading files", () => {
  it("reads text, refuses binary files and unreadable files with a one-line reason", () => {
    const root = makeTree({ "a.rules": "*filter\nCOMMIT\n", "b.rules": "x\u0000y", "c.rules": "secret" });
    expect(readTextFile(join(root, "a.rules"))).toBe("*filter\nCOMMIT\n");
    expect(() => readTextFile(join(root, "b.rules"))).toThrow("b.rules: cannot read file (binary file, not text)");
    expect(() => readTextFile(join(root, "nope.rules"))).toThrow("nope.rules: cannot read file (no such file or directory)");
    if (process.getuid?.() !== 0) {
      chmodSync(join(root, "c.rules"), 0);
      expect(() => readTextFile(join(root, "c.rules"))).toThrow("c.rules: cannot read file (permission denied)");
    }
  });

  it("decodes a file as UTF-8 whether or not it is all ASCII (the ASCII fast path gives the same string)", () => {
    const texts: Record<string, string | Buffer> = {
      "ascii.rules": "*filter\n-A INPUT -m comment --comment \"plain\" -j ACCEPT\nCOMMIT\n",
      "utf8.rules": "*filter\n-A INPUT -m comment --comment \"café ☕ 𝄞\" -j ACCEPT\nCOMMIT\n",
      "bom.rules": "\ufeff*filter\nCOMMIT\n",
      // a lone byte above 127 is not UTF-8: the decoder gives U+FFFD, not the Latin-1 character
      "latin1.rules": Buffer.from([0x2a, 0x66, 0xe9, 0x0a, 0x7f, 0x0a]),
    };
    // random bytes without NUL, half of the files limited to ASCII
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 255;
    for (let f = 0; f < 40; f++) texts[`random-${f}.rules`] = Buffer.from(Array.from({ length: 50 + f * 7 }, () => (f % 2 ? next() % 127 : next()) || 1));
    const root = makeTree(Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, typeof v === "string" ? v : ""])));
    for (const [name, v] of Object.entries(texts)) if (typeof v !== "string") writeFileSync(join(root, name), v);
    for (const name of Object.keys(texts)) {
      const bytes = readFileSync(join(root, name));
      expect(readTextFile(join(root, name)), name).toBe(bytes.toString("utf8"));
      expect(decodeText(bytes), name).toBe(bytes.toString("utf8"));
    }
    expect(readTextFile(join(root, "utf8.rules"))).toContain("café ☕ 𝄞");
    expect(readTextFile(join(root, "latin1.rules"))).toBe("*f\ufffd\n\u007f\n");
  });

  it("finds the repository root from .git, else uses the directory itself", () => {
    const root = makeTree({ ".git/HEAD": "ref: refs/heads/main\n", "a/b/rules.v4": "" });
    expect(findProjectRoot(join(root, "a/b"))).toBe(root);
    const bare = makeTree({ "x/rules.v4": "" });
    expect(findProjectRoot(join(bare, "x"))).toBe(join(bare, "x"));
  });
});
