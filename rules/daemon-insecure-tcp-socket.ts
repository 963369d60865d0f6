import { boolSetting, effectiveSettings } from "../src/docker/daemon.js";
import { isLoopback } from "../src/docker/net.js";
import { defineRule } from "../src/rule.js";

/** Host part of a tcp:// (or bare host:port) entry, or null when the entry is not TCP. */
function tcpHost(entry: string): string | null {
  const e = entry.trim();
  if (e === "") return null;
  const sep = e.indexOf("://");
  if (sep !== -1 && e.slice(0, sep) !== "tcp") return null;
  const addr = sep === -1 ? e : e.slice(sep + 3);
  const m = /^(\[[^\]]*\]|[^:/]*)/.exec(addr);
  return (m?.[1] ?? "").replace(/^\[|\]$/g, "");
}

export default defineRule({
  id: "daemon-insecure-tcp-socket",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: "dockerd listens on TCP without TLS client verification: whoever reaches the socket is root on the host",
  tags: ["daemon", "security", "cis"],
  securitySeverity: 9.8,
  precision: "very-high",
  docs: {
    rationale: [
      "The Docker API is root on the host: whoever can call it can start a privileged container that mounts `/`. A `tcp://` entry in `hosts` without `\"tlsverify\": true` serves that API to anyone who can connect, with no authentication (`\"tls\": true` alone encrypts but still accepts every client). Scanners find open 2375 ports within minutes.",
      "Set `\"tlsverify\": true` with `tlscacert`, `tlscert` and `tlskey` (CIS Docker Benchmark 2.7), or keep the API on the unix socket and reach it over SSH (`DOCKER_HOST=ssh://host`). Even on 127.0.0.1 an unauthenticated socket gives root to every local user and process.",
    ].join("\n\n"),
    bad: '{\n  "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]\n}\n',
    good: '{\n  "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"],\n  "tlsverify": true,\n  "tlscacert": "/etc/docker/ca.pem",\n  "tlscert": "/etc/docker/server-cert.pem",\n  "tlskey": "/etc/docker/server-key.pem"\n}\n',
  },
  check({ ast, report }) {
    const settings = effectiveSettings(ast);
    if (boolSetting(settings, "tlsverify") === true) return;
    const hosts = settings.get("hosts")?.member.value;
    if (hosts?.type !== "Array") return;
    const tls = boolSetting(settings, "tls") === true;
    for (const e of hosts.elements) {
      if (e.type !== "String") continue;
      const host = tcpHost(e.value);
      if (host === null) continue;
      const local = host !== "" && (host === "localhost" || isLoopback(host));
      const who = local ? "every local user and process (and any container on the host network) can use it and so has root on the host" : "anyone who can reach it controls dockerd and so has root on the host";
      report({
        message: `${e.value} serves the Docker API without client certificate verification (${tls ? '"tls": true encrypts but accepts every client' : '"tlsverify" is not true'}): ${who}; set "tlsverify": true with tlscacert/tlscert/tlskey, or use the unix socket over SSH`,
        span: e.span,
      });
    }
  },
});
