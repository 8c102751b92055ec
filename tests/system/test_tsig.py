"""test_tsig.py -- TSIG (RFC 8945) against the real binary, with kdig and
dnspython (dns.tsig) as the clients that verify the replies.

A validly signed query gets a signed reply that both clients verify, over
UDP and TCP, for every algorithm, whatever its rcode (NXDOMAIN, REFUSED,
NOTIMP, TC); an unknown key gets NOTAUTH with an unsigned BADKEY record, a
wrong secret NOTAUTH/BADSIG unsigned, a time outside the fudge
NOTAUTH/BADTIME signed with the server's time in Other Data; a truncated
MAC BADTRUNC (signed) or, below the RFC's floor, FORMERR; malformed TSIG
records (not last, twice, in the answer section, bad algorithm name,
lengths past the record) get FORMERR or nothing, and the server keeps
answering.  The same requests sent to knotd with the same keys get the
same rcode, TSIG error, signedness and Other Data, but for three accepted
differences (test_errors_as_knotd).  The key: section's errors name file and line.  Traffic to
127.0.0.1 only; every loop bounded.
"""

import base64
import os
import re
import struct
import subprocess
import time

import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import pytest

import levee_helpers as H

pytestmark = pytest.mark.asan
T = 5 * H.SLOW

SECRETS = {
    "hmac-sha1": base64.b64encode(bytes(range(20))).decode(),
    "hmac-sha256": base64.b64encode(bytes(range(1, 33))).decode(),
    "hmac-sha384": base64.b64encode(bytes(range(2, 50))).decode(),
    "hmac-sha512": base64.b64encode(bytes(range(3, 67))).decode(),
}
ALGS = {
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}


def keyname(alg):
    return "%s.key." % alg


def key_section():
    out = "key:\n"
    for alg, sec in SECRETS.items():
        out += "  - id: %s\n    algorithm: %s\n    secret: %s\n" % (
            keyname(alg), alg, sec)
    return out


@pytest.fixture(scope="module")
def server(module_pool):
    return H.start_levee_extra(module_pool, key_section(), reactors=1,
                               name="levee-tsig")


def dkey(alg, secret=None):
    return dns.tsig.Key(keyname(alg), secret or SECRETS[alg], ALGS[alg])


def signed(name, rdtype, alg="hmac-sha256", secret=None, edns=None, **kw):
    q = dns.message.make_query(name, rdtype, use_edns=edns)
    q.use_tsig(dkey(alg, secret), **kw)
    return q


def udp(q, port):
    return H.udp_raw(q.to_wire(), port, timeout=T)


def tcp(q, port):
    return H.tcp_raw(q.to_wire(), port, timeout=T)


def parse_signed(wire, q):
    """The reply parsed and its TSIG verified by dnspython against q."""
    return dns.message.from_wire(wire, keyring=q.keyring,
                                 request_mac=q.mac)


class RawTsig:
    """The fields of a TSIG record read from the wire by hand."""

    def __init__(self, rd, owner):
        self.owner = owner
        self.algorithm, o = dns.name.from_wire(rd, 0)
        self.time_signed = int.from_bytes(rd[o:o + 6], "big")
        self.fudge, maclen = struct.unpack("!HH", rd[o + 6:o + 10])
        self.mac = rd[o + 10:o + 10 + maclen]
        o += 10 + maclen
        self.original_id, self.error, olen = struct.unpack("!HHH",
                                                           rd[o:o + 6])
        self.other = rd[o + 6:o + 6 + olen]
        assert o + 6 + olen == len(rd)


