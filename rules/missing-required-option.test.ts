import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./missing-required-option.js";

ruleTests(rule, [
  { name: "DNAT without --to-destination", text: restore("nat", "-A PREROUTING -p tcp --dport 80 -j DNAT"), expect: ["2:36 error"], message: /--to-destination/ },
  { name: "-m comment without --comment", text: restore("filter", "-A INPUT -m comment -j ACCEPT"), expect: ["2:10 error"] },
  { name: "-m conntrack without any option", text: restore("filter", "-A INPUT -m conntrack -j ACCEPT"), expect: ["2:10 error"] },
  { name: "MARK without an action", text: restore("mangle", "-A PREROUTING -j MARK"), expect: ["2:18 error"], message: /one of/ },
  { name: "complete extensions", text: restore("nat", "-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080", "-A POSTROUTING -j MASQUERADE"), expect: [] },
  { name: "script", format: "script", text: "iptables -t nat -A POSTROUTING -j SNAT\n", expect: ["1:35 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -m state -j ACCEPT\n", expect: ["2:10 error"] },
]);
