#!/usr/bin/python3
"""catalog_report.py -- bench/catalog's catalog.tsv -> catalog.md.

The TSV has a header line and one row per consumer, member count (N, or 0:
the empty catalog) and round (status "ok", or why the row has no figures:
timeout, exited, port-busy). For each consumer the table gives the median
over the rounds that are ok and the range in brackets: seconds from exec
until every member answers (and until the first, and half of them), until
its CPU is still, VmRSS and VmHWM then, memory per member (VmRSS idle with
N members - VmRSS idle with the empty catalog of the same round) / N, its
CPU seconds and the primary's while it provisioned, the AXFRs in its log.
Then the milestones of its log (catalog-events.tsv) and the poller's cost.

usage: catalog_report.py TSV EVENTS RUN.txt OUT.md
"""
import collections
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cpu_model, fmt  # noqa: E402

ORDER = ["levee", "knotd"]


def med(vals, scale=1.0, unit=""):
    v = [x * scale for x in vals if x is not None]
    if not v:
        return "-"
    m = fmt(statistics.median(v)) + unit
    if len(v) > 1:
        m += f" ({fmt(min(v))}-{fmt(max(v))})"
    return m


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    tsv, evt, run, out = sys.argv[1:]
    rows = []
    with open(tsv) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            v = line.rstrip("\n").split("\t")
            rows.append(dict(zip(head, v + [""] * (len(head) - len(v)))))
    info = {}
    with open(run) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            info[k] = v
    n = int(info["n"])
    by = collections.defaultdict(list)
    base = {}
    bad = []
    for r in rows:
        if r["status"] != "ok":
            bad.append(r)
            continue
        if r["members"] == "0":
            base[(r["consumer"], r["round"])] = r
        else:
            by[r["consumer"]].append(r)
    cons = [c for c in ORDER if c in by] + [c for c in by if c not in ORDER]
    w = []
    w.append(f"# Catalog zones: {n:,} members from one catalog\n\n")
    w.append(f"{info.get('host', '?')}, {cpu_model()}; primary "
             f"{info.get('primary', '?')} on CPU {info.get('pri_cpu')} "
             f"(serving all {n:,} members and both catalogs "
             f"{info.get('primary_start_s')} s after its exec), consumers "
             f"on CPU {info.get('con_cpu')}, poller on CPU "
             f"{info.get('poll_cpu')}; {info.get('rounds')} rounds; load "
             f"average at start {info.get('load_start')}, at end "
             f"{info.get('load_end', '?')}; Levee {info.get('levee')}, "
             f"{info.get('knotd')}.\n\n")
    w.append("Medians over the rounds (range). *all answer*: from the "
             "consumer's exec until every member answers SOA NOERROR; "
             "memory when its CPU is still afterwards; *per member*: "
             "(VmRSS with the members - VmRSS with the empty catalog, same "
             "round) / N.\n\n")
    w.append("| consumer | all answer | first, half answer | still | VmRSS "
             "| VmHWM | per member | empty catalog VmRSS | CPU s (consumer) "
             "| CPU s (primary) | member AXFRs |\n")
    w.append("|---|---|---|---|---|---|---|---|---|---|---|\n")
    for c in cons:
        rs = by[c]
        per = []
        brss = []
        for r in rs:
            b = base.get((c, r["round"]))
            if b and num(r["rss_idle_kb"]) and num(b["rss_idle_kb"]):
                per.append((num(r["rss_idle_kb"]) - num(b["rss_idle_kb"]))
                           * 1024 / n)
            if b:
                brss.append(num(b["rss_idle_kb"]))
        g = lambda k: [num(r[k]) for r in rs]  # noqa: E731
        w.append(
            f"| {c} | {med(g('all_s'), unit=' s')} | "
            f"{med(g('first_s'))}, {med(g('half_s'))} s | "
            f"{med(g('idle_s'), unit=' s')} | "
            f"{med(g('rss_idle_kb'), 1 / 1024, ' MiB')} | "
            f"{med(g('hwm_idle_kb'), 1 / 1024, ' MiB')} | "
            f"{med(per, unit=' B')} | {med(brss, 1 / 1024, ' MiB')} | "
            f"{med(g('con_cpu_s'))} | {med(g('pri_cpu_s'))} | "
            f"{med(g('xfr'))} |\n")
    w.append("\nThe poller (bench/catpoll.py, batch "
             f"{info.get('poll_batch')} names a tick of "
             f"{info.get('poll_tick')} s, only the names not answering "
             "yet):\n\n")
    w.append("| consumer | ticks | queries | longest tick | one pass over "
             "all members | poller CPU s | load1 at the end |\n")
    w.append("|---|---|---|---|---|---|---|\n")
    for c in cons:
        rs = by[c]
        g = lambda k: [num(r[k]) for r in rs]  # noqa: E731
        w.append(f"| {c} | {med(g('poll_ticks'))} | "
                 f"{med(g('poll_queries'))} | "
                 f"{med(g('poll_max_tick_s'), unit=' s')} | "
                 f"{med(g('poll_pass_s'), unit=' s')} | "
                 f"{med(g('poll_cpu_s'))} | {med(g('load1'))} |\n")
    # milestones from the logs
    ev = collections.defaultdict(lambda: collections.defaultdict(list))
    keys = []
    try:
        with open(evt) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) < 4 or p[1] == "0":
                    continue
                t = p[3].split()
                for k, v in zip(t[0::2], t[1::2]):
                    if k == "xfr":
                        continue
                    ev[p[0]][k].append(num(v))
                    if k not in keys:
                        keys.append(k)
                    if k == "last_axfr":
                        for r in by.get(p[0], []):
                            if r["round"] == p[2] and num(r["all_s"]):
                                ev[p[0]]["poll_lag"].append(
                                    num(r["all_s"]) - num(v))
    except OSError:
        pass
    if ev:
        keys.append("poll_lag")
        w.append("\nMilestones in the consumers' logs, seconds from exec "
                 "(medians, range; knotd's log has whole seconds, so its "
                 "figures are up to 1 s early): catalog_axfr (the catalog "
                 "transferred), catalog_read (Levee: \"catalog ... lists N "
                 "members\"; knotd: \"catalog reloaded\"), "
                 "reload_begin/reload_done (Levee's reload adding the "
                 "members), first_axfr/last_axfr (the first and last member "
                 "transferred), poll_lag (all answer - last_axfr: how late the "
                 "poller saw the last member).\n\n")
        w.append("| consumer | " + " | ".join(keys) + " |\n")
        w.append("|---|" + "---|" * len(keys) + "\n")
        for c in cons:
            w.append(f"| {c} | " + " | ".join(
                med(ev[c].get(k, [])) for k in keys) + " |\n")
    if bad:
        w.append("\nRuns without figures: " + ", ".join(
            f"{r['consumer']} {r['members']} members round {r['round']}: "
            f"{r['status']}" for r in bad) + "\n")
    with open(out, "w") as f:
        f.writelines(w)


if __name__ == "__main__":
    main()
