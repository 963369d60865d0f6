import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./undefined-chain.js";

const filter = (...l: string[]) => restore("filter", ":INPUT ACCEPT [0:0]", ":LOGDROP - [0:0]", ...l);

ruleTests(rule, [
  { name: "jump to a chain never declared", text: filter("-A INPUT -j LOGREJECT"), expect: ["4:13 error"], message: /no chain LOGREJECT in table filter/ },
  { name: "did you mean a declared chain", text: filter("-A INPUT -j LOGDRP"), expect: ["4:13 error"], message: /did you mean LOGDROP\?/, fixed: "-A INPUT -j LOGDROP" },
  { name: "-g to a chain never declared", text: filter("-A INPUT -g NOWHERE"), expect: ["4:13 error"] },
  { name: "rules appended to an undeclared chain: first use only", text: filter("-A MYCHAIN -j DROP", "-A MYCHAIN -j ACCEPT"), expect: ["4:4 error"], message: /add ":MYCHAIN - \[0:0\]"/ },
  { name: "jumps to a chain that rules are appended to but that is never declared", text: filter("-A INPUT -j MINE", "-A MINE -j DROP"), expect: ["4:13 error", "5:4 error"] },
  { name: "chain declared in another table", text: ["*nat", ":MYNAT - [0:0]", "COMMIT", "*filter", "-A INPUT -j MYNAT", "COMMIT", ""].join("\n"), expect: ["5:13 error"], message: /declared in table nat/ },
  { name: "built-in chain of another table", text: filter("-A PREROUTING -j DROP"), expect: ["4:4 error"], message: /filter has no PREROUTING chain/ },
  { name: "-N declares a chain too", text: restore("filter", "-N MINE", "-A INPUT -j MINE", "-A MINE -j DROP"), expect: [] },
  { name: "script: DOCKER-USER is created by dockerd", format: "script", text: "iptables -I DOCKER-USER -i eth0 -j DROP\niptables -A FORWARD -j DOCKER-USER\n", expect: [] },
  { name: "script: another chain the script never creates is a warning", format: "script", text: "iptables -A ufw-user-input -p tcp --dport 22 -j ACCEPT\niptables -A INPUT -j my-logging\n", expect: ["1:13 warning", "2:22 warning"], message: /must already exist on the host/ },
  { name: "script: chains it creates", format: "script", text: "iptables -N LOGDROP\niptables -A LOGDROP -j DROP\niptables -A INPUT -j LOGDROP\n", expect: [] },
  { name: "script: built-in chain of another table is an error", format: "script", text: "iptables -t nat -A FORWARD -j ACCEPT\n", expect: ["1:20 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N A\n-A INPUT -j B\n", expect: ["5:13 error"] },
  { name: "script: chain names from unresolved variables are not judged", format: "script", text: "iptables -A $CHAIN -j DROP\niptables -A INPUT -j ${CHAIN}_LOG\n", expect: [] },
  // rules the file takes out again (src/validity/removed.ts)
  { name: "a jump to a chain that never exists, deleted again", text: restore("filter", "-A INPUT -j NOPE", "-D INPUT 1"), expect: ["2:13 error"], message: /-D at line 3 takes the rule out again/ },
  { name: "a jump to a chain that existed when the rule was added, both deleted later", text: restore("filter", ":C - [0:0]", "-A INPUT -j C", "-D INPUT 1", "-X C"), expect: [] },
]);
