#!/usr/bin/python3
"""make_corpus.py -- writes the seed corpus of fuzz_answer (deterministic).

Valid queries for every answer case of tests/data/fuzz.zone, with and without
EDNS (NSID, keepalive, unknown options, version 1), plus hand-made malformed
packets: truncated header, QR=1, QDCOUNT 2, compression loop, oversized label.
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


def put(wire):
    global n
    with open(os.path.join(out, "q%03d" % n), "wb") as f:
        f.write(wire)
    n += 1


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
print("%d seeds" % n)
