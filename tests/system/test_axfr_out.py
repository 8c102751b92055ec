"""test_axfr_out.py -- AXFR out over TCP (RFC 5936) with the zones' acl
lists (server/xfrout.c), against the real binary.

- kdig +tcp AXFR returns every record of the zone file (parsed by
  dnspython), the SOA first and last; a zone of 5,000+ records comes in
  several messages, each within 64 KiB, with the query's ID, the question,
  QR and AA, the set larger than a message split across messages.
- Refused: from an address the zone's acl does not list (127.0.0.2),
  NOTAUTH with EDE Prohibited; a zone without acl, or a name that is no
  apex, NOTAUTH; over UDP NOTIMP (as knotd 3.2).
- server: transfers-max: past it SERVFAIL; the slot comes back.
- A client that opens a transfer and never reads: the server goes on
  answering other queries over UDP and TCP, the connection holds a bounded
  buffer (tcp-memory), and it is closed at tcp-idle-timeout.
- IXFR (no journal yet): the whole zone AXFR-style from an older serial,
  the SOA alone from ours or a newer one, FORMERR without the SOA.
- Interop: knotd 3.2 and nsd 4.6 as secondaries of Levee on loopback end
  up serving the same records (their own AXFR and queries compared), and
  follow a reload that raises the serial (their IXFR answered
  AXFR-style; nsd does not fall back to AXFR on NOTAUTH).
- Reload: a zone's new acl list takes effect at once; a transfer running
  across the reload that removes its zone ends complete.

Every server is started on a free loopback port and stopped by PID; every
loop is bounded in count and time.
"""

import os
import signal
import socket
import struct
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

import levee_helpers as H

BIG_NAMES = 2500        # A and AAAA each: 5,000 records
BIG_TXT = 600           # one set of about 30 KiB: more than a message


def write_big_zone(path, origin="big.test.", names=BIG_NAMES):
    with open(path, "w") as f:
        f.write("$ORIGIN %s\n$TTL 3600\n" % origin)
        f.write("@ SOA ns1 hostmaster 42 7200 3600 1209600 300\n")
        f.write("@ NS ns1\n@ NS ns2.example.net.\nns1 A 127.0.0.1\n")
        f.write("sub NS ns.sub\nns.sub A 127.0.0.53\n")
        for i in range(names):
            f.write("host%d A 10.%d.%d.%d\n" % (i, i >> 16 & 255, i >> 8 & 255, i & 255))
            f.write("host%d AAAA 2001:db8::%x:%x\n" % (i, i >> 16, i & 0xffff))
            if i % 10 == 0:
                f.write("host%d MX 10 mail.host%d\n" % (i, i))
        for i in range(BIG_TXT):
            f.write('big TXT "text record %05d of a set larger than a message"\n' % i)
    return path


def acl_extra(zones, acl_addr="127.0.0.1", notify_addr="127.0.0.3"):
    """acl: and zones: YAML: zones is [(origin, file, acl ids)]."""
    lines = ["acl:",
             "  - id: xfr", "    address: [%s]" % acl_addr, "    action: transfer",
             "  - id: ntf", "    address: %s" % notify_addr, "    action: notify",
             "zones:"]
    for origin, path, acls in zones:
        lines += ["  - domain: %s" % origin, "    file: %s" % path]
        if acls:
            lines.append("    acl: [%s]" % ", ".join(acls))
    return "\n".join(lines) + "\n"


def write_config(conf, port, zones, **server):
    H.levee_config(conf, ["127.0.0.1@%d" % port], zones=[], **server)
    with open(conf) as f:
        text = f.read().replace("zones:\n", "")
    with open(conf, "w") as f:
        f.write(text + acl_extra(zones))


def start_levee(pool, zones, name="axfr", **server):
    """A levee with zones (origin, file, acls) from acl_extra()."""
    port = H.free_port()
    conf = os.path.join(pool.tmpdir, "levee-%s-%d.yaml" % (name, port))
    write_config(conf, port, zones, **server)
    return port, pool.levee(["-c", conf])


@pytest.fixture(scope="module")
def big_zone(tmp_path_factory):
    return write_big_zone(str(tmp_path_factory.mktemp("axfr") / "big.test.zone"))


