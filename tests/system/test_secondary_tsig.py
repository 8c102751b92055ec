"""test_secondary_tsig.py -- TSIG on transfers in and NOTIFY in (issue 14,
RFC 8945 5.3.1): knotd as a primary that transfers only to requests signed
with a key. With the right key Levee's SOA query and transfers are signed
and every answer message is verified; with a wrong one the check fails, the
served version stays and the log says why; a NOTIFY from the keyed primary
without the key is NOTAUTH.
"""

import base64
import subprocess
import time

import dns.message
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import pytest

import levee_helpers as H
from test_secondary import Knot, Secondary, axfr_sorted, notify_msg

KEYNAME = "sec-key."
SECRET = base64.b64encode(bytes(range(1, 33))).decode()
WRONG = base64.b64encode(bytes(range(2, 34))).decode()


def signed_notify(secret):
    m = notify_msg()
    m.use_tsig(dns.tsigkeyring.from_text({KEYNAME: secret}), keyname=KEYNAME,
               algorithm=dns.tsig.HMAC_SHA256)
    return m


@pytest.mark.asan
def test_tsig_primary_right_key(pool):
    """knotd demands the key: AXFR at start, a change by knotd's signed
    NOTIFY and an IXFR, every message verified; the copies are equal."""
    lport = H.free_port()
    knot = Knot(pool, lport, serial=1, key=(KEYNAME, SECRET))
    sec = Secondary(pool, knot.port, port=lport, key=(KEYNAME, SECRET))
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    knot.change(2, "192.0.2.2", extra="new A 192.0.2.9")
    assert sec.wait_serial(2, 10 * H.SLOW), sec.status()
    c = sec.counts()
    assert c["axfr"] == 1 and c["ixfr"] == 1 and c["failed"] == 0, c
    assert sec.notify_in() >= 1
    assert sec.a("new.a.test.") == ["192.0.2.9"]
    # knotd's copy (asked with the key) is Levee's
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(knot.port),
                          "-y", "hmac-sha256:%s:%s" % (KEYNAME, SECRET),
                          "+nocomments", "+nostats", "+noheader",
                          "AXFR", "a.test."], capture_output=True,
                         text=True, timeout=20).stdout
    lines = sorted(set(" ".join(l.split()) for l in out.splitlines()
                       if l.strip() and not l.startswith(";")
                       and "TSIG" not in l.split()))
    assert lines == axfr_sorted(sec.port)
    # a NOTIFY from the primary's address without the key, or with a
    # wrong one: NOTAUTH; with the key: NOERROR
    r = H.udp_msg(notify_msg(), sec.port)
    assert r.rcode() == dns.rcode.NOTAUTH
    ring = dns.tsigkeyring.from_text({KEYNAME: SECRET})
    q = signed_notify(SECRET)
    r = dns.message.from_wire(H.udp_raw(q.to_wire(), sec.port),
                              keyring=ring, request_mac=q.mac)
    assert r.rcode() == dns.rcode.NOERROR and r.had_tsig


def test_tsig_primary_wrong_key(pool):
    """After a good AXFR, a reload gives Levee a wrong secret: the checks
    fail (knotd answers BADSIG), serial 1 stays served, the log and
    zone-status say why; the right key again: the change comes."""
    knot = Knot(pool, H.free_port(), serial=1, key=(KEYNAME, SECRET))
    sec = Secondary(pool, knot.port, key=(KEYNAME, SECRET))
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    with open(sec.conf) as f:
        good = f.read()
    with open(sec.conf, "w") as f:
        f.write(good.replace(SECRET, WRONG))
    assert sec.ctl("reload").returncode == 0
    knot.change(2, "192.0.2.2")
    before = sec.counts()["failed"]
    assert sec.ctl("refresh", "a.test").returncode == 0
    end = time.monotonic() + 10 * H.SLOW
    while time.monotonic() < end and sec.counts()["failed"] <= before:
        time.sleep(0.05)
    assert sec.counts()["failed"] > before, sec.status()
    assert sec.serial() == 1
    assert sec.a("www.a.test.") == ["192.0.2.1"]
    assert "BADSIG" in sec.status(), sec.status()
    assert "BADSIG" in sec.proc.text()
    with open(sec.conf, "w") as f:
        f.write(good)
    assert sec.ctl("reload").returncode == 0
    assert sec.ctl("refresh", "a.test").returncode == 0
    assert sec.wait_serial(2, 10 * H.SLOW), sec.status()
