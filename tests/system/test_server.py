"""test_server.py -- the real binary answering real clients (kdig, dig,
dnspython) over UDP and TCP, IPv4 and IPv6; reactor sharding with
SO_REUSEPORT; a wildcard listen address replying from the address the query
went to; SIGTERM.
"""

import os
import re
import signal
import socket
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import levee_helpers as H

T = 5 * H.SLOW  # client timeout, seconds


def zone_args():
    out = []
    for origin, path in H.ZONES:
        out += ["-z", "%s=%s" % (origin, path)]
    return out


@pytest.fixture(scope="module")
def srv(module_pool):
    port = H.free_port()
    p = module_pool.levee(zone_args() + ["-l", "127.0.0.1@%d" % port,
                                         "-l", "::1@%d" % port, "-n", "2"])
    return {"port": port, "proc": p}


def tool(argv, timeout=None):
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout or 4 * T, stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr


def kdig(port, *args, addr="127.0.0.1"):
    return tool(["kdig", "@%s" % addr, "-p", str(port), "+timeout=%d" % int(T),
                 "+retry=0"] + list(args))


def dig(port, *args, addr="127.0.0.1"):
    return tool(["dig", "@%s" % addr, "-p", str(port), "+time=%d" % int(T),
                 "+tries=1"] + list(args))


@pytest.mark.asan
@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_kdig_a(srv, transport):
    out = kdig(srv["port"], transport, "www.test.", "A")
    assert "status: NOERROR" in out, out
    assert re.search(r"(?i)flags: qr aa", out), out
    assert re.search(r"www\.test\.\s+3600\s+IN\s+A\s+127\.0\.0\.4", out), out


@pytest.mark.asan
@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_dig_nxdomain(srv, transport):
    out = dig(srv["port"], transport, "nx.test.", "A")
    assert "status: NXDOMAIN" in out, out
    assert re.search(r"(?i)flags: qr aa", out), out
    # The SOA of the zone in the authority section, TTL = min(TTL, minimum).
    assert re.search(r"test\.\s+300\s+IN\s+SOA\s+ns1\.test\. hostmaster\.test\. 2024010101", out), out


@pytest.mark.asan
def test_dig_referral(srv):
    out = dig(srv["port"], "+norecurse", "www.deleg.test.", "A")
    assert "status: NOERROR" in out, out
    assert re.search(r"flags: qr;", out), "a referral is not authoritative:\n" + out
    assert "ANSWER: 0" in out, out
    assert re.search(r"deleg\.test\.\s+3600\s+IN\s+NS\s+ns\.deleg\.test\.", out), out
    assert re.search(r"ns\.deleg\.test\.\s+3600\s+IN\s+A\s+127\.0\.0\.13", out), out
    assert re.search(r"ns\.deleg\.test\.\s+3600\s+IN\s+AAAA\s+::1", out), out


@pytest.mark.asan
def test_tc_over_udp_then_tcp(srv):
    out = dig(srv["port"], "+ignore", "+noedns", "big.test.", "TXT")
    assert re.search(r"flags: qr aa tc", out), out
    out = dig(srv["port"], "+ignore", "+bufsize=1232", "big.test.", "TXT")
    assert re.search(r"flags: qr aa tc", out), out
    # dig retries over TCP by itself and gets the whole RRset.
    out = dig(srv["port"], "+noedns", "big.test.", "TXT")
    assert "ANSWER: 10" in out, out
    out = kdig(srv["port"], "+tcp", "big.test.", "TXT")
    assert len(re.findall(r"big\.test\.\s+3600\s+IN\s+TXT", out)) == 10, out


@pytest.mark.asan
def test_dnspython_answers(srv):
    port = srv["port"]
    cases = [
        ("test.", "SOA", 0, 1), ("test.", "NS", 0, 2), ("test.", "MX", 0, 2),
        ("_sip._udp.test.", "SRV", 0, 1), ("test.", "CAA", 0, 1), ("ptr.test.", "PTR", 0, 1),
        ("unknown.test.", "TYPE65400", 0, 1), ("www.test.", "AAAA", 0, 1),
        ("www.test.", "MX", 0, 0), ("nx.test.", "A", 3, 0), ("ent.test.", "A", 0, 0),
        ("foo.wild.test.", "A", 0, 1), ("x.exists.wild.test.", "A", 3, 0),
        ("c1.test.", "A", 0, 4), ("www.sub.test.", "A", 0, 1),
    ]
    for name, qtype, rcode, nans in cases:
        q = dns.message.make_query(name, qtype, use_edns=0, payload=1232)
        for r in (dns.query.udp(q, "127.0.0.1", port=port, timeout=T),
                  dns.query.tcp(q, "127.0.0.1", port=port, timeout=T)):
            assert r.rcode() == rcode, (name, qtype, r)
            assert r.flags & dns.flags.AA, (name, qtype, r)
            assert sum(len(rr) for rr in r.answer) == nans, (name, qtype, r)
    r = dns.query.udp(dns.message.make_query("unknown.test.", "TYPE65400"), "127.0.0.1",
                      port=port, timeout=T)
    assert r.answer[0][0].to_text() == r"\# 4 0a000001", r


