"""test_daemon.py -- the daemon's start and signals (issue 11, finding 11;
server/daemon.c).

- A SIGUSR1 or SIGHUP while the zones load never kills the process (before,
  the signal's default action did: the handlers were installed after the
  load); SIGTERM while the zones load stops the start-up with exit 0.  The
  test knows the load is under way when the zone file is open in
  /proc/PID/fd, so it works the same against any build.

Traffic goes to 127.0.0.0/8 only; every wait is bounded.
"""

import os
import signal
import subprocess
import time

import dns.message
import dns.rcode
import pytest

import levee_helpers as H

T = 5 * H.SLOW

# A zone that takes about a second to load in the optimised build (and a
# few under a sanitizer): the test sends its signals while it loads.
BIG_RECORDS = H.FEW(300000, 60000)


def write_big_zone(path, n=BIG_RECORDS):
    with open(path, "w") as f:
        f.write("$ORIGIN big.\n$TTL 3600\n"
                "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600\n"
                "@ IN NS ns1\nns1 IN A 192.0.2.1\n")
        for i in range(n):
            f.write("h%d IN A 10.%d.%d.%d\n" % (i, i >> 16 & 255, i >> 8 & 255,
                                                i & 255))
    return path


def file_open_by(pid, path):
    """True while process pid (any of its threads) has path open."""
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                return True
        except OSError:
            continue
    return False


def wait_loading(p, path, timeout):
    """Wait until levee has the zone file open (the load is under way)."""
    deadline = time.monotonic() + timeout
    while not file_open_by(p.pid, path):
        if not p.alive():
            raise AssertionError("levee exited before loading:\n" + p.tail())
        if time.monotonic() > deadline:
            raise AssertionError("levee never opened %s:\n%s" % (path, p.tail()))
        time.sleep(0.002)


def start_loading(tmp_path, port, extra_zone=True):
    zone = write_big_zone(str(tmp_path / "big.zone"))
    args = ["-z", "big.=%s" % zone, "-l", "127.0.0.1@%d" % port, "-n", "2"]
    if extra_zone:
        args += ["-z", "test.=%s" % H.ZONES[0][1]]
    log = str(tmp_path / "levee-load.log")
    p = H.Proc("levee", [H.levee_bin()] + args, log, cwd=H.DATA)
    return p, zone


@pytest.mark.asan
@pytest.mark.tsan
def test_bug_signal_during_load(tmp_path):
    port = H.free_port()
    p, zone = start_loading(tmp_path, port)
    try:
        wait_loading(p, zone, 10 * T)
        # SIGUSR1 and SIGHUP, in turn, for as long as the file is open.
        sent = 0
        deadline = time.monotonic() + 20 * T
        while file_open_by(p.pid, zone) and time.monotonic() < deadline:
            os.kill(p.pid, signal.SIGUSR1 if sent % 2 == 0 else signal.SIGHUP)
            sent += 1
            time.sleep(0.01)
        time.sleep(0.05)
        assert p.alive(), "levee died (exit %s) after %d signals during the " \
            "load:\n%s" % (p.p.poll(), sent, p.tail())
        print("signal-during-load: %d signals sent" % sent)
        assert sent >= 2, "the load ended before two signals were sent"
        p.wait_log(r"\bready\b", 20 * T)
        r = H.udp_msg(dns.message.make_query("h12345.big.", "A"), port,
                      timeout=T)
        assert r is not None and r.rcode() == dns.rcode.NOERROR and r.answer, r
        text = p.text()
        assert "SIGUSR1: starting, no counters yet" in text
        assert "SIGHUP: reload is not supported yet" in text
        # The counters work once the reactors run.
        assert H.counter_total(p, "udp-queries") >= 1
    finally:
        rc = p.stop()
    assert rc == 0, "exit %s:\n%s" % (rc, p.tail())


@pytest.mark.asan
@pytest.mark.tsan
def test_bug_sigterm_during_load(tmp_path):
    port = H.free_port()
    p, zone = start_loading(tmp_path, port)
    try:
        wait_loading(p, zone, 10 * T)
        os.kill(p.pid, signal.SIGTERM)
        try:
            rc = p.p.wait(20 * T)
        except subprocess.TimeoutExpired:
            pytest.fail("levee did not stop after SIGTERM during the load:\n" +
                        p.tail())
    finally:
        p.stop()
    text = p.text()
    assert rc == 0, "exit %s:\n%s" % (rc, p.tail())
    assert "signal 15: stopping" in text, text
    assert "ready" not in text, text
    # The zone after the one being read is not loaded.
    assert "zone test loaded" not in text, text
