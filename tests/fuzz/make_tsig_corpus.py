#!/usr/bin/python3
"""make_tsig_corpus.py -- writes the seed corpus of fuzz_tsig (fuzz_tsig.in/)
from the dnspython-signed requests of tests/unit/tsig_vectors.h: each as
signed (OK at the vectors' time), with its MAC cut (BADTRUNC), a byte of the
MAC flipped (BADSIG), the key name changed (BADKEY), a compressed key name,
the TSIG twice, and cut short.  Run from the repository root:
    /usr/bin/python3 tests/fuzz/make_tsig_corpus.py
"""
import hashlib
import os
import re
import struct

here = os.path.dirname(os.path.abspath(__file__))
text = open(os.path.join(here, "..", "unit", "tsig_vectors.h")).read()
arrays = {m.group(1): bytes(int(x, 16) for x in
                            re.findall(r"0x([0-9a-f]{2})", m.group(2)))
          for m in re.finditer(r"static const uint8_t (\w+)\[\] = \{(.*?)\};",
                               text, re.S)}
out = os.path.join(here, "fuzz_tsig.in")
os.makedirs(out, exist_ok=True)
seeds = []
for name, w in arrays.items():
    if name.endswith("_request") or name.endswith("_request_cut"):
        seeds.append(w)
        b = bytearray(w)
        b[-10] ^= 1                       # inside the MAC: BADSIG
        seeds.append(bytes(b))
        b = bytearray(w)
        i = b.index(b"key-")
        b[i] = ord("K") ^ 0x20 ^ 0x01     # another key name: BADKEY
        seeds.append(bytes(b))
        seeds.append(w[:-3])              # cut short: FORMERR
        # the TSIG twice (FORMERR): the record starts at the key name
        j = max(w.rfind(bytes([n]) + b"key-") for n in (8, 10))
        b = bytearray(w + w[j:])
        b[10:12] = struct.pack("!H", struct.unpack("!H", b[10:12])[0] + 1)
        seeds.append(bytes(b))
for s in seeds:
    with open(os.path.join(out, hashlib.sha1(s).hexdigest()), "wb") as f:
        f.write(s)
print("%d seeds in %s" % (len(seeds), out))
