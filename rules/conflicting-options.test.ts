import { restore, ruleTests } from "../test/support/rule-test.js";
import rule from "./conflicting-options.js";

/** "2:COLUMN SEVERITY" of the first `needle` in `line` (the second line of a restore file). */
const at = (line: string, needle: string, severity = "error") => `2:${line.indexOf(needle) + 1} ${severity}`;
const L = {
  random: "-A INPUT -m statistic --mode random -j ACCEPT",
  nth: "-A INPUT -m statistic --mode nth --packet 1 -j ACCEPT",
  packet: "-A INPUT -m statistic --mode nth --every 3 --packet 3 -j ACCEPT",
  probEvery: "-A INPUT -m statistic --mode random --probability 0.5 --every 2 --packet 0 -j ACCEPT",
  contiguous: "-A INPUT -m time --timestart 01:00 --timestop 23:00 --contiguous -j ACCEPT",
  overnight: "-A INPUT -m time --timestart 23:00 --timestop 01:00 --contiguous -j ACCEPT",
  utc: "-A INPUT -m time --kerneltz --utc -j ACCEPT",
  window: "-A INPUT -m string --algo bm --string x --from 100 --to 50 -j ACCEPT",
  strict: "-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --next -j ACCEPT",
  strictNone: "-A INPUT -m policy --dir in --pol none --strict --reqid 1 -j ACCEPT",
  tunnel: "-A INPUT -m policy --dir in --pol ipsec --strict --mode tunnel --next --tunnel-src 10.0.0.1 -j ACCEPT",
  noneReqid: "-A INPUT -m policy --dir in --pol none --reqid 1 -j ACCEPT",
  rtOrder: "-A INPUT -m rt --rt-0-res --rt-type 0 -j ACCEPT",
  rtNotStrict: "-A INPUT -m rt --rt-type 0 --rt-0-not-strict --rt-0-addrs ::1 -j ACCEPT",
  sides: "-A INPUT -m recent --set --rsource --rdest -j ACCEPT",
  ectFirst: "-A PREROUTING -p tcp -j ECN --ecn-ip-ect 1 --ecn-tcp-remove",
  removeFirst: "-A PREROUTING -p tcp -j ECN --ecn-tcp-remove --ecn-ip-ect 1",
  maskAfter: "-A PREROUTING -j CONNMARK --set-mark 1 --mask 1",
  maskBefore: "-A PREROUTING -j CONNMARK --ctmask 4 --or-mark 1",
  nfmask: "-A PREROUTING -j CONNMARK --set-mark 1 --nfmask 1",
  masks: "-A PREROUTING -j CONNMARK --restore-mark --mask 1 --nfmask 1",
  setCounters: "-A INPUT -m set --match-set s src --packets-lt 5 --packets-gt 1 -j ACCEPT",
};

