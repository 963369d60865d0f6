import { placeholderReason } from "../src/docker/index.js";
import { defineRule } from "../src/rule.js";

const INTERFACE_OPTIONS = new Set(["-i", "-o", "--physdev-in", "--physdev-out"]);
const EXTERNAL_LIKE = /^(?:ext|wan)[_-]?if(?:ace)?$|^external[_-]interface$|^your[_-]?interface$|^interface$|^iface$|^eth[x?]$/i;

export default defineRule({
  id: "placeholder-interface",
  language: "iptables",
  category: "docker",
  severity: "error",
  description: "An interface name copied from documentation (ext_if and the like) that no real host has",
  tags: ["security", "correctness", "docker"],
  securitySeverity: 7.0,
  precision: "very-high",
  docs: {
    rationale: [
      "Docker's documentation restricts published ports with `iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP`, where `ext_if` stands for your external interface. Pasted as is, the rule is accepted by iptables (any name up to 15 characters is), but no packet ever arrives on an interface called `ext_if`: the rule never matches and the restriction it was meant to add does not exist.",
      "fwlint reports interface names that are documentation placeholders (`ext_if`, `int_if`, `src_if`, `dst_if`, `ethX`, `your_interface`, …) or unexpanded template syntax (`<iface>`, `{{ wan }}`, `$EXT_IF` in a restore file). With the `externalInterfaces` fact set, it suggests the real name.",
    ].join("\n\n"),
    bad: ["#!/bin/sh", "iptables -I DOCKER-USER -i ext_if ! -s 192.168.1.1 -j DROP", ""].join("\n"),
    good: ["#!/bin/sh", "iptables -I DOCKER-USER -i eth0 ! -s 192.168.1.1 -j DROP", ""].join("\n"),
    exceptions: "A host that really has an interface with one of these names (renamed with udev or `ip link set … name`): disable the rule for that file.",
  },
  create({ facts, report }) {
    const external = facts.externalInterfaces ?? [];
    // every option of every rule
    return {
      option(option, rule) {
        if (!INTERFACE_OPTIONS.has(option.name)) return;
        for (let i = 0; i < option.valueCount; i++) {
          if (option.valueDynamic(i)) continue;
          const reason = placeholderReason(option.valueText(i)!);
          if (!reason) continue;
          const word = option.values[i]!;
          const suggestion =
            external.length === 1 && EXTERNAL_LIKE.test(word.text.replace(/\+$/, ""))
              ? [{ desc: `Replace ${word.text} with ${external[0]}`, fix: { range: [word.span.offset, word.span.endOffset] as [number, number], text: external[0]! } }]
              : [];
          report({
            message: `Interface "${word.text}" is ${reason}: no host has it, so this rule never matches and whatever it was meant to ${rule.target?.name === "ACCEPT" ? "allow" : "restrict"} does not happen; use the host's real interface name${external.length ? ` (externalInterfaces: ${external.join(", ")})` : " (ip -br link)"}`,
            span: word.span,
            ...(suggestion.length ? { suggestions: suggestion } : {}),
          });
        }
      },
    };
  },
});
