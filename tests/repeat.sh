#!/usr/bin/env bash
# Runs `make check` N times, each in a fresh clone of this checkout's HEAD, optionally while
# `stress-ng --cpu 1 --vm 1` loads the machine; one line per run, then a summary.
#   tests/repeat.sh N [--stress] [--beside I] [--keep DIR]
# --beside I: during run I, another cowbench (this checkout's build) runs
# tests/configs/small.conf in a loop, as a second user of the machine would: make check's
# cowbench runs wait for it at the machine lock, and none may fail for it. Its suites are
# counted on the run's line.
# Each run holds the host lock (/tmp/cowbench-host.lock) for its make check only, so other
# users of the machine can run in between. Logs: DIR/run-I.log (default: a temp dir, kept when
# a run failed).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: tests/repeat.sh N [--stress] [--beside I] [--keep DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || usage
N=$1
shift
STRESS=0
BESIDE=0
LOGS=
while [ $# -gt 0 ]; do
	case $1 in
	--stress) STRESS=1 ;;
	--beside) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; BESIDE=$2; shift ;;
	--keep) [ $# -ge 2 ] || usage; LOGS=$2; shift ;;
	*) usage ;;
	esac
	shift
done
if [ "$STRESS" = 1 ] && ! command -v stress-ng >/dev/null; then
	echo "repeat: stress-ng not installed (scripts/deps.sh test installs it)" >&2
	exit 2
fi
if [ "$BESIDE" != 0 ]; then
	make -C "$ROOT" -s all >/dev/null || { echo "repeat: cannot build $ROOT for --beside" >&2; exit 2; }
fi
[ -n "$LOGS" ] || LOGS=$(mktemp -d /tmp/cowbench-repeat.XXXXXX)
mkdir -p "$LOGS"
WORK=$(mktemp -d /tmp/cowbench-repeat-clone.XXXXXX)
beside_pid=
beside_stop() {
	[ -n "$beside_pid" ] || return 0
	kill -TERM -- "-$beside_pid" 2>/dev/null
	wait "$beside_pid" 2>/dev/null
	beside_pid=
}
cleanup() {
	beside_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
# Interrupted: the running make check (its own process group: flock, make, the tests, their
# cowbench) and its load go too, before the clone they run in is removed; cowbench's own signal
# handlers put back what it changed, and a restore catches what a killed test left.
run_pid=
dir=
stop() {
	if [ -n "$run_pid" ]; then
		kill -TERM -- "-$run_pid" 2>/dev/null
		[ -s "$dir/stress.pid" ] && kill -- "-$(cat "$dir/stress.pid")" 2>/dev/null
		wait "$run_pid" 2>/dev/null
		beside_stop
		[ -x "$dir/build/cowbench" ] && flock -w 30 /tmp/cowbench-host.lock "$dir/build/cowbench" restore >&2
		echo "repeat: interrupted during run $i; its make check was stopped" >&2
	fi
	exit 130
}
trap stop INT TERM

pass=0
fail=0
for i in $(seq "$N"); do
	dir=$WORK/run-$i
	log=$LOGS/run-$i.log
	git clone -q "$ROOT" "$dir" || { echo "run $i/$N: FAIL (git clone)"; fail=$((fail + 1)); continue; }
	start=$(date +%s)
	# The load runs only while this run holds the lock, in its own process group (killed whole).
	setsid flock /tmp/cowbench-host.lock bash -c '
		if [ "$1" = 1 ]; then
			setsid stress-ng --cpu 1 --vm 1 --vm-bytes 256M --timeout 30m >/dev/null 2>&1 &
			echo $! >"$2/stress.pid"
		fi
		# cd, not make -C: -C turns on --print-directory, which sub-makes inherit and the
		# tests that read the output of a make command would see.
		cd "$2" && make check
		rc=$?
		[ -s "$2/stress.pid" ] && kill -- "-$(cat "$2/stress.pid")" 2>/dev/null
		exit $rc' _ "$STRESS" "$dir" >"$log" 2>&1 &
	run_pid=$!
	beside=
	if [ "$i" = "$BESIDE" ]; then
		# Its own process group, stopped (TERM: each suite restores what it changed) when the
		# make check ends.
		setsid bash -c 'n=0; while :; do
			"$1/build/cowbench" suite "$1/tests/configs/small.conf" --out "$2/beside-$n" >>"$2/beside.log" 2>&1
			echo "suite $n exit $?" >>"$2/beside.log"; n=$((n + 1)); sleep 1; done' _ "$ROOT" "$WORK" &
		beside_pid=$!
	fi
	wait "$run_pid"
	rc=$?
	run_pid=
	if [ -n "$beside_pid" ]; then
		beside_stop
		beside="; beside it: $(grep -c '^suite .* exit 0$' "$WORK/beside.log") suites ok, $(grep -c '^suite .* exit [1-9]' "$WORK/beside.log") not"
		cp "$WORK/beside.log" "$LOGS/beside.log"
	fi
	secs=$(($(date +%s) - start))
	tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -1)
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		printf 'run %d/%d: pass (%s) %d:%02d%s\n' "$i" "$N" "${tally:-no tally}" $((secs / 60)) $((secs % 60)) "$beside"
	else
		fail=$((fail + 1))
		printf 'run %d/%d: FAIL (%s) %d:%02d%s; %s\n' "$i" "$N" "${tally:-no tally}" $((secs / 60)) $((secs % 60)) \
			"$beside" "$(grep -E '^FAIL ' "$log" | cut -c1-160 | tr '\n' ';' | head -c 600)"
	fi
	rm -rf "$dir"
done
echo "repeat: $pass of $N runs passed, $fail failed$([ "$STRESS" = 1 ] && echo ' (under stress-ng --cpu 1 --vm 1)'); logs in $LOGS"
((fail == 0))
