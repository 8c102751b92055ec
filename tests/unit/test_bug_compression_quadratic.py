#!/usr/bin/python3
"""test_bug_compression_quadratic.py -- issue 11, finding 1: the CPU a query
costs in name compression is bounded by the bytes written.

Before the fix, render_name() tried every suffix of a name against every
remembered offset and each try walked labels again: a 255-octet qname of
one-octet labels under a DNAME cost about 18 million instructions in the
engine (11,000 plain A queries), a chain of five DNAMEs over TCP about 170
million. The work is counted, not timed: the harness answer_cost runs each
query through answer_query() under callgrind, counting the engine
(--toggle-collect=cost_run) and within it render_rrset(), and the test
bounds

  - the engine's instructions for each adversarial query against a plain A
    query's, a reply larger than 1,232 octets counting once per 1,232 (as
    issue 11's adversarial bench counts; the old code was 11,000 and
    50,000 times over), and
  - render_rrset()'s instructions per byte of reply against those of a
    normal reply rich in compression (a referral of 12 NS and 24 glue
    records): linear in the bytes written, whatever the names.

Both are ratios of counts from the same build, so they hold at any
optimisation level. Exit 77 (meson: skipped) when valgrind is missing.

usage: test_bug_compression_quadratic.py ANSWER_COST DATA_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

ENGINE_RATIO_MAX = 50    # adversarial query / plain A query, engine
RENDER_RATIO_MAX = 4     # render instructions per reply byte / the referral's
RUNS = 3                 # queries counted per case (the counts are exact)


def count(harness, zones, args):
    """Instructions per query in the engine and in render_rrset(), and the
    reply size: one callgrind run counting cost_run() (the measured loop),
    render_rrset()'s inclusive share read back with callgrind_annotate."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        p = subprocess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=cost_run",
             "--callgrind-out-file=" + out, harness, "-n", str(RUNS)]
            + args[0] + zones + ["--"] + args[1],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            check=False)
        if p.returncode != 0:
            sys.exit("answer_cost failed (%d): %s" % (p.returncode, p.stderr[-2000:]))
        with open(out) as f:
            engine = int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))
        a = subprocess.run(["callgrind_annotate", "--inclusive=yes", out],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, check=True)
        m = re.search(r"^\s*([\d,]+) .*:render_rrset \[", a.stdout, re.M)
        render = int(m.group(1).replace(",", "")) if m else 0
    size = int(re.search(r"len (\d+)", p.stdout).group(1))
    return engine // RUNS, render // RUNS, size, p.stdout.strip()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        print("valgrind not found: skipped")
        return 77
    harness, data = sys.argv[1], sys.argv[2]
    zones = [os.path.join(data, "answer", "example.com.zone"), "example.com.",
             os.path.join(data, "render", "cost.test.zone"), "cost.test."]
    # 118 one-octet labels under dname.example.com (DNAME example.net.):
    # 255 octets; the synthesised CNAME repeats the 236-octet prefix.
    dname255 = "a." * 118 + "dname.example.com."
    # 120 labels under d1.cost.test: five DNAME links over TCP
    chain = "a." * 120 + "d1.cost.test."
    cases = [
        ("plain A", (["-e", "1232"], ["www.example.com.", "1"])),
        ("referral, 12 NS + 24 glue (TCP)", (["-t"], ["many.example.com.", "2"])),
        ("255-octet qname under a DNAME", (["-e", "1232"], [dname255, "1"])),
        ("DNAME chain of five over TCP", (["-t"], [chain, "1"])),
    ]
    res = {}
    for name, args in cases:
        engine, render, size, reply = count(harness, zones, args)
        res[name] = (engine, render, size)
        print("%-34s engine %10d  render %10d  reply %5d B  %6.1f render/B  (%s)"
              % (name, engine, render, size, render / size, reply))
    plain = res["plain A"][0]
    base = res["referral, 12 NS + 24 glue (TCP)"]
    base_per_byte = base[1] / base[2]
    failed = []
    for name in ("255-octet qname under a DNAME", "DNAME chain of five over TCP"):
        engine, render, size = res[name]
        units = (size + 1231) // 1232
        er, rr = engine / units / plain, (render / size) / base_per_byte
        print("%-34s engine x%.1f of plain A per 1,232 B (max %d), render/B"
              " x%.2f of the referral's (max %d)"
              % (name, er, ENGINE_RATIO_MAX, rr, RENDER_RATIO_MAX))
        if er > ENGINE_RATIO_MAX or rr > RENDER_RATIO_MAX:
            failed.append(name)
    if failed:
        print("FAIL: compression work not linear for: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
