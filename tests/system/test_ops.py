"""test_ops.py -- the first hour of an operator (issue 18): this host's own
clients exempt from the rate limits (server: exempt-local), the Quick-start
configuration under dnsperf from the same machine.

exempt-local exempts UDP from 127.0.0.1 and ::1 that came in on the loopback
interface (PKTINFO's interface index, udp.c); every other loopback address
(127.0.0.2 ...) is a stranger and meets RRL as before, which is how these
tests show that the defences still bite beside the exemption.
"""

import os
import re
import shutil
import subprocess

import dns.flags
import dns.message
import pytest

import levee_helpers as H

EXAMPLES = os.path.join(H.REPO, "examples")


def quickstart(pool, extra_server=""):
    """examples/levee.yaml and its zone in the test's directory, on a free
    port (v4 and v6), with extra_server lines added to server:.  Returns
    (port, Proc)."""
    port = H.free_port()
    d = pool.tmpdir
    shutil.copy(os.path.join(EXAMPLES, "example.com.zone"), d)
    with open(os.path.join(EXAMPLES, "levee.yaml")) as f:
        text = f.read()
    assert "@5353" in text, "examples/levee.yaml no longer listens on 5353"
    text = text.replace("@5353", "@%d" % port)
    if extra_server:
        text = text.replace("server:\n", "server:\n" + extra_server, 1)
    conf = os.path.join(d, "quickstart-%d.yaml" % port)
    with open(conf, "w") as f:
        f.write(text)
    return port, pool.levee(["-c", conf])


def total(proc):
    """The counters summed over the reactors."""
    out = {}
    for c in H.counters(proc).values():
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


