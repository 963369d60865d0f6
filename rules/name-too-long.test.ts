import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./name-too-long.js";

const L28 = "A".repeat(28);
const L29 = "B".repeat(29);

ruleTests(rule, [
  { name: "chain name of 29 characters", text: restore("filter", `:${L29} - [0:0]`), expect: ["2:2 error"], message: /at most 28/ },
  { name: "chain name of 28 characters", text: restore("filter", `:${L28} - [0:0]`, `-A INPUT -j ${L28}`), expect: [] },
  { name: "interface name of 16 characters", text: restore("filter", "-A INPUT -i eth0123456789abc -j DROP"), expect: ["2:13 error"], message: /at most 15/ },
  // checked with iptables-restore 1.8.9: 8 × "é" (16 bytes) is refused ("must be shorter than IFNAMSIZ"), 7 (14 bytes) taken
  { name: "interface name of 8 two-byte characters (16 bytes)", text: restore("filter", "-A INPUT -i éééééééé -j DROP"), expect: ["2:13 error"], message: /16 bytes long; Linux allows at most 15/ },
  { name: "interface name of 7 two-byte characters (14 bytes)", text: restore("filter", "-A INPUT -i ééééééé -j DROP"), expect: [] },
  { name: "interface name of 15 characters and wildcards", text: restore("filter", "-A INPUT -i eth0123456789ab -j DROP", "-A INPUT -i veth+ -j DROP"), expect: [] },
  { name: "log prefix over 29 characters is cut (warning)", text: restore("filter", `-A INPUT -j LOG --log-prefix "${"x".repeat(30)}"`), expect: ["2:30 warning"], message: /keeps only the first 29/ },
  { name: "comment over 255 bytes is cut (warning)", text: restore("filter", `-A INPUT -m comment --comment "${"c".repeat(300)}" -j ACCEPT`), expect: ["2:31 warning"] },
  { name: "script: -N and -E", format: "script", text: `iptables -N ${L29}\niptables -E OLD ${L29}\n`, expect: ["1:13 error", "2:17 error"] },
  { name: "iptables -S", format: "list-rules", text: `-P INPUT ACCEPT\n-N ${L29}\n`, expect: ["2:4 error"] },
]);
