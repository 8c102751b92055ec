"""test_exempt_local_netns.py -- server: exempt-local is not fooled by a
forged 127.0.0.1 from the network (route_localnet, docs/rrl.md).

exempt-local exempts UDP from 127.0.0.1 and ::1 that came in on the
loopback interface, judged by the IP_PKTINFO / IPV6_PKTINFO interface index
(udp.c: udp_local), not by the source address alone: with
net.ipv4.conf.*.route_localnet=1 (kube-proxy sets it) a datagram from the
network may carry the source 127.0.0.1.

The test builds that network: two network namespaces (server and client)
joined by a veth pair whose addresses exist only inside them (10.99.0.1/30
and 10.99.0.2/30); levee runs in the server namespace on 0.0.0.0 with RRL
at 5 answers/s. The client namespace sends queries with source 127.0.0.1
to 10.99.0.1 through a raw socket (IPv4 and UDP headers built here); the
replies go to the server's own loopback and are lost, so the test judges by
levee's counters (SIGUSR1): the forged queries arrive (udp-queries), are not
counted local-exempt and meet RRL, while the same burst from 127.0.0.1 on
the server namespace's own loopback is exempt and answered whole.

For the forged datagrams to reach the socket the server namespace sets
route_localnet=1 and rp_filter=0 (conf.all and the veth), and accept_local=1
on the veth (since Linux 6.x fib_validate_source also refuses a source that
is a local address unless accept_local is set); the client sets
arp_announce=2 so its ARP request names 10.99.0.2, not 127.0.0.1 (the
server ignores ARP from a loopback address). Needs root and `ip netns`;
skipped otherwise. The namespaces are deleted and levee stopped by pid at
the end, even on failure. Every loop is bounded in count and time.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

import levee_helpers as H

SERVER_ADDR = "10.99.0.1"
CLIENT_ADDR = "10.99.0.2"
PORT = 5353          # a namespace of our own: any port is free
FORGED_SPORT = 33333
N = H.FEW(60, 30)    # queries per burst, one name: RRL at 5/s limits most


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True,
                          timeout=10, check=check)


def ns_sysctl(ns, *settings):
    r = subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w"] +
                       list(settings), capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, "%s: sysctl %s: %s" % (ns, settings, r.stderr)


@pytest.fixture
def netns():
    """(server namespace, client namespace, server veth name), deleted at
    teardown (which removes the veth pair with them)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    if not shutil.which("ip"):
        pytest.skip("needs ip (iproute2)")
    tag = os.getpid() % 1000000
    srv, cli = "lvsrv%d" % tag, "lvcli%d" % tag
    vs, vc = "lvs%d" % tag, "lvc%d" % tag   # interface names: < 16 chars
    made = []
    try:
        for ns in (srv, cli):
            r = ip("netns", "add", ns, check=False)
            if r.returncode != 0:
                pytest.skip("ip netns add failed: %s" % r.stderr.strip())
            made.append(ns)
        ip("-n", srv, "link", "add", vs, "type", "veth", "peer", "name", vc,
           "netns", cli)
        ip("-n", srv, "addr", "add", SERVER_ADDR + "/30", "dev", vs)
        ip("-n", cli, "addr", "add", CLIENT_ADDR + "/30", "dev", vc)
        for ns, dev in ((srv, vs), (cli, vc)):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        ns_sysctl(srv, "net.ipv4.conf.all.route_localnet=1",
                  "net.ipv4.conf.%s.route_localnet=1" % vs,
                  "net.ipv4.conf.all.rp_filter=0",
                  "net.ipv4.conf.%s.rp_filter=0" % vs,
                  "net.ipv4.conf.%s.accept_local=1" % vs)
        ns_sysctl(cli, "net.ipv4.conf.all.arp_announce=2",
                  "net.ipv4.conf.%s.arp_announce=2" % vc)
        yield srv, cli, vs
    finally:
        for ns in made:
            ip("netns", "del", ns, check=False)


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def forged_datagram(wire, src, dst, sport, dport, ident):
    """An IPv4 header (no options) and a UDP header (checksum 0: none, RFC
    768) around wire, from src:sport to dst:dport."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(wire), 0) + wire
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64,
                      socket.IPPROTO_UDP, 0, socket.inet_aton(src),
                      socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + udp


def _child():
    """Run inside a namespace (ip netns exec ... python -c): argv[1] is
    "forged" (N raw datagrams from 127.0.0.1 to SERVER_ADDR) or "loopback"
    (N queries from 127.0.0.1 to 127.0.0.1, replies read back). Prints
    "sent full tc none"."""
    import dns.flags
    import dns.message
    import select
    mode, n = sys.argv[1], int(sys.argv[2])
    q = dns.message.make_query("www.test.", "A")
    full = tc = 0
    if mode == "forged":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        for i in range(n):
            q.id = i
            s.sendto(forged_datagram(q.to_wire(), "127.0.0.1", SERVER_ADDR,
                                     FORGED_SPORT, PORT, i + 1),
                     (SERVER_ADDR, 0))
        s.close()
        print(n, 0, 0, n)
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    for i in range(n):
        q.id = i
        s.sendto(q.to_wire(), ("127.0.0.1", PORT))
    for _ in range(n):
        r, _, _ = select.select([s], [], [], 1.0 * H.SLOW)
        if not r:
            break
        if dns.message.from_wire(s.recv(65535)).flags & dns.flags.TC:
            tc += 1
        else:
            full += 1
    s.close()
    print(n, full, tc, n - full - tc)


def in_ns(ns, mode, n):
    """Runs _child(mode, n) in namespace ns; returns (sent, full, tc, none)."""
    r = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c",
         "import sys; sys.path.insert(0, %r); import test_exempt_local_netns "
         "as T; T._child()" % os.path.dirname(os.path.abspath(__file__)),
         mode, str(n)],
        capture_output=True, text=True, timeout=30 * H.SLOW)
    assert r.returncode == 0, "%s in %s: %s" % (mode, ns, r.stdout + r.stderr)
    return tuple(int(x) for x in r.stdout.split())


def total(proc):
    out = {}
    for c in H.counters(proc).values():
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


def wait_queries(proc, want, timeout):
    """The counters once udp-queries reaches want (bounded; the last
    counters on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        c = total(proc)
        if c.get("udp-queries", 0) >= want or time.monotonic() > deadline:
            return c
        time.sleep(0.1)


def test_forged_loopback_source_not_exempt(netns, tmp_path):
    """RRL at 5/s, slip 2, exempt-local on, levee on 0.0.0.0 in the server
    namespace. N queries for one name from 127.0.0.1 on the namespace's own
    loopback: all answered whole, all counted local-exempt. N queries with
    source 127.0.0.1 arriving on the veth (route_localnet=1): they reach
    levee (udp-queries) but are not local-exempt, and RRL drops or slips
    most of them. Fails if udp.c trusted the source address alone."""
    srv, cli, _vs = netns
    conf = H.levee_config(str(tmp_path / "levee.yaml"), ["0.0.0.0@%d" % PORT],
                          exempt_local="on")
    with open(conf, "a") as f:
        f.write("rate-limit:\n  responses-per-second: 5\n  slip: 2\n")
    # ip netns exec execs levee: the pid is levee's.
    p = H.Proc("levee-netns", ["ip", "netns", "exec", srv, H.levee_bin(),
                               "-c", conf],
               str(tmp_path / "levee.log"), cwd=H.DATA)
    try:
        p.wait_log(r"\bready\b", 10 * H.SLOW)
        assert "exempt-local on" in p.text(), p.tail()

        sent, full, tc, none = in_ns(srv, "loopback", N)
        assert (full, tc, none) == (N, 0, 0), (full, tc, none, p.tail())
        c = total(p)
        assert c["local-exempt"] == N, c
        limited = lambda c: sum(v for k, v in c.items()   # noqa: E731
                                if k.startswith("rrl-dropped") or
                                k.startswith("rrl-slipped"))
        assert limited(c) == 0, c

        in_ns(cli, "forged", N)
        c = wait_queries(p, 2 * N, 5 * H.SLOW)
        assert c["udp-queries"] == 2 * N, (
            "the forged datagrams did not reach levee (martian filter?): %s"
            % c)
        assert c["local-exempt"] == N, (
            "a forged 127.0.0.1 from the veth was exempt: %s" % c)
        assert limited(c) >= N // 2, "RRL did not limit the forged source: %s" % c
    finally:
        rc = p.stop()
    assert rc == 0, "levee exited %s:\n%s" % (rc, p.tail())
    assert "assertion failed (going on)" not in p.text(), p.tail()
