"""test_flood_defences.py -- the in-server flood defences of issue 7 at small
scale, against the real binary (docs/flood.md).

- Garbage (QR=1, shorter than a header) is dropped before any lookup and
  counted (garbage-dropped), with the kernel filter (udp-bpf-filter) off.
- A random-subdomain flood from 256 sources, one per /24 and each far under
  its per-prefix limits, spends the zone's NXDOMAIN budget (server-wide, per
  zone): most flood NXDOMAINs are shed while a legitimate client's queries
  for existing names are all answered and another zone's NXDOMAINs flow.
- Per-source limits: one /32 blasting is cut to about its limit while a
  source in another /24 is served in full.
- Auto under-attack mode engages on the query rate and disengages after the
  hold time, with log lines giving the reason and counters; TCP queries
  alone (pipelined, no `limits:` section) count towards the rate.
- Auto mode on a zone's own NXDOMAIN share: random names flooding a small
  zone engage it while another zone carries most of the traffic; positive
  traffic at a high rate with a few NXDOMAINs does not.
- Under attack, a cookie-less source over its share gets TC (or BADCOOKIE
  with a client cookie), while a cookie holder and TCP keep full service.

Loopback only (127.x.y.z sources, which Linux routes to lo); every loop is
bounded by a count and a deadline.
"""

import functools
import os
import random
import re
import select
import socket
import struct
import time

import pytest
import dns.edns
import dns.flags
import dns.message
import dns.rcode

import levee_helpers as H

T = 2.0 * H.SLOW


# The user-space defences: the kernel drop map (test_ebpf.py) stays off.
start = functools.partial(H.start_levee_extra, name="flood",
                          udp_ebpf_filter="off")
total = H.counter_total


def wire(name, rdtype="A", edns=True, cookie=None):
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else None)
    if cookie is not None:
        q.use_edns(0, options=[dns.edns.GenericOption(10, cookie)])
    return q.to_wire()


def rcode_tc(data):
    """(rcode of the header, TC, answer count)."""
    flags, = struct.unpack("!H", data[2:4])
    an, = struct.unpack("!H", data[6:8])
    return flags & 0xf, bool(flags & 0x0200), an


def rand_label(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvw012345678")
                   for _ in range(12))


class Clients:
    """Non-blocking UDP sockets bound to given sources; sends and collects
    replies per socket within bounded waits."""

    def __init__(self, port, sources):
        self.port = port
        self.socks = []
        for src in sources:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((src, 0))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.setblocking(False)
            self.socks.append(s)
        self.replies = [[] for _ in self.socks]

    def send(self, i, data):
        try:
            self.socks[i].sendto(data, ("127.0.0.1", self.port))
        except BlockingIOError:
            pass

    def drain(self, wait=0.0):
        deadline = time.monotonic() + wait
        idx = {s: i for i, s in enumerate(self.socks)}
        while True:
            left = deadline - time.monotonic()
            r, _, _ = select.select(self.socks, [], [], max(0.0, left))
            for s in r:
                for _ in range(256):
                    try:
                        self.replies[idx[s]].append(s.recv(4096))
                    except BlockingIOError:
                        break
            if not r and left <= 0:
                return

    def close(self):
        for s in self.socks:
            s.close()


@pytest.mark.asan
def test_garbage_dropped_before_lookup(pool):
    # The user-space drop: with udp-bpf-filter on (the default) the kernel
    # drops these before user space sees them (test_bpf.py).
    port, p = start(pool, "", name="garbage", udp_bpf_filter="off")
    good = wire("www.test.")
    resp = bytearray(good)
    resp[2] |= 0x80                      # QR=1: a response, not a query
    c = Clients(port, ["127.0.0.1"])
    try:
        for i in range(200):
            c.send(0, bytes(resp))
            c.send(0, os.urandom(1 + i % 11))   # shorter than a header
        c.drain(0.5 * H.SLOW)
        assert c.replies[0] == []
        c.send(0, good)
        c.drain(T)
        assert len(c.replies[0]) == 1 and rcode_tc(c.replies[0][0])[0] == 0
    finally:
        c.close()
    assert total(p, "garbage-dropped") >= 400
    assert total(p, "noerror") == 1


