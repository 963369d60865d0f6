import type { JsonValue } from "../src/daemon/ast.js";
import { jsonText } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-duplicate-key",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "A key appears twice in daemon.json: dockerd silently uses the last one",
  tags: ["daemon", "correctness"],
  precision: "very-high",
  docs: {
    rationale:
      "Go's encoding/json does not reject duplicate keys: dockerd keeps the value of the last occurrence and ignores the others without a word. After a merge or a hurried edit, the setting you see at the top of the file may not be the one in force, for example `\"iptables\": true` near the top and `\"iptables\": false` further down.",
    bad: '{\n  "iptables": true,\n  "log-driver": "json-file",\n  "iptables": false\n}\n',
    good: '{\n  "iptables": true,\n  "log-driver": "json-file"\n}\n',
  },
  check({ ast, report }) {
    const visit = (value: JsonValue) => {
      if (value.type === "Array") value.elements.forEach(visit);
      if (value.type !== "Object") return;
      const seen = new Map<string, typeof value.members[number][]>();
      for (const m of value.members) {
        const list = seen.get(m.name);
        if (list) list.push(m);
        else seen.set(m.name, [m]);
        visit(m.value);
      }
      for (const [name, list] of seen) {
        if (list.length < 2) continue;
        const last = list[list.length - 1]!;
        const sameLine = new Set(list.map((x) => x.nameSpan.line)).size < list.length;
        const at = (x: (typeof list)[number]) => (sameLine ? `line ${x.nameSpan.line}, column ${x.nameSpan.column}` : `line ${x.nameSpan.line}`);
        for (const m of list.slice(1)) {
          const others = list.filter((x) => x !== last).map(at);
          report({
            message: `Duplicate key "${name}" (first on ${at(list[0]!)}): dockerd silently keeps only the last value (${jsonText(ast, last.value)} on ${at(last)}) and ignores ${others.join(", ")}; keep one`,
            span: m.nameSpan,
            related: list.filter((x) => x !== m).map((x) => ({ span: x.nameSpan, message: x === last ? "this value wins" : "ignored" })),
          });
        }
      }
    };
    if (ast.root) visit(ast.root);
  },
});
