"""test_notify.py -- NOTIFY out (RFC 1996, issue 13) against the real binary:
a Python socket on loopback plays the secondary.

A reload that raises a zone's serial sends NOTIFY to each remote the zone's
notify: names: opcode NOTIFY, AA, the apex SOA question, the new SOA in the
answer; it is tried again while unanswered and ends at the reply;
`levee-ctl notify ZONE` sends it on demand; bad references are
configuration errors.
"""

import os
import socket
import subprocess
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import pytest

import levee_helpers as H
from test_reload import Server, write_zone, status, ctl_bin


class Secondary:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]

    def recv(self, timeout):
        self.s.settimeout(timeout)
        try:
            data, addr = self.s.recvfrom(65535)
        except socket.timeout:
            return None, None
        return dns.message.from_wire(data), addr

    def answer(self, msg, addr):
        r = dns.message.make_response(msg)
        self.s.sendto(r.to_wire(), addr)

    def close(self):
        self.s.close()


def notify_server(pool, zone_file, sec_port, extra_zone=""):
    srv = Server.__new__(Server)
    srv.pool = pool
    srv.dir = pool.tmpdir
    srv.sock = os.path.join(srv.dir, "ctl-%d.sock" % time.monotonic_ns())
    srv.port = H.free_port()
    srv.conf = os.path.join(srv.dir, "levee-%d.yaml" % srv.port)
    srv.journal = None
    with open(srv.conf, "w") as f:
        f.write("server:\n  listen: [127.0.0.1@%d]\n  reactors: 1\n"
                "remote:\n  - id: sec1\n    address: 127.0.0.1@%d\n"
                "control:\n  listen: %s\n"
                "zones:\n  - domain: a.test\n    file: %s\n    notify: sec1\n%s"
                % (srv.port, sec_port, srv.sock, zone_file, extra_zone))
    srv.proc = pool.levee(["-c", srv.conf])
    return srv


@pytest.mark.asan
def test_reload_sends_notify(pool):
    sec = Secondary()
    try:
        z = os.path.join(pool.tmpdir, "a.zone")
        write_zone(z, "a.test.", 1, "127.0.0.11")
        srv = notify_server(pool, z, sec.port)
        write_zone(z, "a.test.", 2, "127.0.0.12")
        assert srv.ctl("reload").returncode == 0
        m, addr = sec.recv(5 * H.SLOW)
        assert m is not None, "no NOTIFY"
        assert m.opcode() == dns.opcode.NOTIFY
        assert m.flags & dns.flags.AA and not m.flags & dns.flags.QR
        assert m.question[0].name.to_text() == "a.test."
        assert m.question[0].rdtype == dns.rdatatype.SOA
        assert m.answer and m.answer[0][0].serial == 2
        assert addr[0] == "127.0.0.1"
        sec.answer(m, addr)
        deadline = time.monotonic() + 5 * H.SLOW
        while status(srv)["notify-answered"] != "1":
            assert time.monotonic() < deadline, status(srv)
            time.sleep(0.05)
        st = status(srv)
        assert st["notify-pending"] == "0" and st["notify-sent"] == "1"
        srv.proc.wait_log(r"NOTIFY serial 2 to 127\.0\.0\.1@%d answered"
                          % sec.port, 5)
    finally:
        sec.close()


def test_unanswered_notify_is_retried(pool):
    sec = Secondary()
    try:
        z = os.path.join(pool.tmpdir, "a.zone")
        write_zone(z, "a.test.", 1, "127.0.0.11")
        srv = notify_server(pool, z, sec.port)
        write_zone(z, "a.test.", 2, "127.0.0.12")
        srv.ctl("reload")
        m1, _ = sec.recv(5 * H.SLOW)
        t1 = time.monotonic()
        m2, addr = sec.recv(5 * H.SLOW)
        t2 = time.monotonic()
        assert m1 is not None and m2 is not None
        assert m1.id == m2.id                      # the same job, again
        assert t2 - t1 >= 0.8                      # after about 1 s
        # a reply with another ID does not end it
        bad = dns.message.make_response(m2)
        bad.id = (m2.id + 1) & 0xFFFF
        sec.s.sendto(bad.to_wire(), addr)
        m3, addr = sec.recv(5 * H.SLOW)
        assert m3 is not None and m3.id == m2.id
        sec.answer(m3, addr)
        time.sleep(0.3)
        st = status(srv)
        assert st["notify-answered"] == "1" and st["notify-sent"] == "3"
    finally:
        sec.close()


