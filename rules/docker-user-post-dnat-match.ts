import { criterion, type Option, type Rule } from "../src/ast/iptables.js";
import { joinSpans } from "../src/ast/span.js";
import type { Suggestion } from "../src/diagnostic.js";
import { analyzeDocker, bridgeOfAddress, describePort, formatPortRange, parsePrefix, prefixesOverlap, rangesOverlap, type DockerLayout, type PortRange, type PublishedPort, DOCKER_LAYOUT_ANALYSIS } from "../src/docker/index.js";
import { defineRule } from "../src/rule.js";

const PORT_OPTIONS = new Set(["--dport", "--dports"]);

function ranges(value: string): PortRange[] {
  const out: PortRange[] = [];
  for (const part of value.split(",")) {
    const m = /^(\d*)(?::(\d*))?$/.exec(part.trim());
    if (!m || (m[1] === "" && m[2] === undefined)) continue;
    const from = m[1] === "" ? 0 : Number(m[1]);
    out.push({ from, to: m[2] === undefined ? from : m[2] === "" ? 65535 : Number(m[2]) });
  }
  return out;
}

function protocolOf(rule: Rule, option: Option): string | null {
  const owner = rule.matches.find((m) => m.options.includes(option));
  if (owner && owner.module !== "multiport") return owner.module;
  const p = criterion(rule, "-p");
  return p && !p.negated ? (p.valueText(0)?.toLowerCase() ?? null) : null;
}

/** Published ports whose host port the option names although the packet will carry the container port. */
function hostSidePorts(layout: DockerLayout, rule: Rule, option: Option): PublishedPort[] {
  const proto = protocolOf(rule, option);
  const wanted = ranges(option.valueText(0) ?? "");
  const candidates = layout.publishedPorts.filter((p) => (proto === null || p.protocol === proto) && p.hostPort.from !== p.containerPort.from);
  const hits = candidates.filter((p) => wanted.some((w) => rangesOverlap(w, p.hostPort)));
  // A port that is also some container's port may be meant as that container port: stay quiet.
  const containerSide = layout.publishedPorts.some((p) => (proto === null || p.protocol === proto) && wanted.some((w) => rangesOverlap(w, p.containerPort)));
  return containerSide ? [] : hits;
}

function hostAddressReason(layout: DockerLayout, hostAddresses: readonly string[], value: string): string | null {
  const p = parsePrefix(value);
  if (!p) return null;
  if (bridgeOfAddress(layout, value)) return null;
  if (layout.publishedPorts.some((x) => x.containerAddress === value.replace(/\/(?:32|128)$/, ""))) return null;
  const published = layout.publishedPorts.find((x) => x.hostAddress !== null && parsePrefix(x.hostAddress) !== null && prefixesOverlap(parsePrefix(x.hostAddress)!, p));
  if (published) return `the host address ports are published on (${describePort(published)})`;
  const own = hostAddresses.find((h) => { const q = parsePrefix(h); return q !== null && prefixesOverlap(q, p); });
  if (own) return `an address of this host (${own})`;
  return null;
}

function conntrackFix(option: Option, port: string, text: string): Suggestion | undefined {
  if (option.name !== "--dport" || option.values.length !== 1) return undefined;
  const span = option.bangSpan && option.bangSpan.offset < option.span.offset ? joinSpans(option.bangSpan, option.span) : option.span;
  const original = text.slice(span.offset, span.endOffset);
  if (!original.includes(port)) return undefined;
  return {
    desc: `Match the original port: -m conntrack --ctorigdstport ${port} --ctdir ORIGINAL`,
    fix: { range: [span.offset, span.endOffset], text: `-m conntrack ${option.negated ? "! " : ""}--ctorigdstport ${port} --ctdir ORIGINAL` },
  };
}

