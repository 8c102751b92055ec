"""test_name_filter.py -- the kernel name filter of issue 16 (attack:
name-filter, server/exist_guard.h, server/exist_filter.bpf.c) against the
real binary.

While the attack mode is engaged an eBPF socket filter on every reactor
UDP socket drops the queries for names that cannot exist in the served
zones (those answered NXDOMAIN) before the socket queue. These tests run
two Levee instances on the same zones and the same configuration, one with
the filter (name-filter: on, name-filter-sample: 0 unless a test sets it)
and a twin with `name-filter: off`, send each query to both with random
letter case and compare the replies byte for byte (the same datagram goes
to both: same ID, no cookie):

- every kind of query that must pass (other opcodes and classes, malformed
  and compressed questions, names in no served zone, existing names, empty
  non-terminals, names under a wildcard, a cut, a DNAME, in a child zone
  served beside its parent, in an NSEC3-signed zone and the NSEC3 owner
  names themselves, very long names) is answered exactly as the twin
  answers it, and the filter's `dropped` counter does not move;
- names that cannot exist get no UDP answer while the twin answers
  NXDOMAIN, and over TCP the filtered server answers them as the twin;
- name-filter-sample: 4 answers about 1 in 4 of the would-be drops, and
  the counters account for every one;
- mode: auto: dropped while engaged, answered again once disengaged;
- a reload (new name, new serial), a zone transfer (knotd primary, NOTIFY,
  IXFR) and a reload that removes one zone and adds another, all while
  engaged: from the moment a new serial is served, every query for a name
  of that version is answered (none dropped), and once the next set is
  built (`builds` grows) the new version's non-existent names are dropped.

Each test skips only where the filter cannot load on this machine (log line
`attack: name-filter: not in this build` or `not loaded`), and fails there
instead with LEVEE_EXIST_FILTER_REQUIRED set (scripts/test.sh as root). Loopback only;
every loop is bounded by a count and a deadline.
"""

import json
import os
import random
import re
import select
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

import levee_helpers as H

T = 2.0 * H.SLOW          # a reply that should come
GONE = 0.4 * H.SLOW        # a reply that should not: wait this long
RNG = random.Random(16)


def ctl_bin():
    return os.path.join(os.path.dirname(H.levee_bin()), "levee-ctl")


class Lv:
    """A Levee on a free loopback port with a control socket."""

    def __init__(self, pool, zones, name, attack, reactors=1, extra="",
                 v6=False, **server):
        self.port = H.free_port()
        self.sock = os.path.join(pool.tmpdir, "ctl-%s-%d.sock" %
                                 (name, self.port))
        self.conf = os.path.join(pool.tmpdir, "levee-%s-%d.yaml" %
                                 (name, self.port))
        self.zones = zones
        self.attack = attack
        self.extra = extra
        self.reactors = reactors
        self.server = server
        self.listen = ["127.0.0.1@%d" % self.port] + (
            ["'::1@%d'" % self.port] if v6 else [])
        self.write_config(zones)
        self.proc = pool.levee(["-c", self.conf], name="levee-" + name)

    def write_config(self, zones):
        H.levee_config(self.conf, self.listen, zones=zones,
                       reactors=self.reactors, rate_limit=0, **self.server)
        with open(self.conf, "a") as f:
            f.write("attack:\n" + "".join("  %s\n" % a for a in self.attack))
            f.write("control:\n  listen: %s\n" % self.sock)
            f.write(self.extra)

    def ctl(self, *args):
        t = 20 * H.SLOW
        return subprocess.run([ctl_bin(), "-s", self.sock, "-t", str(t)] +
                              list(args), capture_output=True, text=True,
                              timeout=t + 10)

    def nf(self):
        """The stats' name-filter object."""
        out = self.ctl("stats")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["name-filter"]

    def udp(self, wire, timeout=T):
        return H.udp_raw(wire, self.port, timeout=timeout)

    def tcp(self, wire, timeout=T):
        return H.tcp_raw(wire, self.port, timeout=timeout)


def skip_unless_loaded(lv, timeout=None):
    """Waits for the filter's set to be in the slot ("name filter on");
    skips where the filter cannot load here."""
    deadline = time.monotonic() + (timeout or 5 * H.SLOW)
    while time.monotonic() < deadline:
        text = lv.proc.text()
        if "name filter on:" in text:
            return
        m = re.search(r"attack: name-filter: (not in this build|not loaded)"
                      r"[^\n]*", text)
        if m and os.environ.get("LEVEE_EXIST_FILTER_REQUIRED"):
            pytest.fail("name filter required (scripts/test.sh as root) "
                        "but: " + m.group(0))
        if m:
            pytest.skip("name filter cannot load here: " + m.group(0))
        time.sleep(0.02)
    pytest.fail("no 'name filter on' log line:\n" + lv.proc.tail())


def warm(lv, socks=24):
    """One query from each of socks source ports (a name in no served zone:
    answered REFUSED, filtered or not), so that every reactor has ended a
    batch with the mode engaged and swapped its sockets' filter."""
    w = wire_q("warm-up.invalid.", "A", qid=7)
    got = H.udp_many_ports(lv.port, socks, 2, lambda s: w,
                           lambda s, d: True)
    assert got == 2 * socks, got


