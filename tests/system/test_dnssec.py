"""test_dnssec.py -- issue 15: answers from pre-signed zones, proven by a
validating resolver.

Zones are signed at test time (dnssec_zones.py: algorithm 13) and served
by Levee on a free loopback port.  One unbound (Debian's, 1.17), started
here on another free port, has Levee as the stub for each test zone (and
for ".", so nothing leaves loopback: Levee refuses every other name), the
parent's KSK as its trust anchor and aggressive-nsec off, so every query
of the corpus reaches Levee and is validated: each must come back with
its rcode and with AD set exactly when it is expected secure, never
SERVFAIL.  Negative controls prove the test can fail: the same corpus
against the zone with its RRSIGs stripped, and against a wrong trust
anchor, gives SERVFAIL (bogus).  delv checks a few answers straight from
Levee with its own validator.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

import dnssec_zones as Z
import levee_helpers as H


def unbound_conf(path, port, levee_port, stubs, anchor):
    L = ["server:",
         "  interface: 127.0.0.1", "  port: %d" % port,
         "  do-not-query-localhost: no", "  aggressive-nsec: no",
         "  qname-minimisation: no", "  num-threads: 1",
         "  use-syslog: no", '  logfile: ""', '  chroot: ""',
         '  username: ""', '  pidfile: ""',
         "  directory: \"%s\"" % os.path.dirname(path),
         '  module-config: "validator iterator"',
         "  access-control: 127.0.0.0/8 allow",
         "  val-log-level: 2", "  verbosity: 1",
         "  harden-referral-path: no", "  target-fetch-policy: \"0 0 0 0 0\"",
         "  prefetch: no", "  minimal-responses: yes",
         '  local-zone: "test." nodefault',
         '  trust-anchor: "%s"' % anchor]
    for s in stubs + ["."]:
        L += ["stub-zone:", '  name: "%s"' % s,
              "  stub-addr: 127.0.0.1@%d" % levee_port]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def start_unbound(pool, levee_port, stubs, anchor, name="unbound"):
    port = H.free_port()
    conf = os.path.join(pool.tmpdir, "%s-%d.conf" % (name, port))
    unbound_conf(conf, port, levee_port, stubs, anchor)
    p = H.Proc(name, ["unbound", "-d", "-c", conf],
               os.path.join(pool.tmpdir, "%s-%d.log" % (name, port)))
    pool.procs.append(p)
    q = dns.message.make_query("version.server.", "TXT", "CH")
    deadline = time.monotonic() + 10 * H.SLOW
    while True:
        try:
            H.udp_msg(q, port, timeout=0.5)
            return port, p
        except Exception:
            if not p.alive() or time.monotonic() > deadline:
                raise AssertionError("unbound did not start:\n" + p.tail())
            time.sleep(0.05)


def ask(port, qname, qtype, tries=3):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    q.flags |= dns.flags.RD
    for k in range(tries):
        try:
            return H.udp_msg(q, port, timeout=2.0 * H.SLOW)
        except Exception:
            if k == tries - 1:
                raise


def run_corpus(port, corpus):
    """Every query of the corpus through the validator; the mismatches."""
    bad = []
    for qname, qtype, status, rcode in corpus:
        r = ask(port, qname, qtype)
        got_rc = dns.rcode.to_text(r.rcode())
        got = "secure" if r.flags & dns.flags.AD else "insecure"
        if got_rc != rcode or got != status:
            bad.append("%s %s: %s %s, expected %s %s" % (
                qname, qtype, got_rc, got, rcode, status))
    return bad


def levee_for(pool, zones, name="levee"):
    port = H.free_port()
    conf = H.levee_config(os.path.join(pool.tmpdir, "%s.yaml" % name),
                          ["127.0.0.1@%d" % port], zones=zones, rate_limit=0)
    return port, pool.levee(["-c", conf], name=name)


@pytest.fixture(scope="module")
def nsec(module_pool):
    return Z.make(module_pool.tmpdir, "nsec")


@pytest.fixture(scope="module")
def nsec3(module_pool):
    return Z.make(module_pool.tmpdir, "nsec3")


@pytest.fixture(scope="module")
def optout(module_pool):
    return Z.make(module_pool.tmpdir, "optout")


def stubs_of(z):
    return [o for o, _ in z["zones"]]


@pytest.mark.asan
def test_nsec_corpus_validates(pool, nsec):
    """Every answer of the NSEC zone's corpus (>= 20 per case) validates
    in unbound with the status it must have: no SERVFAIL, no bogus."""
    lp, _ = levee_for(pool, nsec["zones"])
    up, ub = start_unbound(pool, lp, stubs_of(nsec), nsec["anchor"])
    assert len(nsec["corpus"]) >= 240
    bad = run_corpus(up, nsec["corpus"])
    assert not bad, "%d of %d:\n%s\n%s" % (len(bad), len(nsec["corpus"]),
                                          "\n".join(bad[:30]), ub.tail(30))


def test_nsec3_corpus_validates(pool, nsec3, optout):
    """The same corpus for an NSEC3 zone and an NSEC3 opt-out zone, served
    side by side through one unbound: every answer with its status."""
    lp, _ = levee_for(pool, nsec3["zones"] + optout["zones"])
    stubs = stubs_of(nsec3) + stubs_of(optout)
    # one anchor each: unbound takes several trust-anchor lines
    up, ub = start_unbound(pool, lp, stubs, nsec3["anchor"] + '"\n' +
                           '  trust-anchor: "' + optout["anchor"])
    corpus = nsec3["corpus"] + optout["corpus"]
    bad = run_corpus(up, corpus)
    assert not bad, "%d of %d:\n%s\n%s" % (len(bad), len(corpus),
                                          "\n".join(bad[:40]), ub.tail(30))


def strip_rrsigs(src, dst):
    out = subprocess.run(["ldns-read-zone", "-s", src], check=True,
                         stdout=subprocess.PIPE, timeout=30).stdout
    with open(dst, "wb") as f:
        f.write(out)


def test_nsec_negative_controls(pool, nsec):
    """The test can fail: with the RRSIGs stripped, or with a wrong trust
    anchor, unbound answers the secure part of the corpus SERVFAIL."""
    stripped = os.path.join(nsec["dir"], "parent.stripped")
    strip_rrsigs(nsec["zones"][0][1], stripped)
    sample = [c for c in nsec["corpus"] if c[2] == "secure"][::10]
    zones = [(nsec["origin"], stripped)] + nsec["zones"][1:]
    lp, _ = levee_for(pool, zones, name="levee-stripped")
    up, _ = start_unbound(pool, lp, stubs_of(nsec), nsec["anchor"],
                          name="unbound-stripped")
    for qname, qtype, _, _ in sample[:8]:
        assert ask(up, qname, qtype).rcode() == dns.rcode.SERVFAIL, qname
    # a wrong anchor: another key of the same algorithm
    other = Z.make(pool.tmpdir, "nsec", tag="nsec-other")
    wrong = other["anchor"].replace("nsec-other.test.", nsec["origin"])
    lp2, _ = levee_for(pool, nsec["zones"], name="levee-anchor")
    up2, _ = start_unbound(pool, lp2, stubs_of(nsec), wrong,
                           name="unbound-anchor")
    for qname, qtype, _, _ in sample[:8]:
        assert ask(up2, qname, qtype).rcode() == dns.rcode.SERVFAIL, qname


def test_nsec_delv(pool, nsec):
    """delv, with the zone's key as its anchor, validates answers straight
    from Levee: fully validated, never a validation failure."""
    lp, _ = levee_for(pool, nsec["zones"])
    anchors = os.path.join(nsec["dir"], "delv.anchors")
    f = nsec["anchor"].split()
    k = f.index("DNSKEY")
    with open(anchors, "w") as fh:
        fh.write('trust-anchors { %s static-key %s %s %s "%s"; };\n' % (
            f[0], f[k + 1], f[k + 2], f[k + 3], "".join(f[k + 4:])))
    o = nsec["origin"]
    for qname, qtype, want in [("www." + o, "A", "fully validated"),
                               ("w1.wild." + o, "A", "fully validated"),
                               ("nx1." + o, "A", "fully validated"),
                               ("h1." + o, "MX", "fully validated"),
                               ("e1.ent." + o, "A", "fully validated"),
                               ("cc1." + o, "A", "fully validated")]:
        r = subprocess.run(["delv", "-a", anchors, "-p", str(lp),
                            "@127.0.0.1", "+root=" + o, qname, qtype],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        text = r.stdout.decode()
        # a negative answer reads "resolution failed: ncache nxdomain"
        # (or ncache nxrrset) and then "negative response, fully validated"
        assert want in text and "SERVFAIL" not in text and \
            "broken trust chain" not in text and "insecurity" not in text, \
            "%s %s:\n%s" % (qname, qtype, text)


def test_nsec3_iterations_warn(pool):
    """RFC 9276: a zone with NSEC3 extra iterations loads, with a warning
    naming the count (above ZONE_NSEC3_ITER_MAX, 150, it is refused:
    tests/unit/test_dnssec.c), and its answers still validate."""
    z = Z.make(pool.tmpdir, "nsec3", tag="iter", iterations=5)
    lp, lev = levee_for(pool, z["zones"], name="levee-iter")
    assert re.search(r"zone iter\.test\.?: NSEC3 with 5 extra iterations",
                     lev.text()), lev.tail()
    up, ub = start_unbound(pool, lp, stubs_of(z), z["anchor"],
                           name="unbound-iter")
    sample = z["corpus"][::12]
    bad = run_corpus(up, sample)
    assert not bad, "\n".join(bad) + ub.tail(20)


@pytest.mark.asan   # it caught an uninitialised dnssec-validation of -z zones
def test_signature_expiry_reported(pool, nsec):
    """levee --check (and every load) tells the signature span: a warning
    when an RRSIG expires within 7 days, an error once one has expired,
    nothing of the kind for signatures valid 30 days."""
    d = nsec["dir"]
    keys = sorted(f[:-4] for f in os.listdir(d)
                  if f.startswith("Knsec.test.") and f.endswith(".key"))
    out = {}
    for tag, start, end in [("soon", "now-3600", "now+86400"),
                            ("gone", "now-7200", "now-3600")]:
        path = os.path.join(d, "parent.%s" % tag)
        subprocess.run(["dnssec-signzone", "-q", "-P", "-o", nsec["origin"],
                        "-s", start, "-e", end, "-f", path, "parent.zone"]
                       + keys, cwd=d, check=True, timeout=60,
                       stdout=subprocess.DEVNULL)
        r = H.run_levee(["--check", "-z", "%s=%s" % (nsec["origin"], path)])
        out[tag] = r.stdout + r.stderr
    r = H.run_levee(["--check", "-z", "%s=%s" % nsec["zones"][0]])
    ok = r.stdout + r.stderr
    assert re.search(r"warning: zone nsec\.test\.?: an RRSIG expires at "
                     r"\S+, in 8\d{4} s", out["soon"]), out["soon"]
    assert re.search(r"error: zone nsec\.test\.?: an RRSIG expired at",
                     out["gone"]), out["gone"]
    assert "RRSIG expire" not in ok and r.returncode == 0, ok


def sign_span(z, tag, start, end):
    """The zone of fixture z signed again into parent.TAG with
    dnssec-signzone -s START -e END (its own keys). Returns the path."""
    d = z["dir"]
    keys = sorted(f[:-4] for f in os.listdir(d)
                  if f.startswith("K%s" % z["origin"]) and f.endswith(".key"))
    path = os.path.join(d, "parent.%s" % tag)
    subprocess.run(["dnssec-signzone", "-q", "-P", "-o", z["origin"],
                    "-s", start, "-e", end, "-f", path, "parent.zone"] + keys,
                   cwd=d, check=True, timeout=60, stdout=subprocess.DEVNULL)
    return path


def zone_status(p, ctl_sock):
    r = subprocess.run([os.path.join(os.path.dirname(H.levee_bin()),
                                     "levee-ctl"), "-s", ctl_sock,
                        "zone-status"], capture_output=True, text=True,
                       timeout=10 * H.SLOW)
    assert r.returncode == 0, r
    return r.stdout


@pytest.mark.asan
def test_signature_expiry_rechecked_on_a_timer(pool, nsec):
    """Time passes without a reload: with signature-expiry-margin: 10 and
    RRSIGs ending 20 s after signing, the zone loads as valid, the server
    warns when the earliest expiration comes within 10 s and logs an error
    once it has passed, each once, and zone-status and --check show the
    span; RRSIGs whose inception is 4 s ahead are warned about at load and
    their inception's passing is logged."""
    end = sign_span(nsec, "timer", "now-3600", "now+20")
    t_signed = time.time()
    port = H.free_port()
    ctl = os.path.join(pool.tmpdir, "sig.sock")
    conf = H.levee_config(os.path.join(pool.tmpdir, "sig.yaml"),
                          ["127.0.0.1@%d" % port], zones=[(nsec["origin"], end)],
                          reactors=1, signature_expiry_margin=10,
                          log_level="debug")
    with open(conf, "a") as f:
        f.write("control:\n  listen: %s\n" % ctl)
    r = H.run_levee(["--check", "-c", conf])
    assert re.search(r"signed: earliest RRSIG expiration \S+Z \(in \d+ s\)",
                     r.stdout), r.stdout
    p = pool.levee(["-c", conf])
    assert "an RRSIG expires" not in p.text(), p.tail()
    assert re.search(r"rrsig ok, expire \S+Z, expire-in \d+ s, inception",
                     zone_status(p, ctl)), zone_status(p, ctl)
    p.wait_log(r"warning: zone nsec\.test\.?: an RRSIG expires at \S+, in "
               r"\d s \(within 10 s\)", 15 * H.SLOW)
    assert time.time() - t_signed >= 9.5   # not before the margin
    assert "rrsig expiring" in zone_status(p, ctl)
    p.wait_log(r"error: zone nsec\.test\.?: an RRSIG expired at", 15 * H.SLOW)
    assert time.time() - t_signed >= 19.5
    assert re.search(r"rrsig expired, expire \S+Z, expire-in -\d+ s",
                     zone_status(p, ctl))
    time.sleep(1.5)
    text = p.text()
    assert len(re.findall(r"an RRSIG expires at", text)) == 1, text
    assert len(re.findall(r"an RRSIG expired at", text)) == 1, text

    ahead = sign_span(nsec, "ahead", "now+4", "now+86400")
    port2 = H.free_port()
    conf2 = H.levee_config(os.path.join(pool.tmpdir, "ahead.yaml"),
                           ["127.0.0.1@%d" % port2],
                           zones=[(nsec["origin"], ahead)], reactors=1)
    p2 = pool.levee(["-c", conf2], name="ahead")
    assert re.search(r"warning: zone nsec\.test\.?: an RRSIG is not valid "
                     r"before", p2.text()), p2.tail()
    p2.wait_log(r"zone nsec\.test\.?: every RRSIG's inception has passed",
                10 * H.SLOW)


