"""test_dnstap.py -- dnstap query logs (issue 18, dnstap: section,
server/dnstap.h): what Levee writes is read back by Debian's dnstap-ldns
(from a file sink, and from what fstrm_capture received on a Unix socket)
and matched to the queries this test sent: type, transport, client address
and port, the message ID, the name, the rcode, the times. While the
collector is stopped (SIGSTOP) every query is still answered and the lost
messages are counted; once it resumes, Levee reconnects and logs again.
Sampling (1 in N, and 1 in N under attack) logs exactly the share asked.

fstrm_capture runs as a child process, stopped by pid at teardown; every
wait has a deadline.
"""

import datetime
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

import dns.message
import dns.rcode
import pytest

import levee_helpers as H

DNSTAP_LDNS = shutil.which("dnstap-ldns")
FSTRM_CAPTURE = shutil.which("fstrm_capture")
pytestmark = pytest.mark.skipif(not DNSTAP_LDNS, reason="no dnstap-ldns")


def start(pool, dnstap, reactors=2, extra="", name="levee"):
    """levee on a free port with the dnstap: section's YAML lines."""
    port = H.free_port()
    conf = os.path.join(pool.tmpdir, "levee-%s-%d.yaml" % (name, port))
    H.levee_config(conf, ["127.0.0.1@%d" % port], reactors=reactors,
                   rate_limit=0)
    with open(conf, "a") as f:
        f.write("dnstap:\n" + "".join("  %s\n" % l for l in dnstap) + extra)
    p = pool.levee(["-c", conf], name=name)
    return port, p


