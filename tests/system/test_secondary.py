"""test_secondary.py -- Levee as a secondary (issue 14, first half): the
real binary fed by a real knotd primary on loopback, and by a fake primary
(a Python TCP server) that sends broken transfers.

knotd (`zonefile-load: difference`, `journal-content: changes`) serves
IXFR; its zone's `notify` points at Levee. Each test reads Levee's answers
with dnspython and its state with `levee-ctl zone-status` (the counters
say whether a transfer was an AXFR or an IXFR).
"""

import json
import os
import re
import socket
import struct
import subprocess
import threading
import time

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

import levee_helpers as H
from test_reload import ctl_bin

ZONE = """$ORIGIN {o}
$TTL 300
@ SOA ns.{o} h.{o} {serial} {refresh} {retry} {expire} 300
@ NS ns.{o}
ns A 127.0.0.1
www A {addr}
{extra}
"""


def write_zone(path, origin, serial, addr, refresh=3600, retry=600,
               expire=86400, extra=""):
    with open(path, "w") as f:
        f.write(ZONE.format(o=origin, serial=serial, addr=addr,
                            refresh=refresh, retry=retry, expire=expire,
                            extra=extra))


class Knot:
    """knotd as the primary of a.test., NOTIFY to Levee's port."""

    def __init__(self, pool, notify_port, serial=1, key=None, **soa):
        """key: (name, base64 secret): knotd transfers only to requests
        signed with it and signs its NOTIFYs with it."""
        self.dir = os.path.join(pool.tmpdir, "knot-pri")
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        self.port = H.free_port()
        self.zone = os.path.join(self.dir, "a.test.zone")
        self.soa = soa
        write_zone(self.zone, "a.test.", serial, "192.0.2.1", **soa)
        self.sock = os.path.join(self.dir, "knot.sock")
        conf = os.path.join(self.dir, "knot.conf")
        keys = ksec = kuse = ""
        if key:
            ksec = ("key:\n  - id: %s\n    algorithm: hmac-sha256\n"
                    "    secret: %s\n" % key)
            kuse = "    key: %s\n" % key[0]
        with open(conf, "w") as f:
            f.write(ksec + """server:
  rundir: {d}
  listen: 127.0.0.1@{port}
database:
  storage: {d}/db
log:
  - target: stderr
    any: info
remote:
  - id: levee
    address: 127.0.0.1@{np}
{ku}acl:
  - id: xfr
    address: 127.0.0.0/8
{ku}    action: transfer
template:
  - id: default
    storage: {d}
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: a.test.
    file: {z}
    acl: xfr
    notify: levee
""".format(d=self.dir, port=self.port, np=notify_port, z=self.zone,
           ku=kuse))
        self.proc = H.Proc("knotd", ["knotd", "-c", conf],
                           os.path.join(self.dir, "knotd.log"))
        pool.procs.append(self.proc)
        H.wait_soa(self.port, ["a.test."], 10 * H.SLOW, proc=self.proc)

    def change(self, serial, addr, extra=""):
        write_zone(self.zone, "a.test.", serial, addr, extra=extra, **self.soa)
        # -b: wait until knotd has loaded it (a refresh right after
        # must see the new serial)
        out = subprocess.run(["knotc", "-b", "-s", self.sock, "zone-reload",
                              "a.test."], capture_output=True, text=True,
                             timeout=20)
        assert out.returncode == 0, out.stdout + out.stderr


