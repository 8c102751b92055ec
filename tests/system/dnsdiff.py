"""dnsdiff.py -- the query corpus and the field-by-field response comparison
used by test_differential.py (Levee against knotd, nsd as the tie-breaker).

The corpus is generated deterministically (fixed seed) from the owner names
of the zones in tests/data plus hand-picked edge cases; each entry is a Query
that knows how to build its own wire message.  compare() turns two replies
into a list of (field, a_value, b_value) differences; fields are "reply",
"parse", "id", "opcode", "question", "rcode", the flags by name, "edns",
"edns-version", "edns-payload", "edns-do", "edns-options", "answer",
"authority" and "additional" (sections compared as multisets of RRs with
their TTLs; owner names case-insensitively, question case-sensitively).
"""

import os
import random

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

import levee_helpers as H

FLAGS = ["QR", "AA", "TC", "RD", "RA", "CD", "AD"]
TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "DS", "ANY", "CNAME", "SRV",
         "PTR", "CAA", "TYPE65400", "DNAME", "NSEC", "RRSIG", "HINFO"]


class Query:
    def __init__(self, name, qtype="A", qclass="IN", edns=None, do=False, nsid=False,
                 tcp=False, rd=True, cd=False, opcode=0, edns_version=0, tag=""):
        self.name, self.qtype, self.qclass = name, qtype, qclass
        self.edns, self.do, self.nsid = edns, do, nsid      # edns: payload or None
        self.tcp, self.rd, self.cd = tcp, rd, cd
        self.opcode, self.edns_version, self.tag = opcode, edns_version, tag

    def message(self, qid):
        m = dns.message.make_query(self.name, self.qtype, self.qclass)
        m.id = qid
        m.flags = 0
        if self.rd:
            m.flags |= dns.flags.RD
        if self.cd:
            m.flags |= dns.flags.CD
        m.set_opcode(self.opcode)
        if self.edns is not None:
            opts = [dns.edns.GenericOption(dns.edns.NSID, b"")] if self.nsid else []
            m.use_edns(self.edns_version, dns.flags.DO if self.do else 0,
                       self.edns, options=opts)
        return m

    def wire(self, qid):
        return self.message(qid).to_wire()

    def __str__(self):
        s = "%s %s %s" % (self.name, self.qclass, self.qtype)
        if self.opcode:
            s += " opcode=%s" % dns.opcode.to_text(self.opcode)
        if self.edns is not None:
            s += " edns%d=%d" % (self.edns_version, self.edns)
            s += "+do" if self.do else ""
            s += "+nsid" if self.nsid else ""
        s += " tcp" if self.tcp else " udp"
        s += "" if self.rd else " -rd"
        s += " +cd" if self.cd else ""
        return s


def zone_names():
    """Owner names of the zones in tests/data, in file order, deduplicated."""
    names = []
    cwd = os.getcwd()
    os.chdir(H.DATA)  # $INCLUDE is relative to the zone directory
    try:
        for origin, path in H.ZONES:
            z = dns.zone.from_file(path, origin, relativize=False,
                                   check_origin=False, allow_include=True)
            for n in sorted(z.nodes.keys()):
                t = n.to_text()
                if t not in names:
                    names.append(t)
    finally:
        os.chdir(cwd)
    return names


