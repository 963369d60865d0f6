/**
 * Docker-like hosts without dockerd, in throw-away network namespaces: a host namespace with bridges,
 * "container" namespaces behind them, "client" namespaces on veth links with several source addresses
 * each, and tiny echo servers (test/support/netagent.mjs) where connections should land. Only namespaces
 * made here are touched, and every probe targets an address inside them.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Family } from "../../src/ast/iptables.js";

const AGENT = fileURLToPath(new URL("./netagent.mjs", import.meta.url));
/** SCTP on raw sockets (the test machines have no SCTP stack): python3, which every test machine has. */
const SCTP_AGENT = fileURLToPath(new URL("./sctpagent.py", import.meta.url));

export interface BridgeSpec {
  readonly name: string;
  /** Gateway address with prefix, e.g. "192.0.2.1/24". */
  readonly gateway: string;
  readonly gateway6?: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly bridge: string;
  /** Address with prefix, e.g. "192.0.2.2/24". */
  readonly addr: string;
  readonly addr6?: string;
  readonly tcp?: readonly number[];
  readonly udp?: readonly number[];
  readonly sctp?: readonly number[];
}

export interface ClientSpec {
  readonly name: string;
  /** Name of the link on the host side (the "external interface"), e.g. "eth0". */
  readonly hostIf: string;
  /** The host's address on that link, with prefix. */
  readonly hostAddr: string;
  readonly hostAddr6?: string;
  /** The client's addresses (first is primary), with prefix. */
  readonly addrs: readonly string[];
  readonly addrs6?: readonly string[];
  readonly tcp?: readonly number[];
  readonly udp?: readonly number[];
  readonly sctp?: readonly number[];
}

export interface TopologySpec {
  readonly bridges: readonly BridgeSpec[];
  readonly containers: readonly ContainerSpec[];
  readonly clients: readonly ClientSpec[];
  /** Echo servers on the host itself. */
  readonly host?: Ports;
}

export interface Ports {
  readonly tcp?: readonly number[];
  readonly udp?: readonly number[];
  readonly sctp?: readonly number[];
}

export interface Probe {
  readonly id: number;
  readonly proto: "tcp" | "udp" | "sctp";
  readonly src: string;
  readonly dst: string;
  readonly port: number;
  /** Source port (default: one the kernel picks). A fresh one per probe keeps old conntrack entries out of the way. */
  readonly sport?: number;
  readonly timeout?: number;
}

export interface ProbeResult {
  readonly id: number;
  readonly open: boolean;
  readonly detail: string;
}

let counter = 0;

