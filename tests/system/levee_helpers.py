"""levee_helpers.py -- start and stop servers (levee, knotd, nsd) and talk to
them over loopback, for the system tests.

Every server runs as a child process with its stderr (and stdout) in a log
file under the test's temporary directory; readiness is a log line ("ready"
for levee) or, for the peers, an answered SOA query, waited for with a
deadline, never a fixed sleep.  Every wait and every network loop here is
bounded in count and in time.  Traffic goes to 127.0.0.0/8 and ::1 only.

LEVEE_BIN names the binary under test (default: <repo>/build/levee);
LEVEE_SANITIZED=1 means it is an ASan/UBSan build, about 3-5 times slower:
SLOW scales every timeout and FEW() shrinks the packet counts.
"""

import os
import re
import select
import signal
import socket
import struct
import subprocess
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "tests", "data")
SANITIZED = os.environ.get("LEVEE_SANITIZED", "") not in ("", "0")
SLOW = 5.0 if SANITIZED else 1.0

# The zones of tests/data served by most tests: (origin, file).
ZONES = [
    ("test.", os.path.join(DATA, "test.zone")),
    ("sub.test.", os.path.join(DATA, "sub.test.zone")),
    ("example.org.", os.path.join(DATA, "example.org.zone")),
]

# Server identity settings shared by levee and its peers in the tests.
IDENTITY = "ns1"
NSID = "ns1"
VERSION = "levee 0.1"
UDP_MAX_PAYLOAD = 1232


def FEW(normal, sanitized):
    """A count: `normal`, or `sanitized` under a sanitizer build."""
    return sanitized if SANITIZED else normal


def levee_bin():
    path = os.environ.get("LEVEE_BIN") or os.path.join(REPO, "build", "levee")
    if not os.path.isabs(path):
        path = os.path.join(REPO, path)
    # meson puts the executable in BUILDDIR/server/levee: accept BUILDDIR/levee
    # as a name for it.
    alt = os.path.join(os.path.dirname(path), "server", os.path.basename(path))
    if not os.path.exists(path) and os.path.exists(alt):
        path = alt
    return path


def free_port(addr="127.0.0.1", tries=50):
    """A port free for both UDP and TCP on addr (kernel-chosen, random)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    for _ in range(tries):
        t = socket.socket(fam, socket.SOCK_STREAM)
        u = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            t.bind((addr, 0))
            port = t.getsockname()[1]
            u.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port found")


class Proc:
    """A child server process with its log in a file."""

    def __init__(self, name, argv, logpath, cwd=None, env=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self.log = open(logpath, "wb")
        self.p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.p.pid
        self.rc = None

    def text(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tail(self, n=40):
        return "\n".join(self.text().splitlines()[-n:])

    def alive(self):
        return self.p.poll() is None

    def wait_log(self, pattern, timeout, start=0):
        """Wait until regex `pattern` appears in the log after offset `start`.
        Returns the match; raises AssertionError on timeout or if the process
        exits first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(), start)
            if m:
                return m
            if not self.alive():
                raise AssertionError("%s exited (rc=%s) before /%s/:\n%s" % (
                    self.name, self.p.returncode, pattern, self.tail()))
            if time.monotonic() > deadline:
                raise AssertionError("%s: no /%s/ within %.1fs:\n%s" % (
                    self.name, pattern, timeout, self.tail()))
            time.sleep(0.02)

    def stop(self, timeout=None):
        """SIGTERM, wait; SIGKILL if it does not exit.  Returns the exit code
        (negative: killed by that signal)."""
        if timeout is None:
            timeout = 5 * SLOW
        if self.rc is not None:
            return self.rc
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(10)
            self.rc = "hung"  # did not exit after SIGTERM
        self.log.close()
        return self.rc


def yaml_quote(s):
    return '"%s"' % str(s).replace("\\", "\\\\").replace('"', '\\"')