def test_signature_margin_and_iterations_ceiling_are_keys(pool, nsec3):
    """nsec3-iterations-max lowers the ceiling: the NSEC3 zone signed with
    5 iterations is refused at 4 with the reason, served at 5."""
    d = nsec3["dir"]
    keys = sorted(f[:-4] for f in os.listdir(d)
                  if f.startswith("K%s" % nsec3["origin"]) and
                  f.endswith(".key"))
    path = os.path.join(d, "parent.iter5")
    subprocess.run(["dnssec-signzone", "-q", "-P", "-3", "abcd", "-H", "5",
                    "-o", nsec3["origin"], "-f", path, "parent.zone"] + keys,
                   cwd=d, check=True, timeout=60, stdout=subprocess.DEVNULL)
    for ceiling, ok in ((4, False), (5, True)):
        conf = H.levee_config(os.path.join(pool.tmpdir, "it%d.yaml" % ceiling),
                              ["127.0.0.1@%d" % H.free_port()],
                              zones=[(nsec3["origin"], path)],
                              nsec3_iterations_max=ceiling)
        r = H.run_levee(["--check", "-c", conf])
        out = r.stdout + r.stderr
        if ok:
            assert r.returncode == 0 and "NSEC3 with 5 extra iterations" \
                in out, out
        else:
            assert r.returncode != 0 and re.search(
                r"NSEC3 with 5 extra iterations, above the ceiling of 4",
                out), out