def test_ctl_notify(pool):
    sec = Secondary()
    try:
        z = os.path.join(pool.tmpdir, "a.zone")
        write_zone(z, "a.test.", 7, "127.0.0.11")
        srv = notify_server(pool, z, sec.port)
        out = srv.ctl("notify", "a.test")
        assert out.returncode == 0, out.stderr
        assert "NOTIFY serial 7 to 1 remotes" in out.stdout
        m, addr = sec.recv(5 * H.SLOW)
        assert m is not None and m.answer[0][0].serial == 7
        sec.answer(m, addr)
        out = srv.ctl("notify", "nosuch.test")
        assert out.returncode == 1 and "not configured" in out.stderr
        out = srv.ctl("notify")
        assert out.returncode == 1 and "usage: notify" in out.stderr
        # an unchanged reload sends nothing
        sec.recv(0.3)
        srv.ctl("reload")
        m, _ = sec.recv(1.5)
        assert m is None
    finally:
        sec.close()


@pytest.mark.parametrize("text,msg", [
    ("zones:\n  - domain: a.test\n    file: F\n    notify: nope\n",
     "no remote 'nope'"),
    ("zones:\n  - domain: a.test\n    file: F\n    notify: sec1\n"
     "remote:\n  - id: sec1\n    address: 127.0.0.1@53\n", "no remote 'sec1'"),
    ("remote:\n  - id: sec1\n", "address"),
    ("remote:\n  - id: a\n    address: 127.0.0.1\n  - id: a\n"
     "    address: 127.0.0.2\n", "given twice"),
    ("remote:\n  - id: a\n    address: 300.1.1.1@53\n", "address"),
])
def test_notify_config_errors(tmp_path, text, msg):
    z = str(tmp_path / "a.zone")
    write_zone(z, "a.test.", 1, "127.0.0.11")
    conf = str(tmp_path / "c.yaml")
    with open(conf, "w") as f:
        f.write("server:\n  listen: [127.0.0.1@%d]\n" % H.free_port() +
                text.replace("file: F", "file: " + z))
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 2, r.stdout + r.stderr
    assert msg in r.stderr, r.stderr


def test_notify_signed_with_remote_key(pool):
    """remote: key: signs the NOTIFY (RFC 8945); dnspython verifies it."""
    import base64
    import dns.tsigkeyring
    secret = base64.b64encode(bytes(range(32))).decode()
    sec = Secondary()
    try:
        z = os.path.join(pool.tmpdir, "a.zone")
        write_zone(z, "a.test.", 3, "127.0.0.11")
        port = H.free_port()
        sock = os.path.join(pool.tmpdir, "ctl-k-%d.sock" % port)
        conf = os.path.join(pool.tmpdir, "k-%d.yaml" % port)
        with open(conf, "w") as f:
            f.write("server:\n  listen: [127.0.0.1@%d]\n  reactors: 1\n"
                    "key:\n  - id: nk.\n    algorithm: hmac-sha256\n"
                    "    secret: %s\n"
                    "remote:\n  - id: sec1\n    address: 127.0.0.1@%d\n"
                    "    key: nk.\n"
                    "control:\n  listen: %s\n"
                    "zones:\n  - domain: a.test\n    file: %s\n"
                    "    notify: sec1\n" % (port, secret, sec.port, sock, z))
        pool.levee(["-c", conf])
        out = subprocess.run([ctl_bin(), "-s", sock, "notify", "a.test"],
                             capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        sec.s.settimeout(5 * H.SLOW)
        data, addr = sec.s.recvfrom(65535)
        keyring = dns.tsigkeyring.from_text({"nk.": secret})
        m = dns.message.from_wire(data, keyring=keyring)   # raises if bad
        assert m.had_tsig and m.opcode() == dns.opcode.NOTIFY
        bad = dns.tsigkeyring.from_text(
            {"nk.": base64.b64encode(b"\x02" * 32).decode()})
        with pytest.raises(Exception):
            dns.message.from_wire(data, keyring=bad)
    finally:
        sec.close()


def test_remote_key_must_exist(tmp_path):
    conf = str(tmp_path / "c.yaml")
    with open(conf, "w") as f:
        f.write("remote:\n  - id: a\n    address: 127.0.0.1\n    key: nope\n")
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 2 and "no key 'nope'" in r.stderr, r.stderr
