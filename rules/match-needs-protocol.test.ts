import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./match-needs-protocol.js";

ruleTests(rule, [
  { name: "-m tcp without -p", text: restore("filter", "-A INPUT -m tcp --dport 22 -j ACCEPT"), expect: ["2:10 error"], message: /-p tcp/ },
  { name: "-m tcp with -p udp", text: restore("filter", "-A INPUT -p udp -m tcp --dport 22 -j ACCEPT"), expect: ["2:17 error"] },
  { name: "-m multiport with -p icmp", text: restore("filter", "-A INPUT -p icmp -m multiport --dports 1,2 -j ACCEPT"), expect: ["2:18 error"] },
  { name: "--reject-with tcp-reset without -p tcp", text: restore("filter", "-A INPUT -j REJECT --reject-with tcp-reset"), expect: ["2:34 error"] },
  { name: "matching protocols, numeric and upper-case", text: restore("filter", "-A INPUT -p 6 -m tcp --dport 22 -j ACCEPT", "-A INPUT -p UDP -m udp --dport 53 -j ACCEPT", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset"), expect: [] },
  { name: "! -p tcp -m tcp is accepted by iptables", text: restore("filter", "-A INPUT ! -p tcp -m tcp --dport 22 -j ACCEPT"), expect: [] },
  { name: "a negated protocol does not satisfy a target", text: restore("filter", "-A INPUT ! -p tcp -j REJECT --reject-with tcp-reset"), expect: ["2:43 error"] },
  { name: "--to-ports needs a protocol with ports", text: restore("nat", "-A POSTROUTING -o eth0 -j MASQUERADE --to-ports 1024-65535"), expect: ["2:38 error"] },
  { name: "TPROXY needs -p tcp or udp, not negated", text: restore("mangle", "-A PREROUTING ! -p tcp -j TPROXY --on-port 15006 --tproxy-mark 1"), expect: ["2:27 error"] },
  { name: "a negated protocol is fine for --to-ports", text: restore("nat", "-A POSTROUTING ! -p tcp -j MASQUERADE --to-ports 1024-65535"), expect: [] },
  { name: "a port in a NAT range needs a -p", text: restore("nat", "-A PREROUTING -j DNAT --to-destination 10.0.0.2:80", "-A POSTROUTING -j SNAT --to-source 10.0.0.1:1000-2000"), expect: ["2:40 error", "3:36 error"] },
  { name: "any -p will do for a NAT port, and no port needs none", text: restore("nat", "-A PREROUTING ! -p tcp -j DNAT --to-destination 10.0.0.2:80", "-A PREROUTING -j DNAT --to-destination 10.0.0.2"), expect: [] },
  { name: "IPv6 NAT port in brackets", family: "ipv6", text: restore("nat", "-A PREROUTING -j DNAT --to-destination [fd00::2]:80", "-A PREROUTING -j DNAT --to-destination fd00::2"), expect: ["2:40 error"] },
  { name: "script", format: "script", text: "iptables -A INPUT -m udp --dport 53 -j ACCEPT\n", expect: ["1:19 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -p tcp -m udp --sport 1 -j ACCEPT\n", expect: ["2:17 error"] },
  { name: "script: $PROTO_OPTS may hold the -p", format: "script", text: "iptables -A INPUT $PROTO_OPTS -m tcp --dport 22 -j ACCEPT\n", expect: [] },
]);