@pytest.fixture(scope="module")
def huge_zone(tmp_path_factory):
    """About 200,000 records (6 MB of messages): more than the kernel's
    socket buffers on loopback hold (tcp_wmem's 4 MiB at most)."""
    return write_big_zone(str(tmp_path_factory.mktemp("axfr") / "huge.test.zone"),
                          names=100000)


@pytest.fixture(scope="module")
def lv(module_pool, big_zone):
    zones = [("test.", os.path.join(H.DATA, "test.zone"), ["xfr"]),
             ("sub.test.", os.path.join(H.DATA, "sub.test.zone"), ["ntf", "xfr"]),
             ("big.test.", big_zone, ["xfr"]),
             ("example.org.", os.path.join(H.DATA, "example.org.zone"), None)]
    port, p = start_levee(module_pool, zones, name="axfrmod")
    return port, p


# ---- clients ----------------------------------------------------------------

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def axfr_messages(port, zone, src="127.0.0.1", edns=False, timeout=10.0, limit=10000):
    """Every message of one AXFR over a fresh TCP connection, as
    (wire length, dns.message), until the second SOA, an error rcode, the
    server's close, or limit messages."""
    q = dns.message.make_query(zone, "AXFR")
    if edns:
        q.use_edns(0, options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    wire = q.to_wire()
    out = []
    soas = 0
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout * H.SLOW)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(struct.pack("!H", len(wire)) + wire)
        while len(out) < limit:
            hdr = recv_exact(s, 2)
            if hdr is None:
                break
            data = recv_exact(s, struct.unpack("!H", hdr)[0])
            m = dns.message.from_wire(data, one_rr_per_rrset=True)
            out.append((len(data), m))
            soas += sum(1 for rr in m.answer if rr.rdtype == dns.rdatatype.SOA)
            if m.rcode() != dns.rcode.NOERROR or soas >= 2:
                break
    finally:
        s.close()
    return q, out


def records_of_messages(msgs):
    """The records of an AXFR's messages in order, as (name, ttl, type,
    rdata text) with lowercase names."""
    recs = []
    for _, m in msgs:
        for rrset in m.answer:
            for rd in rrset:
                recs.append((rrset.name.to_text().lower(), rrset.ttl,
                             rrset.rdtype, rd.to_digestable(dns.name.root)))
    return recs


def zone_file_records(path, origin):
    """Every record of a zone file as dnspython reads it (same tuples);
    $INCLUDE relative to the file's directory, as the servers read it."""
    cwd = os.getcwd()
    os.chdir(os.path.dirname(path))
    try:
        z = dns.zone.from_file(path, origin, relativize=False)
    finally:
        os.chdir(cwd)
    recs = set()
    for name, node in z.nodes.items():
        for rds in node.rdatasets:
            for rd in rds:
                recs.add((name.to_text().lower(), rds.ttl, rds.rdtype, rd.to_digestable(dns.name.root)))
    return recs


def kdig_records(port, zone, timeout=30):
    """kdig +tcp AXFR's records (comments dropped), as tuples."""
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+tcp", "+nocomments",
                          "+nostats", "+noquestion", zone, "AXFR"], capture_output=True,
                         text=True, timeout=timeout * H.SLOW)
    recs = []
    for line in out.stdout.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        name, ttl, cls, rtype, rest = line.split(None, 4)
        rd = dns.rdata.from_text(cls, rtype, rest, origin=dns.name.root, relativize=False)
        recs.append((name.lower(), int(ttl), dns.rdatatype.from_text(rtype), rd.to_digestable(dns.name.root)))
    return out, recs


# ---- the transfer --------------------------------------------------------------

def test_kdig_axfr_every_record(lv):
    port, _ = lv
    path = os.path.join(H.DATA, "test.zone")
    out, recs = kdig_records(port, "test.")
    assert out.returncode == 0, out.stderr
    assert recs[0][2] == dns.rdatatype.SOA and recs[-1][2] == dns.rdatatype.SOA
    assert recs[0] == recs[-1]
    body = recs[:-1]
    assert len(body) == len(set(body)), "a record came twice"
    assert set(body) == zone_file_records(path, "test.")