@pytest.mark.tsan
def test_zone_nxdomain_budget_sparse_sources(pool):
    # Per-source limits on (100/s per /32, 400/s per /24, 1600/s per /20)
    # that no bot comes near (about 4/s each, 64/s per /20): the zone's
    # NXDOMAIN budget alone must engage.
    budget = 50
    port, p = start(pool, "limits:\n  queries-per-second: 100\n"
                    "  zone-nxdomains-per-second: %d\n  zone-slip: 0\n" %
                    budget, name="zonebudget")
    bots = ["127.1.%d.1" % i for i in range(256)]
    c = Clients(port, bots + ["127.0.0.1", "127.0.0.2"])
    legit, other = 256, 257
    rng = random.Random(7)
    seconds, qps = 2.0, H.FEW(1000, 400)
    n = int(seconds * qps)
    legit_sent = other_sent = 0
    try:
        t0 = time.monotonic()
        for i in range(n):
            while time.monotonic() < t0 + i / qps:
                c.drain(0.0)
                time.sleep(0.0005)
            c.send(i % 256, wire("%s.test." % rand_label(rng)))
            if i % 20 == 0:
                c.send(legit, wire(rng.choice(["www.test.", "mail.test.",
                                               "test."])))
                legit_sent += 1
            if i % 100 == 0:
                c.send(other, wire("%s.example.org." % rand_label(rng)))
                other_sent += 1
        c.drain(T)
        elapsed = time.monotonic() - t0
    finally:
        c.close()
    flood_nx = sum(1 for i in range(256) for d in c.replies[i]
                   if rcode_tc(d)[0] == 3)
    legit_ok = [d for d in c.replies[legit]
                if rcode_tc(d)[0] == 0 and rcode_tc(d)[2] > 0]
    other_nx = [d for d in c.replies[other] if rcode_tc(d)[0] == 3]
    print("zone budget: flood %d sent, %d NXDOMAIN answered in %.2f s; "
          "legit %d/%d; other zone %d/%d" % (n, flood_nx, elapsed,
                                             len(legit_ok), legit_sent,
                                             len(other_nx), other_sent))
    # Every legitimate query for an existing name answered in full.
    assert len(legit_ok) == legit_sent, (len(legit_ok), legit_sent)
    # Another zone's NXDOMAINs are not starved by the attacked zone.
    assert len(other_nx) == other_sent
    # The tortured zone got about its budget: a burst of one second plus
    # the rate over the run, never the flood.
    assert flood_nx <= budget * (elapsed + 1) * 1.2 + 10, flood_nx
    assert flood_nx >= budget * seconds * 0.5, flood_nx
    assert total(p, "zone-nxdomain-dropped") >= n - flood_nx - 10
    assert total(p, "limits-dropped") == 0


def blast_one_source(pool, extra, name):
    """600 queries from one source (every other one with EDNS) against a
    limit of 20/s, a neighbour asking now and then; returns the replies
    (blaster's, neighbour's), the elapsed time and the server."""
    port, p = start(pool, extra, name=name)
    c = Clients(port, ["127.0.3.3", "127.0.4.4"])
    n = H.FEW(600, 300)
    try:
        t0 = time.monotonic()
        for i in range(n):
            c.send(0, wire("www.test.", edns=(i % 2 == 0)))
            if i % 30 == 0:
                c.send(1, wire("www.test."))
            if i % 50 == 0:
                c.drain(0.0)
        c.drain(T)
        elapsed = time.monotonic() - t0
    finally:
        c.close()
    assert len(c.replies[1]) == len(range(0, n, 30))
    return n, c.replies[0], elapsed, p


