"""test_bug_dname_occluded.py -- issue 11, finding 7: data below a DNAME.

With `d DNAME t.` and `x.d DNAME y.` below it, Levee answered a query
under x.d through the lower DNAME.  RFC 6672 2.4 forbids data below a
DNAME and lets a server refuse such a zone or occlude the data.  knotd
3.2.6 refuses it (a mandatory semantic check, even with semantic-checks
off: "child record exists under DNAME"), nsd too; Levee now does the same,
naming the file, the line of the first record below the DNAME and the
rule (docs/decisions.md, "Zone loading").

Levee and knotd serve the same two zones side by side on loopback:
tests/data/dname-occluded.zone (occ.: the finding's zone, with more data
below the DNAME) and tests/data/dname-ok.zone (dok.: the same names
without the data below d).  Both refuse occ. and serve nothing from it;
for dok. every query at and below the names that were occluded in occ.
gets the same answer from both, redirected by the DNAME at d.
"""

import os
import re

import pytest

import dnsdiff as D
import levee_helpers as H

pytestmark = pytest.mark.asan

OCC = ("occ.", os.path.join(H.DATA, "dname-occluded.zone"))
DOK = ("dok.", os.path.join(H.DATA, "dname-ok.zone"))

# At and below the names that lie below the DNAME at d in occ.
NAMES = ["d", "x.d", "a.x.d", "b.x.d", "z.d", "w.z.d", "nx.d", "*.d"]
TYPES = ["A", "DNAME", "TXT", "CNAME", "ANY"]

# The fields an answer is judged by (the differential test's other
# fields, EDNS and the like, are not what this finding is about).
FIELDS = ["rcode", "AA", "TC", "answer", "authority", "additional"]


@pytest.fixture(scope="module")
def servers(module_pool):
    lp, kp = H.free_port(), H.free_port()
    conf = H.levee_config(os.path.join(module_pool.tmpdir, "levee.yaml"),
                          ["127.0.0.1@%d" % lp], zones=[OCC, DOK],
                          rate_limit=0, log_level="debug")  # "zone X loaded"
    levee = module_pool.levee(["-c", conf])
    knot = module_pool.knotd(kp, zones=[OCC, DOK], ready=[DOK[0]])
    return {"levee": lp, "knot": kp, "levee_proc": levee, "knot_proc": knot}


def queries(zone):
    out = []
    for n in NAMES:
        for t in TYPES:
            for tcp in (False, True):
                q = D.Query("%s.%s" % (n, zone), t, edns=1232, tcp=tcp)
                q.qid = 4711
                out.append(q)
    return out


def test_bug_dname_occluded_refused_as_knotd(servers):
    """Both refuse the zone; Levee names file, line and reason."""
    lv = servers["levee_proc"].text()
    m = re.search(r"zone occ refused: (\S+):(\d+): (.*)", lv)
    assert m, lv
    assert m.group(1) == OCC[1]
    assert int(m.group(2)) == 11, m.group(0)   # x.d DNAME, below d
    assert m.group(3) == ("DNAME at x.d.occ. is below the DNAME at d.occ. "
                          "(RFC 6672 2.4)")
    assert re.search(r"zone dok loaded", lv), lv
    kn = servers["knot_proc"].wait_log(
        r"\[occ\.\] check, node d\.occ\., child record exists under DNAME",
        10 * H.SLOW)
    assert kn
    # --check says so too, with exit status 1 (a refused zone).
    r = H.run_levee(["--check", "-z", "%s=%s" % OCC])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "dname-occluded.zone:11: DNAME at x.d.occ. is below" in r.stderr


def test_bug_dname_occluded_nothing_served(servers):
    """No occluded data (nor anything else) of the refused zone is served,
    at and below every name: sections empty, no AA.  The rcode differs:
    a zone Levee refused is not in its database, so its names get REFUSED
    as any name outside Levee's zones; knotd, which keeps the failed zone
    configured, answers SERVFAIL (docs/decisions.md, "Zone loading")."""
    for q in queries(OCC[0]):
        lv = D.fields(D.ask(q, servers["levee"], 2 * H.SLOW))
        kv = D.fields(D.ask(q, servers["knot"], 2 * H.SLOW))
        for f, rcode in ((lv, "REFUSED"), (kv, "SERVFAIL")):
            assert f.get("reply") == "yes", str(q)
            assert f["rcode"] == rcode, (str(q), f)
            assert not f["AA"], (str(q), f)
            assert not (f["answer"] or f["authority"] or f["additional"]), \
                (str(q), f)


def test_bug_dname_occluded_redirected_as_knotd(servers):
    """Without the occluded data, every name at and below d is redirected
    by d (and x.t's DNAME after it), exactly as knotd answers."""
    bad = []
    for q in queries(DOK[0]):
        lv = D.fields(D.ask(q, servers["levee"], 2 * H.SLOW))
        kv = D.fields(D.ask(q, servers["knot"], 2 * H.SLOW))
        assert lv.get("reply") == "yes" and kv.get("reply") == "yes", str(q)
        if q.qtype == "ANY":
            # RFC 8482: a subset; the differential test checks ANY at
            # length. Here only: nothing from below d.
            assert lv["rcode"] == kv["rcode"], str(q)
            continue
        for k in FIELDS:
            if lv[k] != kv[k]:
                bad.append("%s: %s levee %s knotd %s" % (q, k, lv[k], kv[k]))
    assert not bad, "\n".join(bad)
    # The finding's query: under x.d, through d (not through a DNAME at
    # x.d, which dok. does not have and occ. may not have).
    q = D.Query("a.x.d.dok.", "A", edns=1232)
    q.qid = 4712
    ans = D.fields(D.ask(q, servers["levee"], 2 * H.SLOW))["answer"]
    assert "d.dok. 300 IN DNAME t.dok." in ans, ans
    assert "a.x.d.dok. 300 IN CNAME a.x.t.dok." in ans, ans
    assert "a.y.dok. 300 IN A 127.0.0.8" in ans, ans
