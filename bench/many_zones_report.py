#!/usr/bin/python3
"""many_zones_report.py -- bench/many-zones' many-zones.tsv -> many-zones.md.

The TSV has a header line and one row per server, zone count and round
(status "ok", or why the row has no figures: start-exited,
start-timeout, rss-guard, port-busy). The table gives for each server and count the median over the
rounds that are ok, with the range in brackets when there are several, and
the bytes of peak memory per zone: (VmHWM(N) - VmHWM(MIN)) / (N - MIN),
MIN the smallest count of the run; at N = MIN itself VmHWM(N) / N, which
includes the server's fixed cost. Then Levee against knotd on issue 12's
two targets.

usage: many_zones_report.py TSV OUT.md ROUNDS DUR UDPLOAD SRV_CPU GEN_CPU MIN
"""
import collections
import datetime
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cpu_model, fmt  # noqa: E402  (one format for both reports)

SERVERS = ["levee", "knotd", "nsd"]
FIELDS = ["first_s", "idle_s", "hwm_kb", "rss_kb", "pss_kb",
          "answered_per_s", "sent", "lost"]


def main():
    tsv, out, rounds, dur, udpload, srv_cpu, gen_cpu, mn = sys.argv[1:9]
    mn = int(mn)
    data = collections.defaultdict(lambda: collections.defaultdict(list))
    bad = collections.Counter()
    counts = set()
    with open(tsv) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            v = dict(zip(head, line.rstrip("\n").split("\t")))
            key = (v["server"], int(v["zones"]))
            counts.add(key[1])
            if v.get("status") != "ok":
                bad[key + (v.get("status", "?"),)] += 1
                continue
            for k in FIELDS:
                try:
                    data[key][k].append(float(v[k]))
                except (KeyError, ValueError):
                    pass

    def med(key, k):
        x = data.get(key, {}).get(k)
        return statistics.median(x) if x else None

    def cell(key, k, scale=1.0):
        x = data.get(key, {}).get(k)
        if not x:
            return "-"
        m = fmt(statistics.median(x) / scale)
        if len(x) > 1:
            m += f" [{fmt(min(x) / scale)}-{fmt(max(x) / scale)}]"
        return m

    def per_zone(s, n):
        h = med((s, n), "hwm_kb")
        if h is None:
            return None
        if n == mn:
            return h * 1024 / n
        h0 = med((s, mn), "hwm_kb")
        if h0 is None:
            return None
        return (h - h0) * 1024 / (n - mn)

    cpu = cpu_model()
    L = []
    L.append(f"Run {datetime.datetime.now():%Y-%m-%d %H:%M} on "
             f"{platform.node()} ({cpu}, {os.cpu_count()} CPUs, kernel "
             f"{platform.release()}): {rounds} round(s), interleaved; each "
             f"server with one worker on CPU {srv_cpu}, the poller and "
             f"lvload on CPU {gen_cpu}; zones of 10 records; UDP load "
             f"{udpload} at open throttle for {dur} s "
             f"over queries spread over all the zones. Median [range] over "
             f"the rounds. Load average at the end: "
             f"{open('/proc/loadavg').read().split()[0]}.")
    L.append("")
    L.append("| server | zones | start to first answer, last zone (s) | "
             "start to idle (s) | VmHWM (MB) | VmRSS (MB) | PSS (MB) | "
             "bytes per zone | UDP answered/s | lost |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for n in sorted(counts):
        for s in SERVERS:
            key = (s, n)
            if key not in data:
                why = [f"{b[2]} x{c}" for b, c in bad.items()
                       if b[:2] == key]
                if why:
                    L.append(f"| {s} | {n:,} | " + ", ".join(why) +
                             " | | | | | | | |")
                continue
            pz = per_zone(s, n)
            pzs = "-" if pz is None else \
                (f"{fmt(pz)} (incl. fixed)" if n == mn else fmt(pz))
            lost = med(key, "lost")
            sent = med(key, "sent")
            ls = f"{100 * lost / sent:.2f}%" if lost is not None and sent \
                else "-"
            L.append(f"| {s} | {n:,} | {cell(key, 'first_s')} | "
                     f"{cell(key, 'idle_s')} | {cell(key, 'hwm_kb', 1e3 / 1.024)} | "
                     f"{cell(key, 'rss_kb', 1e3 / 1.024)} | "
                     f"{cell(key, 'pss_kb', 1e3 / 1.024)} | {pzs} | "
                     f"{cell(key, 'answered_per_s')} | {ls} |")
    L.append("")
    L.append("MB = 10^6 bytes. VmHWM and VmRSS are read once the server is "
             "idle after its start (before the load); for nsd they are the "
             "sum over its process tree (the main process, which loads the "
             "zones, and the xfrd and server processes it forks, which "
             "share its pages copy-on-write, so the sum counts the shared "
             "pages more than once; PSS, the proportional set size summed "
             "over the tree, counts each page once). For Levee and knotd "
             "the tree is one process. Start to idle: until the server's "
             "CPU is still for 0.5 s, which adds what a server still does "
             "after its first answer (knotd 3.2 answers every zone from "
             "the same moment, once all are loaded, and its background "
             "worker stays busy after that). Bytes per zone: (VmHWM(N) - VmHWM("
             f"{mn:,})) / (N - {mn:,}); at {mn:,} VmHWM / {mn:,}, the fixed "
             "cost included.")
    # Issue 12's targets, Levee against knotd measured in the same run.
    rows = []
    for n in sorted(counts):
        lz, kz = per_zone("levee", n), per_zone("knotd", n)
        lf, kf = med(("levee", n), "first_s"), med(("knotd", n), "first_s")
        if lz is None and lf is None:
            continue
        mem = "-" if lz is None or kz is None else \
            f"{fmt(lz)} vs {fmt(kz)}: " + ("met" if lz <= kz else "not met")
        if lf is None or kf is None:
            st = "-"
        elif n < 10000:
            st = f"{fmt(lf)} s vs {fmt(kf)} s (no target under 10,000)"
        else:
            st = f"{fmt(lf)} s vs {fmt(kf)} s: " + \
                ("met" if lf <= kf else "not met")
        rows.append(f"| {n:,} | {mem} | {st} |")
    if rows:
        L.append("")
        L.append("Issue 12's targets (Levee vs knotd, medians of this run): "
                 "memory per small zone no more than knotd's, start to "
                 "first answer for 10,000 and 100,000 zones no slower than "
                 "knotd's.")
        L.append("")
        L.append("| zones | bytes per zone, Levee vs knotd | start to first "
                 "answer, Levee vs knotd |")
        L.append("|---|---|---|")
        L.extend(rows)
    with open(out, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
