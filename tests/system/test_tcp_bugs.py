"""test_tcp_bugs.py -- regression tests for the TCP findings of issue 11,
with the real binary on loopback.

- test_bug_tcp_prefix_collision (finding 6): 127.30.240.0/24 and
  127.0.0.0/24 shared one of the 4,096 slots of an unkeyed hash; 50
  connections from one locked the other out of TCP.

Every loop is bounded in count and time; sources are 127.x.y.z addresses;
every socket is closed at the end.
"""

import os
import socket
import struct
import time

import pytest
import dns.edns
import dns.exception
import dns.message

import levee_helpers as H

T = 3.0 * H.SLOW


def start(pool, extra="", zones=H.ZONES, reactors=2, **server):
    port = H.free_port()
    conf = H.levee_config(os.path.join(pool.tmpdir, "levee-%d.yaml" % port),
                          ["127.0.0.1@%d" % port], zones=zones,
                          reactors=reactors, rate_limit=0, **server)
    with open(conf, "a") as f:
        f.write(extra)
    return port, pool.levee(["-c", conf])


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def connect(port, src="127.0.0.1", timeout=T, rcvbuf=None, mss=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if mss is not None:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        s.bind((src, 0))
        s.settimeout(timeout)
        s.connect(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        s.close()
        raise
    return s


def read_msg(s):
    hdr = H.recv_exact(s, 2)
    if hdr is None:
        return None
    body = H.recv_exact(s, struct.unpack("!H", hdr)[0])
    return None if body is None else dns.message.from_wire(body)


def one_query(port, src, name="www.test.", timeout=T, options=None,
              qtype="A"):
    """One query on a fresh connection from src: the reply or None."""
    try:
        s = connect(port, src, timeout)
    except OSError:
        return None
    try:
        q = dns.message.make_query(name, qtype, use_edns=0 if options else None,
                                   options=options)
        s.sendall(frame(q.to_wire()))
        r = read_msg(s)
        return r if r is not None and r.id == q.id else None
    except (OSError, dns.exception.DNSException):
        return None
    finally:
        s.close()


def wait_closed(s, limit):
    """Seconds until the peer closes s, or None when it stays open for
    limit seconds (data read meanwhile is discarded)."""
    t0 = time.monotonic()
    s.settimeout(0.1)
    while time.monotonic() - t0 < limit:
        try:
            if s.recv(65536) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
    return None


# ---- finding 6 -------------------------------------------------------------

@pytest.mark.tsan
def test_bug_tcp_prefix_collision(pool):
    # Default tcp-max-clients-per-prefix: 50.
    port, p = start(pool, tcp_idle_timeout=30)
    held = []
    try:
        for i in range(50):
            s = connect(port, "127.0.0.%d" % (1 + i % 200))
            held.append(s)
            q = dns.message.make_query("www.test.", "A")
            s.sendall(frame(q.to_wire()))
            r = read_msg(s)
            assert r is not None and r.id == q.id, "connection %d of 50" % i
        # The old slot hash put these in the slot of 127.0.0.0/24.
        for src in ["127.30.240.1", "127.30.240.9", "127.0.1.1", "127.99.7.1"]:
            r = one_query(port, src)
            assert r is not None and r.rcode() == 0, \
                "%s locked out by 50 connections of 127.0.0.0/24" % src
        # The 51st of 127.0.0.0/24 itself is still refused.
        assert one_query(port, "127.0.0.77", timeout=1.0 * H.SLOW) is None
    finally:
        for s in held:
            s.close()
    assert H.counter_total(p, "tcp-refused") == 1
