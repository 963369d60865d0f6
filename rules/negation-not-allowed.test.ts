import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./negation-not-allowed.js";

ruleTests(rule, [
  { name: "! --log-prefix", text: restore("filter", '-A INPUT -j LOG ! --log-prefix "x"'), expect: ["2:17 error"], fixed: '-A INPUT -j LOG --log-prefix "x"' },
  { name: "! --to-destination", text: restore("nat", "-A PREROUTING -j DNAT ! --to-destination 10.0.0.1"), expect: ["2:23 error"] },
  { name: "! --comment", text: restore("filter", "-A INPUT -m comment ! --comment x -j ACCEPT"), expect: ["2:21 error"] },
  { name: "negatable options", text: restore("filter", "-A INPUT ! -i lo -p tcp ! --syn -m conntrack ! --ctstate NEW -m state ! --state INVALID -j ACCEPT"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -j REJECT ! --reject-with tcp-reset\n", expect: ["1:29 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -j LOG ! --log-level 4\n", expect: ["2:17 error"] },
]);