def tsig_of(wire):
    """(rcode, the TSIG record (RawTsig) or None, its owner name) of a
    reply, read by hand without verifying anything; the TSIG must be the
    last record."""
    qd, an, ns, ar = struct.unpack("!HHHH", wire[4:12])
    rcode = wire[3] & 15
    o = 12
    for _ in range(qd):
        _, used = dns.name.from_wire(wire, o)
        o += used + 4
    t = None
    for i in range(an + ns + ar):
        owner, used = dns.name.from_wire(wire, o)
        o += used
        typ, _, _, rdl = struct.unpack("!HHIH", wire[o:o + 10])
        rd = wire[o + 10:o + 10 + rdl]
        if typ == 41:
            rcode |= wire[o + 4] << 4
        if typ == 250:
            assert i == an + ns + ar - 1, "TSIG not last"
            t = RawTsig(rd, owner)
        o += 10 + rdl
    assert o == len(wire)
    return rcode, t, t.owner if t else None


@pytest.mark.parametrize("alg", sorted(ALGS))
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_signed_query_gets_signed_reply(server, alg, transport):
    port, _ = server
    q = signed("www.test.", "A", alg)
    wire = (udp if transport == "udp" else tcp)(q, port)
    r = parse_signed(wire, q)          # raises unless the MAC verifies
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer and r.had_tsig
    assert r.tsig[0].error == 0


@pytest.mark.parametrize("alg", sorted(ALGS))
def test_kdig_verifies(server, alg):
    port, _ = server
    out = subprocess.run(
        ["kdig", "@127.0.0.1", "-p", str(port), "-y",
         "%s:%s:%s" % (alg, keyname(alg), SECRETS[alg]), "www.test.", "A",
         "+retry=0", "+timeout=%d" % int(T)],
        capture_output=True, text=True, timeout=3 * T)
    assert "status: NOERROR" in out.stdout, out.stdout + out.stderr
    assert "TSIG PSEUDOSECTION" in out.stdout
    assert "NOERROR" in out.stdout.split("TSIG PSEUDOSECTION")[1]
    assert "WARNING" not in out.stdout + out.stderr, out.stdout + out.stderr
    out = subprocess.run(
        ["kdig", "@127.0.0.1", "-p", str(port), "+tcp", "-y",
         "%s:%s:%s" % (alg, keyname(alg), SECRETS[alg]), "test.", "SOA",
         "+retry=0", "+timeout=%d" % int(T)],
        capture_output=True, text=True, timeout=3 * T)
    assert "status: NOERROR" in out.stdout, out.stdout + out.stderr
    assert "WARNING" not in out.stdout + out.stderr, out.stdout + out.stderr


@pytest.mark.parametrize("name,rdtype,rcode", [
    ("nonexistent.test.", "A", dns.rcode.NXDOMAIN),
    ("www.example.net.", "A", dns.rcode.REFUSED),
    ("test.", "AXFR", dns.rcode.NOTIMP),        # AXFR over UDP (knotd)
])
def test_signed_whatever_the_rcode(server, name, rdtype, rcode):
    port, _ = server
    q = signed(name, rdtype)
    r = parse_signed(udp(q, port), q)
    assert r.rcode() == rcode and r.had_tsig


def test_signed_notimp_opcode(server):
    port, _ = server
    q = signed("test.", "SOA")
    q.set_opcode(dns.opcode.STATUS)
    r = parse_signed(udp(q, port), q)
    assert r.rcode() == dns.rcode.NOTIMP and r.had_tsig


def test_truncated_reply_is_signed(server):
    """A reply that does not fit 512 bytes is TC and still signed (the
    room of the TSIG record kept from the start)."""
    port, _ = server
    q = signed("big.test.", "TXT", "hmac-sha512")
    wire = udp(q, port)
    assert len(wire) <= 512
    r = parse_signed(wire, q)
    assert r.flags & dns.flags.TC and r.had_tsig
    # and over TCP all of it, signed
    r = parse_signed(tcp(q, port), q)
    assert not (r.flags & dns.flags.TC) and r.answer and r.had_tsig


