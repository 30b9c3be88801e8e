#!/usr/bin/env bash
# The fuzz targets (tests/fuzz) for 10 s each (their seeds, then mutations; `make fuzz` goes
# deeper) under ASan/UBSan: any report fails. Reads only
# bytes in memory: no host lock needed.
. "$(dirname "$0")/lib.sh"

cd "$ROOT"
log=$(mktemp)
if make --no-print-directory fuzz FUZZ_TIME="${COWBENCH_FUZZ_TIME:-10}" >"$log" 2>&1; then
	for t in tests/fuzz/fuzz_*.c; do
		t=$(basename "$t" .c)
		t=${t#fuzz_}
		ok "fuzz_$t $(grep -A1 "^fuzz $t:" "$log" | tail -1)"
	done
else
	fail fuzz "$(grep -E 'FAILED|ERROR|runtime error|Error' "$log" | head -5 | tr '\n' ' ')"
fi
rm -f "$log"
