import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./conflicting-options.js";

ruleTests(rule, [
  { name: "--dport twice", text: restore("filter", "-A INPUT -p tcp --dport 22 --dport 2222 -j ACCEPT"), expect: ["2:28 error"] },
  { name: "--ctstate twice in one -m conntrack", text: restore("filter", "-A INPUT -m conntrack --ctstate NEW --ctstate ESTABLISHED -j ACCEPT"), expect: ["2:37 error"] },
  { name: "--syn with --tcp-flags", text: restore("filter", "-A INPUT -p tcp --syn --tcp-flags ACK ACK -j ACCEPT"), expect: ["2:23 error"] },
  { name: "the same match loaded twice is fine", text: restore("filter", "-A INPUT -m conntrack --ctstate NEW -m conntrack --ctstatus ASSURED -j ACCEPT"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -m mark --mark 1 --mark 2 -j ACCEPT\n", expect: ["1:36 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -p udp --sport 1 --sport 2 -j ACCEPT\n", expect: ["2:27 error"] },
]);
