#!/usr/bin/python3
"""flood_report.py -- flood.tsv (bench/flood-compare) to flood.md and flood.png.

usage: flood_report.py TSV OUTDIR DUR CAP LRATE TCP_CONNS LOADAVG

Each TSV row: server, label, then the "FLOOD key=value ..." line of
bench/flood with the harness's own counters appended (flood2_sent, sockdrops,
softnet, lv_dropped, lv_rrl_dropped, lv_rrl_slipped). A label is a scenario,
or SCENARIO@Mx (offered at M times knotd's capacity CAP) or SCENARIO@core
(a second generator on the servers' core). One Markdown row per label and
server (with several rounds of a label, the median one), in the order run (flood.md), a one-line-per-label summary
(flood-summary.md); gnuplot charts: flood.png (legitimate answered %
per label) and flood-curve.png (legitimate answered % against M, one panel
per scenario).
"""
import os
import platform
import subprocess
import sys
import time


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            kv = {}
            for tok in parts[2].split():
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    kv[k] = v
            rows.append((parts[0], parts[1], kv))
    return rows


def medians(rows):
    """One row per (server, label): with several rounds, the one whose
    legitimate answered share is the median (the lower middle of an even
    count), with rounds=N and the others' shares (all_pct) added."""
    groups = {}
    order = []
    for s, sc, kv in rows:
        if (s, sc) not in groups:
            order.append((s, sc))
        groups.setdefault((s, sc), []).append(kv)
    out = []
    for s, sc in order:
        kvs = groups[(s, sc)]

        def share(kv):
            sent = num(kv, "legit_sent")
            return 100 * num(kv, "legit_answered") / sent if sent else 0

        ranked = sorted(kvs, key=share)
        kv = dict(ranked[(len(ranked) - 1) // 2])
        kv["rounds"] = str(len(kvs))
        kv["all_pct"] = "/".join(f"{share(k):.1f}" for k in kvs)
        out.append((s, sc, kv))
    return out


def num(kv, k, d=0.0):
    try:
        return float(kv.get(k, d))
    except ValueError:
        return d


def figure(label, kv):
    sc = label.split("@")[0]
    if sc == "reflection":
        return f"victim bytes in/out {num(kv, 'amp'):.2f}"
    if sc == "garbage":
        g, a = num(kv, "mach_us_per_garbage"), num(kv, "mach_us_per_answer")
        r = f"{g / a:.2f}" if a else "-"
        return f"machine us/garbage {g:.1f} vs /answer {a:.1f} (ratio {r})"
    if sc.startswith("tcp"):
        return f"attacker conns held avg {num(kv, 'tcp_open_avg'):.0f}, reopened {num(kv, 'tcp_reopened'):.0f}"
    if sc == "torture":
        s, ok = num(kv, "shared_sent"), num(kv, "shared_ok")
        return f"via flooded resolvers {100 * ok / s:.2f}%" if s else "-"
    return f"flood answered {num(kv, 'flood_noerror') + num(kv, 'flood_nxdomain'):.0f}, tc {num(kv, 'flood_tc'):.0f}"


def summary(rows, servers, scens, pct, dur, out):
    """flood-summary.md: one row per label, legitimate answered % (p99 ms)
    per server, and the range of flood received/s over the servers."""
    p99 = {(sc, s): num(kv, "p99_us") / 1000 for s, sc, kv in rows}
    rounds = {(sc, s): int(num(kv, "rounds", 1)) for s, sc, kv in rows}
    allp = {(sc, s): kv.get("all_pct", "") for s, sc, kv in rows}
    rx = {}
    for s, sc, kv in rows:
        fsent = num(kv, "flood_sent") + num(kv, "flood2_sent")
        rx.setdefault(sc, []).append(max(0.0, fsent - num(kv, "sockdrops")) / dur)
    head = "| scenario | flood received/s | " + " | ".join(servers) + " |"
    lines = ["Legitimate queries answered, % (p99 ms); with several rounds the "
             "median round, [every round's %]; the flood each server "
             "received, lowest to highest over the servers.", "", head,
             "|" + "---|" * (len(servers) + 2)]
    for sc in scens:
        r = rx.get(sc, [0])
        cells = []
        for s in servers:
            if (sc, s) not in pct:
                cells.append("-")
                continue
            best = max(pct.get((sc, o), -1) for o in servers)
            cell = f"{pct[(sc, s)]:.2f} ({p99[(sc, s)]:.1f})"
            if rounds.get((sc, s), 1) > 1:
                cell += f" [{allp[(sc, s)]}]"
            cells.append(f"**{cell}**" if pct[(sc, s)] >= best else cell)
        rng = "-" if sc.startswith("tcp") else f"{min(r):,.0f}-{max(r):,.0f}"
        lines.append(f"| {sc} | {rng} | " + " | ".join(cells) + " |")
    with open(os.path.join(out, "flood-summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    tsv, out, dur, cap, lrate, conns, load = sys.argv[1:8]
    dur = float(dur)
    rows = medians(parse(tsv))
    servers = []
    scens = []
    for s, sc, _ in rows:
        if s not in servers:
            servers.append(s)
        if sc not in scens:
            scens.append(sc)
    lines = []
    uname = platform.uname()
    ncpu = os.cpu_count()
    lines.append(
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {uname.node} ({ncpu} CPUs, kernel {uname.release}): "
        f"{dur:g} s per run; knotd's capacity C = {int(float(cap)):,} answered/s; floods offered at "
        f"M x C (`@Mx`), or as fast as two generators can with the second on the servers' core "
        f"(`@core`), reflection and garbage at C; legitimate "
        f"{int(float(lrate)):,}/s UDP (200/s TCP), {int(conns):,} attacker TCP connections; "
        f"servers on CPU 1, generator on CPU 0. RRL rows: 20 responses/s per /24, slip 2, cookies "
        f"answered; `0` rows: no RRL; `levee-def`: the same plus Levee's own flood defences "
        f"(bench/flood-compare). Load average at the end: {load}.")
    lines.append("")
    lines.append("| scenario | server | legit answered % | legit p99 ms | legit TC (retried) | flood sent/s "
                 "| flood received/s | server CPU | machine CPU | scenario figure | lost legit: where |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    pct = {}
    for s, sc, kv in rows:
        sent, ans = num(kv, "legit_sent"), num(kv, "legit_answered")
        p = 100 * ans / sent if sent else 0
        pct[(sc, s)] = p
        fsent = num(kv, "flood_sent") + num(kv, "flood2_sent")
        rx = max(0.0, fsent - num(kv, "sockdrops")) / dur
        lost = int(sent - ans)
        if s.startswith("levee"):
            where = (f"{lost}: Levee dropped {int(num(kv, 'lv_dropped'))} (rrl {int(num(kv, 'lv_rrl_dropped'))}, "
                     f"slipped {int(num(kv, 'lv_rrl_slipped'))}), socket {int(num(kv, 'sockdrops'))}, "
                     f"softnet {int(num(kv, 'softnet'))}")
        else:
            where = f"{lost}: socket {int(num(kv, 'sockdrops'))}, softnet {int(num(kv, 'softnet'))}"
        lines.append(
            f"| {sc} | {s} | {p:.2f} | {num(kv, 'p99_us') / 1000:.2f} | {int(num(kv, 'legit_tc'))} "
            f"({int(num(kv, 'legit_tc_ok'))} ok) | {fsent / dur:,.0f} | {rx:,.0f} | "
            f"{num(kv, 'srv_cpu'):.2f} | {num(kv, 'mach_cpu'):.2f} | {figure(sc, kv)} | {where} |")
    lines.append("")
    lines.append("legit answered % = correct answers (a TC counts only when the TCP retry got the "
                 "answer, its time included) over queries sent. flood received/s = flood sent minus the "
                 "server sockets' drops (/proc/net/udp), per second. CPU in cores (server: process tree "
                 "from /proc/PID/stat; machine: all CPUs from /proc/stat, including the generator and "
                 "anything else running). Levee's counters are from SIGUSR1 (rrl-dropped-*, dropped).")
    lines.append("")
    lines.append("Levee minus the best of knotd and nsd (RRL rows), legit answered, percentage points "
                 "(levee / levee-def):")
    lines.append("")
    for sc in scens:
        others = [pct[(sc, o)] for o in ("knotd", "nsd") if (sc, o) in pct]
        if not others:
            continue
        mine = [f"{pct[(sc, l)] - max(others):+.2f}" for l in ("levee", "levee-def") if (sc, l) in pct]
        if mine:
            lines.append(f"- {sc}: {' / '.join(mine)}")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out, "flood.md"), "w") as f:
        f.write(md)
    summary(rows, servers, scens, pct, dur, out)
    dat = os.path.join(out, "flood.dat")
    with open(dat, "w") as f:
        f.write("scenario " + " ".join(servers) + "\n")
        for sc in scens:
            f.write(sc + " " + " ".join(f"{pct.get((sc, s), 0):.3f}" for s in servers) + "\n")
    gp = f"""set terminal pngcairo size 1600,600 noenhanced
set output '{os.path.join(out, "flood.png")}'
set title 'Legitimate queries answered under flood (%)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:105]
set key outside right
set xtics rotate by -35
set grid ytics
plot for [i=2:{len(servers) + 1}] '{dat}' using i:xtic(1) title columnheader(i)
"""
    curve = os.path.join(out, "flood-curve.dat")
    bases = []
    for sc in scens:
        if "@" in sc and sc.endswith("x") and sc.split("@")[0] not in bases:
            bases.append(sc.split("@")[0])
    with open(curve, "w") as f:
        for b in bases:
            f.write(f"# {b}\nmult " + " ".join(servers) + "\n")
            for sc in scens:
                if sc.startswith(b + "@") and sc.endswith("x"):
                    f.write(sc.split("@")[1][:-1] + " " +
                            " ".join(f"{pct.get((sc, s), 0):.3f}" for s in servers) + "\n")
            f.write("\n\n")
    panels = "".join(
        f"set title '{b}'\nplot for [i=2:{len(servers) + 1}] '{curve}' index {k} using 1:i "
        f"with linespoints title columnheader(i)\n" for k, b in enumerate(bases))
    gp += f"""set terminal pngcairo size 1200,800 noenhanced
set output '{os.path.join(out, "flood-curve.png")}'
set style data linespoints
set multiplot layout 2,2 title 'Legitimate queries answered (%) against the flood rate, in multiples of knotd capacity'
set yrange [0:105]
set xrange [0.4:1.6]
set xtics ('0.5' 0.5, '1' 1, '1.5' 1.5)
set key inside bottom left
set xtics norotate
set grid
{panels}unset multiplot
"""
    try:
        subprocess.run(["gnuplot"], input=gp.encode(), check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"flood_report: no chart ({e})", file=sys.stderr)


if __name__ == "__main__":
    main()
