import { describe, expect, it } from "vitest";
import { runProject } from "../test/support/rule-run.js";

const ID = "docker-config-mismatch";
const NAT = "*nat\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER\n-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\nCOMMIT\n";
const check = (daemon: string, rules = NAT, rulesPath = "host.rules") => runProject(ID, [{ text: daemon, filePath: "daemon.json" }, { text: rules, filePath: rulesPath }]);

describe(ID, () => {
  it("reports at the daemon.json setting, naming the dump line", () => {
    const [f] = check('{\n  "iptables": false\n}\n');
    expect(f!.file).toBe("daemon.json");
    expect(f!.diagnostic.span.line).toBe(2);
    expect(f!.diagnostic.message).toMatch(/host\.rules line 3 has Docker's iptables chains/);
  });

  it("compares ip6tables with IPv6 dumps only", () => {
    expect(check('{ "ip6tables": false }')).toEqual([]);
    const v6 = "*nat\n:DOCKER - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER\nCOMMIT\n";
    expect(check('{ "ip6tables": false }', v6, "rules.v6")).toHaveLength(1);
  });

  it("compares userland-proxy, ip-masq and bip", () => {
    expect(check('{ "userland-proxy": false }').map((f) => f.diagnostic.message)).toEqual([expect.stringMatching(/proxy on/)]);
    expect(check('{ "ip-masq": false }')).toHaveLength(1);
    expect(check('{ "bip": "172.17.0.1/16" }')).toEqual([]);
    expect(check('{ "bip": "10.9.0.1/16" }')[0]!.diagnostic.message).toMatch(/docker0 on 172\.17\.0\.0\/16/);
  });

  it("says nothing when they agree", () => {
    expect(check("{}")).toEqual([]);
  });
});
