#!/usr/bin/env bash
# ebpf.sh -- does the kernel drop map (server: udp-ebpf-filter, eBPF) drop
# flood packets earlier and cheaper than user space? (issue 7)
#
# Levee alone on loopback, one reactor pinned to CPU $SRV_CPU, per-source
# limits (limits: queries-per-second: 10, slip: 0: with the default slip 1
# no map is built) and RRL (responses-per-second: 20) on so the floods go
# over limit; bench/flood.c on CPU $GEN_CPU sends
# `-s garbage` and `-s direct` at $RATE/s for $DUR s, $REPS times each with
# udp-ebpf-filter on and off (interleaved). Prints the medians of: server CPU
# per flood packet (us), whole-machine CPU per flood packet (us: on loopback
# the kernel's receive work, filter included, runs in the sender's softirq,
# so only the machine figure is the whole cost), legitimate answered %, and
# for garbage the garbage-phase figures flood.c prints.
# About 12 runs of DUR + 1.5 s: under 2 minutes with the defaults.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-h1}
RATE=${RATE:-150000}
DUR=${DUR:-3}
REPS=${REPS:-3}
SRV_CPU=${SRV_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
PORT=${PORT:-25470}
HOLD=${HOLD:-1000}
SCENARIOS=${SCENARIOS:-"garbage direct"}
PY=/usr/bin/python3
TMP=$ROOT/bench/results/tmp/ebpf
mkdir -p "$TMP"

LIB_NAME=ebpf
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

SRV=""
# stop_srv: stops the Levee of the current run, if any.
stop_srv() {
	if [ -n "$SRV" ]; then
		lib_stop "$SRV"
		SRV=""
	fi
}
trap lib_stop_all EXIT
trap 'exit 130' INT TERM

log "building Levee (release) and bench/flood in $BUILD"
LIB_SETUP="--buildtype=release"
if [ -f "$BUILD/build.ninja" ]; then
	meson configure "$BUILD" -Dbuildtype=release >"$TMP/meson.log"
fi
lib_build "$BUILD" "$TMP" server/levee bench/flood
LEVEE=$BUILD/server/levee
FLOOD=$BUILD/bench/flood
if [ ! -f "$TMP/v/small.zone" ]; then
	$PY "$ROOT/bench/mkzone.py" "$TMP/v" example.com big.test 10000 10 >/dev/null
	$PY "$ROOT/bench/mkzone.py" "$TMP/o" other.test big.test 10000 10 >/dev/null
fi

write_conf() {   # $1: on|off
	cat >"$TMP/levee-$1.yaml" <<EOF
server:
  listen: [127.0.0.1@$PORT]
  reactors: 1
  cpu-affinity: [$SRV_CPU]
  log-level: info
  udp-ebpf-filter: $1
  udp-ebpf-hold-ms: $HOLD
rate-limit:
  responses-per-second: 20
limits:
  queries-per-second: 10
  slip: 0
zones:
  - domain: example.com
    file: $TMP/v/small.zone
  - domain: other.test
    file: $TMP/o/small.zone
EOF
}
write_conf on
write_conf off

RES=$TMP/results.txt
: >"$RES"
for scen in $SCENARIOS; do
	for rep in $(seq "$REPS"); do
		for mode in on off; do
			taskset -c "$SRV_CPU" "$LEVEE" -c "$TMP/levee-$mode.yaml" \
				>"$TMP/levee-$mode.log" 2>&1 &
			SRV=$!
			lib_track "$SRV"
			for _ in $(seq 100); do
				grep -q '\bready\b' "$TMP/levee-$mode.log" && break
				sleep 0.05
			done
			grep -q '\bready\b' "$TMP/levee-$mode.log" ||
				{ log "levee did not start:"; tail "$TMP/levee-$mode.log"; exit 1; }
			if [ "$mode" = on ] && ! grep -q "eBPF drop map loaded" "$TMP/levee-$mode.log"; then
				log "eBPF drop map did not load here:"
				grep -i ebpf "$TMP/levee-$mode.log" >&2 || true
				exit 1
			fi
			out=$(taskset -c "$GEN_CPU" "$FLOOD" -s "$scen" -p "$PORT" \
				-P "$SRV" -r "$RATE" -d "$DUR" -t 0.5 | grep '^FLOOD ')
			kill -USR1 "$SRV"
			sleep 0.2
			listed=$(grep -o 'ebpf-drop-listed [0-9]*' "$TMP/levee-$mode.log" |
				tail -1 | awk '{print $2}')
			stop_srv
			echo "mode=$mode rep=$rep listed=${listed:-0} ${out#FLOOD }" >>"$RES"
			log "$scen $mode #$rep: $(echo "$out" | grep -o 'srv_cpu=[^ ]* mach_cpu=[^ ]*\|legit_pct=[^ ]*' | tr '\n' ' ') listed=${listed:-0}"
		done
	done
done

$PY - "$RES" <<'EOF'
import statistics, sys
rows = []
for ln in open(sys.argv[1]):
    d = dict(kv.split("=", 1) for kv in ln.split())
    rows.append(d)
def med(rs, f):
    v = [f(r) for r in rs]
    return statistics.median(v) if v else float("nan")
def per_pkt(r, k):
    rate = float(r["flood_sent"]) / float(r["dur"])
    return float(r[k]) / rate * 1e6 if rate else float("nan")
print("%-8s %-4s %5s %12s %13s %8s %9s %12s %13s" % (
    "scenario", "ebpf", "runs", "srv_us/pkt", "mach_us/pkt", "legit%",
    "listed", "srv_us/garb", "mach_us/garb"))
for scen in ("garbage", "direct"):
    for mode in ("on", "off"):
        rs = [r for r in rows if r["scenario"] == scen and r["mode"] == mode]
        if not rs:
            continue
        g = scen == "garbage"
        print("%-8s %-4s %5d %12.3f %13.3f %8.2f %9d %12s %13s" % (
            scen, mode, len(rs), med(rs, lambda r: per_pkt(r, "srv_cpu")),
            med(rs, lambda r: per_pkt(r, "mach_cpu")),
            med(rs, lambda r: float(r["legit_pct"])),
            int(med(rs, lambda r: int(r["listed"]))),
            "%.3f" % med(rs, lambda r: float(r["srv_us_per_garbage"])) if g else "-",
            "%.3f" % med(rs, lambda r: float(r["mach_us_per_garbage"])) if g else "-"))
EOF
