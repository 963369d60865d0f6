import { exceedsBytes, IFNAME_MAX } from "../src/catalog/index.js";
import { defineRule } from "../src/rule.js";
import { newChainName } from "../src/validity/rules-util.js";

/** Longest chain name the kernel takes (XT_EXTENSION_MAXNAMELEN - 1 = 28 usable characters). */
const CHAIN_MAX = 28;

/** Bytes of `s` in UTF-8 (for the message). */
const utf8Length = (s: string) => Buffer.byteLength(s, "utf8");

export default defineRule({
  id: "name-too-long",
  language: "iptables",
  category: "validity",
  severity: "error",
  description: "A chain name, interface name, log prefix or comment is longer than the kernel allows",
  tags: ["validity"],
  precision: "very-high",
  docs: {
    rationale: [
      "Chain names are limited to 28 characters and interface names to 15 bytes (a non-ASCII character takes two or more); iptables refuses longer ones",
      "(`chain name too long (must be under 29 chars)`, `interface name must be shorter than IFNAMSIZ (15)`).",
      "String options with a length limit in the catalog (`--log-prefix`, 29 bytes; `--comment`, 255 bytes; …) are",
      "cut by iptables without an error, so the log line or comment you read later is not the one you wrote: a warning",
      "(an error where the catalog says the option is refused instead of cut).",
    ].join(" "),
    bad: "*filter\n:INPUT ACCEPT [0:0]\n:THIS-CHAIN-NAME-IS-MUCH-TOO-LONG - [0:0]\n-A INPUT -j THIS-CHAIN-NAME-IS-MUCH-TOO-LONG\nCOMMIT\n",
    good: "*filter\n:INPUT ACCEPT [0:0]\n:CHAIN-NAME-IS-SHORT - [0:0]\n-A INPUT -j CHAIN-NAME-IS-SHORT\nCOMMIT\n",
  },
  create({ report }) {
    return {
      command(cmd) {
        const n = newChainName(cmd);
        if (n && n.name.length > CHAIN_MAX) report({ message: `chain name "${n.name}" is ${n.name.length} characters long; the kernel allows at most ${CHAIN_MAX}`, span: n.span });
      },
      option(o) {
        const spec = o.spec;
        if (!spec?.kinds) return;
        const kinds = spec.kinds;
        for (let k = 0; k < kinds.length; k++) {
          const kind = kinds[k];
          const text = o.valueText(k);
          if (text === undefined || o.valueDynamic(k)) continue;
          // the kernel counts bytes (iptables: "must be shorter than IFNAMSIZ"); invalid-argument leaves such names here
          if (kind === "interface" && exceedsBytes(text, IFNAME_MAX)) {
            const bytes = utf8Length(text);
            report({ message: `interface name "${text}" is ${bytes} ${bytes === text.length ? "characters" : "bytes"} long; Linux allows at most ${IFNAME_MAX}`, span: o.values[k]!.span });
          } else if (kind === "string" && spec.maxLength !== undefined && exceedsBytes(text, spec.maxLength)) {
            const truncates = spec.truncates === true;
            report({
              message: `${o.written} value is ${utf8Length(text)} bytes long; ${truncates ? `iptables keeps only the first ${spec.maxLength}` : `iptables refuses more than ${spec.maxLength}`}`,
              span: o.values[k]!.span,
              severity: truncates ? "warning" : "error",
            });
          }
        }
      },
    };
  },
});
