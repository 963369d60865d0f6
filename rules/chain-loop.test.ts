import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./chain-loop.js";

ruleTests(rule, [
  { name: "two chains jumping to each other, reached from INPUT", text: restore("filter", ":A - [0:0]", ":B - [0:0]", "-A INPUT -j A", "-A A -j B", "-A B -j A"), expect: ["5:9 error", "6:9 error"], message: /loop (A → B → A|B → A → B)/ },
  { name: "a chain jumping to itself", text: restore("filter", ":A - [0:0]", "-A INPUT -j A", "-A A -p tcp -j A"), expect: ["4:16 error"] },
  { name: "a goto loop", text: restore("filter", ":A - [0:0]", ":B - [0:0]", "-A FORWARD -g A", "-A A -g B", "-A B -g A"), expect: ["5:9 error", "6:9 error"] },
  { name: "an unreachable loop is a warning", text: restore("filter", ":A - [0:0]", ":B - [0:0]", "-A A -j B", "-A B -j A"), expect: ["4:9 warning", "5:9 warning"] },
  { name: "a diamond is not a loop", text: restore("filter", ":A - [0:0]", ":B - [0:0]", ":C - [0:0]", "-A INPUT -j A", "-A INPUT -j B", "-A A -j C", "-A B -j C"), expect: [] },
  { name: "script", format: "script", text: "iptables -N A\niptables -N B\niptables -A INPUT -j A\niptables -A A -j B\niptables -A B -j A\n", expect: ["4:18 error", "5:18 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-N A\n-A INPUT -j A\n-A A -j A\n", expect: ["4:9 error"] },
]);