def engage(lv, socks=24):
    skip_unless_loaded(lv)
    warm(lv, socks)


def rcase(name, rng=RNG):
    """name with each ASCII letter in a random case (0x20)."""
    return "".join(c.upper() if c.isalpha() and rng.random() < 0.5
                   else c.lower() if c.isalpha() else c for c in name)


def wire_q(name, rdtype="A", rdclass="IN", qid=None, edns=False, do=False,
           case=True):
    q = dns.message.make_query(rcase(name) if case else name, rdtype, rdclass,
                               use_edns=0 if (edns or do) else None,
                               want_dnssec=do)
    q.id = RNG.randrange(65536) if qid is None else qid
    return q.to_wire()


def raw(qid=None, flags=0x0100, qd=1, an=0, ns=0, ar=0, body=b""):
    """A message from its header fields and the bytes after the header."""
    return struct.pack("!HHHHHH", RNG.randrange(65536) if qid is None
                       else qid, flags, qd, an, ns, ar) + body


def qname_wire(name):
    return dns.name.from_text(rcase(name)).to_wire()


def question(name, rdtype=1, rdclass=1):
    return qname_wire(name) + struct.pack("!HH", rdtype, rdclass)


def rcode(reply):
    return None if reply is None else reply[3] & 0x0F


def describe(data):
    if data is None:
        return "no answer"
    try:
        m = dns.message.from_wire(data)
        return "%s %s an=%d ns=%d" % (dns.opcode.to_text(m.opcode()),
                                      dns.rcode.to_text(m.rcode()),
                                      len(m.answer), len(m.authority))
    except Exception as e:   # noqa: BLE001 -- only for the message
        return "%d bytes (%s) rcode %d" % (len(data), type(e).__name__,
                                           data[3] & 0xF if len(data) > 3
                                           else -1)


class Pair:
    """A filtered Levee and its twin with `name-filter: off`."""

    def __init__(self, pool, zones=H.ZONES, attack=("mode: on",),
                 sample=0, reactors=1, tag="nf", **server):
        self.f = Lv(pool, zones, tag, list(attack) + [
            "name-filter-sample: %d" % sample], reactors=reactors, **server)
        self.o = Lv(pool, zones, tag + "-off", list(attack) + [
            "name-filter: off"], reactors=reactors, **server)
        engage(self.f)
        warm(self.o)

    def same(self, wire, label, timeout=T, tcp=False):
        """Sends wire to both; asserts the filtered server's reply is the
        twin's, byte for byte. Returns the reply."""
        send = Lv.tcp if tcp else Lv.udp
        want = send(self.o, wire, timeout)
        got = send(self.f, wire, timeout if want is not None else GONE)
        assert got == want, "%s: filtered %s, unfiltered %s (query %s)" % (
            label, describe(got), describe(want), wire.hex())
        return want


# ---- the cases -----------------------------------------------------------

# Names that exist or are answered without NXDOMAIN: (name, qtype).
EXISTING = [
    ("test.", "SOA"), ("test.", "NS"), ("test.", "MX"), ("www.test.", "A"),
    ("www.test.", "AAAA"), ("www.test.", "TXT"), ("www.test.", "MX"),
    ("mail.test.", "A"), ("ns1.test.", "AAAA"), ("_sip._udp.test.", "SRV"),
    ("_udp.test.", "A"),                          # an ENT
    ("4.0.0.127.test.", "PTR"), ("0.0.127.test.", "A"), ("127.test.", "A"),
    ("unknown.test.", "TYPE65400"), ("test.", "ANY"), ("www.test.", "ANY"),
    ("c1.test.", "A"), ("cnx.test.", "A"), ("cother.test.", "A"),
    ("cext.test.", "A"), ("cwild.test.", "A"), ("cdeleg.test.", "A"),
    ("loop1.test.", "A"), ("self.test.", "A"), ("afterinc.test.", "A"),
    ("big.test.", "TXT"),
    # empty non-terminals (host.a.ent.test. exists)
    ("ent.test.", "A"), ("a.ent.test.", "A"), ("a.ent.test.", "TXT"),
    ("host.a.ent.test.", "A"), ("sub.wild2.test.", "A"),
    # wildcards, and names under them at any depth
    ("wild.test.", "A"), ("*.wild.test.", "A"), ("foo.wild.test.", "A"),
    ("foo.wild.test.", "AAAA"), ("foo.wild.test.", "MX"),
    ("a.b.c.wild.test.", "TXT"), ("exists.wild.test.", "A"),
    ("x.wild2.test.", "A"), ("x.y.wild2.test.", "A"),
    ("host.sub.wild2.test.", "A"), ("a.cw.test.", "A"), ("b.a.cw.test.", "A"),
    # under zone cuts: referrals (and glue)
    ("deleg.test.", "NS"), ("deleg.test.", "DS"), ("x.deleg.test.", "A"),
    ("a.b.c.deleg.test.", "AAAA"), ("ns.deleg.test.", "A"),
    ("ns2.deleg.test.", "A"), ("nx.ns.deleg.test.", "A"),
    ("x.outdeleg.test.", "A"), ("x.odeleg.test.", "A"),
    # under DNAMEs
    ("dn.test.", "DNAME"), ("x.dn.test.", "A"), ("www.dn.test.", "A"),
    ("a.b.dn.test.", "A"), ("www.dnself.test.", "A"),
    ("x.dnlong.test.", "A"), ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx."
                              "xxxxxxxxxxxxxxxxxxxxxxx.dnlong.test.", "A"),
    # a child zone served beside its parent, and its parent's side
    ("sub.test.", "SOA"), ("sub.test.", "DS"), ("sub.test.", "NS"),
    ("sub.test.", "TXT"), ("www.sub.test.", "A"), ("ns1.sub.test.", "A"),
    ("ns2.sub.test.", "AAAA"), ("wc.sub.test.", "A"), ("a.wc.sub.test.", "TXT"),
    ("a.b.wc.sub.test.", "TXT"),
    # another zone
    ("example.org.", "SOA"), ("www.example.org.", "A"),
    ("a.www.example.org.", "TXT"), ("www.example.org.", "TXT"),
    # in no served zone: REFUSED (org. is only an ancestor of a served apex)
    (".", "SOA"), (".", "NS"), ("org.", "SOA"), ("x.org.", "A"),
    ("com.", "A"), ("nx.example.com.", "A"), ("test.example.", "A"),
    ("a.b.c.d.e.invalid.", "A"), ("testx.", "A"), ("est.", "A"),
    ("xtest.", "A"), ("example.org.test.example.", "A"),
]

