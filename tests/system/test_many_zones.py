"""test_many_zones.py -- many zones (issue 12): no fixed limit, one summary
line at start, a line per refused zone, per-zone lines at debug only.

- 100,000 zones of 10 records (bench/mkmany.py's, written into the test's
  temporary directory and removed after): the server starts, answers AA
  data of the first, a middle and the last zone, REFUSED outside them,
  and logs "100000 zones loaded, 0 refused, 1000000 records, T s".
- Regression: a configuration of 4,097 zones was refused at start
  (CONFIG_MAX_ZONES 4096, "too many zones"); now --check loads them all.
- The summary and refused lines: zones broken in different ways among
  good ones are refused one line each, in configuration order, with
  file, line and reason, whichever loader thread read them; the summary
  counts loaded, refused and records exactly; "loaded" lines only at
  log-level debug, one per zone.

The big test runs levee under an address-space limit (prlimit) so a
regression in memory per zone fails it instead of exhausting a shared
machine.
"""

import os
import re
import shutil
import sys

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

import levee_helpers as H

sys.path.insert(0, os.path.join(H.REPO, "bench"))
import mkmany  # noqa: E402

T = 5 * H.SLOW
SUMMARY = re.compile(r"info: (\d+) zones loaded, (\d+) refused, (\d+) records, "
                     r"([0-9.]+) s\n")
# Address space the 100,000-zone levee may take (knotd serves them in
# about 0.5 GB; thread stacks and allocator reservations count here too).
AS_LIMIT = 6 << 30


def write_conf(path, port, zones, log_level="info", reactors=1):
    """zones: list of (name, file)."""
    with open(path, "w") as f:
        f.write("server:\n  listen: [127.0.0.1@%d]\n  reactors: %d\n"
                "  log-level: %s\nrate-limit:\n  responses-per-second: 0\n"
                "zones:\n" % (port, reactors, log_level))
        for name, file in zones:
            f.write("  - domain: %s\n    file: %s\n" % (name, file))
    return path


def many(tmp_path, n):
    """n of bench/mkmany.py's zones in tmp_path/many: [(name, file, www A)]."""
    d = str(tmp_path / "many")
    mkmany.cmd_zones(d, n)
    return [tuple(r) for r in mkmany.read_list(d, n)]


def check_www(port, name, addr):
    r = H.udp_msg(dns.message.make_query("www.%s." % name, "A"), port,
                  timeout=T)
    assert r is not None, "no answer for www.%s" % name
    assert r.rcode() == dns.rcode.NOERROR, (name, r)
    assert r.flags & dns.flags.AA, (name, r)
    got = [rd.address for rr in r.answer for rd in rr
           if rr.rdtype == dns.rdatatype.A]
    assert got == [addr], (name, r)


def test_many_zones_100000(tmp_path, pool):
    n = 100000
    try:
        zones = many(tmp_path, n)
        port = H.free_port()
        conf = write_conf(str(tmp_path / "many.yaml"), port,
                          [(z, f) for z, f, _ in zones])
        p = H.Proc("levee", ["prlimit", "--as=%d" % AS_LIMIT, "--",
                             H.levee_bin(), "-c", conf],
                   str(tmp_path / "levee-many.log"), cwd=H.DATA)
        pool.procs.append(p)
        p.wait_log(r"\bready\b", 60 * H.SLOW)
        log = p.text()
        m = SUMMARY.search(log)
        assert m, log[-2000:]
        assert m.group(1, 2, 3) == (str(n), "0", str(10 * n)), m.group(0)
        assert "zones %d loaded 0 refused" % n in log
        assert " loaded from " not in log   # per-zone lines: debug only
        print("100,000 zones: %s s to load (summary line)" % m.group(4))
        for i in (0, n // 2, n - 1):
            name, _, addr = zones[i]
            check_www(port, name, addr)
            r = H.tcp_msg(dns.message.make_query(name + ".", "SOA"), port,
                          timeout=T)
            assert r is not None and r.rcode() == dns.rcode.NOERROR and \
                r.flags & dns.flags.AA and r.answer, r
        # A name no zone holds: below a parent of the zones, and beside.
        for q in ("z%06d.example." % n, "nowhere.invalid.", "example."):
            r = H.udp_msg(dns.message.make_query(q, "A"), port, timeout=T)
            assert r is not None and r.rcode() == dns.rcode.REFUSED, (q, r)
        assert p.stop() == 0, p.tail()
    finally:
        shutil.rmtree(str(tmp_path / "many"), ignore_errors=True)


@pytest.mark.asan
def test_bug_more_than_4096_zones(tmp_path):
    """Was: "zones: too many zones (at most 4096)", exit 2."""
    n = 4097
    zones = many(tmp_path, n)
    conf = write_conf(str(tmp_path / "4097.yaml"), H.free_port(),
                      [(z, f) for z, f, _ in zones])
    r = H.run_levee(["--check", "-c", conf], timeout=60 * H.SLOW)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-2000:]
    assert "zones %d loaded 0 refused" % n in r.stdout, out[-2000:]
    m = SUMMARY.search(r.stderr)
    assert m and m.group(1, 2, 3) == (str(n), "0", str(10 * n)), out[-2000:]


