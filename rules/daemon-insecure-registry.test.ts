import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";

const ID = "daemon-insecure-registry";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("reports each insecure registry at its entry", () => {
    const found = json('{\n  "insecure-registries": [\n    "registry.lan:5000",\n    "10.0.0.0/8"\n  ]\n}\n');
    expect(found.map((d) => [d.span.line, d.span.column])).toEqual([
      [3, 5],
      [4, 5],
    ]);
    expect(found[0]!.message).toMatch(/^"registry\.lan:5000" is an insecure registry: dockerd pulls from it over plain HTTP/);
    expect(found[1]!.message).toMatch(/pulls from every registry in that network/);
  });

  it("leaves loopback registries alone, which dockerd treats as insecure anyway", () => {
    expect(json('{ "insecure-registries": ["localhost:5000", "127.0.0.1:5000", "127.0.0.0/8", "[::1]:5000", "::1/128", "LOCALHOST"] }')).toEqual([]);
    expect(json('{ "insecure-registries": ["127.0.0.0/7"] }')).toHaveLength(1);
    expect(json('{ "insecure-registries": ["localhost.example.com:5000"] }')).toHaveLength(1);
    expect(json('{ "insecure-registries": ["[2001:db8::1]:5000"] }')).toHaveLength(1);
  });

  it("is quiet without the key, with an empty list, or on a broken file", () => {
    expect(json("{}")).toEqual([]);
    expect(json('{ "insecure-registries": [] }')).toEqual([]);
    expect(json("{")).toEqual([]);
  });
});