@pytest.mark.asan
@pytest.mark.tsan
def test_big_zone_many_messages(lv, big_zone):
    port, _ = lv
    q, msgs = axfr_messages(port, "big.test.", edns=True)
    assert len(msgs) > 4, "5,000 records need several messages"
    for n, m in msgs:
        assert n <= 65535
        assert m.id == q.id
        assert m.rcode() == dns.rcode.NOERROR
        assert m.flags & dns.flags.QR and m.flags & dns.flags.AA
        assert len(m.question) == 1 and m.question[0].name == dns.name.from_text("big.test.")
        assert m.question[0].rdtype == dns.rdatatype.AXFR
        assert m.edns == 0       # the reply OPT in every message, as knotd
    recs = records_of_messages(msgs)
    assert recs[0][2] == dns.rdatatype.SOA and recs[-1][2] == dns.rdatatype.SOA
    body = recs[:-1]
    want = zone_file_records(big_zone, "big.test.")
    assert len(want) > 5000
    assert len(body) == len(set(body)) == len(want)
    assert set(body) == want
    # the 600-record TXT set went across messages
    txt_msgs = [i for i, (_, m) in enumerate(msgs)
                if any(rr.rdtype == dns.rdatatype.TXT for rr in m.answer)]
    assert len(txt_msgs) >= 2


def test_kdig_big_zone(lv, big_zone):
    port, _ = lv
    out, recs = kdig_records(port, "big.test.")
    assert out.returncode == 0, out.stderr
    assert set(recs[:-1]) == zone_file_records(big_zone, "big.test.")
    assert len(recs) == len(zone_file_records(big_zone, "big.test.")) + 1


def test_child_zone_with_two_acls(lv):
    port, _ = lv
    _, msgs = axfr_messages(port, "sub.test.")
    recs = records_of_messages(msgs)
    assert set(recs[:-1]) == zone_file_records(os.path.join(H.DATA, "sub.test.zone"),
                                               "sub.test.")


# ---- refusals ---------------------------------------------------------------------

@pytest.mark.asan
def test_refused_from_address_not_in_acl(lv):
    port, proc = lv
    before = H.counter_total(proc, "xfrout-denied")
    _, msgs = axfr_messages(port, "test.", src="127.0.0.2", edns=True)
    assert len(msgs) == 1
    m = msgs[0][1]
    assert m.rcode() == dns.rcode.NOTAUTH
    assert not m.answer
    ede = [o for o in m.options if o.otype == dns.edns.EDE]
    assert ede and ede[0].code == 18     # Prohibited (RFC 8914 4.19)
    assert H.counter_total(proc, "xfrout-denied") == before + 1
    # the notify-only acl of sub.test. does not allow 127.0.0.3 transfers
    _, msgs = axfr_messages(port, "sub.test.", src="127.0.0.3")
    assert msgs[0][1].rcode() == dns.rcode.NOTAUTH


def test_refused_without_acl_or_apex(lv):
    port, _ = lv
    for zone in ("example.org.", "www.test.", "nonexistent.", "ns1.sub.test."):
        _, msgs = axfr_messages(port, zone)
        assert len(msgs) == 1 and msgs[0][1].rcode() == dns.rcode.NOTAUTH, zone


def test_notimp_over_udp(lv):
    port, _ = lv
    r = H.udp_msg(dns.message.make_query("test.", "AXFR"), port)
    assert r is not None and r.rcode() == dns.rcode.NOTIMP
    assert not r.answer


def test_pipelined_query_after_transfer(lv):
    """A query sent behind the AXFR on the same connection is answered
    after the transfer's last message."""
    port, _ = lv
    q1 = dns.message.make_query("test.", "AXFR")
    q2 = dns.message.make_query("www.test.", "A")
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * H.SLOW)
    try:
        for q in (q1, q2):
            w = q.to_wire()
            s.sendall(struct.pack("!H", len(w)) + w)
        seen = []
        for _ in range(100):
            hdr = recv_exact(s, 2)
            assert hdr is not None
            m = dns.message.from_wire(recv_exact(s, struct.unpack("!H", hdr)[0]),
                                      one_rr_per_rrset=True)
            seen.append(m)
            if m.id == q2.id:
                break
        assert seen[-1].id == q2.id and seen[-1].answer
        assert all(m.id == q1.id for m in seen[:-1])
        last = [rr for rr in seen[-2].answer][-1]
        assert last.rdtype == dns.rdatatype.SOA
    finally:
        s.close()


def zone_size(names):
    """Records of write_big_zone(names=...): 6 fixed, A and AAAA per name,
    MX on every 10th, the TXT set."""
    return 6 + 2 * names + (names + 9) // 10 + BIG_TXT


