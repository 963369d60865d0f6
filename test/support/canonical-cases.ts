/**
 * Rules with the line iptables-save 1.8.9 prints for each, as observed on the kernel (restored into a throw-away
 * network namespace, read back with iptables-save; nf_tables backend). test/canonical.test.ts checks that
 * fwlint's canonical form gives exactly these lines, without a kernel; test/roundtrip.test.ts replays every case
 * not marked `notOnKernel` on the kernel, so the expectations cannot drift from what the kernel really prints.
 */
import type { Family, TableName } from "../../src/ast/iptables.js";

export interface CanonicalCase {
  readonly family: Family;
  readonly table: TableName;
  readonly chain: string;
  /** The rule specification as written after `-A CHAIN`. */
  readonly rule: string;
  /** What iptables-save prints for it (without `-A CHAIN`), one entry per rule the kernel holds. */
  readonly expected: readonly string[];
  /** Why the case is not replayed on the kernel (the canonical form is still fwlint's best statement). */
  readonly notOnKernel?: string;
}

/** User chain every case table declares (for -j/-g to a chain). */
export const CASE_USER_CHAIN = "USERCHAIN";
/** ipset every case namespace creates (hash:net of the family). */
export const CASE_IPSET = "fwlint_rt";

export const CANONICAL_CASES: readonly CanonicalCase[] = [
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "--source 10.0.0.1 --destination 10.0.0.0/8 --protocol TCP --in-interface eth0 --jump ACCEPT", expected: ["-s 10.0.0.1/32 -d 10.0.0.0/8 -i eth0 -p tcp -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "FORWARD", rule: "--out-interface eth1 --src 192.168.1.0/255.255.255.0 --dst 10.1.2.3/16 --match comment --comment x -j DROP", expected: ["-s 192.168.1.0/24 -d 10.1.0.0/16 -o eth1 -m comment --comment x -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp -i eth0 -d 1.2.3.4 -s 5.6.7.8 -j ACCEPT", expected: ["-s 5.6.7.8/32 -d 1.2.3.4/32 -i eth0 -p tcp -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-f -s 10.0.0.0/8 -j DROP", expected: ["-s 10.0.0.0/8 -f -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "! -f -j DROP", expected: ["! -f -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "! -s 10.0.0.1 ! -d 10.0.0.2 ! -i eth0 ! -p udp -j DROP", expected: ["! -s 10.0.0.1/32 ! -d 10.0.0.2/32 ! -i eth0 ! -p udp -j DROP"] },
  { family: "ipv4", table: "filter", chain: "FORWARD", rule: "-o eth+ -i + -s 0.0.0.0/0 -d 0/0 -p all -j ACCEPT", expected: ["-o eth+ -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-s 10.1.2.3/24 -d 10.0.0.0/255.0.255.0 -j ACCEPT", expected: ["-s 10.1.2.0/24 -d 10.0.0.0/255.0.255.0 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp --dport 22 -j ACCEPT", expected: ["-p tcp -m tcp --dport 22 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p 6 --destination-port ssh --source-port 1024: -j ACCEPT", expected: ["-p tcp -m tcp --sport 1024:65535 --dport 22 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p TCP --sport :1023 --dport 0:65535 -j ACCEPT", expected: ["-p tcp -m tcp --sport 0:1023 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp -j ACCEPT", expected: ["-p tcp -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p 17 -m udp -j ACCEPT", expected: ["-p udp -m udp -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m comment --comment \"first\" -p tcp --dport 80 -m conntrack --ctstate ESTABLISHED,NEW -j ACCEPT", expected: ["-p tcp -m comment --comment first -m tcp --dport 80 -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp -m multiport --dports http,https,8000:8080 -j ACCEPT", expected: ["-p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp --syn -j DROP", expected: ["-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp ! --syn -m state --state NEW -j DROP", expected: ["-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m state --state NEW -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp --tcp-flags ALL SYN,ACK -j DROP", expected: ["-p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN,ACK -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p icmp --icmp-type echo-request -j ACCEPT", expected: ["-p icmp -m icmp --icmp-type 8 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p icmp -m icmp --icmp-type 3/4 -j ACCEPT", expected: ["-p icmp -m icmp --icmp-type 3/4 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p icmp -j REJECT", expected: ["-p icmp -j REJECT --reject-with icmp-port-unreachable"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp -j REJECT --reject-with tcp-reset", expected: ["-p tcp -j REJECT --reject-with tcp-reset"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-j REJECT --reject-with icmp-host-prohibited", expected: ["-j REJECT --reject-with icmp-host-prohibited"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-j LOG --log-prefix \"IN: \" --log-level 4", expected: ["-j LOG --log-prefix \"IN: \""] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-j LOG --log-level info --log-prefix \"a'b\\\"c\"", expected: ["-j LOG --log-prefix \"a\\'b\\\"c\" --log-level 6"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m limit --limit 5/min --limit-burst 5 -j LOG", expected: ["-m limit --limit 5/min -j LOG"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m limit -j ACCEPT", expected: ["-m limit --limit 3/hour -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m hashlimit --hashlimit 10/sec --hashlimit-mode srcip --hashlimit-name ssh -j ACCEPT", expected: ["-m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name ssh -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m recent --name SSH --update --seconds 60 --hitcount 4 -j DROP", expected: ["-m recent --update --seconds 60 --hitcount 4 --name SSH --mask 255.255.255.255 --rsource -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m recent --set -j ACCEPT", expected: ["-m recent --set --name DEFAULT --mask 255.255.255.255 --rsource -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp -m connlimit --connlimit-above 10 -j REJECT", expected: ["-p tcp -m connlimit --connlimit-above 10 --connlimit-mask 32 --connlimit-saddr -j REJECT --reject-with icmp-port-unreachable"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp -m connlimit ! --connlimit-upto 10 --connlimit-mask 24 -j DROP", expected: ["-p tcp -m connlimit --connlimit-above 10 --connlimit-mask 24 --connlimit-saddr -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m comment --comment \"\" -j ACCEPT", expected: ["-m comment --comment \"\" -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m comment --comment \"quote \\\" backslash \\\\ apostrophe '\" -j ACCEPT", expected: ["-m comment --comment \"quote \\\" backslash \\\\ apostrophe \\'\" -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m comment --comment plain_word-1 -j ACCEPT", expected: ["-m comment --comment plain_word-1 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m string --string \"GET /\" --algo bm --to 100 -j DROP", expected: ["-m string --string \"GET /\" --algo bm --to 100 -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m mac --mac-source 00:1A:2b:3c:4D:5e -j ACCEPT", expected: ["-m mac --mac-source 00:1a:2b:3c:4d:5e -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m state --state ESTABLISHED,RELATED -j ACCEPT", expected: ["-m state --state RELATED,ESTABLISHED -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT", expected: ["-m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m addrtype --dst-type local -j ACCEPT", expected: ["-m addrtype --dst-type LOCAL -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m pkttype --pkt-type host -j ACCEPT", expected: ["-m pkttype --pkt-type unicast -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m mark --mark 1 -j ACCEPT", expected: ["-m mark --mark 0x1 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m set --match-set fwlint_rt src -j DROP", expected: ["-m set --match-set fwlint_rt src -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-s 10.0.0.1,10.0.0.2 -d 192.168.0.0/24,192.168.1.0/24 -j ACCEPT", expected: ["-s 10.0.0.1/32 -d 192.168.0.0/24 -j ACCEPT", "-s 10.0.0.1/32 -d 192.168.1.0/24 -j ACCEPT", "-s 10.0.0.2/32 -d 192.168.0.0/24 -j ACCEPT", "-s 10.0.0.2/32 -d 192.168.1.0/24 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-j USERCHAIN", expected: ["-j USERCHAIN"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-g USERCHAIN", expected: ["-g USERCHAIN"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-c 10 20 -s 10.0.0.1 -j ACCEPT", expected: ["-s 10.0.0.1/32 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m time --timestart 08:00 --weekdays Sat,Mon -j ACCEPT", expected: ["-m time --timestart 08:00:00 --timestop 23:59:59 --weekdays Mon,Sat --datestop 2038-01-19T03:14:07 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m time ! --weekdays Mon,Tue -j DROP", expected: ["-m time --weekdays Wed,Thu,Fri,Sat,Sun --datestop 2038-01-19T03:14:07 -j DROP"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m policy --dir in --pol ipsec --strict --reqid 1 --next --spi 2 -j ACCEPT", expected: ["-m policy --dir in --pol ipsec --strict --reqid 1 --next --spi 0x2 -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "FORWARD", rule: "-j NFQUEUE", expected: ["-j NFQUEUE --queue-num 0"] },
  { family: "ipv4", table: "filter", chain: "FORWARD", rule: "-p tcp -j TCPMSS --clamp-mss-to-pmtu", expected: ["-p tcp -j TCPMSS --clamp-mss-to-pmtu"] },
  { family: "ipv4", table: "nat", chain: "PREROUTING", rule: "-p tcp -d 1.2.3.4 --dport 80 -j DNAT --to-destination 172.17.0.2:8080", expected: ["-d 1.2.3.4/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 172.17.0.2:8080"] },
  { family: "ipv4", table: "nat", chain: "POSTROUTING", rule: "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", expected: ["-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"] },
  { family: "ipv4", table: "nat", chain: "POSTROUTING", rule: "-o eth0 -j SNAT --to 1.2.3.4", expected: ["-o eth0 -j SNAT --to-source 1.2.3.4"] },
  { family: "ipv4", table: "nat", chain: "PREROUTING", rule: "-p udp --dport 53 -j REDIRECT --to-ports 5353", expected: ["-p udp -m udp --dport 53 -j REDIRECT --to-ports 5353"] },
  { family: "ipv4", table: "mangle", chain: "PREROUTING", rule: "-j MARK --set-mark 1", expected: ["-j MARK --set-xmark 0x1/0xffffffff"] },
  { family: "ipv4", table: "mangle", chain: "PREROUTING", rule: "-j MARK --set-mark 0x1/0x2", expected: ["-j MARK --set-xmark 0x1/0x3"] },
  { family: "ipv4", table: "mangle", chain: "PREROUTING", rule: "-j MARK --or-mark 4", expected: ["-j MARK --set-xmark 0x4/0x4"] },
  { family: "ipv4", table: "mangle", chain: "PREROUTING", rule: "-j CONNMARK --save-mark --mask 0xff", expected: ["-j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff"] },
  { family: "ipv4", table: "mangle", chain: "PREROUTING", rule: "-j CONNMARK --restore-mark", expected: ["-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff"] },
  { family: "ipv4", table: "mangle", chain: "PREROUTING", rule: "-p tcp -j TPROXY --on-port 15001 --tproxy-mark 0x1/0x1", expected: ["-p tcp -j TPROXY --on-port 15001 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1"] },
  { family: "ipv4", table: "mangle", chain: "POSTROUTING", rule: "-j DSCP --set-dscp-class EF", expected: ["-j DSCP --set-dscp 0x2e"] },
  { family: "ipv4", table: "raw", chain: "PREROUTING", rule: "-p tcp --dport 21 -j CT --helper ftp", expected: ["-p tcp -m tcp --dport 21 -j CT --helper ftp"] },
  { family: "ipv4", table: "raw", chain: "PREROUTING", rule: "-j CT --notrack", expected: ["-j CT --notrack"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-s 2001:DB8:0:0::1 -d fe80::/64 -j ACCEPT", expected: ["-s 2001:db8::1/128 -d fe80::/64 -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-s 2001:db8::/ffff:ffff:: -j ACCEPT", expected: ["-s 2001:db8::/32 -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-p icmpv6 --icmpv6-type echo-request -j ACCEPT", expected: ["-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-p ipv6-icmp -j ACCEPT", expected: ["-p ipv6-icmp -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-p 58 -m icmp6 --icmpv6-type 1/3 -j ACCEPT", expected: ["-p ipv6-icmp -m icmp6 --icmpv6-type 1/3 -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-j REJECT", expected: ["-j REJECT --reject-with icmp6-port-unreachable"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-s ::/0 -d ::1 -j ACCEPT", expected: ["-d ::1/128 -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-s 2001:db8::1,2001:db8::2 -j DROP", expected: ["-s 2001:db8::1/128 -j DROP", "-s 2001:db8::2/128 -j DROP"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-m recent --rcheck -j DROP", expected: ["-m recent --rcheck --name DEFAULT --mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource -j DROP"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-p tcp -m connlimit --connlimit-above 2 -j DROP", expected: ["-p tcp -m connlimit --connlimit-above 2 --connlimit-mask 128 --connlimit-saddr -j DROP"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-m hl --hl-eq 255 -j ACCEPT", expected: ["-m hl --hl-eq 255 -j ACCEPT"] },
  { family: "ipv6", table: "filter", chain: "INPUT", rule: "-m rt --rt-type 0 --rt-segsleft 0 -j DROP", expected: ["-m rt --rt-type 0 --rt-segsleft 0 -j DROP"] },
  { family: "ipv6", table: "nat", chain: "PREROUTING", rule: "-p tcp --dport 80 -j DNAT --to-destination [2001:db8::2]:8080", expected: ["-p tcp -m tcp --dport 80 -j DNAT --to-destination [2001:db8::2]:8080"] },
  { family: "ipv6", table: "mangle", chain: "PREROUTING", rule: "-m conntrack --ctstate INVALID -j DROP", expected: ["-m conntrack --ctstate INVALID -j DROP"] },
  // getopt spellings: abbreviations and --opt=value
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-p tcp --dpo 22 --sp 1:2 -m comment --comment=x -j ACCEPT", expected: ["-p tcp -m tcp --sport 1:2 --dport 22 -m comment --comment x -j ACCEPT"] },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-m tcp -p tcp --dport 22 -j ACCEPT", expected: ["-p tcp -m tcp --dport 22 -j ACCEPT"] },
  // not on the kernel
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-s ! 10.0.0.1 -p tcp --dport ! 22 -j DROP", expected: ["! -s 10.0.0.1/32 -p tcp -m tcp ! --dport 22 -j DROP"], notOnKernel: "iptables 1.8.9 refuses the pre-1.4.3 negation `--opt ! value`; older versions read it as `! --opt value`" },
  { family: "ipv4", table: "filter", chain: "INPUT", rule: "-s localhost -j ACCEPT", expected: ["-s localhost -j ACCEPT"], notOnKernel: "host names are resolved when the rules are loaded (the kernel holds -s 127.0.0.1/32 here); fwlint cannot resolve them offline" },
];
