import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./unknown-match.js";

const filter = (...l: string[]) => restore("filter", ":INPUT ACCEPT [0:0]", ...l);

ruleTests(rule, [
  { name: "misspelt match", text: filter("-A INPUT -m conntrak --ctstate NEW -j ACCEPT"), expect: ["3:10 error"], message: /did you mean -m conntrack\?/ },
  { name: "match names are case-sensitive", text: filter("-A INPUT -p tcp -m TCP --dport 22 -j ACCEPT"), expect: ["3:17 error"], message: /did you mean -m tcp\?/ },
  // the names offered are the file's family's, whichever family a file of the process had before
  { name: "no IPv6-only name offered in an IPv4 file", text: filter("-A INPUT -m ipv6headr -j ACCEPT"), family: "ipv4", expect: ["3:10 error"], message: /^unknown match "ipv6headr"$/ },
  { name: "the IPv6-only name offered in an IPv6 file", text: filter("-A INPUT -m ipv6headr -j ACCEPT"), family: "ipv6", expect: ["3:10 error"], message: /did you mean -m ipv6header\?/ },
  { name: "icmp in ip6tables", text: filter("-A INPUT -p icmpv6 -m icmp --icmp-type 8 -j ACCEPT"), family: "ipv6", expect: ["3:20 error"], message: /-m icmp6/ },
  { name: "icmp6 in iptables", text: filter("-A INPUT -p icmp -m icmp6 --icmpv6-type 128 -j ACCEPT"), family: "ipv4", expect: ["3:18 error"], message: /exists only in ip6tables/ },
  { name: "known matches", text: filter("-A INPUT -m conntrack --ctstate NEW -m limit --limit 5/min -m addrtype --dst-type LOCAL -j ACCEPT"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -m stat --state NEW -j ACCEPT\n", expect: ["1:19 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -m mutliport --dports 1,2 -j ACCEPT\n", expect: ["2:10 error"] },
  { name: "script: a module from an unresolved variable", format: "script", text: "iptables -A INPUT -m $MOD -j ACCEPT\n", expect: [] },
]);
