"""test_catalog.py -- catalog zones consumed (RFC 9432, issue 14): a
catalog transferred like any secondary makes its members secondary zones
of Levee with the settings of their group's template.

The catalogs here are written by hand (served by a Levee primary, which
NOTIFYs the consumer on each reload), so that coo, member resets, name
clashes and broken catalogs can be tested; test_catalog_knotd_producer
consumes what knotd 3.2 generates (catalog-role: generate).
"""

import os
import re
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import pytest

import levee_helpers as H
from test_reload import ctl_bin

ZONE = """$ORIGIN {o}
$TTL 300
@ SOA ns.{o} h.{o} {serial} 3600 600 86400 300
@ NS ns.{o}
ns A 127.0.0.1
www A {addr}
"""

CAT_HEAD = """$ORIGIN {o}
$TTL 0
@ SOA invalid. invalid. {serial} 3600 600 86400 0
@ NS invalid.
version TXT "{version}"
"""


def member_zone(path, origin, serial, addr):
    with open(path, "w") as f:
        f.write(ZONE.format(o=origin, serial=serial, addr=addr))


def catalog_text(origin, serial, members, version="2", extra=""):
    """members: list of (unique id, member name, group or None, coo or
    None)."""
    t = CAT_HEAD.format(o=origin, serial=serial, version=version)
    for uid, name, group, coo in members:
        t += "%s.zones PTR %s\n" % (uid, name)
        if group:
            t += 'group.%s.zones TXT "%s"\n' % (uid, group)
        if coo:
            t += "coo.%s.zones PTR %s\n" % (uid, coo)
    return t + extra


def ctl(sock, *args):
    out = subprocess.run([ctl_bin(), "-s", sock, "-t", "20"] + list(args),
                         capture_output=True, text=True, timeout=30)
    return out


class Primary:
    """A Levee primary of catalogs and member zones (files in its own
    directory), NOTIFY to the consumer on each change."""

    def __init__(self, pool, notify_port, catalogs, members):
        """catalogs: {origin: text}; members: {origin: addr}."""
        self.pool = pool
        self.dir = os.path.join(pool.tmpdir, "pri")
        os.makedirs(self.dir, exist_ok=True)
        self.port = H.free_port()
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.conf = os.path.join(self.dir, "levee.yaml")
        self.notify_port = notify_port
        self.serials = {}
        self.catalogs = {}
        self.members = {}
        for o, t in catalogs.items():
            self.set_catalog(o, t, reload=False)
        for o, a in members.items():
            self.set_member(o, a, reload=False)
        self.write_conf()
        self.proc = pool.levee(["-c", self.conf], name="levee-pri")

    def path(self, origin):
        return os.path.join(self.dir, origin.rstrip(".") + ".zone")

    def bump(self, origin):
        self.serials[origin] = self.serials.get(origin, 0) + 1
        return self.serials[origin]

    def set_catalog(self, origin, text_fn, reload=True):
        """text_fn(serial) -> zone text."""
        self.catalogs[origin] = True
        with open(self.path(origin), "w") as f:
            f.write(text_fn(self.bump(origin)))
        if reload:
            self.reload()

    def set_member(self, origin, addr, reload=True):
        self.members[origin] = addr
        member_zone(self.path(origin), origin, self.bump(origin), addr)
        if reload:
            self.reload()

    def write_conf(self):
        zones = "".join(
            "  - domain: %s\n    file: %s\n    acl: xfr\n    notify: sec\n"
            % (o, self.path(o))
            for o in list(self.catalogs) + list(self.members))
        with open(self.conf, "w") as f:
            f.write("""server:
  listen: 127.0.0.1@{port}
  reactors: 1
rate-limit:
  responses-per-second: 0
remote:
  - id: sec
    address: 127.0.0.1@{np}
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
control:
  listen: {sock}
zones:
{zones}""".format(port=self.port, np=self.notify_port, sock=self.sock,
                  zones=zones))

    def reload(self):
        # a reload notices a file by its identity: one tick later
        time.sleep(0.02)
        self.write_conf()
        out = ctl(self.sock, "reload")
        assert out.returncode == 0, out.stdout + out.stderr


