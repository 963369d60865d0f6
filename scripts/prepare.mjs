// `npm run prepare`: builds dist/ when fwlint is installed from git — which is how pre-commit installs a
// `language: node` hook (`npm install -g git+file://<clone>`). In such a global install npm passes its
// global/prefix settings on to the dependency install it runs in the clone, which then leaves the clone
// without node_modules and the build fails ("Cannot find module 'nearley/package.json'"). So: drop those
// settings, install the build tools locally when they are missing, then build.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const env = { ...process.env };
for (const key of Object.keys(env)) if (/^npm_config_(global|prefix|location|allow_scripts)$/i.test(key)) delete env[key];
const npm = (...args) => {
  const [cmd, pre] = env.npm_execpath ? [process.execPath, [env.npm_execpath]] : ["npm", []];
  execFileSync(cmd, [...pre, ...args], { stdio: "inherit", env });
};
if (!["nearley", "typescript", "moo", "esbuild"].every((p) => existsSync(`node_modules/${p}/package.json`))) {
  npm("install", "--no-save", "--ignore-scripts", "--include=dev", "--no-audit", "--no-fund", "--no-package-lock");
}
npm("run", "build");