def read_tap(path):
    """Every message of a Frame Streams file, as dnstap-ldns -y reads
    it: a list of dicts."""
    out = subprocess.run([DNSTAP_LDNS, "-y", "-r", path], capture_output=True,
                         text=True, timeout=30 * H.SLOW)
    assert out.returncode == 0, out.stderr
    msgs = []
    for doc in out.stdout.split("\n---"):
        if "type: MESSAGE" not in doc:
            continue

        def field(rx, conv=str):
            m = re.search(rx, doc, re.M)
            return conv(m.group(1)) if m else None

        def stamp(rx):
            m = re.search(rx + r": !!timestamp (\S+ \S+)", doc)
            if not m:
                return None
            return datetime.datetime.strptime(
                m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(
                    tzinfo=datetime.timezone.utc).timestamp()

        q = re.search(r"QUESTION SECTION:\n\s*;(\S+)\s+IN\s+(\S+)", doc)
        msgs.append({
            "identity": field(r'^identity: "(.*)"'),
            "version": field(r'^version: "(.*)"'),
            "type": field(r"^  type: (\w+)"),
            "family": field(r"^  socket_family: (\w+)"),
            "protocol": field(r"^  socket_protocol: (\w+)"),
            "address": field(r'^  query_address: "?([^"\n]+)"?'),
            "port": field(r"^  query_port: (\d+)", int),
            "raddress": field(r'^  response_address: "?([^"\n]+)"?'),
            "rport": field(r"^  response_port: (\d+)", int),
            "id": field(r"id: (\d+)", int),
            "rcode": field(r"rcode: (\w+)"),
            "qname": q.group(1).lower() if q else None,
            "qtype": q.group(2) if q else None,
            "qtime": stamp("query_time"),
            "rtime": stamp("response_time"),
        })
    return msgs


def udp_query(port, qname, qtype="A", src="127.0.0.1", timeout=None):
    """One query from a fresh socket on src: (message id, source port,
    reply rcode or None)."""
    q = dns.message.make_query(qname, qtype)
    q.id = random.randrange(1, 65536)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((src, 0))
        s.settimeout(timeout or 2 * H.SLOW)
        s.sendto(q.to_wire(), ("127.0.0.1", port))
        try:
            r = dns.message.from_wire(s.recv(65535))
        except socket.timeout:
            r = None
        return q.id, s.getsockname()[1], None if r is None else r.rcode()
    finally:
        s.close()


def tcp_query(port, qname, qtype="A"):
    q = dns.message.make_query(qname, qtype)
    q.id = random.randrange(1, 65536)
    s = socket.create_connection(("127.0.0.1", port), timeout=3 * H.SLOW)
    try:
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        n = struct.unpack("!H", H.recv_exact(s, 2))[0]
        r = dns.message.from_wire(H.recv_exact(s, n))
        return q.id, s.getsockname()[1], r.rcode()
    finally:
        s.close()


@pytest.mark.asan
@pytest.mark.tsan
def test_file_sink_logs_every_exchange(pool):
    """Every query sent and every reply appear once each, with the
    client's address and port, the transport, the ID, the name, the rcode
    the client got, and a response time not before the query time."""
    tap = os.path.join(pool.tmpdir, "levee.tap")
    port, p = start(pool, ["sink: %s" % tap, "identity: tap-test"])
    sent = []
    cases = [("www.test.", "A"), ("nx.test.", "A"), ("www.example.org.", "A"),
             ("test.", "MX"), ("no.such.zone.", "A"), ("sub.test.", "SOA")]
    for i, (name, qt) in enumerate(cases * 2):
        src = "127.0.0.%d" % (1 + i % 3)
        qid, sport, rc = udp_query(port, name, qt, src=src)
        assert rc is not None, name
        sent.append(("UDP", src, sport, qid, name, qt, rc))
    for name, qt in cases[:3]:
        qid, sport, rc = tcp_query(port, name, qt)
        sent.append(("TCP", "127.0.0.1", sport, qid, name, qt, rc))
    assert p.stop() == 0
    msgs = read_tap(tap)
    assert len(msgs) == 2 * len(sent), (len(msgs), len(sent))
    for proto, src, sport, qid, name, qt, rc in sent:
        got = [m for m in msgs if m["id"] == qid and m["port"] == sport]
        kinds = sorted(m["type"] for m in got)
        assert kinds == ["AUTH_QUERY", "AUTH_RESPONSE"], (name, got)
        for m in got:
            assert m["protocol"] == proto and m["family"] == "INET", m
            assert m["address"] == src, m
            assert m["raddress"] == "127.0.0.1" and m["rport"] == port, m
            assert m["qname"] == name and m["qtype"] == qt, m
            assert m["identity"] == "tap-test", m
            assert m["version"].startswith("levee "), m
            assert m["qtime"] is not None, m
        q = next(m for m in got if m["type"] == "AUTH_QUERY")
        r = next(m for m in got if m["type"] == "AUTH_RESPONSE")
        assert q["rcode"] == "NOERROR"          # a query's header
        assert r["rcode"] == dns.rcode.to_text(rc), (name, r, rc)
        assert r["rtime"] >= r["qtime"] == q["qtime"], (q, r)
        assert abs(r["qtime"] - time.time()) < 120


def counters_total(p):
    return {k: sum(c.get(k, 0) for c in H.counters(p).values())
            for k in ("dnstap-queued", "dnstap-dropped", "udp-queries",
                      "noerror")}


def tap_totals(p):
    """(dnstap-written, dnstap-discarded) from the SIGUSR1 total line."""
    start_at = len(p.text())
    os.kill(p.pid, signal.SIGUSR1)
    m = p.wait_log(r"dnstap-written (\d+) dnstap-discarded (\d+)",
                   5 * H.SLOW, start_at)
    return int(m.group(1)), int(m.group(2))


@pytest.mark.asan
@pytest.mark.tsan
@pytest.mark.skipif(not FSTRM_CAPTURE, reason="no fstrm_capture")
def test_socket_sink_counts_drops_while_collector_stopped(pool):
    """fstrm_capture on a Unix socket: messages arrive; with it stopped
    every query is still answered and every message is accounted for as
    written, dropped (the ring full) or discarded (the socket dropped
    after it stalled); resumed, Levee reconnects and logs again."""
    sock = os.path.join(pool.tmpdir, "tap.sock")
    out = os.path.join(pool.tmpdir, "capture.fstrm")
    cap = H.Proc("fstrm_capture", [FSTRM_CAPTURE, "-t",
                                   "protobuf:dnstap.Dnstap", "-u", sock,
                                   "-w", out],
                 os.path.join(pool.tmpdir, "capture.log"))
    pool.procs.append(cap)
    deadline = time.monotonic() + 5 * H.SLOW
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.path.exists(sock), cap.tail()
    port, p = start(pool, ["sink: unix:%s" % sock])
    p.wait_log(r"dnstap: connected to unix:", 5 * H.SLOW)
    first = udp_query(port, "www.test.")
    assert first[2] == 0

    os.kill(cap.pid, signal.SIGSTOP)
    try:
        n_socks, rounds = 32, H.FEW(300, 100)
        wire = dns.message.make_query("www.test.", "A").to_wire()
        answered = H.udp_many_ports(port, n_socks, rounds, lambda s: wire,
                                    lambda s, d: d[3] & 0x0f == 0)
        # answering never waits on the collector
        assert answered == n_socks * rounds, answered
        # the writer gives a stalled collector DNSTAP_IO_TIMEOUT_MS
        p.wait_log(r"dnstap: lost unix:", 10 * H.SLOW)
        c = counters_total(p)
        written, discarded = tap_totals(p)
        assert c["dnstap-dropped"] + discarded > 0, (c, discarded)
    finally:
        os.kill(cap.pid, signal.SIGCONT)
    # resumed: Levee connects again and the next query is logged
    start_at = len(p.text())
    p.wait_log(r"dnstap: connected to unix:", 10 * H.SLOW, start_at)
    last = udp_query(port, "after.test.")
    assert last[2] == dns.rcode.NXDOMAIN
    deadline = time.monotonic() + 5 * H.SLOW
    while time.monotonic() < deadline:
        c = counters_total(p)
        written, discarded = tap_totals(p)
        if written + discarded == c["dnstap-queued"]:
            break
        time.sleep(0.1)
    # every message is written, dropped or discarded: none lost unseen
    assert c["dnstap-queued"] + c["dnstap-dropped"] == 2 * c["udp-queries"]
    assert written + discarded == c["dnstap-queued"], (c, written, discarded)
    assert p.stop() == 0
    cap.p.send_signal(signal.SIGINT)
    cap.p.wait(10 * H.SLOW)
    msgs = read_tap(out)
    ids = {(m["id"], m["port"], m["type"]) for m in msgs}
    for qid, sport, _ in (first, last):
        assert (qid, sport, "AUTH_QUERY") in ids
        assert (qid, sport, "AUTH_RESPONSE") in ids
    assert len(msgs) <= written


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_file_sink_opened_after_privilege_drop(pool):
    """user: nobody: the sink file is created by nobody in a directory
    only nobody may write, and logs; a sink nobody may not create stops
    the start."""
    import pwd
    import tempfile
    uid = pwd.getpwnam("nobody").pw_uid
    d = tempfile.mkdtemp(prefix="levee-tap-")   # tmp_path is root-only
    try:
        os.chmod(d, 0o755)
        logs = os.path.join(d, "logs")
        os.mkdir(logs)
        os.chown(logs, uid, -1)
        os.chmod(logs, 0o700)
        tap = os.path.join(logs, "levee.tap")
        port = H.free_port()
        conf = H.levee_config(os.path.join(d, "levee.yaml"),
                              ["127.0.0.1@%d" % port], reactors=1,
                              rate_limit=0, user="nobody", group="nogroup")
        with open(conf, "a") as f:
            f.write("dnstap:\n  sink: %s\n" % tap)
        p = pool.levee(["-c", conf])
        qid = udp_query(port, "www.test.")[0]
        assert os.stat(tap).st_uid == uid
        assert p.stop() == 0
        assert qid in {m["id"] for m in read_tap(tap)}
        # root's own directory: nobody cannot create the file there
        bad = H.levee_config(os.path.join(d, "bad.yaml"),
                             ["127.0.0.1@%d" % H.free_port()], reactors=1,
                             user="nobody", group="nogroup")
        with open(bad, "a") as f:
            f.write("dnstap:\n  sink: %s\n" % os.path.join(d, "root.tap"))
        r = H.run_levee(["-c", bad])
        assert r.returncode != 0
        assert re.search(r"dnstap: cannot open .*root\.tap: Permission "
                         r"denied", r.stderr), r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_sampling_logs_one_in_n(pool):
    """sample: 10 with one reactor: 50 queries log 5 exchanges, the 1st,
    11th, 21st...; log-responses: off leaves the responses out."""
    tap = os.path.join(pool.tmpdir, "s.tap")
    port, p = start(pool, ["sink: %s" % tap, "sample: 10",
                           "log-responses: off"], reactors=1)
    ids = [udp_query(port, "www.test.")[0] for _ in range(50)]
    assert p.stop() == 0
    msgs = read_tap(tap)
    assert [m["type"] for m in msgs] == ["AUTH_QUERY"] * 5
    assert [m["id"] for m in msgs] == ids[::10]


def test_sampling_under_attack(pool):
    """sample-under-attack: 4 while the attack mode is engaged (attack:
    mode: on): 40 queries log 10."""
    tap = os.path.join(pool.tmpdir, "a.tap")
    port, p = start(pool, ["sink: %s" % tap, "sample-under-attack: 4"],
                    reactors=1, extra="attack:\n  mode: on\n")
    for _ in range(40):
        udp_query(port, "www.test.", timeout=0.5 * H.SLOW)
    assert p.stop() == 0
    assert sum(m["type"] == "AUTH_QUERY" for m in read_tap(tap)) == 10


@pytest.mark.parametrize("lines,reason", [
    (["sink: /nonexistent-dir/levee.tap"], r"dnstap: cannot open "
     r"/nonexistent-dir/levee.tap"),
    (["sink: x.tap", "sample: 0"], r"sample.*expected an integer"),
    (["sink: 'unix:'"], r"sink.*expected unix:PATH"),
    (["sink: unix:/" + "a" * 120], r"at most 107 bytes"),
    (["log-queries: maybe", "sink: x.tap"], r"log-queries"),
    (["sinks: x.tap"], r"sinks"),
])
def test_bad_dnstap_config_is_refused(tmp_path, lines, reason):
    """A sink that cannot be opened or a bad key stops the start with a
    clear message."""
    conf = H.levee_config(str(tmp_path / "c.yaml"),
                          ["127.0.0.1@%d" % H.free_port()])
    with open(conf, "a") as f:
        f.write("dnstap:\n" + "".join("  %s\n" % l for l in lines))
    r = H.run_levee(["-c", conf])
    assert r.returncode != 0
    assert re.search(reason, r.stderr), r.stderr


def test_metrics_and_ctl_show_dnstap(pool):
    """/metrics and levee-ctl stats carry the dnstap counters."""
    import json
    import urllib.request
    tap = os.path.join(pool.tmpdir, "m.tap")
    mport = H.free_port()
    sock = os.path.join(pool.tmpdir, "ctl.sock")
    port, p = start(pool, ["sink: %s" % tap], extra=(
        "metrics:\n  listen: 127.0.0.1@%d\ncontrol:\n  listen: %s\n" %
        (mport, sock)))
    for _ in range(3):
        assert udp_query(port, "www.test.")[2] == 0
    deadline = time.monotonic() + 5 * H.SLOW
    while True:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport,
                                    timeout=10 * H.SLOW) as r:
            page = r.read().decode()
        vals = dict(re.findall(r"^levee_(dnstap_\w+) (\d+)$", page, re.M))
        if vals.get("dnstap_written_total") == "6" or \
                time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert vals == {"dnstap_queued_total": "6", "dnstap_dropped_total": "0",
                    "dnstap_written_total": "6",
                    "dnstap_discarded_total": "0",
                    "dnstap_connected": "1"}, vals
    ctl = subprocess.run([os.path.join(os.path.dirname(H.levee_bin()),
                                       "levee-ctl"), "-s", sock, "stats"],
                         capture_output=True, text=True, timeout=10 * H.SLOW)
    assert ctl.returncode == 0, ctl
    st = json.loads(ctl.stdout)
    assert st["dnstap"] == {"connected": True, "written": 6,
                            "discarded": 0}, st


