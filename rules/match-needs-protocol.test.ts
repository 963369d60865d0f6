import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./match-needs-protocol.js";

ruleTests(rule, [
  { name: "-m tcp without -p", text: restore("filter", "-A INPUT -m tcp --dport 22 -j ACCEPT"), expect: ["2:10 error"], message: /-p tcp/ },
  { name: "-m tcp with -p udp", text: restore("filter", "-A INPUT -p udp -m tcp --dport 22 -j ACCEPT"), expect: ["2:17 error"] },
  { name: "-m multiport with -p icmp", text: restore("filter", "-A INPUT -p icmp -m multiport --dports 1,2 -j ACCEPT"), expect: ["2:18 error"] },
  { name: "--reject-with tcp-reset without -p tcp", text: restore("filter", "-A INPUT -j REJECT --reject-with tcp-reset"), expect: ["2:34 error"] },
  { name: "matching protocols, numeric and upper-case", text: restore("filter", "-A INPUT -p 6 -m tcp --dport 22 -j ACCEPT", "-A INPUT -p UDP -m udp --dport 53 -j ACCEPT", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset"), expect: [] },
  { name: "! -p tcp -m tcp is accepted by iptables", text: restore("filter", "-A INPUT ! -p tcp -m tcp --dport 22 -j ACCEPT"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -m udp --dport 53 -j ACCEPT\n", expect: ["1:19 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -p tcp -m udp --sport 1 -j ACCEPT\n", expect: ["2:17 error"] },
]);
