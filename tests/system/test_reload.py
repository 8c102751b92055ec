"""test_reload.py -- reload (SIGHUP, levee-ctl reload) and the control socket
(issue 13): against the real binary, levee-ctl and dnspython.

Each test writes its own zone files into its temporary directory, starts
levee on a free port with a control socket there, changes the files and
asks for a reload, then checks what is served and what zone-status and the
log say.
"""

import os
import re
import signal
import socket
import stat
import subprocess
import threading
import time

import dns.message
import dns.rcode
import dns.rdatatype
import pytest

import levee_helpers as H

ZONE = """$ORIGIN {origin}
$TTL 300
@	SOA	ns1.{origin} hostmaster.{origin} {serial} 3600 900 604800 300
@	NS	ns1.{origin}
ns1	A	127.0.0.1
www	A	{addr}
"""


def ctl_bin():
    return os.path.join(os.path.dirname(H.levee_bin()), "levee-ctl")


def write_zone(path, origin, serial, addr):
    with open(path, "w") as f:
        f.write(ZONE.format(origin=origin, serial=serial, addr=addr))
    # a reload notices a file by its identity: make the change visible
    # even within one timestamp tick
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))


class Server:
    def __init__(self, pool, zones, name="levee", journal=None):
        self.pool = pool
        self.dir = pool.tmpdir
        self.sock = os.path.join(self.dir, "ctl-%d.sock" % time.monotonic_ns())
        self.port = H.free_port()
        self.conf = os.path.join(self.dir, "levee-%d.yaml" % self.port)
        self.journal = journal
        self.write_config(zones)
        self.proc = pool.levee(["-c", self.conf], name=name)

    def write_config(self, zones):
        H.levee_config(self.conf, ["127.0.0.1@%d" % self.port], zones=zones,
                       reactors=2, rate_limit=0)
        with open(self.conf, "a") as f:
            f.write("control:\n  listen: %s\n" % self.sock)
            if self.journal:
                f.write("database:\n  journal-db: %s\n"
                        "  journal-max-depth: 3\n" % self.journal)

    def ctl(self, *args, timeout=None):
        t = timeout or 30 * H.SLOW
        return subprocess.run([ctl_bin(), "-s", self.sock, "-t", str(t)] +
                              list(args), capture_output=True, text=True,
                              timeout=t + 10)

    def a(self, name):
        q = dns.message.make_query(name, "A")
        r = H.udp_msg(q, self.port)
        if r.rcode() != dns.rcode.NOERROR:
            return dns.rcode.to_text(r.rcode())
        return sorted(rr.address for s in r.answer for rr in s)


def status(srv):
    out = srv.ctl("status")
    assert out.returncode == 0, out.stderr
    return dict(l.split(": ", 1) for l in out.stdout.splitlines())


@pytest.mark.asan
def test_reload_changed_zone_served(pool):
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", z)])
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    write_zone(z, "a.test.", 2, "127.0.0.12")
    out = srv.ctl("reload")
    assert out.returncode == 0, out.stderr
    assert "1 reloaded" in out.stdout and " 0 failed" in out.stdout
    assert srv.a("www.a.test.") == ["127.0.0.12"]
    zs = srv.ctl("zone-status", "a.test")
    assert zs.returncode == 0
    assert "state served, serial 2," in zs.stdout
    srv.proc.wait_log(r"zone a\.test\.? reloaded from .*serial 1 -> 2", 5)


def test_reload_unchanged_file_not_read(pool):
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", z)])
    out = srv.ctl("reload")
    assert out.returncode == 0, out.stderr
    assert "0 reloaded" in out.stdout and "1 unchanged" in out.stdout
    assert "reloaded from" not in srv.proc.text()


