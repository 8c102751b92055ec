#!/usr/bin/python3
"""catpoll.py -- time a catalog consumer from its exec until every member
answers.

usage: catpoll.py PORT NAMES TIMEOUT_S BATCH TICK_S TIMELINE

Run as a coprocess by bench/catalog. Reads the names (one a line, NAMES),
builds one SOA query each (dnspython, once), opens one UDP socket to
127.0.0.1@PORT, prints "ready", then reads one line "T0 PID" from stdin:
the wall clock (as bash's $EPOCHREALTIME) taken just before the caller
started the server, and its PID. Then every TICK_S it asks BATCH names
not yet answering: the first BATCH/2 of the pending list (in the order of
NAMES, the catalog's: the servers transfer roughly in that order, so this
follows their front) and the next BATCH/2 after them (a cursor going round
the rest of the list, for members transferred out of order), at most
WINDOW queries outstanding, each reply awaited REPLY_S after the
last send; a name answers when a reply has its id and question, QR and AA
set, rcode NOERROR and at least one answer record. A name that answered
is never asked again until the end: then one verification pass asks every
name once more (all must answer; up to 3 tries for a lost one), and the
time of that pass is the time of one full poll pass of every name.

Prints one line:
  ok ALL_S FIRST_S HALF_S TICKS QUERIES MAX_TICK_S VERIFY_S VERIFY_OK CPU_S
    ALL_S, FIRST_S, HALF_S: seconds from T0 to the reply that made the
    last, the first, the half of the names answer; TICKS, QUERIES: ticks
    and queries sent until then; MAX_TICK_S: the longest tick's work;
    VERIFY_S: the verification pass; VERIFY_OK: names that answered it;
    CPU_S: this poller's own CPU seconds.
or "fail KIND ANSWERED/TOTAL REASON" (KIND timeout or exited). TIMELINE
gets "SECONDS ANSWERED" at each tick. The caller owns the server: this
never signals it.
"""
import os
import select
import socket
import struct
import sys
import time

import dns.message

WINDOW = 256     # queries outstanding at once
REPLY_S = 0.05   # wait for the replies after the last send of a tick


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


class Poller:
    def __init__(self, port, names):
        self.names = names
        self.wires = []
        for n in names:
            q = dns.message.make_query(n, "SOA")
            q.flags = 0
            self.wires.append(bytearray(q.to_wire()))
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.s.connect(("127.0.0.1", port))
        self.s.setblocking(False)
        self.qid = 0
        self.sent = 0

    def drain(self, inflight, good, timeout):
        """Reads replies for up to timeout s (0: what is there)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if inflight and left > 0:
                r, _, _ = select.select([self.s], [], [], left)
                if not r:
                    return
            try:
                m = self.s.recv(65535)
            except BlockingIOError:
                if timeout == 0 or not inflight:
                    return
                continue
            except ConnectionRefusedError:
                return
            if len(m) < 12:
                continue
            qid, fl, _, an = struct.unpack_from("!HHHH", m, 0)
            i = inflight.pop(qid, None)
            if i is None:
                continue
            w = self.wires[i]
            if m[12:len(w)] != w[12:]:
                continue
            if fl & 0x8000 and fl & 0x0400 and fl & 0x000F == 0 and an > 0:
                good(i)

    def ask(self, idxs, good):
        """Sends a query for each index, at most WINDOW outstanding,
        calls good(i) for each correct answer."""
        inflight = {}
        for i in idxs:
            while len(inflight) >= WINDOW:
                before = len(inflight)
                self.drain(inflight, good, REPLY_S)
                if len(inflight) == before:   # lost: let them go
                    inflight.clear()
            self.qid = (self.qid + 1) & 0xFFFF
            w = self.wires[i]
            struct.pack_into("!H", w, 0, self.qid)
            inflight[self.qid] = i
            try:
                self.s.send(w)
            except (BlockingIOError, ConnectionRefusedError):
                inflight.pop(self.qid, None)
            self.sent += 1
            if len(inflight) % 32 == 0:
                self.drain(inflight, good, 0)
        while inflight:
            before = len(inflight)
            self.drain(inflight, good, REPLY_S)
            if len(inflight) == before:
                break


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    port, names_f = int(sys.argv[1]), sys.argv[2]
    limit, batch, tick = float(sys.argv[3]), int(sys.argv[4]), \
        float(sys.argv[5])
    timeline = open(sys.argv[6], "w")
    with open(names_f) as f:
        names = [ln.strip() for ln in f if ln.strip()]
    p = Poller(port, names)
    n = len(names)
    print("ready", flush=True)
    line = sys.stdin.readline().split()
    t0_wall, pid = float(line[0]), int(line[1])
    t0 = time.monotonic() - (time.time() - t0_wall)
    pending = list(range(n))
    done = [False] * n
    stamps = []

    def good(i):
        if not done[i]:
            done[i] = True
            stamps.append(time.monotonic() - t0)

    cursor, ticks, max_tick = 0, 0, 0.0
    why = None
    while pending:
        now = time.monotonic()
        if now - t0 > limit:
            why = f"timeout {len(stamps)}/{n} no answer from all in {limit:g} s"
            break
        if not alive(pid):
            why = f"exited {len(stamps)}/{n} the server exited"
            break
        # half the batch from the front of the pending list (the servers
        # transfer roughly in catalog order: this follows their front),
        # half from a cursor going round the rest (any order)
        front = pending[:batch // 2]
        if cursor < len(front) or cursor >= len(pending):
            cursor = len(front)
        rest = pending[cursor:cursor + batch - len(front)]
        cursor += len(rest)
        chunk = front + rest
        p.ask(chunk, good)
        ticks += 1
        w = time.monotonic() - now
        max_tick = max(max_tick, w)
        if any(done[i] for i in chunk):
            keep = [i for i in pending if not done[i]]
            # the cursor stays on the first name not yet asked
            cursor = sum(1 for i in pending[:cursor] if not done[i])
            pending = keep
        timeline.write(f"{time.monotonic() - t0:.3f} {len(stamps)}\n")
        if pending:
            time.sleep(max(0.0, tick - w))
    timeline.close()
    if why:
        print("fail " + why, flush=True)
        return
    queries = p.sent
    # verification: every name again, one pass
    ok = [False] * n

    def good2(i):
        ok[i] = True

    v0 = time.monotonic()
    p.ask(range(n), good2)
    verify = time.monotonic() - v0
    for _ in range(3):
        miss = [i for i in range(n) if not ok[i]]
        if not miss:
            break
        time.sleep(0.1)
        p.ask(miss, good2)
    stamps.sort()
    cpu = sum(os.times()[:2])
    print("ok %.3f %.3f %.3f %d %d %.3f %.3f %d %.2f" % (
        stamps[-1], stamps[0], stamps[(n - 1) // 2], ticks, queries,
        max_tick, verify, sum(ok), cpu), flush=True)


if __name__ == "__main__":
    main()
