#!/usr/bin/env bash
# Runs the fuzz targets side by side for SECONDS of wall time each (one per CPU on a 2-CPU
# machine: the targets share nothing), then prints each target's lines in order:
#   tests/fuzz/run.sh FZ_DIR CC SECONDS NAME...
# With clang each is a libFuzzer binary; else tests/fuzz/driver.c's mutation loop. Exits 1 if
# any target reported (sanitizer, crash); its log stays in FZ_DIR/log-NAME.
set -uo pipefail
fz=$1 cc=$2 secs=$3
shift 3

one() {
	local t=$1
	echo "fuzz $t: $secs s ($cc)"
	mkdir -p "$fz/corpus-$t"
	if [ "$cc" = clang ]; then
		if "$fz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -max_len=65536 \
			-artifact_prefix="$fz/crash-$t-" "$fz/corpus-$t" "$fz/seeds/$t" >"$fz/log-$t" 2>&1; then
			grep -E '^stat::number_of_executed_units' "$fz/log-$t"
		else
			grep -E '==ERROR|SUMMARY|runtime error|Test unit written' "$fz/log-$t" | head -5
			echo "fuzz $t: FAILED (log $fz/log-$t)"
			return 1
		fi
	else
		"$fz/fuzz_$t" "$secs" "$fz/seeds/$t"
	fi
}

pids=()
for t in "$@"; do
	one "$t" >"$fz/out-$t" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
for t in "$@"; do
	cat "$fz/out-$t"
done
exit $rc