def conf_with_tail(path, port, tail, **server):
    """A levee_config() on 127.0.0.1@port without its zones: line, then
    the YAML text tail (which brings its own zones: section)."""
    H.levee_config(path, ["127.0.0.1@%d" % port], zones=[], **server)
    with open(path) as f:
        text = f.read().replace("zones:\n", "")
    with open(path, "w") as f:
        f.write(text + tail)
    return path


def check_with_validation(pool, name, zones, mode="on"):
    """levee --check on zones [(origin, file)], each with
    dnssec-validation: MODE. Returns the CompletedProcess."""
    conf = conf_with_tail(
        os.path.join(pool.tmpdir, "val-%s.yaml" % name), H.free_port(),
        "zones:\n" + "".join(
            "  - domain: %s\n    file: %s\n    dnssec-validation: %s\n" %
            (o, f, mode) for o, f in zones))
    return H.run_levee(["--check", "-c", conf])


def test_dnssec_validation_passes_the_signed_zones(pool, nsec, nsec3, optout):
    """dnssec-validation: on accepts what dnssec-signzone made: NSEC,
    NSEC3, NSEC3 with opt-out, each with its secure child."""
    for z in (nsec, nsec3, optout):
        r = check_with_validation(pool, z["origin"], z["zones"])
        assert r.returncode == 0, r.stdout + r.stderr
        assert "%d loaded 0 refused" % len(z["zones"]) in r.stdout, r.stdout


