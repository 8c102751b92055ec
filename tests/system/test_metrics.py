"""test_metrics.py -- the Prometheus endpoint (issue 18, metrics: section,
docs/metrics.md): the scrape passes `promtool check metrics` (Debian's
prometheus package), a real Prometheus started here on a free loopback port
scrapes Levee until up == 1 and sees the queries sent, every panel of the
Grafana dashboard (docs/grafana/levee.json) gets a series from it, bad HTTP
does not hurt the server, per-zone: off removes the zone-labelled series, and
a zone name with a double quote is escaped.

Prometheus runs as a child process with its own TSDB directory under the
test's temporary directory, stopped by pid at teardown; every wait has a
deadline.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import dns.message
import dns.rcode
import pytest

import levee_helpers as H

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
DASHBOARD = os.path.join(H.REPO, "docs", "grafana", "levee.json")
needs_promtool = pytest.mark.skipif(not PROMTOOL, reason="no promtool")
needs_prometheus = pytest.mark.skipif(not PROMETHEUS, reason="no prometheus")

WEIRD_ZONE = """$TTL 300
@ IN SOA ns1 host 7 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
"""


def start(pool, metrics="", zones=H.ZONES, name="levee", control=None):
    """levee on a free port with a metrics: section listening on another
    free port (plus the YAML lines in metrics). Returns (dns port, http
    port, Proc)."""
    port, mport = H.free_port(), H.free_port()
    conf = os.path.join(pool.tmpdir, "levee-%s-%d.yaml" % (name, port))
    H.levee_config(conf, ["127.0.0.1@%d" % port], zones=zones, reactors=2,
                   rate_limit=0)
    with open(conf, "a") as f:
        f.write("metrics:\n  listen: 127.0.0.1@%d\n%s" % (mport, metrics))
        if control:
            f.write("control:\n  listen: %s\n" % control)
    p = pool.levee(["-c", conf], name=name)
    p.conf = conf
    assert re.search(r"ready: .*metrics on 127\.0\.0\.1@%d" % mport,
                     p.text()), p.tail()
    return port, mport, p


def http(mport, path="/metrics", method="GET", timeout=None):
    """(status, body text) of one request."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (mport, path),
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout or 10 * H.SLOW) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(mport):
    st, body = http(mport)
    assert st == 200, (st, body)
    return body


def value(body, series):
    """The value of the series written exactly (name{labels}), or None."""
    for line in body.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return None


def send(port, n, name="www.test."):
    for _ in range(n):
        r = H.udp_msg(dns.message.make_query(name, "A"), port)
        assert r is not None


# The series that are not the reactors' counters (stats.c's registry).
OTHER = re.compile(r"levee_(under_attack|reactors|zones|zones_served|"
                   r"reloads_\w+|xfrin_\w+|notify_(sent|answered|refused|"
                   r"gave_up)_total|notify_pending|log_dropped_total|"
                   r"assert_failed_total|zone_(serial|answers_total|"
                   r"dropped_total|queries_total)|process_\w+|build_info)"
                   r"[ {]")


def promtool_check(body):
    return subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                          capture_output=True, text=True, timeout=30)


# --- promtool and the series ---

@pytest.mark.asan
@needs_promtool
def test_scrape_passes_promtool(pool):
    port, mport, p = start(pool)
    send(port, 5)
    send(port, 3, "nope.test.")
    body = scrape(mport)
    r = promtool_check(body)
    assert r.returncode == 0, r.stdout + r.stderr + body
    # the real tool: a broken label value fails it
    bad = body.replace('zone="test"', 'zone="te"st"', 1)
    assert promtool_check(bad).returncode != 0
    assert value(body, 'levee_queries_total{transport="udp"}') >= 8
    assert value(body, 'levee_answers_total{rcode="nxdomain"}') >= 3
    assert value(body, 'levee_zone_answers_total{zone="test",'
                 'rcode="nxdomain"}') == 3
    assert value(body, 'levee_zone_queries_total{zone="test"}') == 8
    assert value(body, 'levee_zone_serial{zone="test"}') == 2024010101
    assert value(body, 'levee_zone_serial{zone="example.org"}') is not None
    assert value(body, "levee_under_attack") == 0
    assert value(body, "levee_process_resident_memory_bytes") > 1 << 20
    assert abs(value(body, "levee_process_start_time_seconds") -
               time.time()) < 600
    assert re.search(r'^levee_build_info\{version="[^"]+"\} 1$', body, re.M)
    assert "# TYPE levee_answers_total counter" in body
    assert "# TYPE levee_tcp_memory_bytes gauge" in body


