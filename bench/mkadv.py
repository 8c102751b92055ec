#!/usr/bin/python3
"""mkadv.py -- writes bench/adversarial.zone, the zone of bench/adversarial.

The zone adv.test. holds the data behind the worst queries anyone has
thought of (bench/adversarial.c lists the queries): DNAMEs whose owner and
target have the same length (so a 255-octet qname of one-octet labels
still fits after the substitution) and a chain of five, CNAME chains of
255-octet names, wildcards under which the longest names exist, the
largest RRsets (TXT filling a 64 KiB TCP reply, MX sets of names that
miss the compression table only in their last octet), MX sets with many
in-zone targets (many additional records), delegations with many NS and
glue, SRV and PTR with long names in RDATA, a name with many types.
Every address is on loopback. Deterministic: two runs write the same file.

usage: bench/mkadv.py > bench/adversarial.zone
"""
import sys

ORIGIN = "adv.test."


def wlen(name):
    """Wire length of an absolute presentation name (no escapes)."""
    return 1 + sum(1 + len(l) for l in name.rstrip(".").split("."))


def fill(label, suffix, total=255):
    """One-octet labels `label` in front of suffix, as many as fit total."""
    k = (total - wlen(suffix)) // 2
    return (label + ".") * k + suffix


def main():
    out = []
    w = out.append
    w("; adversarial.zone -- the zone of bench/adversarial (written by")
    w("; bench/mkadv.py; edit that, not this file). Loopback addresses only.")
    w("$ORIGIN adv.test.")
    w("$TTL 3600")
    w("@ SOA ns1 hostmaster 1 7200 3600 1209600 300")
    w("@ NS ns1")
    w("@ NS ns2")
    w("ns1 A 127.0.0.1")
    w("ns1 AAAA ::1")
    w("ns2 A 127.0.0.2")
    w("ns2 AAAA ::1")
    w("www A 127.0.0.10")
    w("www AAAA ::1")

    w("; DNAME, owner and target of one length; a wildcard below the target")
    w("d DNAME t.adv.test.")
    w("*.t A 127.0.0.11")
    w("; a chain of five DNAMEs")
    for i in range(1, 6):
        w(f"d{i} DNAME d{i + 1}.adv.test.")
    w("*.d6 A 127.0.0.12")

    w("; CNAME chains: short names, then 255-octet names")
    for i in range(1, 6):
        w(f"s{i} CNAME s{i + 1}")
    w("s6 A 127.0.0.13")
    longc = [fill("y", f"c{i}.adv.test.") for i in range(1, 7)]
    w(f"c1 CNAME {longc[1]}")
    for i in range(0, 5):
        w(f"{longc[i]} CNAME {longc[i + 1]}")
    w(f"{longc[5]} A 127.0.0.14")

    w("; wildcards")
    w("*.w A 127.0.0.15")
    w("*.w TXT \"wildcard\"")
    w("*.w MX 10 mx01.adv.test.")
    w(f"*.wc CNAME {fill('z', 'wt.adv.test.')}")
    w("*.wt A 127.0.0.16")

    w("; the largest RRset: 240 TXT of 255 octets fill a 64 KiB TCP reply")
    for i in range(240):
        w(f"bigtxt TXT \"{('%03d' % i) + 'x' * 252}\"")

    w("; MX names that match the compression table's entries (the qname's")
    w("; one-octet labels) in every label but the last octet of the last")
    for i in range(16):
        w(f"*.nm MX {i} {fill('x', 'nm.adv.tesu.', 255 - 2 * (i % 4))}")
        w(f"nmshort MX {i} {fill('x', 'nm.adv.tesu.', 255 - 2 * (i % 4))}")

    w("; many additional records: 32 in-zone MX targets with A and AAAA,")
    w("; and 8 with 255-octet names")
    for i in range(1, 33):
        w(f"mx MX {i} mx{i:02d}")
        w(f"mx{i:02d} A 127.0.1.{i}")
        w(f"mx{i:02d} AAAA ::1")
    for i in range(1, 9):
        t = fill("q", f"mxl{i}.adv.test.")
        w(f"mxl MX {i} {t}")
        w(f"{t} A 127.0.2.{i}")
        w(f"{t} AAAA ::1")

    w("; delegations: 13 NS with A and AAAA glue; 13 NS with long names")
    for i in range(1, 14):
        w(f"deleg NS ns{i:02d}.deleg")
        w(f"ns{i:02d}.deleg A 127.0.3.{i}")
        w(f"ns{i:02d}.deleg AAAA ::1")
    w("deleg DS 12345 13 2 1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A7988")
    for i in range(1, 14):
        n = fill("g", f"n{i:02d}.delegl.adv.test.", 200)
        w(f"delegl NS {n}")
        w(f"{n} A 127.0.4.{i}")
        w(f"{n} AAAA ::1")

    w("; long names in RDATA: SRV (not compressed, a compression target),")
    w("; PTR (compressed), RP (not compressed)")
    srvt = fill("s", "srvt.adv.test.")
    w(f"_s._tcp SRV 0 0 53 {srvt}")
    w(f"{srvt} A 127.0.0.17")
    w(f"{srvt} AAAA ::1")
    for i in range(32):
        w(f"ptrs PTR {fill('p', f'p{i:02d}.example.', 250)}")
    w(f"rp RP {fill('r', 'rp.adv.test.', 200)} {fill('r', 'rq.adv.test.', 200)}")

    w("; many types at one name")
    w("any A 127.0.0.18")
    w("any AAAA ::1")
    w("any TXT \"any\"")
    w("any MX 10 mx01")
    w("any SRV 0 0 53 www")
    w("any HINFO \"cpu\" \"os\"")
    w("any NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:x@adv.test!\" .")
    w("any CAA 0 issue \"ca.example.net\"")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
