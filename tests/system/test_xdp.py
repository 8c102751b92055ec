"""test_xdp.py -- the xdp: section (issue 17): parsed and validated with
FILE:LINE errors; UDP answered over AF_XDP; and the fallback to sockets
where AF_XDP does not serve an entry (logged once per entry, never fatal).

The namespace tests build two network namespaces joined by a veth pair
with two queues a side (10.99.0.1/24, fd99::1/64 and the client's .2 and
::2, addresses that exist only inside them), run levee in one with
reactors: 2 and xdp: listen on its veth (an XSK socket per reactor, on
queues 0 and 1), and query it from the other with dnspython (and kdig):
UDP answers over XDP for IPv4 and IPv6, the same bytes as the TCP
answers, the xdp-* counters showing the path was taken; the differential
corpus answered byte for byte as by a levee on sockets beside it;
malformed frames sent over AF_PACKET dropped and counted, never answered,
never a crash; a burst from one source meets response rate limiting (TC slips and drops) over XDP as
over sockets; and where the program cannot attach (another XDP program
holds the interface) UDP stays on sockets. The namespaces are deleted at
the end, even on failure. Needs root and `ip netns` (skipped otherwise);
the XDP tests skip on a build without AF_XDP (-Dxdp=disabled).
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

import dns.message
import dns.query
import pytest

import levee_helpers as H

T = 10 * H.SLOW
PORT = 5353   # a namespace of our own: any port is free
SRV4, CLI4 = "10.99.0.1", "10.99.0.2"
SRV6, CLI6 = "fd99::1", "fd99::2"
NAMES = [("www.test.", "A"), ("test.", "SOA"), ("nope.test.", "A"),
         ("test.", "NS"), ("www.test.", "AAAA")]


def config(tmp_path, xdp, listen=None, rate_limit=0, name="levee"):
    conf = H.levee_config(str(tmp_path / ("%s.yaml" % name)),
                          listen or ["127.0.0.1@%d" % H.free_port()],
                          reactors=2, rate_limit=rate_limit)
    with open(conf, "a") as f:
        f.write(xdp)
    return conf


# (what, the xdp: section's text, the 1-based line of the error relative
# to the section's first line, the key named, a part of the reason).
BAD = [
    ("address, not an interface", "xdp:\n  listen: 10.0.0.1@53\n", 1,
     "listen", "not an interface name"),
    ("port out of range", "xdp:\n  listen: eth0@70000\n", 1, "listen",
     "port from 1 to 65535"),
    ("port not a number", "xdp:\n  listen: eth0@dns\n", 1, "listen",
     "port from 1 to 65535"),
    ("empty name", "xdp:\n  listen: \"@53\"\n", 1, "listen",
     "no interface name"),
    ("name too long", "xdp:\n  listen: abcdefghijklmnop@53\n", 1, "listen",
     "at most 15 bytes"),
    ("twice", "xdp:\n  listen: [eth0@53, eth0@53]\n", 1, "listen",
     "given twice"),
    ("two ports on one interface", "xdp:\n  listen: [eth0@53, eth0@54]\n",
     1, "listen", "one port per interface"),
    ("tcp on", "xdp:\n  listen: eth0\n  tcp: on\n", 2, "tcp",
     "TCP over XDP is not supported"),
    ("ring not a power of two", "xdp:\n  ring-size: 3000\n", 1,
     "ring-size", "power of two"),
    ("ring too small", "xdp:\n  ring-size: 128\n", 1, "ring-size",
     "power of two"),
    ("unknown key", "xdp:\n  route-check: on\n", 1, "route-check",
     "unknown key in xdp"),
    ("not a mapping", "xdp: eth0\n", 0, "xdp", "expected a mapping"),
]


@pytest.mark.parametrize("what,text,line,key,reason", BAD,
                         ids=[b[0] for b in BAD])
def test_xdp_config_errors(tmp_path, what, text, line, key, reason):
    """Each bad xdp: value stops --check with exit 2 and
    FILE:LINE: key 'KEY': REASON at the offending line."""
    conf = config(tmp_path, text)
    first = open(conf).read().splitlines().index(text.splitlines()[0]) + 1
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 2, (what, r.returncode, r.stdout + r.stderr)
    out = r.stdout + r.stderr
    want = "%s:%d: key '%s': " % (conf, first + line, key)
    assert want in out and reason in out, (what, want, reason, out)


def test_xdp_config_good(tmp_path):
    """knotd's forms pass --check: IFACE alone (port 53), IFACE@PORT, a
    list, udp, tcp: off and a ring size."""
    conf = config(tmp_path, "xdp:\n  listen: [eth0, lo@5300]\n  udp: on\n"
                  "  tcp: off\n  ring-size: 4096\n")
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 0, r.stdout + r.stderr


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True,
                          timeout=10, check=check)


@pytest.fixture
def netns():
    """(server namespace, client namespace, server veth), deleted at
    teardown (which removes the veth pair with them)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    if not shutil.which("ip"):
        pytest.skip("needs ip (iproute2)")
    tag = os.getpid() % 1000000
    srv, cli = "lxsrv%d" % tag, "lxcli%d" % tag
    vs, vc = "lxs%d" % tag, "lxc%d" % tag   # interface names: < 16 chars
    made = []
    try:
        for ns in (srv, cli):
            r = ip("netns", "add", ns, check=False)
            if r.returncode != 0:
                pytest.skip("ip netns add failed: %s" % r.stderr.strip())
            made.append(ns)
        # Two queues a side: reactor N's XSK socket binds queue N.
        ip("-n", srv, "link", "add", vs, "numtxqueues", "2", "numrxqueues",
           "2", "type", "veth", "peer", "name", vc, "numtxqueues", "2",
           "numrxqueues", "2", "netns", cli)
        ip("-n", srv, "addr", "add", SRV4 + "/24", "dev", vs)
        ip("-n", cli, "addr", "add", CLI4 + "/24", "dev", vc)
        ip("-n", srv, "addr", "add", SRV6 + "/64", "dev", vs, "nodad")
        ip("-n", cli, "addr", "add", CLI6 + "/64", "dev", vc, "nodad")
        for ns, dev in ((srv, vs), (cli, vc)):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        yield srv, cli, vs
    finally:
        for ns in made:
            ip("netns", "del", ns, check=False)