def test_badkey_unsigned(server):
    port, _ = server
    q = dns.message.make_query("www.test.", "A")
    q.use_tsig(dns.tsig.Key("nosuch.key.", SECRETS["hmac-sha256"],
                            dns.tsig.HMAC_SHA256))
    rcode, t, kn = tsig_of(udp(q, port))
    assert rcode == dns.rcode.NOTAUTH
    assert t.error == dns.rcode.BADKEY and t.mac == b""
    assert kn == dns.name.from_text("nosuch.key.")
    # a known name with another algorithm is an unknown key too
    q = dns.message.make_query("www.test.", "A")
    q.use_tsig(dns.tsig.Key(keyname("hmac-sha256"), SECRETS["hmac-sha256"],
                            dns.tsig.HMAC_SHA512))
    rcode, t, _ = tsig_of(udp(q, port))
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADKEY
    # and dnspython's own check of the reply says so
    with pytest.raises(dns.tsig.PeerBadKey):
        dns.message.from_wire(udp(q, port), keyring=q.keyring,
                              request_mac=q.mac)


def test_badsig_unsigned(server):
    port, _ = server
    wrong = base64.b64encode(b"\x55" * 32).decode()
    q = signed("www.test.", "A", secret=wrong)
    rcode, t, _ = tsig_of(udp(q, port))
    assert rcode == dns.rcode.NOTAUTH
    assert t.error == dns.rcode.BADSIG and t.mac == b""
    with pytest.raises(dns.tsig.PeerBadSignature):
        dns.message.from_wire(udp(q, port), keyring=q.keyring,
                              request_mac=q.mac)
    out = subprocess.run(
        ["kdig", "@127.0.0.1", "-p", str(port), "-y",
         "hmac-sha256:%s:%s" % (keyname("hmac-sha256"), wrong), "www.test.",
         "A", "+retry=0", "+timeout=%d" % int(T)],
        capture_output=True, text=True, timeout=3 * T)
    # kdig shows NOTAUTH with TSIG error BADSIG as "status: BADSIG"
    assert "status: BADSIG" in out.stdout, out.stdout + out.stderr
    assert "TSIG\thmac-sha256. " in out.stdout, out.stdout


def sign_at(q, alg, t, fudge=300):
    """q's wire signed by dnspython at time t (dns.tsig.sign), TSIG
    appended: the request a client with a wrong clock sends."""
    key = dkey(alg)
    w = bytearray(q.to_wire())
    rd = dns.rdtypes.ANY.TSIG.TSIG(dns.rdataclass.ANY, dns.rdatatype.TSIG,
                                   key.algorithm, 0, fudge, b"", q.id, 0,
                                   b"")
    tsig, _ = dns.tsig.sign(bytes(w), key, rd, t)
    rdw = tsig.to_wire()
    w += dns.name.from_text(keyname(alg)).to_wire() + \
        struct.pack("!HHIH", 250, 255, 0, len(rdw)) + rdw
    w[10:12] = struct.pack("!H", struct.unpack("!H", w[10:12])[0] + 1)
    return bytes(w), tsig.mac


def check_reply_mac(wire, alg, request_mac):
    """Recomputes the reply's MAC (RFC 8945 4.3.1) with Python's hmac:
    request MAC, the reply without its TSIG, the variables."""
    import hashlib
    import hmac
    owner = dns.name.from_text(keyname(alg)).to_wire()
    i = wire.rindex(owner + b"\x00\xfa\x00\xff\x00\x00\x00\x00")
    rd = wire[i + len(owner) + 10:]
    an = rd[0] + 2
    alg_w = rd[:an]
    tf = rd[an:an + 8]
    maclen = struct.unpack("!H", rd[an + 8:an + 10])[0]
    mac = rd[an + 10:an + 10 + maclen]
    rest = rd[an + 10 + maclen:]     # orig id, error, other len, other
    hdr = bytearray(wire[:12])
    hdr[10:12] = struct.pack("!H", struct.unpack("!H", hdr[10:12])[0] - 1)
    digest = {"hmac-sha1": hashlib.sha1, "hmac-sha256": hashlib.sha256,
              "hmac-sha384": hashlib.sha384,
              "hmac-sha512": hashlib.sha512}[alg]
    h = hmac.new(base64.b64decode(SECRETS[alg]), digestmod=digest)
    h.update(struct.pack("!H", len(request_mac)) + request_mac)
    h.update(bytes(hdr) + wire[12:i])
    h.update(owner + b"\x00\xff\x00\x00\x00\x00" + alg_w + tf + rest[2:])
    assert hmac.compare_digest(h.digest(), mac)