def test_per_source_limit_single_blaster(pool):
    """The default slip (1): every query over the limit is challenged (TC,
    no records: the owner of a forged address can follow it to TCP), none
    is answered in full."""
    n, got, elapsed, p = blast_one_source(
        pool, "limits:\n  queries-per-second: 20\n", "persource")
    full = [d for d in got if not rcode_tc(d)[1]]
    tc = [d for d in got if rcode_tc(d)[1] and rcode_tc(d)[2] == 0]
    print("per-source: blaster %d sent, %d answered, %d TC in %.2f s"
          % (n, len(full), len(tc), elapsed))
    assert len(full) <= 20 * (elapsed + 1) + 5, (len(full), elapsed)
    assert len(full) >= 15
    assert len(full) + len(tc) == n
    assert total(p, "limits-challenged") == len(tc)
    assert total(p, "limits-dropped") == 0


def test_per_source_limit_slip_zero_drops(pool):
    """limits: slip: 0: what is over the limit is dropped."""
    n, got, elapsed, p = blast_one_source(
        pool, "limits:\n  queries-per-second: 20\n  slip: 0\n",
        "persource0")
    print("per-source slip 0: blaster %d sent, %d answered in %.2f s"
          % (n, len(got), elapsed))
    assert len(got) <= 20 * (elapsed + 1) + 5, (len(got), elapsed)
    assert len(got) >= 15
    assert all(not rcode_tc(d)[1] for d in got)
    assert total(p, "limits-dropped") >= n - len(got) - 5


def test_trusted_replication_sources(pool):
    """acl: addresses: their SOA queries (and NOTIFY) pass the per-source
    limit and RRL untouched, as a secondary checking many zones needs; the
    same burst from another address is limited, and an A query from the
    trusted address is limited like anyone's."""
    port, p = start(pool, "limits:\n  queries-per-second: 5\n  slip: 0\n"
                    "rate-limit:\n  responses-per-second: 5\n  slip: 0\n"
                    "acl:\n  - id: secondaries\n    address: 127.0.6.1\n"
                    "    action: [transfer, notify]\n", name="trusted")
    c = Clients(port, ["127.0.6.1", "127.0.7.1"])
    n = H.FEW(200, 80)
    try:
        for i in range(n):
            c.send(0, wire("test.", "SOA"))
            c.send(1, wire("test.", "SOA"))
            if i % 20 == 0:
                c.drain(0.0)
        c.drain(T)
        soa_trusted = sum(1 for d in c.replies[0] if rcode_tc(d)[2] == 1)
        soa_other = sum(1 for d in c.replies[1] if rcode_tc(d)[2] == 1)
        c.replies = [[], []]
        for i in range(n):
            c.send(0, wire("www.test."))
        c.drain(T)
        a_trusted = len(c.replies[0])
    finally:
        c.close()
    print("trusted: SOA %d/%d answered, other source %d/%d, trusted A %d/%d"
          % (soa_trusted, n, soa_other, n, a_trusted, n))
    assert soa_trusted == n
    assert soa_other <= 5 * (1 + 2 * H.SLOW) + 5
    assert a_trusted <= 5 * (1 + 2 * H.SLOW) + 5


def test_auto_attack_engages_and_disengages(pool):
    port, p = start(pool, "limits:\n  queries-per-second: 100000\n"
                    "attack:\n  mode: auto\n  queries-per-second: 300\n"
                    "  hold-time: 1\n", name="auto")
    c = Clients(port, ["127.0.5.%d" % i for i in range(1, 9)])
    try:
        # About 800 queries within one second or two: over 300/s.
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < 1.6 and i < 1600:
            c.send(i % 8, wire("www.test."))
            i += 1
            if i % 50 == 0:
                c.drain(0.0)
                time.sleep(0.05)
        # A trickle: each query lets the server evaluate the past second.
        deadline = time.monotonic() + 10 * H.SLOW
        engaged = disengaged = False
        while time.monotonic() < deadline and not disengaged:
            c.send(0, wire("www.test."))
            c.drain(0.3)
            text = p.text()
            engaged = "under-attack mode engaged (queries" in text
            disengaged = engaged and "under-attack mode disengaged" in text
    finally:
        c.close()
    assert engaged and disengaged, p.tail()
    assert total(p, "attack-engaged") == 1
    assert total(p, "attack-disengaged") == 1


