import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./legacy-negation.js";

ruleTests(rule, [
  { name: "-s ! address", text: restore("filter", "-A INPUT -s ! 10.0.0.0/8 -j DROP"), expect: ["2:13 error"], fixed: "-A INPUT ! -s 10.0.0.0/8 -j DROP" },
  { name: "--dport ! port", text: restore("filter", "-A INPUT -p tcp --dport ! 22 -j DROP"), expect: ["2:25 error"], fixed: "-A INPUT -p tcp ! --dport 22 -j DROP" },
  { name: "prefix negation is fine", text: restore("filter", "-A INPUT ! -s 10.0.0.0/8 -p tcp ! --dport 22 -j DROP"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -i ! eth0 -j DROP\n", expect: ["1:22 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -d ! 10.0.0.1 -j DROP\n", expect: ["2:13 error"] },
]);
