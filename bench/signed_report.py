#!/usr/bin/python3
"""signed_report.py -- signed.tsv of bench/signed-compare to markdown.

usage: signed_report.py signed.tsv run.txt > signed.md

Rows of signed.tsv: SERVER ROUND METRIC VALUE. Prints medians with
[min-max] over the rounds, the per-round ratios Levee/knotd and
Levee/nsd (the median of the ratios and their range, each ratio taken
within one round, so the machine's drift between rounds cancels) against
issue 15's target of 1.3 x knotd, and the 1,000,000-record zone's load
time and memory.
"""
import collections
import statistics
import sys

SERVERS = ["levee", "armed", "knotd", "nsd"]
TARGET = 1.3


def load(path):
    d = collections.defaultdict(dict)   # (server, metric) -> {round: value}
    for line in open(path):
        w = line.rstrip("\n").split("\t")
        if len(w) != 4 or w[3] in ("", "fail"):
            continue
        try:
            d[(w[0], w[2])][int(w[1])] = float(w[3])
        except ValueError:
            pass
    return d


def fmt(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if v < 1 else f"{v:.2f}"


def med(vals):
    if not vals:
        return "-"
    return "%s [%s-%s]" % (fmt(statistics.median(vals)), fmt(min(vals)),
                           fmt(max(vals)))


def ratios(d, a, b, m, invert=False):
    ra, rb = d.get((a, m), {}), d.get((b, m), {})
    out = []
    for r in sorted(set(ra) & set(rb)):
        if ra[r] > 0 and rb[r] > 0:
            out.append(rb[r] / ra[r] if invert else ra[r] / rb[r])
    return out


def verdict(rs):
    if min(rs) >= TARGET:
        return "met"
    if statistics.median(rs) >= TARGET:
        return "met by the median, not in every round"
    return "not met"


def rmed(v):
    if not v:
        return "-"
    return "%.2f [%.2f-%.2f]" % (statistics.median(v), min(v), max(v))


def main():
    d = load(sys.argv[1])
    run = open(sys.argv[2]).read().strip().splitlines()
    print("# Signed zones: Levee against knotd and nsd (bench/signed-compare)\n")
    for line in run:
        print("    " + line)
    print()
    rows = [
        ("UDP answered/s, open throttle, DO=1", "open.answered_per_s", False),
        ("server CPU cores used at open throttle", "open.srv_cpu", False),
        ("server CPU us per answer at open throttle", "open.srv_us", True),
        ("lost per open-throttle run", "open.lost", None),
        ("TC + unexpected + wrong per open-throttle run", "open.bad", None),
        ("sent/s at the fixed rate", "rate.sent_per_s", None),
        ("server CPU us per answer at the fixed rate", "rate.srv_us", True),
        ("machine CPU us per answer at the fixed rate", "rate.mach_us", True),
        ("p99 latency at the fixed rate (us)", "rate.p99_us", None),
    ]
    for s in SERVERS:
        for ph in ("open", "rate"):
            bad = collections.defaultdict(float)
            for k in ("tc", "unexpected", "wrong"):
                for r, v in d.get((s, ph + "." + k), {}).items():
                    bad[r] += v
            d[(s, ph + ".bad")] = dict(bad)
    print("Medians [min-max] over the rounds; the ratio columns are the "
          "median [min-max] of the per-round ratios (for CPU per answer, "
          "the other server's over Levee's: above 1 is Levee cheaper).\n")
    print("| figure | Levee | Levee armed | knotd | nsd | Levee/knotd | "
          "armed/knotd | Levee/nsd | armed/nsd |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, m, inv in rows:
        cells = [med(list(d.get((s, m), {}).values())) for s in SERVERS]
        if inv is None:
            rs = ["-"] * 4
        else:
            rs = [rmed(ratios(d, a, b, m, inv)) for a, b in
                  (("levee", "knotd"), ("armed", "knotd"),
                   ("levee", "nsd"), ("armed", "nsd"))]
        print("| %s | %s |" % (label, " | ".join(cells + rs)))
    print()
    m = "open.answered_per_s"
    print("Per round at open throttle (DO=1): answered/s, and in brackets "
          "the server CPU cores used (1.0 = the server's CPU was its own "
          "and saturated; below it the server got less, from the machine's "
          "other work or a generator that could not keep up):\n")
    print("| round | load avg | Levee | armed | knotd | nsd | Levee/knotd | "
          "armed/knotd |")
    print("|---|---|---|---|---|---|---|---|")
    rounds = sorted(set().union(*[set(d.get((s, m), {})) for s in SERVERS]))
    for r in rounds:
        v = [d.get((s, m), {}).get(r) for s in SERVERS]
        c = [d.get((s, "open.srv_cpu"), {}).get(r) for s in SERVERS]
        la = d.get(("all", "loadavg"), {}).get(r)
        lk = ("%.2f" % (v[0] / v[2])) if v[0] and v[2] else "-"
        ak = ("%.2f" % (v[1] / v[2])) if v[1] and v[2] else "-"
        print("| %d | %s | %s | %s |" % (
            r, "-" if la is None else "%.2f" % la,
            " | ".join("-" if x is None else "%s (%.2f)" % (fmt(x), y or 0)
                       for x, y in zip(v, c)), lk + " | " + ak))
    print()
    sat = [r for r in rounds
           if all((d.get((s, "open.srv_cpu"), {}).get(r) or 0) >= 0.9
                  for s in ("levee", "armed", "knotd"))]
    print("Rounds where Levee, armed and knotd each used at least 0.9 of "
          "their core at open throttle: %d of %d%s.\n" % (
              len(sat), len(rounds),
              "" if len(sat) == len(rounds) else
              " (answered/s then ranks the CPU each got, not the server: "
              "read the CPU per answer)"))
    for who in ("levee", "armed"):
        name = "Levee" if who == "levee" else "Levee armed"
        rs = ratios(d, who, "knotd", m)
        if rs:
            print("- %s/knotd, UDP answered/s, DO=1: %s against the target "
                  "%.1f: %s." % (name, rmed(rs), TARGET,
                                 verdict(rs) if sat else
                                 "no verdict (no round saturated the servers)"))
        for mm, lab in (("open.srv_us", "at open throttle"),
                        ("rate.srv_us", "at the fixed rate")):
            rs = ratios(d, who, "knotd", mm, True)
            if rs:
                print("- knotd's server CPU per answer over %s's, %s: %s "
                      "(the answered/s ratio if each saturated a core of "
                      "its own at that cost): %s." % (name, lab, rmed(rs),
                                                      verdict(rs)))
    shared = sorted((s, r, mm) for (s, mm), v in d.items()
                    if mm.endswith(".port_shared") for r in v)
    if shared:
        print("\nRuns whose port another process (not started here) also "
              "held, so part of the load went to it: %s." % ", ".join(
                  "%s round %d %s" % (s, r, mm.split(".")[0])
                  for s, r, mm in shared))
    large = [s for s in ("levee", "knotd", "nsd", "armed")
             if d.get((s, "large.first_s"))]
    if large:
        print("\nThe signed 1,000,000-record zone (big.test), each server alone "
              "on CPU 1, medians [min-max]:\n")
        print("| server | exec to first answer of the last record (s) | "
              "exec to idle (s) | CPU s to idle | VmHWM (MiB) | VmRSS idle (MiB) |")
        print("|---|---|---|---|---|---|")
        for s in large:
            print("| %s | %s | %s | %s | %s | %s |" % (
                s, med(list(d[(s, "large.first_s")].values())),
                med(list(d.get((s, "large.idle_s"), {}).values())),
                med(list(d.get((s, "large.cpu_s"), {}).values())),
                med([v / 1024 for v in d.get((s, "large.hwm_kb"), {}).values()]),
                med([v / 1024 for v in d.get((s, "large.rss_kb"), {}).values()])))
        if "levee" in large and "knotd" in large:
            print()
            for lab, mm in (("first answer", "large.first_s"),
                            ("VmHWM", "large.hwm_kb"),
                            ("VmRSS", "large.rss_kb")):
                print("- Levee/knotd %s: %s (per round)" % (
                    lab, rmed(ratios(d, "levee", "knotd", mm))))


if __name__ == "__main__":
    main()
