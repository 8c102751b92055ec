#!/bin/sh
# test.sh -- installs what is missing, builds, and runs every test:
#   1. unit tests (CUnit) in the optimised build,
#   2. system tests (pytest: the real binary, kdig, dig, dnspython, knotd;
#      test_kernel61.py boots Debian 12's kernel 6.1 in QEMU and runs the
#      existence filter's unit test there, scripts/qemu-kernel-test.sh),
#   3. unit tests and a representative subset of the system tests again in an
#      AddressSanitizer + UndefinedBehaviorSanitizer build
#      (-fno-sanitize-recover=all: any finding fails the run),
#   4. unit tests and the system tests marked "tsan" (reactors, TCP, RCU) in
#      a ThreadSanitizer build (liburcu's own atomics suppressed precisely in
#      tests/tsan.supp).
# Builds use -Dwerror=true: a compiler warning fails the run too.
# A check that the rate-limit object files reference no locking function
# runs first.
# Ends with one summary line "tests: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=/usr/bin/python3

scripts/deps.sh || exit 1

passed=0
failed=0
count_meson() { # builddir
	log="$1/meson-logs/testlog.json"
	[ -f "$log" ] || return 0
	p=$($PY -c 'import json,sys
ok=bad=0
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["result"] in ("OK","EXPECTEDFAIL","SKIP"): ok+=1
    else: bad+=1
print(ok,bad)' "$log")
	passed=$((passed + ${p% *}))
	failed=$((failed + ${p#* }))
}
count_pytest() { # junit xml
	[ -f "$1" ] || { failed=$((failed + 1)); return 0; }
	p=$($PY -c 'import sys,xml.etree.ElementTree as E
r=E.parse(sys.argv[1]).getroot()
s=r if r.tag=="testsuite" else r.find("testsuite")
t=int(s.get("tests"));f=int(s.get("failures"))+int(s.get("errors"));k=int(s.get("skipped"))
print(t-f-k,f)' "$1")
	passed=$((passed + ${p% *}))
	failed=$((failed + ${p#* }))
}
step_fail() { echo "test.sh: $1 FAILED"; failed=$((failed + 1)); }

# Builds.
scripts/build.sh build -Dwerror=true || step_fail "build"
scripts/build.sh build-asan -Dwerror=true -Dmalloc=libc -Dbuildtype=debug \
	-Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all \
	|| step_fail "build-asan"
scripts/build.sh build-tsan -Dwerror=true -Dmalloc=libc -Dbuildtype=debugoptimized \
	-Db_sanitize=thread -Db_lundef=false || step_fail "build-tsan"

# 0. RRL takes no lock of any kind (issue 5): its object file references no
#    locking function (mutex, spinlock, rwlock, condition, semaphore, C11
#    mtx_*, or an out-of-line __atomic_* call, which libatomic may lock).
#    So do the flood defences' tables (issue 7): limits.c.o, attack.c.o,
#    and the TCP per-prefix connection counts (issue 11): conncount.c.o.
for lf in bucket rrl limits attack conncount; do
	obj="build/ratelimit/liblevee_ratelimit.a.p/$lf.c.o"
	if [ ! -f "$obj" ]; then
		step_fail "$lf lock-free check ($obj missing)"
		continue
	fi
	locks=$(nm -u "$obj" | grep -E \
		'pthread_(mutex|spin|rwlock|cond)_|sem_[a-z]|mtx_|__atomic_' || true)
	if [ -z "$locks" ]; then
		echo "test.sh: $lf.c.o references no locking function: ok"
		passed=$((passed + 1))
	else
		echo "test.sh: $lf.c.o references locking functions:" $locks
		step_fail "$lf lock-free check"
	fi
done

# As root, with clang and libbpf installed above, the existence filter is
# built and loads: its unit and system tests fail, not skip, when it is
# missing (a build that silently turned it off) or refused by the kernel.
[ "$(id -u)" = 0 ] && export LEVEE_EXIST_FILTER_REQUIRED=1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# 1. Unit tests, optimised build.
meson test -C build --suite unit --print-errorlogs || true
count_meson build

# 2. System tests against the optimised binary.
LEVEE_BIN="$ROOT/build/server/levee" $PY -m pytest -q tests/system \
	--junitxml="$ROOT/build/pytest.xml" -p no:cacheprovider || true
count_pytest "$ROOT/build/pytest.xml"

# 3. Sanitizer build: unit tests and the system tests marked "asan".
meson test -C build-asan --suite unit --print-errorlogs || true
count_meson build-asan
LEVEE_BIN="$ROOT/build-asan/server/levee" LEVEE_SANITIZED=1 $PY -m pytest -q -m asan \
	tests/system --junitxml="$ROOT/build-asan/pytest.xml" -p no:cacheprovider || true
count_pytest "$ROOT/build-asan/pytest.xml"

# 4. ThreadSanitizer build: unit tests and the system tests marked "tsan".
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:suppressions=$ROOT/tests/tsan.supp"
meson test -C build-tsan --suite unit --print-errorlogs || true
count_meson build-tsan
LEVEE_BIN="$ROOT/build-tsan/server/levee" LEVEE_SANITIZED=1 $PY -m pytest -q -m tsan \
	tests/system --junitxml="$ROOT/build-tsan/pytest.xml" -p no:cacheprovider || true
count_pytest "$ROOT/build-tsan/pytest.xml"

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