def read_frames(s, want_records, timeout):
    """Reads an AXFR's messages from s until their ANCOUNTs add up to
    want_records (bounded: the server's close, or timeout); returns the
    first and last message parsed and the total."""
    s.settimeout(timeout)
    first = last = None
    total = 0
    for _ in range(1000000):
        hdr = recv_exact(s, 2)
        if hdr is None:
            break
        data = recv_exact(s, struct.unpack("!H", hdr)[0])
        if data is None:
            break
        total += struct.unpack("!H", data[6:8])[0]
        if first is None:
            first = dns.message.from_wire(data, one_rr_per_rrset=True)
        if total >= want_records:
            last = dns.message.from_wire(data, one_rr_per_rrset=True)
            break
    return first, last, total


@pytest.mark.asan
@pytest.mark.tsan
def test_reload_applies_zone_acls(pool, huge_zone):
    """A full reload (SIGHUP) publishes the zones' new acl lists: a zone
    whose acl went is refused at once, one that got an acl (or was added
    with one) is transferred; a transfer running across the reload (its
    zone removed by it) ends complete, from the version it started with."""
    test_zone = os.path.join(H.DATA, "test.zone")
    org_zone = os.path.join(H.DATA, "example.org.zone")
    sub_zone = os.path.join(H.DATA, "sub.test.zone")
    port, proc = start_levee(pool, [("test.", test_zone, ["xfr"]),
                                    ("example.org.", org_zone, None),
                                    ("big.test.", huge_zone, ["xfr"])],
                             name="reload", reactors=1)
    assert axfr_messages(port, "test.")[1][-1][1].rcode() == dns.rcode.NOERROR
    assert axfr_messages(port, "example.org.")[1][0][1].rcode() == dns.rcode.NOTAUTH
    s = open_stalled(port, "big.test.")
    try:
        assert wait_counter(proc, "xfrout-started", 2, 5 * H.SLOW) == 2
        conf = [a for a in proc.argv if a.endswith(".yaml")][0]
        write_config(conf, port, [("test.", test_zone, None),
                                  ("example.org.", org_zone, ["ntf", "xfr"]),
                                  ("sub.test.", sub_zone, ["xfr"])], reactors=1)
        proc.p.send_signal(signal.SIGHUP)
        proc.wait_log(r"reload 1: ", 10 * H.SLOW)
        r = H.udp_msg(dns.message.make_query("big.test.", "SOA"), port)
        assert r is not None and not any(   # gone (test. answers for it)
            rr.name == dns.name.from_text("big.test.") for rr in r.answer)
        want = zone_size(100000) + 1
        first, last, total = read_frames(s, want, 10 * H.SLOW)
        assert total == want
        assert first.answer[0].rdtype == dns.rdatatype.SOA
        assert last.answer[-1].rdtype == dns.rdatatype.SOA
    finally:
        s.close()
    assert wait_counter(proc, "xfrout-done", 2, 5 * H.SLOW) == 2
    _, msgs = axfr_messages(port, "test.", edns=True)
    assert len(msgs) == 1 and msgs[0][1].rcode() == dns.rcode.NOTAUTH
    assert any(o.otype == dns.edns.EDE and o.code == 18 for o in msgs[0][1].options)
    for zone, path in (("example.org.", org_zone), ("sub.test.", sub_zone)):
        _, msgs = axfr_messages(port, zone)
        assert msgs[-1][1].rcode() == dns.rcode.NOERROR, zone
        assert set(records_of_messages(msgs)[:-1]) == zone_file_records(path, zone)


# ---- transfers-max and a client that does not read -----------------------------