def _child():
    """In the client namespace: argv[1] the server address; each of NAMES
    over UDP and over TCP; prints one line per query: 'same' when the
    server sent the same bytes both ways, else both in hex.

    The bytes compared are the server's own (H.udp_raw, H.tcp_raw), never
    a dnspython re-rendering: Message.to_wire() shuffles the records of
    every RRset of two or more (Rdataset.to_wire(want_shuffle=True), the
    default), so two equal answers re-rendered differ about half the time
    for test. NS (ns1, ns2): the flake this test had."""
    addr = sys.argv[1]
    for name, qtype in NAMES:
        q = dns.message.make_query(name, qtype, use_edns=0, payload=1232)
        w = q.to_wire()
        u = H.udp_raw(w, PORT, addr, timeout=3)
        t = H.tcp_raw(w, PORT, addr, timeout=3)
        if u is not None and u == t:
            print("same", name, qtype)
        else:
            print("differ", name, qtype, u and u.hex(), t and t.hex())


def in_ns(ns, addr):
    r = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c",
         "import sys; sys.path.insert(0, %r); import test_xdp as T; "
         "T._child()" % os.path.dirname(os.path.abspath(__file__)), addr],
        capture_output=True, text=True, timeout=30 * H.SLOW)
    assert r.returncode == 0, "query in %s: %s" % (ns, r.stdout + r.stderr)
    return r.stdout.splitlines()


def xdp_object():
    """The build's XDP program object (BUILDDIR/server/xdp.bpf.o), or None
    (a build without AF_XDP)."""
    path = os.path.join(os.path.dirname(H.levee_bin()), "xdp.bpf.o")
    return path if os.path.exists(path) else None


def foreign_xdp_object():
    """An XDP program that is not Levee's (xdp-tools' xdpdump_xdp.o), or
    None: levee replaces a levee_xdp program it finds attached, never
    another one."""
    for d in ("/usr/lib/x86_64-linux-gnu/bpf", "/usr/lib/aarch64-linux-gnu/bpf",
              "/usr/lib/bpf", "/usr/share/xdp-tools"):
        path = os.path.join(d, "xdpdump_xdp.o")
        if os.path.exists(path):
            return path
    return None


