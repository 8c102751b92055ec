#!/usr/bin/python3
"""make_keytrap_vectors.py -- writes keytrap_vectors.h: a small signed zone
and five DNSKEYs whose key tags collide, for tests/unit/test_zverify.c (the
KeyTrap bounds of zones/zverify.c, CVE-2023-50387). Run it again only to
change the vectors (new keys, new signatures; a few seconds):
    /usr/bin/python3 tests/unit/make_keytrap_vectors.py > tests/unit/keytrap_vectors.h

keytrap.test.: SOA, NS h1, hK A 10.0.0.K for K = 1..KT_HOSTS, the NSEC
chain. Five ECDSA P-256 (algorithm 13) zone keys are drawn until five share
one key tag; sorted by RDATA (the order the zone stores them in, and so the
order zone_verify() tries them), the last one signs every RRset. Two
DNSKEY sets and their RRSIGs: all five keys (the signer is the fifth with
its tag: beyond VERIFY_KEYS_PER_SIG) and four (the signer and the first
three: the fourth). Signatures valid from 2020-01-01 to 2037-12-01; the test
verifies at KT_NOW (2030-01-01). The expiration stays before 2038-01-19:
ldns compares RRSIG times as signed 32-bit numbers.
"""
import collections
import datetime

import dns.dnssec
import dns.name
import dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = dns.name.from_text("keytrap.test.")
TTL = 300
HOSTS = 20
INCEPTION = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
EXPIRATION = datetime.datetime(2037, 12, 1, tzinfo=datetime.timezone.utc)
NOW = int(datetime.datetime(2030, 1, 1,
                            tzinfo=datetime.timezone.utc).timestamp())


def colliding_keys(n):
    """n (private key, DNSKEY) pairs with one key tag, sorted by RDATA."""
    seen = collections.defaultdict(list)
    while True:
        k = ec.generate_private_key(ec.SECP256R1())
        d = dns.dnssec.make_dnskey(k.public_key(), 13)
        tag = dns.dnssec.key_id(d)
        seen[tag].append((k, d))
        if len(seen[tag]) == n:
            return tag, sorted(seen[tag], key=lambda kd: kd[1].to_wire())


def rrset(name, rdtype, texts):
    return dns.rrset.from_text_list(name, TTL, "IN", rdtype, texts,
                                    origin=ORIGIN, relativize=False)


def line(rs):
    return rs.to_text() + "\n"


def sign(rs, key, dnskey):
    sig = dns.dnssec.sign(rs, key, ORIGIN, dnskey, inception=INCEPTION,
                          expiration=EXPIRATION)
    return line(dns.rrset.from_rdata(rs.name, TTL, sig))


def c_string(text):
    return "\n".join('\t"%s\\n"' % ln.replace("\\", "\\\\").replace('"', '\\"')
                     for ln in text.splitlines())


def main():
    tag, keys = colliding_keys(5)
    sk, sd = keys[-1]
    names = {ORIGIN: [("SOA", ["h1 hostmaster 1 3600 600 86400 300"]),
                      ("NS", ["h1"])]}
    for k in range(1, HOSTS + 1):
        names[dns.name.from_text("h%d" % k, ORIGIN)] = [
            ("A", ["10.0.0.%d" % k])]
    order = sorted(names)          # dnspython's order is canonical
    body = ""
    for i, n in enumerate(order):
        nxt = order[(i + 1) % len(order)]
        types = [t for t, _ in names[n]] + ["RRSIG", "NSEC"]
        if n == ORIGIN:
            types.append("DNSKEY")
        sets = [rrset(n, t, rd) for t, rd in names[n]]
        sets.append(rrset(n, "NSEC", ["%s %s" % (nxt, " ".join(types))]))
        for rs in sets:
            body += line(rs) + sign(rs, sk, sd)
    dnskeys = []
    for k, d in keys:
        dnskeys.append(line(dns.rrset.from_rdata(ORIGIN, TTL, d)))
    four = dns.rrset.from_rdata_list(ORIGIN, TTL,
                                     [d for _, d in keys[:3]] + [sd])
    five = dns.rrset.from_rdata_list(ORIGIN, TTL, [d for _, d in keys])
    print("/* keytrap_vectors.h -- written by make_keytrap_vectors.py: do "
          "not edit. */")
    print("#ifndef LEVEE_TESTS_KEYTRAP_VECTORS_H")
    print("#define LEVEE_TESTS_KEYTRAP_VECTORS_H\n")
    print('#define KT_ORIGIN "%s"' % ORIGIN)
    print("#define KT_HOSTS %d" % HOSTS)
    print("#define KT_TAG %d            /* the five DNSKEYs' key tag */" % tag)
    print("#define KT_NOW %du    /* 2030-01-01 */" % NOW)
    print('#define KT_INCEPTION "%s"' % INCEPTION.strftime("%Y%m%d%H%M%S"))
    print('#define KT_EXPIRATION "%s"\n' % EXPIRATION.strftime("%Y%m%d%H%M%S"))
    print("/* The five DNSKEYs in RDATA order; the fifth signs. */")
    print("static const char *const kt_dnskey[5] = {")
    for d in dnskeys:
        print(c_string(d) + ",")
    print("};\n")
    print("/* The RRSIG of the DNSKEY set of all five. */")
    print("static const char kt_dnskey_sig5[] =\n%s;\n" %
          c_string(sign(five, sk, sd)))
    print("/* The RRSIG of the DNSKEY set of kt_dnskey[0..2] and [4]. */")
    print("static const char kt_dnskey_sig4[] =\n%s;\n" %
          c_string(sign(four, sk, sd)))
    print("/* Every other RRset of the zone and its RRSIG. */")
    print("static const char kt_body[] =\n%s;\n" % c_string(body))
    print("#endif")


if __name__ == "__main__":
    main()