@pytest.mark.parametrize("bind,udp_io,want", [
    ("0.0.0.0", "mmsg", None), ("127.0.0.1", "libuv", "127.0.0.1")])
def test_response_address_and_port(pool, bind, udp_io, want):
    """The socket's own address and port are logged as the response's
    (both UDP paths and TCP); bound to 0.0.0.0 the address says nothing
    and is left out, the port is logged."""
    tap = os.path.join(pool.tmpdir, "w-%s.tap" % udp_io)
    port = H.free_port()
    conf = H.levee_config(os.path.join(pool.tmpdir, "w-%s.yaml" % udp_io),
                          ["%s@%d" % (bind, port)], reactors=1, rate_limit=0,
                          udp_io=udp_io)
    with open(conf, "a") as f:
        f.write("dnstap:\n  sink: %s\n" % tap)
    p = pool.levee(["-c", conf])
    uid = udp_query(port, "www.test.")[0]
    tid = tcp_query(port, "www.test.")[0]
    assert p.stop() == 0
    msgs = read_tap(tap)
    assert {m["id"] for m in msgs} == {uid, tid}
    assert len(msgs) == 4
    for m in msgs:
        assert m["raddress"] == want and m["rport"] == port, m


def test_check_summary_names_dnstap(tmp_path):
    """levee --check says where dnstap goes and what it logs."""
    conf = H.levee_config(str(tmp_path / "c.yaml"),
                          ["127.0.0.1@%d" % H.free_port()])
    with open(conf, "a") as f:
        f.write("dnstap:\n  sink: unix:/run/tap.sock\n  sample: 5\n"
                "  log-responses: off\n")
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 0, r.stderr
    assert "dnstap: to unix:/run/tap.sock, queries, 1 in 5 (1 in 5 under " \
        "attack)" in r.stdout, r.stdout


def test_reload_dnstap_change_needs_restart(pool):
    """A SIGHUP whose file changes dnstap: logs that it takes effect after
    a restart, and the sink in use goes on logging."""
    tap = os.path.join(pool.tmpdir, "r.tap")
    port, p = start(pool, ["sink: %s" % tap])
    start_at = len(p.text())
    os.kill(p.pid, signal.SIGHUP)
    p.wait_log(r"reload: \d+ reloaded|reload.*unchanged", 10 * H.SLOW,
               start_at)
    assert "dnstap: changed" not in p.text()[start_at:]
    with open(p.argv[-1]) as f:
        text = f.read()
    with open(p.argv[-1], "w") as f:
        f.write(text.replace("sink: %s" % tap, "sink: %s.new" % tap))
    start_at = len(p.text())
    os.kill(p.pid, signal.SIGHUP)
    p.wait_log(r"reload: dnstap: changed: takes effect after a restart",
               10 * H.SLOW, start_at)
    qid = udp_query(port, "www.test.")[0]
    assert p.stop() == 0
    assert qid in {m["id"] for m in read_tap(tap)}
    assert not os.path.exists(tap + ".new")
