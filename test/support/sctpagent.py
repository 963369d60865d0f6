#!/usr/bin/env python3
"""SCTP peers for the kernel-backed tests, on raw sockets (the test machines have no SCTP stack).

  python3 sctpagent.py listen '{"sctp":[9000]}'   answer INIT on those ports, on every address; prints "ready"
  python3 sctpagent.py probe < probes.json         association attempts; prints JSON results

A probe is open when the four packets of an association's start all pass: the client's INIT, the
server's INIT ACK, the client's COOKIE ECHO and the server's COOKIE ACK. Conntrack follows SCTP by those
chunks and their verification tags, so each packet is what a real stack would send: INIT with tag 0 in
its header, every later packet with the tag its peer chose, and a CRC32c over the whole packet.
Run it inside a test namespace with `ip netns exec`.
"""
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

IPPROTO_SCTP = 132
INIT, INIT_ACK, COOKIE_ECHO, COOKIE_ACK = 1, 2, 10, 11
# Seconds between sends of a packet not yet answered.
RESEND = 0.25


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def packet(sport, dport, vtag, chunk_type, body):
    """An SCTP packet with one chunk; the checksum is stored least significant byte first (RFC 9260 B)."""
    chunk = struct.pack("!BBH", chunk_type, 0, 4 + len(body)) + body
    chunk += b"\0" * (-len(chunk) % 4)
    head = struct.pack("!HHII", sport, dport, vtag, 0)
    crc = crc32c(head + chunk)
    return head[:8] + struct.pack("<I", crc) + chunk


def init_body(tag, cookie=None):
    """INIT / INIT ACK: initiate tag, a_rwnd, streams out and in, initial TSN; INIT ACK adds a State Cookie."""
    body = struct.pack("!IIHHI", tag, 65535, 1, 1, tag)
    if cookie is not None:
        body += struct.pack("!HH", 7, 4 + len(cookie)) + cookie
    return body


def parse(data, v6):
    """(sport, dport, vtag, chunk type, chunk body) of a received packet, or None."""
    if not v6:
        if len(data) < 20:
            return None
        data = data[(data[0] & 0x0F) * 4:]
    if len(data) < 16:
        return None
    sport, dport, vtag = struct.unpack("!HHI", data[:8])
    ctype, _flags, clen = struct.unpack("!BBH", data[12:16])
    return sport, dport, vtag, ctype, data[16:12 + clen]


def addresses():
    """Every address of the namespace but IPv6 link-local ones."""
    out = subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, check=True).stdout
    addrs = []
    for link in json.loads(out):
        for a in link.get("addr_info", []):
            if a["family"] == "inet6" and a["local"].startswith("fe80"):
                continue
            addrs.append((a["family"] == "inet6", a["local"]))
    return addrs


def raw(v6, addr):
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    s.bind((addr, 0))
    return s


def listen(spec):
    ports = set(spec.get("sctp", []))
    # One socket per address: bound, it sees only packets to that address and answers from it.
    socks = {}
    for v6, addr in addresses():
        socks[raw(v6, addr)] = v6
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    tags = {}
    while True:
        readable, _, _ = select.select(list(socks), [], [])
        for s in readable:
            data, peer = s.recvfrom(65535)
            p = parse(data, socks[s])
            if p is None:
                continue
            sport, dport, vtag, ctype, body = p
            if dport not in ports:
                continue
            key = (peer[0], sport, dport)
            if ctype == INIT and vtag == 0 and len(body) >= 16:
                peer_tag = struct.unpack("!I", body[:4])[0]
                mine = random.randint(1, 0xFFFFFFFF)
                tags[key] = (mine, peer_tag)
                reply = packet(dport, sport, peer_tag, INIT_ACK, init_body(mine, struct.pack("!I", mine)))
            elif ctype == COOKIE_ECHO and key in tags and vtag == tags[key][0]:
                reply = packet(dport, sport, tags[key][1], COOKIE_ACK, b"")
            else:
                continue
            s.sendto(reply, (peer[0], 0))


def probe(probes):
    deadline = time.monotonic() + max([p.get("timeout", 1500) for p in probes] + [0]) / 1000
    state = {}
    used = set()
    for p in probes:
        v6 = ":" in p["dst"]
        s = raw(v6, p["src"])
        sport = random.randint(20000, 60000)
        while sport in used:
            sport = random.randint(20000, 60000)
        used.add(sport)
        tag = random.randint(1, 0xFFFFFFFF)
        st = {"p": p, "v6": v6, "sport": sport, "tag": tag, "step": 0, "open": False, "detail": "timeout"}
        st["send"] = packet(sport, p["port"], 0, INIT, init_body(tag))
        state[s] = st
    pending = set(state)
    resend = 0.0
    while pending:
        now = time.monotonic()
        if now >= deadline:
            break
        # Like a real stack, send the current packet again until it is answered (a first packet can be
        # lost while the neighbour's address is being resolved).
        if now >= resend:
            for s in pending:
                s.sendto(state[s]["send"], (state[s]["p"]["dst"], 0))
            resend = now + RESEND
        readable, _, _ = select.select(list(pending), [], [], max(0.0, min(deadline, resend) - time.monotonic()))
        for s in readable:
            st = state[s]
            data, peer = s.recvfrom(65535)
            p = parse(data, st["v6"])
            if p is None or peer[0] != st["p"]["dst"]:
                continue
            sport, dport, vtag, ctype, body = p
            if sport != st["p"]["port"] or dport != st["sport"] or vtag != st["tag"]:
                continue
            if ctype == INIT_ACK and st["step"] == 0 and len(body) >= 16:
                peer_tag = struct.unpack("!I", body[:4])[0]
                params = body[16:]
                cookie = b""
                while len(params) >= 4:
                    ptype, plen = struct.unpack("!HH", params[:4])
                    if ptype == 7:
                        cookie = params[4:plen]
                    params = params[(plen + 3) // 4 * 4:] if plen >= 4 else b""
                st["step"] = 1
                st["detail"] = "timeout after INIT ACK"
                st["send"] = packet(st["sport"], st["p"]["port"], peer_tag, COOKIE_ECHO, cookie)
                s.sendto(st["send"], (st["p"]["dst"], 0))
            elif ctype == COOKIE_ACK and st["step"] == 1:
                st["open"] = True
                st["detail"] = "association"
                pending.discard(s)
    return [{"id": st["p"]["id"], "open": st["open"], "detail": st["detail"]} for st in state.values()]


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "listen":
        listen(json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}"))
    elif mode == "probe":
        sys.stdout.write(json.dumps(probe(json.load(sys.stdin))))
    else:
        sys.stderr.write("usage: sctpagent.py listen JSON | probe < JSON\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
