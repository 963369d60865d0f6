import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CORPUS } from "../test/support/corpus.js";
import { run } from "../test/support/rule-run.js";

const ID = "docker-loopback-publish-exposed";
const golden = (v: string, f: string) => readFileSync(`${CORPUS}/docker/moby-iptabler-golden_docker-${v}/${f}`, "utf8");

describe(ID, () => {
  it("reports Docker 20.10's DNAT of 127.0.0.1, at the DNAT rule, with the raw rule that closes it", () => {
    const text = readFileSync(`${CORPUS}/docker-real/docker20.10-bridge-usernet-internal-published.rules`, "utf8");
    const found = run(ID, text);
    expect(found).toHaveLength(1);
    expect(found[0]!.span.line).toBe(56);
    expect(found[0]!.severity).toBe("error");
    expect(found[0]!.message).toMatch(/^127\.0\.0\.1:9000\/tcp → 172\.18\.0\.2:9000 is published on the loopback address only, but a neighbour on any interface \(any source\) can reach it/);
    expect(found[0]!.message).toContain("`-t raw -I PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 9000 -j DROP`");
    // with that rule added, the port is closed
    expect(run(ID, `${text}*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 9000 -j DROP\nCOMMIT\n`)).toEqual([]);
    // a DOCKER-USER rule that drops what does not come in on lo closes it too
    expect(run(ID, text.replace("-A DOCKER-USER -j RETURN", "-A DOCKER-USER -d 172.18.0.2/32 -p tcp -m tcp --dport 9000 -m conntrack --ctorigdst 127.0.0.1 -j DROP\n-A DOCKER-USER -j RETURN"))).toEqual([]);
  });

  it("says nothing on Docker 28 and 29, on IPv6 (::1 is dropped on arrival) and for WSL2's loopback0", () => {
    for (const v of ["28.2.0_to_28.5.2", "29.0.0_to_master"]) {
      const base = "hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=true";
      expect(run(ID, golden(v, `${base}__iptables.rules`))).toEqual([]);
      expect(run(ID, golden(v, `${base}__ip6tables.rules`), { filePath: "rules.v6" })).toEqual([]);
      expect(run(ID, golden(v, "hairpin=true_internal=false_icc=false_masq=true_snat=false_gwm=nat_bindlh=true_wsl2mirrored=true__iptables.rules"))).toEqual([]);
    }
    // without Docker's raw rule, a 29 layout is open again
    const open = golden("29.0.0_to_master", "hairpin=false_internal=false_icc=true_masq=true_snat=false_gwm=nat_bindlh=true__iptables.rules").replace(/^-A PREROUTING -d 127\.0\.0\.1\/32 ! -i lo .*\n/m, "");
    expect(run(ID, open)).toHaveLength(1);
  });
});
