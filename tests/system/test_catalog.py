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
import shutil
import subprocess
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
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


@pytest.mark.asan
@pytest.mark.tsan
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


def test_catalog_groups_pick_templates(pool):
    """A member's group property picks the template of that name among
    the catalog's catalog-template; a group no template has, or none,
    the first. Moving a member between groups changes its settings and
    where its copy is kept, and keeps it served."""
    members = [("m1", "one.test.", "blue", None),
               ("m2", "two.test.", "nosuch", None)]
    pool_dir = os.path.join(pool.tmpdir, "sec")
    tpl = {"default": os.path.join(pool_dir, "members", "%s.zone"),
           "blue": os.path.join(pool_dir, "blue", "%s.zone")}
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, members)},
        {"one.test.": "192.0.2.1", "two.test.": "192.0.2.2"},
        [("cat.test.", ["default", "blue"])], templates=tpl)
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    cons.wait_a("www.two.test.", ["192.0.2.2"])
    assert "template blue" in cons.status("one.test")
    assert "template default" in cons.status("two.test")
    blue = os.path.join(pool_dir, "blue", "one.test.zone")
    default = os.path.join(pool_dir, "members", "one.test.zone")
    cons.wait(lambda: os.path.exists(blue), what="one.test in blue/")
    assert not os.path.exists(default)
    # one.test moves to the default group, two.test to blue
    members[0] = ("m1", "one.test.", None, None)
    members[1] = ("m2", "two.test.", "blue", None)
    pri.set_catalog("cat.test.",
                    lambda s: catalog_text("cat.test.", s, members))
    cons.wait(lambda: "template default" in cons.status("one.test"),
              what="one.test in the default template")
    cons.wait(lambda: "template blue" in cons.status("two.test"),
              what="two.test in the blue template")
    cons.wait(lambda: os.path.exists(default), what="one.test's new copy")
    cons.wait(lambda: not os.path.exists(blue), what="one.test's old copy")
    cons.wait(lambda: os.path.exists(os.path.join(pool_dir, "blue",
                                                  "two.test.zone")),
              what="two.test's new copy")
    # served throughout, with the same data
    assert cons.a("www.one.test.") == ["192.0.2.1"]
    assert cons.a("www.two.test.") == ["192.0.2.2"]
    with open(default) as f:
        assert "192.0.2.1" in f.read()


@pytest.mark.asan
def test_catalog_broken_versions_keep_members(pool):
    """A catalog of another version, with two PTRs at a member node, or
    listing a member twice is refused: the members it listed before stay
    served, zone-status says why, and a good version is applied again."""
    good = [("m1", "one.test.", None, None), ("m2", "two.test.", None, None)]
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, good)},
        {"one.test.": "192.0.2.1", "two.test.": "192.0.2.2",
         "three.test.": "192.0.2.3"},
        [("cat.test.", ["default"])])
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    cons.wait_a("www.two.test.", ["192.0.2.2"])
    only3 = [("m3", "three.test.", None, None)]
    broken = [
        (lambda s: catalog_text("cat.test.", s, only3, version="1"),
         "a catalog of another version"),
        (lambda s: catalog_text("cat.test.", s, only3,
                                extra="m3.zones PTR one.test.\n"),
         "more than one PTR"),
        (lambda s: catalog_text("cat.test.", s, only3 + [
            ("m4", "three.test.", None, None)]), "listed twice"),
        (lambda s: catalog_text("cat.test.", s, only3)
         .replace('version TXT "2"\n', ""), "no version"),
    ]
    for text, why in broken:
        serial = pri.serials["cat.test."] + 1
        pri.set_catalog("cat.test.", text)
        cons.wait(lambda: ("serial %d refused" % serial) in
                  cons.status("cat.test"), what="refusal of %d" % serial)
        st = cons.status("cat.test")
        assert why in st, st
        assert "catalog: 2 members" in st, st
        assert cons.a("www.one.test.") == ["192.0.2.1"]
        assert cons.a("www.two.test.") == ["192.0.2.2"]
        assert cons.a("www.three.test.") == "REFUSED"
    pri.set_catalog("cat.test.",
                    lambda s: catalog_text("cat.test.", s, only3))
    cons.wait_a("www.three.test.", ["192.0.2.3"])
    cons.wait(lambda: cons.a("www.one.test.") == "REFUSED",
              what="one.test removed")
    assert "refused" not in cons.status("cat.test")