class Secondary:
    """Levee with a.test. as a secondary of one primary."""

    def __init__(self, pool, primary_port, port=None, extra_server="",
                 v6=False, key=None, extra_zone="", extra_top="",
                 extra_remote=""):
        """key: (name, base64 secret) the primary remote is signed with;
        extra_zone: lines of the zone entry; extra_top: sections before
        zones:; extra_remote: more remote: entries."""
        self.port = port or H.free_port()
        self.sock = os.path.join(pool.tmpdir, "ctl-%d.sock" % self.port)
        self.conf = os.path.join(pool.tmpdir, "levee-sec-%d.yaml" % self.port)
        ksec = kuse = ""
        if key:
            ksec = ("key:\n  - id: %s\n    algorithm: hmac-sha256\n"
                    "    secret: %s\n" % key)
            kuse = "    key: %s\n" % key[0]
        with open(self.conf, "w") as f:
            f.write(ksec + """server:
  listen: [127.0.0.1@{port}{v6}]
  reactors: 1
  refresh-min-interval: 1
{extra}rate-limit:
  responses-per-second: 0
remote:
  - id: pri
    address: 127.0.0.1@{pp}
{ku}{er}acl:
  - id: notifiers
    address: 127.0.0.0/8
    action: [notify, transfer]
control:
  listen: {sock}
{et}zones:
  - domain: a.test
    primaries: pri
    acl: notifiers
{ez}""".format(port=self.port, pp=primary_port, sock=self.sock,
           extra=extra_server, ku=kuse, et=extra_top, ez=extra_zone,
           er=extra_remote,
           v6=(', "::1@%d"' % self.port) if v6 else ""))
        self.pool = pool
        self.proc = pool.levee(["-c", self.conf], name="levee-sec")

    def restart(self, kill=False):
        """Stops Levee (SIGTERM, or SIGKILL with kill) and starts it again
        on the same configuration."""
        if kill:
            self.proc.p.kill()
            self.proc.p.wait(10)
            self.proc.rc = 0      # killed on purpose: not a failure
            self.proc.log.close()
        else:
            assert self.proc.stop() == 0
        self.proc = self.pool.levee(["-c", self.conf], name="levee-sec")

    def ctl(self, *args):
        return subprocess.run([ctl_bin(), "-s", self.sock, "-t", "20"] +
                              list(args), capture_output=True, text=True,
                              timeout=30)

    def status(self):
        out = self.ctl("zone-status", "a.test")
        assert out.returncode == 0, out.stderr
        return out.stdout

    def counts(self):
        s = self.status()
        return {k: int(v) for k, v in re.findall(
            r"\b(axfr|ixfr|ixfr-fallback|uptodate|failed) (\d+)", s)}

    def notify_in(self):
        out = self.ctl("stats")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["total"]["notify-in"]

    def serial(self):
        q = dns.message.make_query("a.test.", "SOA")
        r = H.udp_msg(q, self.port)
        if r.rcode() != dns.rcode.NOERROR or not r.answer:
            return None
        return r.answer[0][0].serial

    def a(self, name):
        r = H.udp_msg(dns.message.make_query(name, "A"), self.port)
        if r.rcode() != dns.rcode.NOERROR:
            return dns.rcode.to_text(r.rcode())
        return sorted(rr.address for s in r.answer for rr in s)

    def wait_serial(self, serial, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.serial() == serial:
                return True
            time.sleep(0.05)
        return False


def axfr_sorted(port, origin="a.test.", key=None):
    """The zone's records by kdig AXFR, sorted, without TSIG records (key:
    kdig's -y ALG:NAME:SECRET)."""
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+nocomments",
                          "+nostats", "+noheader"] +
                         (["-y", key] if key else []) + ["AXFR", origin],
                         capture_output=True, text=True, timeout=20)
    lines = [" ".join(l.split()) for l in out.stdout.splitlines()
             if l.strip() and not l.startswith(";") and
             "TSIG" not in l.split()]
    return sorted(set(lines))


@pytest.mark.asan
def test_axfr_then_notify_ixfr(pool):
    """Initial AXFR from knotd; a change on knotd reaches Levee by NOTIFY
    and IXFR (its counters say IXFR, not AXFR); the copies are equal."""
    lport = H.free_port()
    knot = Knot(pool, lport, serial=1)
    sec = Secondary(pool, knot.port, port=lport)
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    assert sec.a("www.a.test.") == ["192.0.2.1"]
    c = sec.counts()
    assert c["axfr"] == 1 and c["ixfr"] == 0, c
    knot.change(2, "192.0.2.2", extra="new A 192.0.2.9")
    assert sec.wait_serial(2, 10 * H.SLOW), sec.status()
    assert sec.a("www.a.test.") == ["192.0.2.2"]
    assert sec.a("new.a.test.") == ["192.0.2.9"]
    c = sec.counts()
    assert c["ixfr"] == 1 and c["axfr"] == 1 and c["ixfr-fallback"] == 0, c
    knot.change(3, "192.0.2.3")
    assert sec.wait_serial(3, 10 * H.SLOW), sec.status()
    assert sec.a("new.a.test.") == "NXDOMAIN"
    assert sec.counts()["ixfr"] == 2
    # the checks came from knotd's NOTIFYs (no timer: refresh 3600)
    assert sec.notify_in() >= 2
    # Levee's copy is knotd's (and Levee serves it out)
    assert axfr_sorted(knot.port) == axfr_sorted(sec.port)


