// Part of `npm run build`: bundles the built program (dist/src/cli.js and its --concurrency worker) into
// dist/bundle/, the `fwlint` bin. One file per entry instead of ~130 modules plus the dependencies' own files:
// Node's ES module loader resolves, reads and links every module separately, which cost ~110 ms of each run's
// start-up (0.26 s → 0.15 s for `fwlint --version` on the benchmark machine). The library (`import … from
// "fwlint"`) stays the unbundled dist/src/index.js.
//
// The program is bundled as CommonJS (dist/bundle/fwlint.cjs) so that the bin (dist/bundle/cli.js, from
// src/bin/fwlint.ts) can compile it with V8's code cache, which Node 20 offers to scripts and not to ES modules.
// The cache (fwlint.cjs.cache) is made last, by scripts/code-cache.mjs in a process of its own, over a few
// examples: see src/bin/code-cache.ts. The worker stays an ES module bundle beside the bin (parallel.ts starts
// "./lint-worker.js" next to itself).
//
// Dependencies are bundled too. Some are CommonJS and call require() for Node built-ins, which an ES module
// bundle cannot do by itself: the banner gives the ES module bundles a real require. The runtime require() calls
// in the sources (ajv, picomatch, loaded lazily through createRequire) are left to Node and resolve from
// node_modules. In the CommonJS bundle `import.meta.url` becomes the bundle's own file URL.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist/bundle");
const common = { bundle: true, platform: "node", target: "node20", logLevel: "warning" };
const esmRequire = { js: 'import { createRequire as __fwlintRequire } from "node:module";\nconst require = __fwlintRequire(import.meta.url);' };

await build({ ...common, entryPoints: { "lint-worker": join(root, "dist/src/commands/lint-worker.js") }, outdir, format: "esm", banner: esmRequire });
await build({ ...common, entryPoints: { cli: join(root, "dist/src/bin/fwlint.js") }, outdir, format: "esm" });

// string-width (yargs' help layout, through cliui and wrap-ansi) builds an Intl.Segmenter and Unicode
// property-of-strings regular expressions when it is loaded: about 20 ms of every run's start-up, for help
// text most runs never print. Imports of it get a stand-in that loads the real module on its first call
// (esbuild evaluates a module reached by require() when that require runs).
const lazyStringWidth = {
  name: "lazy-string-width",
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === "real") return undefined;
      const real = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "real" });
      if (real.errors.length > 0) return { errors: real.errors };
      // relative to the project, so that the bundle does not depend on where the checkout is
      return { path: relative(root, real.path).split(sep).join("/"), namespace: "lazy-string-width" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-string-width" }, (args) => ({
      contents: `let width;\nexport default function stringWidth(text, options) {\n  width ??= require(${JSON.stringify(`./${args.path}`)}).default;\n  return width(text, options);\n}\n`,
      loader: "js",
      resolveDir: root,
    }));
  },
};

const program = join(outdir, "fwlint.cjs");
await build({
  ...common,
  entryPoints: [join(root, "dist/src/cli.js")],
  outfile: program,
  format: "cjs",
  define: { "import.meta.url": "__fwlintUrl" },
  banner: { js: 'var __fwlintUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [lazyStringWidth],
});
// The bin wraps the program in a function, where a `#!` line is a syntax error.
writeFileSync(program, readFileSync(program, "utf8").replace(/^#![^\n]*\n/, ""));

rmSync(join(outdir, "fwlint.cjs.cache"), { force: true });
const made = spawnSync(process.execPath, [join(root, "scripts/code-cache.mjs")], { cwd: root, stdio: "inherit" });
// Without a cache the bin still works, only its start-up is slower: say so, do not fail the build.
if (made.status !== 0) console.warn("bundle: no code cache was made; the fwlint bin will compile its program on every run");
