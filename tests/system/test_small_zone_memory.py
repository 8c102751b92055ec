"""test_small_zone_memory.py -- many small zones cost what they hold
(issue 12, zones/arena.c, zones/zone_builder.c, zones/zload.c).

Before: every zone held an arena chunk of 256 KiB, mapped in whole, and an
index of 1,024 slots (8 KiB), and its builder 256 KiB more while it was
built: 4,000 zones of 10 records took 1.08 GB (270 KB a zone) where knotd
takes 24 MB.  Here levee starts once with one zone and once with ZONES
zones of 10 records each (the zones of bench/mkmany.py); VmHWM grows by
less than PER_ZONE_MAX bytes a zone (about 3 KB with the fix, 276 KB
before), and the first and the last zone answer with their own records.
The memory bound is checked in builds with the server's allocator
(jemalloc), not under a sanitizer, whose allocator pads every block.

Traffic goes to 127.0.0.1 only; every wait is bounded.
"""

import os

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

import levee_helpers as H

# Under a sanitizer: the loads and the answers (the memory bound is not).
pytestmark = pytest.mark.asan

ZONES = 2000
PER_ZONE_MAX = 16 * 1024
PARENTS = ["example", "test", "example.com", "example.net", "co.example"]


def zone_name(i):
    return "z%06d.%s." % (i, PARENTS[i % len(PARENTS)])


def www_addr(i):
    return "127.%d.%d.%d" % (16 + (i >> 16), (i >> 8) & 255, i & 255)


def write_zones(d, n):
    """n zone files of 10 records in d: [(origin, file)]."""
    out = []
    for i in range(n):
        name = zone_name(i)
        path = os.path.join(d, "%s.zone" % name.rstrip("."))
        with open(path, "w") as f:
            f.write("$ORIGIN %s\n$TTL 3600\n"
                    "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                    "@ IN NS ns1\n@ IN NS ns2\n@ IN MX 10 mail\n"
                    '@ IN TXT "v=spf1 -all" "zone %d"\n'
                    "ns1 IN A 127.0.0.1\nns2 IN A 127.0.0.2\n"
                    "www IN A %s\nwww IN AAAA ::1\n"
                    "mail IN A 127.32.%d.%d\n" % (
                        name, i, www_addr(i), (i >> 8) & 255, i & 255))
        out.append((name, path))
    return out


def hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


def start(pool, zones, tag):
    port = H.free_port()
    conf = H.levee_config(os.path.join(pool.tmpdir, "levee-%s.yaml" % tag),
                          ["127.0.0.1@%d" % port], zones=zones, reactors=1,
                          rate_limit=0)
    return port, pool.levee(["-c", conf], name="levee-" + tag,
                            timeout=60 * H.SLOW)


def check_www(port, i):
    q = dns.message.make_query("www." + zone_name(i), "A")
    r = H.udp_msg(q, port, timeout=2.0 * H.SLOW)
    assert r is not None, "no answer for zone %d" % i
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    got = [rd.address for rr in r.answer if rr.rdtype == dns.rdatatype.A
           for rd in rr]
    assert got == [www_addr(i)]


def test_small_zones_memory(pool, tmp_path):
    d = tmp_path / "zones"
    d.mkdir()
    zones = write_zones(str(d), ZONES)
    port1, one = start(pool, zones[:1], "one")
    check_www(port1, 0)
    hwm1 = hwm_kib(one.pid)
    one.stop()
    port, many = start(pool, zones, "many")
    for i in (0, 1, ZONES // 2, ZONES - 1):
        check_www(port, i)
    hwm = hwm_kib(many.pid)
    per_zone = (hwm - hwm1) * 1024 / (ZONES - 1)
    print("VmHWM 1 zone %d KiB, %d zones %d KiB: %.0f bytes a zone" % (
        hwm1, ZONES, hwm, per_zone))
    if not H.SANITIZED:
        assert per_zone < PER_ZONE_MAX, \
            "%.0f bytes a zone (VmHWM %d KiB with 1 zone, %d KiB with %d)" % (
                per_zone, hwm1, hwm, ZONES)
