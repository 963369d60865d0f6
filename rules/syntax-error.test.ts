import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./syntax-error.js";

ruleTests(rule, [
  { name: "a no-break space in a script is named", format: "script", text: "iptables -A INPUT -p tcp\u00a0--dport 22 -j ACCEPT\n", expect: ["1:25 error"], message: /U\+00A0 \(no-break space, often pasted from a web page or a document\): the shell takes it as part of a word/ },
  { name: "a no-break space between words is named", text: restore("filter", "-A INPUT -p tcp\u00a0--dport 22 -j ACCEPT"), expect: ["2:16 error"], message: /U\+00A0 \(no-break space, often pasted from a web page or a document\): iptables-restore takes it as part of a word/ },
  { name: "option without its value", text: restore("filter", "-A INPUT -p tcp --dport"), expect: ["2:17 error"] },
  { name: "line without a command", text: restore("filter", "INPUT -j ACCEPT"), expect: ["2:1 error"] },
  { name: "-t inside a restore file", text: restore("filter", "-t nat -A INPUT -j ACCEPT"), expect: ["2:1 error"] },
  { name: "unclosed quote: iptables-restore takes the rest of the line (warning)", text: restore("filter", '-A INPUT -m comment --comment "ssh -j ACCEPT'), expect: ["2:31 warning"] },
  { name: "unclosed quote in --log-prefix or --nflog-prefix: the newline it takes is refused (error)", text: restore("filter", '-A INPUT -j LOG --log-prefix "[fw] drop', '-A INPUT -j NFLOG --nflog-prefix "abc'), expect: ["2:30 error", "3:34 error"], message: /newline included, as the value, and --n?f?log-prefix refuses a newline/ },
  { name: "script: unclosed quote is a shell error", format: "script", text: 'iptables -A INPUT -m comment --comment "ssh -j ACCEPT\n', expect: ["1:40 error"] },
  { name: "two targets", text: restore("filter", "-A INPUT -j ACCEPT -j DROP"), expect: ["2:20 error"] },
  { name: "\"!\" before and after one option (address)", text: restore("nat", "-A POSTROUTING -s 192.168.122.0/24 ! -d ! 192.168.122.0/24 -j MASQUERADE"), expect: ["2:41 error"] },
  { name: "\"!\" before and after one option (port)", text: restore("filter", "-A INPUT -p tcp ! --dport ! 80 -j DROP"), expect: ["2:27 error"] },
  { name: "\"!\" before one option only is fine", text: restore("filter", "-A INPUT -p tcp ! --dport 80 -j DROP"), expect: [] },
  { name: "unclosed --log-prefix quote in a rule deleted again: iptables reads the value when the rule is added", text: restore("filter", '-A INPUT -j LOG --log-prefix "in: ', "-D INPUT 1"), expect: ["2:30 error"], message: /refuses a newline/ },
]);