def broken(z, tag, edit):
    """The fixture's signed parent, one record a line (ldns-read-zone),
    with edit(lines) -> lines applied."""
    src = dict(z["zones"])[z["origin"]]
    lines = subprocess.run(["ldns-read-zone", src], capture_output=True,
                           text=True, check=True,
                           timeout=60).stdout.splitlines()
    path = os.path.join(z["dir"], "parent.broken-%s" % tag)
    with open(path, "w") as f:
        f.write("\n".join(edit(lines)) + "\n")
    return path


def rr_match(origin, owner, rtype):
    rx = re.compile(r"^%s\s+\d+\s+IN\s+%s\s" % (re.escape(owner + "." +
                                                           origin), rtype),
                    re.I)
    return lambda line: bool(rx.match(line))


@pytest.mark.asan
def test_dnssec_validation_refuses_what_a_validator_would(pool, nsec, nsec3):
    """A record changed after signing, an RRSIG removed, an NSEC or NSEC3
    removed, signatures expired: each refused with the name, the type and
    the reason under on; served with a warning under warn; not looked at
    under off."""
    def change_www(lines):
        return [l.replace("192.0.2.1", "192.0.2.99")
                if rr_match(nsec["origin"], "www", "A")(l) else l
                for l in lines]

    def drop(pred, once=True):
        def edit(lines):
            out, done = [], False
            for l in lines:
                if pred(l) and not (once and done):
                    done = True
                    continue
                out.append(l)
            return out
        return edit

    o = nsec["origin"]
    cases = [
        (nsec, "changed", change_www,
         r"DNSSEC validation: www\.nsec\.test\. A: no RRSIG verifies"),
        (nsec, "nosig", drop(lambda l: re.match(
            r"^h3\.%s\s+\d+\s+IN\s+RRSIG\s+A\s" % re.escape(o), l)),
         r"DNSSEC validation: h3\.nsec\.test\. A: no RRSIG covers"),
        (nsec, "nonsec", drop(rr_match(o, "h5", "NSEC")),
         r"DNSSEC validation: \S+ NSEC: "),
        (nsec3, "nonsec3", drop(lambda l: re.search(r"\sIN\tNSEC3\t", l)),
         r"DNSSEC validation: \S+ NSEC3: "),
    ]
    for z, tag, edit, reason in cases:
        path = broken(z, tag, edit)
        r = check_with_validation(pool, tag, [(z["origin"], path)])
        out = r.stdout + r.stderr
        assert r.returncode != 0 and re.search(reason, out), (tag, out)
        assert "0 loaded 1 refused" in r.stdout, (tag, out)
        r = check_with_validation(pool, tag + "-w", [(z["origin"], path)],
                                  "warn")
        out = r.stdout + r.stderr
        assert r.returncode == 0 and re.search(reason, out), (tag, out)
        assert "served: dnssec-validation: warn" in out, out
        r = check_with_validation(pool, tag + "-off", [(z["origin"], path)],
                                  "off")
        assert r.returncode == 0 and "DNSSEC validation" not in \
            r.stdout + r.stderr, (tag, r.stdout + r.stderr)
    # expired signatures: the validity period is checked too
    gone = sign_span(nsec, "expired", "now-7200", "now-3600")
    r = check_with_validation(pool, "expired", [(o, gone)])
    assert r.returncode != 0 and re.search(
        r"DNSSEC validation: \S+ \S+: no RRSIG verifies \(.*expired",
        r.stdout + r.stderr), r.stdout + r.stderr


