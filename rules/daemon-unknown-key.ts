import type { Span } from "../src/ast/span.js";
import { topMembers } from "../src/daemon/ast.js";
import type { Suggestion } from "../src/diagnostic.js";
import { closestKey, daemonSettings, daemonVersion, FLAT_OPTIONS, firstRelease, isAcceptedKey, keyInfo, type DaemonVersion } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

const rename = (span: Span, to: string): Suggestion => ({ desc: `Rename to "${to}"`, fix: { range: [span.offset + 1, span.endOffset - 1], text: to } });

function versionText(v: DaemonVersion): string {
  return v.requested ? `Docker ${v.requested}` : "current Docker releases";
}

export default defineRule({
  id: "daemon-unknown-key",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: "daemon.json has a key dockerd does not accept (or accepts and ignores)",
  tags: ["daemon", "validity"],
  precision: "very-high",
  docs: {
    rationale: [
      "dockerd checks every top-level key of daemon.json against its flag names and refuses to start on any other (`the following directives don't match any configuration option`). The key set changes between releases: set the `dockerVersion` fact to check against your Docker version (default: the newest).",
      "fwlint mirrors how dockerd reads the file: the value of a key that is an object (other than `log-opts`, `default-network-opts`, `runtimes`, `default-ulimits`, `features`, `builder`, `nri-opts`, `cluster-store-opts`) is not a setting: its members are checked as top-level keys (this is how `\"proxies\": {\"http-proxy\": …}` works), so `\"foo\": {}` passes and `\"log-opt\": {\"max-size\": \"10m\"}` fails on `max-size`.",
      "Some keys pass the check but do nothing: command-line flag names whose configuration key is different (`label` for `labels`, `host` for `hosts`, `insecure-registry` for `insecure-registries`, …) and a few others (`containerd-plugins-namespace`). These are reported as warnings with the real key.",
    ].join("\n\n"),
    bad: '{\n  "iptable": false,\n  "insecure-registry": ["registry.local:5000"]\n}\n',
    good: '{\n  "iptables": false,\n  "insecure-registries": ["registry.local:5000"]\n}\n',
  },
  check({ ast, facts, report }) {
    const version = daemonVersion(facts.dockerVersion);
    for (const m of topMembers(ast)) {
      if (m.value.type !== "Object" || FLAT_OPTIONS.has(m.name)) continue;
      const info = keyInfo(m.name);
      if (info?.status === "nested" || (info && info.kind !== "none" && info.status === "key")) continue;
      const alias = info?.aliasOf;
      report({
        message: alias
          ? `"${m.name}" is the command-line flag name; in daemon.json dockerd does not read this object as a setting but takes each of its members as a top-level key. The key is "${alias}"`
          : `"${m.name}" is not a daemon.json key: dockerd does not reject it only because its value is an object, whose members it reads as top-level keys`,
        span: m.nameSpan,
        severity: "warning",
        ...(alias ? { suggestions: [rename(m.nameSpan, alias)] } : {}),
      });
    }
    for (const s of daemonSettings(ast)) {
      const { key, member } = s;
      const info = keyInfo(key);
      const inside = s.nestedIn ? ` (inside "${s.nestedIn.name}", whose members dockerd reads as top-level keys)` : "";
      if (isAcceptedKey(key, version)) {
        if (info?.status === "flag-alias" && info.aliasOf) {
          report({
            message: `"${key}" is the command-line flag name${inside}: dockerd accepts it in daemon.json but ignores it; the key is "${info.aliasOf}"`,
            span: member.nameSpan,
            severity: "warning",
            suggestions: [rename(member.nameSpan, info.aliasOf)],
          });
        } else if (info?.status === "ignored") {
          report({ message: `"${key}" is accepted but has no effect in daemon.json${inside}: ${info.notes.replace(/^since \S+\.\s*/, "")}`, span: member.nameSpan, severity: "warning" });
        }
        continue;
      }
      if (info?.status === "nested" && !s.nestedIn) continue;
      const suggestion = closestKey(key, version);
      const did = suggestion && suggestion !== key ? `; did you mean "${suggestion}"?` : "";
      const fix = suggestion && suggestion !== key ? { suggestions: [rename(member.nameSpan, suggestion)] } : {};
      const refuse = `dockerd refuses to start ("the following directives don't match any configuration option")`;
      let message: string;
      const first = firstRelease(key);
      if (info?.status === "removed" || (info?.accepted && version.index > info.accepted[1])) {
        const note = /REMOVED in ([^=]+?)\s*(?:=>|$)/.exec(info?.notes ?? "")?.[1]?.trim();
        message = `"${key}" is no longer accepted by ${versionText(version)}${note ? ` (removed in ${note})` : ""}${inside}: ${refuse}${did}`;
      } else if (info?.accepted && version.index < info.accepted[0]) {
        message = `"${key}" is not accepted before Docker ${first}${inside}, and dockerVersion is ${version.requested}: ${refuse}${did}`;
      } else if (info?.status === "rejected") {
        message = `"${key}" is a field of dockerd's configuration that daemon.json cannot set (there is no flag of that name)${inside}: ${refuse}${did}`;
      } else {
        message = `Unknown key "${key}"${inside}: ${refuse}${did}`;
      }
      report({ message, span: member.nameSpan, ...fix });
    }
  },
});
