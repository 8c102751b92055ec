#!/usr/bin/python3
"""ixfr_in.py -- an IXFR of 100 changed records into a 1,000,000-record
zone: Levee and knotd as secondaries of one knotd primary, side by side.

Generates the large zone of bench/mkzone.py (1M records, large.test),
starts on loopback a knotd primary (zonefile-load: difference, so a reload
makes an IXFR) that NOTIFYs a Levee secondary (one reactor) and a knotd
secondary (one UDP and one TCP worker); both take the zone by AXFR. Then,
ROUNDS times: 100 A records of the file change and the serial goes up,
`knotc -b zone-reload` returns once the primary has the new version, and
the script polls both secondaries' SOA every 2 ms until each serves the
new serial: the time from the reload's return to that answer (NOTIFY, SOA
query, IXFR, applying it) and each secondary's resident memory before and
after (VmRSS, and VmHWM). Levee also logs how long after the transfer's
last message the new version served ("serving N ms after its last
message"), the figure the issue's target is about.

Every server it starts is stopped by PID at the end; traffic goes only to
127.0.0.1. Environment: LEVEE (build/server/levee), ROUNDS (3), TMP
(bench/results/tmp/ixfr-in), PORT (base port, 25600).
usage: bench/ixfr_in.py
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEVEE = os.environ.get("LEVEE", os.path.join(ROOT, "build/server/levee"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
TMP = os.environ.get("TMP", os.path.join(ROOT, "bench/results/tmp/ixfr-in"))
PORT = int(os.environ.get("PORT", "25600"))
ZONE = "large.test"
PRI, LEV, KNS = PORT, PORT + 1, PORT + 2
procs = []


def log(*a):
    print(time.strftime("%H:%M:%S"), "ixfr-in:", *a, file=sys.stderr,
          flush=True)


def soa_serial(port, timeout=0.5):
    q = struct.pack("!HHHHHH", 0x4242, 0, 1, 0, 0, 0)
    for label in ZONE.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        r = s.recv(4096)
    except OSError:
        return None
    finally:
        s.close()
    if len(r) < 12 or r[3] & 15 or struct.unpack("!H", r[6:8])[0] == 0:
        return None
    return struct.unpack("!I", r[-20:-16])[0]


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) // 1024
    return out


def start(name, argv, logf):
    p = subprocess.Popen(argv, stdout=open(logf, "wb"),
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append(p)
    return p


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def wait_serial(port, serial, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if soa_serial(port) == serial:
            return time.monotonic() - t0
        time.sleep(0.002)
    raise SystemExit("port %d: no serial %d within %d s" % (port, serial,
                                                            timeout))


def write_zone(src, dst, serial, rnd):
    """src with SOA serial `serial` and the first 100 A records' addresses
    changed (rnd: a different last octet each round)."""
    n = 0
    with open(src) as f, open(dst + ".tmp", "w") as o:
        for line in f:
            if line.startswith("@ IN SOA"):
                line = "@ IN SOA ns1 hostmaster %d 7200 3600 1209600 3600\n" \
                    % serial
            elif n < 100 and line.startswith("r") and " IN A " in line:
                line = re.sub(r"\.\d+$", ".%d" % (200 + rnd), line.rstrip()) \
                    + "\n"
                n += 1
            o.write(line)
    os.rename(dst + ".tmp", dst)


def main():
    shutil.rmtree(TMP, ignore_errors=True)
    for d in ("pri", "pri/db", "kns", "kns/db", "lev"):
        os.makedirs(os.path.join(TMP, d), exist_ok=True)
    log("generating the 1M-record zone")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench/mkzone.py"),
                    TMP, "example.com", ZONE, "1000", "1000000"], check=True)
    src = os.path.join(TMP, "large.zone")
    zf = os.path.join(TMP, "pri", "large.zone")
    write_zone(src, zf, 1, 0)
    with open(os.path.join(TMP, "pri/knot.conf"), "w") as f:
        f.write("""server:
  rundir: {d}/pri
  listen: 127.0.0.1@{p}
  udp-workers: 1
  tcp-workers: 1
database:
  storage: {d}/pri/db
remote:
  - id: lev
    address: 127.0.0.1@{l}
  - id: kns
    address: 127.0.0.1@{k}
