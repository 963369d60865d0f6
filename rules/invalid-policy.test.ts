import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./invalid-policy.js";

ruleTests(rule, [
  { name: "REJECT policy", text: restore("filter", ":INPUT REJECT [0:0]"), expect: ["2:8 error"], message: /ACCEPT or DROP/ },
  { name: "lower-case policy", text: restore("filter", ":INPUT drop [0:0]"), expect: ["2:8 error"], fixed: ":INPUT DROP [0:0]" },
  { name: "-P with a bad policy", text: restore("filter", "-P OUTPUT RETURN"), expect: ["2:11 error"] },
  { name: "-P DROP in nat", text: restore("nat", "-P PREROUTING DROP"), expect: ["2:15 error"] },
  { name: "DROP declared in nat (iptables-restore takes it)", text: restore("nat", ":PREROUTING DROP [0:0]"), expect: ["2:13 warning"] },
  { name: "built-in chain the table does not have", text: restore("filter", ":PREROUTING ACCEPT [0:0]"), expect: ["2:2 warning"] },
  { name: "valid policies and '-'", text: restore("filter", ":INPUT DROP [0:0]", ":FORWARD - [0:0]", ":OUTPUT ACCEPT [0:0]"), expect: [] },
  { name: "script", format: "script", text: "iptables -P INPUT reject\n", expect: ["1:19 error"] },
  { name: "iptables -S: -P lines describe the state", format: "list-rules", text: "-P PREROUTING DROP\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n", expect: ["1:15 warning"] },
]);
