"""test_bugs_pipeline.py -- regression tests for the query pipeline's
findings of issue 11 (each named test_bug_<slug>), against the real binary
and, where the answer is a matter of what the peers do, against knotd and
nsd serving the same zone.

  2  the reply's OPT could overflow the reply buffer (udp-max-payload 512,
     a long NSID, a REFUSED reply for a long name);
  8  unknown opcodes without a question got FORMERR (peers: NOTIMP);
 10  CNAME chains stopped one link short of the peers, and a DNAME was
     repeated once per substitution step.

Loopback only; every server is stopped by its pid at the end of its test.
"""

import os
import struct

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest

import levee_helpers as H

T = 2.0 * H.SLOW

CHAIN_ZONE = """$ORIGIN chain.test.
$TTL 300
@ SOA ns1 host 1 3600 600 86400 300
@ NS ns1
ns1 A 127.0.0.1
e1 CNAME e2
e2 CNAME e3
e3 CNAME e4
e4 CNAME e5
e5 CNAME e6
e6 A 127.0.0.66
f1 CNAME f2
f2 CNAME f3
f3 CNAME f4
f4 CNAME f5
f5 CNAME f6
k1 CNAME k2
k2 CNAME k3
k3 CNAME k4
k4 CNAME k5
k5 CNAME x.w
*.w A 127.0.0.9
c1 CNAME c2
c2 CNAME c3
c3 CNAME c4
c4 CNAME c5
c5 CNAME c6
c6 CNAME c7
c7 A 127.0.0.7
grow DNAME x.grow.chain.test.
dnr DNAME dns.chain.test.
dns DNAME dnr.chain.test.
"""


def chain_zone(tmpdir):
    path = os.path.join(str(tmpdir), "chain.test.zone")
    with open(path, "w") as f:
        f.write(CHAIN_ZONE)
    return [("chain.test.", path)]


def answer_of(port, name, rtype="A"):
    """(rcode, the answer's records as sorted text, ANCOUNT as sent: the
    parser merges duplicate records, the header count does not)."""
    q = dns.message.make_query(name, rtype)
    wire = H.udp_raw(q.to_wire(), port, timeout=T)
    assert wire is not None, "no reply for %s" % name
    r = dns.message.from_wire(wire)
    rrs = sorted(line for rs in r.answer for line in
                 rs.to_text().splitlines())
    return dns.rcode.to_text(r.rcode()), rrs, struct.unpack("!H", wire[6:8])[0]


def start_levee_on(pool, zones, **server):
    port = H.free_port()
    conf = H.levee_config(os.path.join(pool.tmpdir, "lv-%d.yaml" % port),
                          ["127.0.0.1@%d" % port], zones=zones, reactors=1,
                          rate_limit=0, **server)
    return port, pool.levee(["-c", conf])


@pytest.mark.asan
def test_bug_cname_chain_short(pool):
    """After the fifth CNAME, the target's own data is answered as knotd
    does (its data, its NXDOMAIN, a wildcard); no sixth CNAME."""
    zones = chain_zone(pool.tmpdir)
    lport, _ = start_levee_on(pool, zones)
    kport = H.free_port()
    pool.knotd(kport, zones=zones)
    for name in ("e1", "f1", "k1", "c1"):
        qn = name + ".chain.test."
        lv, kn = answer_of(lport, qn), answer_of(kport, qn)
        assert lv == kn, (qn, lv, kn)
    rc, rrs, _ = answer_of(lport, "e1.chain.test.")
    assert any(" A 127.0.0.66" in rr for rr in rrs), rrs


@pytest.mark.asan
def test_bug_dname_repeated(pool):
    """A chain through one DNAME puts it once (as knotd); a chain that comes
    back to a name it visited stops there, with no record twice (as nsd)."""
    zones = chain_zone(pool.tmpdir)
    lport, _ = start_levee_on(pool, zones)
    kport, nport = H.free_port(), H.free_port()
    pool.knotd(kport, zones=zones)
    pool.nsd(nport, zones=zones)
    lv = answer_of(lport, "a.grow.chain.test.")
    assert lv == answer_of(kport, "a.grow.chain.test.")
    assert sum(" DNAME " in rr for rr in lv[1]) == 1
    assert lv[2] == len(lv[1]) == 6, lv
    lv = answer_of(lport, "a.dnr.chain.test.")
    assert lv == answer_of(nport, "a.dnr.chain.test.")
    assert lv[2] == len(lv[1]) == 4, lv


def raw_opcode(opcode, question):
    hdr = struct.pack("!HHHHHH", 0x4242, opcode << 11, 1 if question else 0,
                      0, 0, 0)
    return hdr + (b"\x05chain\x04test\x00\x00\x01\x00\x01" if question else b"")


@pytest.mark.asan
def test_bug_notimp_opcode_noquestion(pool):
    """Opcodes 1, 2, 3, 6, 7 and 15 get NOTIMP with or without a question,
    as knotd, nsd and named (RFC 8906 8.1.4); the question is echoed when
    there is one (as knotd)."""
    zones = chain_zone(pool.tmpdir)
    lport, _ = start_levee_on(pool, zones)
    kport = H.free_port()
    pool.knotd(kport, zones=zones)
    for op in (1, 2, 3, 6, 7, 15):
        for question in (False, True):
            lv = H.udp_raw(raw_opcode(op, question), lport, timeout=T)
            kn = H.udp_raw(raw_opcode(op, question), kport, timeout=T)
            assert lv is not None and kn is not None
            assert lv[3] & 0xf == 4, (op, question, lv[:12])
            assert (lv[2] >> 3) & 0xf == op
            assert lv == kn, (op, question, lv, kn)


@pytest.mark.asan
def test_bug_opt_overflow(pool):
    """udp-max-payload 512, an NSID of 200 octets, a client cookie and a
    REFUSED reply for a 255-octet name: header, question and the whole OPT
    would take 520 octets. The reply stays within 512 with its OPT and
    cookie (NSID left out), and an ASan build finds no write past the
    reply slot."""
    nsid = "n" * 200
    lport, p = start_levee_on(pool, chain_zone(pool.tmpdir),
                              udp_max_payload=512, nsid=nsid)
    name = ".".join(["a"] * 127) + "."          # 255 octets on the wire
    for with_nsid in (True, False):
        opts = [dns.edns.GenericOption(10, b"\x01" * 8)]
        if with_nsid:
            opts.append(dns.edns.GenericOption(3, b""))
        q = dns.message.make_query(name, "TXT", use_edns=0, payload=4096,
                                   options=opts)
        wire = H.udp_raw(q.to_wire(), lport, timeout=T)
        assert wire is not None
        assert len(wire) <= 512, len(wire)
        r = dns.message.from_wire(wire)
        assert r.rcode() == dns.rcode.REFUSED
        assert r.edns == 0
        codes = [o.otype for o in r.options]
        assert 10 in codes, codes                 # the cookie stays
    # A name that fits leaves room: NSID and EDE are sent.
    q = dns.message.make_query("www.example.", "A", use_edns=0,
                               options=[dns.edns.GenericOption(3, b"")])
    r = dns.message.from_wire(H.udp_raw(q.to_wire(), lport, timeout=T))
    assert sorted(o.otype for o in r.options) == [3, 15]