@pytest.mark.asan
def test_refresh_by_timer(pool):
    """No NOTIFY (knotd notifies a dead port): the SOA refresh of 2 s
    brings the change."""
    knot = Knot(pool, H.free_port(), serial=10, refresh=2, retry=1)
    sec = Secondary(pool, knot.port)
    assert sec.wait_serial(10, 10 * H.SLOW), sec.status()
    knot.change(11, "192.0.2.11")
    assert sec.wait_serial(11, 10 * H.SLOW), sec.status()
    assert sec.counts()["ixfr"] == 1


@pytest.mark.asan
def test_primary_down_keeps_serving(pool):
    """The primary stops: the served version stays, checks fail and are
    retried (counted); the primary back: the next check succeeds."""
    knot = Knot(pool, H.free_port(), serial=5, refresh=1, retry=1)
    sec = Secondary(pool, knot.port)
    assert sec.wait_serial(5, 10 * H.SLOW), sec.status()
    knot.proc.stop()
    end = time.monotonic() + 15 * H.SLOW
    while time.monotonic() < end and sec.counts()["failed"] < 2:
        time.sleep(0.2)
    c = sec.counts()
    assert c["failed"] >= 2, sec.status()
    assert sec.serial() == 5
    assert sec.a("www.a.test.") == ["192.0.2.1"]


@pytest.mark.asan
def test_levee_ctl_refresh_and_retransfer(pool):
    knot = Knot(pool, H.free_port(), serial=20)
    sec = Secondary(pool, knot.port)
    assert sec.wait_serial(20, 10 * H.SLOW), sec.status()
    knot.change(21, "192.0.2.21")
    # knotd's NOTIFY goes to a dead port: only the refresh brings it
    out = sec.ctl("refresh", "a.test")
    assert out.returncode == 0, out.stderr
    assert sec.wait_serial(21, 10 * H.SLOW), sec.status()
    assert sec.counts()["ixfr"] == 1
    out = sec.ctl("retransfer", "a.test")
    assert out.returncode == 0, out.stderr
    end = time.monotonic() + 10 * H.SLOW
    while time.monotonic() < end and sec.counts()["axfr"] < 2:
        time.sleep(0.1)
    assert sec.counts()["axfr"] == 2
    assert sec.serial() == 21
    bad = sec.ctl("refresh", "nosuch.test")
    assert bad.returncode != 0 and "not configured" in bad.stderr


# ---- a fake primary: broken transfers ----------------------------------------

def soa_rr(serial, expire=86400):
    return "a.test. 300 IN SOA ns.a.test. h.a.test. %d 1 1 %d 300" % (
        serial, expire)


GOOD = ["a.test. 300 IN NS ns.a.test.", "ns.a.test. 300 IN A 127.0.0.1",
        "www.a.test. 300 IN A 192.0.2.77"]


