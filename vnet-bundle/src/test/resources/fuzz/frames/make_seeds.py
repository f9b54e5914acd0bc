#!/usr/bin/env python3
"""Writes the seed corpus of FrameParserFuzzTest: whole Ethernet frames (FCS included) as a
station on eth0 would put them on the wire to the root (10.0.0.1, 02:53:4d:a2:00:00), from a
fuzzing station (10.0.0.7, 02:53:4d:a2:00:06). Valid frames of every protocol the stack parses,
and nasty ones: runts, oversize, bad checksums, lying lengths, fragments, malformed transport
records. A transport segment's connection id 0xC0FFEE00 is replaced by the harness with the id
of the connection it has open to the root's listener on port 7000 (the peer's id is 0x0F0221D0)."""
import struct, zlib

ROOT_MAC = bytes.fromhex('02534da20000')
ME_MAC = bytes.fromhex('02534da20006')
ROOT_IP = bytes([10, 0, 0, 1])
ME_IP = bytes([10, 0, 0, 7])
CONN = 0xC0FFEE00
PEER = 0x0F0221D0

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def eth(payload, etype=0x0800, dst=ROOT_MAC, fcs=True, pad=True):
    f = dst + ME_MAC + struct.pack('!H', etype) + payload
    if pad and len(f) < 60:
        f += b'\0' * (60 - len(f))
    if fcs:
        f += struct.pack('<I', zlib.crc32(f) & 0xffffffff)
    return f

def ip(proto, payload, total=None, ihl=5, flags=0x4000, src=ME_IP, dst=ROOT_IP, good=True):
    t = total if total is not None else 20 + len(payload)
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, t, 1, flags, 64, proto, 0, src, dst)
    if good:
        h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def udp(sport, dport, data, length=None, zero=False):
    l = length if length is not None else 8 + len(data)
    u = struct.pack('!HHHH', sport, dport, l, 0) + data
    if not zero:
        pseudo = ME_IP + ROOT_IP + struct.pack('!BBH', 0, 17, l)
        c = csum(pseudo + u) or 0xffff
        u = u[:6] + struct.pack('!H', c) + u[8:]
    return u

def icmp(type_, data=bytes(range(56)), ident=0x1234, seq=1):
    m = struct.pack('!BBHHH', type_, 0, 0, ident, seq) + data
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]

def arp(op, tpa=ROOT_IP, tha=b'\0' * 6, hlen=6, plen=4):
    return struct.pack('!HHBBH', 1, 0x0800, hlen, plen, op) + ME_MAC + ME_IP + tha + tpa

def seg(type_, id_=CONN, seq=0, ack=0, window=512, flags=0, body=b''):
    return struct.pack('!BBHIqq', type_, flags, window, id_, seq, ack) + body

def rec(data, more=False, length=None):
    l = len(data) if length is None else length
    return struct.pack('!I', (0x80000000 if more else 0) | (l & 0x7fffffff)) + data