def attached(ns, dev):
    """The name of the XDP program attached to dev, or None."""
    r = ip("-n", ns, "-d", "link", "show", dev)
    m = re.search(r"prog/xdp id \d+ name (\S+)", r.stdout)
    return m.group(1) if m else None


def start_in(ns, conf, tmp_path, name="levee"):
    p = H.Proc(name, ["ip", "netns", "exec", ns, H.levee_bin(), "-c", conf],
               str(tmp_path / ("%s.log" % name)), cwd=H.DATA)
    p.wait_log(r"\bready\b", T)
    return p


def totals(p):
    c = {}
    for v in H.counters(p).values():
        for k, n in v.items():
            c[k] = c.get(k, 0) + n
    return c


def test_xdp_fallback_to_sockets(netns, tmp_path):
    """xdp: listen on the veth, which another XDP program holds already
    (xdp-tools' xdpdump in generic mode: levee's program cannot attach in
    either mode, and levee does not replace a program not its own), and on
    an interface that does not exist: levee starts; each entry's fallback
    is logged exactly once with its reason ('does not attach', 'no such
    interface'); UDP queries over IPv4 and IPv6 from the other namespace
    are answered by the sockets, the same bytes as over TCP."""
    srv, cli, vs = netns
    if xdp_object():
        obj = foreign_xdp_object()
        if not obj:
            pytest.skip("needs xdp-tools (xdpdump_xdp.o: a program that "
                        "is not levee's to hold the interface)")
        ip("-n", srv, "link", "set", "dev", vs, "xdpgeneric", "obj", obj,
           "sec", "xdp")
    conf = config(tmp_path, "xdp:\n  listen: [%s@%d, nosuch0@%d]\n" %
                  (vs, PORT, PORT),
                  listen=["%s@%d" % (SRV4, PORT), "%s@%d" % (SRV6, PORT)])
    p = start_in(srv, conf, tmp_path)
    try:
        log = p.text()
        for entry in ("%s@%d" % (vs, PORT), "nosuch0@%d" % PORT):
            lines = [l for l in log.splitlines()
                     if ("xdp %s: " % entry) in l and
                     "UDP stays on sockets" in l]
            assert len(lines) == 1, (entry, log)
        # A stub build (-Dxdp=disabled) gives its own reason first.
        if "AF_XDP not in this build" not in log:
            assert re.search(r"xdp nosuch0@%d: no such interface" % PORT,
                             log), log
            assert re.search(r"xdp %s@%d: the XDP program does not attach"
                             % (vs, PORT), log), log
        for addr in (SRV4, SRV6):
            out = in_ns(cli, addr)
            assert len(out) == len(NAMES), out
            assert all(l.startswith("same") for l in out), out
        c = totals(p)
        assert c["udp-queries"] >= 2 * len(NAMES), c
        assert c["tcp-queries"] >= 2 * len(NAMES), c
        assert c.get("xdp-received", 0) == 0, c
    finally:
        p.stop()
    if xdp_object():
        assert attached(srv, vs) == "xdpdump"   # left alone


def start_xdp(srv, vs, tmp_path, extra="", rate_limit=0):
    """levee in srv with xdp: listen on vs (both reactors' sockets up),
    or the test skipped on a build without AF_XDP."""
    if not xdp_object():
        pytest.skip("this build has no AF_XDP path (-Dxdp=disabled)")
    conf = config(tmp_path, "xdp:\n  listen: %s@%d\n%s" % (vs, PORT, extra),
                  listen=["%s@%d" % (SRV4, PORT), "%s@%d" % (SRV6, PORT)],
                  rate_limit=rate_limit)
    p = start_in(srv, conf, tmp_path)
    log = p.text()
    if "AF_XDP on queues 0..1" not in log:
        p.stop()
        assert False, log
    return p


