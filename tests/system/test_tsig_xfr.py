"""test_tsig_xfr.py -- TSIG on zone transfers out (RFC 8945 5.3.1, issue 13):
an acl entry that names a key lets only requests signed with it transfer;
every message of the answer is signed (kdig and dnspython verify each);
IXFR from the journal is signed the same way.
"""

import base64
import os
import subprocess

import dns.flags
import dns.message
import dns.rrset
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


def test_bug_unsigned_axfr_after_signed_query_refused(pool, tmp_path):
    """An unsigned AXFR pipelined right after a signed query, on the same
    TCP connection (the same struct query on the reactor's stack), must not
    inherit the signed query's verdict: NOTAUTH. (Before the fix the stale
    verdict was read for every transfer: the AXFR went out.)"""
    import socket
    import struct
    zf = str(tmp_path / "x.test.zone")
    write(zf, 1, "a\tA\t127.0.0.1\n")
    port, _, _ = start(pool, zf)
    signed = dns.message.make_query("x.test.", "SOA")
    signed.use_tsig(dns.tsig.Key(KEY, SECRET, dns.tsig.HMAC_SHA256))
    axfr = dns.message.make_query("x.test.", "AXFR")
    wire = b"".join(struct.pack("!H", len(w)) + w
                    for w in (signed.to_wire(), axfr.to_wire()))
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * H.SLOW)
    try:
        s.sendall(wire)
        rcodes = []
        for _ in range(2):
            n = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
            r = s.recv(n, socket.MSG_WAITALL)
            rcodes.append((struct.unpack("!H", r[:2])[0], r[3] & 0x0f))
    finally:
        s.close()
    ids = {signed.id: "soa", axfr.id: "axfr"}
    got = {ids[i]: rc for i, rc in rcodes}
    assert got["soa"] == dns.rcode.NOERROR
    assert got["axfr"] == dns.rcode.NOTAUTH


def test_ixfr_over_udp(pool, tmp_path):
    """RFC 1995 2: over UDP the IXFR when it fits one datagram, else the
    current SOA alone, never TC; signed when asked signed."""
    zf = str(tmp_path / "x.test.zone")
    write(zf, 1, "a\tA\t127.0.0.1\n")
    port, sock, _ = start(pool, zf)
    write(zf, 2, "a\tA\t127.0.0.2\n")
    ctl = os.path.join(os.path.dirname(H.levee_bin()), "levee-ctl")
    assert subprocess.run([ctl, "-s", sock, "reload"],
                          timeout=60).returncode == 0
    key = dns.tsig.Key(KEY, SECRET, dns.tsig.HMAC_SHA256)
    keyring = dns.tsigkeyring.from_text({KEY: SECRET})

    def ixfr_udp(serial, big=False):
        q = dns.message.make_query("x.test.", "IXFR", use_edns=big,
                                   payload=4096 if big else None)
        q.authority.append(dns.rrset.from_text(
            "x.test.", 0, "IN", "SOA", "ns1.x.test. h.x.test. %d 1 1 1 1"
            % serial))
        q.use_tsig(key)
        w = H.udp_raw(q.to_wire(), port, timeout=5 * H.SLOW)
        assert w is not None
        return dns.message.from_wire(w, keyring=keyring, request_mac=q.mac,
                                     one_rr_per_rrset=True)

    r = ixfr_udp(1)
    assert r.had_tsig and not (r.flags & dns.flags.TC)
    types = [rs.rdtype for rs in r.answer]
    texts = " ".join(rr.to_text() for rs in r.answer for rr in rs)
    # SOA 2, SOA 1, a 127.0.0.1, SOA 2, a 127.0.0.2, SOA 2
    assert types.count(dns.rdatatype.SOA) == 4, r
    assert "127.0.0.1" in texts and "127.0.0.2" in texts
    r = ixfr_udp(2)                      # current: the SOA alone
    assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.SOA
    # too big for one datagram: the SOA alone
    write(zf, 3, "a\tA\t127.0.0.2\n" + "".join(
        "t%d\tTXT\t\"%s\"\n" % (i, "x" * 200) for i in range(40)))
    assert subprocess.run([ctl, "-s", sock, "reload"],
                          timeout=60).returncode == 0
    r = ixfr_udp(2, big=True)
    assert not (r.flags & dns.flags.TC)
    assert len(r.answer) == 1 and r.answer[0][0].serial == 3
    # unsigned: not allowed by the keyed acl
    q = dns.message.make_query("x.test.", "IXFR")
    q.authority.append(dns.rrset.from_text(
        "x.test.", 0, "IN", "SOA", "ns1.x.test. h.x.test. 1 1 1 1 1"))
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=5 * H.SLOW)
    assert r.rcode() == dns.rcode.NOTAUTH
