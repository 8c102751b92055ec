"""test_secondary_persist.py -- a secondary's copy and timers survive a
restart (issue 14): the transferred zone is written to its file: after
each transfer (atomically), its timers kept in the journal's LMDB; a
restart with the primary down serves the transferred serial at once, a
zone that was expiring keeps its deadline, and a SIGKILL never leaves a
copy that fails to load. A secondary's IXFRs in go into its journal, so a
second Levee chained behind it gets IXFR from it.
"""

import os
import re
import time

import dns.message
import dns.rcode
import pytest

import levee_helpers as H
from test_secondary import FakePrimary, Knot, Secondary, axfr_sorted


def keep(pool, name="a.test.zone"):
    """The zone entry's file: and the database: section."""
    return ("    file: %s\n" % os.path.join(pool.tmpdir, name),
            "database:\n  journal-db: %s\n" % os.path.join(pool.tmpdir,
                                                            "journal"))


@pytest.mark.asan
@pytest.mark.tsan
def test_restart_serves_kept_copy(pool):
    """Transfer serial 1, write the copy; the primary goes; a restart
    serves serial 1 at once (before any primary answers), zone-status says
    the check failed but the version stays. SIGKILL right after a second
    transfer: the restart serves a whole copy (serial 1 or 2)."""
    fake = FakePrimary(1, "good")
    ez, et = keep(pool)
    try:
        sec = Secondary(pool, fake.port, extra_zone=ez, extra_top=et)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        sec.proc.wait_log(r"serial 1 written to", 10 * H.SLOW)
        fake.close()
        sec.restart()
        assert sec.serial() == 1          # at once, primary down
        assert sec.a("www.a.test.") == ["192.0.2.77"]
        assert "serving its kept copy, serial 1" in sec.proc.text()
        # a check runs and fails, the copy stays
        end = time.monotonic() + 10 * H.SLOW
        while time.monotonic() < end and sec.counts()["failed"] < 1:
            time.sleep(0.1)
        assert sec.counts()["failed"] >= 1 and sec.serial() == 1
    finally:
        fake.close()
    fake = FakePrimary(2, "good")
    try:
        with open(sec.conf) as f:
            text = f.read()
        text = re.sub(r"127\.0\.0\.1@\d+\n(\S*)acl:",
                      "127.0.0.1@%d\\n\\1acl:" % fake.port, text)
        with open(sec.conf, "w") as f:
            f.write(text)
        sec.restart()
        assert sec.wait_serial(2, 10 * H.SLOW), sec.status()
        sec.restart(kill=True)
        assert sec.serial() in (1, 2)
        assert "does not load" not in sec.proc.text()
    finally:
        fake.close()


def test_killed_during_transfer_serves_last_copy(pool):
    """SIGKILL while a transfer is half way (the primary hangs after half
    a message): the restart serves the last good copy, serial 1."""
    fake = FakePrimary(1, "good")
    ez, et = keep(pool)
    try:
        sec = Secondary(pool, fake.port, extra_zone=ez, extra_top=et)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        sec.proc.wait_log(r"serial 1 written to", 10 * H.SLOW)
        fake.mode, fake.serial, fake.stall = "halfmsg", 2, 3
        n = fake.tcp_queries
        assert sec.ctl("refresh", "a.test").returncode == 0
        end = time.monotonic() + 10 * H.SLOW
        while time.monotonic() < end and fake.tcp_queries == n:
            time.sleep(0.02)
        assert fake.tcp_queries > n
        sec.restart(kill=True)
        assert sec.serial() == 1
        assert sec.a("www.a.test.") == ["192.0.2.77"]
        assert "does not load" not in sec.proc.text()
    finally:
        fake.close()


def test_expiry_continues_across_restart(pool):
    """SOA expire 8 s; the primary goes after the transfer at t0; Levee is
    killed at t0 + 3 and started again: it serves the copy at once and
    expires it by t0 + 8 (+2), not 8 s after the restart (t0 + 11)."""
    fake = FakePrimary(1, "good")
    fake.expire = 8
    ez, et = keep(pool)
    try:
        sec = Secondary(pool, fake.port, extra_zone=ez, extra_top=et)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        t0 = time.monotonic()
        fake.close()
        sec.proc.wait_log(r"serial 1 written to", 10 * H.SLOW)
        time.sleep(max(0, t0 + 3 - time.monotonic()))
        sec.restart(kill=True)
        assert sec.serial() == 1, sec.status()
        end = t0 + 20 * H.SLOW
        while time.monotonic() < end and sec.serial() == 1:
            time.sleep(0.1)
        took = time.monotonic() - t0
        assert sec.serial() is None, sec.status()
        assert took <= 8 + 2, took
        r = H.udp_msg(dns.message.make_query("www.a.test.", "A", use_edns=0),
                      sec.port)
        assert r.rcode() == dns.rcode.SERVFAIL
        assert "expired" in sec.status()
        # expired while down: a restart now does not serve it at all
        sec.restart()
        assert sec.serial() is None
        assert "expired while Levee was down" in sec.proc.text()
    finally:
        fake.close()


