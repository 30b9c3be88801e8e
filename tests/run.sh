#!/usr/bin/env bash
# Runs the unit tests and every tests/integration/*.sh; each prints "ok NAME", "FAIL NAME: why"
# or "skip NAME: why" lines. Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Seconds per test, slowest first at the end of the run: where make check's time goes.
times=build/check-times.tsv
mkdir -p build
: >"$times"

run() {
	local name=$1 start=$SECONDS
	shift
	"$@" 2>&1 | tee -a "$log" | grep -E '^(ok|FAIL|skip) ' || true
	# A test program that dies without printing a verdict must still count as a failure.
	local rc=${PIPESTATUS[0]}
	if ((rc > 1)) && ! grep -q "^FAIL $name" "$log"; then
		echo "FAIL $name: exited with status $rc" | tee -a "$log"
	fi
	printf '%s\t%d\n' "$name" $((SECONDS - start)) >>"$times"
}

run unit build/unit_tests
for t in tests/integration/*.sh; do
	run "$(basename "$t" .sh)" bash "$t"
done

sort -t$'\t' -k2,2nr -o "$times" "$times"
echo "# slowest: $(head -5 "$times" | tr '\t\n' '= ' | sed 's/ $//') (seconds; all in $times)"
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^skip ' "$log")
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
