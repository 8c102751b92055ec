#!/usr/bin/python3
"""aggressive_nsec.py -- the zones and the sender of bench/aggressive-nsec.

  zones DIR N [spread]
                    victim.test with hostK A 10.0.(K>>8).(K&255), K = 1..N
                    (with "spread": N random 8-letter labels instead of
                    hostK, fixed seed, so the NSEC spans cover the alphabet
                    evenly; DIR/names lists "label address" either way),
                    in three variants: DIR/unsigned.zone, DIR/nsec.signed,
                    DIR/nsec3.signed (dnssec-signzone, algorithm 13, one KSK
                    and one ZSK made once in DIR/keys-victim.test./ by
                    mksigned.keys(); NSEC3 with no salt,
                    0 extra iterations, no opt-out; signatures valid from an
                    hour ago for 30 days) and DIR/anchor (the KSK's DNSKEY
                    line, unbound's trust-anchor).
  send PORT N RATE NAMESFILE SEED
                    N flood queries (random 12-letter labels under
                    victim.test, A, RD=1) and one legitimate query
                    (a random name of NAMESFILE, A) after every
                    9 of them, to 127.0.0.1@PORT from one UDP socket, paced
                    at RATE queries/s. Waits at most 3 s after the last
                    send. The queries set AD (RFC 6840 5.7), so unbound
                    marks what it validated. Prints one "SEND key=value
                    ..." line: flood sent, NXDOMAIN (and of them with AD),
                    other rcodes, lost; legitimate sent, answered (NOERROR
                    with the right address; and of them with AD), wrong,
                    lost.
  counters LOG      the counters of the last "reactor 0:" SIGUSR1 line of a
                    Levee log, "name value" per line.

Bounded: send refuses anything but 127.0.0.0/8 ports (it only ever sends to
127.0.0.1), N <= 1,000,000, RATE <= 50,000/s, and stops N / RATE + 10 s
after it starts whatever happens.
"""
import os
import random
import re
import socket
import sys
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from mksigned import keys, run   # the same keygen and runner, bench/

ORIGIN = "victim.test."


def addr(k):
    return "10.0.%d.%d" % (k >> 8, k & 255)


def zones(d, n, spread):
    os.makedirs(d, exist_ok=True)
    if spread:
        rnd = random.Random(8198)
        labels = set()
        while len(labels) < n:
            labels.add("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz")
                               for _ in range(8)))
        labels = sorted(labels)
    else:
        labels = ["host%d" % k for k in range(1, n + 1)]
    with open(os.path.join(d, "names"), "w") as f:
        for k, lab in enumerate(labels, 1):
            f.write("%s %s\n" % (lab, addr(k)))
    src = os.path.join(d, "unsigned.zone")
    with open(src, "w") as f:
        f.write("$ORIGIN %s\n$TTL 3600\n" % ORIGIN)
        f.write("@ IN SOA ns1 hostmaster 1 3600 600 86400 3600\n")
        f.write("@ IN NS ns1\nns1 IN A 10.255.0.1\n")
        for k, lab in enumerate(labels, 1):
            f.write("%s IN A %s\n" % (lab, addr(k)))
    kdir, (ksk, zsk) = keys(d, ORIGIN)
    with open(os.path.join(kdir, ksk + ".key")) as f:
        anchor = [ln.strip() for ln in f if ln.strip() and ln[0] != ";"][0]
    with open(os.path.join(d, "anchor"), "w") as f:
        f.write(anchor + "\n")
    keyed = os.path.join(d, "keyed.zone")
    with open(keyed, "w") as f, open(src) as s:
        f.write(s.read())
        for k in (ksk, zsk):
            f.write("$INCLUDE %s.key\n" % os.path.join(kdir, k))
    for variant, extra in (("nsec", []), ("nsec3", ["-3", "-", "-H", "0"])):
        out = os.path.join(d, variant + ".signed")
        run(["dnssec-signzone", "-q", "-o", ORIGIN, "-s", "now-3600",
             "-e", "now+2592000", "-N", "keep", "-K", kdir] + extra +
            ["-f", out, keyed, os.path.join(kdir, ksk),
             os.path.join(kdir, zsk)], d, timeout=600)
    os.unlink(keyed)


