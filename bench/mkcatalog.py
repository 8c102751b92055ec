#!/usr/bin/python3
"""mkcatalog.py -- the catalog zones and configurations of bench/catalog.

The member zones are bench/mkmany.py's (10 records each, DIR/zones.list);
this writes the catalogs listing them and the configurations of the
primary and of the consumers.

  mkcatalog.py catalog DIR N ORIGIN OUT
      A catalog zone (RFC 9432, version 2) ORIGIN listing the first N zones
      of DIR/zones.list: SOA, NS invalid., version TXT "2", and
      "m<i>.zones PTR <member>." for each (N may be 0: no member).
  mkcatalog.py names DIR N OUT
      The first N member names, one a line, with a trailing dot.
  mkcatalog.py primary SERVER DIR N PORT STATE CPU CATALOG=FILE...
      The configuration (SERVER levee or knotd) of the primary serving the
      first N zones and the catalogs on 127.0.0.1@PORT, transfers allowed
      to 127.0.0.0/8, no NOTIFY, nothing written (knotd: no journal, no
      zone file sync), one UDP worker.
  mkcatalog.py consumer SERVER PORT PRIPORT STATE CPU CATALOG
      The configuration (SERVER levee or knotd) of a consumer of catalog
      CATALOG from 127.0.0.1@PRIPORT answering on 127.0.0.1@PORT, its
      state (Levee's journal-db and control socket, knotd's storage,
      timers and catalog databases) in STATE, one UDP worker. The members
      keep no zone file (Levee's template has no file:, knotd's
      zonefile-sync: -1), as neither does the catalog. LEVEE_DB=0 in the
      environment: Levee without database: journal-db (no timers kept,
      so no LMDB commit a transfer).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkmany  # noqa: E402


def cmd_catalog(d, n, origin, out):
    origin = origin.rstrip(".") + "."
    zones = mkmany.read_list(d, n) if n else []
    lines = [f"$ORIGIN {origin}\n$TTL 0\n",
             "@ SOA invalid. invalid. 1 3600 600 2419200 0\n",
             "@ NS invalid.\n",
             'version TXT "2"\n']
    for i, (name, _, _) in enumerate(zones):
        lines.append(f"m{i}.zones PTR {name}.\n")
    with open(out + ".new", "w") as f:
        f.writelines(lines)
    os.replace(out + ".new", out)


def cmd_names(d, n, out):
    with open(out, "w") as f:
        for name, _, _ in mkmany.read_list(d, n):
            f.write(name + ".\n")


def cmd_primary(server, d, n, port, state, cpu, cats):
    zones = [(name, path) for name, path, _ in mkmany.read_list(d, n)]
    zones = [tuple(c.split("=", 1)) for c in cats] + zones
    w = sys.stdout.write
    if server == "levee":
        w("server:\n"
          f"  listen: [127.0.0.1@{port}]\n"
          "  reactors: 1\n"
          f"  cpu-affinity: [{cpu}]\n"
          "  log-level: warning\n"
          "  tcp-max-clients-per-prefix: 1000\n"
          "rate-limit:\n"
          "  responses-per-second: 0\n"
          "acl:\n"
          "  - id: xfr\n"
          "    address: 127.0.0.0/8\n"
          "    action: transfer\n"
          "zones:\n")
        for name, path in zones:
            w(f"  - domain: {name}\n    file: {path}\n    acl: xfr\n")
    elif server == "knotd":
        w("server:\n"
          f"    rundir: {state}\n"
          f"    listen: 127.0.0.1@{port}\n"
          "    udp-workers: 1\n"
          "database:\n"
          f"    storage: {state}\n"
          "log:\n"
          "  - target: stderr\n"
          "    any: warning\n"
          "acl:\n"
          "  - id: xfr\n"
          "    address: 127.0.0.0/8\n"
          "    action: transfer\n"
          "template:\n"
          "  - id: default\n"
          f"    storage: {state}\n"
          "    zonefile-sync: -1\n"
          "    journal-content: none\n"
          "    semantic-checks: off\n"
          "    acl: xfr\n"
          "zone:\n")
        for name, path in zones:
            w(f"  - domain: {name}\n    file: {path}\n")
    else:
        sys.exit(f"mkcatalog.py: unknown primary {server}")


def cmd_consumer(server, port, priport, state, cpu, catalog):
    w = sys.stdout.write
    if server == "levee":
        w("server:\n"
          f"  listen: [127.0.0.1@{port}]\n"
          "  reactors: 1\n"
          f"  cpu-affinity: [{cpu}]\n"
          "  log-level: info\n"
          "rate-limit:\n"
          "  responses-per-second: 0\n"
          "remote:\n"
          "  - id: pri\n"
          f"    address: 127.0.0.1@{priport}\n"
          "acl:\n"
          "  - id: notifiers\n"
          "    address: 127.0.0.0/8\n"
          "    action: [notify, transfer]\n"
          "control:\n"
          f"  listen: {state}/ctl.sock\n"
          + ("database:\n"
             f"  journal-db: {state}/db\n"
             if os.environ.get("LEVEE_DB", "1") != "0" else "") +
          "template:\n"
          "  - id: default\n"
          "    primaries: pri\n"
          "    acl: notifiers\n"
          "zones:\n"
          f"  - domain: {catalog}\n"
          "    primaries: pri\n"
          "    acl: notifiers\n"
          "    catalog-role: interpret\n"
          "    catalog-template: [default]\n")
    elif server == "knotd":
        # knotd 3.2: master: (not primaries:) in zone and template
        w("server:\n"
          f"    rundir: {state}\n"
          f"    listen: 127.0.0.1@{port}\n"
          "    udp-workers: 1\n"
          "    tcp-workers: 1\n"
          "database:\n"
          f"    storage: {state}\n"
          "log:\n"
          "  - target: stderr\n"
          "    any: info\n"
          "remote:\n"
          "  - id: pri\n"
          f"    address: 127.0.0.1@{priport}\n"
          "acl:\n"
          "  - id: notifiers\n"
          "    address: 127.0.0.0/8\n"
          "    action: [notify, transfer]\n"
          "template:\n"
          "  - id: default\n"
          f"    storage: {state}\n"
          "    zonefile-sync: -1\n"
          "    journal-content: none\n"
          "    semantic-checks: off\n"
          "  - id: member\n"
          f"    storage: {state}\n"
          "    master: pri\n"
          "    acl: notifiers\n"
          "    zonefile-sync: -1\n"
          "    zonefile-load: none\n"
          "    journal-content: none\n"
          "    semantic-checks: off\n"
          "zone:\n"
          f"  - domain: {catalog}\n"
          "    master: pri\n"
          "    acl: notifiers\n"
          "    catalog-role: interpret\n"
          "    catalog-template: member\n")
    else:
        sys.exit(f"mkcatalog.py: unknown consumer {server}")


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "catalog":
        cmd_catalog(a[1], int(a[2]), a[3], a[4])
    elif len(a) == 4 and a[0] == "names":
        cmd_names(a[1], int(a[2]), a[3])
    elif len(a) >= 7 and a[0] == "primary":
        cmd_primary(a[1], a[2], int(a[3]), a[4], a[5], a[6], a[7:])
    elif len(a) == 7 and a[0] == "consumer":
        cmd_consumer(*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
