import { ruleTests } from "../test/support/rule-test.js";
import rule from "./line-whitespace.js";

ruleTests(rule, [
  { name: "indented comment", text: "*filter\n  # note\nCOMMIT\n", expect: ["2:1 error"], fixed: "# note" },
  { name: "indented declaration", text: "*filter\n\t:INPUT ACCEPT [0:0]\nCOMMIT\n", expect: ["2:1 error"] },
  { name: "indented header and COMMIT", text: " *filter\n COMMIT\n", expect: ["1:1 error", "2:1 error"] },
  { name: "blanks after COMMIT", text: "*filter\nCOMMIT  \n", expect: ["2:7 error"], fixed: "COMMIT" },
  { name: "a line of only blanks", text: "*filter\n   \nCOMMIT\n", expect: ["2:1 error"] },
  { name: "CRLF line endings: reported once", text: "# header\r\n*filter\r\n-A INPUT -j ACCEPT\r\nCOMMIT\r\n", expect: ["2:8 error"] },
  { name: "indented rules and trailing blanks on rules are fine", text: "*filter\n  -A INPUT -j ACCEPT  \n\nCOMMIT\n", expect: [] },
  { name: "not checked in scripts", format: "script", text: "  # indented comment\n  iptables -A INPUT -j ACCEPT\n", expect: [] },
]);
