import { topMembers, type JsonMember, type JsonValue } from "../src/daemon/ast.js";
import { daemonSettings, FLAT_OPTIONS, jsonText, keyInfo, objectMember } from "../src/docker/daemon.js";
import type { DaemonValueKind } from "../src/docker/daemon-keys.js";
import { parseAddress, parsePrefix } from "../src/docker/net.js";
import type { Family } from "../src/ast/iptables.js";
import { defineRule, type Finding } from "../src/rule.js";

const KIND_TEXT: Record<DaemonValueKind, string> = {
  boolean: "true or false",
  integer: "an integer",
  string: "a string",
  "string-or-number": "a string or a number",
  "string-array": "an array of strings",
  "object-array": "an array of objects",
  "string-map": "an object of strings",
  "boolean-map": "an object of true/false values",
  object: "an object",
  any: "any value",
  none: "nothing",
};

const article = (t: JsonValue["type"]) => ({ Object: "an object", Array: "an array", String: "a string", Number: "a number", Boolean: "a boolean", Null: "null" })[t];

function kindMatches(kind: DaemonValueKind, v: JsonValue, raw: string): boolean {
  if (v.type === "Null") return true; // encoding/json leaves the default in place
  switch (kind) {
    case "boolean":
      return v.type === "Boolean";
    case "integer":
      return v.type === "Number" && /^-?\d+$/.test(raw.trim());
    case "string":
      return v.type === "String";
    case "string-or-number":
      return v.type === "String" || v.type === "Number";
    case "string-array":
      return v.type === "Array" && v.elements.every((e) => e.type === "String");
    case "object-array":
      return v.type === "Array" && v.elements.every((e) => e.type === "Object");
    case "string-map":
      return v.type === "Object" && v.members.every((m) => m.value.type === "String");
    case "boolean-map":
      return v.type === "Object" && v.members.every((m) => m.value.type === "Boolean");
    case "object":
      return v.type === "Object";
    default:
      return true;
  }
}

const ENUMS: Record<string, readonly string[]> = {
  "log-level": ["debug", "info", "warn", "error", "fatal", "panic", "trace"],
  "log-format": ["text", "json"],
  "default-ipc-mode": ["private", "shareable"],
  "default-cgroupns-mode": ["private", "host"],
  "firewall-backend": ["", "iptables", "nftables"],
};

const ADDRESS_KEYS: Record<string, Family | "any"> = { ip: "any", "default-gateway": "ipv4", "default-gateway-v6": "ipv6", "host-gateway-ip": "any" };
const CIDR_KEYS: Record<string, Family> = { bip: "ipv4", bip6: "ipv6", "fixed-cidr": "ipv4", "fixed-cidr-v6": "ipv6" };
const familyText = (f: Family | "any") => (f === "ipv4" ? "an IPv4 address" : f === "ipv6" ? "an IPv6 address" : "an IP address");

function checkAddress(text: string, family: Family | "any"): string | null {
  const a = parseAddress(text);
  if (!a || text.startsWith("[")) return `must be ${familyText(family)}`;
  if (family !== "any" && a.family !== family) return `must be ${familyText(family)}`;
  return null;
}

function checkCidr(text: string, family: Family): string | null {
  if (!text.includes("/")) return `must be ${family === "ipv4" ? "an IPv4" : "an IPv6"} CIDR (address/prefix length), e.g. ${family === "ipv4" ? "192.168.1.1/24" : "fd00:1::1/64"}`;
  const p = parsePrefix(text);
  if (!p || !/\/\d{1,3}$/.test(text)) return `is not a valid CIDR`;
  if (p.family !== family) return `must be ${family === "ipv4" ? "an IPv4" : "an IPv6"} CIDR`;
  return null;
}

/** A `hosts` entry as dockerd's ParseHost reads it; returns a problem or null. */
export function checkHost(entry: string): string | null {
  const e = entry.trim();
  if (e === "") return null;
  const sep = e.indexOf("://");
  const proto = sep === -1 ? "tcp" : e.slice(0, sep);
  const addr = sep === -1 ? e : e.slice(sep + 3);
  switch (proto) {
    case "unix":
    case "npipe":
    case "fd":
      return null;
    case "tcp": {
      const m = /^(\[[^\]]*\]|[^:/]*)(?::([^/]*))?(\/.*)?$/.exec(addr);
      if (!m) return "is not a valid tcp address (tcp://host:port)";
      if (m[3] && m[3] !== "/") return "must not have a path (tcp://host:port)";
      if (m[2] !== undefined && m[2] !== "" && !(/^\d+$/.test(m[2]) && Number(m[2]) <= 65535)) return `has an invalid port "${m[2]}"`;
      return null;
    }
    default:
      return `uses "${proto}://", which dockerd cannot listen on (use unix://, tcp://, fd:// or npipe://)`;
  }
}