acl:
  - id: xfr
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: {d}/pri
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: {z}.
    file: {zf}
    acl: xfr
    notify: [lev, kns]
""".format(d=TMP, p=PRI, l=LEV, k=KNS, z=ZONE, zf=zf))
    with open(os.path.join(TMP, "kns/knot.conf"), "w") as f:
        f.write("""server:
  rundir: {d}/kns
  listen: 127.0.0.1@{k}
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
database:
  storage: {d}/kns/db
remote:
  - id: pri
    address: 127.0.0.1@{p}
acl:
  - id: ntf
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: {d}/kns/db
    zonefile-sync: -1
    journal-content: changes
    semantic-checks: off
zone:
  - domain: {z}.
    master: pri
    acl: ntf
""".format(d=TMP, p=PRI, k=KNS, z=ZONE))
    with open(os.path.join(TMP, "lev/levee.yaml"), "w") as f:
        f.write("""server:
  listen: [127.0.0.1@{l}]
  reactors: 1
rate-limit:
  responses-per-second: 0
remote:
  - id: pri
    address: 127.0.0.1@{p}
acl:
  - id: ntf
    address: 127.0.0.1
    action: notify
database:
  journal-db: {d}/lev/journal
zones:
  - domain: {z}
    primaries: pri
    acl: ntf
""".format(d=TMP, p=PRI, l=LEV, z=ZONE))
    pri = start("knotd-pri", ["knotd", "-c", os.path.join(TMP, "pri/knot.conf")],
                os.path.join(TMP, "pri/knotd.log"))
    log("primary loads the zone")
    wait_serial(PRI, 1, 120)
    levlog = os.path.join(TMP, "lev/levee.log")
    lev = start("levee", [LEVEE, "-c", os.path.join(TMP, "lev/levee.yaml")],
                levlog)
    kns = start("knotd-sec", ["knotd", "-c", os.path.join(TMP, "kns/knot.conf")],
                os.path.join(TMP, "kns/knotd.log"))
    log("secondaries take the AXFR")
    for port in (LEV, KNS):
        wait_serial(port, 1, 180)
    time.sleep(1)
    before = {"levee": rss(lev.pid), "knotd": rss(kns.pid)}
    rows = []
    for rnd in range(1, ROUNDS + 1):
        serial = rnd + 1
        write_zone(src, zf, serial, rnd)
        subprocess.run(["knotc", "-b", "-s", os.path.join(TMP, "pri/knot.sock"),
                        "zone-reload", ZONE + "."], check=True,
                       capture_output=True, timeout=120)
        t0 = time.monotonic()
        got = {}
        while len(got) < 2 and time.monotonic() - t0 < 60:
            for name, port in (("levee", LEV), ("knotd", KNS)):
                if name not in got and soa_serial(port, 0.05) == serial:
                    got[name] = (time.monotonic() - t0) * 1000
            time.sleep(0.002)
        rows.append(got)
        log("round %d: serial %d served %s" % (
            rnd, serial, ", ".join("%s %.1f ms" % kv for kv in got.items())))
    after = {"levee": rss(lev.pid), "knotd": rss(kns.pid)}
    with open(levlog, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    inner = [int(x) for x in re.findall(
        r"IXFR from .* serving (\d+) ms after its last message", text)]
    kinds = re.findall(r"zone %s: (AXFR|IXFR) from" % ZONE, text)
    stop_all()
    print("| figure | Levee | knotd |")
    print("|---|---|---|")
    for i, g in enumerate(rows):
        print("| round %d: reload returned to new serial answered, ms | %s | %s |"
              % (i + 1, "%.1f" % g["levee"] if "levee" in g else "-",
                 "%.1f" % g["knotd"] if "knotd" in g else "-"))
    print("| Levee: serving after the IXFR's last message, ms | %s | - |"
          % ", ".join(map(str, inner)))
    print("| VmRSS before, MiB | %d | %d |" % (before["levee"]["VmRSS"],
                                             before["knotd"]["VmRSS"]))
    print("| VmRSS after %d IXFRs, MiB | %d | %d |" % (
        ROUNDS, after["levee"]["VmRSS"], after["knotd"]["VmRSS"]))
    print("| VmHWM, MiB | %d | %d |" % (after["levee"]["VmHWM"],
                                       after["knotd"]["VmHWM"]))
    print("| Levee transfers | %s | |" % " ".join(kinds))


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
