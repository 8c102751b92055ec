#!/bin/bash
# udp-io.sh -- measure Levee's two UDP paths (config server: udp-io:) and
# print a Markdown table.
#
#   mmsg   uv_poll on the reactor's fd, Levee's own recvmmsg/sendmmsg (udp.c)
#   libuv  uv_udp_t with UV_UDP_RECVMMSG, one uv_udp_try_send per reply
#          (udp_uv.c)
#
# One reactor (-n 1) pinned to CPU 1, dnsperf pinned to CPU 0, on loopback.
# Each mode is measured at a fixed rate dnsperf can deliver (-Q RATE) and at
# open throttle (-q 500 outstanding, no rate limit), alternating the modes
# A B A B A B so drift (thermal, other load) hits both alike; the table
# shows medians of ROUNDS runs. CPU is the Levee process's utime+stime from
# /proc/PID/stat, before and after each dnsperf run, per million answers.
#
# Usage: bench/udp-io.sh [ROUNDS] [RATE] [SECONDS]    (defaults 3 80000 5)
# Env:   BUILD=build-h6 (meson build dir, set up -Dbuildtype=release if
#        missing), PORT=5399, TMPD=bench/results/tmp/udp-io (not committed)
set -euo pipefail

ROUNDS=${1:-3}
RATE=${2:-80000}
SECS=${3:-5}
REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$REPO
BUILD=${BUILD:-build-h6}
PORT=${PORT:-5399}
TMPD=${TMPD:-$REPO/bench/results/tmp/udp-io}
LEVEE=$REPO/$BUILD/server/levee
HZ=$(getconf CLK_TCK)
LIB_NAME=udp-io
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

command -v dnsperf >/dev/null || { echo "dnsperf not installed" >&2; exit 1; }
cd "$REPO"
mkdir -p "$TMPD"
LIB_SETUP="-Dbuildtype=release"
lib_build "$BUILD" "$TMPD" server/levee

# --- zone of ~10,000 names and a query file (90% existing, 10% NXDOMAIN) ---
ZONE=$TMPD/bench.test.zone
QUERIES=$TMPD/queries.txt
if [ ! -s "$ZONE" ] || [ ! -s "$QUERIES" ]; then
	/usr/bin/python3 - "$ZONE" "$QUERIES" <<'EOF'
import random, sys
zone, queries = sys.argv[1], sys.argv[2]
N = 10000
with open(zone, "w") as f:
    f.write("$ORIGIN bench.test.\n$TTL 3600\n")
    f.write("@ SOA ns1 hostmaster 1 3600 900 604800 300\n")
    f.write("@ NS ns1\nns1 A 127.0.0.1\n")
    for i in range(N):
        f.write("h%d A 10.%d.%d.%d\n" % (i, i >> 16 & 255, i >> 8 & 255, i & 255))
        if i % 4 == 0:
            f.write("h%d AAAA 2001:db8::%x\n" % (i, i))
rnd = random.Random(42)
with open(queries, "w") as f:
    for _ in range(200000):
        i = rnd.randrange(N)
        r = rnd.random()
        if r < 0.10:
            f.write("nx%d.bench.test A\n" % i)
        elif r < 0.25:
            f.write("h%d.bench.test AAAA\n" % (i - i % 4))
        else:
            f.write("h%d.bench.test A\n" % i)
EOF
fi

PID=
stop_levee() {
	if [ -n "$PID" ]; then
		lib_stop "$PID"
		PID=
	fi
}
trap lib_stop_all EXIT
trap 'exit 130' INT TERM

start_levee() {   # MODE
	local conf=$TMPD/levee-$1.yaml log=$TMPD/levee-$1.log
	cat >"$conf" <<EOF
server:
  listen: [127.0.0.1@$PORT]
  cpu-affinity: [1]
  udp-io: $1
  log-level: warning
zones:
  - domain: bench.test
    file: $ZONE
EOF
	taskset -c 1 "$LEVEE" -c "$conf" -n 1 2>"$log" &
	PID=$!
	lib_track "$PID"
	if wait_answer "$PORT" bench.test SOA 10 && kill -0 "$PID" 2>/dev/null; then
		return 0
	fi
	echo "levee ($1) did not start:" >&2
	cat "$log" >&2
	exit 1
}

# run MODE LOAD ARGS...: one dnsperf run; appends "mode load qps loss% cpu/M"
RESULTS=$TMPD/results.txt
: >"$RESULTS"
run() {
	local mode=$1 load=$2 out t0 t1 done lost qps
	shift 2
	t0=$(cpu_ticks "$PID")
	out=$(taskset -c 0 dnsperf -s 127.0.0.1 -p "$PORT" -d "$QUERIES" \
		-l "$SECS" -c 8 "$@" 2>&1)
	t1=$(cpu_ticks "$PID")
	done=$(awk '/Queries completed:/ { print $3 }' <<<"$out")
	lost=$(awk '/Queries lost:/ { print $3 }' <<<"$out")
	qps=$(awk '/Queries per second:/ { print $4 }' <<<"$out")
	if [ -z "$done" ] || [ -z "$qps" ]; then
		echo "dnsperf failed:" >&2
		echo "$out" >&2
		exit 1
	fi
	awk -v m="$mode" -v l="$load" -v d="$done" -v lo="$lost" -v q="$qps" \
		-v c=$((t1 - t0)) -v hz="$HZ" 'BEGIN {
		loss = (d + lo) ? 100 * lo / (d + lo) : 0
		cpm = d ? (c / hz) / (d / 1e6) : 0
		printf "%s %s %.0f %.3f %.3f\n", m, l, q, loss, cpm
	}' >>"$RESULTS"
	tail -n 1 "$RESULTS" >&2
}

for round in $(seq 1 "$ROUNDS"); do
	for mode in mmsg libuv; do
		echo "round $round: $mode" >&2
		start_levee "$mode"
		run "$mode" "Q$RATE" -Q "$RATE"
		run "$mode" open -q 500
		stop_levee
	done
done

median() {   # MODE LOAD COLUMN
	awk -v m="$1" -v l="$2" -v c="$3" '$1 == m && $2 == l { print $c }' \
		"$RESULTS" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "UDP path, 1 reactor on CPU 1, dnsperf -c 8 on CPU 0, ${SECS} s runs," \
	"median of $ROUNDS (A B alternated), $(uname -r), $(nproc) CPUs"
echo
echo "| udp-io | load | answered q/s | lost % | Levee CPU s per 1M answers |"
echo "|---|---|---:|---:|---:|"
for load in "Q$RATE" open; do
	for mode in mmsg libuv; do
		label=$load
		[ "$load" = open ] && label="open (-q 500)"
		[ "$load" = "Q$RATE" ] && label="-Q $RATE"
		printf "| %s | %s | %s | %s | %s |\n" "$mode" "$label" \
			"$(median "$mode" "$load" 3)" \
			"$(median "$mode" "$load" 4)" \
			"$(median "$mode" "$load" 5)"
	done
done
echo
echo "raw runs (mode load q/s lost% cpu-s/M): $RESULTS"
