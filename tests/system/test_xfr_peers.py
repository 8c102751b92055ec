"""test_xfr_peers.py -- Levee as the primary of named 9.18, nsd 4.6 and knotd 3.2 with
TSIG (issue 13): each secondary takes the zone by a signed AXFR, then
follows two reloads told by signed NOTIFY, by IXFR from the journal, and
ends with Levee's records (sorted kdig AXFR of both); Levee's xfrout-ixfr
counter proves the later transfers were IXFRs.
"""

import base64
import json
import os
import subprocess
import time

import dns.name
import dns.query
import dns.tsig
import dns.tsigkeyring
import pytest

import levee_helpers as H
from test_axfr_out import sorted_axfr, wait_serial
from test_ixfr_out import write

SECRET = base64.b64encode(bytes(range(1, 33))).decode()
KEY = "peer-key."


def body(serial):
    return "".join("h%d\tA\t127.0.%d.%d\n" % (i, i >> 8, i & 255)
                   for i in range(200) if i != serial) + \
        "new%d\tTXT\t\"v%d\"\n" % (serial, serial)


def levee_primary(pool, zone_file, sec_port):
    port = H.free_port()
    sock = os.path.join(pool.tmpdir, "p-%d.sock" % port)
    conf = os.path.join(pool.tmpdir, "p-%d.yaml" % port)
    with open(conf, "w") as f:
        f.write("server:\n  listen: [127.0.0.1@%d]\n  reactors: 1\n"
                "rate-limit:\n  responses-per-second: 0\n"
                "key:\n  - id: %s\n    algorithm: hmac-sha256\n"
                "    secret: %s\n"
                "acl:\n  - id: sec\n    key: %s\n    action: transfer\n"
                "remote:\n  - id: sec\n    address: 127.0.0.1@%d\n"
                "    key: %s\n"
                "control:\n  listen: %s\n"
                "database:\n  journal-db: %s/j-%d\n"
                "zones:\n  - domain: x.test\n    file: %s\n    acl: sec\n"
                "    notify: sec\n"
                % (port, KEY, SECRET, KEY, sec_port, KEY, sock, pool.tmpdir,
                   port, zone_file))
    proc = pool.levee(["-c", conf])
    return port, sock, proc


def named_secondary(pool, port, primary_port):
    d = os.path.join(pool.tmpdir, "named-%d" % port)
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "named.conf")
    with open(conf, "w") as f:
        f.write("""key "{key}" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  notify no;
  allow-query {{ any; }};
  allow-transfer {{ any; }};
  dnssec-validation no;
  rate-limit {{ responses-per-second 0; }};
}};
controls {{ }};
zone "x.test" {{
  type secondary;
  primaries {{ 127.0.0.1 port {pp} key "{key}"; }};
  allow-notify {{ 127.0.0.1; }};
  file "{d}/x.test.db";
}};
""".format(key=KEY.rstrip("."), secret=SECRET, d=d, port=port,
           pp=primary_port))
    p = H.Proc("named", ["named", "-g", "-c", conf, "-u", "root"],
               os.path.join(d, "named.log"))
    pool.procs.append(p)
    return p


def nsd_secondary(pool, port, primary_port):
    d = os.path.join(pool.tmpdir, "nsd-%d" % port)
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write("""{server}remote-control:
  control-enable: no
key:
  name: {key}
  algorithm: hmac-sha256
  secret: "{secret}"
zone:
  name: x.test.
  zonefile: {d}/x.test.zone
  request-xfr: 127.0.0.1@{pp} {key}
  allow-notify: 127.0.0.1 {key}
  provide-xfr: 127.0.0.1 NOKEY
""".format(d=d, pp=primary_port, key=KEY.rstrip("."),
           secret=SECRET, server=H.nsd_server_block(port, d)))
    p = H.Proc("nsd", ["nsd", "-d", "-c", conf], os.path.join(d, "nsd.log"))
    pool.procs.append(p)
    return p


def knotd_secondary(pool, port, primary_port):
    d = os.path.join(pool.tmpdir, "knotd-%d" % port)
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = os.path.join(d, "knot.conf")
    with open(conf, "w") as f:
        f.write("""server:
  rundir: {d}
  listen: 127.0.0.1@{port}
database:
  storage: {d}/db
log:
  - target: stderr
    any: info
key:
  - id: {key}
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: levee
    address: 127.0.0.1@{pp}
    key: {key}
acl:
  - id: ntf
    address: 127.0.0.1
    key: {key}
    action: notify
  - id: local
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: {d}/db
    zonefile-sync: -1
    journal-content: changes
    semantic-checks: off
zone:
  - domain: x.test.
    master: levee
    acl: [ntf, local]
""".format(d=d, port=port, pp=primary_port, key=KEY.rstrip("."),
           secret=SECRET))
    p = H.Proc("knotd", ["knotd", "-c", conf], os.path.join(d, "knotd.log"))
    pool.procs.append(p)
    return p


@pytest.mark.parametrize("peer", ["named", "nsd", "knotd"])
def test_secondary_follows_by_ixfr_with_tsig(pool, peer):
    z = os.path.join(pool.tmpdir, "x.test.zone")
    write(z, 1, body(1))
    sport = H.free_port()
    port, sock, proc = levee_primary(pool, z, sport)
    sec = {"named": named_secondary, "nsd": nsd_secondary,
           "knotd": knotd_secondary}[peer](pool, sport, port)
    wait_serial(sport, "x.test.", 1, 30 * H.SLOW, sec)
    ctl = os.path.join(os.path.dirname(H.levee_bin()), "levee-ctl")
    for serial in (2, 3):
        write(z, serial, body(serial))
        out = subprocess.run([ctl, "-s", sock, "reload"], capture_output=True,
                             text=True, timeout=60 * H.SLOW)
        assert out.returncode == 0, out.stdout + out.stderr
        wait_serial(sport, "x.test.", serial, 30 * H.SLOW, sec)
    # the secondary's copy is Levee's (read from Levee with the key)
    keyring = dns.tsigkeyring.from_text({KEY: SECRET})
    mine = set()
    for m in dns.query.xfr("127.0.0.1", "x.test.", port=port, keyring=keyring,
                           keyname=KEY, keyalgorithm=dns.tsig.HMAC_SHA256,
                           relativize=False, timeout=20, lifetime=60):
        for rrset in m.answer:
            for rr in rrset:
                mine.add((rrset.name.to_text().lower(), rrset.ttl,
                          rrset.rdtype, rr.to_digestable(dns.name.root)))
    assert sorted(mine) == sorted_axfr(sport, "x.test.")
    deadline = time.monotonic() + 10
    while True:
        st = json.loads(subprocess.run([ctl, "-s", sock, "stats"],
                                       capture_output=True, text=True,
                                       timeout=20).stdout)["total"]
        if st["xfrout-ixfr"] >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert st["xfrout-ixfr"] == 2, st
    assert st["tsig-ok"] >= 3
