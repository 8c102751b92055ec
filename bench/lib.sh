# shellcheck shell=bash
# lib.sh -- the helpers bench/compare, bench/flood-compare, bench/ebpf.sh
# and bench/udp-io.sh share. Sourced, never run:
#
#   ROOT=$(cd "$(dirname "$0")/.." && pwd)
#   LIB_NAME=compare              # the prefix of log lines
#   . "$ROOT/bench/lib.sh"
#
# What it holds: log lines, building Levee and the bench programs with meson
# (bench/meson.build: the tools compile under the server's warnings), the
# processes a script starts and stops by PID (never by name), the CPU
# counters (/proc/PID/stat of a process tree, /proc/stat), pinning every
# thread of a tree and checking it, waiting for a first answer, and the
# knotd and nsd configuration files the comparisons write. Nothing here
# sends traffic anywhere but 127.0.0.0/8.

LIB_NAME=${LIB_NAME:-bench}
PY=${PY:-/usr/bin/python3}

# log MESSAGE...: "HH:MM:SS NAME: MESSAGE" on stderr.
log() { printf '%s %s: %s\n' "$(date +%H:%M:%S)" "$LIB_NAME" "$*" >&2; }

# --- building --------------------------------------------------------------

# lib_build BUILD LOGDIR TARGET... -- configures BUILD once (meson setup
# with the words of $LIB_SETUP, default: nothing beyond the project's
# defaults), then builds the ninja targets (server/levee, bench/lvload,
# bench/nullsrv, bench/flood ...). meson.log and ninja.log go to LOGDIR.
lib_build() {
	local build=$1 logdir=$2
	shift 2
	if [ ! -f "$build/build.ninja" ]; then
		# shellcheck disable=SC2086
		meson setup "$build" "$ROOT" ${LIB_SETUP:-} >"$logdir/meson.log"
	fi
	ninja -C "$build" "$@" >"$logdir/ninja.log"
}

# --- processes -----------------------------------------------------------------

# Every process a script starts is tracked here and stopped by PID on exit
# (trap lib_stop_all EXIT), TERM first, KILL after 5 s.
LIB_PIDS=()

# lib_track PID: stop PID on exit.
lib_track() { LIB_PIDS+=("$1"); }

# lib_stop PID: TERM, up to 5 s for it to go, KILL, reap; no longer tracked.
lib_stop() {
	local p=$1 q rest=()
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for q in "${LIB_PIDS[@]}"; do
		[ "$q" = "$p" ] || rest+=("$q")
	done
	LIB_PIDS=(${rest[@]+"${rest[@]}"})
}

# lib_stop_all: TERM to every tracked process at once, then as lib_stop.
lib_stop_all() {
	local p
	for p in ${LIB_PIDS[@]+"${LIB_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in ${LIB_PIDS[@]+"${LIB_PIDS[@]}"}; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	LIB_PIDS=()
}

# tree PID: the process and all its descendants (nsd forks its workers).
tree() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		tree "$c"
	done
}

# cpu_ticks PID: utime+stime of the whole process tree, in clock ticks.
cpu_ticks() {
	local sum=0 p f
	for p in $(tree "$1"); do
		f=$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $f
		sum=$((sum + ${12} + ${13}))
	done
	echo $sum
}

# machine_ticks: "busy total" jiffies of all CPUs from /proc/stat.
machine_ticks() {
	awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat
}

# pin PID MASK: pin every thread of the tree; verify; fail loudly if not.
pin() {
	local p t m
	for p in $(tree "$1"); do
		taskset -a -p "$2" "$p" >/dev/null
		for t in /proc/"$p"/task/*; do
			m=$(taskset -p "${t##*/}" | awk '{print $NF}')
			if [ "$m" != "$2" ]; then
				log "thread ${t##*/} of $p still on mask $m"
				return 1
			fi
		done
	done
}

# wait_answer PORT NAME TYPE TIMEOUT_S: poll 127.0.0.1@PORT until a NOERROR
# reply with a non-empty answer arrives; false after TIMEOUT_S seconds.
wait_answer() {
	# dnspython with a 50 ms timeout: kdig waits a whole second (+time=1 is
	# its minimum) when nothing listens yet, which would round a server
	# that opens its sockets after loading up to the next second.
	$PY - "$@" <<'PYEOF'
import sys, time
import dns.message, dns.query, dns.rcode
port, name, qtype, limit = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
deadline = time.monotonic() + limit
q = dns.message.make_query(name, qtype)
while time.monotonic() < deadline:
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.05)
        if r.rcode() == dns.rcode.NOERROR and r.answer:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.01)
sys.exit(1)
PYEOF
}

# --- the peers' configuration files ------------------------------------------------

# knot_conf DIR PORT MODULES TEMPLATE ZONE=FILE...: a knot.conf on stdout for
# one knotd with one worker of each kind, answering on 127.0.0.1@PORT, its
# state in DIR, writing nothing during the runs. MODULES (mod-* sections)
# and TEMPLATE (more lines of the default template) are inserted verbatim
# when not empty.
knot_conf() {
	local d=$1 port=$2 mods=$3 tmpl=$4 zd
	shift 4
	echo "server:"
	echo "    rundir: $d"
	echo "    listen: 127.0.0.1@$port"
	echo "    udp-workers: 1"
	echo "    tcp-workers: 1"
	echo "    background-workers: 1"
	echo "database:"
	echo "    storage: $d"
	echo "log:"
	echo "  - target: stderr"
	echo "    any: warning"
	[ -z "$mods" ] || echo "$mods"
	echo "template:"
	echo "  - id: default"
	echo "    storage: $d"
	echo "    zonefile-sync: -1"
	echo "    journal-content: none"
	[ -z "$tmpl" ] || echo "$tmpl"
	echo "zone:"
	for zd in "$@"; do
		echo "  - domain: ${zd%%=*}"
		echo "    file: ${zd#*=}"
	done
}

# nsd_conf DIR PORT SERVER ZONE=FILE...: an nsd.conf on stdout for one nsd
# server process on 127.0.0.1@PORT, its state in DIR, no privilege drop,
# no control socket. SERVER (more lines of the server: section, such as
# the RRL settings) is inserted verbatim after server-count when not empty.
nsd_conf() {
	local d=$1 port=$2 srv=$3 zd
	shift 3
	echo "server:"
	echo "    ip-address: 127.0.0.1@$port"
	echo "    server-count: 1"
	[ -z "$srv" ] || echo "$srv"
	echo "    username: \"\""
	echo "    chroot: \"\""
	echo "    database: \"\""
	echo "    zonelistfile: $d/zone.list"
	echo "    xfrdfile: $d/xfrd.state"
	echo "    xfrdir: $d"
	echo "    pidfile: $d/nsd.pid"
	echo "    logfile: $d/nsd.log"
	echo "    verbosity: 0"
	echo "remote-control:"
	echo "    control-enable: no"
	for zd in "$@"; do
		echo "zone:"
		echo "    name: ${zd%%=*}"
		echo "    zonefile: ${zd#*=}"
	done
}

# levee_zones ZONE=FILE...: the zones: section of a levee.yaml on stdout.
levee_zones() {
	local zd
	echo "zones:"
	for zd in "$@"; do
		echo "  - domain: ${zd%%=*}"
		echo "    file: ${zd#*=}"
	done
}
