#!/usr/bin/python3
"""make_corpus.py -- writes the seed corpus of fuzz_answer (deterministic).

Valid queries for every answer case of tests/data/fuzz.zone, with and without
EDNS (NSID, keepalive, unknown options, version 1), plus hand-made malformed
packets: truncated header, QR=1, QDCOUNT 2, compression loop, oversized label,
and DNS Cookies: client-only, bogus 16-byte server cookies (replayed by the
target with the cookie it got back, at several clock offsets), bad lengths,
two COOKIE options, cookies required over UDP and TCP, IPv4 and IPv6.
Each seed is one policy byte (see fuzz_answer.c) followed by the query.
Run: /usr/bin/python3 tests/fuzz/make_corpus.py tests/fuzz/fuzz_answer.in
"""
import os
import struct
import sys

import dns.edns
import dns.message
import dns.rdataclass
import dns.rdatatype

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0


def put(wire, flags=0):
    global n
    with open(os.path.join(out, "q%03d" % n), "wb") as f:
        f.write(bytes([flags]) + wire)
    n += 1


REQUIRE, V6, NOCTX, FOLLOW, NOCLIENT = 1, 2, 4, 8, 128


names = ["example.com", "www.example.com", "WwW.ExAmPlE.cOm", "alias.example.com",
         "loop1.example.com", "x.wild.example.com", "a.b.wild.example.com",
         "x.dn.example.com", "c.ent.example.com", "b.c.ent.example.com",
         "sub.example.com", "deep.sub.example.com", "_sip._udp.example.com",
         "big.example.com", "unk.example.com", "nx.example.com", "example.org"]
types = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "DS", "ANY", "SRV", "CNAME",
         "TYPE65400"]
for i, name in enumerate(names):
    for j, t in enumerate(types):
        if (i + j) % 3 == 0:
            continue
        edns = (i + j) % 4
        q = dns.message.make_query(name, t, use_edns=edns != 0,
                                   payload=512 if edns == 2 else 1232,
                                   options=[dns.edns.GenericOption(3, b"")]
                                   if edns == 3 else None)
        q.id = n
        put(q.to_wire())

for qn, qc in (("id.server", "CH"), ("version.bind", "CH"), ("hostname.bind", "CH")):
    q = dns.message.make_query(qn, "TXT", rdclass=qc)
    put(q.to_wire())
q = dns.message.make_query("www.example.com", "A", use_edns=1)
put(q.to_wire())
q = dns.message.make_query("www.example.com", "A", use_edns=0,
                           options=[dns.edns.GenericOption(11, b""),
                                    dns.edns.GenericOption(65001, b"xyz")])
put(q.to_wire())

base = dns.message.make_query("www.example.com", "A").to_wire()
put(base[:5])                                    # truncated header
put(base[:12])                                   # header only, QDCOUNT 1
put(base[:20])                                   # cut question
put(base[:2] + bytes([base[2] | 0x80]) + base[3:])   # QR=1
put(base[:4] + struct.pack(">H", 2) + base[6:])  # QDCOUNT 2
put(base[:2] + bytes([0x28]) + base[3:])         # opcode UPDATE
put(base[:12] + b"\xc0\x0c" + b"\x00\x01\x00\x01")   # compression loop
put(base[:12] + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01")  # label 64
put(base[:12] + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01")  # name > 255
put(base + b"\x00" * 7)                          # trailing bytes

# DNS Cookies (RFC 7873, RFC 9018)
cc = bytes(range(1, 9))
bogus = bytes([1, 0, 0, 0]) + bytes(12)


def cq(name, t, payload, flags, extra=()):
    opts = [dns.edns.GenericOption(10, payload)] + list(extra)
    q = dns.message.make_query(name, t, use_edns=0, options=opts)
    q.id = n
    put(q.to_wire(), flags)


cq("www.example.com", "A", cc, 0)
cq("www.example.com", "A", cc, REQUIRE)
cq("www.example.com", "A", cc, REQUIRE | V6)
cq("www.example.com", "A", cc, NOCLIENT | REQUIRE)
cq("www.example.com", "A", cc, NOCTX | REQUIRE)
cq("nx.example.com", "A", cc + bogus, REQUIRE)
for d in range(8):
    cq("www.example.com", "A", cc + bogus, FOLLOW | REQUIRE | (d << 4))
cq("big.example.com", "TXT", cc + bogus, FOLLOW | V6 | (2 << 4))
cq("sub.example.com", "NS", cc + bogus, FOLLOW | REQUIRE | V6)
cq("www.example.com", "A", cc + bogus, FOLLOW | REQUIRE,
   [dns.edns.GenericOption(3, b""), dns.edns.GenericOption(11, b"")])
cq("www.example.com", "A", cc + bytes(8), REQUIRE)          # 8-byte server cookie
cq("www.example.com", "A", cc + bytes(32), REQUIRE)         # 32-byte server cookie
cq("www.example.com", "A", cc + bytes(33), 0)               # 41: FORMERR
cq("www.example.com", "A", cc[:7], 0)                       # 7: FORMERR
cq("www.example.com", "A", cc + bytes(4), 0)                # 12: FORMERR
cq("www.example.com", "A", cc, 0, [dns.edns.GenericOption(10, cc)])  # two
# a COOKIE-only query without a question (RFC 7873 5.4)
q = dns.message.make_query("www.example.com", "A", use_edns=0,
                           options=[dns.edns.GenericOption(10, cc)])
w = q.to_wire()
put(w[:4] + b"\x00\x00" + w[6:12] + w[12 + len(b"\x03www\x07example\x03com\x00") + 4:],
    REQUIRE)
put(w[:4] + b"\x00\x00" + w[6:12] + w[12 + len(b"\x03www\x07example\x03com\x00") + 4:],
    FOLLOW)
print("%d seeds" % n)