export default defineRule({
  id: "docker-user-post-dnat-match",
  language: "iptables",
  category: "docker",
  uses: [DOCKER_LAYOUT_ANALYSIS],
  severity: "error",
  description: "A DOCKER-USER rule matches the host side of a published port, which DNAT has already rewritten",
  tags: ["docker", "security"],
  securitySeverity: 7.5,
  precision: "high",
  docs: {
    rationale: [
      "Docker publishes a port with a DNAT rule in nat PREROUTING. By the time a packet reaches FORWARD and DOCKER-USER, its destination is already the container's address and port: `-p 8080:80` traffic arrives with `--dport 80` and `-d 172.17.0.2`.",
      "A DOCKER-USER rule written with the host's view (`--dport 8080`, `-d <host address>`) therefore never matches the traffic it was written for, and the restriction it was meant to add does not exist.",
      "Match what the client connected to with conntrack, as Docker's documentation does: `-m conntrack --ctorigdstport 8080 --ctdir ORIGINAL` for the port and `--ctorigdst <host address>` for the address (or use the container's port and address).",
      "fwlint knows the published ports from the nat DOCKER chain in the same file and host addresses from the `hostAddresses` fact.",
    ].join("\n\n"),
    bad: [
      "*filter",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A DOCKER-USER -p tcp -m tcp --dport 8080 ! -s 198.51.100.0/24 -j DROP",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    good: [
      "*filter",
      ":DOCKER-USER - [0:0]",
      "-A FORWARD -j DOCKER-USER",
      "-A DOCKER-USER -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL ! -s 198.51.100.0/24 -j DROP",
      "COMMIT",
      "*nat",
      ":DOCKER - [0:0]",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "COMMIT",
      "",
    ].join("\n"),
    exceptions: "Forwarded traffic that is not Docker's (the host routing between two networks) is not DNATed; if a DOCKER-USER rule is meant for that traffic only, disable the rule for that line.",
  },
  check({ ast, text, facts, report, memo }) {
    const layout = memo(DOCKER_LAYOUT_ANALYSIS, () => analyzeDocker(ast, facts));
    if (!layout.userChain) return;
    for (const rule of layout.userChain.rules) {
      for (const m of rule.matches) {
        for (const option of m.options) {
          if (!PORT_OPTIONS.has(option.name)) continue;
          const hits = hostSidePorts(layout, rule, option);
          if (hits.length === 0) continue;
          const value = option.valueText(0) ?? "";
          const single = hits.length === 1 && !value.includes(",");
          const fix = single ? conntrackFix(option, value, text) : undefined;
          const containerPorts = [...new Set(hits.map((p) => formatPortRange(p.containerPort)))].join(", ");
          const how = single
            ? `match the original port with -m conntrack --ctorigdstport ${value} --ctdir ORIGINAL (or the container port --dport ${containerPorts})`
            : `match the original ports with -m conntrack --ctorigdstport <port> --ctdir ORIGINAL, one rule per port (or the container ports ${containerPorts})`;
          report({
            message: `${option.negated ? "! " : ""}${option.name} ${value} names the host side of ${hits.map(describePort).join(", ")}: DNAT has rewritten the destination port (to ${containerPorts}) before the packet reaches DOCKER-USER, so this rule never matches that traffic; ${how}`,
            span: option.span,
            related: hits.map((p) => ({ span: p.dnat.command.span, message: `DNAT ${describePort(p)}` })),
            ...(fix ? { suggestions: [fix] } : {}),
          });
        }
      }
      const d = criterion(rule, "-d");
      if (d) {
        const value = d.valueText(0) ?? "";
        const why = hostAddressReason(layout, facts.hostAddresses ?? [], value);
        if (why) {
          report({
            message: d.negated
              ? `! -d ${value} excludes ${why}, but DNAT has already replaced that destination with the container's address, so this condition is true for every packet to a container; match the original destination with -m conntrack ! --ctorigdst ${value}`
              : `-d ${value} is ${why}: DNAT has already replaced that destination with the container's address before the packet reaches DOCKER-USER, so this rule never matches traffic to published ports; match the original destination with -m conntrack --ctorigdst ${value}`,
            span: d.span,
          });
        }
      }
    }
  },
});
