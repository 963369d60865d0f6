import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./no-such-rule.js";

ruleTests(rule, [
  { name: "insert past the end", text: restore("filter", "-I INPUT 2 -j DROP"), expect: ["2:1 error"] },
  { name: "delete a rule that is not there", text: restore("filter", "-A INPUT -j ACCEPT", "-D INPUT -j DROP"), expect: ["3:1 error"] },
  { name: "replace a rule that is not there", text: restore("filter", "-R INPUT 1 -j DROP"), expect: ["2:1 error"] },
  { name: "delete what the file added", text: restore("filter", "-A INPUT -j ACCEPT", "-I INPUT 2 -j DROP", "-D INPUT -j ACCEPT", "-D INPUT 1"), expect: [] },
  { name: "scripts act on the host's rules", format: "script", text: "iptables -D INPUT -j DROP\niptables -I INPUT 5 -j ACCEPT\n", expect: [] },
]);