def test_every_ctl_counter_is_a_series(pool):
    """levee-ctl stats and /metrics read one registry: every counter of
    the stats total has its series, at the same value when idle."""
    sock = os.path.join(pool.tmpdir, "ctl-%d.sock" % time.monotonic_ns())
    port, mport, p = start(pool, control=sock)
    send(port, 4)
    ctl = os.path.join(os.path.dirname(H.levee_bin()), "levee-ctl")
    out = subprocess.run([ctl, "-s", sock, "stats"], capture_output=True,
                         text=True, timeout=30 * H.SLOW)
    assert out.returncode == 0, out.stderr
    total = json.loads(out.stdout)["total"]
    body = scrape(mport)
    samples = [l for l in body.splitlines()
               if l and not l.startswith("#") and not OTHER.match(l)]
    # each counter of the registry one series, the sums agree (nothing
    # sent since the stats call)
    assert len(samples) == len(total) >= 60, samples
    assert sum(float(l.split()[-1]) for l in samples) == sum(total.values())
    assert value(body, 'levee_rrl_dropped_total{class="nxdomains"}') == \
        total["rrl-dropped-nxdomains"]
    assert value(body, 'levee_tsig_total{result="badsig"}') == \
        total["tsig-badsig"]
    assert sum(float(l.split()[-1]) for l in samples
               if l.startswith("levee_queries_total")) == \
        total["udp-queries"] + total["tcp-queries"] >= 4


def test_per_zone_off(pool):
    port, mport, p = start(pool, "  per-zone: off\n")
    send(port, 3)
    body = scrape(mport)
    assert "zone=" not in body
    assert "levee_zone_" not in body.replace("levee_zone_nxdomain", "")
    assert value(body, 'levee_queries_total{transport="udp"}') >= 3
    r = H.run_levee(["--check", "-c", p.conf])
    assert r.returncode == 0, r.stderr
    assert "metrics: http on 127.0.0.1@%d, per-zone series off" % mport \
        in r.stdout, r.stdout


def test_reload_metrics_change_needs_restart(pool):
    """A reload whose file changes the metrics: section (another listen
    port, per-zone off) cannot apply it: levee logs one warning naming
    both keys and "restart", keeps the old endpoint (zone series and all)
    and keeps answering. A reload of the unchanged file warns nothing."""
    import signal
    port, mport, p = start(pool)
    start_at = len(p.text())
    os.kill(p.pid, signal.SIGHUP)
    p.wait_log(r"reload 1: ", 10 * H.SLOW, start_at)
    assert "reload: metrics" not in p.text()[start_at:], p.tail()

    mport2 = H.free_port()
    with open(p.conf) as f:
        text = f.read()
    old = "metrics:\n  listen: 127.0.0.1@%d\n" % mport
    assert old in text, text
    with open(p.conf, "w") as f:
        f.write(text.replace(old, "metrics:\n  listen: 127.0.0.1@%d\n"
                             "  per-zone: off\n" % mport2))
    start_at = len(p.text())
    os.kill(p.pid, signal.SIGHUP)
    p.wait_log(r"reload 2: ", 10 * H.SLOW, start_at)
    log = p.text()[start_at:]
    warn = re.findall(r"[^\n]*reload: metrics[^\n]*", log)
    assert len(warn) == 1, log
    assert re.search(r"metrics: listen and per-zone changed: takes effect "
                     r"after a restart", warn[0]), warn
    send(port, 2)
    body = scrape(mport)                         # the old endpoint serves
    assert 'levee_zone_serial{zone="test"}' in body   # per-zone still on
    with socket.socket() as s:
        s.settimeout(2)
        assert s.connect_ex(("127.0.0.1", mport2)) != 0, "new port bound"


