"""test_tcp.py -- TCP behaviour: pipelining, idle and message timeouts, the
per-prefix connection limit, EDNS TCP keepalive (RFC 7828).

Each test starts its own server (a fresh random port) with the timeouts and
limits it needs, written in a YAML config.
"""

import os
import socket
import struct
import subprocess
import time

import pytest
import dns.edns
import dns.message
import dns.query

import levee_helpers as H

T = 5 * H.SLOW


def start(pool, **server):
    port = H.free_port()
    conf = H.levee_config(os.path.join(pool.tmpdir, "levee-%d.yaml" % port),
                          ["127.0.0.1@%d" % port], **server)
    p = pool.levee(["-c", conf])
    return port, p


def frame(msg):
    w = msg.to_wire()
    return struct.pack("!H", len(w)) + w


def read_msg(s):
    hdr = H.recv_exact(s, 2)
    if hdr is None:
        return None
    body = H.recv_exact(s, struct.unpack("!H", hdr)[0])
    return None if body is None else dns.message.from_wire(body)


def wait_closed(s, limit):
    """Seconds until the peer closes s (EOF or reset), or None if it stays
    open for `limit` seconds.  Any data read meanwhile is discarded."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < limit:
        try:
            if s.recv(4096) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
    return None


def connect(port, src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(T)
    s.connect(("127.0.0.1", port))
    return s


def query_ok(s, name="www.test."):
    q = dns.message.make_query(name, "A")
    s.sendall(frame(q))
    r = read_msg(s)
    return r is not None and r.id == q.id and r.rcode() == 0


@pytest.mark.tsan
def test_pipelined_queries(pool):
    port, _ = start(pool, tcp_idle_timeout=10)
    names = ["www.test.", "nx.test.", "foo.wild.test.", "c1.test.", "test."]
    qs = {}
    buf = b""
    for i in range(100):
        q = dns.message.make_query(names[i % len(names)], "A")
        q.id = 1000 + i
        qs[q.id] = q
        buf += frame(q)
    s = connect(port)
    try:
        s.sendall(buf)  # all 100 in one write: the server must split them
        got = {}
        deadline = time.monotonic() + 6 * T
        while len(got) < 100 and time.monotonic() < deadline:
            r = read_msg(s)
            assert r is not None, "connection closed after %d answers" % len(got)
            assert r.id in qs and r.id not in got, r.id
            assert r.question[0].name == qs[r.id].question[0].name, (r, qs[r.id])
            got[r.id] = r
    finally:
        s.close()
    assert len(got) == 100
    assert all(got[1000 + i].rcode() == (3 if i % 5 == 1 else 0) for i in range(100))


def test_idle_connection_closed(pool):
    idle = 2
    port, _ = start(pool, tcp_idle_timeout=idle, tcp_message_timeout=5)
    s = connect(port)
    try:
        assert query_ok(s)
        t = wait_closed(s, idle + 5 * H.SLOW)
    finally:
        s.close()
    assert t is not None, "idle connection still open after %ds" % (idle + 5 * H.SLOW)
    assert t >= idle - 0.5, "closed after %.2fs, before the %ds idle timeout" % (t, idle)
    # And one that never sent anything.
    s = connect(port)
    try:
        t = wait_closed(s, idle + 5 * H.SLOW)
    finally:
        s.close()
    assert t is not None and t >= idle - 0.5, t


def test_partial_message_closed(pool):
    msg_timeout = 2
    port, _ = start(pool, tcp_idle_timeout=30, tcp_message_timeout=msg_timeout)
    w = dns.message.make_query("www.test.", "A").to_wire()
    s = connect(port)
    try:
        s.sendall(struct.pack("!H", len(w)) + w[:10])  # announce all, send 10 bytes
        t = wait_closed(s, msg_timeout + 5 * H.SLOW)
    finally:
        s.close()
    assert t is not None, "a half-sent message kept the connection open"
    assert t >= msg_timeout - 0.5 and t < 30, t
    # Only the length prefix's first byte.
    s = connect(port)
    try:
        s.sendall(b"\x00")
        t = wait_closed(s, msg_timeout + 5 * H.SLOW)
    finally:
        s.close()
    assert t is not None and t < 30, t


@pytest.mark.tsan
def test_per_prefix_connection_limit(pool):
    port, _ = start(pool, tcp_idle_timeout=30, tcp_max_clients_per_prefix=5,
                    tcp_max_clients=1000)
    held = []
    try:
        for i in range(5):
            s = connect(port)
            held.append(s)
            assert query_ok(s), "connection %d of 5 refused" % (i + 1)
        # The sixth from the same /24 is closed at once, unanswered.
        s = connect(port)
        held.append(s)
        try:
            s.sendall(frame(dns.message.make_query("www.test.", "A")))
            ok = read_msg(s) is not None
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            ok = False
        assert not ok, "6th connection from 127.0.0.0/24 was answered"
        # Another /24 is still welcome.
        s = connect(port, src="127.0.1.1")
        held.append(s)
        assert query_ok(s), "connection from 127.0.1.1 refused"
        # Closing one of the five frees a slot (the server notices the close
        # asynchronously: retry, bounded).
        held.pop(0).close()
        deadline = time.monotonic() + T
        ok = False
        while not ok and time.monotonic() < deadline:
            s = connect(port)
            held.append(s)
            try:
                ok = query_ok(s)
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                ok = False
            if not ok:
                time.sleep(0.1)
        assert ok, "a freed slot was not reusable"
    finally:
        for s in held:
            s.close()


def test_tcp_keepalive_option(pool):
    idle = 7
    port, _ = start(pool, tcp_idle_timeout=idle)
    ka = dns.edns.GenericOption(11, b"")
    q = dns.message.make_query("www.test.", "A", use_edns=0, options=[ka])
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=T)
    opts = [o for o in r.options if o.otype == 11]
    assert len(opts) == 1, "no edns-tcp-keepalive in the TCP reply: %s" % r
    val = opts[0].to_wire()
    assert len(val) == 2 and struct.unpack("!H", val)[0] == idle * 10, val.hex()
    # RFC 7828 3.2.1: never over UDP.
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=T)
    assert not [o for o in r.options if o.otype == 11], r
    # dig shows it too (kdig 3.2 has no +keepalive).
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tcp", "+keepalive",
                          "+time=5", "+tries=1", "www.test.", "A"], capture_output=True, text=True,
                         timeout=6 * T).stdout
    assert "KEEPALIVE" in out.upper(), out
