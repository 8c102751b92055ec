#!/usr/bin/python3
"""mkzone.py -- deterministic zones and query files for bench/compare.

Writes into OUTDIR:
  small.zone     ~10,000 names under ORIGIN: A and AAAA each, MX on every
                 10th, TXT on every 7th, and a wildcard *.wild.ORIGIN (A, AAAA)
  small.queries  dnsperf format plus an expected-outcome column (lvload):
                 75% existing names, 15% wildcard hits, 10% NXDOMAIN
  large.zone     1,000,000 records under LARGE_ORIGIN (A on every name, AAAA
                 on every other)
  large.queries  existing names of the large zone, NOERROR
  large.last     "NAME TYPE" of the large zone file's last record

The seed is fixed, so two runs write identical files.
usage: mkzone.py OUTDIR [ORIGIN] [LARGE_ORIGIN] [SMALL_NAMES] [LARGE_RECORDS]
"""
import os
import random
import sys


def header(f, origin):
    f.write(f"$ORIGIN {origin}.\n$TTL 3600\n")
    f.write(f"@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600\n")
    f.write("@ IN NS ns1\n@ IN NS ns2\n")
    f.write("ns1 IN A 192.0.2.1\nns2 IN A 192.0.2.2\n")


def small(outdir, origin, n, rnd):
    names = []
    with open(os.path.join(outdir, "small.zone"), "w") as f:
        header(f, origin)
        f.write("*.wild IN A 192.0.2.99\n*.wild IN AAAA 2001:db8::99\n")
        for i in range(n):
            name = f"host{i}"
            types = ["A", "AAAA"]
            f.write(f"{name} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n")
            f.write(f"{name} IN AAAA 2001:db8::{i >> 16:x}:{i & 0xffff:x}\n")
            if i % 10 == 0:
                f.write(f"{name} IN MX 10 mail.{name}\n")
                types.append("MX")
            if i % 7 == 0:
                f.write(f'{name} IN TXT "v=spf1 ip4:10.0.0.0/8 -all" "id {i}"\n')
                types.append("TXT")
            names.append((name, types))
    nq = 100000
    with open(os.path.join(outdir, "small.queries"), "w") as f:
        for _ in range(nq):
            r = rnd.random()
            if r < 0.75:
                name, types = names[rnd.randrange(len(names))]
                t = rnd.choice(types) if rnd.random() < 0.2 else \
                    ("A" if rnd.random() < 0.65 else "AAAA")
                f.write(f"{name}.{origin} {t} NOERROR\n")
            elif r < 0.90:
                t = "A" if rnd.random() < 0.65 else "AAAA"
                f.write(f"w{rnd.randrange(1 << 30):x}.wild.{origin} {t} NOERROR\n")
            else:
                f.write(f"nx{rnd.randrange(1 << 30):x}.{origin} A NXDOMAIN\n")


def large(outdir, origin, records, rnd):
    count = 0
    i = 0
    last = None
    with open(os.path.join(outdir, "large.zone"), "w") as f:
        header(f, origin)
        count = 5
        while count < records:
            name = f"r{i}"
            f.write(f"{name} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n")
            count += 1
            last = (name, "A")
            if i % 2 == 0 and count < records:
                f.write(f"{name} IN AAAA 2001:db8::{i >> 16:x}:{i & 0xffff:x}\n")
                count += 1
                last = (name, "AAAA")
            i += 1
    with open(os.path.join(outdir, "large.last"), "w") as f:
        f.write(f"{last[0]}.{origin} {last[1]}\n")
    with open(os.path.join(outdir, "large.queries"), "w") as f:
        for _ in range(100000):
            j = rnd.randrange(i)
            t = "AAAA" if j % 2 == 0 and rnd.random() < 0.5 else "A"
            f.write(f"r{j}.{origin} {t} NOERROR\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    origin = sys.argv[2] if len(sys.argv) > 2 else "example.com"
    lorigin = sys.argv[3] if len(sys.argv) > 3 else "big.test"
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    records = int(sys.argv[5]) if len(sys.argv) > 5 else 1000000
    os.makedirs(outdir, exist_ok=True)
    small(outdir, origin, n, random.Random(4))
    large(outdir, lorigin, records, random.Random(44))


if __name__ == "__main__":
    main()
