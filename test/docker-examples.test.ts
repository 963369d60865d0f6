/** The README's example host: what the Docker and daemon.json rules say about it. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { lintFiles } from "../src/lint.js";

const OURS = /^(docker-|daemon-|placeholder-interface$)/;

it("fixtures/examples: docker-host.rules and daemon.json linted together", () => {
  const files = ["fixtures/examples/docker-host.rules", "fixtures/examples/daemon.json"];
  const results = lintFiles(files.map((filePath) => ({ text: readFileSync(filePath, "utf8"), filePath })));
  const found = results.flatMap((r) => r.messages.filter((m) => OURS.test(m.ruleId ?? "")).map((m) => `${r.filePath!.split("/").pop()}:${m.span.line} ${m.ruleId}`));
  expect(found.sort()).toEqual(
    [
      "daemon.json:1 daemon-default-bind-all",
      "daemon.json:1 daemon-userland-proxy",
      "daemon.json:2 daemon-iptables-disabled",
      "daemon.json:2 docker-config-mismatch",
      "daemon.json:4 daemon-insecure-tcp-socket",
      "docker-host.rules:25 docker-chain-modified",
      "docker-host.rules:31 docker-user-blocks-replies",
      "docker-host.rules:31 placeholder-interface",
      "docker-host.rules:32 docker-user-post-dnat-match",
      "docker-host.rules:48 docker-user-unrestricted",
    ].sort(),
  );
});
