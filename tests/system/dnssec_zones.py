"""dnssec_zones.py -- signed test zones, made at test time, and their corpus.

make(tmpdir, denial) writes a parent zone with every answer case of a
signed zone (positive, CNAME and DNAME chains, NXDOMAIN, NODATA at a name
and at an empty non-terminal, wildcard answers and wildcard NODATA, a
secure and an insecure delegation), a signed child below the secure cut
and an unsigned child below the insecure one, signs them with algorithm 13
(ECDSA P-256: dnssec-keygen, dnssec-signzone) with signatures valid from
an hour ago for 30 days (made at test time, so they never expire in the
repository), and returns the zones, the parent's trust anchor (its KSK's
DNSKEY) and a corpus of queries, each with the status a validator must
give it.  denial: "nsec", "nsec3" (1 extra iteration... no: 0, RFC 9276)
or "optout" (NSEC3 with opt-out: the insecure delegation is in an opt-out
span, so its answers are insecure, as unbound 1.17 reports them).
"""

import os
import subprocess

N = 20   # queries per case


def _run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv),
                                       r.stderr.decode("utf-8", "replace")))
    return r.stdout.decode().strip()


def _keys(d, origin):
    ksk = _run(["dnssec-keygen", "-q", "-a", "13", "-f", "KSK", origin], d)
    zsk = _run(["dnssec-keygen", "-q", "-a", "13", origin], d)
    return ksk, zsk


def _sign(d, origin, src, out, ksk, zsk, denial, iterations=0):
    argv = ["dnssec-signzone", "-q", "-o", origin, "-s", "now-3600",
            "-e", "now+2592000", "-f", out]
    if denial in ("nsec3", "optout"):
        argv += ["-3", "-", "-H", str(iterations)]
        if denial == "optout":
            argv += ["-A"]
    argv += [src, ksk, zsk]
    _run(argv, d)


def _keyline(d, key):
    with open(os.path.join(d, key + ".key")) as f:
        for line in f:
            if not line.startswith(";") and "DNSKEY" in line:
                return " ".join(line.split())
    raise RuntimeError("no DNSKEY in %s" % key)


def parent_text(origin):
    L = ["$ORIGIN %s" % origin, "$TTL 3600",
         "@ SOA ns1 host 1 3600 900 604800 300", "@ NS ns1",
         "ns1 A 127.0.0.1", "www A 192.0.2.1", "www AAAA 2001:db8::1",
         "mail MX 10 www", "dn DNAME tgt",
         "*.wild A 192.0.2.9", "*.wild TXT \"wild\"",
         "secure NS ns.secure", "ns.secure A 127.0.0.1",
         "insecure NS ns.insecure", "ns.insecure A 127.0.0.1"]
    for i in range(N):
        L += ["h%d A 192.0.2.%d" % (i, 10 + i),
              "c%d CNAME h%d" % (i, i),
              "cc%d CNAME c%d" % (i, i),
              "x%d.tgt A 192.0.2.%d" % (i, 100 + i),
              "a.e%d.ent TXT \"ent %d\"" % (i, i)]
    return "\n".join(L) + "\n"


def make(tmpdir, denial, tag=None, iterations=0):
    """Signed zones in tmpdir/dnssec-<tag>; returns a dict: zones [(origin,
    file)], origin, anchor (DNSKEY text), corpus [(qname, qtype, status,
    rcode)]."""
    tag = tag or denial
    origin = "%s.test." % tag
    d = os.path.join(str(tmpdir), "dnssec-" + tag)
    os.makedirs(d, exist_ok=True)
    child = "secure." + origin
    cksk, czsk = _keys(d, child)
    ds = _run(["dnssec-dsfromkey", "-2", cksk + ".key"], d)
    pksk, pzsk = _keys(d, origin)
    with open(os.path.join(d, "parent.zone"), "w") as f:
        f.write(parent_text(origin) + ds + "\n")
        f.write("$INCLUDE %s.key\n$INCLUDE %s.key\n" % (pksk, pzsk))
    with open(os.path.join(d, "child.zone"), "w") as f:
        f.write("$ORIGIN %s\n$TTL 3600\n@ SOA ns host 1 3600 900 604800 300\n"
                "@ NS ns\nns A 127.0.0.1\nwww A 192.0.2.20\n"
                "$INCLUDE %s.key\n$INCLUDE %s.key\n" % (child, cksk, czsk))
    insecure = "insecure." + origin
    with open(os.path.join(d, "insecure.zone"), "w") as f:
        f.write("$ORIGIN %s\n$TTL 3600\n@ SOA ns host 1 3600 900 604800 300\n"
                "@ NS ns\nns A 127.0.0.1\n" % insecure +
                "".join("h%d A 192.0.2.%d\n" % (i, 50 + i) for i in range(N)))
    _sign(d, origin, "parent.zone", "parent.signed", pksk, pzsk, denial,
          iterations)
    _sign(d, child, "child.zone", "child.signed", cksk, czsk, denial)
    ins = "insecure" if denial == "optout" else "secure"
    # dnssec-signzone -A sets the opt-out flag on every NSEC3: a proof
    # that rests on a covering NSEC3 (NXDOMAIN, a wildcard answer) is
    # then insecure for unbound (RFC 5155 9.2); a matching one is not
    cov = ins
    C = []
    for i in range(N):
        C += [("h%d.%s" % (i, origin), "A", "secure", "NOERROR"),
              ("cc%d.%s" % (i, origin), "A", "secure", "NOERROR"),
              ("x%d.dn.%s" % (i, origin), "A", "secure", "NOERROR"),
              ("nx%d.dn.%s" % (i, origin), "A", cov, "NXDOMAIN"),
              ("nx%d.%s" % (i, origin), "A", cov, "NXDOMAIN"),
              ("a.b.nx%d.%s" % (i, origin), "AAAA", cov, "NXDOMAIN"),
              ("h%d.%s" % (i, origin), "MX", "secure", "NOERROR"),
              ("e%d.ent.%s" % (i, origin), "A", "secure", "NOERROR"),
              ("w%d.wild.%s" % (i, origin), "A", cov, "NOERROR"),
              ("w%d.wild.%s" % (i, origin), "MX", cov, "NOERROR"),
              ("n%d.secure.%s" % (i, origin), "A", cov, "NXDOMAIN"),
              ("h%d.insecure.%s" % (i, origin), "A", "insecure",
               "NOERROR")]
    C += [("www.secure.%s" % origin, "A", "secure", "NOERROR"),
          ("secure.%s" % origin, "DS", "secure", "NOERROR"),
          ("insecure.%s" % origin, "DS", ins, "NOERROR"),
          (origin, "DNSKEY", "secure", "NOERROR"),
          ("mail.%s" % origin, "MX", "secure", "NOERROR"),
          ("www.%s" % origin, "AAAA", "secure", "NOERROR")]
    return {
        "dir": d, "origin": origin,
        "zones": [(origin, os.path.join(d, "parent.signed")),
                  (child, os.path.join(d, "child.signed")),
                  (insecure, os.path.join(d, "insecure.zone"))],
        "unsigned": [(origin, os.path.join(d, "parent.zone"))],
        "anchor": _keyline(d, pksk),
        "corpus": C,
    }
