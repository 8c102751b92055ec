#!/usr/bin/python3
"""firstanswer.py -- time a server from its exec to its first correct answer.

usage: firstanswer.py PORT NAME ADDRESS TIMEOUT_S RSS_MAX_KB

Run as a coprocess by bench/many-zones: builds the query (NAME A, with
dnspython) and opens its UDP socket, prints "ready", then reads one line
"T0 PID" from stdin: the wall clock (seconds, as bash's $EPOCHREALTIME)
taken just before the caller started the server, and the server's PID. Then,
every 10 ms, it sends the query to 127.0.0.1@PORT until a reply comes that
is NOERROR with AA set and the A record ADDRESS for NAME in its answer, and
prints "ok SECONDS" (from T0). It prints "fail KIND REASON" after TIMEOUT_S (KIND timeout),
when the server has exited (exited), or when its VmRSS is over RSS_MAX_KB
(rss; 0: no limit; a guard for a shared machine). The caller owns the server and stops
it: this script never signals it.
"""
import socket
import sys
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def correct(wire, qid, name, address):
    try:
        r = dns.message.from_wire(wire)
    except Exception:
        return False
    if r.id != qid or r.rcode() != dns.rcode.NOERROR or \
            not r.flags & dns.flags.AA:
        return False
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.A and \
                rrset.name.to_text().lower() == name.lower():
            if any(rd.address == address for rd in rrset):
                return True
    return False


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    port, name, address = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    limit, rss_max = float(sys.argv[4]), int(sys.argv[5])
    if not name.endswith("."):
        name += "."
    q = dns.message.make_query(name, "A")
    wire, qid = q.to_wire(), q.id
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    t0_wall, pid = float(line[0]), int(line[1])
    # the monotonic clock from here on, placed at the caller's T0
    t0 = time.monotonic() - (time.time() - t0_wall)
    ok, why, n = False, f"timeout: no correct answer in {limit:g} s", 0
    while time.monotonic() - t0 < limit:
        try:
            s.send(wire)
        except OSError:
            pass
        end = time.monotonic() + 0.01
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                if correct(s.recv(4096), qid, name, address):
                    ok = True
                    break
            except (socket.timeout, BlockingIOError):
                break
            except OSError:
                # ECONNREFUSED: nothing listens yet; wait out the 10 ms
                time.sleep(max(0.0, end - time.monotonic()))
                break
        if ok:
            break
        if not alive(pid):
            why = "exited before a correct answer"
            break
        n += 1
        if rss_max and n % 10 == 0 and rss_kb(pid) > rss_max:
            why = f"rss: VmRSS over the guard of {rss_max} kB"
            break
    if ok:
        print(f"ok {time.monotonic() - t0:.3f}", flush=True)
    else:
        print(f"fail {why}", flush=True)


if __name__ == "__main__":
    main()
