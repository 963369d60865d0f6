import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./unknown-target.js";

const filter = (...l: string[]) => restore("filter", ":INPUT ACCEPT [0:0]", ":LOGDROP - [0:0]", ...l);

ruleTests(rule, [
  { name: "misspelt target", text: filter("-A INPUT -j REJCT"), expect: ["4:13 error"], message: /did you mean REJECT\?/, fixed: "-A INPUT -j REJECT" },
  { name: "target names are case-sensitive", text: filter("-A INPUT -j accept"), expect: ["4:13 error"], message: /did you mean ACCEPT\?/ },
  { name: "a name that looks like a chain is undefined-chain's", text: filter("-A INPUT -j LOGREJECT"), expect: [] },
  { name: "declared chains and targets", text: filter("-A INPUT -j LOGDROP", "-A LOGDROP -j LOG --log-prefix x", "-A LOGDROP -j DROP"), expect: [] },
  { name: "IPv4-only target in ip6tables", text: filter("-A INPUT -j CLUSTERIP"), family: "ipv6", expect: ["4:13 error"], message: /only in iptables/ },
  { name: "ULOG is gone from the kernel", text: filter("-A INPUT -j ULOG"), family: "ipv4", expect: ["4:13 error"], message: /NFLOG/ },
  { name: "script", format: "script", text: "iptables -A INPUT -j DORP\n", expect: ["1:22 error"] },
  { name: "script: an unknown chain name is not a target typo", format: "script", text: "iptables -A INPUT -j my-chain\n", expect: [] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -j ACCEPTT\n", expect: ["2:13 error"] },
  { name: "script: a target from an unresolved variable", format: "script", text: "iptables -A INPUT -j $ACTION\n", expect: [] },
]);