@pytest.mark.asan
def test_catalog_member_reset(pool):
    """A member whose unique ID changes is reset (RFC 9432 5.6): its data
    and copy go and it is transferred again from scratch."""
    members = [("m1", "one.test.", None, None)]
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, members)},
        {"one.test.": "192.0.2.1"}, [("cat.test.", ["default"])])
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    before = len(re.findall(r"zone one\.test: AXFR from", cons.proc.text()))
    assert before == 1
    members[0] = ("newid", "one.test.", None, None)
    pri.set_catalog("cat.test.",
                    lambda s: catalog_text("cat.test.", s, members))
    cons.proc.wait_log(r"member one\.test: unique ID changed: reset", 15)
    cons.wait(lambda: len(re.findall(r"zone one\.test: AXFR from",
                                     cons.proc.text())) == 2,
              what="a second AXFR of one.test")
    # the second transfer starts from nothing: no served serial
    assert re.search(r"zone one\.test: AXFR from \S+: serial \(none\) 0 -> 1"
                     r"(.|\n)*zone one\.test: AXFR from \S+: serial \(none\)"
                     r" 0 -> 1", cons.proc.text())
    cons.wait_a("www.one.test.", ["192.0.2.1"])


@pytest.mark.asan
def test_catalog_owners_coo_and_local_zones(pool):
    """A name listed by two catalogs stays with the first that owns it;
    the owner's coo property for it hands it to the other (its data
    kept); a zone of the configuration file stays as configured."""
    local = os.path.join(pool.tmpdir, "local.test.zone")
    member_zone(local, "local.test.", 7, "198.51.100.7")
    cat1 = [("a", "one.test.", None, None), ("b", "local.test.", None, None)]
    cat2 = []     # lists one.test only once cat1 owns it: the first
    pri, cons = start_pair(
        pool, {"cat1.test.": lambda s: catalog_text("cat1.test.", s, cat1),
               "cat2.test.": lambda s: catalog_text("cat2.test.", s, cat2)},
        {"one.test.": "192.0.2.1", "local.test.": "192.0.2.99"},
        [("cat1.test.", ["default"]), ("cat2.test.", ["default"])],
        extra_zones="  - domain: local.test\n    file: %s\n" % local)
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    cons.wait(lambda: "catalog: 0 members" in cons.status("cat2.test"),
              what="cat2 read")
    assert "member of catalog cat1.test" in cons.status("one.test")
    assert cons.a("www.local.test.") == ["198.51.100.7"]
    assert "member of" not in cons.status("local.test")
    assert re.search(r"catalog cat1\.test: member local\.test is a zone of "
                     r"the configuration", cons.proc.text())
    axfrs = len(re.findall(r"zone one\.test: AXFR from", cons.proc.text()))
    # cat2 lists it too: still cat1's while cat1 lists it
    cat2.append(("x", "one.test.", None, None))
    pri.set_catalog("cat2.test.",
                    lambda s: catalog_text("cat2.test.", s, cat2))
    cons.wait(lambda: "catalog: 1 members" in cons.status("cat2.test"),
              what="cat2 lists one.test")
    cons.proc.wait_log(r"catalog cat2\.test: member one\.test is owned by "
                       r"catalog cat1\.test", 10)
    assert "member of catalog cat1.test" in cons.status("one.test")
    # change of ownership: cat1 says coo cat2 (cat2's unique ID for it
    # is made the same first: a move to another ID would reset it)
    cat2[0] = ("a", "one.test.", None, None)
    pri.set_catalog("cat2.test.",
                    lambda s: catalog_text("cat2.test.", s, cat2))
    cons.wait(lambda: ("serial %d" % pri.serials["cat2.test."]) in
              cons.status("cat2.test"), what="cat2's new serial")
    cat1[0] = ("a", "one.test.", None, "cat2.test.")
    pri.set_catalog("cat1.test.",
                    lambda s: catalog_text("cat1.test.", s, cat1))
    cons.wait(lambda: "member of catalog cat2.test" in
              cons.status("one.test"), what="one.test moved to cat2")
    assert cons.a("www.one.test.") == ["192.0.2.1"]
    # cat1 drops it: still cat2's, never re-transferred from scratch
    cat1[:] = [("b", "local.test.", None, None)]
    pri.set_catalog("cat1.test.",
                    lambda s: catalog_text("cat1.test.", s, cat1))
    time.sleep(0.5)
    assert "member of catalog cat2.test" in cons.status("one.test")
    assert cons.a("www.one.test.") == ["192.0.2.1"]
    text = cons.proc.text()
    assert len(re.findall(r"zone one\.test: AXFR from", text)) == axfrs
    assert not re.search(r"zone one\.test removed", text)