@pytest.mark.parametrize("alg", sorted(ALGS))
def test_badtime_signed_with_server_time(server, alg):
    port, _ = server
    past = int(time.time()) - 3600
    wire, mac = sign_at(dns.message.make_query("www.test.", "A"), alg, past)
    reply = H.udp_raw(wire, port, timeout=T)
    rcode, t, _ = tsig_of(reply)
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADTIME
    assert t.time_signed == past                  # the request's
    assert len(t.other) == 6                      # and ours in Other Data
    assert abs(int.from_bytes(t.other, "big") - time.time()) < 30
    check_reply_mac(reply, alg, mac)
    with pytest.raises(dns.tsig.PeerBadTime):
        dns.message.from_wire(reply, keyring={dns.name.from_text(
            keyname(alg)): dkey(alg)}, request_mac=mac)
    # inside the fudge it is fine: the same check passes for a good reply
    wire, mac = sign_at(dns.message.make_query("www.test.", "A"), alg,
                        int(time.time()) - 200)
    reply = H.udp_raw(wire, port, timeout=T)
    rcode, t, _ = tsig_of(reply)
    assert rcode == dns.rcode.NOERROR and t.error == 0
    check_reply_mac(reply, alg, mac)


def test_badtime_future(server):
    port, _ = server
    wire, _ = sign_at(dns.message.make_query("www.test.", "A"),
                      "hmac-sha256", int(time.time()) + 100, fudge=10)
    rcode, t, _ = tsig_of(H.udp_raw(wire, port, timeout=T))
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADTIME


def raw_signed(q, mac_len=None, tweak=None):
    """q signed by dnspython, then its MAC cut to mac_len bytes (MAC Size
    field and RDLENGTH adjusted) or the wire changed by tweak(bytearray)."""
    w = bytearray(q.to_wire())
    t = q.tsig[0]
    if mac_len is not None:
        full = len(t.mac)
        mac = t.mac
        # find the MAC in the wire (it is unique)
        i = bytes(w).rindex(mac)
        size_at = i - 2
        assert struct.unpack("!H", w[size_at:size_at + 2])[0] == full
        w[size_at:size_at + 2] = struct.pack("!H", mac_len)
        del w[i + mac_len:i + full]
        # RDLENGTH: after owner(s) TYPE CLASS TTL; find TYPE 250 CLASS 255
        j = bytes(w).rindex(b"\x00\xfa\x00\xff\x00\x00\x00\x00")
        rdl = struct.unpack("!H", w[j + 8:j + 10])[0]
        w[j + 8:j + 10] = struct.pack("!H", rdl - (full - mac_len))
    if tweak:
        tweak(w)
    return bytes(w)


def test_truncated_mac_formerr_below_floor(server):
    port, _ = server
    for cut in (0, 9, 15):           # < max(10, 32/2)
        q = signed("www.test.", "A")
        wire = H.udp_raw(raw_signed(q, mac_len=cut), port, timeout=T)
        rcode, t, _ = tsig_of(wire)
        assert rcode == dns.rcode.FORMERR and t is None, cut


def test_truncated_mac_badtrunc(server):
    """A MAC cut to 16 of 32 bytes is legal (RFC 8945 5.2.2.1) but below
    our policy (full length): BADTRUNC, and that MAC checked first (a
    wrong truncated MAC is BADSIG)."""
    port, _ = server
    q = signed("www.test.", "A")
    wire = H.udp_raw(raw_signed(q, mac_len=16), port, timeout=T)
    rcode, t, _ = tsig_of(wire)
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADTRUNC
    assert len(t.mac) == 32

    def flip(w):
        w[-30] ^= 1                    # inside the cut MAC
    q = signed("www.test.", "A")
    wire = H.udp_raw(raw_signed(q, mac_len=16, tweak=flip), port, timeout=T)
    rcode, t, _ = tsig_of(wire)
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADSIG


