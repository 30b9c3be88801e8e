#!/usr/bin/env bash
# Seed corpora from the goldens and the configs: seed.sh OUT_DIR (OUT_DIR/resultset, OUT_DIR/config).
# Result-set inputs carry the reader's selector byte first: 0 = results.jsonl, 1 = env.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out/resultset" "$out/config"
i=0
for d in tests/golden/*/; do
	[[ -f $d/results.jsonl ]] || continue
	{ printf '\0'; cat "$d/results.jsonl"; } >"$out/resultset/set$i"
	{ printf '\1'; cat "$d/env.json"; } >"$out/resultset/env$i"
	# One record per seed too: small inputs mutate faster.
	n=0
	while IFS= read -r line; do
		{ printf '\0'; printf '%s\n' "$line"; } >"$out/resultset/rec$i-$n"
		n=$((n + 1))
	done < <(head -5 "$d/results.jsonl")
	i=$((i + 1))
done
for f in configs/*.conf tests/configs/*.conf; do
	cp "$f" "$out/config/$(basename "$f")"
done
