#!/usr/bin/python3
"""mkmany.py -- the zones, query files and configurations of bench/many-zones.

Deterministic: zone i is always the same file, the query file of N zones is
always the same (seed N).

  mkmany.py zones DIR MAX
      MAX zones of exactly 10 records into DIR/zones/KKK/NAME.zone (1,000 a
      directory) and their list, "NAME<TAB>FILE<TAB>WWW-ADDRESS" one a line,
      in DIR/zones.list. Zone i is z{i:06d}.PARENT, the parents taken in turn
      from PARENTS (depth 2 and 3 under the root, so the zone lookup walks
      more than one label). Records: SOA, NS ns1, NS ns2, ns1 A, ns2 A
      (in-zone glue on 127.0.0.1 and .2), www A and mail A (127.x.y.z, unique
      per zone), www AAAA (::1), MX 10 mail, TXT. Skips the work when
      DIR/zones.stamp says at least MAX zones of this generator version
      are there (zones.list may then list more than MAX).
  mkmany.py queries DIR N OUT
      A query file for bench/lvload (dnsperf format, expected outcome
      NOERROR): max(200000, 2 N) queries, each a random zone among the first
      N and a random existing (name, type) of it.
  mkmany.py last DIR N
      "NAME ADDRESS": www of the Nth (last) zone of a configuration of N
      zones and its A record.
  mkmany.py conf SERVER DIR N PORT STATE CPU
      The configuration of SERVER (levee, knotd, nsd) serving the first N
      zones on 127.0.0.1@PORT with one worker, its state in STATE, on stdout.
      One zone entry per zone, written here because 100,000 entries do not
      fit a command line. knotd and nsd get the same settings as
      knot_conf and nsd_conf in bench/lib.sh (no journal, no zone file
      sync, nsd with rrl off); Levee has rate limiting off as they do.
"""
import os
import random
import sys

VERSION = "1"  # change when the zone contents change: regenerates the files
PARENTS = ["example", "test", "example.com", "example.net", "co.example"]
PER_DIR = 1000


def zone_name(i):
    return f"z{i:06d}.{PARENTS[i % len(PARENTS)]}"


def addr(base, i):
    # 127.0.0.0/8, unique per zone for i < 2**18: 127.(base + hi).mid.lo
    return f"127.{base + (i >> 16)}.{(i >> 8) & 255}.{i & 255}"


def zone_text(i):
    name = zone_name(i)
    return (f"$ORIGIN {name}.\n$TTL 3600\n"
            f"@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
            f"@ IN NS ns1\n"
            f"@ IN NS ns2\n"
            f"@ IN MX 10 mail\n"
            f'@ IN TXT "v=spf1 -all" "zone {i}"\n'
            f"ns1 IN A 127.0.0.1\n"
            f"ns2 IN A 127.0.0.2\n"
            f"www IN A {addr(16, i)}\n"
            f"www IN AAAA ::1\n"
            f"mail IN A {addr(32, i)}\n")


# (owner prefix, type) of every name and type that exists in a zone.
QUERIES = [("www.", "A"), ("www.", "A"), ("www.", "AAAA"), ("mail.", "A"),
           ("", "MX"), ("", "NS"), ("", "TXT"), ("", "SOA"), ("ns1.", "A")]


def read_list(d, n=None):
    out = []
    with open(os.path.join(d, "zones.list")) as f:
        for line in f:
            out.append(line.rstrip("\n").split("\t"))
            if n is not None and len(out) == n:
                break
    if n is not None and len(out) < n:
        sys.exit(f"mkmany.py: {d}/zones.list has {len(out)} zones, not {n}")
    return out


def cmd_zones(d, mx):
    d = os.path.abspath(d)
    stamp = os.path.join(d, "zones.stamp")
    try:
        with open(stamp) as f:
            v, have = f.read().split()
            if v == VERSION and int(have) >= mx:
                return
    except (OSError, ValueError):
        pass
    zd = os.path.join(d, "zones")
    rows = []
    for i in range(mx):
        sub = os.path.join(zd, f"{i // PER_DIR:03d}")
        if i % PER_DIR == 0:
            os.makedirs(sub, exist_ok=True)
        name = zone_name(i)
        path = os.path.join(sub, name + ".zone")
        with open(path, "w") as f:
            f.write(zone_text(i))
        rows.append(f"{name}\t{path}\t{addr(16, i)}\n")
    with open(os.path.join(d, "zones.list"), "w") as f:
        f.writelines(rows)
    with open(stamp, "w") as f:
        f.write(f"{VERSION} {mx}\n")


def cmd_queries(d, n, out):
    zones = read_list(d, n)
    rnd = random.Random(n)
    nq = max(200000, 2 * n)
    lines = []
    for _ in range(nq):
        z = zones[rnd.randrange(n)][0]
        p, t = QUERIES[rnd.randrange(len(QUERIES))]
        lines.append(f"{p}{z}. {t} NOERROR\n")
    with open(out, "w") as f:
        f.writelines(lines)


def cmd_last(d, n):
    name, _, a = read_list(d, n)[-1]
    print(f"www.{name}. {a}")


def cmd_conf(server, d, n, port, state, cpu):
    zones = read_list(d, n)
    w = sys.stdout.write
    if server == "levee":
        w("server:\n"
          f"  listen: [127.0.0.1@{port}]\n"
          "  reactors: 1\n"
          f"  cpu-affinity: [{cpu}]\n"
          "  log-level: warning\n"
          "rate-limit:\n"
          "  responses-per-second: 0\n"
          "zones:\n")
        for name, path, _ in zones:
            w(f"  - domain: {name}\n    file: {path}\n")
    elif server == "knotd":
        w("server:\n"
          f"    rundir: {state}\n"
          f"    listen: 127.0.0.1@{port}\n"
          "    udp-workers: 1\n"
          "    tcp-workers: 1\n"
          "    background-workers: 1\n"
          "database:\n"
          f"    storage: {state}\n"
          f"    kasp-db: {state}/keys\n"
          "log:\n"
          "  - target: stderr\n"
          "    any: warning\n"
          "template:\n"
          "  - id: default\n"
          f"    storage: {state}\n"
          "    zonefile-sync: -1\n"
          "    journal-content: none\n"
          "zone:\n")
        for name, path, _ in zones:
            w(f"  - domain: {name}\n    file: {path}\n")
    elif server == "nsd":
        w("server:\n"
          f"    ip-address: 127.0.0.1@{port}\n"
          "    server-count: 1\n"
          "    rrl-ratelimit: 0\n"
          "    username: \"\"\n"
          "    chroot: \"\"\n"
          "    database: \"\"\n"
          f"    zonelistfile: {state}/zone.list\n"
          f"    xfrdfile: {state}/xfrd.state\n"
          f"    xfrdir: {state}\n"
          f"    pidfile: {state}/nsd.pid\n"
          f"    logfile: {state}/nsd.log\n"
          "    verbosity: 0\n"
          "remote-control:\n"
          "    control-enable: no\n")
        for name, path, _ in zones:
            w(f"zone:\n    name: {name}\n    zonefile: {path}\n")
    else:
        sys.exit(f"mkmany.py: unknown server {server}")


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "zones":
        cmd_zones(a[1], int(a[2]))
    elif len(a) == 4 and a[0] == "queries":
        cmd_queries(a[1], int(a[2]), a[3])
    elif len(a) == 3 and a[0] == "last":
        cmd_last(a[1], int(a[2]))
    elif len(a) == 7 and a[0] == "conf":
        cmd_conf(a[1], a[2], int(a[3]), a[4], a[5], a[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