SOA = "@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n"

# Broken zones (relative names, no $ORIGIN: any origin works; "$TTL 300"
# goes first, SOA on lines 2-4): the zone file lines a refusal may name
# (None: the whole file) and its reason.
BROKEN = [
    ("@ NS ns1\nns1 A 127.0.0.1\n", None, r"(?i)\bsoa\b"),
    (SOA + "www CNAME ns1\nwww A 127.0.0.2\n", (5, 6), r"(?i)cname"),
    (SOA + "www A 999.1.1.1\n", (5,), r"\S"),
    (SOA + "x.out-of-zone. A 127.0.0.3\n", (5,), r"(?i)(out|outside|zone)"),
]


def mixed(tmp_path, n=60):
    """n zones, every 7th broken (in turn as BROKEN says, or its file
    missing): [(name, file, expect)] with expect None (loads, 4 records)
    or (lines, reason regex)."""
    out = []
    for i in range(n):
        name = "m%02d.mixed" % i
        path = str(tmp_path / ("%s.zone" % name))
        if i % 7 == 3:
            k = (i // 7) % (len(BROKEN) + 1)
            if k == len(BROKEN):
                out.append((name, path, (None, r"(?i)(no such file|cannot open)")))
                continue
            body, lines, why = BROKEN[k]
            out.append((name, path, (lines, why)))
        else:
            body = SOA + "www A 127.0.%d.1\n" % i
            out.append((name, path, None))
        with open(path, "w") as f:
            f.write("$TTL 300\n" + body)
    return out


@pytest.mark.asan
@pytest.mark.tsan
def test_summary_and_refused_lines(tmp_path, pool):
    zones = mixed(tmp_path)
    bad = [z for z in zones if z[2] is not None]
    good = [z for z in zones if z[2] is None]
    port = H.free_port()
    conf = write_conf(str(tmp_path / "mixed.yaml"), port,
                      [(z, f) for z, f, _ in zones], reactors=2)
    p = pool.levee(["-c", conf], timeout=20 * H.SLOW)
    log = p.text()
    m = SUMMARY.search(log)
    assert m, log
    assert m.group(1, 2, 3) == (str(len(good)), str(len(bad)),
                                str(4 * len(good))), m.group(0)
    assert len(SUMMARY.findall(log)) == 1, log
    refusals = re.findall(r"error: zone (\S+) refused: (.*)", log)
    assert [r[0] for r in refusals] == [z[0] for z in bad], log
    for (name, path, (lines, why)), (_, text) in zip(bad, refusals):
        base = re.escape(path)
        if lines is None:
            mm = re.match(base + r"(:\d+)?: (.*)", text)
        else:
            mm = re.match(base + r":(%s): (.*)" % "|".join(map(str, lines)), text)
        assert mm, "zone %s: want %s:LINE: reason, got: %s" % (name, path, text)
        assert re.search(why, mm.group(mm.lastindex)), text
    assert " loaded from " not in log, log
    for name, _, _ in good[:3] + good[-3:]:
        i = int(name[1:3])
        check_www(port, name, "127.0.%d.1" % i)
    for name, _, _ in bad:
        r = H.udp_msg(dns.message.make_query("www.%s." % name, "A"), port,
                      timeout=T)
        assert r is not None and r.rcode() == dns.rcode.REFUSED, (name, r)
    assert p.stop() == 0, p.tail()

    # At debug: one "loaded" line per zone loaded, in configuration order.
    conf = write_conf(str(tmp_path / "mixed-debug.yaml"), H.free_port(),
                      [(z, f) for z, f, _ in zones], log_level="debug")
    p = pool.levee(["-c", conf], timeout=20 * H.SLOW)
    loaded = re.findall(r"debug: zone (\S+) loaded from (\S+): serial 1, "
                        r"4 records", p.text())
    assert [z for z, _ in loaded] == [z[0] for z in good], p.text()
    assert [f for _, f in loaded] == [z[1] for z in good]
