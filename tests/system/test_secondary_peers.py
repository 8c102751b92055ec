"""test_secondary_peers.py -- Levee as the secondary of nsd 4.6 and named
9.18 (issue 14 interop): AXFR at start; then a change on the primary (a new
zone file and SIGHUP) reaches Levee by the primary's NOTIFY and an IXFR,
which Levee's counters prove was one; the copies end equal (sorted kdig
AXFR of both). Transfers and NOTIFYs are signed (TSIG hmac-sha256): Levee
signs its SOA and transfer queries and checks every answer message, and
takes the primaries' NOTIFYs only signed.

nsd serves IXFR only from what it stored (`store-ixfr: yes`) and computes
differences from zone files only with `create-ixfr: yes`; named with
`ixfr-from-differences yes`. Both reload changed zone files on SIGHUP and
then send NOTIFY to the listed address alone (`notify:` in nsd, `notify
explicit` and `also-notify` in named).
"""

import base64
import os
import signal
import time

import pytest

import levee_helpers as H
from test_secondary import Secondary, axfr_sorted, write_zone

KEY = "peer-key"
SECRET = base64.b64encode(bytes(range(3, 35))).decode()


class Peer:
    def __init__(self, pool, kind, notify_port, serial=1):
        self.kind = kind
        self.dir = os.path.join(pool.tmpdir, "%s-pri" % kind)
        os.makedirs(self.dir, exist_ok=True)
        self.port = H.free_port()
        self.zone = os.path.join(self.dir, "a.test.zone")
        self.mtime = time.time() - 100
        self.write(serial, "192.0.2.1")
        conf = os.path.join(self.dir, kind + ".conf")
        with open(conf, "w") as f:
            f.write((NSD if kind == "nsd" else NAMED).format(
                d=self.dir, port=self.port, np=notify_port, z=self.zone,
                key=KEY, secret=SECRET,
                server=H.nsd_server_block(self.port, self.dir)))
        if kind == "nsd":
            args = ["nsd", "-d", "-c", conf]
        else:
            args = ["named", "-g", "-c", conf, "-u", "root"]
        self.proc = H.Proc(kind, args, os.path.join(self.dir, kind + ".log"))
        pool.procs.append(self.proc)
        H.wait_soa(self.port, ["a.test."], 20 * H.SLOW, proc=self.proc)

    def write(self, serial, addr, extra=""):
        write_zone(self.zone, "a.test.", serial, addr, extra=extra)
        # a later mtime each time: both reload a file whose mtime moved
        self.mtime += 10
        os.utime(self.zone, (self.mtime, self.mtime))

    def change(self, serial, addr, extra=""):
        self.write(serial, addr, extra)
        os.kill(self.proc.pid, signal.SIGHUP)


NSD = """{server}remote-control:
  control-enable: no
key:
  name: {key}
  algorithm: hmac-sha256
  secret: "{secret}"
zone:
  name: a.test.
  zonefile: {z}
  provide-xfr: 127.0.0.1 {key}
  notify: 127.0.0.1@{np} {key}
  store-ixfr: yes
  create-ixfr: yes
"""

NAMED = """key "{key}" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  notify explicit;
  also-notify {{ 127.0.0.1 port {np} key "{key}"; }};
  allow-query {{ any; }};
  allow-transfer {{ key "{key}"; }};
  dnssec-validation no;
  ixfr-from-differences yes;
  max-ixfr-ratio unlimited;
  notify-delay 0;
}};
controls {{ }};
zone "a.test" {{
  type primary;
  file "{z}";
}};
"""


@pytest.mark.parametrize("kind", ["nsd", "named"])
def test_secondary_of_peer_axfr_then_ixfr(pool, kind):
    lport = H.free_port()
    peer = Peer(pool, kind, lport, serial=1)
    sec = Secondary(pool, peer.port, port=lport, key=(KEY + ".", SECRET))
    assert sec.wait_serial(1, 10 * H.SLOW), sec.status()
    c = sec.counts()
    assert c["axfr"] == 1 and c["ixfr"] == 0, c
    for serial in (2, 3):
        peer.change(serial, "192.0.2.%d" % serial,
                    extra="n%d A 192.0.2.%d" % (serial, serial + 10))
        assert sec.wait_serial(serial, 20 * H.SLOW), (sec.status(),
                                                      peer.proc.text()[-2000:])
        assert sec.a("n%d.a.test." % serial) == ["192.0.2.%d" % (serial + 10)]
    c = sec.counts()
    # both changes were incremental, told by NOTIFY (refresh is 3600 s)
    assert c["ixfr"] == 2 and c["axfr"] == 1 and c["ixfr-fallback"] == 0, c
    assert sec.notify_in() >= 2
    assert axfr_sorted(peer.port, key="hmac-sha256:%s:%s" % (KEY, SECRET)) \
        == axfr_sorted(sec.port)
    # the NOTIFYs were signed: the keyed primary's unsigned ones are refused
    assert sec.notify_in() >= 2
