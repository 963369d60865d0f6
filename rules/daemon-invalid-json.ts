import { defineRule } from "../src/rule.js";

/** A plainer explanation of the parser's message for the usual hand-editing mistakes. */
function explain(text: string, offset: number, message: string): string {
  const before = text.slice(0, offset).trimEnd();
  const ch = text[offset] ?? "";
  if (/RBrace|RBracket/.test(message) && before.endsWith(",")) return "trailing comma: JSON allows no comma after the last member";
  if (ch === "/" || ch === "#") return "comments are not allowed in JSON";
  if (ch === "'") return "strings and keys need double quotes";
  if (/end of input/i.test(message)) return "the file ends before the JSON is complete (missing } or ])";
  if (/Unexpected character/.test(message) && /[A-Za-z_]/.test(ch)) return "keys and string values need double quotes";
  if (/Unexpected token String/.test(message) && /["}\]\d]$|true$|false$|null$/.test(before)) return "missing comma between members";
  return message.replace(/\.$/, "");
}

export default defineRule({
  id: "daemon-invalid-json",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: "daemon.json is not valid JSON, or not a JSON object",
  tags: ["validity", "daemon"],
  precision: "very-high",
  docs: {
    rationale:
      "dockerd reads daemon.json with Go's encoding/json: no comments, no trailing commas, double quotes only, and the document must be one JSON object. Any syntax error stops dockerd from starting (`unable to configure the Docker daemon with file /etc/docker/daemon.json`), so a typo here takes every container on the host down at the next restart. An empty file is fine (no configuration), and so is a UTF-8 byte order mark.",
    bad: '{\n  "iptables": true,\n  "log-driver": "json-file",\n}\n',
    good: '{\n  "iptables": true,\n  "log-driver": "json-file"\n}\n',
  },
  check({ ast, report }) {
    if (ast.error) {
      report({ message: `daemon.json is not valid JSON, so dockerd will not start: ${explain(ast.text, ast.error.span.offset, ast.error.message)}`, span: ast.error.span });
      return;
    }
    if (ast.root && ast.root.type !== "Object") {
      report({ message: `daemon.json must be a JSON object ({ … }), not ${ast.root.type === "Array" ? "an array" : `a ${ast.root.type.toLowerCase()}`}: dockerd will not start`, span: ast.root.span });
    }
  },
});
