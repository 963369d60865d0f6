import { ruleTests } from "../test/support/rule-test.js";
import rule from "./missing-commit.js";

ruleTests(rule, [
  { name: "last block without COMMIT", text: "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\n", expect: ["1:1 error"] },
  { name: "block running into the next header", text: "*nat\n:PREROUTING ACCEPT [0:0]\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", expect: ["1:1 error"] },
  { name: "every block closed", text: "*nat\nCOMMIT\n*filter\nCOMMIT\n", expect: [] },
  { name: "not a restore file: scripts have no COMMIT", format: "script", text: "iptables -A INPUT -j ACCEPT\n", expect: [] },
  { name: "not a restore file: iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -j ACCEPT\n", expect: [] },
]);
