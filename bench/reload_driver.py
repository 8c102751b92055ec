#!/usr/bin/python3
"""reload_driver.py -- the timed part of bench/reload: N reloads of one zone.

    reload_driver.py prepare LARGE_ZONE DIR COUNT

writes DIR/v0.zone .. DIR/v<COUNT>.zone: v0 is LARGE_ZONE as it is (bench/
mkzone.py's large.zone, serial 1); v<k> has serial 1 + k, the A records of
10 names (r<j>, j = 1000 k + 97 i, i < 10) at 10.255.<k>.<i> instead of
their own addresses, and one name of its own, v<k>-reload TXT. From v<k-1>
to v<k> (k > 1) 21 records go and 21 come: the 10 A records of v<k-1>'s
names back to their own addresses, v<k>'s 10 away from theirs, one TXT
name gone and one new (from v0 to v1: 10 go, 11 come). Every name
large.queries asks keeps its types, so every answer stays NOERROR.
DIR/stamp records what was made (from which file, how many): a later call
for as many or fewer does nothing.

    reload_driver.py PORT ZONE LIVE PREPARED FIRST COUNT GAP TMO PID PIDFILE
                     OUT -- TRIGGER...

For k = FIRST .. FIRST+COUNT-1: links the prepared file PREPARED/v<k>.zone
to LIVE.new, sets its mtime to now and renames it over LIVE (a new inode, a
new mtime: every server sees a changed file; the 27.6 MB were written
before the run, so no writing is timed), then starts the clock, runs
TRIGGER (the server's reload command: it may wait, as levee-ctl and knotc
-b do, or return at once, as nsd-control does), and polls ZONE's SOA on
127.0.0.1@PORT every 10 ms from then on until its serial is 1 + k (whether
or not the trigger has returned; it is waited for too). One line per
reload into OUT (tab-separated): k, the expected serial, status (ok;
cmd-failed: the serial came but the trigger's exit status was not 0;
timeout), the seconds from the trigger to the first SOA with the new
serial, the seconds the trigger command took, the peak VmHWM and VmRSS
sums (kB) seen during that reload, and the trigger's wall-clock time
(epoch s, to line reloads up with the load's runs in the log). Then GAP
seconds of rest, still sampling.

Memory: every 20 ms the process tree of PID and of the PID in PIDFILE
("-": none; nsd's reload forks a new main process that writes it) is
walked through /proc/P/task/*/children, and VmHWM and VmRSS are summed
over it (each process's own peak, summed over the processes alive at that
moment: for nsd, whose children share the zone copy-on-write, this counts
those pages more than once, as bench/many-zones does). The last stdout
line is "RELOAD hwm_kb=... rss_kb=... ok=... failed=...", the peaks over
the whole run. Traffic goes only to 127.0.0.1.
"""
import os
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rdatatype


def tree(pid, seen):
    if pid in seen:
        return
    seen.add(pid)
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                for c in f.read().split():
                    tree(int(c), seen)
    except OSError:
        pass


def mem(roots):
    pids = set()
    for r in roots:
        tree(r, pids)
    hwm = rss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
        except OSError:
            pass
    return hwm, rss