export default defineRule({
  id: "daemon-invalid-value",
  language: "daemon-json",
  category: "daemon",
  severity: "error",
  description: "A daemon.json value has the wrong JSON type or an invalid address, CIDR, host or enum value",
  tags: ["daemon", "validity"],
  precision: "high",
  docs: {
    rationale: [
      "dockerd decodes daemon.json into typed fields: `\"iptables\": \"false\"` (a string, not a boolean) fails with `json: cannot unmarshal string into … of type bool`, and dockerd does not start. Addresses and networks are parsed too: `ip`, `bip`, `fixed-cidr`, `fixed-cidr-v6`, `default-address-pools`, `dns`, `default-gateway`, and every `hosts` entry must be valid, and enumerations (`log-level`, `firewall-backend`, …) must hold one of their values.",
      "fwlint checks the JSON type of every known key (from the reference key table) and the format of the network settings, and says what the value must look like.",
    ].join("\n\n"),
    bad: '{\n  "iptables": "false",\n  "bip": "172.26.0.1",\n  "hosts": ["unix:///var/run/docker.sock", "http://0.0.0.0:2375"]\n}\n',
    good: '{\n  "iptables": false,\n  "bip": "172.26.0.1/16",\n  "hosts": ["unix:///var/run/docker.sock"]\n}\n',
  },
  check({ ast, report }) {
    const raw = (v: JsonValue) => ast.text.slice(v.span.offset, v.span.endOffset);
    const bad = (v: JsonValue, key: string, problem: string): Finding => ({ message: `"${key}": ${jsonText(ast, v)} ${problem}: dockerd will not start`, span: v.span });
    const checked = new Set<JsonMember>();
    const checkMember = (key: string, m: JsonMember) => {
      if (checked.has(m)) return;
      checked.add(m);
      const v = m.value;
      const info = keyInfo(key);
      if (!info || info.kind === "none" || info.kind === "any") return;
      if (!kindMatches(info.kind, v, raw(v))) {
        const got = v.type === "Number" && info.kind === "integer" ? "a number that is not an integer" : article(v.type);
        report({ message: `"${key}" must be ${KIND_TEXT[info.kind]}, not ${got} (${jsonText(ast, v)}): dockerd fails with "json: cannot unmarshal" and will not start`, span: v.span });
        return;
      }
      if (v.type === "String") {
        const s = v.value;
        if (ENUMS[key] && !ENUMS[key]!.includes(s)) report(bad(v, key, `is not one of ${ENUMS[key]!.filter(Boolean).map((x) => `"${x}"`).join(", ")}`));
        if (ADDRESS_KEYS[key] && s !== "") {
          const p = checkAddress(s, ADDRESS_KEYS[key]!);
          if (p) report(bad(v, key, p));
        }
        if (CIDR_KEYS[key] && s !== "") {
          const p = checkCidr(s, CIDR_KEYS[key]!);
          if (p) report(bad(v, key, p));
        }
        if (key === "bridge-accept-fwmark" && s !== "" && !/^(?:0x[0-9a-f]+|0o?[0-7]+|0b[01]+|\d+)(?:\/(?:0x[0-9a-f]+|0o?[0-7]+|0b[01]+|\d+))?$/i.test(s)) report(bad(v, key, 'must be "mark" or "mark/mask" (unsigned 32-bit numbers)'));
        if (key === "userland-proxy-path" && s !== "" && !s.startsWith("/")) report(bad(v, key, "must be an absolute path"));
        if (key === "metrics-addr" && s !== "" && !/^(?:\[[^\]]+\]|[^:]*):\d+$/.test(s)) report(bad(v, key, "must be host:port"));
      }
      if (v.type === "Number") {
        if ((key === "mtu" || key.startsWith("max-concurrent") || key === "max-download-attempts") && v.value < 0) report(bad(v, key, "must not be negative"));
        if (key === "network-diagnostic-port" && (v.value < 0 || v.value > 65535)) report(bad(v, key, "must be a port number (0–65535)"));
      }
      if (v.type === "Array") {
        for (const e of v.elements) {
          if (e.type === "String" && key === "hosts") {
            const p = checkHost(e.value);
            if (p) report(bad(e, key, p));
          }
          if (e.type === "String" && (key === "dns" || key === "host-gateway-ips")) {
            const p = checkAddress(e.value, "any");
            if (p) report(bad(e, key, p));
          }
          if (e.type === "String" && key === "labels" && !e.value.includes("=")) report(bad(e, key, 'must be "key=value"'));
          if (e.type === "String" && key === "exec-opts" && !/^native\.cgroupdriver=(?:cgroupfs|systemd)$/.test(e.value.replace(/\s/g, ""))) report(bad(e, key, 'is not supported on Linux (only "native.cgroupdriver=cgroupfs|systemd")'));
          if (e.type === "String" && key === "registry-mirrors" && !/^https?:\/\/[^/]+/.test(e.value)) report(bad(e, key, "must be an http:// or https:// URL"));
          if (e.type === "Object" && key === "default-address-pools") {
            const base = objectMember(e, "base");
            const size = objectMember(e, "size");
            if (!base || base.value.type !== "String") {
              report({ message: `"default-address-pools": each pool needs "base" (a CIDR string): dockerd will not start`, span: e.span });
              continue;
            }
            const p = parsePrefix(base.value.value);
            if (!p || !base.value.value.includes("/")) {
              report({ message: `"default-address-pools": base ${jsonText(ast, base.value)} is not a CIDR (address/prefix length): dockerd will not start`, span: base.value.span });
              continue;
            }
            if (!size || size.value.type !== "Number" || !Number.isInteger(size.value.value)) {
              report({ message: `"default-address-pools": pool ${base.value.value} needs "size" (the prefix length of each network, an integer): dockerd will not start`, span: (size?.value ?? e).span });
              continue;
            }
            const max = p.family === "ipv4" ? 32 : 128;
            if (size.value.value < p.length || size.value.value > max) report({ message: `"default-address-pools": size ${size.value.value} for base ${base.value.value} must be between the base prefix length (${p.length}) and ${max}: dockerd will not start`, span: size.value.span });
          }
        }
      }
    };
    // Known keys whose value is an object although they are not objects: dockerd flattens the object for
    // validation, then fails decoding it into the typed field.
    for (const m of topMembers(ast)) {
      const info = keyInfo(m.name);
      if (m.value.type === "Object" && !FLAT_OPTIONS.has(m.name) && info && info.status === "key" && info.kind !== "object") checkMember(m.name, m);
    }
    for (const s of daemonSettings(ast)) checkMember(s.key, s.member);
  },
});
