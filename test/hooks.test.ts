/**
 * The pre-commit hooks: their definition, the files they select, and their entry run the way pre-commit runs
 * it (the package's bin, with the matching file names appended) on fixture files.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { lintRules } from "../rules/index.js";
import { builtCli } from "./support/build.js";
import { makeTree } from "./support/cli.js";

interface Hook {
  [key: string]: string | string[] | boolean;
}

/** Enough YAML for .pre-commit-hooks.yaml: a list of flat maps with scalars, quoted strings and [a, b] lists. */
function readHooks(text: string): Hook[] {
  const hooks: Hook[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "");
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^(- )?\s*([a-z_]+):\s*(.*)$/.exec(line);
    if (!m) throw new Error(`cannot read line: ${raw}`);
    if (m[1]) hooks.push({});
    const value = m[3]!;
    hooks[hooks.length - 1]![m[2]!] = value.startsWith("[") ? value.slice(1, -1).split(",").map((s) => s.trim()) : value.startsWith("'") ? value.slice(1, -1).replace(/''/g, "'") : value === "true" ? true : value === "false" ? false : value;
  }
  return hooks;
}

const hooks = readHooks(readFileSync(".pre-commit-hooks.yaml", "utf8"));
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { bin: Record<string, string> };
const byId = (id: string) => hooks.find((h) => h.id === id)!;

describe(".pre-commit-hooks.yaml", () => {
  it("defines node hooks whose entry is the package's bin", () => {
    expect(hooks.map((h) => h.id)).toEqual(["fwlint", "fwlint-scripts"]);
    for (const h of hooks) {
      expect(h.language).toBe("node");
      expect(h.name).toBeTruthy();
      expect(h.description).toBeTruthy();
      expect(Object.keys(pkg.bin)).toContain(String(h.entry).split(" ")[0]);
      expect(h.require_serial).toBe(true);
      expect(h.pass_filenames).toBeUndefined(); // default true: pre-commit appends the file names
    }
    expect(byId("fwlint-scripts").entry).toBe("fwlint --kind script");
  });

  it("selects the file names fwlint lints, and nothing else", () => {
    const files = new RegExp(String(byId("fwlint").files));
    for (const p of ["rules.v4", "etc/iptables/rules.v6", "hosts/web/web.rules", "iptables.rules", "ip6tables.rules", "daemon.json", "etc/docker/daemon.json"]) expect(files.test(p), p).toBe(true);
    for (const p of ["rules.v4.bak", "README.md", "daemon.json.orig", "x/my.rules.txt", ".rules", "docs/rules.v45", "notdaemon.json2"]) expect(files.test(p), p).toBe(false);
  });
});

describe("the hook's entry on fixture files", () => {
  let bin = "";
  // pre-commit installs the package, whose prepare script builds dist/
  beforeAll(() => {
    bin = builtCli();
  }, 120_000);

  /** Run the hook as pre-commit would on these repository files. */
  function runHook(id: string, repo: string, staged: string[]) {
    const hook = byId(id);
    const selected = staged.filter((f) => (hook.files ? new RegExp(String(hook.files)).test(f) : true) && (!(hook.types as string[]).includes("shell") || /\.(sh|bash)$/.test(f)));
    const [entry, ...args] = String(hook.entry).split(" ");
    expect(entry).toBe("fwlint");
    const r = spawnSync(process.execPath, [bin, ...args, ...selected], { cwd: repo, encoding: "utf8", env: { PATH: process.env.PATH ?? "", PRE_COMMIT: "1" } });
    return { selected, code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function repo(): string {
    // only syntax-error on, so the expectations hold as the rule set grows
    const rules = Object.fromEntries(lintRules.filter((r) => r.id !== "syntax-error").map((r) => [r.id, "off"]));
    const root = makeTree({ ".fwlintrc.json": JSON.stringify({ rules }), "README.md": "# docs\n", "fw/up.sh": "#!/bin/sh\niptables -A INPUT -p tcp --dport\n", "fw/other.sh": "#!/bin/sh\necho hello\n" });
    copyFileSync("fixtures/rules/syntax-error/invalid.rules", join(root, "invalid.rules"));
    copyFileSync("fixtures/rules/syntax-error/valid.rules", join(root, "valid.rules"));
    copyFileSync("fixtures/examples/daemon.json", join(root, "daemon.json"));
    return root;
  }

  it("passes on clean files", () => {
    const r = runHook("fwlint", repo(), ["valid.rules", "daemon.json", "README.md"]);
    expect(r.selected).toEqual(["valid.rules", "daemon.json"]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, "", ""]);
  });

  it("fails the commit on errors, with ESLint-style output", () => {
    const root = repo();
    const r = runHook("fwlint", root, ["valid.rules", "invalid.rules", "README.md"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(root, "invalid.rules")}\n   5:31  warning  unterminated quote in --comment value`);
    expect(r.stdout).toContain("\u2716 6 problems (5 errors, 1 warning)");
  });

  it("the scripts hook lints iptables commands in shell scripts only", () => {
    const root = repo();
    const r = runHook("fwlint-scripts", root, ["fw/up.sh", "fw/other.sh", "valid.rules"]);
    expect(r.selected).toEqual(["fw/up.sh", "fw/other.sh"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(root, "fw/up.sh")}\n  2:26  error  option --dport needs a value  syntax-error`);
    expect(runHook("fwlint-scripts", root, ["fw/other.sh"]).code).toBe(0);
  });
});