def test_dnssec_validation_on_reload_keeps_the_served_version(pool, nsec):
    """A reload whose new file fails validation keeps the version that
    was serving, with the reason in zone-status."""
    d = nsec["dir"]
    path = os.path.join(d, "parent.reload")
    shutil.copy(dict(nsec["zones"])[nsec["origin"]], path)
    port = H.free_port()
    ctl = os.path.join(pool.tmpdir, "val.sock")
    conf = conf_with_tail(
        os.path.join(pool.tmpdir, "val-reload.yaml"), port,
        "control:\n  listen: %s\nzones:\n  - domain: %s\n    file: %s\n"
        "    dnssec-validation: on\n" % (ctl, nsec["origin"], path),
        rate_limit=0)
    p = pool.levee(["-c", conf])
    q = dns.message.make_query("www." + nsec["origin"], "A")
    r = H.udp_msg(q, port)
    assert r.answer and "192.0.2.1" in r.answer[0].to_text()
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:   # a changed record, the old signatures
        f.write(text.replace("192.0.2.1\n", "192.0.2.98\n", 1))
    start = len(p.text())
    os.kill(p.pid, signal.SIGHUP)
    p.wait_log(r"reload failed, the served version stays: DNSSEC "
               r"validation: www\.nsec\.test\. A", 10 * H.SLOW, start)
    r = H.udp_msg(q, port)
    assert r.answer and "192.0.2.1" in r.answer[0].to_text()
    assert "DNSSEC validation" in zone_status(p, ctl)


