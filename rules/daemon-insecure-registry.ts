import type { JsonValue } from "../src/daemon/ast.js";
import { effectiveSettings } from "../src/docker/daemon.js";
import { defineRule } from "../src/rule.js";

/** Registries dockerd already treats as insecure (loopback), where plain HTTP is no risk. */
function isLoopback(entry: string): boolean {
  const text = entry.toLowerCase();
  let host: string;
  let prefix: number | null = null;
  if (text.startsWith("[")) host = text.slice(1, text.indexOf("]"));
  else if (text.includes("/")) {
    [host, prefix] = [text.slice(0, text.indexOf("/")), Number(text.slice(text.indexOf("/") + 1))];
  } else host = text.split(":").length === 2 ? text.slice(0, text.indexOf(":")) : text;
  if (host === "localhost") return true;
  if (host === "::1") return prefix === null || prefix === 128;
  return /^127\.\d+\.\d+\.\d+$/.test(host) && (prefix === null || (prefix >= 8 && prefix <= 32));
}

export default defineRule({
  id: "daemon-insecure-registry",
  language: "daemon-json",
  category: "daemon",
  severity: "warning",
  description: "daemon.json lists insecure registries: images are pulled over plain HTTP or unverified TLS (CIS Docker 2.5)",
  tags: ["daemon", "security", "cis"],
  securitySeverity: 6.5,
  precision: "high",
  docs: {
    rationale: [
      "For a registry in `insecure-registries` dockerd falls back to plain HTTP, and accepts any TLS certificate, when it pulls and pushes images. Anyone on the path to the registry (the same LAN, a compromised router, DNS) can then hand the host an image of their choice, which dockerd runs as given. CIS Docker Benchmark 2.5 asks for no insecure registries.",
      "Give the registry a certificate instead: one from a public CA, or your own CA placed in `/etc/docker/certs.d/<registry>:<port>/ca.crt`, which dockerd trusts for that registry only.",
    ].join("\n\n"),
    bad: '{\n  "insecure-registries": ["registry.lan:5000", "10.0.0.0/8"]\n}\n',
    good: '{\n  "insecure-registries": ["localhost:5000"]\n}\n',
    exceptions: "Loopback registries (`localhost`, `127.0.0.0/8`, `::1`) are not reported: dockerd treats them as insecure anyway, and their traffic never leaves the host.",
  },
  check({ ast, report }) {
    if (ast.root?.type !== "Object") return;
    const value = effectiveSettings(ast).get("insecure-registries")?.member.value;
    if (value?.type !== "Array") return;
    for (const e of value.elements as readonly JsonValue[]) {
      if (e.type !== "String" || e.value.trim() === "" || isLoopback(e.value.trim())) continue;
      const cidr = e.value.includes("/");
      report({
        message: `"${e.value}" is an insecure registry: dockerd pulls ${cidr ? "from every registry in that network" : "from it"} over plain HTTP or without verifying its TLS certificate, so anyone on the path can substitute images (CIS Docker 2.5). Give the registry a trusted certificate (or put your CA in /etc/docker/certs.d/<registry>/ca.crt) and remove it from "insecure-registries"`,
        span: e.span,
      });
    }
  },
});