def random_case(rng, name):
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def corpus(seed=20240101):
    rng = random.Random(seed)
    qs = []

    def transport_variants():
        r = rng.random()
        kw = {}
        if r < 0.3:
            kw["edns"] = None
        else:
            kw["edns"] = rng.choice([512, 1232, 4096])
            kw["do"] = rng.random() < 0.2
            kw["nsid"] = rng.random() < 0.1
        kw["tcp"] = rng.random() < 0.15
        kw["rd"] = rng.random() < 0.7
        kw["cd"] = rng.random() < 0.05
        return kw

    names = zone_names()
    extra = [
        # NXDOMAIN, below existing names, below empty non-terminals.
        "nx.test.", "nx.www.test.", "a.b.c.nx.test.", "nx.a.ent.test.", "a.ent.test.",
        "ent.test.", "nx.sub.test.", "nx.example.org.", "b.www.example.org.",
        # wildcards: expansion, multi-label, blocked, wildcard ENT, CNAME.
        "foo.wild.test.", "a.b.c.wild.test.", "x.exists.wild.test.", "sub.wild2.test.",
        "x.sub.wild2.test.", "other.wild2.test.", "foo.cw.test.", "a.b.cw.test.",
        "x.wc.sub.test.",
        # DNAME: substitution, into own zone (chased), across zones, too long.
        "www.dn.test.", "a.b.dn.test.", "x.dnself.test.", "exists.dnself.test.",
        "x.dnlong.test.", ("s" * 63) + ".dnlong.test.",
        # under delegations: referral, glue, DS at the cut.
        "www.deleg.test.", "a.b.deleg.test.", "ns.deleg.test.", "x.outdeleg.test.",
        "x.odeleg.test.", "www.sub.test.", "ns1.sub.test.",
        # out of every zone: REFUSED.
        "example.com.", "www.example.net.", "org.", ".", "tes.",
        # inside the include, and after it.
        "x.inc.test.", "deep.inc.test.",
    ]
    for n in extra:
        if n not in names:
            names.append(n)

    for n in names:
        types = ["A", "ANY"] + rng.sample(TYPES, 3)
        for t in dict.fromkeys(types):
            name = random_case(rng, n) if rng.random() < 0.25 else n
            qs.append(Query(name, t, **transport_variants()))

    # Fixed edge cases, each in several transports.
    fixed = [
        ("big.test.", "TXT"), ("test.", "NS"), ("test.", "MX"), ("_sip._udp.test.", "SRV"),
        ("sub.test.", "DS"), ("deleg.test.", "DS"), ("deleg.test.", "NS"),
        ("sub.test.", "NS"), ("sub.test.", "SOA"), ("outdeleg.test.", "DS"),
        ("c1.test.", "A"), ("loop1.test.", "A"), ("self.test.", "A"),
        ("cnx.test.", "A"), ("cother.test.", "A"), ("cdeleg.test.", "A"),
        ("www.test.", "TXT"), ("unknown.test.", "TYPE65400"),
    ]
    for n, t in fixed:
        for edns in (None, 512, 1232, 4096):
            qs.append(Query(n, t, edns=edns))
        qs.append(Query(n, t, edns=1232, tcp=True))
        qs.append(Query(n, t, tcp=True))

    # CHAOS and other classes.
    for n in ("id.server.", "hostname.bind.", "version.bind.", "version.server.",
              "authors.bind.", "nx.server.", "test."):
        for t in ("TXT", "A", "ANY"):
            qs.append(Query(n, t, qclass="CH"))
        qs.append(Query(n, "TXT", qclass="CH", edns=1232, nsid=True))
        qs.append(Query(n, "TXT", qclass="CH", tcp=True))
    for n in ("www.test.", "test.", "id.server."):
        qs.append(Query(n, "A", qclass="HS"))
        qs.append(Query(n, "TXT", qclass="HS", edns=1232))

    # EDNS: versions, NSID, DO, odd sizes.
    qs.append(Query("www.test.", "A", edns=1232, edns_version=1))
    qs.append(Query("nx.test.", "A", edns=1232, edns_version=1))
    qs.append(Query("www.test.", "A", edns=1232, nsid=True))
    qs.append(Query("www.test.", "A", edns=1232, nsid=True, tcp=True))
    qs.append(Query("www.test.", "A", edns=1232, do=True))
    qs.append(Query("www.test.", "A", edns=100))
    qs.append(Query("www.test.", "A", edns=65535))
    # Opcodes other than QUERY, zone transfers over UDP.
    for op in (1, 2, 5):
        qs.append(Query("test.", "SOA", opcode=op))
    qs.append(Query("test.", "AXFR"))
    qs.append(Query("test.", "IXFR"))

    for i, q in enumerate(qs):
        q.qid = (i * 7919 + 1) & 0xFFFF
    return qs


def _rrs(section):
    out = []
    for rrset in section:
        for rd in rrset:
            out.append("%s %d %s %s %s" % (
                rrset.name.to_text().lower(), rrset.ttl,
                dns.rdataclass.to_text(rrset.rdclass),
                dns.rdatatype.to_text(rrset.rdtype),
                rd.to_text().lower() if rrset.rdtype != dns.rdatatype.TXT else rd.to_text()))
    return sorted(out)


def fields(data):
    """The comparable fields of one reply (bytes or None) as a dict."""
    if data is None:
        return {"reply": None}
    try:
        m = dns.message.from_wire(data, ignore_trailing=True)
    except Exception as e:  # noqa: BLE001 -- any parse failure is a field
        return {"reply": "yes", "parse": type(e).__name__}
    f = {"reply": "yes", "parse": "ok", "id": m.id, "opcode": m.opcode(),
         "question": [(r.name.to_text(), r.rdclass, r.rdtype) for r in m.question],
         "rcode": dns.rcode.to_text(m.rcode())}
    for fl in FLAGS:
        f[fl] = bool(m.flags & getattr(dns.flags, fl))
    f["edns"] = m.edns >= 0
    if m.edns >= 0:
        f["edns-version"] = m.edns
        f["edns-payload"] = m.payload
        f["edns-do"] = bool(m.ednsflags & dns.flags.DO)
        f["edns-options"] = sorted((o.otype, o.to_wire().hex()) for o in m.options)
    for sec, name in ((m.answer, "answer"), (m.authority, "authority"),
                      (m.additional, "additional")):
        f[name] = _rrs(sec)
    return f


def compare(a, b):
    """Differences between two replies: [(field, a_value, b_value)]."""
    fa, fb = fields(a), fields(b)
    out = []
    for k in list(dict.fromkeys(list(fa) + list(fb))):
        if fa.get(k) != fb.get(k):
            out.append((k, fa.get(k), fb.get(k)))
    return out


def ask(q, port, timeout):
    """Send q (over its transport) and return the reply bytes or None.  A
    UDP query that gets nothing is sent once more (loopback should not lose
    datagrams, but a silent server must be told from a lost packet)."""
    wire = q.wire(q.qid)
    if q.tcp:
        return H.tcp_raw(wire, port, timeout=timeout)
    for _ in range(2):
        data = H.udp_raw(wire, port, timeout=timeout)
        if data is not None:
            return data
    return None


if __name__ == "__main__":
    # Print the corpus, one query a line (tests/data/corpus/differential.txt
    # is this output, for reading and for other tools; the test regenerates
    # the corpus itself, so the file cannot go stale in a way that matters).
    print("# differential corpus: generated by tests/system/dnsdiff.py (seed 20240101)")
    print("# id name class type [opcode=] [ednsV=payload[+do][+nsid]] udp|tcp [-rd] [+cd]")
    for q in corpus():
        print("%d %s" % (q.qid, q))