def send(port, n, rate, namesfile, seed):
    with open(namesfile) as f:
        names = [ln.split() for ln in f if ln.strip()]
    if not (0 < n <= 1000000 and 0 < rate <= 50000 and 0 < port < 65536):
        sys.exit("send: N 1..1000000, RATE 1..50000/s")
    rnd = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    plan = []   # (qname, expected address or None for flood)
    for i in range(n):
        plan.append(("".join(rnd.choice(letters) for _ in range(12)) +
                     "." + ORIGIN, None))
        if i % 9 == 8:
            lab, a = names[rnd.randrange(len(names))]
            plan.append(("%s.%s" % (lab, ORIGIN), a))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    pending = {}      # id -> index in plan
    got = {}          # index -> (rcode, ad, addresses)
    t0 = time.monotonic()
    hard = t0 + len(plan) / rate + 10.0
    sent = 0
    last_send = None

    def drain():
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                return
            try:
                m = dns.message.from_wire(data)
            except Exception:
                continue
            i = pending.get(m.id)
            if i is None or not m.question or \
                    m.question[0].name.to_text().lower() != plan[i][0]:
                continue
            del pending[m.id]
            a = set()
            for rr in m.answer:
                if rr.rdtype == dns.rdatatype.A:
                    a.update(r.address for r in rr)
            got[i] = (m.rcode(), bool(m.flags & dns.flags.AD), a)

    while sent < len(plan) and time.monotonic() < hard:
        due = min(len(plan), int((time.monotonic() - t0) * rate) + 1)
        while sent < due:
            qid = sent & 0xffff
            q = dns.message.make_query(plan[sent][0], "A")
            q.id = qid
            q.flags |= dns.flags.RD | dns.flags.AD   # AD: tell me (RFC 6840 5.7)
            pending[qid] = sent
            try:
                s.send(q.to_wire())
            except BlockingIOError:
                pass
            sent += 1
        last_send = time.monotonic()
        drain()
        time.sleep(0.0005)
    end = min(hard, (last_send or t0) + 3.0)
    while pending and time.monotonic() < end:
        drain()
        time.sleep(0.005)
    dur = (last_send or t0) - t0
    c = dict.fromkeys(("flood_sent", "flood_nxdomain", "flood_nx_ad",
                       "flood_servfail", "flood_other", "flood_lost",
                       "legit_sent", "legit_answered", "legit_ad", "legit_wrong",
                       "legit_lost"), 0)
    for i, (qname, want) in enumerate(plan[:sent]):
        g = got.get(i)
        if want is None:
            c["flood_sent"] += 1
            if g is None:
                c["flood_lost"] += 1
            elif g[0] == dns.rcode.NXDOMAIN:
                c["flood_nxdomain"] += 1
                c["flood_nx_ad"] += g[1]
            elif g[0] == dns.rcode.SERVFAIL:
                c["flood_servfail"] += 1
            else:
                c["flood_other"] += 1
        else:
            c["legit_sent"] += 1
            if g is None:
                c["legit_lost"] += 1
            elif g[0] == dns.rcode.NOERROR and g[2] == {want}:
                c["legit_answered"] += 1
                c["legit_ad"] += g[1]
            else:
                c["legit_wrong"] += 1
    print("SEND dur=%.2f %s" % (dur, " ".join(
        "%s=%d" % kv for kv in c.items())))


def counters(log):
    with open(log, errors="replace") as f:
        lines = re.findall(r"reactor 0:([^\n]*)", f.read())
    if not lines:
        sys.exit("no counters in " + log)
    for k, v in re.findall(r"([a-z][a-z0-9-]*) (\d+)", lines[-1]):
        print(k, v)


def main():
    a = sys.argv[1:]
    if a[:1] == ["zones"] and len(a) in (3, 4):
        zones(os.path.abspath(a[1]), int(a[2]), a[3:] == ["spread"])
    elif a[:1] == ["send"] and len(a) == 6:
        send(int(a[1]), int(a[2]), float(a[3]), a[4], int(a[5]))
    elif a[:1] == ["counters"] and len(a) == 2:
        counters(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
