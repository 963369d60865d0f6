import { describe, expect, it } from "vitest";
import { dump, run } from "../test/support/rule-run.js";

const ID = "docker-chain-modified";

describe(ID, () => {
  it("reports a user rule in filter DOCKER with DOCKER-USER as the place to put it", () => {
    const [d, ...rest] = run(ID, dump(["-A DOCKER -s 203.0.113.0/24 -j ACCEPT"], [], ["DOCKER", "DOCKER-USER"]));
    expect(rest).toEqual([]);
    expect(d!.message).toMatch(/chain DOCKER: dockerd deletes and re-creates that chain/);
    expect(d!.message).toMatch(/DOCKER-USER/);
    expect(d!.span).toMatchObject({ line: 7, column: 1 });
  });

  it("gives nat advice for nat DOCKER", () => {
    const [d] = run(ID, dump([], ["-A DOCKER -p tcp -m tcp --dport 25 -j REDIRECT --to-ports 2525"]));
    expect(d!.message).toMatch(/nat chain DOCKER/);
    expect(d!.message).toMatch(/chain of your own, jumped from nat PREROUTING/);
  });

  it("does not report DOCKER-USER, the user's chain, nor Docker's own shapes written by hand in a script", () => {
    expect(run(ID, dump(["-A DOCKER-USER -s 203.0.113.0/24 -j ACCEPT"]))).toEqual([]);
    const script = "iptables -A DOCKER -o docker0 -p tcp ! -i docker0 -d 172.17.0.9 --dport 443 -j ACCEPT\niptables -A DOCKER-ISOLATION-STAGE-2 -o br-0123456789ab -j DROP\n";
    expect(run(ID, script, { kind: "script" })).toEqual([]);
  });

  it("reports rules Docker writes, but with a comment added (Docker never comments its rules)", () => {
    expect(run(ID, dump(['-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -m comment --comment "web" -j ACCEPT'], [], ["DOCKER"]))).toHaveLength(1);
  });

  it("reports an edited copy of Docker's per-container raw rule, not unrelated raw rules", () => {
    const text = [
      "*raw",
      "-A PREROUTING -d 172.18.0.2/32 ! -i br-0123456789ab -j DROP",
      "-A PREROUTING -d 172.18.0.2/32 -i br-0123456789ab -j DROP",
      "-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A POSTROUTING -s 172.18.0.0/16 ! -o br-0123456789ab -j MASQUERADE",
      "COMMIT",
      "",
    ].join("\n");
    const found = run(ID, text);
    expect(found.map((d) => d.span.line)).toEqual([3]);
    expect(found[0]!.message).toMatch(/container address 172\.18\.0\.2/);
  });
});