# Names that cannot exist: NXDOMAIN (name, qtype).
MISSING = [
    ("nx.test.", "A"), ("nx.test.", "AAAA"), ("a.b.nx.test.", "A"),
    ("wwww.test.", "A"), ("ww.test.", "A"), ("x.www.test.", "A"),
    ("nothere.test.", "TXT"), ("x.exists.wild.test.", "A"),
    ("x.sub.wild2.test.", "A"), ("x.*.wild.test.", "A"),
    ("x.ent.test.", "A"), ("b.a.ent.test.", "A"), ("x.host.a.ent.test.", "A"),
    ("x._udp.test.", "SRV"), ("x.127.test.", "PTR"),
    ("nx.sub.test.", "A"), ("x.www.sub.test.", "A"), ("nx.example.org.", "A"),
    ("b.a.www.example.org.", "TXT"), ("x-y.test.", "A"), ("_.test.", "A"),
    ("a" * 63 + ".test.", "A"), ("@.test.", "A"), ("[.test.", "A"),
    ("`.test.", "A"), ("{.test.", "A"),
]


def nx_names(n, zone="test.", rng=RNG):
    return ["nx%d-%s.%s" % (i, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                                       for _ in range(8)), zone)
            for i in range(n)]


def long_name(tail, total=255):
    """Single-letter labels before tail to make a name of total octets."""
    n = (total - len(dns.name.from_text(tail).to_wire())) // 2
    return "a." * n + tail


