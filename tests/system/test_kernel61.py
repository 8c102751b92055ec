"""test_kernel61.py -- the existence filter (server/exist_filter.bpf.c,
issue 16) loads and works under Debian 12's stock kernel 6.1, whatever
kernel this machine runs: scripts/qemu-kernel-test.sh boots that kernel in
QEMU (emulated, about 15 s) and runs tests/unit/test_exist_filter there
with LEVEE_EXIST_FILTER_REQUIRED set, so a program the 6.1 verifier refuses
fails this test with the verifier's log in its output.

The build is the one LEVEE_BIN is in (BUILDDIR/server/levee).  Skipped only
when that build has no existence filter (no clang BPF target); anything
else missing (QEMU, busybox-static, the kernel package) fails it.  Not
marked asan or tsan: the sanitizer runs leave it out.
"""

import os
import re
import subprocess

import pytest

import levee_helpers as H

SCRIPT = os.path.join(H.REPO, "scripts", "qemu-kernel-test.sh")


def test_exist_filter_loads_on_kernel_61():
    build = os.path.dirname(os.path.dirname(H.levee_bin()))
    p = subprocess.run(["sh", SCRIPT, build], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=420)
    out = p.stdout
    if p.returncode == 77:
        pytest.skip(out.strip().splitlines()[-1])
    insns = re.search(r"verifier: (\d+) processed", out)
    release = re.search(r"^QEMU-KERNEL=(\S+)", out, re.M)
    print("kernel %s: verifier processed %s insns" % (
        release.group(1) if release else "?",
        insns.group(1) if insns else "?"))
    assert p.returncode == 0, "qemu-kernel-test.sh exited %d:\n%s" % (
        p.returncode, out[-6000:])
    assert release and release.group(1).startswith("6.1."), out[-2000:]
    assert insns, "no verifier count printed:\n" + out[-2000:]
