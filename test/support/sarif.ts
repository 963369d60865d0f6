/**
 * SARIF checks used on every SARIF report the test suite produces: the official SARIF 2.1.0 JSON schema
 * (from @microsoft/sarif-multitool-ts, validated with ajv as conventions.md §2.3 describes) plus the rules
 * GitHub code scanning adds (conventions.md §1.1, §1.2, §1.7).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import _addFormats from "ajv-formats";

const addFormats = _addFormats as unknown as typeof _addFormats.default;
const require = createRequire(import.meta.url);
const schemaPath = path.join(path.dirname(require.resolve("@microsoft/sarif-multitool-ts")), "..", "assets", "sarif-2.1.0.schema.json");
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")) as object);

/** Problems with a SARIF log: schema violations and GitHub ingestion rules. Empty when fine. */
export function sarifProblems(text: string): string[] {
  let log: any;
  try {
    log = JSON.parse(text);
  } catch (err) {
    return [`not JSON: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  if (!validate(log)) for (const e of validate.errors ?? []) problems.push(`schema: ${e.instancePath} ${e.message}`);
  if (log.$schema !== "https://json.schemastore.org/sarif-2.1.0.json") problems.push("$schema is not the SARIF 2.1.0 schema");
  if (log.version !== "2.1.0") problems.push("version is not 2.1.0");
  if (!Array.isArray(log.runs) || log.runs.length !== 1) problems.push("GitHub: one run per file");
  for (const [r, run] of (log.runs ?? []).entries()) {
    const driver = run.tool?.driver;
    if (!driver?.name) problems.push(`runs/${r}: tool.driver.name missing`);
    if (!Array.isArray(run.results)) problems.push(`runs/${r}: results array missing (upload-sarif rejects the file)`);
    if ((run.results ?? []).length > 25_000) problems.push(`runs/${r}: more than 25,000 results`);
    if ((driver?.rules ?? []).length > 25_000) problems.push(`runs/${r}: more than 25,000 rules`);
    if (run.columnKind !== "utf16CodeUnits") problems.push(`runs/${r}: columnKind is not utf16CodeUnits`);
    const ids = new Set<string>();
    for (const [i, rule] of (driver?.rules ?? []).entries()) {
      const at = `runs/${r}/tool/driver/rules/${i} (${rule.id})`;
      if (ids.has(rule.id)) problems.push(`${at}: duplicate rule id`);
      ids.add(rule.id);
      if (!rule.shortDescription?.text) problems.push(`${at}: shortDescription.text missing`);
      if (!rule.fullDescription?.text) problems.push(`${at}: fullDescription.text missing`);
      if (!rule.help?.text) problems.push(`${at}: help.text missing`);
      if ((rule.shortDescription?.text ?? "").length > 1024 || (rule.fullDescription?.text ?? "").length > 1024) problems.push(`${at}: description over 1024 characters`);
      if ((rule.name ?? "").length > 255) problems.push(`${at}: name over 255 characters`);
      const tags = rule.properties?.tags ?? [];
      if (tags.length > 10) problems.push(`${at}: more than 10 tags`);
      const sev = rule.properties?.["security-severity"];
      if (sev !== undefined && (typeof sev !== "string" || !/^\d+(\.\d+)?$/.test(sev) || Number(sev) <= 0 || Number(sev) > 10)) problems.push(`${at}: security-severity must be a numeric string in (0, 10]`);
      const precision = rule.properties?.precision;
      if (precision !== undefined && !["very-high", "high", "medium", "low"].includes(precision)) problems.push(`${at}: bad precision`);
    }
    for (const [i, res] of (run.results ?? []).entries()) {
      const at = `runs/${r}/results/${i}`;
      if (!res.ruleId) problems.push(`${at}: ruleId missing`);
      if (res.ruleIndex !== undefined && driver?.rules?.[res.ruleIndex]?.id !== res.ruleId) problems.push(`${at}: ruleIndex ${res.ruleIndex} does not point at ${res.ruleId}`);
      if (!res.message?.text) problems.push(`${at}: message.text empty`);
      if (!Array.isArray(res.locations) || res.locations.length < 1 || res.locations.length > 10) problems.push(`${at}: needs 1 to 10 locations`);
      for (const loc of [...(res.locations ?? []), ...(res.relatedLocations ?? [])]) {
        const uri: string = loc.physicalLocation?.artifactLocation?.uri ?? "";
        if (!uri) problems.push(`${at}: empty uri`);
        if (/^(\/|[A-Za-z]:|file:)/.test(uri) || uri.includes("\\")) problems.push(`${at}: absolute or Windows uri ${uri}`);
        if (/[\s<>]/.test(uri)) problems.push(`${at}: unencoded character in uri ${uri}`);
        if (uri && loc.physicalLocation?.artifactLocation?.uriBaseId !== "%SRCROOT%") problems.push(`${at}: uri not relative to %SRCROOT%`);
        const reg = loc.physicalLocation?.region;
        if (reg) {
          for (const k of ["startLine", "startColumn", "endLine", "endColumn"]) if (!(reg[k] >= 1)) problems.push(`${at}: region.${k} missing or < 1`);
          if (reg.endLine < reg.startLine || (reg.endLine === reg.startLine && reg.endColumn < reg.startColumn)) problems.push(`${at}: region ends before it starts`);
        }
      }
    }
  }
  return problems;
}

export function assertValidSarif(text: string): void {
  const problems = sarifProblems(text);
  if (problems.length) throw new Error(`invalid SARIF:\n${problems.slice(0, 20).join("\n")}`);
}
