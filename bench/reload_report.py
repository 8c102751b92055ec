#!/usr/bin/python3
"""reload_report.py -- bench/reload's TSVs to reload.md.

    reload_report.py RELOAD_TSV RUNS_TSV OUT_MD ROUNDS RELOADS RATE JOURNAL
                     SRV_CPU GEN_CPU LOADAVG

RELOAD_TSV has one row per reload (server, round, k, serial, status,
reload_s, cmd_s, hwm_kb, rss_kb), RUNS_TSV one per server and round (see
bench/reload). The table gives, per server, the median over every reload
of every round with the range (min-max), the median over rounds of each
round's peak memory with the range, and the load's counts summed over the
rounds; then Levee against knotd on the issue's targets.
"""
import statistics
import sys


def rows(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        return [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def med(v):
    return statistics.median(v) if v else None


def rng(v, fmt):
    if not v:
        return "-"
    return f"{fmt(med(v))} ({fmt(min(v))}-{fmt(max(v))})"


def mb(kb):
    return f"{kb * 1024 / 1e6:,.0f}"


def sec(s):
    return f"{s:.2f}"


def main():
    if len(sys.argv) != 11:
        sys.exit(__doc__)
    rel, runs = rows(sys.argv[1]), rows(sys.argv[2])
    out = sys.argv[3]
    rounds, reloads, rate, journal = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
    srv_cpu, gen_cpu, loadavg = sys.argv[8], sys.argv[9], sys.argv[10]
    servers = []
    for r in runs:
        if r["server"] not in servers:
            servers.append(r["server"])
    S = {}
    for s in servers:
        ok_runs = [r for r in runs if r["server"] == s and r["status"] == "ok"]
        rs = [r for r in rel if r["server"] == s]
        times = [float(r["reload_s"]) for r in rs if r["status"] != "timeout"]
        d = {
            "runs": len(ok_runs),
            "bad_runs": len([r for r in runs if r["server"] == s and r["status"] != "ok"]),
            "reloads": len(rs),
            "reload_ok": len([r for r in rs if r["status"] == "ok"]),
            "times": times,
            "cmd": [float(r["cmd_s"]) for r in rs],
            "start": [float(r["start_s"]) for r in ok_runs],
            "hwm0": [int(r["hwm0_kb"]) for r in ok_runs],
            "rss0": [int(r["rss0_kb"]) for r in ok_runs],
            "hwm": [int(r["hwm_during_kb"]) for r in ok_runs],
            "rss": [int(r["rss_during_kb"]) for r in ok_runs],
            "ratio": [int(r["hwm_during_kb"]) / int(r["rss0_kb"]) for r in ok_runs
                      if int(r["rss0_kb"])],
        }
        for k in ("sent", "answered", "lost", "wrong", "tc", "unexpected",
                  "servfail_refused", "nxdomain"):
            d[k] = sum(int(r[k]) for r in ok_runs)
        d["load_s"] = sum(float(r["load_s"]) for r in ok_runs)
        d["wall_s"] = sum(float(r["wall_s"]) for r in ok_runs)
        d["failed"] = d["sent"] - d["answered"] - d["wrong"]
        d["p99"] = max([float(r["p99_max_us"]) for r in ok_runs] or [0])
        base = [r for r in ok_runs if r.get("base_sent", "") not in ("", "0")]
        d["base_s"] = sum(float(r["base_s"]) for r in base)
        d["base_sent"] = sum(int(r["base_sent"]) for r in base)
        d["base_failed"] = sum(int(r["base_sent"]) - int(r["base_answered"]) for r in base)
        S[s] = d

    o = []
    o.append(f"# Reload: a 1,000,000-record zone reloaded under load{' (with journal)' if journal == '1' else ''}\n")
    o.append(f"{reloads} reloads of `big.test` (bench/mkzone.py's large.zone; each time the serial + 1, "
             f"20 A records at other addresses, one TXT name gone and one new) per server and round, {rounds} rounds "
             f"interleaved, under a paced UDP load of {int(rate):,} queries/s "
             f"(bench/lvload, large.queries, every answer NOERROR); each server one worker "
             f"on CPU {srv_cpu} (its reload too), the load and the driver on CPU {gen_cpu}; "
             f"journal {'on (Levee database: journal-db; knotd zonefile-load: difference, journal-content: changes)' if journal == '1' else 'off'}. "
             f"Load average at the end: {loadavg}.\n")
    o.append("Reload = from the trigger (levee-ctl reload, knotc -b zone-reload, "
             "nsd-control reload) to the first SOA answer with the new serial (polled every "
             "10 ms); the command's own time beside it. Memory = VmHWM (VmRSS) summed over "
             "the process tree, sampled every 20 ms from just before the first reload to "
             "after the last; the start figures are read once the server is idle after its "
             "load. Medians, ranges (min-max) in parentheses: reload times over every "
             "reload of every round, memory over rounds.\n")
    o.append("| server | reloads ok | reload s | command s | VmHWM during, MB | VmRSS during, MB | after start: VmRSS / VmHWM, MB | peak / start RSS |")
    o.append("|---|---|---|---|---|---|---|---|")
    for s in servers:
        d = S[s]
        o.append(f"| {s} | {d['reload_ok']}/{d['reloads']} | {rng(d['times'], sec)} | "
                 f"{rng(d['cmd'], sec)} | {rng(d['hwm'], mb)} | {rng(d['rss'], mb)} | "
                 f"{rng(d['rss0'], mb)} / {rng(d['hwm0'], mb)} | "
                 f"{rng(d['ratio'], lambda x: f'{x:.2f}')} |")
    o.append("")
    o.append("The load over the whole measurement (sums over the rounds; lvload runs back to "
             "back, so `load s` / `wall s` is the share of the time covered; failed = sent - "
             "answered - wrong: lost, late, TC, unexpected rcodes; `no reload` is the same "
             "load for BASE s before the first reload, what the machine alone costs):\n")
    o.append("| server | load s / wall s | sent/s | sent | answered | failed | wrong | lost | worst p99 of a run, ms | no reload: s, sent, failed |")
    o.append("|---|---|---|---|---|---|---|---|---|---|")
    for s in servers:
        d = S[s]
        sps = d["sent"] / d["load_s"] if d["load_s"] else 0
        o.append(f"| {s} | {d['load_s']:.0f} / {d['wall_s']:.0f} | {sps:,.0f} | {d['sent']:,} | "
                 f"{d['answered']:,} | {d['failed']:,} ({100 * d['failed'] / max(d['sent'], 1):.2f}%) | "
                 f"{d['wrong']:,} | {d['lost']:,} | {d['p99'] / 1000:.1f} | "
                 + (f"{d['base_s']:.0f}, {d['base_sent']:,}, {d['base_failed']:,} "
                    f"({100 * d['base_failed'] / max(d['base_sent'], 1):.2f}%) |"
                    if d["base_sent"] else "- |"))
    o.append("")
    if "levee" in S and "knotd" in S and S["levee"]["times"] and S["knotd"]["times"]:
        L, K = S["levee"], S["knotd"]
        lt, kt = med(L["times"]), med(K["times"])
        lh, kh = med(L["hwm"]), med(K["hwm"])
        lr = med(L["ratio"])
        o.append("Against the targets of issue 13 (Levee against knotd in this run):\n")
        o.append(f"- failed or wrong answers 0: Levee {L['failed']:,} failed, {L['wrong']:,} wrong "
                 f"of {L['sent']:,} (knotd {K['failed']:,}, {K['wrong']:,}) -- "
                 f"{'met' if L['failed'] == 0 and L['wrong'] == 0 else 'NOT met'}")
        o.append(f"- no slower than knotd: median reload {lt:.2f} s against {kt:.2f} s "
                 f"({lt / kt:.2f} x) -- {'met' if lt <= kt else 'NOT met'}")
        o.append(f"- peak memory no more than knotd's: {mb(lh)} MB against {mb(kh)} MB "
                 f"({lh / kh:.2f} x) -- {'met' if lh <= kh else 'NOT met'}")
        o.append(f"- peak memory no more than 2.5 x one copy of the zone: {lr:.2f} x Levee's "
                 f"VmRSS after its start (which holds one copy and the server itself) -- "
                 f"{'met' if lr <= 2.5 else 'NOT met'}")
        o.append("")
    with open(out, "w") as f:
        f.write("\n".join(o))


if __name__ == "__main__":
    main()