ruleTests(rule, [
  // final checks (src/catalog/final.ts), each seen on iptables 1.8.9 (test/option-pairs-kernel.test.ts)
  { name: "statistic: random without --probability", text: restore("filter", L.random), expect: [at(L.random, "--mode")], message: /--mode random needs --probability/ },
  { name: "statistic: nth without --every", text: restore("filter", L.nth), expect: [at(L.nth, "--mode")] },
  { name: "statistic: --packet not below --every", text: restore("filter", L.packet), expect: [at(L.packet, "--packet")], message: /--packet 3 must be below --every 3/ },
  { name: "statistic: --probability with --every and --packet", text: restore("filter", L.probEvery), expect: [at(L.probEvery, "--every"), at(L.probEvery, "--packet")] },
  { name: "time: --contiguous for a period within a day", text: restore("filter", L.contiguous), expect: [at(L.contiguous, "--contiguous")] },
  { name: "time: --contiguous over midnight is fine", text: restore("filter", L.overnight), expect: [] },
  { name: "time: --kerneltz with --utc", text: restore("filter", L.utc), expect: [at(L.utc, "--utc")] },
  { name: "string: --from beyond --to", text: restore("filter", L.window), expect: [at(L.window, "--to")], message: /the kernel refuses the rule/ },
  { name: "policy: an empty element with --strict", text: restore("filter", L.strict), expect: [at(L.strict, "--next")], message: /second policy element is empty/ },
  { name: "policy: --strict with --pol none", text: restore("filter", L.strictNone), expect: [at(L.strictNone, "--strict")] },
  { name: "policy: --tunnel-src in an element without --mode tunnel", text: restore("filter", L.tunnel), expect: [at(L.tunnel, "--tunnel-src")] },
  { name: "policy: element options with --pol none are dropped", text: restore("filter", L.noneReqid), expect: [at(L.noneReqid, "--reqid", "warning")] },
  { name: "rt: --rt-0-res before --rt-type 0", family: "ipv6", text: restore("filter", L.rtOrder), expect: [at(L.rtOrder, "--rt-0-res")] },
  { name: "rt: --rt-0-not-strict before --rt-0-addrs", family: "ipv6", text: restore("filter", L.rtNotStrict), expect: [at(L.rtNotStrict, "--rt-0-not-strict")] },
  { name: "recent: --rsource and --rdest, the last wins", text: restore("filter", L.sides), expect: [at(L.sides, "--rsource", "warning")] },
  { name: "ECN: --ecn-ip-ect dropped by a later --ecn-tcp-remove", text: restore("mangle", L.ectFirst), expect: [at(L.ectFirst, "--ecn-ip-ect", "warning")] },
  { name: "ECN: --ecn-tcp-remove then --ecn-ip-ect is fine", text: restore("mangle", L.removeFirst), expect: [] },
  { name: "CONNMARK: --mask after a mark operation replaces its mask", text: restore("mangle", L.maskAfter), expect: [at(L.maskAfter, "--mask", "warning")], message: /replaces the mark's mask/ },
  { name: "CONNMARK: --ctmask before a mark operation is ignored", text: restore("mangle", L.maskBefore), expect: [at(L.maskBefore, "--ctmask", "warning")], message: /is ignored/ },
  { name: "CONNMARK: --nfmask with a mark operation is ignored", text: restore("mangle", L.nfmask), expect: [at(L.nfmask, "--nfmask", "warning")] },
  { name: "CONNMARK: --mask with --nfmask", text: restore("mangle", L.masks), expect: [at(L.masks, "--nfmask")] },
  { name: "set: two packet counter tests", text: restore("filter", L.setCounters), expect: [at(L.setCounters, "--packets-gt")] },
  { name: "hashlimit: a byte burst below a byte rate, and a byte burst above 1000000 packets", text: restore("filter", "-A INPUT -m hashlimit --hashlimit-upto 2kb/s --hashlimit-burst 1kb --hashlimit-name a -j ACCEPT", "-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-burst 1mb --hashlimit-name b -j ACCEPT", "-A INPUT -m hashlimit --hashlimit-upto 1kb/s --hashlimit-burst 1024 --hashlimit-name c -j ACCEPT"), expect: ["2:46 error", "3:44 error"] },
  { name: "a script word with an expansion is not compared", format: "script", text: 'iptables -A INPUT -m statistic --mode nth --every "$N" --packet 3 -j ACCEPT\n', expect: [] },

  { name: "--dport twice", text: restore("filter", "-A INPUT -p tcp --dport 22 --dport 2222 -j ACCEPT"), expect: ["2:28 error"] },
  { name: "--ctstate twice in one -m conntrack", text: restore("filter", "-A INPUT -m conntrack --ctstate NEW --ctstate ESTABLISHED -j ACCEPT"), expect: ["2:37 error"] },
  { name: "--syn with --tcp-flags", text: restore("filter", "-A INPUT -p tcp --syn --tcp-flags ACK ACK -j ACCEPT"), expect: ["2:23 error"] },
  { name: "the same match loaded twice is fine", text: restore("filter", "-A INPUT -m conntrack --ctstate NEW -m conntrack --ctstatus ASSURED -j ACCEPT"), expect: [] },
  { name: "script", format: "script", text: "iptables -A INPUT -m mark --mark 1 --mark 2 -j ACCEPT\n", expect: ["1:36 error"] },
  { name: "iptables -S", format: "list-rules", text: "-P INPUT ACCEPT\n-A INPUT -p udp --sport 1 --sport 2 -j ACCEPT\n", expect: ["2:27 error"] },
]);
