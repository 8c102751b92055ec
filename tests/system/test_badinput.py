"""test_badinput.py -- malformed queries never crash Levee, never change what
it serves and never make it grow.

10,000 datagrams (2,000 under a sanitizer) made by mutating valid queries
(flipped bits, cut lengths, bad section counts, compression loops and
forward pointers, oversized and reserved label types, QR=1, random opcodes,
broken OPT records) plus random bytes, and 1,000 TCP streams (200) of the
same, each bounded in time.  Afterwards the server must still answer
correctly, and its resident size (VmRSS) must not have grown by more than
a few MiB since the warm-up.  Then three exact rules: a packet with QR=1
gets no reply, a header cut short gets no reply, QDCOUNT=2 gets FORMERR.
"""

import os
import random
import select
import socket
import struct
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

import dnsdiff
import levee_helpers as H

pytestmark = pytest.mark.asan

T = 5 * H.SLOW
N_UDP = H.FEW(10000, 2000)
N_TCP = H.FEW(1000, 200)
RSS_GROWTH_KIB = 4 * 1024


@pytest.fixture(scope="module")
def srv(module_pool):
    port = H.free_port()
    # RRL off: its error budget (and the kernel drop map it feeds) would
    # rightly stop answering this one address's garbage; here every
    # datagram must reach the parser (RRL: test_rrl.py, test_ebpf.py).
    conf = H.levee_config(os.path.join(module_pool.tmpdir, "bad.yaml"),
                          ["127.0.0.1@%d" % port], rate_limit=0,
                          tcp_max_clients_per_prefix=2000,
                          tcp_max_clients=4000, tcp_idle_timeout=3, tcp_message_timeout=2)
    p = module_pool.levee(["-c", conf])
    return {"port": port, "proc": p}


def base_queries():
    out = []
    for name, qtype, edns in (("www.test.", "A", None), ("nx.test.", "AAAA", 1232),
                              ("foo.wild.test.", "TXT", 4096), ("c1.test.", "A", 512),
                              ("www.deleg.test.", "NS", None), ("big.test.", "TXT", 1232),
                              ("id.server.", "TXT", None)):
        q = dns.message.make_query(name, qtype, "CH" if name == "id.server." else "IN",
                                   use_edns=edns is not None, payload=edns or 512)
        out.append(bytearray(q.to_wire()))
    return out


def mutate(rng, bases):
    w = bytearray(rng.choice(bases))
    kind = rng.randrange(12)
    if kind == 0:  # flip bits
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(w))
            w[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # cut
        w = w[:rng.randrange(len(w))]
    elif kind == 2:  # bad counts
        off = rng.choice((4, 6, 8, 10))
        struct.pack_into("!H", w, off, rng.choice((0, 2, 3, 255, 0xFFFF, rng.randrange(65536))))
    elif kind == 3:  # compression loop: the qname points at itself / a cycle
        if rng.random() < 0.5:
            w[12:14] = b"\xc0\x0c"
        else:
            w[12:] = b"\x01a\xc0\x0e\xc0\x0c" + bytes(w[-4:])
    elif kind == 4:  # forward / out-of-packet pointer
        w[12:14] = struct.pack("!H", 0xC000 | rng.randrange(0x3FFF))
    elif kind == 5:  # oversized or reserved label type
        w[12] = rng.choice((64, 65, 0x7F, 0x80, 0xBF, 0x41))
    elif kind == 6:  # QR=1
        w[2] |= 0x80
    elif kind == 7:  # random opcode and flags
        w[2] = (w[2] & 0x87) | (rng.randrange(16) << 3)
        w[3] = rng.randrange(256)
    elif kind == 8:  # a name longer than 255 octets
        name = b"".join(b"\x3f" + b"x" * 63 for _ in range(5)) + b"\x00"
        w = w[:12] + name + b"\x00\x01\x00\x01"
    elif kind == 9:  # garbage appended / inserted
        i = rng.randrange(len(w) + 1)
        w = w[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 40))) + w[i:]
    elif kind == 10:  # broken OPT: bad rdlen, options, several OPTs
        opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00" + struct.pack(
            "!H", rng.choice((0, 4, 200, 0xFFFF))) + bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
        w = w + opt
        struct.pack_into("!H", w, 10, struct.unpack_from("!H", w, 10)[0] + rng.randint(1, 2))
    else:  # random bytes
        w = bytearray(rng.randrange(256) for _ in range(rng.randrange(0, 600)))
    return bytes(w)


def drain(sock, replies, wait):
    end = time.monotonic() + wait
    while True:
        r, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
        if not r:
            return
        try:
            replies.append(sock.recv(65535))
        except BlockingIOError:
            return