seeds = {
    'arp-request': eth(arp(1), 0x0806, dst=b'\xff' * 6),
    'arp-reply': eth(arp(2, tha=ROOT_MAC), 0x0806),
    'arp-short': eth(arp(1)[:20], 0x0806, dst=b'\xff' * 6, pad=False),
    'arp-hlen-9': eth(arp(1, hlen=9), 0x0806, dst=b'\xff' * 6),
    'icmp-echo-request': eth(ip(1, icmp(8))),
    'icmp-echo-reply': eth(ip(1, icmp(0))),
    'icmp-bad-checksum': eth(ip(1, icmp(8)[:2] + b'\0\0' + icmp(8)[4:])),
    'icmp-7-bytes': eth(ip(1, b'\x08\0\0\0\0\0\0')),
    'udp-9000': eth(ip(17, udp(4000, 9000, b'hello, vnet'))),
    'udp-zero-checksum': eth(ip(17, udp(4000, 9000, b'no checksum', zero=True))),
    'udp-length-over-ip': eth(ip(17, udp(4000, 9000, b'lies', length=900))),
    'udp-length-under-header': eth(ip(17, udp(4000, 9000, b'lies', length=3))),
    'udp-max': eth(ip(17, udp(4000, 9000, bytes(1472)))),
    'ip-total-over-frame': eth(ip(17, udp(4000, 9000, b'x'), total=1400)),
    'ip-total-under-ihl': eth(ip(17, udp(4000, 9000, b'x'), total=12)),
    'ip-ihl-15': eth(ip(17, bytes(40) + udp(4000, 9000, b'x'), ihl=15)),
    'ip-ihl-3': eth(ip(17, udp(4000, 9000, b'x'), ihl=3)),
    'ip-fragment': eth(ip(17, udp(4000, 9000, b'frag'), flags=0x2000)),
    'ip-bad-checksum': eth(ip(17, udp(4000, 9000, b'x'), good=False)),
    'ip-version-6': eth(b'\x60' + ip(17, udp(4000, 9000, b'x'))[1:]),
    'ip-proto-99': eth(ip(99, b'what is this')),
    'ip-broadcast-dst': eth(ip(17, udp(4000, 9000, b'all'), dst=bytes([10, 0, 0, 255])), dst=b'\xff' * 6),
    'ip-other-dst': eth(ip(17, udp(4000, 9000, b'not me'), dst=bytes([10, 0, 0, 9]))),
    'ip-source-off-subnet': eth(ip(17, udp(4000, 9000, b'x'), src=bytes([192, 168, 1, 1]))),
    'syn': eth(ip(17, udp(5555, 7000, seg(1, id_=0, ack=PEER)))),
    'syn-ack-unasked': eth(ip(17, udp(5555, 7000, seg(2, id_=CONN, ack=PEER)))),
    'data-one-record': eth(ip(17, udp(5555, 7000, seg(3, seq=0, body=rec(b'message'))))),
    'data-two-records-more': eth(ip(17, udp(5555, 7000, seg(3, seq=1, body=rec(b'first', True) + rec(b'second'))))),
    'data-record-longer-than-segment': eth(ip(17, udp(5555, 7000, seg(3, seq=0, body=rec(b'short', length=0x7fffffff))))),
    'data-record-trailing-bytes': eth(ip(17, udp(5555, 7000, seg(3, seq=0, body=rec(b'ok') + b'\x01\x02')))),
    'data-empty': eth(ip(17, udp(5555, 7000, seg(3, seq=0)))),
    'data-out-of-order': eth(ip(17, udp(5555, 7000, seg(3, seq=5, body=rec(b'later'))))),
    'data-far-beyond-window': eth(ip(17, udp(5555, 7000, seg(3, seq=1 << 62, body=rec(b'far'))))),
    'data-negative-sequence': eth(ip(17, udp(5555, 7000, seg(3, seq=-1, body=rec(b'neg'))))),
    'data-unknown-connection': eth(ip(17, udp(5555, 7000, seg(3, id_=12345, body=rec(b'who'))))),
    'ack-huge': eth(ip(17, udp(5555, 7000, seg(4, ack=(1 << 63) - 1, window=0xffff)))),
    'ack-window-zero': eth(ip(17, udp(5555, 7000, seg(4, ack=0, window=0)))),
    'fin': eth(ip(17, udp(5555, 7000, seg(5, seq=0)))),
    'rst': eth(ip(17, udp(5555, 7000, seg(6, id_=0, ack=PEER)))),
    'segment-type-0': eth(ip(17, udp(5555, 7000, seg(0)))),
    'segment-type-200': eth(ip(17, udp(5555, 7000, seg(200)))),
    'segment-23-bytes': eth(ip(17, udp(5555, 7000, seg(3)[:23]))),
    'experimental-88b5': eth(b'raw frame for net:send', 0x88b5),
    'length-field-802.3': eth(b'\0' * 46, 0x002e),
    'runt-63': eth(b'\0' * 45, pad=False),
    'oversize-1519': eth(b'\0' * 1501),
    'bad-fcs': eth(ip(1, icmp(8)))[:-1] + b'\0',
    'no-fcs': eth(ip(1, icmp(8)), fcs=False),
    'multicast-dst': eth(ip(17, udp(4000, 9000, b'm')), dst=bytes.fromhex('01005e0000fb')),
    'empty': b'',
    'all-ff-2016': b'\xff' * 2016,
}

for name, data in seeds.items():
    with open(name + '.bin', 'wb') as f:
        f.write(data)
print(len(seeds), 'seeds')
