/**
 * The built program (dist/), as users and pre-commit run it. `npm test` builds first; a lone `npx vitest run`
 * may find dist/ missing or older than the sources, and then builds it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const newest = (dir: string): number =>
  Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? (e.name === "generated" ? 0 : newest(join(dir, e.name))) : statSync(join(dir, e.name)).mtimeMs)));

/** Absolute path of the `fwlint` bin (package.json), built and up to date. */
export function builtCli(): string {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { bin: Record<string, string> };
  const bin = resolve(pkg.bin.fwlint!);
  const sources = Math.max(newest("src"), newest("rules"), newest("grammar"), statSync("schema/fwlint.config.schema.json").mtimeMs);
  if (!existsSync(bin) || statSync(bin).mtimeMs < sources) execFileSync("npm", ["run", "build"], { stdio: "ignore" });
  return bin;
}