def levee_config(path, listen, zones=ZONES, reactors=2, rate_limit=None, **server):
    """Write a levee YAML config.  listen: list of "ADDR@PORT"; zones: list
    of (origin, file); rate_limit: a rate-limit: responses-per-second (None:
    the server's default, 200; 0: off, for tests that send one name many
    times a second from one address on purpose); server: extra server keys
    (underscores -> dashes).

    exempt-local is off here unless a test passes exempt_local="on": the
    defence tests (RRL, limits, cookies, the kernel drop map, TCP caps) send
    their floods and their legitimate traffic from 127.0.0.1 as well as
    127.x.y.z, and must keep testing the defences, not the exemption of
    this host's own clients (test_ops.py tests that)."""
    srv = {
        "reactors": reactors,
        "identity": IDENTITY,
        "nsid": NSID,
        "version": VERSION,
        "udp-max-payload": UDP_MAX_PAYLOAD,
        "exempt-local": False,
    }
    for k, v in server.items():
        srv[k.replace("_", "-")] = v
    lines = ["server:", "  listen: [%s]" % ", ".join(listen)]
    for k, v in srv.items():
        lines.append("  %s: %s" % (k, yaml_quote(v) if isinstance(v, str) else v))
    if rate_limit is not None:
        lines += ["rate-limit:", "  responses-per-second: %d" % rate_limit]
    lines.append("zones:")
    for origin, f in zones:
        lines.append("  - domain: %s" % origin)
        lines.append("    file: %s" % f)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start_levee(tmpdir, args, name="levee", timeout=None, env=None):
    """Start LEVEE_BIN with args in tests/data (for $INCLUDE) and wait for
    its "ready" log line.  Returns the Proc; the caller stops it."""
    binary = levee_bin()
    assert os.access(binary, os.X_OK), "LEVEE_BIN %s is not an executable" % binary
    if timeout is None:
        timeout = 10 * SLOW
    logpath = os.path.join(str(tmpdir), "%s-%d.log" % (name, time.monotonic_ns()))
    p = Proc(name, [binary] + list(args), logpath, cwd=DATA, env=env)
    try:
        p.wait_log(r"\bready\b", timeout)
    except AssertionError:
        p.stop()
        raise
    return p


def start_levee_extra(pool, extra, reactors=2, name="levee", **server):
    """Write a levee_config() listening on a free 127.0.0.1 port, append the
    YAML text extra to it and start levee on it through the test's pool
    fixture.  Returns (port, Proc)."""
    port = free_port()
    conf = levee_config(os.path.join(pool.tmpdir, "levee-%s-%d.yaml" %
                                     (name, port)),
                        ["127.0.0.1@%d" % port], reactors=reactors, **server)
    with open(conf, "a") as f:
        f.write(extra)
    return port, pool.levee(["-c", conf])


