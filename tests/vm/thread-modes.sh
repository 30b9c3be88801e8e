#!/usr/bin/env bash
# Measures how often a TCG guest wedges per thread mode: runs tests/configs/vm-tiny.conf N times
# (default 20) under --tcg-threads multi and single, alternating so both see the same host load,
# with the watchdog off (a stuck run waits for --timeout) so a hang is counted, not retried.
# Prints one line per run and a summary; the figures in docs/vms.md come from it.
# usage: tests/vm/thread-modes.sh [N] [KERNEL] [TIMEOUT_S] [CONFIG] [more ./run.sh vm arguments]
#   e.g. tests/vm/thread-modes.sh 10 debian:6.12 240 tests/configs/vm-shapes.conf --cpus 4 --numa-nodes 2
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-20} kernel=${2:-debian:6.12} limit=${3:-240} conf=${4:-$root/tests/configs/vm-tiny.conf}
shift $(($# < 4 ? $# : 4))
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cowbench-modes.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
declare -A runs=() hangs=() fails=() secs=()
for i in $(seq 1 "$n"); do
	for mode in multi single; do
		start=$(date +%s.%N)
		rc=0
		COWBENCH_VM_WATCHDOG=off "$root/scripts/vm.sh" --kernel "$kernel" --accel tcg \
			--tcg-threads "$mode" --timeout "$limit" --config "$conf" "$@" \
			--out "$tmp/results" >"$tmp/out" 2>"$tmp/err" || rc=$?
		t=$(echo "$(date +%s.%N) - $start" | bc)
		what=ok
		if ((rc != 0)); then
			if grep -q "hit the ${limit}s limit" "$tmp/err"; then what=hang; else what="fail($rc)"; fi
		fi
		runs[$mode]=$((${runs[$mode]:-0} + 1))
		case $what in
		ok) secs[$mode]="${secs[$mode]:-} $t" ;;
		hang) hangs[$mode]=$((${hangs[$mode]:-0} + 1)) ;;
		*) fails[$mode]=$((${fails[$mode]:-0} + 1)) && grep -v 'guest|' "$tmp/err" | tail -2 ;;
		esac
		printf 'run %2d %-6s %-8s %6.1f s\n' "$i" "$mode" "$what" "$t"
		rm -rf "$tmp/results"
	done
done
for mode in multi single; do
	read -r mean min max < <(tr ' ' '\n' <<<"${secs[$mode]:-}" | awk 'NF { s += $1; n++;
		if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 }
		END { if (n) printf "%.1f %.1f %.1f\n", s / n, min, max; else print "- - -" }')
	echo "mode $mode: ${runs[$mode]} runs, ${hangs[$mode]:-0} hung (> ${limit} s), ${fails[$mode]:-0} failed otherwise; completed runs: mean $mean s, min $min s, max $max s (whole command: build, boot, suite, poweroff)"
done