def open_stalled(port, zone, rcvbuf=4096):
    """Sends an AXFR and never reads: a small receive buffer, so the
    server's writes stall soon."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5 * H.SLOW)
    s.connect(("127.0.0.1", port))
    w = dns.message.make_query(zone, "AXFR").to_wire()
    s.sendall(struct.pack("!H", len(w)) + w)
    return s


def wait_counter(proc, name, want, timeout):
    deadline = time.monotonic() + timeout
    while True:
        v = H.counter_total(proc, name)
        if v >= want or time.monotonic() > deadline:
            return v
        time.sleep(0.2)


@pytest.mark.asan
def test_stalled_reader_bounded_and_closed(pool, huge_zone):
    """A transfer client that stops reading: other queries are answered,
    the server holds a bounded buffer for it, and closes it at the idle
    timeout; a second transfer past transfers-max 1 is SERVFAIL meanwhile
    and succeeds once the stalled one is gone."""
    idle = 2
    zones = [("big.test.", huge_zone, ["xfr"])]
    port, proc = start_levee(pool, zones, name="stall", reactors=1,
                             tcp_idle_timeout=idle, transfers_max=1)
    base = H.counter_total(proc, "tcp-memory")
    s = open_stalled(port, "big.test.")
    try:
        assert wait_counter(proc, "xfrout-started", 1, 5 * H.SLOW) == 1
        time.sleep(0.5)
        # bounded: the transfer's state and one 64 KiB write buffer
        held = H.counter_total(proc, "tcp-memory") - base
        assert 0 < held < 160 * 1024, held
        # others are answered meanwhile, over UDP and TCP
        for _ in range(5):
            r = H.udp_msg(dns.message.make_query("host1.big.test.", "A"), port)
            assert r is not None and r.answer
            r = H.tcp_msg(dns.message.make_query("host2.big.test.", "AAAA"), port)
            assert r is not None and r.answer
        # transfers-max 1: the second is SERVFAIL
        _, msgs = axfr_messages(port, "big.test.")
        assert len(msgs) == 1 and msgs[0][1].rcode() == dns.rcode.SERVFAIL
        assert H.counter_total(proc, "xfrout-busy") == 1
        # closed at the idle timeout (WRITING state: reset)
        assert wait_counter(proc, "tcp-timeout", 1, (idle + 5) * H.SLOW) >= 1
        got = 0
        try:
            s.settimeout(2 * H.SLOW)
            for _ in range(10000):
                d = s.recv(65536)
                if not d:
                    break
                got += len(d)
        except (ConnectionResetError, socket.timeout):
            pass
        assert H.counter_total(proc, "xfrout-done") == 0
    finally:
        s.close()
    # the slot is back: a full transfer now (kdig: a reader fast enough for
    # the 2 s idle timeout, which a write of ours must not wait longer for)
    out, recs = kdig_records(port, "big.test.")
    assert out.returncode == 0 and len(recs) > 200000, out.stderr
    assert recs[0][2] == recs[-1][2] == dns.rdatatype.SOA
    assert wait_counter(proc, "xfrout-done", 1, 5 * H.SLOW) == 1
    assert H.counter_total(proc, "tcp-memory") <= base + 4096


# ---- interop: knotd and nsd as secondaries ----------------------------------------

def sorted_axfr(port, zone):
    out, recs = kdig_records(port, zone)
    assert out.returncode == 0, out.stderr
    return sorted(set(recs))


def wait_serial(port, zone, serial, timeout, proc):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = H.udp_msg(dns.message.make_query(zone, "SOA"), port, timeout=0.5)
        if r is not None and r.answer and r.answer[0][0].serial == serial:
            return
        if not proc.alive():
            raise AssertionError("%s exited:\n%s" % (proc.name, proc.tail()))
        time.sleep(0.1)
    raise AssertionError("%s: %s not at serial %d within %ds:\n%s" % (
        proc.name, zone, serial, timeout, proc.tail()))


def knotd_secondary(pool, primary_port, zones):
    port = H.free_port()
    d = os.path.join(pool.tmpdir, "knot-sec")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = os.path.join(d, "knot.conf")
    z = "".join("  - domain: %s\n    master: levee\n    acl: local\n" % o for o in zones)
    with open(conf, "w") as f:
        f.write("""server:
  rundir: {d}
  listen: 127.0.0.1@{port}
database:
  storage: {d}/db
log:
  - target: stderr
    any: info
remote:
  - id: levee
    address: 127.0.0.1@{pp}
acl:
  - id: local
    address: 127.0.0.1
    action: [transfer, notify]
template:
  - id: default
    storage: {d}/db
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
{z}""".format(d=d, port=port, pp=primary_port, z=z))
    p = H.Proc("knotd", ["knotd", "-c", conf], os.path.join(d, "knotd.log"))
    pool.procs.append(p)
    return port, p


def nsd_secondary(pool, primary_port, zones):
    port = H.free_port()
    d = os.path.join(pool.tmpdir, "nsd-sec")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nsd.conf")
    z = "".join("""zone:
  name: {o}
  zonefile: {d}/{o}zone
  request-xfr: 127.0.0.1@{pp} NOKEY
  allow-notify: 127.0.0.1 NOKEY
  provide-xfr: 127.0.0.1 NOKEY