def pass_cases():
    """(label, wire) of every kind of query that must pass the filter."""
    C = []
    for name, t in EXISTING:
        C.append(("%s %s" % (name, t), wire_q(name, t)))
        C.append(("%s %s edns do" % (name, t), wire_q(name, t, do=True)))
    # long names: under a wildcard, a cut, a DNAME, in no zone
    for tail in ("wild.test.", "deleg.test.", "dn.test.", "invalid."):
        nm = long_name(tail)
        C.append(("255-octet name under %s" % tail, wire_q(nm)))
    # other opcodes (any name, nonexistent ones too)
    for op in (1, 2, 3, 4, 5, 6, 15):
        for nm in ("test.", "nx.test.", "www.test."):
            C.append(("opcode %d %s" % (op, nm),
                      raw(flags=op << 11, body=question(nm, 6 if op == 4
                                                        else 1))))
            C.append(("opcode %d %s aa" % (op, nm),
                      raw(flags=(op << 11) | 0x0400,
                          body=question(nm, 6))))
    # other classes
    for nm in ("version.bind.", "id.server.", "hostname.bind.",
               "version.server.", "authors.bind.", "nx.test.", "www.test."):
        C.append(("CH TXT %s" % nm, wire_q(nm, "TXT", "CH")))
    for cls in (0, 2, 3, 4, 254, 255, 65280):
        for nm in ("nx.test.", "www.test.", "a.b.nx.example.org."):
            C.append(("class %d %s" % (cls, nm),
                      raw(body=question(nm, 1, cls))))
    # malformed questions
    nx = qname_wire("nx.test.")
    C += [
        ("qdcount 0", raw(qd=0)),
        ("qdcount 0 with a question", raw(qd=0, body=question("nx.test."))),
        ("qdcount 2", raw(qd=2, body=question("nx.test.") +
                          question("nx2.test."))),
        ("qdcount 2, one question", raw(qd=2, body=question("nx.test."))),
        ("qdcount 65535", raw(qd=65535, body=question("nx.test."))),
        ("truncated name", raw(body=nx[:4])),
        ("name without root", raw(body=nx[:-1])),
        ("no qtype", raw(body=nx)),
        ("half a qclass", raw(body=nx + b"\x00\x01\x00")),
        ("label length past the end", raw(body=b"\x3fnx\x04test\x00"
                                          b"\x00\x01\x00\x01")),
        ("label length 64", raw(body=b"\x40" + b"a" * 64 + b"\x04test\x00"
                                b"\x00\x01\x00\x01")),
        ("label type 0x80", raw(body=b"\x82nx\x04test\x00\x00\x01\x00\x01")),
        ("extended label 0x41", raw(body=b"\x41\x00\x04test\x00"
                                    b"\x00\x01\x00\x01")),
        ("name over 255 octets", raw(body=b"\x01a" * 127 + b"\x04test\x00"
                                     b"\x00\x01\x00\x01")),
        ("name of 129 labels", raw(body=b"\x01a" * 129 + b"\x00"
                                   b"\x00\x01\x00\x01")),
        ("header only", raw(qd=1)),
        ("11 bytes", raw(qd=1)[:11]),
        ("QR set", raw(flags=0x8100, body=question("nx.test."))),
        ("trailing garbage", raw(body=question("nx.test.") + b"\xff" * 7)),
        ("an count 1", raw(an=1, body=question("nx.test."))),
        ("ns count 1", raw(ns=1, body=question("nx.test."))),
    ]
    # a name that cannot exist in a message answered other than NXDOMAIN:
    # a bad EDNS version, OPT records that are wrong, an unknown TSIG key,
    # a meta or transfer qtype over UDP
    def opt(version=0, owner=b"\x00", rdata=b""):
        return owner + struct.pack("!HHIH", 41, 1232, version << 16,
                                   len(rdata)) + rdata
    nxq = question("nx.test.")
    tsig = (qname_wire("nokey.") + struct.pack("!HHIH", 250, 255, 0, 0))
    trd = (qname_wire("hmac-sha256.") + struct.pack("!HIHH", 0,
                                                    int(time.time()), 300,
                                                    32) + b"\x00" * 32 +
           struct.pack("!HHH", 1, 0, 0))
    tsig = tsig[:-2] + struct.pack("!H", len(trd)) + trd
    C += [
        ("nx edns version 1", raw(ar=1, body=nxq + opt(1))),
        ("nx two OPT", raw(ar=2, body=nxq + opt() + opt())),
        ("nx OPT not at the root", raw(ar=1, body=nxq + opt(
            owner=qname_wire("test.")))),
        ("nx COOKIE of 5 octets", raw(ar=1, body=nxq + opt(
            rdata=struct.pack("!HH", 10, 5) + b"\x01" * 5))),
        ("nx TSIG unknown key", raw(ar=1, body=nxq + tsig)),
    ]
    C += [
        ("nx OPT then a byte", raw(ar=1, body=nxq + opt() + b"\x00")),
        ("nx OPT RDLENGTH past the end", raw(ar=1, body=nxq + opt()[:-2] +
                                             b"\x00\x08\x00\x03")),
        ("nx OPT of nine options", raw(ar=1, body=nxq + opt(
            rdata=b"\x00\x03\x00\x00" * 9))),
        ("nx two COOKIEs", raw(ar=1, body=nxq + opt(
            rdata=(struct.pack("!HH", 10, 8) + b"\x02" * 8) * 2))),
        ("nx arcount 0 with an OPT", raw(ar=0, body=nxq + opt())),
    ]
    # NOTIMP (qtype 0, AXFR over UDP) and IXFR: not looked up
    for qt in (0, 251, 252):
        C.append(("nx qtype %d" % qt, raw(body=question("nx.test.", qt))))
    # compressed question names: a pointer in the qname
    for tgt in (0, 12, 2, 40):
        C.append(("pointer to %d" % tgt,
                  raw(qid=0, body=b"\x02nx" + struct.pack("!H", 0xC000 | tgt)
                      + b"\x00\x01\x00\x01")))
    C.append(("pointer only", raw(body=b"\xc0\x0c\x00\x01\x00\x01")))
    # a forward pointer into the additional section, to "test."
    q = b"\x02nx\xc0\x12\x00\x01\x00\x01"
    C.append(("forward pointer", raw(ar=0, body=q + b"\x04test\x00")))
    return C


def drop_cases():
    """(label, wire) that would be answered NXDOMAIN: dropped."""
    C = []
    for name, t in MISSING:
        C.append(("%s %s" % (name, t), wire_q(name, t)))
        C.append(("%s %s edns" % (name, t), wire_q(name, t, edns=True)))
    # qtypes looked up like any other (meta types too): NXDOMAIN
    for qt in (41, 250, 253, 254, 255, 65535):
        C.append(("nx qtype %d" % qt, raw(body=question("nx.test.", qt))))
    # well-formed OPTs: a client COOKIE, NSID and an unknown option
    def opt(rdata):
        return b"\x00" + struct.pack("!HHIH", 41, 1232, 0x8000,
                                      len(rdata)) + rdata
    nxq = question("nx.test.")
    C.append(("nx client cookie", raw(ar=1, body=nxq + opt(
        struct.pack("!HH", 10, 8) + b"\x11" * 8))))
    C.append(("nx NSID and option 65001", raw(ar=1, body=nxq + opt(
        b"\x00\x03\x00\x00\xfd\xe9\x00\x01x"))))
    C.append(("nx eight options", raw(ar=1, body=nxq + opt(
        b"\x00\x03\x00\x00" * 8))))
    C.append(("long nx name", wire_q(long_name("nx.test."))))
    C.append(("long nx name in a child", wire_q(long_name("nx.sub.test."))))
    for nm in nx_names(20) + nx_names(5, "example.org.") + \
            nx_names(5, "sub.test."):
        C.append((nm, wire_q(nm, RNG.choice(["A", "AAAA", "TXT", "MX"]))))
    return C