def test_ipv6(srv):
    q = dns.message.make_query("www.test.", "AAAA")
    r = dns.query.udp(q, "::1", port=srv["port"], timeout=T)
    assert r.rcode() == 0 and r.answer[0][0].address == "::1", r
    r = dns.query.tcp(q, "::1", port=srv["port"], timeout=T)
    assert r.rcode() == 0 and r.answer[0][0].address == "::1", r
    out = kdig(srv["port"], "www.test.", "A", addr="::1")
    assert re.search(r"www\.test\.\s+3600\s+IN\s+A\s+127\.0\.0\.4", out), out


def _sockets_of(pid, port, proto):
    out = subprocess.run(["ss", "-H", "-n", "-p", "-l", proto], capture_output=True,
                         text=True, timeout=10).stdout
    return [ln for ln in out.splitlines()
            if re.search(r"[:\]]%d\s" % port, ln) and "pid=%d," % pid in ln]


@pytest.mark.tsan
def test_sharding_two_reactors(pool):
    port = H.free_port()
    # RRL off: one name is asked from 200 ports of one address on purpose.
    conf = H.levee_config(os.path.join(pool.tmpdir, "shard-%d.yaml" % port),
                          ["127.0.0.1@%d" % port], reactors=2, rate_limit=0)
    p = pool.levee(["-c", conf])
    udp = _sockets_of(p.pid, port, "-u")
    tcp = _sockets_of(p.pid, port, "-t")
    assert len(udp) == 2, "want 2 UDP sockets (SO_REUSEPORT), ss says:\n" + "\n".join(udp)
    assert len(tcp) == 2, "want 2 TCP listeners (SO_REUSEPORT), ss says:\n" + "\n".join(tcp)

    before = H.counters(p)
    assert sorted(before) == [0, 1], before

    # 2000 queries from 200 source ports, 10 rounds of one query per socket.
    wire = dns.message.make_query("www.test.", "A").to_wire()
    answered = H.udp_many_ports(
        port, 200, 10, lambda s: wire,
        lambda s, data: dns.message.from_wire(data).rcode() == 0, timeout=T)
    assert answered >= 1900, "only %d of 2000 answered" % answered

    after = H.counters(p)
    for r in (0, 1):
        grew = after[r]["udp-queries"] - before[r].get("udp-queries", 0)
        assert grew > 0, "reactor %d answered nothing: before %s after %s" % (r, before, after)
    total = sum(after[r]["udp-queries"] - before[r].get("udp-queries", 0) for r in (0, 1))
    assert total >= answered, (total, answered, after)


@pytest.mark.tsan
def test_wildcard_listen_replies_from_destination(pool):
    port = H.free_port("0.0.0.0")
    pool.levee(zone_args() + ["-l", "0.0.0.0@%d" % port, "-n", "2"])
    wire = dns.message.make_query("www.test.", "A").to_wire()
    for addr in ("127.0.0.2", "127.0.0.1", "127.0.0.3"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((addr, 0))
            s.settimeout(T)
            s.sendto(wire, (addr, port))
            data, src = s.recvfrom(4096)
        finally:
            s.close()
        assert src == (addr, port), "reply to a query sent to %s came from %s" % (addr, src)
        assert dns.message.from_wire(data).answer, data
    r = dns.query.tcp(dns.message.make_query("www.test.", "A"), "127.0.0.2", port=port,
                      timeout=T, source="127.0.0.2")
    assert r.answer, r


@pytest.mark.tsan
def test_sigterm_exits_zero_quickly(pool):
    port = H.free_port()
    p = pool.levee(zone_args() + ["-l", "127.0.0.1@%d" % port, "-n", "2"])
    # Leave an open TCP connection: it must not hold the exit up.
    s = socket.create_connection(("127.0.0.1", port), timeout=T)
    try:
        r = dns.query.udp(dns.message.make_query("www.test.", "A"), "127.0.0.1",
                          port=port, timeout=T)
        assert r.answer
        t0 = time.monotonic()
        os.kill(p.pid, signal.SIGTERM)
        try:
            rc = p.p.wait(10 * H.SLOW)
        except subprocess.TimeoutExpired:
            pytest.fail("levee did not exit after SIGTERM:\n" + p.tail())
        elapsed = time.monotonic() - t0
    finally:
        s.close()
    assert rc == 0, "exit %s:\n%s" % (rc, p.tail())
    limit = 1.0 if not H.SANITIZED else 3.0
    assert elapsed <= limit, "exit took %.2fs" % elapsed
