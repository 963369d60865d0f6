#!/usr/bin/env node
/**
 * The `fwlint` bin (bundled to dist/bundle/cli.js): loads the bundled program beside it from V8's code cache
 * (src/bin/code-cache.ts) and runs it with the process's arguments. Only meaningful in dist/bundle/, where
 * scripts/bundle.mjs puts the program and its cache.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describeLoad, loadProgram } from "./code-cache.js";

const { program, cache } = loadProgram(dirname(fileURLToPath(import.meta.url)));
program.main(process.argv.slice(2), { loaded: describeLoad(cache, performance.now()) });