""".format(o=o, d=d, pp=primary_port) for o in zones)
    with open(conf, "w") as f:
        f.write("""{server}remote-control:
  control-enable: yes
  control-interface: {d}/nsd.sock
{z}""".format(d=d, z=z, server=H.nsd_server_block(port, d)))
    p = H.Proc("nsd", ["nsd", "-d", "-c", conf], os.path.join(d, "nsd.log"))
    pool.procs.append(p)
    return port, p


def ixfr_query(zone, serial, with_soa=True):
    q = dns.message.make_query(zone, "IXFR")
    if with_soa:
        soa = dns.rrset.from_text(zone, 0, "IN", "SOA",
                                  "ns1.%s hm.%s %d 1 1 1 1" % (zone, zone, serial))
        q.authority.append(soa)
    return q


def tcp_messages(q, port, limit=100):
    """All messages answering q on one TCP connection until the second SOA
    or an error (bounded)."""
    wire = q.to_wire()
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * H.SLOW)
    out, soas = [], 0
    try:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        while len(out) < limit:
            hdr = recv_exact(s, 2)
            if hdr is None:
                break
            m = dns.message.from_wire(recv_exact(s, struct.unpack("!H", hdr)[0]),
                                      one_rr_per_rrset=True)
            out.append(m)
            soas += sum(1 for rr in m.answer if rr.rdtype == dns.rdatatype.SOA)
            if m.rcode() != dns.rcode.NOERROR or soas >= 2 or \
                    (soas == 1 and len(m.answer) == 1 and len(out) == 1):
                break
    finally:
        s.close()
    return out


def test_ixfr_answered_axfr_style(lv):
    """No journal yet: an IXFR from an older serial gets the whole zone
    AXFR-style (RFC 1995 4, its question IXFR), one from our serial or a
    newer one the SOA alone (RFC 1995 2); without its SOA, FORMERR; from
    an address not allowed, NOTAUTH; over UDP (no journal here), the SOA
    alone (RFC 1995 2)."""
    port, _ = lv
    path = os.path.join(H.DATA, "test.zone")
    msgs = tcp_messages(ixfr_query("test.", 2024010100), port)
    assert all(m.question[0].rdtype == dns.rdatatype.IXFR for m in msgs)
    recs = [(rr.name.to_text().lower(), rr.ttl, rr.rdtype,
             rr[0].to_digestable(dns.name.root)) for m in msgs for rr in m.answer]
    assert recs[0][2] == recs[-1][2] == dns.rdatatype.SOA
    assert set(recs[:-1]) == zone_file_records(path, "test.")
    for serial in (2024010101, 2024010102):
        msgs = tcp_messages(ixfr_query("test.", serial), port)
        assert len(msgs) == 1 and len(msgs[0].answer) == 1
        assert msgs[0].answer[0].rdtype == dns.rdatatype.SOA
        assert msgs[0].answer[0][0].serial == 2024010101
    msgs = tcp_messages(ixfr_query("test.", 1, with_soa=False), port)
    assert msgs[0].rcode() == dns.rcode.FORMERR
    r = H.udp_msg(ixfr_query("test.", 1), port)
    assert r is not None and r.rcode() == dns.rcode.NOERROR
    assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.SOA
    assert not r.flags & dns.flags.TC
    w = ixfr_query("test.", 1).to_wire()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(5 * H.SLOW)
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(struct.pack("!H", len(w)) + w)
        m = dns.message.from_wire(recv_exact(s, struct.unpack("!H", recv_exact(s, 2))[0]))
        assert m.rcode() == dns.rcode.NOTAUTH
    finally:
        s.close()


def reloaded_zone(tmp_path):
    """A copy of example.org.zone and a function that bumps its serial to 2
    and adds a record."""
    zf = str(tmp_path / "example.org.zone")
    with open(os.path.join(H.DATA, "example.org.zone")) as f:
        text = f.read()
    with open(zf, "w") as f:
        f.write(text)

    def bump():
        with open(zf, "w") as f:
            f.write(text.replace("admin.example.org. 1 ", "admin.example.org. 2 ") +
                    "added.example.org. 300 IN A 192.0.2.77\n")
    return zf, bump


def test_nsd_secondary_follows_reload(pool, tmp_path):
    """A zone reloaded with a higher serial reaches an nsd secondary, which
    asks IXFR and does not fall back on NOTAUTH: the AXFR-style IXFR
    answer is what it takes (before it, nsd logged the NOTAUTH and kept
    serial 1)."""
    zf, bump = reloaded_zone(tmp_path)
    port, proc = start_levee(pool, [("example.org.", zf, ["xfr"])],
                             name="primary-nsd-reload")
    sport, sec = nsd_secondary(pool, port, ["example.org."])
    wait_serial(sport, "example.org.", 1, 30 * H.SLOW, sec)
    bump()
    proc.p.send_signal(signal.SIGHUP)
    proc.wait_log(r"reload 1: 1 reloaded", 10 * H.SLOW)
    conf = os.path.join(pool.tmpdir, "nsd-sec", "nsd.conf")
    out = subprocess.run(["nsd-control", "-c", conf, "transfer", "example.org."],
                         capture_output=True, text=True, timeout=10 * H.SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    wait_serial(sport, "example.org.", 2, 30 * H.SLOW, sec)
    r = H.udp_msg(dns.message.make_query("added.example.org.", "A"), sport)
    assert r is not None and r.answer and r.answer[0][0].address == "192.0.2.77"
    assert sorted_axfr(sport, "example.org.") == sorted_axfr(port, "example.org.")


def test_knotd_secondary_follows_reload(pool, tmp_path):
    """A zone reloaded with a higher serial reaches a knotd secondary: its
    IXFR is answered AXFR-style and it serves the new records."""
    zf, bump = reloaded_zone(tmp_path)
    port, proc = start_levee(pool, [("example.org.", zf, ["xfr"])],
                             name="primary-reload")
    sport, sec = knotd_secondary(pool, port, ["example.org."])
    wait_serial(sport, "example.org.", 1, 30 * H.SLOW, sec)
    bump()
    proc.p.send_signal(signal.SIGHUP)
    proc.wait_log(r"reload 1: 1 reloaded", 10 * H.SLOW)
    sock = os.path.join(pool.tmpdir, "knot-sec", "knot.sock")
    out = subprocess.run(["knotc", "-s", sock, "zone-refresh", "example.org."],
                         capture_output=True, text=True, timeout=10 * H.SLOW)
    assert out.returncode == 0, out.stdout + out.stderr
    wait_serial(sport, "example.org.", 2, 30 * H.SLOW, sec)
    r = H.udp_msg(dns.message.make_query("added.example.org.", "A"), sport)
    assert r is not None and r.answer and r.answer[0][0].address == "192.0.2.77"
    assert sorted_axfr(sport, "example.org.") == sorted_axfr(port, "example.org.")


@pytest.mark.parametrize("peer", ["knotd", "nsd"])
def test_secondary_pulls_same_records(pool, big_zone, peer):
    zones = [("test.", os.path.join(H.DATA, "test.zone"), ["xfr"]),
             ("big.test.", big_zone, ["xfr"])]
    port, proc = start_levee(pool, zones, name="primary-" + peer)
    make = knotd_secondary if peer == "knotd" else nsd_secondary
    sport, sec = make(pool, port, ["test.", "big.test."])
    wait_serial(sport, "test.", 2024010101, 30 * H.SLOW, sec)
    wait_serial(sport, "big.test.", 42, 30 * H.SLOW, sec)
    for zone in ("test.", "big.test."):
        assert sorted_axfr(sport, zone) == sorted_axfr(port, zone), zone
    # and they answer queries from what they got
    for name, rtype in (("www.test.", "TXT"), ("_sip._udp.test.", "SRV"),
                        ("host1234.big.test.", "AAAA"), ("big.big.test.", "TXT")):
        a = H.tcp_msg(dns.message.make_query(name, rtype), port)
        b = H.tcp_msg(dns.message.make_query(name, rtype), sport)
        assert a is not None and b is not None
        assert sorted(a.answer[0].to_text().splitlines()) == \
            sorted(b.answer[0].to_text().splitlines()), name
    assert H.counter_total(proc, "xfrout-done") >= 2