function run(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: "utf8", input, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${(r.stderr || r.stdout || "").trim()}`);
  return r.stdout;
}

const bare = (cidr: string) => cidr.split("/")[0]!;

/** Node names: "host", a container name or a client name. */
export class Topology {
  readonly ns = new Map<string, string>();
  private readonly procs: ChildProcess[] = [];
  private disposed = false;

  private constructor(readonly spec: TopologySpec) {}

  static async build(spec: TopologySpec): Promise<Topology> {
    const t = new Topology(spec);
    try {
      await t.setup();
    } catch (err) {
      t.dispose();
      throw err;
    }
    return t;
  }

  /** The namespace name of a node. */
  nsOf(node: string): string {
    const n = this.ns.get(node);
    if (!n) throw new Error(`no node ${node}`);
    return n;
  }

  private addNs(node: string): string {
    const name = `fwm${process.pid}n${counter++}`;
    run(["ip", "netns", "add", name]);
    this.ns.set(node, name);
    run(["ip", "-n", name, "link", "set", "lo", "up"]);
    // No duplicate address detection: addresses (and link-local ones for neighbour discovery) work at once.
    for (const k of ["all", "default"]) this.sysctl(name, `net.ipv6.conf.${k}.accept_dad`, "0");
    return name;
  }

  /** Write a sysctl inside a namespace (through /proc/sys: no procps needed). */
  private sysctl(ns: string, key: string, value: string) {
    run(["ip", "netns", "exec", ns, "sh", "-c", `echo ${value} > /proc/sys/${key.replace(/\./g, "/")}`]);
  }

  private async setup() {
    const s = this.spec;
    const host = this.addNs("host");
    this.sysctl(host, "net.ipv4.ip_forward", "1");
    this.sysctl(host, "net.ipv6.conf.all.forwarding", "1");
    for (const b of s.bridges) {
      run(["ip", "-n", host, "link", "add", b.name, "type", "bridge"]);
      run(["ip", "-n", host, "addr", "add", b.gateway, "dev", b.name]);
      if (b.gateway6) run(["ip", "-n", host, "addr", "add", b.gateway6, "dev", b.name, "nodad"]);
      run(["ip", "-n", host, "link", "set", b.name, "up"]);
    }
    let k = 0;
    for (const c of s.containers) {
      const ns = this.addNs(c.name);
      const hv = `vc${k++}x${process.pid % 10000}`.slice(0, 15);
      run(["ip", "-n", host, "link", "add", hv, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      run(["ip", "-n", host, "link", "set", hv, "master", c.bridge]);
      run(["ip", "-n", host, "link", "set", hv, "up"]);
      run(["ip", "-n", ns, "addr", "add", c.addr, "dev", "eth0"]);
      if (c.addr6) run(["ip", "-n", ns, "addr", "add", c.addr6, "dev", "eth0", "nodad"]);
      run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      const br = s.bridges.find((b) => b.name === c.bridge)!;
      run(["ip", "-n", ns, "route", "add", "default", "via", bare(br.gateway)]);
      if (c.addr6 && br.gateway6) run(["ip", "-n", ns, "-6", "route", "add", "default", "via", bare(br.gateway6)]);
    }
    for (const c of s.clients) {
      const ns = this.addNs(c.name);
      run(["ip", "-n", host, "link", "add", c.hostIf, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      run(["ip", "-n", host, "addr", "add", c.hostAddr, "dev", c.hostIf]);
      if (c.hostAddr6) run(["ip", "-n", host, "addr", "add", c.hostAddr6, "dev", c.hostIf, "nodad"]);
      run(["ip", "-n", host, "link", "set", c.hostIf, "up"]);
      for (const a of c.addrs) run(["ip", "-n", ns, "addr", "add", a, "dev", "eth0"]);
      for (const a of c.addrs6 ?? []) run(["ip", "-n", ns, "addr", "add", a, "dev", "eth0", "nodad"]);
      run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
      run(["ip", "-n", ns, "route", "add", "default", "via", bare(c.hostAddr)]);
      if (c.hostAddr6) run(["ip", "-n", ns, "-6", "route", "add", "default", "via", bare(c.hostAddr6)]);
    }
    const servers: [string, Ports][] = [];
    if (s.host) servers.push(["host", s.host]);
    for (const c of s.containers) servers.push([c.name, c]);
    for (const c of s.clients) servers.push([c.name, c]);
    const starts: Promise<void>[] = [];
    for (const [node, v] of servers) {
      if (v.tcp?.length || v.udp?.length) starts.push(this.listen(node, [process.execPath, AGENT], { tcp: v.tcp ?? [], udp: v.udp ?? [], addrs: this.addressesOf(node) }));
      if (v.sctp?.length) starts.push(this.listen(node, ["python3", SCTP_AGENT], { sctp: v.sctp }));
    }
    await Promise.all(starts);
  }

  private listen(node: string, agent: readonly string[], ports: Ports & { readonly addrs?: readonly string[] }): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = spawn("ip", ["netns", "exec", this.nsOf(node), ...agent, "listen", JSON.stringify(ports)], { stdio: ["ignore", "pipe", "pipe"] });
      this.procs.push(p);
      let out = "";
      const timer = setTimeout(() => reject(new Error(`listener in ${node} did not start`)), 20_000);
      p.stdout!.on("data", (d) => {
        out += d.toString();
        if (out.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.on("exit", (code) => {
        clearTimeout(timer);
        if (!out.includes("ready")) reject(new Error(`listener in ${node} exited (${code})`));
      });
    });
  }

  /** Load a ruleset with the real iptables-restore (after clearing every table). */
  restore(text: string, family: Family = "ipv4"): void {
    const host = this.nsOf("host");
    const tool = family === "ipv6" ? "ip6tables" : "iptables";
    for (const t of ["filter", "nat", "mangle", "raw"]) {
      spawnSync("ip", ["netns", "exec", host, tool, "-t", t, "-F"]);
      spawnSync("ip", ["netns", "exec", host, tool, "-t", t, "-X"]);
    }
    for (const c of ["INPUT", "FORWARD", "OUTPUT"]) spawnSync("ip", ["netns", "exec", host, tool, "-P", c, "ACCEPT"]);
    run(["ip", "netns", "exec", host, `${tool}-restore`], text);
  }

  /** Connection attempts from a node, all at once (SCTP associations by the raw-socket agent). */
  async probe(node: string, probes: readonly Probe[]): Promise<ProbeResult[]> {
    const sctp = probes.filter((p) => p.proto === "sctp");
    const other = probes.filter((p) => p.proto !== "sctp");
    const [a, b] = await Promise.all([this.runProbes(node, [process.execPath, AGENT], other), this.runProbes(node, ["python3", SCTP_AGENT], sctp)]);
    const byId = new Map([...a, ...b].map((r) => [r.id, r]));
    return probes.map((p) => byId.get(p.id)!);
  }

  private runProbes(node: string, agent: readonly string[], probes: readonly Probe[]): Promise<ProbeResult[]> {
    if (probes.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const p = spawn("ip", ["netns", "exec", this.nsOf(node), ...agent, "probe"], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      p.stdout!.on("data", (d) => (out += d.toString()));
      p.stderr!.on("data", (d) => (err += d.toString()));
      p.on("exit", (code) => {
        if (code !== 0) return reject(new Error(`probe from ${node} failed (${code}): ${err}`));
        try {
          resolve(JSON.parse(out) as ProbeResult[]);
        } catch {
          reject(new Error(`probe from ${node}: bad output ${out}`));
        }
      });
      p.stdin!.end(JSON.stringify(probes));
    });
  }

  /** The addresses (without prefix) the topology gives a node. */
  private addressesOf(node: string): string[] {
    if (node === "host") return this.hostAddresses().map(bare);
    const c = this.spec.containers.find((x) => x.name === node);
    if (c) return [c.addr, ...(c.addr6 ? [c.addr6] : [])].map(bare);
    const k = this.spec.clients.find((x) => x.name === node);
    return k ? [...k.addrs, ...(k.addrs6 ?? [])].map(bare) : [];
  }

  /** Every address of the host namespace (for --local). */
  hostAddresses(): string[] {
    const out: string[] = [];
    for (const b of this.spec.bridges) {
      out.push(bare(b.gateway));
      if (b.gateway6) out.push(bare(b.gateway6));
    }
    for (const c of this.spec.clients) {
      out.push(c.hostAddr);
      if (c.hostAddr6) out.push(c.hostAddr6);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.procs) {
      if (p.pid !== undefined && p.exitCode === null) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    for (const ns of this.ns.values()) spawnSync("ip", ["netns", "del", ns]);
    this.ns.clear();
  }
}
