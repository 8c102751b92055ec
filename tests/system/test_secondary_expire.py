"""test_secondary_expire.py -- EDNS EXPIRE (RFC 7314, issue 14): Levee
answers the option on SOA (and transfer) queries, with the SOA's EXPIRE as
a primary and the time its copy has left as a secondary (`kdig +expire`);
it sends the option to its primaries and takes the primary's remaining
time, so a chain of Levee feeding Levee expires when the first copy does.
"""

import os
import re
import subprocess
import time

import dns.edns
import dns.message
import dns.rcode
import pytest

import levee_helpers as H
from test_secondary import FakePrimary, Knot, Secondary, write_zone


def kdig_expire(port, qtype="SOA", zone="a.test."):
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+expire",
                          "+tcp" if qtype == "AXFR" else "+notcp",
                          zone, qtype], capture_output=True, text=True,
                         timeout=20)
    m = re.search(r"EXPIRE: (\d+)", out.stdout)
    return int(m.group(1)) if m else None, out.stdout


@pytest.mark.asan
def test_expire_answered_primary_and_secondary(pool):
    """A primary zone: EXPIRE is its SOA's (86400); a secondary of knotd:
    what is left (at most 86400, counting down); AXFR messages carry it;
    a query without the option gets none."""
    d = str(pool.tmpdir)
    zf = os.path.join(d, "p.test.zone")
    write_zone(zf, "p.test.", 1, "192.0.2.1", expire=86400)
    port = H.free_port()
    pool.levee(["-z", "p.test=" + zf, "-l", "127.0.0.1@%d" % port, "-n",
                "1"])
    v, text = kdig_expire(port, zone="p.test.")
    assert v == 86400, text
    knot = Knot(pool, H.free_port(), serial=1, expire=7200)
    sec = Secondary(pool, knot.port)
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    v, text = kdig_expire(sec.port)
    assert v is not None and 7200 - 10 <= v <= 7200, text
    # kdig shows no OPT of a transfer: dnspython reads the AXFR's
    q = dns.message.make_query("a.test.", "AXFR", use_edns=0,
                               options=[dns.edns.GenericOption(9, b"")])
    r = H.tcp_msg(q, sec.port)
    exp = [o for o in r.options if o.otype == 9]
    assert exp and 7200 - 10 <= int.from_bytes(exp[0].data, "big") <= 7200
    r = H.udp_msg(dns.message.make_query("a.test.", "SOA", use_edns=0),
                  sec.port)
    assert not [o for o in r.options if o.otype == 9]


def test_chain_expires_with_the_first_copy(pool):
    """fake primary (SOA expire 6, refresh 1) -> Levee A -> Levee B. The
    primary goes at t0: A expires at t0 + 6; B refreshes from A every
    second meanwhile, but takes A's remaining time (EXPIRE), so it expires
    by t0 + 6 (+3) too, not 6 s after its last refresh from A."""
    fake = FakePrimary(1, "good")
    fake.expire = 6
    try:
        a = Secondary(pool, fake.port)
        assert a.wait_serial(1, 10 * H.SLOW), a.status()
        b = Secondary(pool, a.port)
        assert b.wait_serial(1, 10 * H.SLOW), b.status()
        t0 = time.monotonic()
        fake.close()
        v, text = kdig_expire(b.port)
        assert v is not None and v <= 6, text
        end = t0 + 20 * H.SLOW
        while time.monotonic() < end and b.serial() == 1:
            time.sleep(0.1)
        took = time.monotonic() - t0
        assert b.serial() is None, b.status()
        # + 3: each hop counts in whole seconds (the remaining time, the
        # timer); without EXPIRE it is 6 s after B's last refresh (~ 11)
        assert took <= 6 + 3, took
        assert b.counts()["uptodate"] >= 1   # it did refresh from A
        r = H.udp_msg(dns.message.make_query("www.a.test.", "A"), b.port)
        assert r.rcode() == dns.rcode.SERVFAIL
    finally:
        fake.close()