# ---- tests -----------------------------------------------------------------

def test_must_pass_answered_as_without_filter(pool):
    """Every kind of query that must pass is answered exactly as the twin
    without the filter answers it (the same bytes), and none is dropped:
    the filter's `dropped` counter stays put; it judged them (exists,
    below, no-zone, unjudged all grew)."""
    pr = Pair(pool)
    before = pr.f.nf()
    assert before["engaged"] is True and before["names"] > 50, before
    answered, bad = 0, []
    for label, w in pass_cases():
        try:
            if pr.same(w, label) is not None:
                answered += 1
        except AssertionError as e:
            bad.append(str(e).splitlines()[0])
    assert not bad, "\n".join(bad)
    after = pr.f.nf()
    assert after["dropped"] == before["dropped"], (before, after)
    for k in ("exists", "below", "no-zone", "unjudged"):
        assert after[k] > before[k], (k, before, after)
    assert answered >= len(EXISTING) * 2, answered


def test_missing_names_dropped_udp_answered_tcp(pool):
    """Names that cannot exist: the twin answers NXDOMAIN; the filtered
    server gives no UDP answer (the kernel dropped it: `dropped` grew by
    the count) but answers TCP exactly as the twin."""
    pr = Pair(pool, reactors=2)
    cases = drop_cases()
    before = pr.f.nf()
    for label, w in cases:
        want = pr.o.udp(w)
        assert rcode(want) == dns.rcode.NXDOMAIN, (label, describe(want))
    socks = []
    try:
        # all at once from many source ports (both reactors), then wait
        for i, (label, w) in enumerate(cases):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            s.sendto(w, ("127.0.0.1", pr.f.port))
            socks.append((label, s))
        r, _, _ = select.select([s for _, s in socks], [], [], GONE * 2)
        assert r == [], ["%s: %s" % (lb, describe(s.recv(4096)))
                         for lb, s in socks if s in r]
    finally:
        for _, s in socks:
            s.close()
    after = pr.f.nf()
    assert after["dropped"] - before["dropped"] == len(cases), (before, after)
    for label, w in cases[:40]:
        got = pr.same(w, label + " over tcp", tcp=True)
        assert rcode(got) == dns.rcode.NXDOMAIN, label


def test_ipv6_socket_filtered_as_ipv4(pool):
    """Listening on ::1 too: the program on the IPv6 socket judges alike
    (the DNS message at the same offset past the UDP header): existing
    names and names in no zone answered over ::1 as over 127.0.0.1, names
    that cannot exist dropped (`dropped` grows by their count), over TCP
    on ::1 answered NXDOMAIN."""
    f = Lv(pool, H.ZONES, "v6", ["mode: on", "name-filter-sample: 0"],
           v6=True)
    engage(f)
    for name, t in EXISTING[:20] + [("nx.example.com.", "A")]:
        w = wire_q(name, t, qid=99)
        want = f.udp(w)
        assert want is not None, name
        got = H.udp_raw(w, f.port, addr="::1", timeout=T)
        assert got == want, (name, t, describe(got), describe(want))
    before = f.nf()
    names = nx_names(6) + ["x.www.test.", "nx.example.org."]
    for nm in names:
        assert H.udp_raw(wire_q(nm), f.port, addr="::1",
                         timeout=GONE) is None, nm
    after = f.nf()
    assert after["dropped"] - before["dropped"] == len(names), (before,
                                                                 after)
    r = H.tcp_raw(wire_q(names[0]), f.port, addr="::1", timeout=T)
    assert rcode(r) == dns.rcode.NXDOMAIN, describe(r)


def test_sample_one_in_four(pool):
    """name-filter-sample: 4: of 800 would-be drops about 200 are answered
    (NXDOMAIN, as the twin would), and dropped + sampled account for all
    800, sampled for exactly those answered."""
    f = Lv(pool, H.ZONES, "sample", ["mode: on", "name-filter-sample: 4"])
    engage(f)
    before = f.nf()
    n = H.FEW(800, 400)
    names = nx_names(n)
    socks = []
    answered = 0
    try:
        for _ in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.setblocking(False)
            socks.append(s)

        def drain(wait):
            nonlocal answered
            for _ in range(2000):
                r, _, _ = select.select(socks, [], [], wait)
                if not r:
                    return
                for s in r:
                    try:
                        d = s.recv(4096)
                    except BlockingIOError:
                        continue
                    assert rcode(d) == dns.rcode.NXDOMAIN, describe(d)
                    answered += 1

        for i, nm in enumerate(names):
            socks[i % 8].sendto(wire_q(nm), ("127.0.0.1", f.port))
            if i % 50 == 49:
                drain(0.0)
                time.sleep(0.01)
        drain(GONE)
    finally:
        for s in socks:
            s.close()
    after = f.nf()
    d_drop = after["dropped"] - before["dropped"]
    d_sam = after["sampled"] - before["sampled"]
    print("sample 4: %d queries, %d answered, dropped %d sampled %d" %
          (n, answered, d_drop, d_sam))
    assert d_drop + d_sam == n, (before, after)
    assert d_sam == answered, (answered, before, after)
    assert n // 8 <= answered <= n * 2 // 5, answered