@pytest.mark.asan
@pytest.mark.tsan
def test_chained_secondary_gets_ixfr(pool):
    """knotd -> Levee A -> Levee B: a change on knotd reaches A by IXFR,
    A journals it, NOTIFYs B, and B's transfer from A is an IXFR too; the
    three copies are equal."""
    a_port, b_port = H.free_port(), H.free_port()
    knot = Knot(pool, a_port, serial=1)
    ez, et = keep(pool)
    a = Secondary(pool, knot.port, port=a_port, extra_top=et,
                  extra_zone=ez + "    notify: b\n",
                  extra_remote="  - id: b\n    address: 127.0.0.1@%d\n"
                  % b_port)
    assert a.wait_serial(1, 10 * H.SLOW), a.status()
    b = Secondary(pool, a_port, port=b_port)
    assert b.wait_serial(1, 10 * H.SLOW), b.status()
    for serial in (2, 3):
        knot.change(serial, "192.0.2.%d" % serial,
                    extra="n%d A 192.0.2.%d" % (serial, serial))
        assert a.wait_serial(serial, 10 * H.SLOW), a.status()
        assert b.wait_serial(serial, 10 * H.SLOW), b.status()
    ca, cb = a.counts(), b.counts()
    assert ca["ixfr"] == 2 and ca["axfr"] == 1, ca
    assert cb["ixfr"] == 2 and cb["axfr"] == 1 and cb["ixfr-fallback"] == 0, cb
    assert axfr_sorted(knot.port) == axfr_sorted(a_port) == \
        axfr_sorted(b_port)


def test_zonefile_sync_delays_and_merges_writes(pool):
    """zonefile-sync: 3: the copy is written 3 s after the first transfer,
    once for the transfers that came meanwhile (serial 2 and 3: only 3 is
    written); a stop writes a copy still waiting; zonefile-sync: -1 never
    writes one."""
    fake = FakePrimary(1, "good")
    path = os.path.join(pool.tmpdir, "a.test.zone")
    try:
        sec = Secondary(pool, fake.port, extra_zone="    file: %s\n"
                        "    zonefile-sync: 3\n" % path)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        t1 = time.monotonic()
        sec.proc.wait_log(r"serial 1 written to", 10 * H.SLOW)
        assert time.monotonic() - t1 >= 2.5      # not at once
        for serial in (2, 3):
            fake.serial = serial
            assert sec.ctl("refresh", "a.test").returncode == 0
            assert sec.wait_serial(serial, 10 * H.SLOW), sec.status()
        sec.proc.wait_log(r"serial 3 written to", 10 * H.SLOW)
        assert "serial 2 written" not in sec.proc.text()
        # a copy waiting its delay when the server stops is written
        fake.serial = 4
        assert sec.ctl("refresh", "a.test").returncode == 0
        assert sec.wait_serial(4, 10 * H.SLOW), sec.status()
        assert sec.proc.stop() == 0
        assert "serial 4 written to" in sec.proc.text()
        with open(path) as f:
            assert re.search(r"SOA\s.*\s4\s", f.read())

        never = os.path.join(pool.tmpdir, "never.zone")
        sec2 = Secondary(pool, fake.port, extra_zone="    file: %s\n"
                         "    zonefile-sync: -1\n" % never)
        assert sec2.wait_serial(4, 10 * H.SLOW), sec2.status()
        time.sleep(1.5)
        assert sec2.proc.stop() == 0
        assert not os.path.exists(never)
        assert "written to" not in sec2.proc.text()
    finally:
        fake.close()


def test_journal_replayed_at_start(pool):
    """With a journal and zonefile-sync: 60, serial 2 arrives by IXFR and
    waits for its write when Levee is killed; the restart, the primary
    down, serves serial 2 at once: the kept copy (serial 1) with the
    journal's change applied."""
    fake = FakePrimary(1, "ixfr-good")
    ez, et = keep(pool)
    try:
        sec = Secondary(pool, fake.port, extra_zone=ez, extra_top=et)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        sec.proc.wait_log(r"serial 1 written to", 10 * H.SLOW)
        with open(sec.conf, "a") as f:   # the zone entry is the last
            f.write("    zonefile-sync: 60\n")
        sec.restart()
        assert sec.serial() == 1
        fake.serial = 2
        assert sec.ctl("refresh", "a.test").returncode == 0
        assert sec.wait_serial(2, 10 * H.SLOW), sec.status()
        assert sec.counts()["ixfr"] >= 1, sec.status()
        assert sec.a("www.a.test.") == ["192.0.2.78"]
        assert "serial 2 written" not in sec.proc.text()
        fake.close()
        sec.restart(kill=True)
        assert sec.serial() == 2             # at once, primary down
        assert sec.a("www.a.test.") == ["192.0.2.78"]
        assert "journal replayed from serial 1 to 2" in sec.proc.text()
    finally:
        fake.close()


def test_killed_during_write_of_a_large_copy(pool):
    """SIGKILL while Levee writes the copy of a 200,000-record transfer
    (its temporary file is there): the restart serves a whole copy, the
    old serial or the new one, never a torn file; the copy on disk
    passes levee --check."""
    sec_port = H.free_port()
    knot = Knot(pool, sec_port, serial=1)
    ez, et = keep(pool)
    path = ez.split("file: ")[1].strip()
    tmp = path + ".levee-tmp"
    sec = Secondary(pool, knot.port, port=sec_port, extra_zone=ez,
                    extra_top=et)
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    sec.proc.wait_log(r"serial 1 written to", 10 * H.SLOW)
    big = "".join("h%d.a.test. 300 IN A 192.0.2.%d\n" % (i, i % 250 + 1)
                  for i in range(200000))
    knot.change(2, "192.0.2.2", extra=big)
    deadline = time.monotonic() + 60 * H.SLOW
    seen = False
    while time.monotonic() < deadline and "serial 2 written" not in \
            sec.proc.text():
        if os.path.exists(tmp):
            seen = True
            break
        time.sleep(0.001)
    assert seen, "the write of the copy was never caught: %s" % \
        sec.proc.tail()
    sec.restart(kill=True)
    assert sec.serial() in (1, 2), sec.status()
    assert "does not load" not in sec.proc.text()
    r = H.run_levee(["--check", "-z", "a.test.=%s" % path])
    assert r.returncode == 0, r.stdout + r.stderr
