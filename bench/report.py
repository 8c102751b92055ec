#!/usr/bin/python3
"""report.py -- bench/compare's results.tsv -> table.md and chart.png.

results.tsv rows: SERVER ROUND METRIC VALUE. For each metric and server the
table gives the median over rounds and the range [min-max], then the ratios
Levee/knotd and Levee/nsd of the medians, and for UDP figures Levee as a
percentage of the null responder. The chart (gnuplot, if installed) shows
the medians with their ranges as error bars.

usage: report.py RESULTS.TSV OUTDIR ROUNDS DUR RATE UDPLOAD TCPLOAD
"""
import collections
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys

SERVERS = ["levee", "armed", "knotd", "nsd", "null"]
# "armed": Levee with RRL and cookies on but not triggered.
# metric, label, higher-is-better
METRICS = [
    ("udp_open.qps", "UDP answered/s, open throttle, 10k zone", True),
    ("udp_open.srv_cpu", "server CPU cores used at open throttle", None),
    ("udp_open.srv_us", "server CPU us per answer at open throttle", False),
    ("udp_large.qps", "UDP answered/s, open throttle, 1M zone", True),
    ("udp_rate.srv_us", "server CPU s per 1M answers at fixed rate", False),
    ("udp_rate.mach_us", "machine CPU s per 1M answers at fixed rate", False),
    ("udp_rate.p99", "p99 latency at fixed rate (us)", False),
    ("tcp.qps", "TCP pipelined answered/s", True),
    ("dnsperf.qps", "dnsperf queries/s (generator-bound)", True),
    ("load.s", "1M-record zone: start to last record answered (s)", False),
    ("load.hwm_mib", "1M-record zone: peak RSS, VmHWM (MiB)", False),
    ("udp_open.lost", "lost queries per open-throttle run", False),
]


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, or "?"."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def main():
    tsv, outdir, rounds, dur, rate, udpload, tcpload = sys.argv[1:8]
    data = collections.defaultdict(list)
    with open(tsv) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4 or parts[3] == "":
                continue
            try:
                data[(parts[0], parts[2])].append(float(parts[3]))
            except ValueError:
                pass

    def med(s, m):
        v = data.get((s, m))
        return statistics.median(v) if v else None

    def rng(s, m):
        v = data.get((s, m))
        return f"{fmt(min(v))}-{fmt(max(v))}" if v else ""

    cpu = cpu_model()
    lines = []
    lines.append(f"Run {datetime.datetime.now():%Y-%m-%d %H:%M} on "
                 f"{platform.node()} ({cpu}, {os.cpu_count()} CPUs, "
                 f"kernel {platform.release()}): {rounds} rounds of "
                 f"{dur} s runs, interleaved; servers on CPU 1, generator "
                 f"on CPU 0; UDP load {udpload} conns x outstanding, fixed "
                 f"rate {rate}/s, TCP {tcpload} conns x pipeline depth. "
                 f"Median [range]. Load average at the end: "
                 f"{open('/proc/loadavg').read().split()[0]} (other jobs on "
                 f"the machine move every figure).")
    lines.append("")
    lines.append("| figure | Levee | Levee armed | knotd | nsd | null | "
                 "Levee/knotd | Levee/nsd | Levee % of null | armed/Levee |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for m, label, _ in METRICS:
        if not any((s, m) in data for s in SERVERS):
            continue
        cells = []
        for s in SERVERS:
            v = med(s, m)
            cells.append(f"{fmt(v)} [{rng(s, m)}]" if v is not None else "-")
        lv, ar, kn, ns, nl = (med(s, m) for s in SERVERS)
        rk = f"{lv / kn:.2f}" if lv is not None and kn else "-"
        rn = f"{lv / ns:.2f}" if lv is not None and ns else "-"
        pn = "-"
        if lv is not None and nl and (m.endswith("_us") or
                                      m.endswith(".qps")):
            pn = f"{100 * lv / nl:.0f}%"
        ra = f"{ar / lv:.2f}" if lv and ar is not None else "-"
        lines.append(f"| {label} | " + " | ".join(cells) +
                     f" | {rk} | {rn} | {pn} | {ra} |")
    # Answers per server CPU-second at saturation, as % of the null.
    aps = {}
    for s in SERVERS:
        q, c = med(s, "udp_open.qps"), med(s, "udp_open.srv_cpu")
        if q and c:
            aps[s] = q / c
    if aps:
        cells = [fmt(aps.get(s)) for s in SERVERS]
        lv = aps.get("levee")
        rk = f"{lv / aps['knotd']:.2f}" if lv and aps.get("knotd") else "-"
        rn = f"{lv / aps['nsd']:.2f}" if lv and aps.get("nsd") else "-"
        pn = f"{100 * lv / aps['null']:.0f}%" if lv and aps.get("null") else "-"
        ra = f"{aps['armed'] / lv:.2f}" if lv and aps.get("armed") else "-"
        lines.append("| answers per server CPU-second at saturation | " +
                     " | ".join(cells) + f" | {rk} | {rn} | {pn} | {ra} |")
    lines.append("")
    lines.append("Levee: defences off. Levee armed: the same binary with "
                 "`rate-limit: {responses-per-second: 1000, "
                 "ipv4-prefix-length: 32}` and `cookies: {answer: on}`, "
                 "not triggered (each of the generator's 64 sources stays "
                 "under every limit); armed/Levee is the cost of being armed.")
    lines.append("Machine CPU includes the generator's own CPU (same load "
                 "for every server at the fixed rate).")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "table.md"), "w") as f:
        f.write(text)

    # Chart: answered/s figures, medians with ranges.
    dat = os.path.join(outdir, "chart.dat")
    with open(dat, "w") as f:
        f.write("# figure " + " ".join(f"{s} {s}_min {s}_max"
                                        for s in SERVERS) + "\n")
        for m, label in (("udp_open.qps", "UDP 10k"),
                         ("udp_large.qps", "UDP 1M"),
                         ("tcp.qps", "TCP"),
                         ("dnsperf.qps", "dnsperf")):
            row = [f'"{label}"']
            for s in SERVERS:
                v = data.get((s, m))
                if v:
                    row += [f"{statistics.median(v) / 1000:.1f}",
                            f"{min(v) / 1000:.1f}", f"{max(v) / 1000:.1f}"]
                else:
                    row += ["0", "0", "0"]
            f.write(" ".join(row) + "\n")
    if shutil.which("gnuplot"):
        png = os.path.join(outdir, "chart.png")
        plot = f"""
set terminal pngcairo size 900,500 noenhanced
set output '{png}'
set title 'answered queries/s (thousands), median and range'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set yrange [0:*]
set key top right
set grid ytics
plot '{dat}' using 2:3:4:xtic(1) title 'Levee', \\
     '' using 5:6:7 title 'Levee armed', \\
     '' using 8:9:10 title 'knotd', \\
     '' using 11:12:13 title 'nsd', \\
     '' using 14:15:16 title 'null responder'
"""
        r = subprocess.run(["gnuplot"], input=plot, text=True,
                           capture_output=True)
        if r.returncode != 0:
            # pngcairo missing in gnuplot-nox builds: fall back to png.
            plot = plot.replace("pngcairo", "png")
            subprocess.run(["gnuplot"], input=plot, text=True)


if __name__ == "__main__":
    main()