@pytest.mark.asan
def test_dnssec_validation_of_transfers(pool, nsec):
    """A Levee primary (no validation) serves the zone with a record
    changed after signing. A Levee secondary with dnssec-validation: on
    refuses the transfer (nothing served, the reason in its log); with
    warn it serves it and says so."""
    o = nsec["origin"]
    path = broken(nsec, "xfr", lambda lines: [
        l.replace("192.0.2.1", "192.0.2.99")
        if rr_match(o, "www", "A")(l) else l for l in lines])
    pport = H.free_port()
    pconf = conf_with_tail(
        os.path.join(pool.tmpdir, "val-pri.yaml"), pport,
        "acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n"
        "zones:\n  - domain: %s\n    file: %s\n    acl: xfr\n" % (o, path),
        rate_limit=0)
    pool.levee(["-c", pconf], name="primary")
    q = dns.message.make_query("www." + o, "A")
    for mode in ("on", "warn"):
        sport = H.free_port()
        sconf = conf_with_tail(
            os.path.join(pool.tmpdir, "val-sec-%s.yaml" % mode), sport,
            "remote:\n  - id: pri\n    address: 127.0.0.1@%d\nzones:\n"
            "  - domain: %s\n    primaries: pri\n    dnssec-validation: %s\n"
            % (pport, o, mode), rate_limit=0, refresh_min_interval=1)
        s = pool.levee(["-c", sconf], name="secondary-" + mode)
        s.wait_log(r"DNSSEC validation: www\.nsec\.test\. A: no RRSIG "
                   r"verifies", 15 * H.SLOW)
        if mode == "on":
            r = H.udp_msg(q, sport)
            assert r is not None and not r.answer, r
        else:
            s.wait_log(r"served: dnssec-validation: warn", 5 * H.SLOW)
            deadline = time.monotonic() + 10 * H.SLOW
            while time.monotonic() < deadline:
                r = H.udp_msg(q, sport)
                if r is not None and r.answer:
                    break
                time.sleep(0.1)
            assert r.answer and "192.0.2.99" in r.answer[0].to_text(), r


def test_rrsig_expiry_in_metrics(pool, nsec):
    """/metrics: the seconds left before each signed zone's earliest RRSIG
    expiration (signatures of fixtures run 30 days) and their minimum;
    nothing of the kind for an unsigned zone; promtool accepts the page."""
    import shutil as sh
    import urllib.request
    mport, port = H.free_port(), H.free_port()
    conf = conf_with_tail(
        os.path.join(pool.tmpdir, "sig-metrics.yaml"), port,
        "metrics:\n  listen: 127.0.0.1@%d\nzones:\n  - domain: %s\n"
        "    file: %s\n  - domain: test.\n    file: %s\n" %
        (mport, nsec["origin"], dict(nsec["zones"])[nsec["origin"]],
         os.path.join(H.DATA, "test.zone")))
    pool.levee(["-c", conf])
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport,
                                timeout=10 * H.SLOW) as r:
        page = r.read().decode()
    m = re.search(r'^levee_zone_rrsig_expire_seconds\{zone="nsec\.test"\} '
                  r'(-?\d+)$', page, re.M)
    assert m and 29 * 86400 < int(m.group(1)) <= 30 * 86400, page
    assert 'levee_zone_rrsig_expire_seconds{zone="test"}' not in page
    m2 = re.search(r"^levee_rrsig_expire_min_seconds (-?\d+)$", page, re.M)
    assert m2 and abs(int(m2.group(1)) - int(m.group(1))) <= 2, page
    if sh.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=page,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