def test_auto_mode_drops_while_engaged_only(pool):
    """mode: auto (300 queries/s, hold 1 s): before it engages a missing
    name is answered NXDOMAIN; a burst engages it, the set is built and the
    name is dropped; once calm, the mode disengages, the filter goes and the
    name is answered NXDOMAIN again."""
    f = Lv(pool, H.ZONES, "auto", ["mode: auto", "queries-per-second: 300",
                                   "hold-time: 1", "name-filter-sample: 0"])
    nx = wire_q("gone.test.", qid=1)
    assert rcode(f.udp(nx)) == dns.rcode.NXDOMAIN
    w = wire_q("www.test.", qid=2)
    # about 900 queries in 1.5 s from 8 ports: over 300/s
    t0 = time.monotonic()
    for _ in range(18):
        H.udp_many_ports(f.port, 8, 6, lambda s: w, lambda s, d: True,
                         timeout=T)
        if time.monotonic() - t0 > 3 * H.SLOW:
            break
        time.sleep(0.05)
    deadline = time.monotonic() + 6 * H.SLOW
    while time.monotonic() < deadline and "name filter on:" not in \
            f.proc.text():
        f.udp(w, 0.3)
        time.sleep(0.1)
    engage(f)
    assert f.udp(nx, GONE) is None, "not dropped while engaged"
    assert f.nf()["engaged"] is True
    # calm: trickle until it disengages (hold 1 s)
    deadline = time.monotonic() + 10 * H.SLOW
    while time.monotonic() < deadline and \
            "name filter off: the attack mode disengaged" not in f.proc.text():
        f.udp(w, 0.3)
        time.sleep(0.3)
    assert "under-attack mode disengaged" in f.proc.text(), f.proc.tail()
    assert "name filter off: the attack mode disengaged" in f.proc.text()
    warm(f)
    for i in range(5):
        r = f.udp(wire_q("gone%d.test." % i))
        assert rcode(r) == dns.rcode.NXDOMAIN, describe(r)
    assert f.nf()["engaged"] is False


@pytest.mark.tsan
def test_auto_mode_held_while_the_filter_drops(pool):
    """mode: auto on a zone's NXDOMAIN share (hold 1 s, no sample): a
    random-name flood engages it within its first second; the filter then
    drops every flood query in the kernel, so user space sees none, yet
    the mode stays engaged for the 4 s the flood lasts (the drops are
    handed to the detector; 100 positive queries a second keep the seconds
    evaluated), and disengages once it stops."""
    f = Lv(pool, H.ZONES, "held", ["mode: auto", "zone-nxdomain-percent: 50",
                                   "zone-nxdomain-min: 100", "hold-time: 1",
                                   "name-filter-sample: 0"])
    names = nx_names(4000, rng=random.Random(5))
    pos = wire_q("www.test.", qid=3)
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
             for _ in range(4)]
    try:
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < 4.0:   # about 1,000 queries/s
            for k in range(10):
                socks[k % 4].sendto(wire_q(names[i % len(names)]),
                                    ("127.0.0.1", f.port))
                i += 1
            # and 100/s for www.test.: seconds go on being evaluated
            socks[i % 4].sendto(pos, ("127.0.0.1", f.port))
            time.sleep(0.01)
        flood_end = time.monotonic()
    finally:
        for s in socks:
            s.close()
    skip_unless_loaded(f, 0.5)   # the filter was on (or cannot load here)
    text = f.proc.text()
    assert text.count("under-attack mode engaged") == 1, f.proc.tail()
    assert "under-attack mode disengaged" not in text, f.proc.tail()
    assert f.nf()["dropped"] > 1000, f.nf()
    w = wire_q("www.test.", qid=2)
    while time.monotonic() < flood_end + 8 * H.SLOW and \
            "under-attack mode disengaged" not in f.proc.text():
        f.udp(w, 0.3)
        time.sleep(0.2)
    assert "under-attack mode disengaged" in f.proc.text(), f.proc.tail()
    assert f.proc.text().count("under-attack mode engaged") == 1


def test_nsec3_zone_answered_as_without_filter(pool):
    """An NSEC3-signed zone (with a signed child and an insecure one): its
    corpus with DO, the NSEC3 owner names and names below them are answered
    exactly as the twin answers them; missing names are dropped."""
    try:
        import dnssec_zones as DS
        z = DS.make(pool.tmpdir, "nsec3", tag="nf3")
    except (OSError, RuntimeError) as e:
        pytest.skip("cannot sign zones here: %s" % e)
    pr = Pair(pool, zones=z["zones"], tag="nsec3")
    owners = set()
    for _o, path in z["zones"]:
        with open(path) as fh:
            for line in fh:
                p = line.split()
                if len(p) > 3 and "NSEC3" in p[:4] and not line.startswith(";"):
                    owners.add(p[0])
    assert owners
    owners = sorted(owners)[:20]
    before = pr.f.nf()
    dropped = 0
    for qname, qtype, _st, rc in z["corpus"][::3] + \
            [(o, "A", None, None) for o in owners] + \
            [(o, "NSEC3", None, None) for o in owners] + \
            [("x." + o, "A", None, None) for o in owners]:
        w = wire_q(qname, qtype, do=True)
        want = pr.o.udp(w)
        got = pr.f.udp(w, T if rcode(want) != dns.rcode.NXDOMAIN else GONE)
        if got is None and rcode(want) == dns.rcode.NXDOMAIN:
            dropped += 1
            continue
        assert got == want, "%s %s: filtered %s, unfiltered %s" % (
            qname, qtype, describe(got), describe(want))
    after = pr.f.nf()
    assert after["dropped"] - before["dropped"] == dropped
    assert dropped > 0


