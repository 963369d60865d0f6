/** The Docker layout model on Docker's own rules: family, bridges, published ports, templates. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../src/parse/index.js";
import { allRules } from "../src/ast/iptables.js";
import { analyzeDocker, canonicalRule, compilePattern, DOCKER_TEMPLATES, describePort, familyOfVersion, dockerUserRules, type DockerFamily } from "../src/docker/index.js";
import { CORPUS } from "./support/corpus.js";

const DOCKER = join(CORPUS, "docker");
const REAL = join(CORPUS, "docker-real");
const load = (path: string) => parse(readFileSync(path, "utf8"), { filePath: path });

/** Expected family of an iptablesdoc file from the version range in its name. */
function expectedFamily(name: string): DockerFamily {
  if (name.includes("27.x-style")) return "A";
  if (name.includes("docker-28.0.0.")) return "B";
  if (/docker-28\.(0\.1|2\.0)_to_28\.[12]\.1/.test(name)) return "C";
  if (name.includes("docker-28.2.2_to_28.5.2")) return "D";
  if (name.includes("docker-29.")) return "E";
  throw new Error(`no expectation for ${name}`);
}

describe("layout family", () => {
  const docs = readdirSync(DOCKER).filter((f) => f.startsWith("iptablesdoc_") && f.endsWith(".rules"));

  it("covers Docker's generated docs for every release range", () => {
    expect(docs.length).toBe(44);
  });

  it.each(docs)("%s", (name) => {
    const layout = analyzeDocker(load(join(DOCKER, name)));
    expect(layout.present).toBe(true);
    expect(layout.family).toBe(expectedFamily(name));
    expect(layout.familyCandidates).toEqual([expectedFamily(name)]);
  });

  it("reads 28.2–28.5 goldens (no DOCKER-USER) as C or D, 29.x goldens as E", () => {
    for (const [dir, expected] of [
      ["moby-iptabler-golden_docker-28.2.0_to_28.5.2", ["C", "D"]],
      ["moby-iptabler-golden_docker-29.0.0_to_master", ["E"]],
    ] as const) {
      const files = readdirSync(join(DOCKER, dir)).filter((f) => !f.startsWith("no__"));
      expect(files.length).toBeGreaterThan(200);
      for (const f of files) expect(analyzeDocker(load(join(DOCKER, dir, f))).familyCandidates, f).toEqual(expected);
    }
  });

  it("uses dockerVersion to settle an ambiguous dump", () => {
    const path = join(DOCKER, "moby-iptabler-golden_docker-28.2.0_to_28.5.2", "cleaned_hairpin=false__iptables.rules");
    expect(analyzeDocker(load(path), { dockerVersion: "28.2.1" }).family).toBe("C");
    expect(analyzeDocker(load(path), { dockerVersion: "28.3.0" }).family).toBe("D");
  });

  it("reads real dockerd 20.10 dumps and older real hosts", () => {
    expect(analyzeDocker(load(join(REAL, "docker20.10-one-published-port.rules"))).family).toBe("A");
    expect(analyzeDocker(load(join(CORPUS, "real-world", "docker-isolation-2016.save"))).family).toBe("A0");
    expect(analyzeDocker(load(join(CORPUS, "real-world", "docker-tailscale-host-nft.save"))).family).toBe("E");
    expect(analyzeDocker(load(join(CORPUS, "real-world", "pptp-docker.rules.v4"))).present).toBe(false);
  });

  it("maps versions to families", () => {
    expect(["17.03.2", "17.06.0", "18.03.1", "18.06.0", "27.5.1", "28.0.0", "28.0.1", "28.2.1", "28.2.2", "28.5.2", "29.0.0", "29.7.2"].map(familyOfVersion)).toEqual(["A0", "A1", "A1", "A", "A", "B", "C", "C", "D", "D", "E", "E"]);
  });
});

