"""test_cookies.py -- DNS Cookies (RFC 7873, RFC 9018) against the real
binary: kdig and dig learn a server cookie and are accepted when they send
it back (the cookie-valid counter must grow, so an ignored cookie cannot
pass); `require: on` sends TC to a cookie-less UDP query and BADCOOKIE to a
client cookie alone, while dig (which retries with the new cookie) gets its
answer; two servers with the same secret accept each other's cookies; a
valid cookie exempts a client from response rate limiting while a
cookie-less one from the same address is limited, and the RRL slip to a
client cookie is BADCOOKIE.  Traffic to 127.0.0.1 only; every loop bounded.
"""

import re
import socket
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest

import levee_helpers as H

T = 5 * H.SLOW
SECRET = "5f2d8f0c1a3b4c5d6e7f8091a2b3c4d5"
CLIENT = bytes.fromhex("0102030405060708")


def start(pool, name, cookies, rate_limit=None):
    """Levee with one reactor and the given cookies: (and rate-limit:)
    sections, checked like every levee process for a clean exit at stop."""
    extra = "cookies:\n" + "".join("  %s: %s\n" % kv for kv in cookies.items())
    if rate_limit:
        extra += "rate-limit:\n" + "".join(
            "  %s: %s\n" % kv for kv in rate_limit.items())
    return H.start_levee_extra(pool, extra, reactors=1, name=name)


def query(name="www.test.", rdtype="A", cookie=None, edns=True):
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else None)
    if cookie is not None:
        q.use_edns(0, options=[dns.edns.GenericOption(10, cookie)])
    return q


def reply_cookie(r):
    for o in r.options:
        if o.otype == 10:
            return o.data
    return None


