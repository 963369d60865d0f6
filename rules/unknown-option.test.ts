import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./unknown-option.js";

const filter = (...l: string[]) => restore("filter", ":INPUT ACCEPT [0:0]", ...l);

ruleTests(rule, [
  { name: "typo with did-you-mean from the implicit match", text: filter("-A INPUT -p tcp --dprot 22 -j ACCEPT"), expect: ["3:17 error"], message: /did you mean --dport\?/, fixed: "-A INPUT -p tcp --dport 22 -j ACCEPT" },
  { name: "typo of a target option", text: filter('-A INPUT -j LOG --log-prefx "in: "'), expect: ["3:17 error"], message: /--log-prefix/ },
  { name: "typo of an option of a match not loaded", text: filter("-A INPUT --ctstat NEW -j ACCEPT"), expect: ["3:10 error"], message: /--ctstate \(-m conntrack\)/ },
  { name: "nothing close", text: filter("-A INPUT --frobnicate-widely 1 -j ACCEPT"), expect: ["3:10 error"], message: /^unknown option --frobnicate-widely$/ },
  // the spellings offered are the file's family's, whichever family a file of the process had before
  { name: "no IPv6-only spelling offered in an IPv4 file", text: filter("-A INPUT --hbh-le 8 -j ACCEPT"), family: "ipv4", expect: ["3:10 error"], message: /^unknown option --hbh-le$/ },
  { name: "the IPv6-only spelling offered in an IPv6 file", text: filter("-A INPUT --hbh-le 8 -j ACCEPT"), family: "ipv6", expect: ["3:10 error"], message: /did you mean --hbh-len \(-m hbh\)\?/ },
  { name: "IPv6-only option in an IPv4 file", text: filter("-A INPUT -p icmp --icmpv6-type 128 -j ACCEPT"), family: "ipv4", expect: ["3:18 error"], message: /only in ip6tables/ },
  { name: "-f in ip6tables", text: filter("-A INPUT -f -j DROP"), family: "ipv6", expect: ["3:10 error"], message: /ip6tables has no -f/ },
  { name: "getopt abbreviations and long aliases are fine", text: filter("-A INPUT -p tcp --dpo 22 --source 10.0.0.1 --in-interface eth0 -j ACCEPT"), expect: [] },
  { name: "option after an unknown match is that match's", text: filter("-A INPUT -m geoipx --src-cc CN -j DROP"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -p udp --dprt 53 -j ACCEPT\n", expect: ["1:26 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -p tcp --sprot 1 -j ACCEPT\n", expect: ["2:17 error"] },
]);