def kdig(ns, addr, *args):
    r = subprocess.run(["ip", "netns", "exec", ns, "kdig", "@" + addr, "-p",
                        str(PORT), "+notcp", "+retry=0", "+time=3"] +
                       list(args), capture_output=True, text=True,
                       timeout=20 * H.SLOW)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_xdp_answers_ipv4_ipv6(netns, tmp_path):
    """xdp: listen on the veth: queries from the other namespace over
    IPv4 and IPv6 are answered over AF_XDP (xdp-received and xdp-answered
    count every one, nothing dropped), with the same bytes as over TCP
    (which stays on sockets); kdig gets its answers too."""
    srv, cli, vs = netns
    if not shutil.which("kdig"):
        pytest.skip("needs kdig (knot-dnsutils)")
    p = start_xdp(srv, vs, tmp_path)
    try:
        for addr in (SRV4, SRV6):
            out = in_ns(cli, addr)
            assert len(out) == len(NAMES), out
            assert all(l.startswith("same") for l in out), out
            txt = kdig(cli, addr, "www.test.", "A")
            assert "127.0.0.4" in txt and "NOERROR" in txt, txt
            txt = kdig(cli, addr, "+dnssec", "+bufsize=1232", "test.", "NS")
            assert "ns1.test." in txt and "ns2.test." in txt, txt
        c = totals(p)
        n = 2 * (len(NAMES) + 2)
        assert c["xdp-received"] >= n, c
        assert c["xdp-answered"] >= n, c
        assert c["xdp-dropped"] == 0 and c["xdp-ring-full"] == 0, c
        assert c["udp-queries"] == c["xdp-received"], c
        assert c["tcp-queries"] >= 2 * len(NAMES), c
    finally:
        p.stop()


BURST = 200
RRL_RATE = 5


def _burst_child():
    """In the client namespace: argv[1] the server address; BURST queries
    for www.test. A from one socket, as fast as it sends, then the
    replies for up to 2 s; prints 'answer N tc N'."""
    addr = sys.argv[1]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    wire = bytearray(dns.message.make_query("www.test.", "A",
                                            use_edns=0).to_wire())
    for i in range(BURST):
        wire[0:2] = struct.pack("!H", i)
        s.sendto(bytes(wire), (addr, PORT))
    got = {"answer": 0, "tc": 0}
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and sum(got.values()) < BURST:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        flags, = struct.unpack("!H", data[2:4])
        got["tc" if flags & 0x0200 else "answer"] += 1
    print("answer %d tc %d" % (got["answer"], got["tc"]))


def burst(ns, addr):
    r = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c",
         "import sys; sys.path.insert(0, %r); import test_xdp as T; "
         "T._burst_child()" % os.path.dirname(os.path.abspath(__file__)), addr],
        capture_output=True, text=True, timeout=30 * H.SLOW)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.match(r"answer (\d+) tc (\d+)", r.stdout)
    assert m, r.stdout
    return int(m.group(1)), int(m.group(2))


def test_xdp_rate_limit_like_sockets(netns, tmp_path):
    """rate-limit: responses-per-second 5, slip 2: a burst of BURST
    queries for one name from one source, over AF_XDP and then over
    sockets (levee restarted without xdp:), is limited the same way on
    both: a few full answers, about every second limited response a TC=1
    slip, the rest dropped; the RRL counters say so, and the xdp-*
    counters show the first burst went over XDP."""
    srv, cli, vs = netns
    rrl = "rate-limit:\n  responses-per-second: %d\n  slip: 2\n" % RRL_RATE
    seen = {}
    for how in ("xdp", "sockets"):
        if how == "xdp":
            p = start_xdp(srv, vs, tmp_path, extra=rrl, rate_limit=None)
        else:
            conf = config(tmp_path, rrl, rate_limit=None, name="sockets",
                          listen=["%s@%d" % (SRV4, PORT),
                                  "%s@%d" % (SRV6, PORT)])
            p = start_in(srv, conf, tmp_path, name="sockets")
        try:
            ans, tc = burst(cli, SRV4)
            c = totals(p)
        finally:
            p.stop()
        limited = BURST - ans
        assert ans <= 3 * RRL_RATE, (how, ans, tc, c)
        assert 0.3 * limited <= tc <= 0.7 * limited, (how, ans, tc, c)
        assert c["rrl-slipped-responses"] == tc, (how, c)
        assert c["rrl-dropped-responses"] >= limited - tc - 2, (how, c)
        if how == "xdp":
            assert c["xdp-received"] >= BURST, c
            assert c["xdp-answered"] == ans + tc, c
        else:
            assert c.get("xdp-received", 0) == 0, c
        seen[how] = (ans, tc)
    assert abs(seen["xdp"][1] - seen["sockets"][1]) <= 0.2 * BURST, seen


