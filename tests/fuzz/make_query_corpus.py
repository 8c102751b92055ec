#!/usr/bin/python3
"""make_query_corpus.py -- writes the seed corpus of fuzz_query (deterministic).

Each seed is a sequence of records (see fuzz_query.c): flags, the source's
last octet, a 2-byte length and a message. The messages are fuzz_answer's
seeds (without their policy byte), sent from several sources and
transports; bursts of one query from one source (over its limits, RRL and
the attack thresholds, with the clock advancing), NOTIFY and SOA from a
trusted source, and client cookies followed by the minted server cookie.
Run: /usr/bin/python3 tests/fuzz/make_query_corpus.py tests/fuzz/fuzz_answer.in tests/fuzz/fuzz_query.in
"""
import os
import random
import struct
import sys

import dns.edns
import dns.message
import dns.opcode

src_dir, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261202)
n = 0


def rec(msg, flags=0, src=9):
    return bytes([flags, src]) + struct.pack("!H", len(msg)) + msg


def put(data):
    global n
    with open(os.path.join(out, "s%03d" % n), "wb") as f:
        f.write(data)
    n += 1


answer_seeds = []
for name in sorted(os.listdir(src_dir)):
    with open(os.path.join(src_dir, name), "rb") as f:
        answer_seeds.append(f.read()[1:])

# Each fuzz_answer seed, alone, on a random transport and source.
for m in answer_seeds:
    put(rec(m, rng.choice([0, 1, 2, 4, 8]), rng.choice([1, 9, 200])))

www = dns.message.make_query("www.example.com", "A").to_wire()
nx = [dns.message.make_query("x%d.example.com" % i, "A").to_wire()
      for i in range(40)]
cookie = dns.message.make_query("www.example.com", "A", use_edns=0, options=[
    dns.edns.GenericOption(10, b"\x11" * 8)]).to_wire()
soa = dns.message.make_query("example.com", "SOA").to_wire()
notify = dns.message.make_query("example.com", "SOA")
notify.set_opcode(dns.opcode.NOTIFY)
notify = notify.to_wire()

# A burst over every limit from one source, the clock standing still,
# then advancing.
put(b"".join(rec(www, 0, 50) for _ in range(40)))
put(b"".join(rec(www, 4 if i % 10 == 0 else 0, 50) for i in range(60)))
# Random names: NXDOMAIN budget and the distinct-names detector.
put(b"".join(rec(m, 0, 60 + i % 3) for i, m in enumerate(nx)))
put(b"".join(rec(m, 12 if i == 20 else 0, 70) for i, m in enumerate(nx)))
# Trusted replication messages, and the same from an untrusted source.
put(b"".join(rec(m, 0, 3) for m in [soa, notify] * 20))
put(b"".join(rec(m, 0, 30) for m in [soa, notify] * 20))
# A client cookie, then the server cookie it was given; over TCP too.
put(b"".join(rec(cookie, 16, 80) for _ in range(12)))
put(b"".join(rec(cookie, 17, 80) for _ in range(4)))
print("wrote %d seeds to %s" % (n, out))