def tcp_pipelined(port, query, count, conns, timeout):
    """Sends count copies of query (wire), length-prefixed, on each of conns
    TCP connections at once, then reads the replies within timeout.
    Returns the number of whole replies read."""
    blob = (struct.pack("!H", len(query)) + query) * count
    socks, got = [], 0
    deadline = time.monotonic() + timeout
    try:
        for _ in range(conns):
            socks.append(socket.create_connection(("127.0.0.1", port),
                                                  timeout))
        for s in socks:
            s.sendall(blob)
        for s in socks:
            buf, off, n = b"", 0, 0
            while n < count and time.monotonic() < deadline:
                s.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                buf += chunk
                while len(buf) - off >= 2:
                    ln, = struct.unpack("!H", buf[off:off + 2])
                    if len(buf) - off < 2 + ln:
                        break
                    off += 2 + ln
                    n += 1
            got += n
    finally:
        for s in socks:
            s.close()
    return got


def wait_log(p, pattern, port, tcp=False, timeout=None):
    """Trickles one query every 0.3 s (each lets the server evaluate the
    second that passed) until pattern shows in the log; bounded."""
    deadline = time.monotonic() + (timeout or 6 * H.SLOW)
    while time.monotonic() < deadline:
        if tcp:
            H.tcp_raw(wire("www.test."), port, timeout=2 * H.SLOW)
        else:
            H.udp_raw(wire("www.test."), port, timeout=0.3)
        if pattern in p.text():
            return True
        time.sleep(0.3)
    return pattern in p.text()


def test_auto_attack_counts_tcp(pool):
    # No limits: section: the detector works without per-source limits.
    port, p = start(pool, "attack:\n  mode: auto\n  queries-per-second: 300\n"
                    "  hold-time: 1\n", name="autotcp")
    per_conn = H.FEW(250, 200)
    # 4 connections x per_conn pipelined queries within a burst: well over
    # 300/s, however the burst falls across a second boundary.
    got = tcp_pipelined(port, wire("www.test."), per_conn, 4, 5 * H.SLOW)
    assert got == 4 * per_conn, got
    assert wait_log(p, "under-attack mode engaged (queries", port, tcp=True)
    assert wait_log(p, "under-attack mode disengaged", port, tcp=True), \
        p.tail()
    assert total(p, "attack-engaged") == 1
    assert total(p, "attack-disengaged") == 1
    assert total(p, "udp-queries") == 0
    assert total(p, "tcp-queries") >= 4 * per_conn


def test_auto_attack_zone_own_share(pool):
    nx_min = H.FEW(100, 40)
    port, p = start(pool, "attack:\n  mode: auto\n"
                    "  zone-nxdomain-percent: 50\n"
                    "  zone-nxdomain-min: %d\n  hold-time: 1\n" % nx_min,
                    name="autozone")
    c = Clients(port, ["127.0.6.%d" % i for i in range(1, 5)])
    rng = random.Random(11)
    big_qps = H.FEW(2000, 500)
    positives = [wire(n) for n in ("www.test.", "mail.test.", "test.")]

    def run(seconds, qps, pick):
        n = int(seconds * qps)
        t0 = time.monotonic()
        for i in range(n):
            while time.monotonic() < t0 + i / qps:
                time.sleep(0.0002)
            c.send(i % 4, pick(i))
            if i % 64 == 0:
                c.drain(0.0)
        c.drain(0.0)
        return n

    try:
        # Positive traffic at a high rate, 10% NXDOMAINs in the same zone
        # (200/s: over the floor, far under 50% of the zone's answers).
        run(1.5, big_qps, lambda i: wire("%s.test." % rand_label(rng))
            if i % 10 == 0 else positives[i % 3])
        for _ in range(4):   # let the last seconds be evaluated
            c.send(0, positives[0])
            c.drain(0.35)
        assert "under-attack mode engaged" not in p.text(), p.tail()
        assert total(p, "attack-engaged") == 0
        # Random names in example.org. (1 query in 6: about 400/s, 17% of
        # all traffic) while test. keeps its positive traffic.
        run(2.0, big_qps * 6 // 5,
            lambda i: wire("%s.example.org." % rand_label(rng))
            if i % 6 == 0 else positives[i % 3])
    finally:
        c.close()
    assert wait_log(p, "under-attack mode engaged (zone example.org. "
                    "NXDOMAIN", port), p.tail()
    line = [ln for ln in p.text().splitlines() if "engaged (zone" in ln][0]
    print(line)
    # Early: at the zone's 100th NXDOMAIN (zone-nxdomain-min) of a second,
    # every one of its answers so far NXDOMAIN.
    assert re.search(r"NXDOMAIN 100% of its first 100 answers in \d+ ms of "
                     r"the second, over 50%\)", line), line
    assert total(p, "attack-engaged") == 1


