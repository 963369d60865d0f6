import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-insecure-tcp-socket";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("reports each TCP entry without tlsverify, and says who gets root", () => {
    const found = json('{ "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375", "tcp://localhost:2375", ":2375"] }');
    expect(found).toHaveLength(3);
    expect(found[0]!.message).toMatch(/anyone who can reach it/);
    expect(found[1]!.message).toMatch(/every local user and process/);
    expect(found.every((d) => d.severity === "error")).toBe(true);
  });

  it("does not count tls without client verification", () => {
    expect(json('{ "hosts": ["tcp://0.0.0.0:2376"], "tls": true }')[0]!.message).toMatch(/encrypts but accepts every client/);
    expect(json('{ "hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true }')).toEqual([]);
  });

  it("ignores non-TCP sockets", () => {
    expect(json('{ "hosts": ["unix:///run/docker.sock", "fd://"] }')).toEqual([]);
  });
});