@needs_promtool
def test_zone_name_escaped(pool):
    """A zone named we"ird.test. (the configuration takes a double quote in
    a name; not a backslash or a newline: those the label escaping covers,
    tests/unit/test_metrics.c) comes out as zone="we\\"ird.test"."""
    zf = os.path.join(pool.tmpdir, "weird.zone")
    with open(zf, "w") as f:
        f.write(WEIRD_ZONE)
    port, mport, p = start(pool, zones=H.ZONES + [('we"ird.test.', zf)])
    r = H.udp_msg(dns.message.make_query('we\\"ird.test.', "SOA"), port)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    body = scrape(mport)
    assert 'levee_zone_serial{zone="we\\"ird.test"} 7\n' in body, body
    assert value(body, 'levee_zone_answers_total{zone="we\\"ird.test",'
                 'rcode="noerror"}') == 1
    r = promtool_check(body)
    assert r.returncode == 0, r.stdout + r.stderr


# --- bad HTTP ---

def raw_http(mport, data, timeout=3.0):
    """Sends data on a new connection, returns what comes back before the
    server closes or timeout passes."""
    s = socket.create_connection(("127.0.0.1", mport), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(4096)
            except socket.timeout:
                break
            if not b:
                break
            out += b
    finally:
        s.close()
    return out


def test_bad_http_is_refused_and_harmless(pool):
    port, mport, p = start(pool)
    assert http(mport, "/")[0] == 404
    assert http(mport, "/metrics/x")[0] == 404
    assert http(mport, "/metric")[0] == 404
    assert http(mport, "/metrics", method="POST")[0] == 405
    assert http(mport, "/metrics", method="DELETE")[0] == 405
    assert http(mport, "/metrics", method="HEAD")[0] == 200
    raw_http(mport, b"\x00\xff garbage \r\n\r\n")
    raw_http(mport, b"GET /metrics HTTP/9.9\r\n\r\n")
    raw_http(mport, b"GET /metrics HTTP/1.1\r\nHost: x\r\n" +
             b"X-Long: " + b"a" * 100000 + b"\r\n\r\n")
    raw_http(mport, b"GET /" + b"m" * 70000 + b" HTTP/1.1\r\n\r\n")
    raw_http(mport, b"POST /metrics HTTP/1.1\r\nContent-Length: "
             b"99999999999999999999\r\n\r\nxx")
    raw_http(mport, b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked"
             b"\r\n\r\nzz\r\n", timeout=1.0)
    # more idle connections than the limit (16): refused past it, and
    # closed by the timeout; the server answers DNS all along
    idle = []
    try:
        for _ in range(24):
            try:
                idle.append(socket.create_connection(("127.0.0.1", mport),
                                                     timeout=2))
            except OSError:
                break
        send(port, 2)
    finally:
        for s in idle:
            s.close()
    assert p.alive(), p.tail()
    deadline = time.monotonic() + 10 * H.SLOW
    while True:   # the slots come back once the idle ones are closed
        try:
            if http(mport, timeout=2)[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "no scrape after the flood"
        time.sleep(0.1)
    send(port, 2)
    assert p.alive(), p.tail()


@pytest.mark.tsan
def test_scrapes_while_answering(pool):
    """Scrapes race the reactors' counting and a zone reload: the counts
    only grow, and the server stops cleanly (a sanitizer report fails the
    pool's teardown)."""
    port, mport, p = start(pool)
    stop = threading.Event()
    sent = [0]

    def load():
        while not stop.is_set():
            try:
                H.udp_msg(dns.message.make_query("www.test.", "A"), port,
                          timeout=1.0)
                sent[0] += 1
            except Exception:
                pass

    ts = [threading.Thread(target=load) for _ in range(2)]
    for t in ts:
        t.start()
    last = 0
    try:
        for i in range(H.FEW(30, 12)):
            body = scrape(mport)
            q = value(body, 'levee_zone_queries_total{zone="test"}')
            assert q >= last
            last = q
            if i == 5:
                p.p.send_signal(1)   # SIGHUP: a reload while scraping
    finally:
        stop.set()
        for t in ts:
            t.join(10)
    assert last > 0
    body = scrape(mport)
    assert value(body, 'levee_queries_total{transport="udp"}') >= sent[0]


# --- a real Prometheus, and the dashboard's queries ---

def prom_query(pport, expr):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (
        pport, urllib.parse.urlencode({"query": expr}))
    with urllib.request.urlopen(url, timeout=10) as r:
        d = json.loads(r.read().decode())
    assert d["status"] == "success", d
    return d["data"]["result"]


def start_prometheus(pool, mport):
    pport = H.free_port()
    d = os.path.join(pool.tmpdir, "prom-%d" % pport)
    os.makedirs(d)
    conf = os.path.join(d, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: levee\n"
                "    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                % mport)
    p = H.Proc("prometheus", [PROMETHEUS, "--config.file=" + conf,
                              "--storage.tsdb.path=" + os.path.join(d, "tsdb"),
                              "--web.listen-address=127.0.0.1:%d" % pport],
               os.path.join(d, "prometheus.log"))
    pool.procs.append(p)   # stopped by pid at teardown
    p.wait_log(r"Server is ready to receive web requests", 30)
    return pport, p


def wait_for(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, "no %s within %ss" % (what,
                                                                 timeout)
        time.sleep(0.25)


@pytest.fixture(scope="module")
def prom(module_pool):
    """levee with metrics, 20 queries sent, and a Prometheus scraping it
    every second, up == 1. Returns (Prometheus port, queries sent)."""
    if not PROMETHEUS:
        pytest.skip("no prometheus")
    port, mport, lv = start(module_pool)
    n = 20
    send(port, n - 5)
    send(port, 5, "nope.test.")
    pport, pp = start_prometheus(module_pool, mport)

    def up():
        r = prom_query(pport, 'up{job="levee"}')
        return r and r[0]["value"][1] == "1"

    wait_for("up == 1", up, 30)
    return pport, n


@needs_prometheus
def test_prometheus_scrapes_levee(prom):
    pport, n = prom

    def counted():
        r = prom_query(pport, 'sum(levee_queries_total{job="levee"})')
        return r and float(r[0]["value"][1]) >= n

    wait_for("levee_queries_total >= %d" % n, counted, 20)
    r = prom_query(pport, 'levee_zone_answers_total{zone="test",'
                   'rcode="nxdomain"}')
    assert r and float(r[0]["value"][1]) == 5


@needs_prometheus
def test_dashboard_panels_have_series(prom):
    """Every panel's PromQL (targets[].expr of docs/grafana/levee.json)
    returns at least one series from the test Prometheus (rate() needs two
    scrapes: waited for)."""
    pport, _ = prom
    with open(DASHBOARD) as f:
        dash = json.load(f)
    exprs = [(p["title"], t["expr"]) for p in dash["panels"]
             for t in p.get("targets", [])]
    assert len(exprs) >= 6
    titles = " ".join(t for t, _ in exprs).lower()
    for word in ("rcode", "drop", "slip", "nxdomain", "attack"):
        assert word in titles, word
    for title, expr in exprs:
        wait_for("a series for panel %r: %s" % (title, expr),
                 lambda: prom_query(pport, expr), 20)
