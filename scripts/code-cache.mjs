// Part of `npm run build` (called by scripts/bundle.mjs): makes dist/bundle/fwlint.cjs.cache, V8's code cache of
// the bundled program (src/bin/code-cache.ts). Loads the program as the bin does, runs it over a few of the
// bundled examples so that V8 compiles the functions a lint, a report in each format, `exposure` and `trace`
// call, then writes what V8 compiled. V8 keeps a cache only for the flags it was made with, and fwlint changes
// some at run time (src/commands/tiering.ts): this process keeps V8's defaults throughout, as a run starts.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
Object.assign(process.env, { FWLINT_V8_DEFAULT_TIERING: "1", FWLINT_V8_DEFAULT_GC: "1", FWLINT_V8_DEFAULT_THREADS: "1" });
const { loadProgram, CACHE_FILE } = await import(join(root, "dist/src/bin/code-cache.js"));
const dir = join(root, "dist/bundle");
const loaded = loadProgram(dir);

let errors = "";
const io = {
  cwd: root,
  env: { ...process.env, NO_COLOR: "1" },
  stdout: { write: () => true },
  stderr: { write: (text) => ((errors += text), true) },
  stdin: { isPiped: () => false, read: async () => "" },
};
const host = "fixtures/examples/docker-host.rules";
const runs = [
  ["--no-color", "fixtures/examples"],
  ["--format", "json", "fixtures/rules"],
  ["--format", "sarif", "fixtures/examples"],
  ["--format", "github", "fixtures/examples"],
  ["exposure", host],
  ["exposure", "--format", "json", host],
  ["trace", host, "--in", "eth0", "--src", "198.51.100.7", "--dst", "172.17.0.2", "--dport", "80"],
  ["trace", host, "--format", "json", "--in", "eth0", "--src", "198.51.100.7", "--dst", "172.17.0.2", "--dport", "80"],
];
for (const argv of runs) {
  errors = "";
  if ((await loaded.program.run(argv, io)) === 2) throw new Error(`code cache: fwlint ${argv.join(" ")} exited 2: ${errors.trim()}`);
}
writeFileSync(join(dir, CACHE_FILE), loaded.makeCache());