# ---- changes while engaged ---------------------------------------------------

ZONE = """$ORIGIN {o}
$TTL 300
@	SOA	ns1.{o} hostmaster.{o} {serial} 3600 900 604800 300
@	NS	ns1.{o}
ns1	A	127.0.0.1
www	A	127.0.0.2
{extra}"""


def write_zone(path, origin, serial, extra="", filler=0):
    lines = extra + "".join("f%d A 192.0.2.1\n" % i for i in range(filler))
    with open(path, "w") as f:
        f.write(ZONE.format(o=origin, serial=serial, extra=lines))
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))


class Watch:
    """Queries in a tight bounded loop from one socket: the zone's SOA,
    then each watched name; once the new serial has been seen, every later
    query for a name that version holds must be answered (a timeout is a
    drop) with the expected rcode."""

    def __init__(self, lv, origin, serial, names, timeout=GONE):
        self.lv, self.origin, self.serial = lv, origin, serial
        self.names = names          # [(name, rcode expected once served)]
        self.timeout = timeout
        self.seen_at = None
        self.after = 0
        self.bad = []
        self.sent = 0

    def soa_serial(self):
        r = self.lv.udp(wire_q(self.origin, "SOA"), self.timeout)
        self.sent += 1
        if r is None:
            return "drop"
        m = dns.message.from_wire(r)
        for rr in m.answer:
            if rr.rdtype == dns.rdatatype.SOA:
                return rr[0].serial
        return dns.rcode.to_text(m.rcode())

    def step(self):
        s = self.soa_serial()
        if s == "drop" and self.seen_at is not None:
            self.bad.append("SOA %s dropped" % self.origin)
        if s == self.serial and self.seen_at is None:
            self.seen_at = time.monotonic()
        for name, want in self.names:
            if self.seen_at is None:
                self.lv.udp(wire_q(name), 0.05)
                continue
            r = self.lv.udp(wire_q(name), self.timeout)
            self.sent += 1
            self.after += 1
            if rcode(r) != want:
                self.bad.append("%s after serial %s seen (+%.3f s): %s" % (
                    name, self.serial, time.monotonic() - self.seen_at,
                    describe(r)))


def run_watch(watch, until, max_steps=3000, timeout=15):
    deadline = time.monotonic() + timeout * H.SLOW
    for _ in range(max_steps):
        if time.monotonic() > deadline or len(watch.bad) > 5:
            break
        watch.step()
        if until():
            break
    return watch


@pytest.mark.tsan
def test_reload_new_name_never_dropped(pool):
    """Engaged, a zone file gains a name and the server reloads (SIGHUP,
    three rounds): from the moment the new serial is served, every query
    for the new name is answered NOERROR, while the reload runs, right
    after it and across the next set's build; once `builds` has grown,
    names the new version lacks are dropped."""
    zf = os.path.join(pool.tmpdir, "r.zone")
    write_zone(zf, "r.test.", 1, filler=3000)
    f = Lv(pool, [("r.test.", zf)], "reload", ["mode: on",
                                               "name-filter-sample: 0"],
           reactors=2)
    engage(f)
    assert f.udp(wire_q("new1.r.test."), GONE) is None
    extra = ""
    for rnd in range(1, 4):
        builds0 = f.nf()["builds"]
        extra += "new%d A 192.0.2.%d\n" % (rnd, rnd)
        write_zone(zf, "r.test.", rnd + 1, extra=extra, filler=3000)
        w = Watch(f, "r.test.", rnd + 1,
                  [("new%d.r.test." % k, dns.rcode.NOERROR)
                   for k in range(rnd, 0, -1)] +
                  [("www.r.test.", dns.rcode.NOERROR)])
        f.proc.p.send_signal(signal.SIGHUP)
        extra_steps = [0]

        def done():
            if w.seen_at is None:
                return False
            extra_steps[0] += 1
            return extra_steps[0] % 20 == 0 and \
                f.nf()["builds"] > builds0 and extra_steps[0] >= 100
        run_watch(w, done)
        assert w.seen_at is not None, "serial %d never served:\n%s" % (
            rnd + 1, f.proc.tail())
        assert not w.bad, w.bad
        assert f.nf()["builds"] > builds0, f.nf()
        print("round %d: %d queries after the new serial" % (rnd, w.after))
        # the new set: names this version lacks dropped, new ones pass
        assert f.udp(wire_q("new%d.r.test." % (rnd + 1)), GONE) is None
        assert rcode(f.udp(wire_q("new%d.r.test." % rnd))) == 0


