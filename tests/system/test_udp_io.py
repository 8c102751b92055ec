"""test_udp_io.py -- the libuv UDP path (server: udp-io: libuv, udp_uv.c).

The default path (udp-io: mmsg, udp.c) is what the other system tests run;
here the same server runs with its UDP sockets in uv_udp_t handles: answers
over UDP (IPv4 and IPv6) from many client source ports must come back
correct, both reactors of -n 2 must see traffic (SO_REUSEPORT still shards),
TCP is unaffected, and a wildcard listen address is refused at start with
exit status 2 (libuv 1.44 gives no PKTINFO).  Every loop is bounded by a
count and a deadline; traffic goes to 127.0.0.1 and ::1 only.
"""

import os
import socket
import sys

import dns.message
import dns.rdatatype
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import levee_helpers as H  # noqa: E402

pytestmark = pytest.mark.asan

T = 3.0 * H.SLOW


def _has_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def _start(pool, tmp_path, listen, reactors=2, **server):
    # RRL off: one name is asked from many ports of one address on purpose.
    cfg = H.levee_config(str(tmp_path / "levee.yaml"), listen,
                         reactors=reactors, udp_io="libuv", rate_limit=0,
                         **server)
    return pool.levee(["-c", cfg])


def _many_ports(port, addr, nsocks, rounds):
    """rounds x one query per socket from nsocks source ports; returns how
    many were answered NOERROR with www.test. A 127.0.0.4."""
    q = dns.message.make_query("www.test.", "A")
    ids = {}

    def wire_for(s):
        q.id = (q.id + 1) & 0xFFFF
        ids[s] = q.id
        return q.to_wire()

    def answered_ok(s, data):
        r = dns.message.from_wire(data)
        rrs = [rr for rrset in r.answer for rr in rrset
               if rrset.rdtype == dns.rdatatype.A]
        return (r.id == ids[s] and r.rcode() == 0 and
                [rr.address for rr in rrs] == ["127.0.0.4"])

    return H.udp_many_ports(port, nsocks, rounds, wire_for, answered_ok,
                            addr=addr, timeout=T)


def test_libuv_path_answers_from_many_ports(pool, tmp_path):
    port = H.free_port()
    listen = ["127.0.0.1@%d" % port]
    v6 = _has_ipv6()
    if v6:
        listen.append("'::1@%d'" % port)   # quoted: YAML flow list
    p = _start(pool, tmp_path, listen)
    before = H.counters(p)
    assert sorted(before) == [0, 1], before

    n = H.FEW(200, 50)
    answered = _many_ports(port, "127.0.0.1", n, 5)
    assert answered >= 0.95 * n * 5, "only %d of %d answered" % (answered, n * 5)
    if v6:
        got = _many_ports(port, "::1", H.FEW(50, 20), 2)
        assert got >= 0.95 * H.FEW(50, 20) * 2, got
        answered += got

    # Both reactors took part: SO_REUSEPORT spreads source ports.
    after = H.counters(p)
    grew = {r: after[r]["udp-queries"] - before[r].get("udp-queries", 0)
            for r in (0, 1)}
    assert grew[0] > 0 and grew[1] > 0, (before, after)
    assert sum(grew.values()) >= answered, (grew, answered)

    # Other answers, big and small, over the same path, and TCP beside it.
    r = H.udp_msg(dns.message.make_query("nosuch.test.", "A"), port, timeout=T)
    assert r is not None and r.rcode() == 3   # NXDOMAIN
    r = H.udp_msg(dns.message.make_query("test.", "SOA", use_edns=0,
                                         payload=1232), port, timeout=T)
    assert r is not None and r.rcode() == 0 and r.answer
    r = H.tcp_msg(dns.message.make_query("www.test.", "A"), port, timeout=T)
    assert r is not None and r.rcode() == 0 and r.answer


def test_libuv_path_drops_garbage_and_keeps_answering(pool, tmp_path):
    port = H.free_port()
    # udp-bpf-filter off: user space must drop them (with it on, the
    # kernel drops the short ones first: test_bpf.py).
    p = _start(pool, tmp_path, ["127.0.0.1@%d" % port], reactors=1,
               udp_bpf_filter="off")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Empty, short, oversized (> 4096 bytes: dropped like udp.c does).
        for junk in (b"", b"\x00", b"\xff" * 11, b"\x12\x34" + b"\x00" * 5000):
            s.sendto(junk, ("127.0.0.1", port))
    finally:
        s.close()
    r = H.udp_msg(dns.message.make_query("www.test.", "A"), port, timeout=T)
    assert r is not None and r.rcode() == 0 and r.answer
    c = H.counters(p)
    assert c[0]["dropped"] >= 3, c


@pytest.mark.parametrize("addr", ["0.0.0.0", "::"])
def test_libuv_refuses_wildcard(tmp_path, addr):
    cfg = H.levee_config(str(tmp_path / "levee.yaml"),
                         ["'%s@5353'" % addr],
                         udp_io="libuv")
    r = H.run_levee(["--check", "-c", cfg])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "udp-io" in r.stderr and "wildcard" in r.stderr, r.stderr
    # The same from -l on top of a file saying udp-io: libuv.
    cfg2 = H.levee_config(str(tmp_path / "levee2.yaml"), ["127.0.0.1@5353"],
                          udp_io="libuv")
    r = H.run_levee(["--check", "-c", cfg2, "-l", "%s@5353" % addr])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "wildcard" in r.stderr and "udp-io: mmsg" in r.stderr, r.stderr
