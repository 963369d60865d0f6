#!/usr/bin/env node
// Tiny network agent for kernel-backed tests, run inside a test namespace with `ip netns exec`.
//   node netagent.mjs listen '{"tcp":[80],"udp":[53]}'   echo servers on every address; prints "ready"
//     ("addrs": [...] names the addresses UDP binds, else those the namespace lists now)
//   node netagent.mjs probe  < probes.json                 connection attempts; prints JSON results
// A TCP probe is open when the server echoes what the client sent (so the handshake, the client's next
// packet and the server's reply all passed). A UDP probe sends two datagrams and needs both echoes.
import dgram from "node:dgram";
import net from "node:net";
import os from "node:os";

const [mode, arg] = process.argv.slice(2);

if (mode === "listen") {
  const spec = JSON.parse(arg ?? "{}");
  const pending = [];
  const listenTcp = (port, host, extra) =>
    new Promise((resolve) => {
      const srv = net.createServer((sock) => {
        sock.on("data", (d) => sock.write(d));
        sock.on("error", () => {});
      });
      srv.on("error", () => resolve(false));
      srv.listen({ port, host, ...extra }, () => resolve(true));
    });
  const listenUdp = (port, type, address) =>
    new Promise((resolve) => {
      const s = dgram.createSocket({ type, ipv6Only: type === "udp6" });
      s.on("message", (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
      s.on("error", () => resolve(false));
      s.bind(port, address, () => resolve(true));
    });
  for (const p of spec.tcp ?? []) {
    pending.push(listenTcp(p, "0.0.0.0"));
    pending.push(listenTcp(p, "::", { ipv6Only: true }));
  }
  // UDP replies leave from the address the socket is bound to: bind every address of the namespace, so
  // an echo always comes from the address the datagram was sent to (as a real service's reply would).
  // The addresses come from the spec when given: an interface just set up may not be listed by
  // networkInterfaces() yet (libuv skips links whose carrier is not up), which left UDP bound to loopback only.
  const addrs = spec.addrs
    ? [...spec.addrs, "127.0.0.1", "::1"].map((address) => ({ address, family: address.includes(":") ? "IPv6" : "IPv4" }))
    : Object.values(os.networkInterfaces())
        .flat()
        .filter((a) => a && !(a.family === "IPv6" && a.address.startsWith("fe80")));
  for (const p of spec.udp ?? []) {
    for (const a of addrs) pending.push(listenUdp(p, a.family === "IPv6" ? "udp6" : "udp4", a.address));
  }
  Promise.all(pending).then(() => process.stdout.write("ready\n"));
} else if (mode === "probe") {
  let input = "";
  process.stdin.on("data", (d) => (input += d));
  process.stdin.on("end", async () => {
    const probes = JSON.parse(input);
    const results = await Promise.all(probes.map((p) => (p.proto === "udp" ? udp(p) : tcp(p))));
    process.stdout.write(JSON.stringify(results));
    process.exit(0);
  });
} else {
  process.stderr.write("usage: netagent.mjs listen JSON | probe < JSON\n");
  process.exit(2);
}

function tcp(p) {
  return new Promise((resolve) => {
    const token = `fwlint-${p.id}\n`;
    let done = false;
    const finish = (open, detail) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ id: p.id, open, detail });
    };
    const sock = net.connect({ host: p.dst, port: p.port, localAddress: p.src, ...(p.sport ? { localPort: p.sport } : {}) });
    const timer = setTimeout(() => finish(false, "timeout"), p.timeout ?? 1500);
    let got = "";
    sock.on("connect", () => sock.write(token));
    sock.on("data", (d) => {
      got += d.toString();
      if (got.includes(token)) finish(true, "echo");
    });
    sock.on("error", (e) => finish(false, e.code ?? String(e)));
  });
}

function udp(p) {
  return new Promise((resolve) => {
    const type = p.dst.includes(":") ? "udp6" : "udp4";
    const s = dgram.createSocket(type);
    let step = 0;
    let done = false;
    const finish = (open, detail) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        s.close();
      } catch {}
      resolve({ id: p.id, open, detail });
    };
    const timer = setTimeout(() => finish(false, step === 0 ? "timeout" : "timeout after first echo"), p.timeout ?? 1500);
    s.on("error", (e) => finish(false, e.code ?? String(e)));
    s.on("message", (msg) => {
      const want = `fwlint-${p.id}-${step}`;
      if (msg.toString() !== want) return;
      step++;
      if (step === 2) finish(true, "echo");
      else s.send(`fwlint-${p.id}-${step}`);
    });
    s.bind(p.sport ?? 0, p.src, () => {
      s.connect(p.port, p.dst, (err) => {
        if (err) return finish(false, err.code ?? String(err));
        s.send(`fwlint-${p.id}-0`);
      });
    });
  });
}
