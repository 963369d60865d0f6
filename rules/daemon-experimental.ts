import { boolSetting, effectiveSettings } from "../src/docker/daemon.js";
import { compareVersions } from "../src/docker/layout.js";
import { defineRule } from "../src/rule.js";

export default defineRule({
  id: "daemon-experimental",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "Experimental dockerd features are on (CIS Docker 2.18)",
  tags: ["daemon", "cis"],
  precision: "high",
  docs: {
    rationale: [
      "`\"experimental\": true` turns on dockerd's experimental features: code that Docker's release and security process does not cover yet, whose behaviour and configuration may change in any release. CIS Docker Benchmark 2.18 asks for it to be off on production hosts.",
      "Before Docker 27.0 it was needed for `\"ip6tables\": true`; the finding says so when the `dockerVersion` fact names such a release, since turning it off there stops dockerd (daemon-conflicting-options reports that combination).",
    ].join("\n\n"),
    bad: '{\n  "experimental": true\n}\n',
    good: '{\n  "experimental": false\n}\n',
    exceptions: "Test and development hosts that try new features on purpose.",
  },
  check({ ast, facts, report }) {
    if (ast.root?.type !== "Object") return;
    const settings = effectiveSettings(ast);
    if (boolSetting(settings, "experimental") !== true) return;
    const member = settings.get("experimental")!.member;
    const v = facts.dockerVersion;
    const needed = boolSetting(settings, "ip6tables") === true && v !== undefined && compareVersions(v, "20.10") >= 0 && compareVersions(v, "27.0.0") < 0;
    report({
      message: needed
        ? `"experimental": true turns on dockerd's experimental features (CIS Docker 2.18); Docker ${v} needs it for "ip6tables": true, so turning it off means upgrading to Docker 27.0 or later first`
        : `"experimental": true turns on dockerd's experimental features, which Docker's stability and security process does not cover yet (CIS Docker 2.18); set it to false on production hosts`,
      span: member.span,
      ...(needed ? {} : { suggestions: [{ desc: 'Set "experimental" to false', fix: { range: [member.value.span.offset, member.value.span.endOffset] as const, text: "false" } }] }),
    });
  },
});
