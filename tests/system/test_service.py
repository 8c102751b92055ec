"""test_service.py -- the systemd unit and sd_notify (issue 18).

The container has no systemd as PID 1, so the unit is checked offline:
`systemd-analyze verify` reads the installed dist/levee.service (its
commands pointed at the installed binary) and must print nothing at all
(an unknown or misspelt directive is only a warning, with exit status 0).
Readiness is checked the way systemd sees it: the test binds the datagram
socket NOTIFY_SOCKET names and reads what levee sends.
"""

import os
import shutil
import socket
import subprocess

import dns.message
import pytest

import levee_helpers as H


def install(dest):
    d = os.path.dirname(os.path.dirname(H.levee_bin()))
    if not os.path.exists(os.path.join(d, "build.ninja")):
        pytest.skip("LEVEE_BIN is not in a meson build directory")
    r = subprocess.run(["meson", "install", "-C", d, "--no-rebuild", "--quiet",
                        "--destdir", dest], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    files = [os.path.join(root, f) for root, _, fs in os.walk(dest) for f in fs]
    units = [f for f in files if f.endswith("/systemd/system/levee.service")]
    binary = [f for f in files if f.endswith("/sbin/levee")]
    assert units and binary, "meson install did not install the unit: %s" % files
    return units[0], binary[0]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_unit_installed_and_verified(tmp_path):
    """meson install puts levee.service in systemd's unit directory, Type=notify
    with the hardening of the issue; systemd-analyze verify finds nothing to
    say about it."""
    unit, binary = install(str(tmp_path / "dest"))
    text = open(unit).read()
    for want in ("Type=notify", "ProtectSystem=strict", "PrivateTmp=yes",
                 "StateDirectory=levee", "RuntimeDirectory=levee",
                 "NoNewPrivileges=yes"):
        assert want in text, "%s not in the unit" % want
    caps = [ln for ln in text.splitlines() if ln.startswith("CapabilityBoundingSet=")]
    assert caps and set(caps[0].split("=", 1)[1].split()) >= {
        "CAP_NET_BIND_SERVICE", "CAP_BPF", "CAP_SETUID", "CAP_SETGID"}, caps
    assert "@" not in text.replace("@0", ""), "unsubstituted @VAR@ in the unit"
    exec_path = [ln.split("=", 1)[1].split()[0] for ln in text.splitlines()
                 if ln.startswith("ExecStart=")][0]
    copy = tmp_path / "levee.service"
    copy.write_text(text.replace(exec_path, binary))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", \
        "systemd-analyze verify:\n" + r.stdout + r.stderr


@pytest.mark.asan
def test_notify_ready_after_zones(pool, tmp_path):
    """With NOTIFY_SOCKET set (as systemd sets it for Type=notify), levee
    sends READY=1 once the zones are loaded and the reactors answer, with a
    STATUS line, and STOPPING=1 when it stops."""
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10 * H.SLOW)
    try:
        port = H.free_port()
        conf = H.levee_config(str(tmp_path / "n.yaml"), ["127.0.0.1@%d" % port])
        env = dict(os.environ, NOTIFY_SOCKET=path)
        p = H.start_levee(str(tmp_path), ["-c", conf], env=env)
        pool.procs.append(p)
        msg = s.recv(4096).decode()
        assert "READY=1" in msg and "STATUS=serving 3 zones" in msg, msg
        # by then the zones were loaded and published, and reactors answer
        assert "3 zones loaded, 0 refused" in p.text(), p.tail()
        r = H.udp_msg(dns.message.make_query("test.", "SOA"), port)
        assert r is not None and r.answer, r
        p.p.send_signal(15)
        assert "STOPPING=1" in s.recv(4096).decode()
        assert p.stop() == 0
    finally:
        s.close()