PORT2 = 5354   # the sockets-only levee beside the XDP one


def _corpus_child():
    """In the client namespace: argv[1] the server address; every UDP
    query of the differential corpus (dnsdiff.corpus()) to PORT (XDP) and
    to PORT2 (sockets); prints 'same N differ N' and the first
    differences."""
    import dnsdiff as D
    addr = sys.argv[1]
    same, differ = 0, []
    for q in D.corpus():
        if q.tcp:
            continue
        wire = q.wire(q.qid)
        a = H.udp_raw(wire, PORT, addr, timeout=2)
        b = H.udp_raw(wire, PORT2, addr, timeout=2)
        if a is not None and a == b:
            same += 1
        else:
            differ.append((wire.hex(), a and a.hex(), b and b.hex()))
    print("same %d differ %d" % (same, len(differ)))
    for d in differ[:5]:
        print("query %s xdp %s sockets %s" % d)


def test_xdp_corpus_same_as_sockets(netns, tmp_path):
    """The differential corpus over UDP, asked of a levee over XDP (PORT)
    and of a second levee on sockets only (PORT2, same zones and
    settings) in the same namespace: byte for byte the same replies, for
    IPv4 and IPv6."""
    srv, cli, vs = netns
    p = start_xdp(srv, vs, tmp_path)
    conf = config(tmp_path, "", name="sockets",
                  listen=["%s@%d" % (SRV4, PORT2), "%s@%d" % (SRV6, PORT2)])
    q = start_in(srv, conf, tmp_path, name="sockets")
    try:
        for addr in (SRV4, SRV6):
            r = subprocess.run(
                ["ip", "netns", "exec", cli, sys.executable, "-c",
                 "import sys; sys.path.insert(0, %r); import test_xdp as T; "
                 "T._corpus_child()" %
                 os.path.dirname(os.path.abspath(__file__)), addr],
                capture_output=True, text=True, timeout=120 * H.SLOW,
                cwd=H.DATA)
            assert r.returncode == 0, r.stdout + r.stderr
            m = re.match(r"same (\d+) differ (\d+)", r.stdout)
            assert m and int(m.group(2)) == 0, r.stdout
            assert int(m.group(1)) >= 200, r.stdout
        c = totals(p)
        assert c["xdp-answered"] >= 400 and c["xdp-dropped"] == 0, c
        assert totals(q).get("xdp-received", 0) == 0
    finally:
        q.stop()
        p.stop()


def _frame(dst_mac, src_mac, v6=False, vlans=(), payload=None, sport=40000,
           dport=PORT, csum_bad=False, tot_delta=0, ulen_delta=0, pad=0):
    """An Ethernet frame of a UDP query (from the client's addresses),
    with one header field broken on request."""
    if payload is None:
        payload = dns.message.make_query("www.test.", "A",
                                         use_edns=0).to_wire()
    ulen = 8 + len(payload) + ulen_delta
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    if v6:
        ip_ = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + \
            socket.inet_pton(socket.AF_INET6, CLI6) + \
            socket.inet_pton(socket.AF_INET6, SRV6)
        etype = 0x86dd
    else:
        hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0,
                                    20 + len(udp) + tot_delta, 0, 0x4000,
                                    64, 17, 0,
                                    socket.inet_aton(CLI4),
                                    socket.inet_aton(SRV4)))
        s = sum(struct.unpack("!10H", bytes(hdr)))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        struct.pack_into("!H", hdr, 10, (~s & 0xffff) ^ (1 if csum_bad else 0))
        ip_ = bytes(hdr)
        etype = 0x0800
    eth = dst_mac + src_mac
    for tci in vlans:
        eth += struct.pack("!HH", 0x8100, tci)
    return eth + struct.pack("!H", etype) + ip_ + udp + b"\0" * pad