class Consumer:
    """Levee with catalogs as secondaries of the primary's port."""

    def __init__(self, pool, port, primary_port, catalogs, templates=None,
                 extra_zones=""):
        """catalogs: [(origin, [template ids])]; templates: {id: file
        pattern or None}, every one fed by the primary."""
        self.pool = pool
        self.port = port
        self.dir = os.path.join(pool.tmpdir, "sec")
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.conf = os.path.join(self.dir, "levee.yaml")
        templates = templates or {
            "default": os.path.join(self.dir, "members", "%s.zone")}
        tpl = "".join(
            "  - id: %s\n    primaries: pri\n    acl: notifiers\n%s" %
            (t, "    file: %s\n" % f if f else "")
            for t, f in templates.items())
        cats = "".join(
            "  - domain: %s\n    primaries: pri\n    acl: notifiers\n"
            "    file: %s\n    catalog-role: interpret\n"
            "    catalog-template: [%s]\n" %
            (o, os.path.join(self.dir, o.rstrip(".") + ".cat"), ", ".join(t))
            for o, t in catalogs)
        for f in templates.values():
            if f:
                os.makedirs(os.path.dirname(f), exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("""server:
  listen: 127.0.0.1@{port}
  reactors: 1
  refresh-min-interval: 1
rate-limit:
  responses-per-second: 0
remote:
  - id: pri
    address: 127.0.0.1@{pp}
acl:
  - id: notifiers
    address: 127.0.0.0/8
    action: [notify, transfer]
control:
  listen: {sock}
database:
  journal-db: {db}
template:
{tpl}zones:
{cats}{extra}""".format(port=port, pp=primary_port, sock=self.sock, tpl=tpl,
                        cats=cats, extra=extra_zones,
                        db=os.path.join(self.dir, "db")))
        self.start()

    def start(self):
        self.proc = self.pool.levee(["-c", self.conf], name="levee-cat")

    def stop(self):
        assert self.proc.stop() == 0

    def status(self, zone=None):
        out = ctl(self.sock, *(["zone-status"] + ([zone] if zone else [])))
        return out.stdout + out.stderr

    def a(self, name):
        r = H.udp_msg(dns.message.make_query(name, "A"), self.port)
        if r.rcode() != dns.rcode.NOERROR:
            return dns.rcode.to_text(r.rcode())
        return sorted(rr.address for s in r.answer for rr in s)

    def wait(self, fn, timeout=15, what=""):
        end = time.monotonic() + timeout * H.SLOW
        last = None
        while time.monotonic() < end:
            last = fn()
            if last:
                return last
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s (last %r)\n%s\n%s" %
                             (what, last, self.status(),
                              self.proc.tail(30)))

    def wait_a(self, name, want, timeout=15):
        self.wait(lambda: self.a(name) == want, timeout,
                  "%s A %s" % (name, want))


def start_pair(pool, catalogs, members, consumer_catalogs, **kw):
    port = H.free_port()
    pri = Primary(pool, port, catalogs, members)
    cons = Consumer(pool, port, pri.port, consumer_catalogs, **kw)
    return pri, cons


def test_catalog_members_added_and_removed(pool):
    members = [("m1", "one.test.", None, None), ("m2", "two.test.", None,
                                                  None)]
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, members)},
        {"one.test.": "192.0.2.1", "two.test.": "192.0.2.2",
         "three.test.": "192.0.2.3"},
        [("cat.test.", ["default"])])
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    cons.wait_a("www.two.test.", ["192.0.2.2"])
    assert cons.a("www.three.test.") == "REFUSED"
    files = os.path.join(cons.dir, "members")
    cons.wait(lambda: os.path.exists(os.path.join(files, "two.test.zone")),
              what="the copy of two.test")
    st = cons.status("cat.test")
    assert "catalog: 2 members" in st, st
    assert "member of catalog cat.test, template default" in \
        cons.status("one.test"), cons.status("one.test")
    # the catalog answers its SOA, nothing else (RFC 9432 7)
    r = H.udp_msg(dns.message.make_query("cat.test.", "SOA"), cons.port)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    for name, t in (("cat.test.", "NS"), ("m1.zones.cat.test.", "PTR"),
                    ("version.cat.test.", "TXT")):
        r = H.udp_msg(dns.message.make_query(name, t), cons.port)
        assert r.rcode() == dns.rcode.REFUSED, (name, r)
    # a member's change arrives as for any secondary
    pri.set_member("one.test.", "192.0.2.11")
    cons.wait_a("www.one.test.", ["192.0.2.11"])
    # two.test goes, three.test comes
    members[1] = ("m3", "three.test.", None, None)
    pri.set_catalog("cat.test.",
                    lambda s: catalog_text("cat.test.", s, members))
    cons.wait_a("www.three.test.", ["192.0.2.3"])
    cons.wait(lambda: cons.a("www.two.test.") == "REFUSED",
              what="two.test removed")
    cons.wait(lambda: not os.path.exists(os.path.join(files,
                                                      "two.test.zone")),
              what="two.test's copy removed")
    assert "catalog: 2 members" in cons.status("cat.test")
    assert cons.a("www.one.test.") == ["192.0.2.11"]
    assert re.search(r"two\.test: no longer a member of cat\.test",
                     cons.proc.text())