def blast_udp(port, rng, bases, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    replies = []
    try:
        for i in range(n):
            try:
                s.sendto(mutate(rng, bases), ("127.0.0.1", port))
            except (BlockingIOError, OSError):
                pass
            if i % 100 == 99:
                drain(s, replies, 0.005)
        drain(s, replies, 0.3 * H.SLOW)
    finally:
        s.close()
    return replies


def blast_tcp(port, rng, bases, n):
    answered = 0
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(T)
        try:
            s.connect(("127.0.0.1", port))
            body = mutate(rng, bases)
            r = rng.random()
            if r < 0.6:
                data = struct.pack("!H", len(body)) + body
            elif r < 0.8:  # wrong length prefix
                data = struct.pack("!H", rng.randrange(65536)) + body
            else:  # several frames, the last one cut
                data = b"".join(struct.pack("!H", len(b)) + b for b in
                                (mutate(rng, bases) for _ in range(3)))[:-rng.randint(1, 5)]
            s.sendall(data)
            if i % 20 == 0:  # sometimes wait for what comes back (bounded)
                s.settimeout(0.2 * H.SLOW)
                try:
                    if s.recv(65535):
                        answered += 1
                except (socket.timeout, ConnectionResetError):
                    pass
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        finally:
            s.close()
    return answered


def check_replies(replies):
    for r in replies:
        assert len(r) >= 12, "reply shorter than a header: %r" % r
        assert r[2] & 0x80, "reply without QR: %r" % r[:12]


def check_serving(port):
    q = dns.message.make_query("www.test.", "A")
    for r in (dns.query.udp(q, "127.0.0.1", port=port, timeout=T),
              dns.query.tcp(q, "127.0.0.1", port=port, timeout=T)):
        assert r.rcode() == 0 and r.flags & dns.flags.AA, r
        assert [rd.address for rd in r.answer[0]] == ["127.0.0.4"], r
    r = dns.query.udp(dns.message.make_query("nx.test.", "A"), "127.0.0.1", port=port, timeout=T)
    assert r.rcode() == dns.rcode.NXDOMAIN and r.authority, r


def snapshot(port):
    """Raw replies to a fixed sample of the differential corpus: bad input
    must not change a single byte of them."""
    out = []
    for q in dnsdiff.corpus()[::15]:
        out.append((str(q), dnsdiff.ask(q, port, T)))
    return out


@pytest.mark.tsan
def test_mutated_floods(srv):
    port, p = srv["port"], srv["proc"]
    rng = random.Random(7)
    bases = base_queries()
    check_serving(port)
    before = snapshot(port)

    # Warm-up: a fifth of the load, then the reference size.
    replies = blast_udp(port, rng, bases, N_UDP // 5)
    blast_tcp(port, rng, bases, N_TCP // 5)
    check_serving(port)
    rss0 = H.rss_kib(p.pid)

    replies += blast_udp(port, rng, bases, N_UDP - N_UDP // 5)
    answered = blast_tcp(port, rng, bases, N_TCP - N_TCP // 5)
    assert p.alive(), p.tail()
    check_replies(replies)
    assert replies, "no datagram of %d got any reply" % N_UDP
    check_serving(port)
    after = snapshot(port)
    changed = [b[0] for b, a in zip(before, after) if b != a]
    assert not changed, "answers changed after bad input: %s" % changed
    rss1 = H.rss_kib(p.pid)
    print("bad input: %d datagrams (%d replies), %d TCP streams (%d sampled answers), "
          "VmRSS %d -> %d KiB" % (N_UDP, len(replies), N_TCP, answered, rss0, rss1))
    if not H.SANITIZED:  # ASan's quarantine holds freed memory: not comparable
        assert rss1 - rss0 <= RSS_GROWTH_KIB, "VmRSS grew %d KiB" % (rss1 - rss0)


def test_qr_set_gets_no_reply(srv):
    q = bytearray(dns.message.make_query("www.test.", "A").to_wire())
    q[2] |= 0x80
    assert H.udp_raw(bytes(q), srv["port"], timeout=1.0 * H.SLOW) is None


@pytest.mark.parametrize("length", [0, 1, 5, 11])
def test_short_header_gets_no_reply(srv, length):
    q = dns.message.make_query("www.test.", "A").to_wire()[:length]
    assert H.udp_raw(q, srv["port"], timeout=0.5 * H.SLOW) is None


def test_two_questions_formerr(srv):
    w = bytearray(dns.message.make_query("www.test.", "A").to_wire())
    w += w[12:]  # the same question again
    struct.pack_into("!H", w, 4, 2)
    for data in (H.udp_raw(bytes(w), srv["port"], timeout=T),
                 H.tcp_raw(bytes(w), srv["port"], timeout=T)):
        assert data is not None, "no reply to QDCOUNT=2"
        r = struct.unpack("!HHHHHH", data[:12])
        assert r[0] == struct.unpack("!H", w[:2])[0], "id not echoed"
        assert r[1] & 0x8000 and r[1] & 0xF == dns.rcode.FORMERR, hex(r[1])
