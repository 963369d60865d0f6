import { describe, expect, it } from "vitest";
import { run } from "../test/support/rule-run.js";
import { checkHost } from "./daemon-invalid-value.js";

const ID = "daemon-invalid-value";
const json = (text: string) => run(ID, text, { filePath: "daemon.json" });

describe(ID, () => {
  it("reports the JSON type dockerd's decoder wants", () => {
    expect(json('{ "iptables": "false" }')[0]!.message).toMatch(/"iptables" must be true or false, not a string/);
    expect(json('{ "mtu": "1500" }')[0]!.message).toMatch(/must be an integer/);
    expect(json('{ "dns": "1.1.1.1" }')[0]!.message).toMatch(/must be an array of strings/);
    expect(json('{ "log-opts": { "max-size": 10 } }')[0]!.message).toMatch(/must be an object of strings/);
    expect(json('{ "iptables": { "x": 1 } }')[0]!.message).toMatch(/not an object/);
    expect(json('{ "iptables": null, "default-shm-size": 67108864 }')).toEqual([]);
  });

  it("checks addresses, networks and pools", () => {
    expect(json('{ "ip": "127.0.0.1", "bip": "10.1.0.1/16", "fixed-cidr-v6": "fd00:1::/64", "default-gateway-v6": "fd00:1::1" }')).toEqual([]);
    expect(json('{ "ip": "localhost" }')[0]!.message).toMatch(/must be an IP address/);
    expect(json('{ "bip6": "fd00::1" }')[0]!.message).toMatch(/IPv6 CIDR/);
    expect(json('{ "default-address-pools": [{ "base": "10.10.0.0/16", "size": 33 }] }')[0]!.message).toMatch(/between the base prefix length \(16\) and 32/);
    expect(json('{ "default-address-pools": [{ "base": "10.10.0.0/16" }] }')[0]!.message).toMatch(/needs "size"/);
  });

  it("reads hosts entries like dockerd", () => {
    expect(["unix:///var/run/docker.sock", "fd://", "tcp://0.0.0.0:2376", "tcp://:2375", "0.0.0.0:2375", "tcp://[::1]:2375", "npipe:////./pipe/docker_engine", ""].map(checkHost)).toEqual([null, null, null, null, null, null, null, null]);
    expect(checkHost("ssh://host")).toMatch(/cannot listen/);
    expect(checkHost("tcp://1.2.3.4:70000")).toMatch(/invalid port/);
    expect(checkHost("tcp://1.2.3.4:2375/api")).toMatch(/path/);
  });

  it("checks enumerations", () => {
    expect(json('{ "firewall-backend": "nft" }')[0]!.message).toMatch(/"iptables", "nftables"/);
    expect(json('{ "firewall-backend": "", "log-format": "json", "default-cgroupns-mode": "host" }')).toEqual([]);
  });
});
