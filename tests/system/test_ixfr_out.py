"""test_ixfr_out.py -- IXFR out from the journal (RFC 1995, issue 13): against
the real binary, dnspython's IXFR client and a knotd secondary.

Levee runs with a journal; each reload that raises the serial stores the
difference; an IXFR from a journaled serial gets the condensed
differences (a record added and removed in between does not appear), one
from our serial the SOA alone, one from a serial the journal does not reach
the whole zone AXFR-style; the counter xfrout-ixfr tells them apart. A
knotd secondary follows reloads with IXFR and ends with the same records.
"""

import json
import os
import signal
import subprocess

import dns.message
import dns.query
import dns.rdatatype
import dns.rcode
import pytest

import levee_helpers as H
from test_axfr_out import knotd_secondary, sorted_axfr, wait_serial
from test_reload import ctl_bin

ZONE = """$ORIGIN x.test.
$TTL 300
@	SOA	ns1 hostmaster {serial} 3600 900 604800 300
@	NS	ns1
ns1	A	127.0.0.1
{body}"""


def write(path, serial, body):
    with open(path, "w") as f:
        f.write(ZONE.format(serial=serial, body=body))
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))


class Primary:
    def __init__(self, pool, zone_file, notify_port=None):
        self.port = H.free_port()
        self.sock = os.path.join(pool.tmpdir, "ixfr-%d.sock" % self.port)
        self.conf = os.path.join(pool.tmpdir, "ixfr-%d.yaml" % self.port)
        jdir = os.path.join(pool.tmpdir, "journal-%d" % self.port)
        remote = notify = ""
        if notify_port:
            remote = ("remote:\n  - id: sec\n    address: 127.0.0.1@%d\n"
                      % notify_port)
            notify = "    notify: sec\n"
        with open(self.conf, "w") as f:
            f.write("server:\n  listen: [127.0.0.1@%d]\n  reactors: 1\n"
                    "rate-limit:\n  responses-per-second: 0\n"
                    "acl:\n  - id: xfr\n    address: 127.0.0.1\n"
                    "    action: transfer\n%s"
                    "control:\n  listen: %s\n"
                    "database:\n  journal-db: %s\n"
                    "zones:\n  - domain: x.test\n    file: %s\n"
                    "    acl: xfr\n%s"
                    % (self.port, remote, self.sock, jdir, zone_file, notify))
        self.proc = pool.levee(["-c", self.conf])

    def ctl(self, *args):
        return subprocess.run([ctl_bin(), "-s", self.sock] + list(args),
                              capture_output=True, text=True,
                              timeout=60 * H.SLOW)

    def reload(self):
        out = self.ctl("reload")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "1 reloaded" in out.stdout, out.stdout

    def counter(self, name):
        return json.loads(self.ctl("stats").stdout)["total"][name]


def ixfr(port, serial):
    """(list of (name, ttl, type, rdata text) in order, answer count) of an
    IXFR from serial, through dnspython's client."""
    recs = []
    for m in dns.query.xfr("127.0.0.1", "x.test.", rdtype=dns.rdatatype.IXFR,
                           serial=serial, port=port, timeout=10 * H.SLOW,
                           lifetime=30 * H.SLOW, relativize=False):
        assert m.rcode() == dns.rcode.NOERROR
        for rrset in m.answer:
            for rr in rrset:
                recs.append((rrset.name.to_text(), rrset.ttl, rrset.rdtype,
                             rr.to_text()))
    return recs