def test_reload_same_serial_keeps_served_version(pool):
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 5, "127.0.0.11")
    srv = Server(pool, [("a.test.", z)])
    write_zone(z, "a.test.", 5, "127.0.0.99")       # content, no serial
    out = srv.ctl("reload")
    assert out.returncode == 0, out.stderr
    assert "1 kept" in out.stdout
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    srv.proc.wait_log(r"warning: zone a\.test\.?: .*serial 5 is not higher "
                      r"than the served 5", 5)
    zs = srv.ctl("zone-status", "a.test.")
    assert "not higher" in zs.stdout
    write_zone(z, "a.test.", 4, "127.0.0.98")       # serial backwards
    srv.ctl("reload")
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    # RFC 1982: 5 + 2^31 - 1 is higher, 5 + 2^31 undefined (kept)
    write_zone(z, "a.test.", 5 + 2**31, "127.0.0.97")
    srv.ctl("reload")
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    write_zone(z, "a.test.", 5 + 2**31 - 1, "127.0.0.15")
    srv.ctl("reload")
    assert srv.a("www.a.test.") == ["127.0.0.15"]
    # ... then 4294967295, then 1: it wraps and goes up
    write_zone(z, "a.test.", 4294967295, "127.0.0.13")
    srv.ctl("reload")
    assert srv.a("www.a.test.") == ["127.0.0.13"]
    write_zone(z, "a.test.", 1, "127.0.0.14")
    srv.ctl("reload")
    assert srv.a("www.a.test.") == ["127.0.0.14"]


@pytest.mark.asan
def test_reload_broken_file_keeps_served_version(pool):
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", z)])
    with open(z, "a") as f:
        f.write("bad\tA\t999.1.1.1\n")
    with open(z) as f:
        text = f.read().replace("SOA\tns1.a.test. hostmaster.a.test. 1",
                                "SOA\tns1.a.test. hostmaster.a.test. 2")
    with open(z, "w") as f:
        f.write(text)
    out = srv.ctl("reload")
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "1 failed" in out.stdout
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    zs = srv.ctl("zone-status", "a.test").stdout
    assert "state served, serial 1," in zs
    assert "a.zone:7:" in zs, zs        # file and line of the bad record
    st = status(srv)
    assert st["reloads-failed"] == "1"
    # fixed: the next reload serves it
    write_zone(z, "a.test.", 2, "127.0.0.12")
    out = srv.ctl("reload")
    assert out.returncode == 0, out.stdout
    assert srv.a("www.a.test.") == ["127.0.0.12"]
    assert "error -" in srv.ctl("zone-status", "a.test").stdout


