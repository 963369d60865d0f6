// Part of `npm run build`: bundles the built program (dist/src/cli.js and its --concurrency worker) into
// dist/bundle/, the `fwlint` bin. One file per entry instead of ~130 modules plus the dependencies' own files:
// Node's ES module loader resolves, reads and links every module separately, which cost ~110 ms of each run's
// start-up (0.26 s → 0.15 s for `fwlint --version` on the benchmark machine). The library (`import … from
// "fwlint"`) stays the unbundled dist/src/index.js.
//
// Dependencies are bundled too. Some are CommonJS and call require() for Node built-ins, which an ES module
// bundle cannot do by itself: the banner gives the bundle a real require. The runtime require() calls in the
// sources (ajv, picomatch, loaded lazily through createRequire) are left to Node and resolve from node_modules.
// The worker keeps its place beside the CLI (parallel.ts starts "./lint-worker.js" next to itself).
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
await build({
  entryPoints: [join(root, "dist/src/cli.js"), join(root, "dist/src/commands/lint-worker.js")],
  outdir: join(root, "dist/bundle"),
  entryNames: "[name]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  banner: { js: 'import { createRequire as __fwlintRequire } from "node:module";\nconst require = __fwlintRequire(import.meta.url);' },
});
