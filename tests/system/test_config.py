"""test_config.py -- configuration errors stop start-up (exit 2, FILE:LINE),
--check validates, a broken zone is refused alone (FILE:LINE: reason in the
log) while the other zones serve, and examples/levee.yaml is valid.
"""

import os
import re
import subprocess

import dns.flags
import dns.message
import dns.rcode
import pytest

import levee_helpers as H

pytestmark = pytest.mark.asan

T = 5 * H.SLOW

GOOD = """\
server:
  listen: [127.0.0.1@{port}]
  reactors: 1
  identity: "ns1"
  udp-max-payload: 1232
zones:
  - domain: test.
    file: {data}/test.zone
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def good_config(tmp_path, port=None):
    return write(tmp_path, "good.yaml", GOOD.format(port=port or H.free_port(), data=H.DATA))


def test_check_good_config(tmp_path):
    conf = good_config(tmp_path)
    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 0, r.stdout + r.stderr


def test_example_config_passes_check():
    conf = os.path.join(H.REPO, "examples", "levee.yaml")
    assert os.path.exists(conf), "examples/levee.yaml is missing"
    r = subprocess.run([H.levee_bin(), "--check", "-c", conf], cwd=H.REPO,
                       capture_output=True, text=True, timeout=20 * H.SLOW)
    assert r.returncode == 0, r.stdout + r.stderr


# (description, line to insert after "server:" (line 2 of the file), or a
# replacement for the whole file; the 1-based line the error must name).
BAD = [
    ("unknown key", "  no-such-key: 1\n", 2),
    ("bad value: not a number", "  reactors: many\n", 2),
    ("bad value: out of range", "  udp-max-payload: 100000\n", 2),
    ("bad value: negative", "  tcp-idle-timeout: -5\n", 2),
    ("bad listen address", "  listen: [300.0.0.1@53]\n", 2),
    ("repeated key", "  reactors: 1\n  reactors: 2\n", 3),
    ("bad value: udp-ebpf-filter", "  udp-ebpf-filter: maybe\n", 2),
    ("bad value: udp-ebpf-hold-ms", "  udp-ebpf-hold-ms: 0\n", 2),
]


@pytest.mark.parametrize("what,insert,line", BAD, ids=[b[0] for b in BAD])
def test_bad_config_refused(tmp_path, what, insert, line):
    text = GOOD.format(port=H.free_port(), data=H.DATA)
    head, rest = text.split("\n", 1)
    if insert.lstrip().startswith("listen:"):
        rest = "\n".join(ln for ln in rest.split("\n") if "listen:" not in ln)
    conf = write(tmp_path, "bad.yaml", head + "\n" + insert + rest)
    for args in (["--check", "-c", conf], ["-c", conf]):
        r = H.run_levee(args)
        out = r.stdout + r.stderr
        assert r.returncode == 2, "%s: exit %s\n%s" % (what, r.returncode, out)
        assert "%s:%d" % (conf, line) in out or "bad.yaml:%d" % line in out, (
            "%s: no FILE:LINE (bad.yaml:%d) in:\n%s" % (what, line, out))


def test_yaml_syntax_error_refused(tmp_path):
    conf = write(tmp_path, "syntax.yaml", "server:\n  listen: [127.0.0.1@53\nzones: {\n")
    r = H.run_levee(["--check", "-c", conf])
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert re.search(r"syntax\.yaml:\d+", out), out


def test_no_zone_section_value_error(tmp_path):
    conf = write(tmp_path, "nofile.yaml", GOOD.format(port=H.free_port(), data=H.DATA)
                 + "  - domain: missing-file-key.\n")
    r = H.run_levee(["--check", "-c", conf])
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "nofile.yaml:9" in out, out


SOA = "@ SOA ns1.{o} hostmaster.{o} 1 3600 900 604800 300\n@ NS ns1.{o}\nns1 A 127.0.0.1\n"

# name -> (zone text, lines that may be named, reason regex).  Each file
# starts with "$ORIGIN name" and "$TTL 300" on lines 1-2.
BROKEN = {
    # no SOA at all
    "broken1.": ("@ NS ns1.broken1.\nns1 A 127.0.0.1\nwww A 127.0.0.2\n", None, r"(?i)\bsoa\b"),
    # CNAME and other data at one name
    "broken2.": (SOA.format(o="broken2.") + "www CNAME ns1\nwww A 127.0.0.2\n", (6, 7),
                 r"(?i)cname"),
    # a record outside the zone
    "broken3.": (SOA.format(o="broken3.") + "www A 127.0.0.2\nfoo.elsewhere. A 127.0.0.3\n",
                 (7,), r"(?i)(out|outside|zone)"),
    # a syntax error in an rdata
    "broken4.": (SOA.format(o="broken4.") + "www A 999.1.1.1\n", (6,), r"\S"),
}


def test_broken_zones_refused_alone(tmp_path, pool):
    port = H.free_port()
    files = {}
    for origin, (body, _lines, _why) in BROKEN.items():
        files[origin] = write(tmp_path, origin.rstrip(".") + ".zone",
                              "$ORIGIN %s\n$TTL 300\n" % origin + body)
    files["missing."] = str(tmp_path / "missing.zone")  # never created
    zones = list(H.ZONES) + sorted(files.items())
    conf = H.levee_config(str(tmp_path / "zones.yaml"), ["127.0.0.1@%d" % port],
                          zones=zones, reactors=1)

    r = H.run_levee(["--check", "-c", conf])
    assert r.returncode == 1, "--check with refused zones: exit %s\n%s" % (
        r.returncode, r.stdout + r.stderr)

    p = pool.levee(["-c", conf])
    log = p.text()
    for origin, (_body, lines, why) in BROKEN.items():
        base = os.path.basename(files[origin])
        if lines is None:
            m = re.search(re.escape(base) + r"(:\d+)?: (.*)", log)
        else:
            m = re.search(re.escape(base) + r":(%s): (.*)" % "|".join(map(str, lines)), log)
        assert m, "zone %s: no %s:LINE: reason in the log:\n%s" % (origin, base, log)
        assert re.search(why, m.group(m.lastindex)), m.group(0)
    assert "missing.zone" in log, log

    # The good zones serve; the refused ones are not served (REFUSED).
    q = dns.message.make_query("www.test.", "A")
    rr = H.udp_msg(q, port, timeout=T)
    assert rr is not None and rr.rcode() == 0 and rr.flags & dns.flags.AA and rr.answer, rr
    rr = H.udp_msg(dns.message.make_query("www.sub.test.", "A"), port, timeout=T)
    assert rr is not None and rr.answer, rr
    for origin in list(BROKEN) + ["missing."]:
        rr = H.udp_msg(dns.message.make_query("www." + origin, "A"), port, timeout=T)
        assert rr is not None and rr.rcode() == dns.rcode.REFUSED, (origin, rr)