BAD_FRAMES = [
    ("IPv4 header checksum", dict(csum_bad=True)),
    ("IPv4 total length past the frame", dict(tot_delta=8)),
    ("UDP length past the IP payload", dict(ulen_delta=4, pad=8)),
    ("source port 0", dict(sport=0)),
    ("two VLAN tags", dict(vlans=(5, 6))),
]


def _bad_frames_child():
    """In the client namespace: argv[1] the interface, argv[2] the
    server's MAC; sends each of BAD_FRAMES 10 times over AF_PACKET, then
    garbage of every length 0 to 99 as UDP payloads (QR set, random
    bytes) from a socket."""
    import random
    dev, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((dev, 0))
    own = bytes.fromhex(open("/sys/class/net/%s/address" % dev).read()
                        .strip().replace(":", ""))
    for _, kw in BAD_FRAMES:
        f = _frame(mac, own, **kw)
        for _ in range(10):
            s.send(f)
    rng = random.Random(17)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for n in range(100):
        junk = bytearray(rng.getrandbits(8) for _ in range(n))
        if n > 2:
            junk[2] |= 0x80
        u.sendto(bytes(junk), (SRV4, PORT))
    print("sent")


def test_xdp_bad_frames(netns, tmp_path):
    """Malformed frames over AF_PACKET (a broken IPv4 checksum, lengths
    past the frame or the IP payload, source port 0, a second VLAN tag)
    and garbage DNS payloads of every length: levee keeps running, counts
    them (xdp-dropped or its garbage drop, or the program passes them to
    the kernel), answers none of them, and then answers real queries
    over XDP as before."""
    srv, cli, vs = netns
    p = start_xdp(srv, vs, tmp_path)
    try:
        r = ip("-n", srv, "-o", "link", "show", vs)
        mac = re.search(r"link/ether ([0-9a-f:]{17})", r.stdout).group(1)
        vc = vs.replace("lxs", "lxc")
        r = subprocess.run(
            ["ip", "netns", "exec", cli, sys.executable, "-c",
             "import sys; sys.path.insert(0, %r); import test_xdp as T; "
             "T._bad_frames_child()" %
             os.path.dirname(os.path.abspath(__file__)), vc, mac],
            capture_output=True, text=True, timeout=30 * H.SLOW)
        assert r.returncode == 0 and "sent" in r.stdout, r.stdout + r.stderr
        time.sleep(0.5)
        c = totals(p)
        # Checksum, total length, source port: ours to drop (30); a UDP
        # length past the IP payload: ours too (10); two tags: passed.
        assert c["xdp-dropped"] >= 40, c
        assert c["xdp-answered"] == 0, c
        assert p.p.poll() is None, p.text()
        out = in_ns(cli, SRV4)
        assert all(l.startswith("same") for l in out), out
        c = totals(p)
        assert c["xdp-answered"] >= len(NAMES), c
    finally:
        p.stop()


def test_xdp_program_detached_at_stop_replaced_after_kill(netns, tmp_path):
    """A levee that stops detaches its program; one killed (SIGKILL)
    leaves it attached, and the next levee replaces it (one line at
    info) and serves over XDP again, rather than falling back for good."""
    srv, cli, vs = netns
    p = start_xdp(srv, vs, tmp_path)
    try:
        assert attached(srv, vs) == "levee_xdp"
    finally:
        p.stop()
    assert attached(srv, vs) is None
    p = start_xdp(srv, vs, tmp_path)
    p.p.kill()
    p.p.wait(10)
    p.stop()
    assert attached(srv, vs) == "levee_xdp"
    p = start_xdp(srv, vs, tmp_path)
    try:
        assert "levee_xdp program left attached" in p.text(), p.text()
        out = in_ns(cli, SRV6)
        assert all(l.startswith("same") for l in out), out
        c = totals(p)
        assert c["xdp-answered"] >= len(NAMES), c
    finally:
        p.stop()
    assert attached(srv, vs) is None