@pytest.mark.asan
def test_ixfr_condensed_from_journal(pool):
    z = os.path.join(pool.tmpdir, "x.zone")
    write(z, 1, "a\tA\t127.0.0.1\nb\tTXT\t\"keep\"\n")
    p = Primary(pool, z)
    write(z, 2, "a\tA\t127.0.0.2\nb\tTXT\t\"keep\"\ntmp\tA\t127.0.0.9\n")
    p.reload()
    write(z, 3, "a\tA\t127.0.0.2\nb\tTXT\t\"keep\"\nc\tMX\t10 a\n")
    p.reload()
    recs = ixfr(p.port, 1)
    types = [r[2] for r in recs]
    soas = [i for i, t in enumerate(types) if t == dns.rdatatype.SOA]
    # SOA 3, SOA 1, removals, SOA 3, additions, SOA 3
    assert len(soas) == 4, recs
    serials = [int(recs[i][3].split()[2]) for i in soas]
    assert serials == [3, 1, 3, 3], serials
    removed = set(recs[soas[1] + 1:soas[2]])
    added = set(recs[soas[2] + 1:soas[3]])
    assert removed == {("a.x.test.", 300, dns.rdatatype.A, "127.0.0.1")}
    assert added == {("a.x.test.", 300, dns.rdatatype.A, "127.0.0.2"),
                     ("c.x.test.", 300, dns.rdatatype.MX, "10 a.x.test.")}
    # tmp came and went between 1 and 3: condensed away
    assert not any(r[0].startswith("tmp.") for r in recs)
    assert p.counter("xfrout-ixfr") == 1
    # from 2: one step
    recs = ixfr(p.port, 2)
    assert ("tmp.x.test.", 300, dns.rdatatype.A, "127.0.0.9") in recs
    assert p.counter("xfrout-ixfr") == 2


def test_ixfr_current_unknown_and_axfr_style(pool):
    z = os.path.join(pool.tmpdir, "x.zone")
    write(z, 10, "a\tA\t127.0.0.1\n")
    p = Primary(pool, z)
    write(z, 11, "a\tA\t127.0.0.2\n")
    p.reload()
    # current: the SOA alone
    recs = ixfr(p.port, 11)
    assert len(recs) == 1 and recs[0][2] == dns.rdatatype.SOA
    # a serial the journal does not reach: the whole zone AXFR-style
    recs = ixfr(p.port, 5)
    assert ("a.x.test.", 300, dns.rdatatype.A, "127.0.0.2") in recs
    assert sum(1 for r in recs if r[2] == dns.rdatatype.SOA) == 2
    assert p.counter("xfrout-ixfr") == 0
    # across a restart the journal answers
    p.proc.stop()
    p2 = Primary.__new__(Primary)
    p2.__dict__.update(p.__dict__)
    p2.proc = pool.levee(["-c", p.conf])
    recs = ixfr(p2.port, 10)
    assert ("a.x.test.", 300, dns.rdatatype.A, "127.0.0.1") in recs
    assert p2.counter("xfrout-ixfr") == 1


def test_knotd_secondary_follows_with_ixfr(pool):
    """knotd 3.2 as a secondary: AXFR first, then NOTIFY after each reload
    and IXFR; its copy ends as Levee's, and Levee counted IXFRs."""
    z = os.path.join(pool.tmpdir, "x.zone")
    write(z, 1, "".join("h%d\tA\t127.0.%d.%d\n" % (i, i >> 8, i & 255)
                        for i in range(300)))
    sport = H.free_port()
    p = Primary(pool, z, notify_port=sport)
    sec_port, sec = knotd_secondary_on(pool, p.port, sport)
    wait_serial(sec_port, "x.test.", 1, 30 * H.SLOW, sec)
    for serial in (2, 3):
        write(z, serial, "".join("h%d\tA\t127.0.%d.%d\n" % (i, i >> 8, i & 255)
                                 for i in range(300) if i != serial) +
              "new%d\tAAAA\t::1\n" % serial)
        p.reload()
        wait_serial(sec_port, "x.test.", serial, 30 * H.SLOW, sec)
    assert sorted_axfr(sec_port, "x.test.") == sorted_axfr(p.port, "x.test.")
    assert p.counter("xfrout-ixfr") == 2


def knotd_secondary_on(pool, primary_port, port):
    """knotd_secondary() of test_axfr_out on a given port (Levee's NOTIFY
    goes there)."""
    orig = H.free_port
    H.free_port = lambda *a, **k: port
    try:
        return knotd_secondary(pool, primary_port, ["x.test."])
    finally:
        H.free_port = orig
