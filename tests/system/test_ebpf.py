"""test_ebpf.py -- the kernel drop map of server: udp-ebpf-filter
(server/ebpf_drop.h, docs/flood.md "Kernel drop map (eBPF)"), against the
real binary.

A source that blasts over its per-source limit (with limits: slip: 0, so
user space drops all of its excess) is listed in the kernel map
(ebpf-drop-listed on SIGUSR1); its further queries that cannot prove the
address (no OPT record, or an empty one) are then dropped by the kernel:
Levee's udp-queries counter does not move for them while the socket's drops
in /proc/net/udp grow.  Its queries with a COOKIE option still reach Levee,
another source is answered, and once the hold time has passed the source is
answered again.  Sources whose garbage replies (FORMERR/NOTIMP) RRL drops are
not listed: RRL limits one class of answers.  Where the program cannot load on this machine (startup warning),
the tests are skipped with the reason.

Loopback only; every loop is bounded by a count and a deadline.
"""

import os
import select
import socket
import time

import pytest
import dns.edns
import dns.message

import levee_helpers as H

T = 2.0 * H.SLOW
HOLD_MS = 3000


def start(pool, extra, **server):
    port, p = H.start_levee_extra(pool, extra, reactors=1, name="ebpf",
                                  udp_ebpf_filter="on",
                                  udp_ebpf_hold_ms=HOLD_MS, **server)
    deadline = time.monotonic() + T
    while time.monotonic() < deadline:
        text = p.text()
        if "eBPF drop map loaded" in text:
            return port, p
        if "not loaded" in text or "not attached" in text:
            line = [ln for ln in text.splitlines() if "eBPF" in ln]
            pytest.skip("eBPF drop map cannot load here: %s" %
                        (line[0] if line else "?"))
        time.sleep(0.05)
    pytest.fail("no eBPF drop map log line:\n" + p.tail())


total = H.counter_total


def udp_drops(port):
    """Drops of every UDP socket bound to port (/proc/net/udp{,6})."""
    n = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for ln in lines:
            cols = ln.split()
            if len(cols) >= 13 and int(cols[1].split(":")[1], 16) == port:
                n += int(cols[-1])
    return n


def wire(name, edns=False, cookie=False, qid=1):
    if cookie:
        q = dns.message.make_query(name, "A", use_edns=0, options=[
            dns.edns.GenericOption(10, os.urandom(8))])
    else:
        q = dns.message.make_query(name, "A", use_edns=0 if edns else None)
    q.id = qid
    return q.to_wire()


class Source:
    """A UDP socket bound to one 127/8 address (or ::1), sending to the
    server on the same family's loopback."""

    def __init__(self, addr, port):
        self.port = port
        v6 = ":" in addr
        self.server = "::1" if v6 else "127.0.0.1"
        self.s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                               socket.SOCK_DGRAM)
        self.s.bind((addr, 0))
        self.s.setblocking(False)

    def send(self, data, n=1):
        for _ in range(n):
            try:
                self.s.sendto(data, (self.server, self.port))
            except BlockingIOError:
                pass

    def blast(self, p, n=300):
        """n queries (distinct IDs), then the replies drained; asserts the
        server listed this source in its kernel drop map."""
        for i in range(n):
            self.send(wire("www.test.", qid=i))
        self.drain(0.3 * H.SLOW)
        assert total(p, "ebpf-drop-listed") >= 1

    def drain(self, wait):
        """Replies received until nothing came for wait seconds (bounded:
        at most 2000 datagrams)."""
        out = []
        for _ in range(2000):
            r, _, _ = select.select([self.s], [], [], wait)
            if not r:
                break
            out.append(self.s.recv(4096))
        return out

    def ask(self, data, timeout=T):
        self.drain(0.01)
        self.send(data)
        r = self.drain(timeout)
        return r[0] if r else None

    def close(self):
        self.s.close()


def rcode(reply):
    return reply[3] & 0x0F


def test_over_limit_source_dropped_in_kernel(pool):
    port, p = start(pool, "limits:\n  queries-per-second: 10\n  slip: 0\n")
    bad = Source("127.0.0.5", port)
    good = Source("127.0.0.6", port)
    try:
        # The blast: far over 10/s; the first drops list the source.
        bad.blast(p)
        assert total(p, "limits-dropped") >= 1
        q0, d0 = total(p, "udp-queries"), udp_drops(port)

        # Listed: no OPT, and an empty OPT, never reach Levee.
        bad.send(wire("www.test."), 100)
        bad.send(wire("www.test.", edns=True), 100)
        assert bad.drain(0.3 * H.SLOW) == []
        assert total(p, "udp-queries") == q0
        assert udp_drops(port) >= d0 + 200

        # A COOKIE option may prove the address: user space decides.
        bad.send(wire("www.test.", cookie=True), 5)
        bad.drain(0.3 * H.SLOW)
        assert total(p, "udp-queries") == q0 + 5

        # Another source is answered.
        r = good.ask(wire("www.test.", qid=7))
        assert r is not None and rcode(r) == 0

        # Hold over: answered again (its bucket has refilled too).
        time.sleep(HOLD_MS / 1000.0 + 0.5)
        r = bad.ask(wire("www.test.", qid=9))
        assert r is not None and rcode(r) == 0
    finally:
        bad.close()
        good.close()