@pytest.mark.tsan
def test_cookie_holders_keep_service_under_attack(pool):
    port, p = start(pool, "limits:\n  queries-per-second: 10\n"
                    "attack:\n  mode: on\n"
                    "cookies:\n  require: under-attack\n", name="cookies")
    cc = bytes.fromhex("0102030405060708")
    # Cookie-less (no EDNS) under attack with require: under-attack: TC.
    r = H.udp_raw(wire("www.test.", edns=False), port, timeout=T)
    assert r is not None and rcode_tc(r)[1] and rcode_tc(r)[2] == 0
    # A client cookie alone: BADCOOKIE with a server cookie to send back.
    r = H.udp_msg(dns.message.from_wire(wire("www.test.", cookie=cc)), port,
                  timeout=T)
    assert r is not None and r.rcode() == dns.rcode.BADCOOKIE
    sc = [o.data for o in r.options if o.otype == 10][0]
    assert len(sc) == 24
    # The cookie holder keeps full service: 40 queries in about a second,
    # beyond the cookie-less share (10/s x 50%) but within its cookie limit.
    c = Clients(port, ["127.0.0.1"])
    try:
        for i in range(40):
            c.send(0, wire("www.test.", cookie=sc))
            c.drain(0.02)
        c.drain(T)
    finally:
        c.close()
    full = [d for d in c.replies[0] if rcode_tc(d)[0] == 0 and
            rcode_tc(d)[2] > 0]
    assert len(full) == 40, len(full)
    # TCP keeps full service without any cookie.
    r = H.tcp_msg(dns.message.from_wire(wire("www.test.", edns=False)), port,
                  timeout=T)
    assert r is not None and r.rcode() == dns.rcode.NOERROR and r.answer
    assert total(p, "cookie-valid") >= 40


def test_tcp_unanswered_cap_and_pressure_timeout(pool):
    # One reactor: the cap makes room in the accepting reactor's own list.
    port, p = start(pool, "limits:\n  tcp-max-unanswered: 4\n"
                    "  tcp-pressure-timeout-ms: 300\n", name="tcpcap",
                    reactors=1)
    held = []
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", port), timeout=T)
            s.sendall(b"\x00")           # one byte of a length: no query
            held.append(s)
        time.sleep(0.1 * H.SLOW)
        # A fifth connection without a query is over the cap: the oldest
        # is closed to make room, and the fifth times out (300 ms).
        s = socket.create_connection(("127.0.0.1", port), timeout=T)
        held.append(s)
        try:
            data = s.recv(10)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert data == b""
        # Under pressure (half the cap held) the held ones time out after
        # 300 ms instead of tcp-message-timeout (5 s): a client gets in.
        deadline = time.monotonic() + 5 * H.SLOW
        r = None
        while time.monotonic() < deadline and r is None:
            time.sleep(0.2)
            r = H.tcp_msg(dns.message.from_wire(wire("www.test.")), port,
                          timeout=T)
        assert r is not None and r.rcode() == dns.rcode.NOERROR and r.answer
        assert time.monotonic() < deadline
    finally:
        for s in held:
            s.close()
    assert total(p, "tcp-unanswered-refused") >= 1
    assert total(p, "tcp-timeout") >= 4