@pytest.mark.tsan
def test_reload_removes_and_adds_zones(pool):
    """Engaged, a reload removes zone a.test. and adds c.test.: a.test.'s
    names are answered all along (NOERROR, then REFUSED: never dropped),
    c.test.'s from the moment its SOA is served; after the next build
    c.test.'s missing names are dropped and a.test.'s answered REFUSED."""
    a = os.path.join(pool.tmpdir, "a.zone")
    b = os.path.join(pool.tmpdir, "b.zone")
    c = os.path.join(pool.tmpdir, "c.zone")
    write_zone(a, "a.test.", 1)
    write_zone(b, "b.test.", 1)
    write_zone(c, "c.test.", 5, extra="deep.x.y A 192.0.2.5\n")
    f = Lv(pool, [("a.test.", a), ("b.test.", b)], "zones",
           ["mode: on", "name-filter-sample: 0"], reactors=2)
    engage(f)
    assert f.udp(wire_q("nx.a.test."), GONE) is None
    assert rcode(f.udp(wire_q("nx.c.test."))) == dns.rcode.REFUSED
    builds0 = f.nf()["builds"]
    f.write_config([("b.test.", b), ("c.test.", c)])
    w = Watch(f, "c.test.", 5, [("www.c.test.", dns.rcode.NOERROR),
                                ("deep.x.y.c.test.", dns.rcode.NOERROR),
                                ("x.y.c.test.", dns.rcode.NOERROR),
                                ("www.b.test.", dns.rcode.NOERROR),
                                ("www.a.test.", dns.rcode.REFUSED),
                                ("nx.a.test.", dns.rcode.REFUSED)])
    # before the reload is through, a.test.'s names must be answered too
    for _ in range(3):
        assert rcode(f.udp(wire_q("www.a.test."))) == dns.rcode.NOERROR
    th_err = []

    def reload():
        out = f.ctl("reload")
        if out.returncode != 0 or "1 added, 1 removed" not in out.stdout:
            th_err.append(out.stdout + out.stderr)
    th = threading.Thread(target=reload)
    th.start()
    n = [0]

    def done():
        if w.seen_at is None:
            return False
        n[0] += 1
        return n[0] % 20 == 0 and n[0] >= 60 and \
            f.nf()["builds"] > builds0
    try:
        run_watch(w, done)
    finally:
        th.join(30 * H.SLOW)
    assert not th_err, th_err
    assert w.seen_at is not None, f.proc.tail()
    assert not w.bad, w.bad
    assert f.nf()["builds"] > builds0
    assert f.udp(wire_q("nx.c.test."), GONE) is None
    assert f.udp(wire_q("nx.y.c.test."), GONE) is None
    assert rcode(f.udp(wire_q("nx.a.test."))) == dns.rcode.REFUSED
    assert rcode(f.udp(wire_q("www.a.test."))) == dns.rcode.REFUSED


@pytest.mark.asan
def test_secondary_transfer_new_name_never_dropped(pool):
    """A Levee secondary of knotd, engaged: knotd's zone gains a name
    (NOTIFY, IXFR); from the moment the secondary serves the new serial the
    new name is answered NOERROR, every time, and after the next build a
    name the zone lacks is dropped. Then the name goes again (serial 3):
    once served, it is answered NXDOMAIN or dropped, never NOERROR."""
    from test_secondary import Knot, Secondary
    lport = H.free_port()
    knot = Knot(pool, lport, serial=1)
    sec = Secondary(pool, knot.port, port=lport,
                    extra_server="  exempt-local: false\n",
                    extra_top="attack:\n  mode: on\n"
                    "  name-filter-sample: 0\n")
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    lv = Lv.__new__(Lv)
    lv.port, lv.sock, lv.proc = sec.port, sec.sock, sec.proc
    engage(lv)
    deadline = time.monotonic() + 5 * H.SLOW
    while time.monotonic() < deadline and lv.udp(wire_q("new.a.test."),
                                                 GONE) is not None:
        time.sleep(0.2)   # the set of the transferred zone
    assert lv.udp(wire_q("new.a.test."), GONE) is None
    builds0 = lv.nf()["builds"]
    w = Watch(lv, "a.test.", 2, [("new.a.test.", dns.rcode.NOERROR),
                                 ("www.a.test.", dns.rcode.NOERROR)])
    stop = threading.Event()
    n = [0]

    def done():
        if stop.is_set():
            return True
        if w.seen_at is None:
            return False
        n[0] += 1
        return n[0] % 20 == 0 and n[0] >= 60 and lv.nf()["builds"] > builds0
    th = threading.Thread(target=run_watch, args=(w, done))
    th.start()
    try:
        knot.change(2, "192.0.2.1", extra="new A 192.0.2.9")
        th.join(20 * H.SLOW)
    finally:
        stop.set()
        th.join(10)
    assert w.seen_at is not None, sec.status()
    assert not w.bad, w.bad
    assert lv.nf()["builds"] > builds0
    assert lv.udp(wire_q("nx.a.test."), GONE) is None
    assert rcode(lv.udp(wire_q("new.a.test."))) == dns.rcode.NOERROR
    assert sec.counts()["ixfr"] >= 1
    # the name goes: answered NXDOMAIN (passed while marked) or dropped
    knot.change(3, "192.0.2.1")
    assert sec.wait_serial(3, 10 * H.SLOW), sec.status()
    r = lv.udp(wire_q("new.a.test."), GONE)
    assert r is None or rcode(r) == dns.rcode.NXDOMAIN, describe(r)
