#!/usr/bin/env python3
"""A TCP SYN that a neighbour on the same link sends to a loopback address of a host, for the kernel tests.

  python3 l2probe.py IFACE GATEWAY_MAC SRC DST PORT HOST   prints {"open": true|false}

A client cannot send to 127.0.0.1 through its own stack (its kernel keeps the address for itself), but a
neighbour on the link can put any destination in a frame addressed to the host's MAC. The probe writes
such a frame on a packet socket (a TCP SYN from SRC to DST:PORT, IPv4 or IPv6) and says open when a SYN ACK from
DST:PORT comes back on the link within 1.5 s (resending the SYN every 0.25 s). First it sends one SYN to
the host's own address HOST, so that the host learns the neighbour's MAC as it would from any earlier
packet (the host cannot resolve it later: its ARP request would give 127.0.0.1 as its sender, which the
neighbour ignores). The client's own kernel
never answers it (a loopback source from outside is a martian), which is what a probe must not depend on.
Run it inside a test namespace with `ip netns exec`.
"""
import json
import random
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_ALL = 0x0003


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, seq):
    """The IP packet (v4 or v6, by the addresses) of a TCP SYN, and its ethertype."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    if ":" in src:
        s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
        pseudo = s6 + d6 + struct.pack("!I3xB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        return struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, s6, d6) + tcp, ETH_P_IPV6
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.randrange(65536), 0, 64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp, ETH_P_IP


def synack_from(ip, ethertype, dst, port, sport):
    """Whether an IP packet is the SYN ACK of DST:PORT to our SPORT."""
    if ethertype == ETH_P_IPV6:
        if len(ip) < 60 or ip[6] != 6 or socket.inet_ntop(socket.AF_INET6, ip[8:24]) != dst:
            return False
        tcp = ip[40:]
    else:
        if len(ip) < 40 or ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != dst:
            return False
        tcp = ip[(ip[0] & 0x0F) * 4 :]
    a, b = struct.unpack("!HH", tcp[:4])
    return a == port and b == sport and tcp[13] & 0x12 == 0x12


def main():
    iface, gw_mac, src, dst, port, host = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, ETH_P_ALL))
    mine = s.getsockname()[4]
    dest = bytes.fromhex(gw_mac.replace(":", ""))
    sport = random.randrange(40000, 60000)
    packet, ethertype = syn(src, dst, sport, port, random.randrange(1 << 32))
    frame = dest + mine + struct.pack("!H", ethertype) + packet
    warm, _ = syn(src, host, sport + 1, port, random.randrange(1 << 32))
    s.send(dest + mine + struct.pack("!H", ethertype) + warm)
    time.sleep(0.3)
    s.settimeout(0.05)
    deadline = time.time() + 1.5
    next_send = 0.0
    while time.time() < deadline:
        if time.time() >= next_send:
            s.send(frame)
            next_send = time.time() + 0.25
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        if struct.unpack("!H", data[12:14])[0] == ethertype and synack_from(data[14:], ethertype, dst, port, sport):
            print(json.dumps({"open": True}))
            return
    print(json.dumps({"open": False}))


if __name__ == "__main__":
    main()