def roots(pid, pidfile):
    r = [pid]
    if pidfile != "-":
        try:
            with open(pidfile) as f:
                r.append(int(f.read().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    return r


def prepare(large, outdir, count):
    stamp = os.path.join(outdir, "stamp")
    src = f"{os.path.getsize(large)} {os.stat(large).st_mtime_ns} v1"
    try:
        with open(stamp) as f:
            have = f.read().split(" count ")
        if have[0] == src and int(have[1]) >= count:
            return
    except (OSError, ValueError, IndexError):
        pass
    os.makedirs(outdir, exist_ok=True)
    with open(large) as f:
        lines = f.readlines()
    at = {}
    soa = None
    for n, line in enumerate(lines):
        if soa is None and " SOA " in line:
            soa = n
        if line.startswith("r") and " IN A " in line:
            at[line.split(" ", 1)[0]] = n
    if soa is None:
        sys.exit(f"{large}: no SOA line")
    for k in range(count + 1):
        v = list(lines)
        if k:
            f = v[soa].split()
            f[5] = str(1 + k)             # @ IN SOA ns1 hostmaster SERIAL ...
            v[soa] = " ".join(f) + "\n"
            for i in range(10):
                name = f"r{1000 * k + 97 * i}"
                v[at[name]] = f"{name} IN A 10.255.{k}.{i}\n"
            v.append(f'v{k}-reload IN TXT "version {k}"\n')
        tmp = os.path.join(outdir, f"v{k}.zone.tmp")
        with open(tmp, "w") as f:
            f.writelines(v)
        os.rename(tmp, os.path.join(outdir, f"v{k}.zone"))
    with open(stamp, "w") as f:
        f.write(f"{src} count {count}")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if len(sys.argv) < 14 or sys.argv[12] != "--":
        sys.exit(__doc__)
    port, zone, live, prepared = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    first, count = int(sys.argv[5]), int(sys.argv[6])
    gap, tmo = float(sys.argv[7]), float(sys.argv[8])
    pid, pidfile, out = int(sys.argv[9]), sys.argv[10], sys.argv[11]
    trigger = sys.argv[13:]
    q = dns.message.make_query(zone, "SOA")
    peak_h = peak_r = 0
    nok = nfail = 0

    def sample(st):
        h, r = mem(roots(pid, pidfile))
        st[0] = max(st[0], h)
        st[1] = max(st[1], r)

    def serial():
        try:
            a = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.05)
            for rrset in a.answer:
                if rrset.rdtype == dns.rdatatype.SOA:
                    return rrset[0].serial
        except Exception:
            pass
        return None

    with open(out, "a") as fo:
        for k in range(first, first + count):
            want = 1 + k
            tmp = live + ".new"
            if os.path.exists(tmp):
                os.unlink(tmp)
            os.link(os.path.join(prepared, f"v{k}.zone"), tmp)
            os.utime(tmp)
            os.rename(tmp, live)
            st = [0, 0]
            sample(st)
            t0 = time.monotonic()
            t0_epoch = time.time()
            p = subprocess.Popen(trigger, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            rc = None
            cmd_s = None
            got = None
            last_mem = 0.0
            while True:
                now = time.monotonic()
                if rc is None:
                    rc = p.poll()
                    if rc is not None:
                        cmd_s = now - t0
                if now - last_mem >= 0.02:
                    sample(st)
                    last_mem = now
                if got is None and serial() == want:
                    got = time.monotonic() - t0
                if (got is not None and rc is not None) or now - t0 > tmo:
                    break
                time.sleep(0.01)
            if rc is None:
                p.kill()
                rc = p.wait()
                cmd_s = time.monotonic() - t0
            err = p.stderr.read().decode(errors="replace").strip()
            p.stderr.close()
            if got is None:
                status = "timeout"
            elif rc != 0:
                status = "cmd-failed"
            else:
                status = "ok"
            if status == "ok":
                nok += 1
            else:
                nfail += 1
                print(f"reload {k}: {status} (rc {rc}) {err[:200]}", file=sys.stderr)
            end = time.monotonic() + gap
            while time.monotonic() < end:
                sample(st)
                time.sleep(0.02)
            peak_h, peak_r = max(peak_h, st[0]), max(peak_r, st[1])
            fo.write(f"{k}\t{want}\t{status}\t"
                     f"{'-' if got is None else f'{got:.3f}'}\t{cmd_s:.3f}\t"
                     f"{st[0]}\t{st[1]}\t{t0_epoch:.3f}\n")
            fo.flush()
    print(f"RELOAD hwm_kb={peak_h} rss_kb={peak_r} ok={nok} failed={nfail}")


if __name__ == "__main__":
    main()
