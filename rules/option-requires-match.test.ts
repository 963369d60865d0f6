import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./option-requires-match.js";

const filter = (...l: string[]) => restore("filter", ":INPUT ACCEPT [0:0]", ":DOCKER-USER - [0:0]", ...l);

ruleTests(rule, [
  {
    name: "Docker's DOCKER-USER example without -m iprange",
    text: filter("-I DOCKER-USER -i ext_if ! --src-range 192.168.1.1-192.168.1.3 -j DROP"),
    expect: ["4:28 error"],
    message: /--src-range needs -m iprange/,
    fixed: "-I DOCKER-USER -i ext_if -m iprange ! --src-range 192.168.1.1-192.168.1.3 -j DROP",
  },
  { name: "Docker's DOCKER-USER example with -m iprange", text: filter("-I DOCKER-USER -m iprange -i ext_if ! --src-range 192.168.1.1-192.168.1.3 -j DROP"), expect: [] },
  {
    name: "script form of Docker's example without -m iprange",
    format: "script",
    text: "#!/bin/sh\niptables -I DOCKER-USER -i ext_if ! --src-range 192.168.1.1-192.168.1.3 -j DROP\n",
    expect: ["2:37 error"],
    fixed: "iptables -I DOCKER-USER -i ext_if -m iprange ! --src-range 192.168.1.1-192.168.1.3 -j DROP",
  },
  { name: "script form with -m iprange", format: "script", text: "iptables -I DOCKER-USER -m iprange -i ext_if ! --src-range 192.168.1.1-192.168.1.3 -j DROP\n", expect: [] },
  { name: "--ctstate without -m conntrack", text: filter("-A INPUT --ctstate ESTABLISHED -j ACCEPT"), expect: ["4:10 error"], message: /-m conntrack/, fixed: "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT" },
  { name: "--state without -m state", text: filter("-A INPUT --state NEW -j ACCEPT"), expect: ["4:10 error"], message: /-m state/ },
  { name: "--dports without -m multiport", text: filter("-A INPUT -p tcp --dports 80,443 -j ACCEPT"), expect: ["4:17 error"], message: /-m multiport/, fixed: "-A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT" },
  { name: "--comment without -m comment", text: filter('-A INPUT --comment "x" -j ACCEPT'), expect: ["4:10 error"], message: /-m comment/ },
  { name: "--dport without -p", text: filter("-A INPUT --dport 22 -j ACCEPT"), expect: ["4:10 error"], message: /-p tcp/, fixed: "-A INPUT -p tcp --dport 22 -j ACCEPT" },
  { name: "--dport with -p icmp", text: filter("-A INPUT -p icmp --dport 22 -j ACCEPT"), expect: ["4:18 error"], message: /this rule matches -p icmp/ },
  { name: "--dport before -p tcp", text: filter("-A INPUT --dport 22 -p tcp -j ACCEPT"), expect: ["4:10 error"], fixed: "-A INPUT -m tcp --dport 22 -p tcp -j ACCEPT" },
  { name: "--icmp-type without -p icmp", text: filter("-A INPUT --icmp-type echo-request -j ACCEPT"), expect: ["4:10 error"], message: /-p icmp/ },
  { name: "--mac-source without -m mac", text: filter("-A INPUT --mac-source 00:11:22:33:44:55 -j ACCEPT"), expect: ["4:10 error"], message: /-m mac/ },
  { name: "--to-destination without -j DNAT", text: restore("nat", "-A PREROUTING -p tcp --dport 80 --to-destination 10.0.0.2 -j ACCEPT"), expect: ["2:33 error"], message: /-j DNAT/ },
  { name: "implicit protocol matches are fine", text: filter("-A INPUT -p tcp --dport 22 -j ACCEPT", "-A INPUT -p udp --sport 53 -j ACCEPT", "-A INPUT -p icmp --icmp-type 8 -j ACCEPT"), expect: [] },
  { name: "a numeric -p loads the match too", text: filter("-A INPUT -p 6 --dport 22 -j ACCEPT"), expect: [] },
  { name: "iptables -S output", format: "list-rules", text: "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT --ctstate NEW -j ACCEPT\n", expect: ["4:10 error"] },
  { name: "options after an unknown match are left to unknown-match", text: filter("-A INPUT -m conntrak --ctstate NEW -j ACCEPT"), expect: [] },
  { name: "script: an unresolved $MATCH before the option may load it", format: "script", text: "iptables -A INPUT $MATCH --src-range 1.2.3.4-1.2.3.5 -j DROP\niptables -A INPUT -p $PROTO --dport 22 -j ACCEPT\n", expect: [] },
]);
