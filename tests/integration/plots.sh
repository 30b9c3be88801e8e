# `cowbench plot`: every plot kind rendered as a valid PNG and SVG by gnuplot, from the hand-made
# result sets tests/golden/plot_a and plot_b and from a small real run; bad input and a missing
# gnuplot leave nothing in the out dir.
. "$(dirname "$0")/lib.sh"

A=$ROOT/tests/golden/plot_a
B=$ROOT/tests/golden/plot_b

# check_plots NAME DIR WANT: DIR holds WANT plots, each a PNG (magic bytes, > 1 KiB) and an SVG
# (an <svg> element, > 1 KiB) next to its TSV, and at least one of every kind.
check_plots() {
	local name=$1 dir=$2 want=$3 bad="" n=0 f base kind
	for f in "$dir"/*.tsv; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		base=${f%.tsv}
		[ "$(head -c 4 "$base.png" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 89504e47 ] || bad="$bad $base.png:magic"
		[ "$(stat -c %s "$base.png" 2>/dev/null || echo 0)" -gt 1024 ] || bad="$bad $base.png:size"
		grep -q '<svg' "$base.svg" 2>/dev/null || bad="$bad $base.svg:no-svg"
		[ "$(stat -c %s "$base.svg" 2>/dev/null || echo 0)" -gt 1024 ] || bad="$bad $base.svg:size"
	done
	for kind in bars folio latency outcomes; do
		ls "$dir"/$kind-*.png >/dev/null 2>&1 || bad="$bad no-$kind-plot"
	done
	if [ -z "$bad" ] && [ "$n" = "$want" ]; then ok "$name"; else fail "$name" "$n plots (want $want):$bad"; fi
}

if ! command -v gnuplot >/dev/null; then
	skip plots "gnuplot not installed (scripts/deps.sh plots installs gnuplot-nox)"
	exit 0
fi

out=$TMP/golden
"$CB" plot --out "$out" "$A" "$B" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 0 ]; then ok plot_exit; else fail plot_exit "exit $rc: $(cat "$TMP/stderr")"; fi
# 6 scenarios (bars), one region size (folio), 11 COW/first-touch instances with a histogram
# (latency), 3 COW scenarios with copy/reuse decisions (outcomes).
check_plots golden_every_kind "$out" 21
if [ "$(wc -l <"$TMP/stdout")" = 21 ] && grep -qx "$out/folio-8M.png" "$TMP/stdout"; then
	ok lists_pngs
else
	fail lists_pngs "$(head -3 "$TMP/stdout")"
fi
# Legends name the kernel releases; the folio figure has one point per folio size 4K, 64K, 2M.
if grep -q '6.19.0-rc1' "$out/bars-cow_reuse.svg" && grep -q '>6.18.0<' "$out/latency-cow_reuse_base_8M.svg"; then
	ok legends_kernels
else
	fail legends_kernels "no kernel release in the legends"
fi
if [ "$(cut -f1 "$out/folio-8M.tsv" | tail -n +2 | tr '\n' ' ')" = "4096 65536 2097152 " ]; then
	ok folio_sizes
else
	fail folio_sizes "$(cut -f1 "$out/folio-8M.tsv" | tr '\n' ' ')"
fi
if ls "$TMP" | grep -q 'tmp-'; then fail no_temp_left "$(ls "$TMP")"; else ok no_temp_left; fi

# Bad input: exit 2, the file named, nothing written.
mkdir -p "$TMP/corrupt" && cp "$A/env.json" "$TMP/corrupt/" && head -c 100 "$A/results.jsonl" >"$TMP/corrupt/results.jsonl"
"$CB" plot --out "$TMP/bad" "$A" "$TMP/corrupt" >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 2 ] && grep -q 'corrupt/results.jsonl:1' "$TMP/stderr" && ! ls "$TMP" | grep -q '^bad'; then
	ok bad_input
else
	fail bad_input "exit $rc: $(cat "$TMP/stderr"); $(ls "$TMP")"
fi

# Without gnuplot: a clear reason, exit 1, no out dir.
PATH=/nonexistent "$CB" plot --out "$TMP/nognuplot" "$A" "$B" >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 1 ] && grep -q 'gnuplot not found' "$TMP/stderr" && ! ls "$TMP" | grep -q '^nognuplot'; then
	ok no_gnuplot
else
	fail no_gnuplot "exit $rc: $(cat "$TMP/stderr"); $(ls "$TMP")"
fi

# The compare helper's golden sets: fewer kinds (no histograms, one backing), still rendered.
"$CB" plot --out "$TMP/g2" "$ROOT/tests/golden/a" "$ROOT/tests/golden/b" >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 0 ] && [ -s "$TMP/g2/bars-cow_reuse.png" ] && [ -s "$TMP/g2/outcomes-cow_reuse.svg" ]; then
	ok golden_ab
else
	fail golden_ab "exit $rc: $(cat "$TMP/stderr")"
fi

# run.sh only passes the arguments on.
(cd "$ROOT" && ./run.sh plot --out "$TMP/runsh" "$A" "$B") >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 0 ] && [ -s "$TMP/runsh/folio-8M.svg" ]; then ok run_sh_plot; else fail run_sh_plot "exit $rc: $(tail -3 "$TMP/stderr")"; fi

# A small real run (base pages and THP: two folio sizes) against a hand-made set.
if ! is_root; then
	skip real_run "needs root (the scenarios skip without it: nothing to plot)"
	exit 0
fi
cat >"$TMP/plot.conf" <<'CONF'
size = 4M
repeat = 2
warmup = 1
run = fault_anon --backing base
run = fault_anon --backing thp
run = cow_child --backing base
run = cow_reuse --backing base
run = cow_reuse --backing thp
CONF
"$CB" suite "$TMP/plot.conf" --out "$TMP/real" >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" != 0 ] || [ "$(jq -s 'length > 0 and all(.[]; .status == "ok")' "$TMP/real/results.jsonl")" != true ]; then
	skip real_run "the suite did not give ok records only (exit $rc): $(tail -2 "$TMP/stderr")"
	exit 0
fi
"$CB" plot --out "$TMP/realplots" "$TMP/real" "$B" >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 0 ]; then ok real_run_exit; else fail real_run_exit "exit $rc: $(cat "$TMP/stderr")"; fi
# bars: fault_anon cow_child cow_reuse fork zap_munmap; folio: 4M (real) and 8M (plot_b); latency:
# 5 real instances and 10 of plot_b; outcomes: cow_child cow_reuse; and a fault-latency CDF per
# scenario whose THP instance reported its faulting writes (fault_anon, cow_reuse: withheld in a
# repetition where the timing pass took another fault count than the counting pass).
faultlat=$(jq -rs '[.[] | select(.status == "ok" and .fault_latency_hist != null) | "faultlat-\(.scenario)_\(.size_h)"] | unique | .[]' "$TMP/real/results.jsonl")
check_plots real_every_kind "$TMP/realplots" $((24 + $(echo "$faultlat" | grep -c .)))
# Each such plot has the THP line, and only the instances where some writes faulted (not base).
bad=""
for f in $faultlat; do
	t=$TMP/realplots/$f.tsv
	grep -q $'\tthp' "$t" 2>/dev/null || bad="$bad $f:no-thp-line"
	! grep -q $'\tbase' "$t" 2>/dev/null || bad="$bad $f:base-line"
done
if [ -z "$faultlat" ]; then
	skip real_faultlat "no repetition reported a fault latency: $(jq -r '.fault_latency_withheld // empty' "$TMP/real/results.jsonl" | sort | uniq -c | head -3 | tr '\n' ';')"
elif [ -z "$bad" ]; then
	ok real_faultlat
else
	fail real_faultlat "$bad"
fi
if grep -q '6.19.0-rc1' "$TMP/realplots/bars-cow_reuse.svg" && grep -q "$(uname -r)" "$TMP/realplots/bars-cow_reuse.svg"; then
	ok real_legends
else
	fail real_legends "kernel releases missing from the legend"
fi
