#!/usr/bin/python3
"""make_tsig_vectors.py -- writes tsig_vectors.h: TSIG requests and replies
signed by dnspython (dns.tsig) at a fixed time, one set per algorithm, for
tests/unit/test_tsig.c.  Run it again only to change the vectors:
    /usr/bin/python3 tests/unit/make_tsig_vectors.py > tests/unit/tsig_vectors.h
"""
import base64
import struct

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig

T = 1700000000
ALGS = [("sha1", dns.tsig.HMAC_SHA1, 20), ("sha256", dns.tsig.HMAC_SHA256, 32),
        ("sha384", dns.tsig.HMAC_SHA384, 48), ("sha512", dns.tsig.HMAC_SHA512, 64)]


def secret(n):
    return bytes((i * 7 + n) & 0xFF for i in range(n))


def tsig_rr(keyname, rd):
    w = rd.to_wire()
    return dns.name.from_text(keyname).to_wire() + \
        struct.pack("!HHIH", 250, 255, 0, len(w)) + w


def add_count(wire):
    w = bytearray(wire)
    w[10:12] = struct.pack("!H", struct.unpack("!H", w[10:12])[0] + 1)
    return bytes(w)


def sign(wire, key, keyname, t, request_mac=None, ctx=None, multi=False,
         error=0, other=b"", first=True):
    rd = dns.rdtypes.ANY.TSIG.TSIG(dns.rdataclass.ANY, dns.rdatatype.TSIG,
                                   key.algorithm, 0, 300, b"",
                                   struct.unpack("!H", wire[:2])[0], error,
                                   other)
    tsig, ctx = dns.tsig.sign(wire, key, rd, t, request_mac, ctx, multi)
    return add_count(wire + tsig_rr(keyname, tsig)), tsig.mac, ctx


def carr(name, b):
    out = "static const uint8_t %s[] = {" % name
    for i, x in enumerate(b):
        if i % 12 == 0:
            out += "\n\t"
        out += "0x%02x," % x
    return out + "\n};\n"


print("/* tsig_vectors.h -- written by make_tsig_vectors.py (dnspython %s):"
      % dns.version.version)
print(" * do not edit. Time signed %d, fudge 300. */" % T)
print("#define VEC_TIME %du" % T)
for short, alg, hl in ALGS:
    keyname = "key-%s.example." % short
    sec = secret(hl)
    key = dns.tsig.Key(keyname, sec, alg)
    q = dns.message.make_query("www.Test.", "A", id=0x1234, use_edns=0)
    qw = q.to_wire()
    req, req_mac, _ = sign(qw, key, keyname, T)
    # the reply: the query with QR|AA set (as we would write it)
    r = bytearray(qw)
    r[2] |= 0x84
    reply, _, _ = sign(bytes(r), key, keyname, T, request_mac=req_mac)
    # BADTIME: signed at the request's time, our time (T + 1000) in Other
    bt_now = T + 1000
    badtime, _, _ = sign(bytes(r[:2] + bytes([r[2], 0x09]) + r[4:]), key,
                         keyname, T, request_mac=req_mac, error=18,
                         other=bt_now.to_bytes(6, "big"))
    # a transfer of three messages: the first a reply, then timers only
    msgs = []
    ctx = None
    mac = req_mac
    for i in range(3):
        m = bytearray(r)
        m[3] = i   # distinct messages (an rcode nibble, for the test only)
        w, mac, ctx = sign(bytes(m), key, keyname, T + i, request_mac=mac
                           if i == 0 else None, ctx=ctx, multi=True)
        msgs.append(w)
    # a request with its MAC cut to hl/2 (>= 10): legal, BADTRUNC for us
    cut = max(10, hl // 2)
    full = req.rindex(req_mac)
    tr = bytearray(req)
    tr[full - 2:full] = struct.pack("!H", cut)
    del tr[full + cut:full + hl]
    j = bytes(tr).rindex(b"\x00\xfa\x00\xff\x00\x00\x00\x00")
    rdl = struct.unpack("!H", tr[j + 8:j + 10])[0]
    tr[j + 8:j + 10] = struct.pack("!H", rdl - (hl - cut))
    print("#define VEC_%s_KEYNAME \"%s\"" % (short.upper(), keyname))
    print(carr("vec_%s_secret" % short, sec))
    print(carr("vec_%s_request" % short, req))
    print(carr("vec_%s_reply_unsigned" % short, bytes(r)))
    print(carr("vec_%s_reply" % short, reply))
    print(carr("vec_%s_badtime" % short, badtime))
    for i, w in enumerate(msgs):
        print(carr("vec_%s_xfr%d" % (short, i), w))
    print(carr("vec_%s_request_cut" % short, bytes(tr)))