def dnsperf(port, qfile, seconds=5, qps=20000):
    """One bounded dnsperf run (-l seconds, -Q qps) from 127.0.0.1.
    Returns (sent, lost)."""
    r = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port),
                        "-d", qfile, "-l", str(seconds), "-Q", str(qps),
                        "-t", "1"],
                       capture_output=True, text=True, timeout=seconds + 30)
    assert r.returncode == 0, r.stdout + r.stderr
    sent = int(re.search(r"Queries sent:\s+(\d+)", r.stdout).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", r.stdout).group(1))
    return sent, lost


def test_dnsperf_quickstart_loses_nothing(pool, tmp_path):
    """The issue's first-hour run: dnsperf -l 5 -Q 20000 against the
    Quick-start configuration from this host loses 0 queries; with
    exempt-local off the same run meets RRL (so this test can fail)."""
    qfile = str(tmp_path / "queries.txt")
    with open(qfile, "w") as f:
        f.write("www.example.com A\nexample.com SOA\nexample.com NS\n"
                "www.example.com AAAA\n")
    port, p = quickstart(pool)
    assert re.search(r"ready: .*exempt-local on", p.text()), p.tail()
    sent, lost = dnsperf(port, qfile)
    c = total(p)
    assert sent > 20000, "dnsperf sent only %d queries" % sent
    assert lost == 0, "%d of %d lost; counters %s" % (lost, sent, c)
    assert c["local-exempt"] >= sent, c
    assert sum(v for k, v in c.items() if k.startswith("rrl-")) == 0, c
    p.stop()

    port, p = quickstart(pool, "  exempt-local: off\n")
    assert re.search(r"ready: .*exempt-local off", p.text()), p.tail()
    sent, lost = dnsperf(port, qfile)
    c = total(p)
    dropped = sum(v for k, v in c.items() if k.startswith("rrl-dropped"))
    assert dropped > 0 and lost > 0, "RRL did not limit: lost %d of %d, %s" % (
        lost, sent, c)
    assert c["local-exempt"] == 0, c
    # The limit line tells the operator how to exempt the generator.
    assert re.search(r"rrl: limit 127\.0\.0\.0/24 .*server: exempt-local.*"
                     r"docs/rrl\.md", p.text()), p.tail()


def burst(port, src, n, name="www.test."):
    """n queries for one name from src, one at a time.  Returns (answers
    without TC, TC answers, nothing back)."""
    full = tc = none = 0
    wire = dns.message.make_query(name, "A").to_wire()
    for _ in range(n):
        data = H.udp_raw(wire, port, "127.0.0.1", timeout=0.3 * H.SLOW, src=src)
        if data is None:
            none += 1
        elif dns.message.from_wire(data).flags & dns.flags.TC:
            tc += 1
        else:
            full += 1
    return full, tc, none


@pytest.mark.asan
def test_local_exempt_strangers_limited(pool):
    """RRL at 5/s, slip 2: 60 queries for one name from 127.0.0.1 are all
    answered whole; the same from 127.0.0.2 (loopback, but not this host's
    own address) are limited, and so are 127.0.0.1's with exempt-local off."""
    n = H.FEW(60, 30)
    port, p = H.start_levee_extra(pool, "rate-limit:\n  responses-per-second: 5\n"
                                  "  slip: 2\n", name="exempt",
                                  exempt_local="on")
    assert "exempt-local on" in p.text()
    full, tc, none = burst(port, "127.0.0.1", n)
    assert (full, tc, none) == (n, 0, 0), (full, tc, none)
    full2, tc2, none2 = burst(port, "127.0.0.2", n)
    assert full2 < n // 2 and tc2 + none2 > n // 2, (full2, tc2, none2)
    # TCP from this host: never limited (TCP proved the address), not counted
    r = H.tcp_msg(dns.message.make_query("www.test.", "A"), port)
    assert r is not None and r.answer
    c = total(p)
    assert c["local-exempt"] == n, c
    assert c["rrl-dropped-responses"] + c["rrl-slipped-responses"] > 0, c

    port, p = H.start_levee_extra(pool, "rate-limit:\n  responses-per-second: 5\n"
                                  "  slip: 2\n", name="noexempt",
                                  exempt_local="off")
    assert "exempt-local off" in p.text()
    full, tc, none = burst(port, "127.0.0.1", n)
    assert full < n // 2, (full, tc, none)


def test_check_summary(tmp_path):
    """levee --check prints what would be served: each zone with its serial
    and records (a broken one REFUSED beside the reason, exit 1), the listen
    addresses, the user, and each defence on or off with its figures."""
    bad = tmp_path / "bad.zone"
    bad.write_text("$ORIGIN bad.test.\n@ 3600 IN SOA ns hostmaster 1 2 3 4 5\n"
                   "www 3600 IN A 999.1.1.1\n")
    conf = tmp_path / "c.yaml"
    conf.write_text("""server:
  listen: [127.0.0.1@5399, "::1@5399"]
  reactors: 3
  user: nobody
  exempt-local: off
rate-limit:
  responses-per-second: 50
  slip: 3
limits:
  queries-per-second: 100
  slip: 0
attack:
  mode: auto
  queries-per-second: 50000
zones:
  - domain: example.com
    file: %s
  - domain: bad.test
    file: %s
""" % (os.path.join(EXAMPLES, "example.com.zone"), bad))
    r = H.run_levee(["--check", "-c", str(conf)])
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "configuration ok, zones 1 loaded 1 refused" in out, out
    assert re.search(r"^  example\.com\. serial 2024010101, 12 records, from .*"
                     r"example\.com\.zone$", out, re.M), out
    assert re.search(r"^  bad\.test\. REFUSED", out, re.M), out
    assert "bad.zone:3" in r.stderr, r.stderr      # the reason, with its line
    assert "listen: 127.0.0.1@5399 ::1@5399 (UDP and TCP)" in out, out
    assert "reactors: 3" in out and "runs as: user nobody" in out, out
    for want in ("rate-limit: on, 50 responses/s per /24 (/56 IPv6) and name, slip 3",
                 "exempt-local: off", "cookies: on, require off",
                 "limits: 100 queries/s per source, slip 0", "attack: auto",
                 "udp-ebpf-filter: on (kernel drop map"):
        assert want in out, "%r not in:\n%s" % (want, out)

    # The defaults, from the command line: RRL at 200/s, exempt-local on.
    r = H.run_levee(["--check", "-z", "example.com=%s" %
                     os.path.join(EXAMPLES, "example.com.zone")])
    assert r.returncode == 0, r.stdout + r.stderr
    for want in ("command line: configuration ok, zones 1 loaded 0 refused",
                 "rate-limit: on, 200 responses/s", "exempt-local: on",
                 "limits: per-source off", "attack: off",
                 "runs as: the user that starts it"):
        assert want in r.stdout, "%r not in:\n%s" % (want, r.stdout)