def test_mac_longer_than_hash_formerr(server):
    port, _ = server
    q = signed("www.test.", "A", "hmac-sha1")
    w = bytearray(q.to_wire())
    # MAC Size 20 -> 21 and one more byte: longer than SHA-1's output
    i = bytes(w).rindex(q.tsig[0].mac)
    w[i - 2:i] = struct.pack("!H", 21)
    w[i + 20:i + 20] = b"\x00"
    j = bytes(w).rindex(b"\x00\xfa\x00\xff\x00\x00\x00\x00")
    rdl = struct.unpack("!H", w[j + 8:j + 10])[0]
    w[j + 8:j + 10] = struct.pack("!H", rdl + 1)
    rcode, t, _ = tsig_of(H.udp_raw(bytes(w), port, timeout=T))
    assert rcode == dns.rcode.FORMERR and t is None


def tsig_rr_wire(owner=b"\x07tsigkey\x00", alg=b"\x0bhmac-sha256\x00",
                 mac=b"\x00" * 32, other=b"", rdlen_delta=0, cls=255, ttl=0):
    rd = alg + struct.pack("!HIHH", 0, int(time.time()), 300, len(mac)) + \
        mac + struct.pack("!HHH", 0, 0, len(other)) + other
    return owner + struct.pack("!HHIH", 250, cls, ttl,
                               len(rd) + rdlen_delta) + rd


def query_wire(extra_ar=(), ancount_rrs=()):
    q = dns.message.make_query("www.test.", "A")
    w = bytearray(q.to_wire())
    for rr in ancount_rrs:
        w += rr
    for rr in extra_ar:
        w += rr
    w[6:8] = struct.pack("!H", len(ancount_rrs))
    w[10:12] = struct.pack("!H", len(extra_ar))
    return bytes(w)


OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"


@pytest.mark.parametrize("label,wire", [
    ("tsig not last", query_wire([tsig_rr_wire(), OPT])),
    ("two tsigs", query_wire([tsig_rr_wire(), tsig_rr_wire()])),
    ("tsig in answer", query_wire(ancount_rrs=[tsig_rr_wire()])),
    ("class IN", query_wire([tsig_rr_wire(cls=1)])),
    ("ttl not 0", query_wire([tsig_rr_wire(ttl=5)])),
    ("alg compressed", query_wire([tsig_rr_wire(alg=b"\xc0\x0c")])),
    ("alg label past rdata", query_wire([tsig_rr_wire(alg=b"\x3fab")])),
    ("rdlength short", query_wire([tsig_rr_wire(rdlen_delta=-3)])),
    ("other len past rdata", query_wire([tsig_rr_wire()[:-2] + b"\x00\x09"])),
    ("mac size past rdata", query_wire([tsig_rr_wire(mac=b"")[:-6 - 0]
                                        [:-2] + b"\xff\xff" +
                                        b"\x00\x00\x00\x00\x00\x00"])),
])
def test_malformed_tsig(server, label, wire):
    """FORMERR (or nothing), unsigned; the server keeps answering."""
    port, _ = server
    try:
        r = H.udp_raw(wire, port, timeout=1.0)
    except Exception:
        r = None
    if r is not None:
        rcode, t, _ = tsig_of(r)
        assert rcode == dns.rcode.FORMERR and t is None, label
    q = signed("www.test.", "A")
    assert parse_signed(udp(q, port), q).rcode() == dns.rcode.NOERROR


def test_unknown_alg_badkey(server):
    port, _ = server
    w = query_wire([tsig_rr_wire(owner=b"\x0fhmac-sha256\x03key\x00",
                                 alg=b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00",
                                 mac=b"\x00" * 16)])
    rcode, t, _ = tsig_of(H.udp_raw(w, port, timeout=T))
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADKEY


