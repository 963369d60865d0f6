import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./target-not-allowed.js";

ruleTests(rule, [
  { name: "DNAT in POSTROUTING", text: restore("nat", "-A POSTROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2"), expect: ["2:37 error"], message: /valid only in PREROUTING or OUTPUT/ },
  { name: "MASQUERADE in PREROUTING", text: restore("nat", "-A PREROUTING -j MASQUERADE"), expect: ["2:18 error"] },
  { name: "SNAT in INPUT is allowed", text: restore("nat", "-A INPUT -j SNAT --to-source 10.0.0.1", "-A POSTROUTING -o eth0 -j MASQUERADE"), expect: [] },
  { name: "DNAT outside nat", text: restore("filter", "-A FORWARD -j DNAT --to-destination 10.0.0.2"), expect: ["2:15 error"], message: /only valid in the nat table/ },
  { name: "REJECT in nat", text: restore("nat", "-A PREROUTING -j REJECT"), expect: ["2:18 error"] },
  { name: "REJECT in mangle PREROUTING", text: restore("mangle", "-A PREROUTING -j REJECT"), expect: ["2:18 error"] },
  {
    name: "DNAT in a user chain reached from POSTROUTING",
    text: restore("nat", ":PORTS - [0:0]", "-A POSTROUTING -j PORTS", "-A PORTS -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2"),
    expect: ["4:31 error"],
    message: /reached from POSTROUTING → PORTS/,
  },
  {
    name: "a jump written after the DNAT makes the chain reachable from POSTROUTING: both lines",
    text: restore("nat", ":PORTS - [0:0]", "-A PORTS -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2", "-A PREROUTING -j PORTS", "-A POSTROUTING -j PORTS"),
    expect: ["3:31 error", "5:19 error"],
  },
  { name: "DNAT in a user chain reached only from PREROUTING", text: restore("nat", ":PORTS - [0:0]", "-A PREROUTING -j PORTS", "-A OUTPUT -j PORTS", "-A PORTS -j DNAT --to-destination 10.0.0.2"), expect: [] },
  { name: "REJECT in a user chain reached from the raw table's PREROUTING is not filter's", text: restore("filter", ":CHK - [0:0]", "-A INPUT -j CHK", "-A CHK -j REJECT"), expect: [] },
  { name: "-i in OUTPUT", text: restore("filter", "-A OUTPUT -i eth0 -j DROP"), expect: ["2:11 error"], message: /no input interface/ },
  { name: "-o in INPUT and PREROUTING", text: restore("mangle", "-A INPUT -o eth0 -j DROP", "-A PREROUTING -o eth0 -j DROP"), expect: ["2:10 error", "3:15 error"] },
  { name: "-i in a user chain reached from OUTPUT never matches (warning)", text: restore("filter", ":OUT - [0:0]", "-A OUTPUT -j OUT", "-A OUT -i eth0 -j DROP"), expect: ["4:8 warning"] },
  { name: "-i in a chain shared by PREROUTING and OUTPUT (Docker's DOCKER chain) is fine", text: restore("nat", ":DOCKER - [0:0]", "-A PREROUTING -j DOCKER", "-A OUTPUT -j DOCKER", "-A DOCKER -i docker0 -j RETURN"), expect: [] },
  { name: "jump to a built-in chain", text: restore("filter", "-A INPUT -j OUTPUT"), expect: ["2:13 error"] },
  { name: "script", format: "script", text: "iptables -t nat -A POSTROUTING -j DNAT --to-destination 10.0.0.2\niptables -A OUTPUT -i eth0 -j DROP\n", expect: ["1:35 error", "2:20 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-A POSTROUTING -j REDIRECT\n", expect: ["5:19 error"] },
]);
