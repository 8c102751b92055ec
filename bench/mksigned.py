#!/usr/bin/python3
"""mksigned.py -- the signed zones and the DO=1 query mix of bench/signed-compare.

Signs bench/mkzone.py's zones (which must already be in DIR) the way the
system tests sign theirs (tests/system/dnssec_zones.py): algorithm 13
(ECDSA P-256), one KSK and one ZSK made by dnssec-keygen, dnssec-signzone
with NSEC3, no salt and 0 extra iterations (RFC 9276), signatures valid
from an hour ago for 30 days. Writes into DIR/signed/:

  small.signed   small.zone (example.com, 10,000 names, a wildcard
                 *.wild) signed, with dnssec-signzone's own verification
  small.queries  the DO=1 mix, lvload's format with expectations (fixed
                 seed): 40% NXDOMAIN (random names under the apex), 35%
                 positive (an existing name and one of its types), 10%
                 wildcard answers, 10% NODATA at an existing name (MX or
                 TXT it lacks), 5% wildcard NODATA (MX under *.wild)
  large.signed   large.zone (big.test, 1,000,000 records) signed; slow
                 (minutes), so made only with "large" and kept
  large.last     "NAME TYPE" of a record of large.signed (unchanged names:
                 the last record of large.zone)
  keys-ORIGIN/   the keys, made once and reused

A signed file is kept while it is newer than its source and this script
and younger than 14 days (its signatures last 30), so a run signs
nothing most of the time. Prints the seconds each signing took.
usage: mksigned.py DIR [small|large|all]
"""
import os
import random
import shutil
import subprocess
import sys
import time

KEEP_DAYS = 14


def run(argv, cwd, timeout=3600):
    """argv in cwd; its stdout, stripped. Exits with its stderr if it fails.
    Also used by bench/aggressive_nsec.py."""
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    if r.returncode != 0:
        sys.exit("%s: %s" % (" ".join(argv),
                             r.stderr.decode("utf-8", "replace")))
    return r.stdout.decode().strip()


def keys(sdir, origin):
    """(kdir, [ksk, zsk]): origin's algorithm 13 KSK and ZSK, made once by
    dnssec-keygen in sdir/keys-ORIGIN/ and reused (their base names are
    kept in its file "names"). Also used by bench/aggressive_nsec.py."""
    kdir = os.path.join(sdir, "keys-" + origin)
    names = os.path.join(kdir, "names")
    if os.path.exists(names):
        with open(names) as f:
            return kdir, f.read().split()
    shutil.rmtree(kdir, ignore_errors=True)
    os.makedirs(kdir)
    ksk = run(["dnssec-keygen", "-q", "-K", kdir, "-a", "13", "-f", "KSK",
               origin], kdir)
    zsk = run(["dnssec-keygen", "-q", "-K", kdir, "-a", "13", origin], kdir)
    with open(names, "w") as f:
        f.write("%s %s\n" % (ksk, zsk))
    return kdir, [ksk, zsk]


def fresh(out, src):
    if not os.path.exists(out):
        return False
    m = os.path.getmtime(out)
    return (m > os.path.getmtime(src) and m > os.path.getmtime(__file__)
            and time.time() - m < KEEP_DAYS * 86400)


def sign(sdir, origin, src, out, verify):
    if fresh(out, src):
        print("%s: kept (%s)" % (out, time.ctime(os.path.getmtime(out))))
        return
    kdir, (ksk, zsk) = keys(sdir, origin)
    # the keys' DNSKEYs join the zone: a copy of the source with them
    # included, as dnssec_zones.py writes its zones
    unsigned = os.path.join(sdir, origin + "zone")
    with open(unsigned, "w") as f, open(src) as s:
        shutil.copyfileobj(s, f)
        for k in (ksk, zsk):
            f.write("$INCLUDE %s.key\n" % os.path.join(kdir, k))
    argv = ["dnssec-signzone", "-q", "-o", origin, "-s", "now-3600",
            "-e", "now+2592000", "-3", "-", "-H", "0", "-N", "keep",
            "-K", kdir, "-f", out + ".tmp"]
    if not verify:
        argv.append("-P")
    argv += [unsigned, os.path.join(kdir, ksk), os.path.join(kdir, zsk)]
    t0 = time.monotonic()
    run(argv, sdir)
    os.rename(out + ".tmp", out)
    os.unlink(unsigned)
    print("%s: signed in %.1f s" % (out, time.monotonic() - t0))


def small_queries(src, out, origin, rnd):
    """The names and types of small.zone, read back from the file."""
    types = {}
    with open(src) as f:
        for line in f:
            w = line.split()
            if len(w) >= 4 and w[0].startswith("host") and w[1] == "IN":
                types.setdefault(w[0], set()).add(w[2])
    names = sorted(types, key=lambda n: int(n[4:]))
    with open(out, "w") as f:
        for _ in range(100000):
            r = rnd.random()
            if r < 0.40:
                f.write("nx%x.%s. A NXDOMAIN\n" % (rnd.randrange(1 << 30),
                                                   origin))
            elif r < 0.75:
                n = names[rnd.randrange(len(names))]
                t = rnd.choice(sorted(types[n]))
                f.write("%s.%s. %s NOERROR\n" % (n, origin, t))
            elif r < 0.85:
                t = "A" if rnd.random() < 0.65 else "AAAA"
                f.write("w%x.wild.%s. %s NOERROR\n" % (
                    rnd.randrange(1 << 30), origin, t))
            elif r < 0.95:
                while True:
                    n = names[rnd.randrange(len(names))]
                    lack = sorted({"MX", "TXT"} - types[n])
                    if lack:
                        break
                f.write("%s.%s. %s NODATA\n" % (n, origin, rnd.choice(lack)))
            else:
                f.write("w%x.wild.%s. MX NODATA\n" % (rnd.randrange(1 << 30),
                                                      origin))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = os.path.abspath(sys.argv[1])
    what = sys.argv[2] if len(sys.argv) > 2 else "small"
    sdir = os.path.join(d, "signed")
    os.makedirs(sdir, exist_ok=True)
    if what in ("small", "all"):
        src = os.path.join(d, "small.zone")
        sign(sdir, "example.com.", src, os.path.join(sdir, "small.signed"),
             True)
        small_queries(src, os.path.join(sdir, "small.queries"),
                      "example.com", random.Random(15))
    if what in ("large", "all"):
        src = os.path.join(d, "large.zone")
        sign(sdir, "big.test.", src, os.path.join(sdir, "large.signed"),
             False)
        shutil.copyfile(os.path.join(d, "large.last"),
                        os.path.join(sdir, "large.last"))


if __name__ == "__main__":
    main()