def test_compressed_key_name(server):
    """The key name may be a compression pointer (into the question)."""
    port, _ = server
    # key "www.test." would be compressed: a key of that name is not
    # configured, so BADKEY echoing the name read through the pointer
    q = dns.message.make_query("www.test.", "A")
    q.use_tsig(dns.tsig.Key("www.test.", SECRETS["hmac-sha256"],
                            dns.tsig.HMAC_SHA256))
    w = q.to_wire()
    rcode, t, kn = tsig_of(H.udp_raw(w, port, timeout=T))
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADKEY
    assert kn == dns.name.from_text("www.test.")


def test_counters(server):
    port, proc = server
    for name in ("tsig-ok", "tsig-badkey", "tsig-badsig", "tsig-badtime",
                 "tsig-badtrunc", "tsig-formerr"):
        assert H.counter_total(proc, name) > 0, name
    assert H.counter_total(proc, "tsig-unsigned") == 0


def test_no_keys_badkey(pool):
    """Without a key: section every TSIG is BADKEY (not a normal answer)."""
    port, _ = H.start_levee_extra(pool, "", reactors=1, name="levee-nokeys")
    q = signed("www.test.", "A")
    rcode, t, _ = tsig_of(udp(q, port))
    assert rcode == dns.rcode.NOTAUTH and t.error == dns.rcode.BADKEY


@pytest.mark.parametrize("text,err", [
    ("key:\n  - id: k\n    algorithm: hmac-md5\n    secret: AAAA\n",
     r":3: key 'algorithm': unknown algorithm"),
    ("key:\n  - id: k\n    algorithm: hmac-sha256\n    secret: 'no#base64'\n",
     r":4: key 'secret': expected base64"),
    ("key:\n  - id: k\n    algorithm: hmac-sha256\n    secret: AAAA\n"
     "  - id: K.\n    algorithm: hmac-sha1\n    secret: AAAA\n",
     r":5: key 'id': key 'K.' given twice \(line 5\)"),
    ("key:\n  - id: k\n    algorithm: hmac-sha256\n",
     r"key 'secret': missing in key entry"),
    ("key:\n  - id: 'a b'\n    algorithm: hmac-sha256\n    secret: AAAA\n",
     r":2: key 'id': expected a domain name"),
    ("acl:\n  - id: a\n    key: nokey\n    action: transfer\n",
     r":3: key 'key': no key 'nokey'"),
])
def test_config_errors(tmp_path, text, err):
    conf = tmp_path / "bad.yaml"
    conf.write_text("zones:\n  - domain: test.\n    file: %s\n%s" % (
        H.ZONES[0][1], text))
    r = H.run_levee(["--check", "-c", str(conf)])
    assert r.returncode == 2, r.stderr
    # lines count from the zones: lines (3) in front
    m = re.search(r"bad\.yaml:(\d+): (.*)", r.stderr)
    assert m, r.stderr
    line = int(m.group(1)) - 3
    assert re.search(err, ":%d: %s" % (line, m.group(2))), r.stderr


def test_config_acl_key(tmp_path):
    conf = tmp_path / "ok.yaml"
    conf.write_text("zones:\n  - domain: test.\n    file: %s\n%s"
                    "acl:\n  - id: xfr\n    key: [%s]\n    action: transfer\n"
                    % (H.ZONES[0][1], key_section(), keyname("hmac-sha256")))
    r = H.run_levee(["--check", "-c", str(conf)])
    assert r.returncode == 0, r.stderr


# --- the same requests against knotd (3.2) with the same keys ---