class FakePrimary:
    """Answers SOA over UDP with `serial`, and AXFR/IXFR over TCP with what
    mode says: good, short (no closing SOA), garbage, wrong (a second SOA
    of another serial), outside (a record of another zone), oversized
    length prefix then close, silent (never answers)."""

    def __init__(self, serial, mode):
        self.serial = serial
        self.mode = mode
        self.expire = 86400
        self.stall = 0      # halfmsg: seconds to hang before closing
        self.tcp_queries = 0
        # UDP and TCP on one port: the UDP port the kernel picks may be
        # taken for TCP (another test's server), so try another (bounded).
        for attempt in range(50):
            self.u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.u.bind(("127.0.0.1", 0))
            self.port = self.u.getsockname()[1]
            self.t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.t.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.u.close()
                self.t.close()
                if attempt == 49:
                    raise
        self.t.listen(8)
        self.stop = False
        self.threads = [threading.Thread(target=self.udp, daemon=True),
                        threading.Thread(target=self.tcp, daemon=True)]
        for th in self.threads:
            th.start()

    def soa_answer(self, q):
        r = dns.message.make_response(q)
        r.answer.append(dns.rrset.from_text("a.test.", 300, "IN", "SOA",
                                            soa_rr(self.serial,
                                                   self.expire).split(
                                                " IN SOA ")[1]))
        return r

    def udp(self):
        self.u.settimeout(0.2)
        while not self.stop:
            try:
                data, addr = self.u.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            q = dns.message.from_wire(data)
            self.u.sendto(self.soa_answer(q).to_wire(), addr)

    def records(self):
        soa = soa_rr(self.serial, self.expire)
        if self.mode == "short":
            return [soa] + GOOD
        if self.mode == "wrong":
            return [soa] + GOOD + [soa_rr(self.serial + 7)]
        if self.mode == "outside":
            return [soa] + GOOD + ["www.b.test. 300 IN A 192.0.2.1", soa]
        if self.mode == "wrongzone":
            other = soa.replace("a.test.", "b.test.")
            return [other] + GOOD + [other]
        return [soa] + GOOD + [soa]

    def ixfr_records(self, q, cut):
        """Differences from the client's serial to self.serial, one
        serial at a time, each changing www's address; cut: the first
        whole, the second half, and no end."""
        base = q.authority[0][0].serial if q.authority else 1
        if not q.authority or q.question[0].rdtype != dns.rdatatype.IXFR:
            return self.records()
        recs = [soa_rr(self.serial)]
        for s in range(base, self.serial):
            recs += [soa_rr(s), "www.a.test. 300 IN A 192.0.2.%d" %
                     (77 + s - 1 if s > 1 else 77), soa_rr(s + 1),
                     "www.a.test. 300 IN A 192.0.2.%d" % (77 + s)]
            if cut and s > base:
                return recs[:-2]
        return recs + [soa_rr(self.serial)]

    def tcp(self):
        self.t.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.t.accept()
            except (socket.timeout, OSError):
                continue
            try:
                c.settimeout(3)
                n = struct.unpack("!H", H.recv_exact(c, 2))[0]
                q = dns.message.from_wire(H.recv_exact(c, n))
                self.tcp_queries += 1
                if self.mode == "silent":
                    time.sleep(1)
                    continue
                if self.mode == "garbage":
                    c.sendall(struct.pack("!H", 40) + os.urandom(40))
                    continue
                if self.mode == "oversized":
                    c.sendall(struct.pack("!H", 65535) + b"\0" * 100)
                    continue
                if self.mode == "halfmsg":
                    # killed mid-message: half of a good first message
                    r = dns.message.make_response(q)
                    for t in self.records()[:3]:
                        name, ttl, cl, ty, rd = t.split(" ", 4)
                        r.answer.append(dns.rrset.from_text(
                            name, int(ttl), cl, ty, rd))
                    w = r.to_wire()
                    c.sendall(struct.pack("!H", len(w)) + w[:len(w) // 2])
                    if self.stall:
                        time.sleep(self.stall)   # then dies
                    continue
                r = dns.message.make_response(q)
                is_ixfr = q.question[0].rdtype == dns.rdatatype.IXFR
                if is_ixfr and self.mode == "ixfr-notimp":
                    r.set_rcode(dns.rcode.NOTIMP)
                    w = r.to_wire()
                    c.sendall(struct.pack("!H", len(w)) + w)
                    continue
                recs = self.records()
                if self.mode == "ixfr-cut" or (
                        is_ixfr and self.mode == "ixfr-good"):
                    recs = self.ixfr_records(q, cut=self.mode == "ixfr-cut"
                                             and is_ixfr)
                    if self.mode == "ixfr-cut" and not is_ixfr:
                        recs = recs[:-1]     # an AXFR without its end
                if is_ixfr and self.mode == "ixfr-chain":
                    # a difference from a serial Levee does not have
                    recs = [soa_rr(self.serial), soa_rr(self.serial - 5),
                            soa_rr(self.serial), soa_rr(self.serial)]
                for t in recs:
                    name, ttl, cl, ty, rd = t.split(" ", 4)
                    r.answer.append(dns.rrset.from_text(name, int(ttl), cl,
                                                        ty, rd))
                w = r.to_wire()
                c.sendall(struct.pack("!H", len(w)) + w)
            except (OSError, EOFError, AssertionError, Exception):
                pass
            finally:
                c.close()

    def close(self):
        if self.u.fileno() < 0:
            return
        self.stop = True
        for th in self.threads:
            th.join(2)
        self.u.close()
        self.t.close()


@pytest.mark.asan
def test_fake_primary_bad_transfers(pool):
    """Good AXFR first (serial 1); then the fake primary claims serial 2
    and sends broken transfers: Levee keeps serving serial 1, counts the
    failures, never crashes."""
    fake = FakePrimary(1, "good")
    try:
        sec = Secondary(pool, fake.port)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        assert sec.a("www.a.test.") == ["192.0.2.77"]
        for mode in ["short", "garbage", "wrong", "outside", "oversized",
                     "wrongzone", "halfmsg"]:
            fake.mode = mode
            fake.serial = 2
            before = sec.counts()["failed"]
            assert sec.ctl("refresh", "a.test").returncode == 0
            end = time.monotonic() + 10 * H.SLOW
            while time.monotonic() < end and \
                    sec.counts()["failed"] <= before:
                time.sleep(0.05)
            assert sec.counts()["failed"] > before, (mode, sec.status())
            assert sec.serial() == 1, mode
            assert sec.a("www.a.test.") == ["192.0.2.77"], mode
            assert sec.proc.alive()
        text = sec.proc.text()
        assert "check failed, the served version stays" in text
        assert "outside" in text and "off the apex" in text, text[-3000:]
        # the retry timer (the SOA's retry is 1 s) checks again unasked
        before = sec.counts()["failed"]
        end = time.monotonic() + 10 * H.SLOW
        while time.monotonic() < end and sec.counts()["failed"] < before + 2:
            time.sleep(0.1)
        assert sec.counts()["failed"] >= before + 2, sec.status()
        assert sec.serial() == 1
        # a primary whose serial went backwards: nothing is transferred
        fake.mode = "good"
        fake.serial = 0
        before = sec.counts()["uptodate"]
        assert sec.ctl("refresh", "a.test").returncode == 0
        end = time.monotonic() + 10 * H.SLOW
        while time.monotonic() < end and sec.counts()["uptodate"] <= before:
            time.sleep(0.05)
        assert sec.counts()["uptodate"] > before
        assert sec.serial() == 1
        # the primary good again: the next check transfers serial 2
        fake.serial = 2
        fake.mode = "good"
        assert sec.ctl("refresh", "a.test").returncode == 0
        assert sec.wait_serial(2, 10 * H.SLOW), sec.status()
    finally:
        fake.close()


def test_secondary_unserved_before_first_transfer(pool):
    """A primary that never answers: the zone is not served (REFUSED),
    zone-status says it waits, the failure is counted."""
    fake = FakePrimary(1, "silent")
    fake.stop = True     # no answers at all, not even SOA
    try:
        sec = Secondary(pool, fake.port)
        r = H.udp_msg(dns.message.make_query("www.a.test.", "A"), sec.port)
        assert r.rcode() == dns.rcode.REFUSED
        s = sec.status()
        assert "secondary: waiting" in s or "secondary: transferring" in s, s
    finally:
        fake.close()


def notify_msg(name="a.test."):
    m = dns.message.make_query(name, "SOA")
    m.set_opcode(dns.opcode.NOTIFY)
    m.flags |= dns.flags.AA
    m.flags &= ~dns.flags.RD
    return m


@pytest.mark.asan
def test_notify_acl_and_flood(pool):
    """NOTIFY from an address the zone's acl allows: NOERROR; for a zone
    that is not a secondary here, or from an address not allowed (the
    zone's acl lists 127.0.0.0/8 only, ::1 is outside): NOTAUTH. A flood
    of 2,000 NOTIFYs costs a handful of SOA checks, not 2,000."""
    fake = FakePrimary(1, "good")
    try:
        sec = Secondary(pool, fake.port,
                        v6=True)
    except Exception:
        fake.close()
        raise
    try:
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        r = H.udp_msg(notify_msg(), sec.port)
        assert r.rcode() == dns.rcode.NOERROR
        assert r.opcode() == dns.opcode.NOTIFY
        r = H.udp_msg(notify_msg("other.test."), sec.port)
        assert r.rcode() == dns.rcode.NOTAUTH
        try:
            r = H.udp_msg(notify_msg(), sec.port, addr="::1")
            assert r.rcode() == dns.rcode.NOTAUTH
        except OSError:
            pass   # no IPv6 loopback here
        time.sleep(0.5)
        checks0 = sec.counts()["uptodate"]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        wire = notify_msg().to_wire()
        t0 = time.monotonic()
        for i in range(2000):
            s.sendto(wire, ("127.0.0.1", sec.port))
            if time.monotonic() - t0 > 10:
                break
        s.close()
        time.sleep(1.5)
        checks = sec.counts()["uptodate"] - checks0
        assert 1 <= checks <= 50, checks
        assert sec.proc.alive()
        assert sec.serial() == 1
    finally:
        fake.close()


@pytest.mark.asan
def test_expiry_stops_serving(pool):
    """SOA expire 3 s and the primary gone: within expire + 2 s the zone
    is answered SERVFAIL with EDE 24 (Invalid Data), as knotd, its AXFR
    too; zone-status says expired."""
    fake = FakePrimary(1, "good")
    fake.expire = 3
    try:
        sec = Secondary(pool, fake.port)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        t0 = time.monotonic()
        fake.close()
        end = t0 + 10 * H.SLOW
        while time.monotonic() < end and sec.serial() == 1:
            time.sleep(0.1)
        took = time.monotonic() - t0
        assert sec.serial() is None, sec.status()
        assert took <= 3 + 2, took
        q = dns.message.make_query("www.a.test.", "A", use_edns=0)
        r = H.udp_msg(q, sec.port)
        assert r.rcode() == dns.rcode.SERVFAIL
        assert [o.code for o in r.options] == [24], r.options
        r = H.tcp_msg(dns.message.make_query("a.test.", "AXFR"), sec.port)
        assert r.rcode() == dns.rcode.SERVFAIL
        assert "expired" in sec.status()
    finally:
        fake.close()


@pytest.mark.asan
def test_reload_removes_and_adds_secondary(pool):
    """A configuration reload that drops the secondary stops serving it; one
    that brings it back transfers it again (and a plain reload leaves a
    served secondary as it is)."""
    knot = Knot(pool, H.free_port(), serial=30)
    sec = Secondary(pool, knot.port)
    assert sec.wait_serial(30, 10 * H.SLOW), sec.status()
    assert sec.ctl("reload").returncode == 0
    time.sleep(0.5)
    assert sec.serial() == 30 and sec.counts()["axfr"] == 1
    with open(sec.conf) as f:
        text = f.read()
    zone_entry = text[text.index("  - domain: a.test"):]
    with open(sec.conf, "w") as f:
        f.write(text.replace(zone_entry, "  - domain: other.test\n"
                             "    primaries: pri\n"))
    assert sec.ctl("reload").returncode == 0
    end = time.monotonic() + 5 * H.SLOW
    while time.monotonic() < end and sec.serial() is not None:
        time.sleep(0.05)
    assert sec.serial() is None
    with open(sec.conf, "w") as f:
        f.write(text)
    assert sec.ctl("reload").returncode == 0
    assert sec.wait_serial(30, 10 * H.SLOW), sec.status()
    assert sec.proc.alive()


@pytest.mark.asan
@pytest.mark.parametrize("mode", ["ixfr-notimp", "ixfr-chain"])
def test_ixfr_falls_back_to_axfr(pool, mode):
    """An IXFR refused (NOTIMP) or whose serials do not connect: the same
    check goes on with an AXFR, counted as a fallback."""
    fake = FakePrimary(1, "good")
    try:
        sec = Secondary(pool, fake.port)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        fake.mode = mode
        fake.serial = 9
        assert sec.ctl("refresh", "a.test").returncode == 0
        assert sec.wait_serial(9, 10 * H.SLOW), sec.status()
        c = sec.counts()
        assert c["axfr"] == 2 and c["ixfr"] == 0 and \
            c["ixfr-fallback"] == 1, c
        assert "IXFR from" in sec.proc.text()
    finally:
        fake.close()


@pytest.mark.asan
def test_failed_ixfr_then_ixfr(pool):
    """Regression: an IXFR of several differences cut after the first one
    (the connection closed; the AXFR fallback cut too) left the served
    version's family refusing changes, so the next IXFR failed as well
    and fell back to AXFR. Now the next IXFR is an IXFR."""
    fake = FakePrimary(1, "good")
    try:
        sec = Secondary(pool, fake.port)
        assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
        fake.mode = "ixfr-cut"
        fake.serial = 3
        assert sec.ctl("refresh", "a.test").returncode == 0
        end = time.monotonic() + 10 * H.SLOW
        while time.monotonic() < end and sec.counts()["failed"] < 1:
            time.sleep(0.05)
        c = sec.counts()
        assert c["failed"] == 1 and c["axfr"] == 1, (c, sec.status())
        assert sec.serial() == 1
        assert sec.a("www.a.test.") == ["192.0.2.77"]
        fake.mode = "ixfr-good"
        assert sec.ctl("refresh", "a.test").returncode == 0
        assert sec.wait_serial(3, 10 * H.SLOW), sec.status()
        c = sec.counts()
        assert c["ixfr"] == 1 and c["axfr"] == 1, (c, sec.status())
        assert sec.a("www.a.test.") == ["192.0.2.79"]
    finally:
        fake.close()