def test_catalog_members_served_after_restart(pool):
    """A restart with the primary down serves the members from their kept
    copies, listed by the catalog's kept copy."""
    members = [("m1", "one.test.", None, None), ("m2", "two.test.", None,
                                                  None)]
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, members)},
        {"one.test.": "192.0.2.1", "two.test.": "192.0.2.2"},
        [("cat.test.", ["default"])])
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    cons.wait_a("www.two.test.", ["192.0.2.2"])
    files = os.path.join(cons.dir, "members")
    cons.wait(lambda: len(os.listdir(files)) == 2, what="two copies")
    cons.wait(lambda: os.path.exists(os.path.join(cons.dir, "cat.test.cat")),
              what="the catalog's copy")
    assert pri.proc.stop() == 0
    cons.stop()
    cons.start()
    cons.wait_a("www.one.test.", ["192.0.2.1"], timeout=5)
    cons.wait_a("www.two.test.", ["192.0.2.2"], timeout=5)
    assert "catalog: 2 members" in cons.status("cat.test")


def test_catalog_config_errors(pool):
    """catalog-role and template mistakes are refused with the line."""
    base = """remote:
  - id: pri
    address: 127.0.0.1@53
template:
  - id: t
    primaries: pri
    file: /tmp/%s.zone
"""
    cases = [
        ("zones:\n  - domain: c.test\n    primaries: pri\n"
         "    catalog-role: interpret\n", "'catalog-template': missing"),
        ("zones:\n  - domain: c.test\n    primaries: pri\n"
         "    catalog-role: interpret\n    catalog-template: [nope]\n",
         "no template 'nope'"),
        ("zones:\n  - domain: c.test\n    primaries: pri\n"
         "    catalog-template: [t]\n", "without catalog-role"),
        ("zones:\n  - domain: c.test\n    primaries: pri\n"
         "    catalog-role: generate\n    catalog-template: [t]\n",
         "expected interpret or none"),
    ]
    for body, msg in cases:
        path = os.path.join(pool.tmpdir, "bad.yaml")
        with open(path, "w") as f:
            f.write(base + body)
        out = H.run_levee(["-c", path, "--check"])
        assert out.returncode != 0 and msg in out.stderr, (msg, out.stderr)
    for tpl, msg in (("  - id: u\n    file: /tmp/%s\n",
                      "'primaries': missing"),
                     ("  - id: u\n    primaries: pri\n    file: /tmp/x\n",
                      "expected one %s"),
                     ("  - id: t\n    primaries: pri\n", "given twice")):
        path = os.path.join(pool.tmpdir, "bad.yaml")
        with open(path, "w") as f:
            f.write(base + tpl)
        out = H.run_levee(["-c", path, "--check"])
        assert out.returncode != 0 and msg in out.stderr, (msg, out.stderr)


