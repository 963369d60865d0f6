/**
 * Shell scripts with functions and a `case` on `$1`, run for real with `sh SCRIPT start` in a throw-away
 * namespace: the ruleset the kernel holds afterwards must be the one fwlint builds by following the script
 * (functions where they are called, the `start` branch of a case). Runs as root with iptables; skipped
 * elsewhere with the reason.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalRuleLines } from "../src/canonical.js";
import { parse } from "../src/parse/index.js";
import { kernelAvailable, kernelSkipReason, Netns } from "./support/kernel.js";

const SCRIPTS: Record<string, string> = {
  "an init script: start and stop functions, a helper defined after its caller, a case with start|reload": `#!/bin/sh
IPT=iptables
EXT_IF=eth0

start() {
  $IPT -N ALLOW
  $IPT -A INPUT -i lo -j ACCEPT
  $IPT -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  allow_ssh
  $IPT -A INPUT -j ALLOW
  $IPT -P INPUT DROP
}

allow_ssh() { $IPT -A ALLOW -i $EXT_IF -p tcp --dport 22 -j ACCEPT; }

stop()
{
  $IPT -P INPUT ACCEPT
  $IPT -F
  $IPT -X
  $IPT -A INPUT -p tcp --dport 80 -j ACCEPT
}

case "$1" in
  start|reload)
    start
    ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 1 ;;
esac
`,
  "one-line functions, subshells and groups without spaces, a function run twice": `#!/bin/sh
base(){ iptables -A FORWARD -s 10.0.0.0/8 -j DROP;}
twice() { iptables -A OUTPUT -p udp --dport 53 -j ACCEPT; }
ports() { for p in 8080 8443; do iptables -A INPUT -p tcp --dport $p -j ACCEPT; done; }
ports
(iptables -A INPUT -p tcp --dport 443 -j ACCEPT)
{ iptables -A INPUT -p tcp --dport 80 -j ACCEPT; }
base
twice
twice
iptables -A INPUT -j DROP>/dev/null 2>&1
`,
  "a function with its own case, called from the start branch; other branches never run": `#!/bin/sh
rules() {
  mode=$1
  case "$mode" in
    strict) iptables -P FORWARD DROP ;;
    start) iptables -A FORWARD -i docker0 -j ACCEPT ;;
  esac
  iptables -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
}
case "$1" in
  start) rules start ;;
  stop) iptables -F FORWARD ;;
esac
`,
  "function arguments, and variables split at blanks or empty": `#!/bin/sh
SSH="-p tcp --dport 22"
NONE=""
allow() { iptables -A INPUT -s "$1" $NONE $SSH -j "\${2:-ACCEPT}"; }
deny() { iptables -A INPUT -s $1 -j DROP; }
allow 10.0.0.1 ACCEPT
allow 10.0.0.2 RETURN
deny 192.0.2.7
`,
  "a dispatch through the first argument": `#!/bin/sh
start() {
  iptables -A INPUT -p tcp --dport 25 -j ACCEPT
  iptables -P INPUT DROP
}
stop() { iptables -P INPUT ACCEPT; iptables -F; }
"$1"
`,
  "for loops over words and over a variable's words, inside a function": `#!/bin/sh
PORTS="22 80 443"
TRUSTED="10.1.0.0/16
10.2.0.0/16"
open_ports() {
  for port in $PORTS; do
    iptables -A INPUT -p tcp --dport "$port" -j ACCEPT
  done
}
for net in $TRUSTED 192.168.7.0/24
do
  iptables -A INPUT -s $net -j ACCEPT
done
case "$1" in
  start) open_ports; for p in 53; do iptables -A OUTPUT -p udp --dport $p -j ACCEPT; done ;;
esac
`,
};

/** chain → policy and rule specs, as iptables-save prints the filter table. */
function kernelFilter(saved: string): Record<string, { policy: string; rules: string[] }> {
  const out: Record<string, { policy: string; rules: string[] }> = {};
  let inFilter = false;
  for (const line of saved.split("\n")) {
    if (line.startsWith("*")) inFilter = line === "*filter";
    else if (!inFilter) continue;
    else if (line.startsWith(":")) {
      const [name, policy] = line.slice(1).split(" ");
      out[name!] = { policy: policy!, rules: [] };
    } else if (line.startsWith("-A ")) {
      const chain = line.split(" ")[1]!;
      out[chain]!.rules.push(line.slice(4 + chain.length).trim());
    }
  }
  return out;
}

/** The same from fwlint's tree of the script. */
function fwlintFilter(text: string): Record<string, { policy: string; rules: string[] }> {
  const rs = parse(text, { format: "script", family: "ipv4" });
  const out: Record<string, { policy: string; rules: string[] }> = {};
  const filter = rs.tables.find((t) => t.name === "filter");
  for (const name of ["INPUT", "FORWARD", "OUTPUT"]) out[name] = { policy: "ACCEPT", rules: [] };
  for (const c of filter?.chains ?? []) {
    out[c.name] = { policy: c.builtin ? (c.policy ?? "ACCEPT") : "-", rules: c.rules.flatMap((r) => canonicalRuleLines(r, "ipv4")) };
  }
  return out;
}

describe.skipIf(!kernelAvailable)("scripts run with `sh SCRIPT start` hold the ruleset fwlint follows", () => {
  let ns: Netns;
  let dir: string;
  beforeAll(() => {
    ns = new Netns("fwlflow");
    dir = mkdtempSync(join(tmpdir(), "fwlint-flow-"));
  });
  afterAll(() => ns?.dispose());

  for (const [name, text] of Object.entries(SCRIPTS)) {
    it(name, () => {
      ns.reset("ipv4");
      const path = join(dir, "fw.sh");
      writeFileSync(path, text);
      const run = ns.exec("sh", ["-e", path, "start"]);
      expect(run.status, run.stderr).toBe(0);
      const kernel = kernelFilter(ns.save("ipv4", "filter"));
      expect(fwlintFilter(text)).toEqual(kernel);
      // and the way fwlint follows is not the order written: read linearly, the ruleset would differ
      expect(Object.values(kernel).some((c) => c.rules.length > 0)).toBe(true);
    });
  }
});

describe.skipIf(kernelAvailable)("scripts run for real (skipped)", () => {
  it("needs root, iptables and iproute2", () => {
    console.log(`script flow kernel tests skipped: ${kernelSkipReason}`);
  });
});
