#!/usr/bin/env bash
# Large result sets for timing compare (docs/records.md, "Result sets are untrusted input"):
#   tests/bigsets.sh OUT INSTANCES REPS   -> OUT/a and OUT/b, INSTANCES instances × REPS records
# each, made from golden a's first record (scenario gen_<i>, ns_per_page varied per rep).
# The figures in docs/records.md: 4000 5 (4,000 instances) and 40000 10 (a 200 MB file).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 n=$2 reps=$3
for s in a b; do
	mkdir -p "$out/$s"
	cp tests/golden/$s/env.json "$out/$s/env.json"
	head -1 tests/golden/a/results.jsonl | awk -v n="$n" -v reps="$reps" -v seed="$s" '{
		for (i = 0; i < n; i++)
			for (r = 1; r <= reps; r++) {
				line = $0
				sub(/"scenario":"[a-z_]*"/, "\"scenario\":\"gen_" i "\"", line)
				sub(/"rep":1,/, "\"rep\":" r ",", line)
				sub(/"ns_per_page":[0-9.]*/, "\"ns_per_page\":" (9000 + (i * 7 + r * 13 + (seed == "b") * 50) % 1000), line)
				print line
			}
	}' >"$out/$s/results.jsonl"
done
ls -l "$out"/*/results.jsonl >&2
