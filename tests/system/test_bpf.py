"""test_bpf.py -- the classic BPF socket filter of server: udp-bpf-filter
(docs/flood.md), against the real binary.

With the filter on (the default), datagrams that cannot be queries (QR=1, or
shorter than a DNS header) get no reply and never reach user space: the
user-space `garbage-dropped` counter stays where it was, which proves the
kernel dropped them, while queries are answered.  With it off, the same
datagrams reach the user-space drop and the counter grows.

Loopback only; every loop is bounded by a count and a deadline.
"""

import os
import select
import socket

import pytest
import dns.message

import levee_helpers as H

T = 2.0 * H.SLOW
N = 500


def start(pool, bpf):
    return H.start_levee_extra(pool, "", name="bpf", udp_bpf_filter=bpf)


def garbage_dropped(proc):
    return H.counter_total(proc, "garbage-dropped")


def send_garbage(port, n):
    """n datagrams, half QR=1 copies of a query, half 1..11 bytes; returns
    the replies received within a short wait (bytes)."""
    q = bytearray(dns.message.make_query("www.test.", "A").to_wire())
    q[2] |= 0x80
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    replies = []
    try:
        for i in range(n):
            data = bytes(q) if i % 2 == 0 else os.urandom(1 + i % 11)
            try:
                s.sendto(data, ("127.0.0.1", port))
            except BlockingIOError:
                pass
        for _ in range(50):   # bounded: at most 50 waits of 10 ms
            r, _, _ = select.select([s], [], [], 0.01 * H.SLOW)
            if r:
                replies.append(s.recv(4096))
        return replies
    finally:
        s.close()


def query_ok(port):
    r = H.udp_msg(dns.message.make_query("www.test.", "A"), port, timeout=T)
    return r is not None and r.rcode() == 0 and len(r.answer) > 0


@pytest.mark.asan
def test_bpf_filter_drops_in_kernel(pool):
    port, p = start(pool, "on")
    assert "socket filter not attached" not in p.text()
    before = garbage_dropped(p)
    assert send_garbage(port, N) == []
    assert query_ok(port)
    assert garbage_dropped(p) == before
    assert H.counters(p) and sum(
        c.get("noerror", 0) for c in H.counters(p).values()) == 1


@pytest.mark.asan
def test_bpf_filter_off_user_space_drop(pool):
    port, p = start(pool, "off")
    before = garbage_dropped(p)
    assert send_garbage(port, N) == []
    assert query_ok(port)
    # Loopback does not lose them (a 512 KiB receive buffer): nearly all of
    # the 500 reach the user-space drop.
    assert garbage_dropped(p) - before >= N * 9 // 10