def run_levee(args, timeout=None):
    """Run LEVEE_BIN to completion (e.g. --check).  Returns CompletedProcess
    with .stdout and .stderr as text."""
    if timeout is None:
        timeout = 20 * SLOW
    return subprocess.run([levee_bin()] + list(args), cwd=DATA, timeout=timeout,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


# ---- peers: knotd and nsd ----------------------------------------------

def wait_soa(port, origins, timeout, addr="127.0.0.1", proc=None):
    """Wait until every origin answers SOA with AA (the peers' readiness)."""
    deadline = time.monotonic() + timeout
    pending = list(origins)
    while pending:
        q = dns.message.make_query(pending[0], "SOA")
        r = udp_msg(q, port, addr, timeout=0.3)
        if r is not None and r.rcode() == 0 and r.flags & dns.flags.AA and r.answer:
            pending.pop(0)
            continue
        if proc is not None and not proc.alive():
            raise AssertionError("%s exited:\n%s" % (proc.name, proc.tail()))
        if time.monotonic() > deadline:
            raise AssertionError("%s: zone %s not served within %.0fs:\n%s" % (
                proc.name if proc else "peer", pending[0], timeout,
                proc.tail() if proc else ""))
        time.sleep(0.05)


def _peer_ready(p, port, zones, ready=None):
    """Wait until the peer server p answers SOA for every zone's origin (or
    for the origins in ready: a test may serve a zone the peer refuses);
    stops it and re-raises on timeout.  Returns p."""
    try:
        wait_soa(port, [o for o, _ in zones] if ready is None else ready,
                 20 * SLOW, proc=p)
    except AssertionError:
        p.stop()
        raise
    return p


def start_knotd(tmpdir, port, zones=ZONES, ready=None):
    d = os.path.join(str(tmpdir), "knot")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = os.path.join(d, "knot.conf")
    z = "".join("  - domain: %s\n    file: %s\n" % (o, f) for o, f in zones)
    with open(conf, "w") as f:
        f.write("""server:
  rundir: {d}
  listen: 127.0.0.1@{port}
  identity: {ident}
  version: {ver}
  nsid: {nsid}
  udp-max-payload: {pl}
database:
  storage: {d}/db
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: {d}/db
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
{z}""".format(d=d, port=port, ident=yaml_quote(IDENTITY), ver=yaml_quote(VERSION),
              nsid=yaml_quote(NSID), pl=UDP_MAX_PAYLOAD, z=z))
    return _peer_ready(Proc("knotd", ["knotd", "-c", conf],
                            os.path.join(d, "knotd.log"), cwd=DATA), port, zones,
                       ready)


def nsd_server_block(port, d):
    """The server: section of an nsd.conf for a transfer peer on
    127.0.0.1@port with its files in d (no chroot, no privilege drop, no
    database, RRL off)."""
    return """server:
  ip-address: 127.0.0.1@%(port)d
  port: %(port)d
  server-count: 1
  chroot: ""
  username: ""
  zonesdir: %(d)s
  pidfile: %(d)s/nsd.pid
  xfrdfile: %(d)s/xfrd.state
  xfrdir: %(d)s
  zonelistfile: %(d)s/zone.list
  database: ""
  rrl-ratelimit: 0
  verbosity: 2
""" % {"port": port, "d": d}

def start_nsd(tmpdir, port, zones=ZONES):
    d = os.path.join(str(tmpdir), "nsd")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nsd.conf")
    z = "".join("zone:\n  name: %s\n  zonefile: %s\n" % (o, f) for o, f in zones)
    with open(conf, "w") as f:
        f.write("""server:
  ip-address: 127.0.0.1@{port}
  port: {port}
  server-count: 1
  chroot: ""
  username: ""
  zonesdir: {data}
  pidfile: {d}/nsd.pid
  xfrdfile: {d}/xfrd.state
  xfrdir: {d}
  zonelistfile: {d}/zone.list
  database: ""
  identity: {ident}
  nsid: "ascii_{nsid}"
  version: {ver}
  hide-version: no
  ipv4-edns-size: {pl}
  ipv6-edns-size: {pl}
  rrl-ratelimit: 0
  verbosity: 1
remote-control:
  control-enable: no
{z}""".format(d=d, port=port, data=DATA, ident=yaml_quote(IDENTITY), nsid=NSID,
              ver=yaml_quote(VERSION), pl=UDP_MAX_PAYLOAD, z=z))
    return _peer_ready(Proc("nsd", ["nsd", "-d", "-c", conf],
                            os.path.join(d, "nsd.log"), cwd=DATA), port, zones)


# ---- clients -------------------------------------------------------------

def _family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_raw(wire, port, addr="127.0.0.1", timeout=2.0, src=None):
    """Send one datagram, return the first reply datagram (bytes) or None
    when nothing comes back within timeout."""
    s = socket.socket(_family(addr), socket.SOCK_DGRAM)
    try:
        if src is not None:
            s.bind((src, 0))
        s.settimeout(timeout)
        s.sendto(wire, (addr, port))
        try:
            data, _ = s.recvfrom(65535)
            return data
        except socket.timeout:
            return None
    finally:
        s.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_raw(wire, port, addr="127.0.0.1", timeout=3.0):
    """One length-prefixed query over a fresh TCP connection; returns the
    reply (bytes) or None on close/timeout."""
    s = socket.socket(_family(addr), socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect((addr, port))
        s.sendall(struct.pack("!H", len(wire)) + wire)
        try:
            hdr = recv_exact(s, 2)
            if hdr is None:
                return None
            return recv_exact(s, struct.unpack("!H", hdr)[0])
        except (socket.timeout, ConnectionResetError):
            return None
    finally:
        s.close()


def udp_msg(msg, port, addr="127.0.0.1", timeout=2.0):
    data = udp_raw(msg.to_wire(), port, addr, timeout)
    return None if data is None else dns.message.from_wire(data)


def tcp_msg(msg, port, addr="127.0.0.1", timeout=3.0):
    data = tcp_raw(msg.to_wire(), port, addr, timeout)
    return None if data is None else dns.message.from_wire(data)


def counters(proc, timeout=None):
    """Send SIGUSR1 and parse the per-reactor counter lines it prints:
    {reactor index: {counter name: value}}."""
    if timeout is None:
        timeout = 5 * SLOW
    start = len(proc.text())
    os.kill(proc.pid, signal.SIGUSR1)
    proc.wait_log(r"reactor \d+:", timeout, start)
    # Give the whole block a moment to be written: wait until the count of
    # reactor lines stops growing (bounded).
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        lines = re.findall(r"reactor (\d+):([^\n]*)\n", proc.text()[start:])
        if len(lines) == last:
            break
        last = len(lines)
        time.sleep(0.1)
    out = {}
    for idx, rest in lines:
        out[int(idx)] = {k: int(v) for k, v in re.findall(r"([a-z][a-z0-9-]*) (\d+)", rest)}
    return out


def counter_total(proc, name):
    """The counter name summed over all reactors (see counters())."""
    return sum(c.get(name, 0) for c in counters(proc).values())


def udp_many_ports(port, nsocks, rounds, wire_for, answered_ok,
                   addr="127.0.0.1", timeout=None):
    """rounds x one datagram per socket from nsocks sockets bound to
    distinct source ports on addr, each round waiting up to timeout (default
    2 * SLOW) for one reply per socket.  wire_for(sock) gives the bytes to
    send; answered_ok(sock, reply bytes) says whether a reply counts.
    Returns how many counted."""
    if timeout is None:
        timeout = 2.0 * SLOW
    socks = []
    answered = 0
    try:
        for _ in range(nsocks):
            s = socket.socket(_family(addr), socket.SOCK_DGRAM)
            s.bind((addr, 0))
            s.setblocking(False)
            socks.append(s)
        for _round in range(rounds):
            for s in socks:
                s.sendto(wire_for(s), (addr, port))
            pending = set(socks)
            deadline = time.monotonic() + timeout
            while pending and time.monotonic() < deadline:
                ready, _, _ = select.select(list(pending), [], [], 0.2)
                for s in ready:
                    try:
                        data = s.recv(4096)
                    except BlockingIOError:
                        continue
                    if answered_ok(s, data):
                        answered += 1
                    pending.discard(s)
    finally:
        for s in socks:
            s.close()
    return answered


# ---- a spoofed UDP flood from loopback addresses ------------------------

def _udp_flood_child():
    """The body of udp_flood()'s child process: its arguments as JSON on
    stdin, its counts as JSON on stdout."""
    import json
    import sys
    a = json.load(sys.stdin)
    srcs = [socket.inet_aton(x) for x in a["sources"]]
    wires = [bytes.fromhex(w) for w in a["wires"]]
    rate, seconds, port = a["rate"], a["seconds"], a["port"]
    socks = []
    for _ in range(a["sockets"]):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 0))
        s.setblocking(False)
        socks.append(s)
    total = int(rate * seconds)
    sent = errors = 0
    t0 = time.monotonic()
    while sent < total and time.monotonic() - t0 < seconds + 2.0:
        due = min(total, int((time.monotonic() - t0) * rate) + 1)
        while sent < due:
            # IP_PKTINFO (8): ipi_spec_dst picks the source address.
            cm = [(socket.IPPROTO_IP, 8, struct.pack(
                "=i4s4s", 0, srcs[sent % len(srcs)], b"\0\0\0\0"))]
            try:
                socks[sent % len(socks)].sendmsg(
                    [wires[sent % len(wires)]], cm, 0, ("127.0.0.1", port))
            except OSError:
                errors += 1
            sent += 1
        time.sleep(0.001)
    sys.stdout.write(json.dumps({"sent": sent, "errors": errors,
                                 "seconds": time.monotonic() - t0}))