def test_bug_ebpf_rrl_lists_victim(pool):
    """Finding 3 of issue 11: RRL limits one class of answers (here the
    errors of a forged resolver address); listing the address in the kernel
    map would drop all its queries. RRL drops never list: the same
    address's real queries for a served name keep being answered."""
    port, p = start(pool, "rate-limit:\n  responses-per-second: 5\n"
                    "  slip: 0\n")
    bad = Source("127.0.0.7", port)
    try:
        q = bytearray(wire("www.test."))
        q[2] |= 3 << 3                     # opcode 3: NOTIMP
        for _ in range(200):
            bad.send(bytes(q))
        bad.drain(0.3 * H.SLOW)
        assert total(p, "rrl-dropped-errors") >= 1
        assert total(p, "ebpf-drop-listed") == 0
        q0 = total(p, "udp-queries")
        r = bad.ask(wire("www.test.", qid=11))
        assert r is not None and rcode(r) == 0
        assert total(p, "udp-queries") == q0 + 1
    finally:
        bad.close()


def test_filter_off_nothing_listed(pool):
    port, p = H.start_levee_extra(pool, "limits:\n  queries-per-second: 10\n  slip: 0\n",
                                  reactors=1, name="ebpf-off",
                                  udp_ebpf_filter="off")
    bad = Source("127.0.0.8", port)
    try:
        for i in range(200):
            bad.send(wire("www.test.", qid=i))
        bad.drain(0.3 * H.SLOW)
        assert total(p, "limits-dropped") >= 1
        assert total(p, "ebpf-drop-listed") == 0
        q0 = total(p, "udp-queries")
        bad.send(wire("www.test."), 50)
        bad.drain(0.3 * H.SLOW)
        # User space sees (and drops) them all.
        assert total(p, "udp-queries") >= q0 + 45
    finally:
        bad.close()
    assert "eBPF drop map" not in p.text()


def test_classic_checks_kept(pool):
    # The eBPF program replaces the classic filter: short and QR=1
    # datagrams still never reach user space.
    port, p = start(pool, "limits:\n  queries-per-second: 1000\n")
    s = Source("127.0.0.9", port)
    try:
        resp = bytearray(wire("www.test."))
        resp[2] |= 0x80
        for i in range(100):
            s.send(bytes(resp))
            s.send(os.urandom(1 + i % 11))
        assert s.drain(0.3 * H.SLOW) == []
        r = s.ask(wire("www.test."))
        assert r is not None and rcode(r) == 0
    finally:
        s.close()
    assert total(p, "garbage-dropped") == 0
    assert total(p, "udp-queries") == 1



def test_ipv6_source_listed_and_dropped(pool):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        port = H.free_port("::1")
    except OSError as e:
        pytest.skip("no ::1: %s" % e)
    conf = H.levee_config(os.path.join(pool.tmpdir, "levee-ebpf6-%d.yaml" % port),
                          ["'::1@%d'" % port], reactors=1,
                          udp_ebpf_filter="on", udp_ebpf_hold_ms=HOLD_MS)
    with open(conf, "a") as f:
        f.write("limits:\n  queries-per-second: 10\n  slip: 0\n")
    p = pool.levee(["-c", conf])
    if "eBPF drop map loaded" not in p.text():
        pytest.skip("eBPF drop map cannot load here")
    bad = Source("::1", port)
    try:
        bad.blast(p)
        q0, d0 = total(p, "udp-queries"), udp_drops(port)
        bad.send(wire("www.test.", edns=True), 100)
        assert bad.drain(0.3 * H.SLOW) == []
        assert total(p, "udp-queries") == q0
        assert udp_drops(port) >= d0 + 100
    finally:
        bad.close()


def test_cookies_off_every_datagram_dropped(pool):
    # Without cookies user space drops every query of an over-limit source,
    # so the kernel does too, cookie option or not.
    port, p = start(pool, "limits:\n  queries-per-second: 10\n  slip: 0\n"
                    "cookies:\n  answer: off\n")
    bad = Source("127.0.0.10", port)
    try:
        bad.blast(p)
        q0 = total(p, "udp-queries")
        bad.send(wire("www.test.", cookie=True), 50)
        bad.drain(0.3 * H.SLOW)
        assert total(p, "udp-queries") == q0
    finally:
        bad.close()


def test_classic_checks_follow_udp_bpf_filter(pool):
    # udp-bpf-filter off: the eBPF program leaves garbage to user space,
    # which counts it.
    port, p = start(pool, "limits:\n  queries-per-second: 1000\n",
                    udp_bpf_filter="off")
    s = Source("127.0.0.11", port)
    try:
        resp = bytearray(wire("www.test."))
        resp[2] |= 0x80
        for i in range(50):
            s.send(bytes(resp))
            s.send(os.urandom(1 + i % 11))
        assert s.drain(0.3 * H.SLOW) == []
    finally:
        s.close()
    assert total(p, "garbage-dropped") >= 100
