"""test_tsig_xfr.py -- TSIG on zone transfers out (RFC 8945 5.3.1, issue 13):
an acl entry that names a key lets only requests signed with it transfer;
every message of the answer is signed (kdig and dnspython verify each);
IXFR from the journal is signed the same way.
"""

import base64
import os
import subprocess

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import pytest

import levee_helpers as H
from test_axfr_out import write_big_zone
from test_ixfr_out import write

SECRET = base64.b64encode(bytes(range(32))).decode()
KEY = "xfr-key."


def start(pool, zone_file, extra_acl=""):
    port = H.free_port()
    sock = os.path.join(pool.tmpdir, "tx-%d.sock" % port)
    conf = os.path.join(pool.tmpdir, "tx-%d.yaml" % port)
    with open(conf, "w") as f:
        f.write("server:\n  listen: [127.0.0.1@%d]\n  reactors: 1\n"
                "rate-limit:\n  responses-per-second: 0\n"
                "key:\n  - id: %s\n    algorithm: hmac-sha256\n"
                "    secret: %s\n"
                "acl:\n  - id: signed\n    key: %s\n    action: transfer\n%s"
                "control:\n  listen: %s\n"
                "database:\n  journal-db: %s/j-%d\n"
                "zones:\n  - domain: %s\n    file: %s\n    acl: signed\n"
                % (port, KEY, SECRET, KEY, extra_acl, sock, pool.tmpdir, port,
                   os.path.basename(zone_file).replace(".zone", "") + ".",
                   zone_file))
    return port, sock, pool.levee(["-c", conf])


def kdig_axfr(port, zone, key=True, extra=()):
    cmd = ["kdig", "@127.0.0.1", "-p", str(port), "+tcp", "+nocookie"]
    if key:
        cmd += ["-y", "hmac-sha256:%s:%s" % (KEY, SECRET)]
    return subprocess.run(cmd + list(extra) + [zone, "AXFR"],
                          capture_output=True, text=True, timeout=60 * H.SLOW)


@pytest.mark.asan
def test_signed_axfr_every_message_verified(pool, tmp_path):
    zf = write_big_zone(str(tmp_path / "big.test.zone"))
    port, _, _ = start(pool, zf)
    out = kdig_axfr(port, "big.test.")
    assert out.returncode == 0, out.stderr
    assert "; Transfer failed" not in out.stdout, out.stdout[-2000:]
    assert ";; Received" in out.stdout
    # kdig fails the transfer on a message whose TSIG does not verify;
    # dnspython checks each message of the chain too
    keyring = dns.tsigkeyring.from_text({KEY: SECRET})
    n = 0
    for m in dns.query.xfr("127.0.0.1", "big.test.", port=port,
                           keyring=keyring, keyname=KEY,
                           keyalgorithm=dns.tsig.HMAC_SHA256,
                           timeout=20 * H.SLOW, lifetime=60 * H.SLOW):
        assert m.had_tsig
        n += 1
    assert n > 3


def test_unsigned_or_wrong_key_refused(pool, tmp_path):
    zf = str(tmp_path / "x.test.zone")
    write(zf, 1, "a\tA\t127.0.0.1\n")
    port, _, _ = start(pool, zf)
    out = kdig_axfr(port, "x.test.", key=False)
    assert "NOTAUTH" in out.stdout + out.stderr
    wrong = base64.b64encode(b"\x01" * 32).decode()
    q = dns.message.make_query("x.test.", "AXFR")
    q.use_tsig(dns.tsig.Key(KEY, wrong, dns.tsig.HMAC_SHA256))
    r = H.tcp_raw(q.to_wire(), port)
    assert r is not None
    assert (r[3] & 0x0f) == dns.rcode.NOTAUTH   # BADSIG: NOTAUTH, unsigned


def test_signed_ixfr(pool, tmp_path):
    zf = str(tmp_path / "x.test.zone")
    write(zf, 1, "a\tA\t127.0.0.1\n")
    port, sock, _ = start(pool, zf)
    write(zf, 2, "a\tA\t127.0.0.2\n")
    out = subprocess.run([os.path.join(os.path.dirname(H.levee_bin()),
                                       "levee-ctl"), "-s", sock, "reload"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    keyring = dns.tsigkeyring.from_text({KEY: SECRET})
    recs = []
    for m in dns.query.xfr("127.0.0.1", "x.test.", rdtype=dns.rdatatype.IXFR,
                           serial=1, port=port, keyring=keyring, keyname=KEY,
                           keyalgorithm=dns.tsig.HMAC_SHA256,
                           timeout=10 * H.SLOW, lifetime=30 * H.SLOW):
        assert m.had_tsig
        recs += [rr.to_text() for rrset in m.answer for rr in rrset]
    assert "127.0.0.1" in recs and "127.0.0.2" in recs
    assert sum(1 for r in recs if "hostmaster" in r) == 4   # 4 SOAs: IXFR