describe("bridges and published ports", () => {
  it("reads every published port of a real dockerd 20.10 host", () => {
    const layout = analyzeDocker(load(join(REAL, "docker20.10-bridge-usernet-internal-published.rules")));
    expect(layout.publishedPorts.map(describePort)).toEqual([
      "8080/tcp → 172.17.0.2:80",
      "127.0.0.1:9000/tcp → 172.18.0.2:9000",
      "5353/udp → 172.18.0.2:53",
      "8443/tcp → 172.17.0.3:443",
      "10.99.0.1:2222/tcp → 172.17.0.3:22",
    ]);
    expect(layout.publishedPorts.map((p) => [p.bridge, p.loopbackOnly, p.accept !== null, p.dockerWritten])).toEqual([
      ["docker0", false, true, true],
      ["br-02516fb767bf", true, true, true],
      ["br-02516fb767bf", false, true, true],
      ["docker0", false, true, true],
      ["docker0", false, true, true],
    ]);
    const bridges = Object.fromEntries([...layout.bridges.values()].map((b) => [b.name, { subnets: b.subnets, internal: b.internal, icc: b.icc }]));
    expect(bridges).toEqual({
      docker0: { subnets: ["172.17.0.0/16"], internal: false, icc: true },
      "br-02516fb767bf": { subnets: ["172.18.0.0/16"], internal: false, icc: true },
      "br-9226596bcd72": { subnets: ["172.19.0.0/16"], internal: true, icc: true },
    });
  });

  it("reads IPv6 ports, loopback bindings and gateway modes from the goldens", () => {
    const dir = join(DOCKER, "moby-iptabler-golden_docker-29.0.0_to_master");
    const v6 = analyzeDocker(load(join(dir, "hairpin=false_internal=false_icc=false_masq=false_snat=true_gwm=nat_bindlh=true__ip6tables.rules")));
    expect(v6.publishedPorts.map(describePort)).toEqual(["[::1]:8080/tcp → [fd49:efd7:54aa::1]:80"]);
    expect(v6.publishedPorts[0]!.loopbackOnly).toBe(true);
    expect(v6.bridges.get("br-dummy")?.gatewayMode).toBe("nat");
    const unprotected = analyzeDocker(load(join(dir, "hairpin=true_internal=false_icc=true_masq=true_snat=false_gwm=nat-unprotected_bindlh=false__iptables.rules")));
    expect(unprotected.bridges.get("br-dummy")).toMatchObject({ gatewayMode: "nat-unprotected", icc: true, masquerade: true, subnets: ["192.168.0.0/24"] });
    expect(unprotected.publishedPorts.map(describePort)).toEqual(["8080/tcp → 192.168.0.2:80"]);
  });

  it("reads swarm's routing mesh", () => {
    const layout = analyzeDocker(load(join(DOCKER, "iptablesdoc_swarm-portmap__docker-29.0.0_to_29.7.2+master.rules")));
    expect(layout.publishedPorts.map((p) => [describePort(p), p.swarm])).toEqual([["8080/tcp → 172.18.0.2:8080", true]]);
  });

  it("tells Docker's rules from the user's everywhere in a real host dump", () => {
    const ruleset = load(join(CORPUS, "real-world", "docker-tailscale-host-nft.save"));
    const layout = analyzeDocker(ruleset);
    const user = [...allRules(ruleset)].filter((r) => !layout.dockerRules.has(r)).map((r) => `${r.table} ${r.chain}`);
    expect(new Set(user)).toEqual(new Set(["mangle PREROUTING", "mangle OUTPUT", "filter INPUT", "filter FORWARD", "filter ts-forward", "filter ts-input", "nat POSTROUTING", "nat ts-postrouting"]));
    expect(layout.userEdits).toEqual([]);
  });
});

describe("DOCKER-USER", () => {
  it("marks rules after an unconditional RETURN unreachable", () => {
    const layout = analyzeDocker(parse("*filter\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\n-A DOCKER-USER -i eth0 -j DROP\nCOMMIT\n"));
    expect(dockerUserRules(layout).map((u) => [u.reachable, u.endedBy?.span.line ?? null])).toEqual([
      [true, null],
      [false, 4],
    ]);
    expect(layout.userJumps.map((j) => [j.position, j.unconditional])).toEqual([[1, true]]);
  });
});

describe("templates", () => {
  const SAMPLE: Record<string, string> = {
    if: "br-0123456789ab",
    host: "172.17.0.2/32",
    cidr: "172.17.0.0/16",
    addr: "192.0.2.1",
    proto: "tcp",
    port: "80",
    dnat: "172.17.0.2:80",
    mark: "0x1",
    set: "docker-ext-bridges-v4",
  };
  const fill = (pattern: string) => {
    const names = new Map<string, string>();
    return pattern
      .replace(/\[ | \]/g, "")
      .replace(/\{(\w+)(?::(\w+))?\}/g, (_m, kind: string, name?: string) => {
        const key = name ?? kind;
        if (!names.has(key)) names.set(key, kind === "if" ? `br-${String(names.size).padStart(12, "0")}` : SAMPLE[kind]!);
        return names.get(key)!;
      });
  };

  it.each(DOCKER_TEMPLATES.filter((t) => !t.pattern.includes("{any}")).map((t) => [t.id, t] as const))("%s is written in canonical form", (_id, t) => {
    const line = fill(t.pattern);
    const ruleset = parse(`*${t.table}\n:${t.chains[0]} - [0:0]\n-A ${t.chains[0]} ${line}\nCOMMIT\n`);
    expect(ruleset.diagnostics).toEqual([]);
    const rule = [...allRules(ruleset)][0]!;
    expect(canonicalRule(rule)).toBe(line);
    expect(t.regex.test(`${line} `)).toBe(true);
  });

  it("have unique ids", () => {
    expect(new Set(DOCKER_TEMPLATES.map((t) => t.id)).size).toBe(DOCKER_TEMPLATES.length);
  });

  it("match a rule however a script writes it", () => {
    const ruleset = parse("iptables -A DOCKER -p tcp -o docker0 ! -i docker0 -d 172.17.0.2 --destination-port 80 -j ACCEPT\n", { format: "script" });
    const rule = [...allRules(ruleset)][0]!;
    expect(canonicalRule(rule)).toBe("-d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT");
    expect(analyzeDocker(ruleset).dockerRules.get(rule)?.template.id).toBe("filter/DOCKER/published-port");
  });

  it("require the same value for a repeated placeholder", () => {
    const re = compilePattern("-i {if:br} -o {if:br} -j ACCEPT");
    expect(re.test("-i docker0 -o docker0 -j ACCEPT ")).toBe(true);
    expect(re.test("-i docker0 -o eth0 -j ACCEPT ")).toBe(false);
  });

  it("only count rules in built-in chains as Docker's when they name Docker's bridges", () => {
    const ruleset = parse("*filter\n-A FORWARD -i eth1 -o eth1 -j ACCEPT\n-A FORWARD -i docker0 -o docker0 -j ACCEPT\nCOMMIT\n");
    const [user, docker] = [...allRules(ruleset)];
    const layout = analyzeDocker(ruleset);
    expect(layout.dockerRules.has(user!)).toBe(false);
    expect(layout.dockerRules.has(docker!)).toBe(true);
  });
});