def burst(msg, port, n):
    """Sends n copies of msg back to back from one socket (one second
    holds them all, so the limit cannot refill); returns the replies
    counted within a bounded wait."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(0.5 * H.SLOW)
        wire = msg.to_wire()
        for _ in range(n):
            s.sendto(wire, ("127.0.0.1", port))
        got = 0
        for _ in range(n):
            try:
                s.recvfrom(65535)
                got += 1
            except socket.timeout:
                break
        return got
    finally:
        s.close()


total = H.counter_total


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=20 * H.SLOW, stdin=subprocess.DEVNULL).stdout


def cookie_of(text):
    m = re.search(r"COOKIE: ([0-9A-Fa-f]+)", text)
    assert m, text
    return m.group(1).lower()


@pytest.mark.asan
def test_dnspython_learn_and_return(pool):
    port, p = start(pool, "plain", {"secret": SECRET})
    r = H.udp_msg(query(cookie=CLIENT), port, timeout=T)
    assert r is not None and r.rcode() == dns.rcode.NOERROR and r.answer
    c = reply_cookie(r)
    assert c is not None and len(c) == 24 and c[:8] == CLIENT
    assert c[8] == 1 and c[9:12] == b"\0\0\0"
    before = total(p, "cookie-valid")
    r2 = H.udp_msg(query(cookie=c), port, timeout=T)
    assert r2.rcode() == dns.rcode.NOERROR and r2.answer
    assert reply_cookie(r2) == c      # fresh: echoed
    # the same cookie from TCP is valid too
    r3 = H.tcp_msg(query(cookie=c), port, timeout=T)
    assert r3.rcode() == dns.rcode.NOERROR and reply_cookie(r3) == c
    assert total(p, "cookie-valid") == before + 2
    # tampered: answered (require off), counted invalid, a fresh cookie
    bad = c[:-1] + bytes([c[-1] ^ 1])
    r4 = H.udp_msg(query(cookie=bad), port, timeout=T)
    assert r4.rcode() == dns.rcode.NOERROR
    fresh = reply_cookie(r4)   # minted now: the timestamp may differ
    assert fresh != bad and fresh[:8] == CLIENT and len(fresh) == 24
    assert total(p, "cookie-invalid") == 1
    # malformed lengths: FORMERR
    for n in (7, 9, 15, 41):
        r5 = H.udp_msg(query(cookie=bytes(range(n))), port, timeout=T)
        assert r5.rcode() == dns.rcode.FORMERR, n
    # QDCOUNT 0 with a cookie: NOERROR and a server cookie (RFC 7873 5.4)
    q = query(cookie=CLIENT)
    q.question = []
    r6 = H.udp_msg(q, port, timeout=T)
    assert r6.rcode() == dns.rcode.NOERROR and not r6.question
    assert reply_cookie(r6)[:8] == CLIENT and len(reply_cookie(r6)) == 24
    counts = H.counters(p)[0]
    assert counts["cookie-client-only"] >= 2 and counts["badcookie"] == 0


def test_kdig_and_dig(pool):
    port, p = start(pool, "tools", {"secret": SECRET})
    at = ["@127.0.0.1", "-p", str(port)]
    out = run(["kdig"] + at + ["+cookie", "www.test.", "A"])
    assert "NOERROR" in out
    c = cookie_of(out)
    assert len(c) == 48
    before = total(p, "cookie-valid")
    out = run(["kdig"] + at + ["+cookie=" + c, "www.test.", "A"])
    assert "NOERROR" in out and cookie_of(out) == c
    assert total(p, "cookie-valid") == before + 1

    out = run(["dig"] + at + ["+cookie", "www.test.", "A"])
    assert "status: NOERROR" in out and "(good)" in out
    c = cookie_of(out)
    out = run(["dig"] + at + ["+cookie=" + c, "www.test.", "A"])
    assert "status: NOERROR" in out and cookie_of(out) == c
    assert total(p, "cookie-valid") == before + 2


def test_require(pool):
    port, p = start(pool, "require",
                    {"secret": SECRET, "require": "on"})
    # no cookie at all: TC, nothing else
    r = H.udp_msg(query(edns=False), port, timeout=T)
    assert r.flags & dns.flags.TC and not r.answer
    r = H.udp_msg(query(), port, timeout=T)
    assert r.flags & dns.flags.TC and not r.answer
    # over TCP the address is proven: answered
    r = H.tcp_msg(query(), port, timeout=T)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # a client cookie alone: BADCOOKIE with a fresh server cookie
    r = H.udp_msg(query(cookie=CLIENT), port, timeout=T)
    assert r.rcode() == dns.rcode.BADCOOKIE and not r.answer
    c = reply_cookie(r)
    assert c is not None and len(c) == 24
    # sent back: answered
    r = H.udp_msg(query(cookie=c), port, timeout=T)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # dig retries BADCOOKIE with the new cookie and gets its answer
    out = run(["dig", "@127.0.0.1", "-p", str(port), "+cookie", "+notcp",
               "+noignore", "www.test.", "A"])
    assert "status: NOERROR" in out, out
    assert re.search(r"www\.test\.\s+\d+\s+IN\s+A\s", out), out
    counts = H.counters(p)[0]
    assert counts["badcookie"] >= 2
    assert counts["cookie-valid"] >= 2
    assert counts["cookie-none"] >= 3


def test_anycast_shared_secret(pool):
    """Two nodes with the same secret (and two with the same master key)
    accept each other's cookies; a node with another secret does not."""
    a_port, a = start(pool, "node-a", {"secret": SECRET})
    b_port, b = start(pool, "node-b", {"secret": SECRET})
    o_port, o = start(pool, "other",
                      {"secret": "00" * 16})
    c = reply_cookie(H.udp_msg(query(cookie=CLIENT), a_port, timeout=T))
    r = H.udp_msg(query(cookie=c), b_port, timeout=T)
    assert r.rcode() == dns.rcode.NOERROR and reply_cookie(r) == c
    assert total(b, "cookie-valid") == 1
    H.udp_msg(query(cookie=c), o_port, timeout=T)
    assert total(o, "cookie-invalid") == 1

    mk = "ab" * 32
    m1_port, m1 = start(pool, "mk-1",
                        {"master-key": mk, "lifetime": 86400})
    m2_port, m2 = start(pool, "mk-2",
                        {"master-key": mk, "lifetime": 86400})
    c = reply_cookie(H.udp_msg(query(cookie=CLIENT), m1_port, timeout=T))
    r = H.udp_msg(query(cookie=c), m2_port, timeout=T)
    assert reply_cookie(r) == c
    assert total(m2, "cookie-valid") == 1


def test_cookie_exempts_from_rrl(pool):
    """Same address, same name: the cookie-less queries are limited, the
    ones with a valid server cookie all answered."""
    port, p = start(pool, "rrl", {"secret": SECRET},
                    {"responses-per-second": 2, "slip": 0})
    c = reply_cookie(H.udp_msg(query(cookie=CLIENT), port, timeout=T))
    assert c is not None
    n = H.FEW(30, 15)
    plain = burst(query(), port, n)
    with_cookie = burst(query(cookie=c), port, n)
    assert plain < n / 2, plain
    assert with_cookie == n
    assert total(p, "cookie-valid") == n


def test_rrl_slip_badcookie(pool):
    """Over the limit, a query with a client cookie slips as BADCOOKIE with
    a fresh cookie, which then exempts it."""
    port, p = start(pool, "slip", {"secret": SECRET},
                    {"responses-per-second": 1, "slip": 1})
    rcodes = []
    cookie = None
    for _ in range(H.FEW(20, 10)):
        r = H.udp_msg(query(cookie=CLIENT), port, timeout=0.5 * H.SLOW)
        if r is None:
            continue
        rcodes.append(r.rcode())
        if r.rcode() == dns.rcode.BADCOOKIE:
            assert not r.answer and not r.flags & dns.flags.TC
            cookie = reply_cookie(r)
    assert dns.rcode.BADCOOKIE in rcodes, rcodes
    assert cookie is not None and cookie[:8] == CLIENT
    r = H.udp_msg(query(cookie=cookie), port, timeout=T)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert total(p, "badcookie") >= 1