class UdpFlood:
    """rate datagrams a second for seconds, from a child process, to
    127.0.0.1@port: packet i is wires[i % len] from the address
    sources[i % len] (any 127/8 address, through IP_PKTINFO) and one of
    `sockets` source ports. Bounded in count (rate x seconds) and time
    (seconds + 2). result() waits for the child and returns its counts."""

    def __init__(self, port, sources, wires, rate, seconds, sockets=4):
        import json
        import sys
        self.p = subprocess.Popen(
            [sys.executable, "-c",
             "import sys; sys.path.insert(0, %r); import levee_helpers; "
             "levee_helpers._udp_flood_child()" % os.path.dirname(
                 os.path.abspath(__file__))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.p.stdin.write(json.dumps({
            "port": port, "sources": list(sources), "rate": rate,
            "seconds": seconds, "sockets": sockets,
            "wires": [w.hex() for w in wires]}).encode())
        self.p.stdin.close()
        self.seconds = seconds

    def result(self):
        import json
        try:
            self.p.wait(timeout=self.seconds + 10 * SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("the flood process hung")
        out = self.p.stdout.read()   # a few bytes: never fills the pipe
        self.p.stdout.close()
        assert self.p.returncode == 0, "flood process exited %s" % self.p.returncode
        return json.loads(out.decode())

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
        if not self.p.stdout.closed:
            self.p.stdout.close()