def start_knotd_keys(pool):
    """knotd serving the test zones with the four keys of this module."""
    port = H.free_port()
    d = os.path.join(pool.tmpdir, "knot-tsig")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    conf = os.path.join(d, "knot.conf")
    keys = "".join("  - id: %s\n    algorithm: %s\n    secret: %s\n" % (
        keyname(a), a, s) for a, s in SECRETS.items())
    zones = "".join("  - domain: %s\n    file: %s\n" % (o, f)
                    for o, f in H.ZONES)
    with open(conf, "w") as f:
        f.write("server:\n  rundir: %s\n  listen: 127.0.0.1@%d\n"
                "database:\n  storage: %s/db\nlog:\n  - target: stderr\n"
                "    any: info\nkey:\n%sacl:\n  - id: keys\n"
                "    key: [%s]\n    action: transfer\n"
                "template:\n  - id: default\n    acl: keys\n"
                "    storage: %s/db\n    zonefile-sync: -1\n"
                "    zonefile-load: whole\n    journal-content: none\n"
                "    semantic-checks: off\nzone:\n%s" % (
                    d, port, d, keys,
                    ", ".join(keyname(a) for a in SECRETS), d, zones))
    p = H.Proc("knotd-tsig", ["knotd", "-c", conf],
               os.path.join(d, "knotd.log"), cwd=H.DATA)
    pool.procs.append(p)
    H.wait_soa(port, [o for o, _ in H.ZONES], T * 4, proc=p)
    return port


def outcome(wire):
    """What a client sees of a TSIG reply: rcode, TSIG error, signed or
    not, Other Data length (None for no reply)."""
    if wire is None:
        return None
    rcode, t, _ = tsig_of(wire)
    if t is None:
        return (rcode, None)
    return (rcode, t.error, len(t.mac) > 0, len(t.other))


def test_errors_as_knotd(server, pool):
    port, _ = server
    kport = start_knotd_keys(pool)
    now = int(time.time())
    cases = {}
    q = signed("www.test.", "A")
    cases["valid"] = q.to_wire()
    q = dns.message.make_query("www.test.", "A")
    q.use_tsig(dns.tsig.Key("nosuch.key.", SECRETS["hmac-sha256"],
                            dns.tsig.HMAC_SHA256))
    cases["badkey"] = q.to_wire()
    cases["badsig"] = signed("www.test.", "A", secret=base64.b64encode(
        b"\x55" * 32).decode()).to_wire()
    cases["badtime"] = sign_at(dns.message.make_query("www.test.", "A"),
                               "hmac-sha256", now - 3600)[0]
    cases["mac below floor"] = raw_signed(signed("www.test.", "A"),
                                          mac_len=9)
    cases["truncated mac"] = raw_signed(signed("www.test.", "A"),
                                        mac_len=16)
    cases["nxdomain"] = signed("nonexistent.test.", "A").to_wire()
    cases["refused"] = signed("www.example.net.", "A").to_wire()
    differ = {}
    for name, w in cases.items():
        got = []
        for p in (port, kport):
            try:
                got.append(outcome(H.udp_raw(w, p, timeout=2 * H.SLOW)))
            except Exception:
                got.append(None)
        if got[0] != got[1]:
            differ[name] = got
    # Accepted differences (docs/tsig.md): a MAC below max(10, hash/2)
    # is BADSIG to knotd, FORMERR to us as RFC 8945 5.2.2.1 says; a name
    # in no zone of ours is REFUSED by both, unsigned by knotd (no zone, no
    # TSIG processing), signed by us (5.3: a signed request gets a signed
    # reply).
    accepted = {
        "mac below floor": [(dns.rcode.FORMERR, None),
                            (dns.rcode.NOTAUTH, dns.rcode.BADSIG, False, 0)],
        "refused": [(dns.rcode.REFUSED, 0, True, 0),
                    (dns.rcode.REFUSED, None)],
        # a legal truncated MAC (16 of 32 bytes): BADTRUNC (5.2.4) to us,
        # BADSIG to knotd (it supports no truncation)
        "truncated mac": [(dns.rcode.NOTAUTH, 22, True, 0),
                          (dns.rcode.NOTAUTH, dns.rcode.BADSIG, False, 0)],
    }
    for name, got in differ.items():
        assert accepted.get(name) == got, (name, got)
    assert "valid" not in differ and "badtime" not in differ