def test_reload_adds_and_removes_zones(pool):
    a = os.path.join(pool.tmpdir, "a.zone")
    b = os.path.join(pool.tmpdir, "b.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    write_zone(b, "b.test.", 1, "127.0.0.21")
    srv = Server(pool, [("a.test.", a)])
    assert srv.a("www.b.test.") == "REFUSED"
    srv.write_config([("b.test.", b)])
    out = srv.ctl("reload")
    assert out.returncode == 0, out.stderr
    assert "1 added, 1 removed" in out.stdout
    assert srv.a("www.b.test.") == ["127.0.0.21"]
    assert srv.a("www.a.test.") == "REFUSED"
    zs = srv.ctl("zone-status").stdout
    assert "b.test" in zs and "a.test" not in zs
    assert srv.ctl("zone-status", "a.test").returncode == 1


def test_reload_bad_config_changes_nothing(pool):
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", a)])
    with open(srv.conf, "a") as f:
        f.write("bogus-section: 1\n")
    out = srv.ctl("reload")
    assert out.returncode == 1
    assert "failed" in out.stdout and "bogus-section" in out.stdout
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    srv.proc.wait_log(r"reload: configuration not read, nothing changed: "
                      r".*bogus-section", 5)


def test_reload_one_zone_only(pool):
    a = os.path.join(pool.tmpdir, "a.zone")
    b = os.path.join(pool.tmpdir, "b.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    write_zone(b, "b.test.", 1, "127.0.0.21")
    srv = Server(pool, [("a.test.", a), ("b.test.", b)])
    write_zone(a, "a.test.", 2, "127.0.0.12")
    write_zone(b, "b.test.", 2, "127.0.0.22")
    out = srv.ctl("reload", "b.test")
    assert out.returncode == 0, out.stderr
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    assert srv.a("www.b.test.") == ["127.0.0.22"]
    out = srv.ctl("reload", "nosuch.test")
    assert out.returncode == 1
    assert "not configured" in out.stderr


@pytest.mark.tsan
def test_sighup_reloads(pool):
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", a)])
    write_zone(a, "a.test.", 2, "127.0.0.12")
    srv.proc.p.send_signal(signal.SIGHUP)
    srv.proc.wait_log(r"reload 1: 1 reloaded", 10 * H.SLOW)
    assert srv.a("www.a.test.") == ["127.0.0.12"]


@pytest.mark.tsan
def test_hundred_reloads_under_queries(pool):
    """100 reloads in a row while two threads query: every answer NOERROR
    with one of the two addresses the versions hold, none lost."""
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    other = os.path.join(pool.tmpdir, "o.zone")
    write_zone(other, "o.test.", 1, "127.0.0.31")
    srv = Server(pool, [("a.test.", a), ("o.test.", other)])
    stop = threading.Event()
    bad, counts = [], [0, 0]

    def query(i):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2 * H.SLOW)
        q = dns.message.make_query("www.a.test.", "A")
        deadline = time.monotonic() + 300
        while not stop.is_set() and time.monotonic() < deadline:
            q.id = (q.id + 1) & 0xFFFF
            s.sendto(q.to_wire(), ("127.0.0.1", srv.port))
            try:
                r = dns.message.from_wire(s.recv(4096))
            except socket.timeout:
                bad.append("timeout")
                continue
            addrs = [rr.address for rs in r.answer for rr in rs]
            if r.rcode() != dns.rcode.NOERROR or len(addrs) != 1 or \
                    addrs[0] not in ("127.0.0.11", "127.0.0.12"):
                bad.append((dns.rcode.to_text(r.rcode()), addrs))
            counts[i] += 1
        s.close()

    ts = [threading.Thread(target=query, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    n = H.FEW(100, 20)
    try:
        for k in range(n):
            write_zone(a, "a.test.", 2 + k,
                       "127.0.0.12" if k % 2 == 0 else "127.0.0.11")
            out = srv.ctl("reload")
            assert out.returncode == 0, out.stdout + out.stderr
            assert "1 reloaded" in out.stdout and "1 unchanged" in out.stdout
    finally:
        stop.set()
        for t in ts:
            t.join(30)
    assert not bad, bad[:10]
    assert min(counts) > n       # queries ran all along
    assert srv.a("www.a.test.") == (["127.0.0.12"] if n % 2 else
                                    ["127.0.0.11"])
    assert status(srv)["reloads-done"] == str(n)


def test_ctl_commands(pool):
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", a)])
    mode = stat.S_IMODE(os.stat(srv.sock).st_mode)
    assert mode == 0o600, oct(mode)
    st = status(srv)
    assert st["state"] == "running" and st["zones-served"] == "1"
    srv.a("www.a.test.")
    import json
    js = json.loads(srv.ctl("stats").stdout)
    assert js["total"]["udp-queries"] >= 1
    assert len(js["reactors"]) == 2
    att = srv.ctl("attack").stdout
    assert "mode: off" in att and "engaged: no" in att
    out = srv.ctl("frobnicate")
    assert out.returncode == 1 and "unknown command" in out.stderr
    out = srv.ctl("status", "extra")
    assert out.returncode == 1 and "usage: status" in out.stderr
    out = srv.ctl("stop")
    assert out.returncode == 0 and "stopping" in out.stdout
    assert srv.proc.p.wait(10 * H.SLOW) == 0
    assert not os.path.exists(srv.sock)


def raw_ctl(path, data, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        s.close()
        return b""
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not b:
            break
        out += b
    s.close()
    return out


@pytest.mark.asan
def test_ctl_malformed_requests(pool):
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", a)])
    assert raw_ctl(srv.sock, b"stat\xffus\n").startswith(b"error: malformed")
    assert raw_ctl(srv.sock, b"status\tx\n").startswith(b"error: malformed")
    assert raw_ctl(srv.sock, b"\n").startswith(b"error: empty")
    assert raw_ctl(srv.sock, b"x" * 5000).startswith(b"error: request longer")
    assert raw_ctl(srv.sock, b"a " * 300 + b"\n").startswith(b"error: malformed")
    assert raw_ctl(srv.sock, b"status\nstop\n").startswith(b"ok\nversion")
    # a client that sends half a line and goes away
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(srv.sock)
    s.sendall(b"sta")
    s.close()
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    assert status(srv)["state"] == "running"


def test_ctl_idle_clients_bounded(pool):
    """More idle connections than CTL_CONNS_MAX: the extra ones are closed at
    once, the idle ones after the request deadline (5 s); then a request is
    answered again. Queries are answered all along."""
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", a)])
    idle = []
    for _ in range(16):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(srv.sock)
        idle.append(s)
    time.sleep(0.2)
    assert raw_ctl(srv.sock, b"status\n", timeout=2) == b""   # closed
    assert srv.a("www.a.test.") == ["127.0.0.11"]
    deadline = time.monotonic() + 15 * H.SLOW
    while time.monotonic() < deadline:
        if raw_ctl(srv.sock, b"status\n", timeout=2).startswith(b"ok\n"):
            break
        time.sleep(0.2)
    else:
        pytest.fail("control socket still full after the request deadline")
    for s in idle:
        s.settimeout(1)
        assert s.recv(10) == b""       # the server closed it
        s.close()


def test_ctl_socket_path_errors(pool, tmp_path):
    """Something that is not a socket at the path stops the start with a
    clear error; a stale socket left by a killed server is replaced."""
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    port = H.free_port()
    conf = os.path.join(str(tmp_path), "c.yaml")
    path = os.path.join(str(tmp_path), "notasocket")
    open(path, "w").close()
    H.levee_config(conf, ["127.0.0.1@%d" % port], zones=[("a.test.", a)])
    with open(conf, "a") as f:
        f.write("control:\n  listen: %s\n" % path)
    r = H.run_levee(["-c", conf])
    assert r.returncode == 1
    assert "exists and is not a socket" in r.stderr + r.stdout
    os.unlink(path)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()                         # a socket file nobody listens on
    p = pool.levee(["-c", conf])
    out = subprocess.run([ctl_bin(), "-c", conf, "status"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and "state: running" in out.stdout
    assert p.alive()


def test_ctl_client_errors(tmp_path):
    out = subprocess.run([ctl_bin(), "-s", str(tmp_path / "none.sock"),
                          "status"], capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 2 and "cannot connect" in out.stderr
    out = subprocess.run([ctl_bin()], capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 2 and "usage" in out.stderr


@pytest.mark.parametrize("section,body,msg", [
    ("database", "  journal-max-usage: 12Q\n", "expected a size"),
    ("database", "  journal-max-depth: 0\n", "expected an integer"),
    ("database", "  journal-db-max-size: 1K\n", "expected a size"),
])
def test_database_config_errors(tmp_path, section, body, msg):
    conf = str(tmp_path / "c.yaml")
    H.levee_config(conf, ["127.0.0.1@%d" % H.free_port()])
    with open(conf, "a") as f:
        f.write(section + ":\n" + body)
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 2, r.stdout + r.stderr
    assert msg in r.stderr, r.stderr


@pytest.mark.parametrize("body,msg", [
    ("  listen: /tmp/" + "x" * 120 + "\n", "at most 107 bytes"),
    ("  bogus: 1\n", "unknown key in control"),
    ("  listen: \"\"\n", "expected a non-empty string"),
])
def test_control_config_errors(tmp_path, body, msg):
    conf = str(tmp_path / "c.yaml")
    H.levee_config(conf, ["127.0.0.1@%d" % H.free_port()])
    with open(conf, "a") as f:
        f.write("control:\n" + body)
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 2, r.stdout + r.stderr
    assert msg in r.stderr, r.stderr


def journal_of(srv, zone):
    line = srv.ctl("zone-status", zone).stdout
    m = re.search(r"journal (\d+) changes (\d+) bytes", line)
    assert m, line
    return int(m.group(1)), int(m.group(2))


@pytest.mark.asan
def test_reload_journals_changes(pool):
    """Each reload that changes a zone commits its difference to the LMDB
    journal (bounded by journal-max-depth), kept across a restart, cleared
    when the zone no longer starts where the journal ends."""
    jdir = os.path.join(pool.tmpdir, "journal")
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", z)], journal=jdir)
    assert journal_of(srv, "a.test") == (0, 0)
    for k in range(5):
        write_zone(z, "a.test.", 2 + k, "127.0.0.%d" % (20 + k))
        assert srv.ctl("reload").returncode == 0
    n, size = journal_of(srv, "a.test")
    assert n == 3 and size > 0                 # journal-max-depth: 3
    # a reload that keeps the served version adds nothing
    write_zone(z, "a.test.", 6, "127.0.0.99")
    srv.ctl("reload")
    assert journal_of(srv, "a.test")[0] == 3
    srv.proc.stop()
    # restart at the journal's serial: kept
    srv2 = Server(pool, [("a.test.", z)], journal=jdir)
    assert journal_of(srv2, "a.test")[0] == 3
    srv2.proc.stop()
    # restart at another serial: cleared, and said so
    write_zone(z, "a.test.", 50, "127.0.0.50")
    srv3 = Server(pool, [("a.test.", z)], journal=jdir)
    assert journal_of(srv3, "a.test")[0] == 0
    srv3.proc.wait_log(r"journal ends at serial 6, the zone is at 50: "
                       r"journal cleared", 5)


def test_journal_dir_unusable(pool, tmp_path):
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    bad = str(tmp_path / "file")
    open(bad, "w").close()
    conf = str(tmp_path / "c.yaml")
    H.levee_config(conf, ["127.0.0.1@%d" % H.free_port()], zones=[("a.test.", z)])
    with open(conf, "a") as f:
        f.write("database:\n  journal-db: %s/sub\n" % bad)
    r = H.run_levee(["-c", conf])
    assert r.returncode == 1
    assert "cannot start: journal" in r.stderr + r.stdout


@pytest.mark.asan
def test_serial_policy_increment(pool):
    """serial-policy: increment: a file whose records changed but whose
    serial did not is served with the served serial + 1; a file with the
    same records stays as it is."""
    z = os.path.join(pool.tmpdir, "a.zone")
    write_zone(z, "a.test.", 10, "127.0.0.11")
    srv = Server(pool, [("a.test.", z)])
    with open(srv.conf) as f:
        text = f.read()
    with open(srv.conf, "w") as f:
        f.write(text.replace("    file: %s\n" % z,
                             "    file: %s\n    serial-policy: increment\n" % z))
    write_zone(z, "a.test.", 10, "127.0.0.12")
    out = srv.ctl("reload")
    assert out.returncode == 0, out.stdout + out.stderr
    assert srv.a("www.a.test.") == ["127.0.0.12"]
    assert "serial 11," in srv.ctl("zone-status", "a.test").stdout
    srv.proc.wait_log(r"serial 10 -> 11 \(serial-policy: increment\)", 5)
    q = dns.message.make_query("a.test.", "SOA")
    assert H.udp_msg(q, srv.port).answer[0][0].serial == 11
    # the same records again (serial 10 in the file): nothing changes
    write_zone(z, "a.test.", 10, "127.0.0.12")
    out = srv.ctl("reload")
    assert "1 unchanged" in out.stdout and "0 reloaded" in out.stdout
    assert "serial 11," in srv.ctl("zone-status", "a.test").stdout
    # a higher serial in the file is taken as it is
    write_zone(z, "a.test.", 20, "127.0.0.13")
    srv.ctl("reload")
    assert "serial 20," in srv.ctl("zone-status", "a.test").stdout


def test_serial_policy_config_error(tmp_path):
    z = str(tmp_path / "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    conf = str(tmp_path / "c.yaml")
    with open(conf, "w") as f:
        f.write("zones:\n  - domain: a.test\n    file: %s\n"
                "    serial-policy: unixtime\n" % z)
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 2 and "expected keep or increment" in r.stderr


def test_ctl_attack_says_why(pool):
    """levee-ctl attack: the state, the counts and the last change's
    reason (the detector's log line)."""
    from test_flood_defences import tcp_pipelined, wire
    a = os.path.join(pool.tmpdir, "a.zone")
    write_zone(a, "a.test.", 1, "127.0.0.11")
    srv = Server(pool, [("a.test.", a)])
    with open(srv.conf, "a") as f:
        f.write("attack:\n  mode: auto\n  queries-per-second: 300\n"
                "  hold-time: 1\n")
    srv.proc.stop()
    srv.proc = pool.levee(["-c", srv.conf])
    assert "last-change: none" in srv.ctl("attack").stdout
    got = tcp_pipelined(srv.port, wire("www.a.test."), H.FEW(250, 200), 4,
                        5 * H.SLOW)
    assert got > 0
    deadline = time.monotonic() + 10 * H.SLOW
    while time.monotonic() < deadline:
        srv.a("www.a.test.")     # the next second's first query evaluates
        out = srv.ctl("attack").stdout
        if "engaged (queries" in out:
            break
        time.sleep(0.2)
    assert "mode: auto" in out and "engaged (queries" in out, out
    assert "engagements: 1" in out or "engagements: 2" in out


def thread_sched(pid):
    """{tid: (nice, policy)} of every thread of pid (/proc/PID/task/TID/stat:
    field 19 the nice value, field 41 the policy; 3 is SCHED_BATCH)."""
    out = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                f_ = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the comm: field 3 is f_[0], so field n is f_[n - 3]
        out[int(t)] = (int(f_[19 - 3]), int(f_[41 - 3]))
    return out


def test_reload_thread_below_reactors(pool):
    """The reload runs at SCHED_BATCH nice 10 (server/worker.c), main and
    the reactors stay at nice 0: a reload of a 200,000-record zone is
    watched in /proc while it runs (polled for at most 60 s)."""
    z = os.path.join(pool.tmpdir, "big.zone")

    def write_big(serial):
        with open(z, "w") as f:
            f.write(ZONE.format(origin="big.test.", serial=serial,
                                addr="127.0.0.1"))
            for i in range(200000):
                f.write("h%d A 10.%d.%d.%d\n" % (i, i >> 16, (i >> 8) & 255,
                                                 i & 255))
        st = os.stat(z)
        os.utime(z, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))

    write_big(1)
    srv = Server(pool, [("big.test.", z)])
    pid = srv.proc.p.pid
    before = thread_sched(pid)
    assert before[pid] == (0, 0), before           # main: nice 0, SCHED_OTHER
    # the reactors (2) and the rest at nice 0, but for the call_rcu thread
    # (nice 10 once the first version was published)
    assert sum(1 for v in before.values() if v == (0, 0)) >= 3, before
    write_big(2)
    done = []

    def reload():
        done.append(srv.ctl("reload", timeout=60 * H.SLOW))

    t = threading.Thread(target=reload)
    t.start()
    seen = set()
    deadline = time.monotonic() + 60 * H.SLOW
    while not done and time.monotonic() < deadline:
        for tid, v in thread_sched(pid).items():
            if tid not in before and v == (10, 3):
                seen.add(tid)
        time.sleep(0.005)
    t.join(timeout=70 * H.SLOW)
    assert done and done[0].returncode == 0, done and done[0].stderr
    assert seen, "no new thread at nice 10, SCHED_BATCH during the reload"
    after = thread_sched(pid)
    for tid, v in before.items():
        if tid in after:
            assert after[tid] == v, (tid, v, after[tid])
    assert srv.a("www.big.test.") == ["127.0.0.1"]