class KnotProducer:
    """knotd 3.2 generating catalog cat.test. (catalog-role: generate)
    from its member zones (catalog-role: member, catalog-group), NOTIFY
    to the consumer. Members change by rewriting its configuration and
    `knotc reload`."""

    def __init__(self, pool, notify_port):
        self.dir = os.path.join(pool.tmpdir, "knot-cat")
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        self.port = H.free_port()
        self.notify_port = notify_port
        self.conf = os.path.join(self.dir, "knot.conf")
        self.sock = os.path.join(self.dir, "knot.sock")
        self.members = {}

    def set_members(self, members):
        """members: {origin: group or None}."""
        self.members = dict(members)
        zones = ""
        for o, g in sorted(members.items()):
            path = os.path.join(self.dir, o + "zone")
            if not os.path.exists(path):
                member_zone(path, o, 1, "192.0.2.%d" % (len(zones) % 200 + 1))
            zones += ("  - domain: %s\n    file: %s\n    acl: xfr\n"
                      "    notify: levee\n    catalog-role: member\n"
                      "    catalog-zone: cat.test.\n%s" %
                      (o, path, "    catalog-group: %s\n" % g if g else ""))
        with open(self.conf, "w") as f:
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
    address: 127.0.0.1@{np}
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: {d}
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: cat.test.
    catalog-role: generate
    acl: xfr
    notify: levee
{zones}""".format(d=self.dir, port=self.port, np=self.notify_port,
                  zones=zones))

    def start(self, pool):
        self.proc = H.Proc("knotd", ["knotd", "-c", self.conf],
                           os.path.join(self.dir, "knotd.log"))
        pool.procs.append(self.proc)
        # (knotd answers no query for a catalog it generates)
        H.wait_soa(self.port, list(self.members),
                   20 * H.SLOW, proc=self.proc)

    def reload(self):
        out = subprocess.run(["knotc", "-b", "-s", self.sock, "reload"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr

    def addr(self, origin):
        r = H.udp_msg(dns.message.make_query("www." + origin, "A"),
                      self.port)
        return sorted(rr.address for s in r.answer for rr in s)


@pytest.mark.skipif(not shutil.which("knotd"),
                    reason="knotd missing (scripts/deps.sh installs it)")
def test_catalog_knotd_producer(pool):
    """A catalog generated by knotd: members added, removed and moved
    between groups while both run; each member's data as knotd serves
    it."""
    port = H.free_port()
    knot = KnotProducer(pool, port)
    knot.set_members({"one.test.": None, "two.test.": "blue",
                      "three.test.": None})
    knot.start(pool)
    sec = os.path.join(pool.tmpdir, "sec")
    tpl = {"default": os.path.join(sec, "members", "%s.zone"),
           "blue": os.path.join(sec, "blue", "%s.zone")}
    cons = Consumer(pool, port, knot.port, [("cat.test.", ["default",
                                                           "blue"])],
                    templates=tpl)
    for o in ("one.test.", "two.test.", "three.test."):
        cons.wait_a("www." + o, knot.addr(o))
    assert "template default" in cons.status("one.test")
    assert "template blue" in cons.status("two.test")
    assert "catalog: 3 members" in cons.status("cat.test")
    # remove three, add four, move one to blue and two to the default
    knot.set_members({"one.test.": "blue", "two.test.": None,
                      "four.test.": None})
    knot.reload()
    cons.wait_a("www.four.test.", knot.addr("four.test."))
    cons.wait(lambda: cons.a("www.three.test.") == "REFUSED",
              what="three.test removed")
    cons.wait(lambda: "template blue" in cons.status("one.test"),
              what="one.test moved to blue")
    cons.wait(lambda: "template default" in cons.status("two.test"),
              what="two.test moved to the default")
    cons.wait(lambda: os.path.exists(os.path.join(sec, "blue",
                                                  "one.test.zone")),
              what="one.test's copy in blue/")
    assert not os.path.exists(os.path.join(sec, "members",
                                           "three.test.zone"))
    for o in ("one.test.", "two.test.", "four.test."):
        assert cons.a("www." + o) == knot.addr(o), o
    assert "catalog: 3 members" in cons.status("cat.test")


@pytest.mark.asan
def test_catalog_member_file_of_a_zone_refused(pool):
    """A member whose copy would be the file of a zone of the
    configuration is refused: the zone's file is neither overwritten
    nor deleted (a catalog cannot aim its template at other files)."""
    sec = os.path.join(pool.tmpdir, "sec")
    os.makedirs(os.path.join(sec, "members"), exist_ok=True)
    victim = os.path.join(sec, "members", "foo.test.zone")
    member_zone(victim, "victim.test.", 5, "198.51.100.5")
    with open(victim) as f:
        before = f.read()
    members = [("m1", "foo.test.", None, None), ("m2", "one.test.", None,
                                                  None)]
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, members)},
        {"foo.test.": "192.0.2.7", "one.test.": "192.0.2.1"},
        [("cat.test.", ["default"])],
        extra_zones="  - domain: victim.test\n    file: %s\n" % victim)
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    cons.proc.wait_log(r"member foo\.test refused: its file \S+ is a file "
                       r"of the configuration", 10)
    assert cons.a("www.foo.test.") == "REFUSED"
    assert cons.a("www.victim.test.") == ["198.51.100.5"]
    members[:] = [("m2", "one.test.", None, None)]
    pri.set_catalog("cat.test.",
                    lambda s: catalog_text("cat.test.", s, members))
    cons.wait(lambda: "catalog: 1 members" in cons.status("cat.test"),
              what="foo.test gone from the catalog")
    time.sleep(0.3)
    with open(victim) as f:
        assert f.read() == before
    assert cons.a("www.victim.test.") == ["198.51.100.5"]


def test_catalog_reset_keeps_its_owner(pool):
    """A member reset (unique ID changed) comes back to the catalog that
    had it, even when another catalog, first in the configuration,
    lists it too."""
    cat_b, cat_a = [], [("m1", "x.test.", None, None)]
    pri, cons = start_pair(
        pool, {"b.test.": lambda s: catalog_text("b.test.", s, cat_b),
               "a.test.": lambda s: catalog_text("a.test.", s, cat_a)},
        {"x.test.": "192.0.2.9"},
        [("b.test.", ["default"]), ("a.test.", ["default"])])
    cons.wait_a("www.x.test.", ["192.0.2.9"])
    cons.wait(lambda: "catalog: 0 members" in cons.status("b.test"),
              what="b read")
    assert "member of catalog a.test" in cons.status("x.test")
    cat_b.append(("other", "x.test.", None, None))
    pri.set_catalog("b.test.", lambda s: catalog_text("b.test.", s, cat_b))
    cons.wait(lambda: "catalog: 1 members" in cons.status("b.test"),
              what="b lists x.test")
    cat_a[0] = ("m2", "x.test.", None, None)
    pri.set_catalog("a.test.", lambda s: catalog_text("a.test.", s, cat_a))
    cons.proc.wait_log(r"member x\.test: unique ID changed: reset", 15)
    cons.wait(lambda: len(re.findall(r"zone x\.test: AXFR from",
                                     cons.proc.text())) == 2,
              what="x.test transferred again")
    cons.wait_a("www.x.test.", ["192.0.2.9"])
    assert "member of catalog a.test" in cons.status("x.test")


def test_catalog_apex_ds_is_the_parents(pool):
    """The catalog answers only its SOA, but a DS at its apex is its
    parent's answer when the parent is served here."""
    parent = os.path.join(pool.tmpdir, "test.zone")
    with open(parent, "w") as f:
        f.write("$ORIGIN test.\n$TTL 300\n@ SOA ns.test. h.test. 1 3600 "
                "600 86400 300\n@ NS ns.test.\nns A 127.0.0.1\n"
                "cat NS ns.test.\n")
    members = [("m1", "one.test.", None, None)]
    pri, cons = start_pair(
        pool, {"cat.test.": lambda s: catalog_text("cat.test.", s, members)},
        {"one.test.": "192.0.2.1"}, [("cat.test.", ["default"])],
        extra_zones="  - domain: test\n    file: %s\n" % parent)
    cons.wait_a("www.one.test.", ["192.0.2.1"])
    r = H.udp_msg(dns.message.make_query("cat.test.", "DS"), cons.port)
    assert r.rcode() == dns.rcode.NOERROR and not r.answer, r
    assert any(rr.rdtype == dns.rdatatype.SOA and rr.name.to_text() ==
               "test." for rr in r.authority), r
    for t in ("NS", "A", "TXT"):
        r = H.udp_msg(dns.message.make_query("cat.test.", t), cons.port)
        assert r.rcode() == dns.rcode.REFUSED, (t, r)
    r = H.udp_msg(dns.message.make_query("cat.test.", "SOA"), cons.port)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
