# The common shift and the two kinds of verdict, on synthetic result sets (no root, no lock):
# 40 instances whose repetitions agree within 1 %, runs that differ by a common factor, and effects
# put in on purpose. A kernel slower everywhere is reported as a shift, never absorbed as spread;
# one run per side judges instances relative to the shift and says it cannot judge the shift;
# a drift file (compare --calibrate) or rounds (--paired) give the shift its own error.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
G=tests/golden

# set NAME RUN_FACTOR [JQ for per-instance factors $i -> f]: 40 instances, 5 repetitions each.
set_make() {
	local name=$1 run=$2 inst=${3:-1} host=${4:-}
	mkdir -p "$TMP/$name"
	if [ -n "$host" ]; then
		jq --arg h "$host" '.kernel.release = "6.18.0" | .hostname = $h' $G/a/env.json >"$TMP/$name/env.json"
	else
		jq '.kernel.release = "6.18.0"' $G/a/env.json >"$TMP/$name/env.json"
	fi
	jq -nc --argjson run "$run" "
		def f(\$i): $inst;
		range(0; 40) as \$i | range(1; 6) as \$rep
		| {schema: 1, run_id: \"$name\", scenario: \"fault_anon\", backing: ([\"base\", \"thp\", \"mthp_64K\"] [\$i % 3]),
		   size: 8388608, size_h: \"8M\", options: \"k=\(\$i)\", pages: 2048, page_size: 4096, rep: \$rep,
		   repeat: 5, status: \"ok\", reason: null,
		   ns_per_page: (1000 * (1 + \$i / 40) * (1 + 0.004 * ((\$rep * 7 + \$i) % 5 - 2)) * \$run * f(\$i))}" \
		>"$TMP/$name/results.jsonl"
}

set_make a 1
set_make uni 1.3
set_make one 1.3 'if $i == 5 then 2 else 1 end'

# A uniform x1.3: the shift says so first, no instance is "slower than the shift", and without
# run-level error the shift cannot be judged: 125 for git bisect run.
"$CB" compare --format json "$TMP/a" "$TMP/uni" >"$TMP/uni.json" 2>"$TMP/err"
"$CB" compare "$TMP/a" "$TMP/uni" >"$TMP/uni.txt" 2>>"$TMP/err"
"$CB" compare --fail-on regression "$TMP/a" "$TMP/uni" >/dev/null 2>>"$TMP/err"
rc=$?
if jq -e '(.shift[1].ratio / 1.3 | . > 0.995 and . < 1.005) and .shift[1].verdict == "cannot judge"
	and .shift[1].error == "none" and ([.instances[].metrics[].vs_baseline[1].verdict] | all(. == "not significant"))' \
	"$TMP/uni.json" >/dev/null && [ "$rc" = 125 ] && head -2 "$TMP/uni.txt" | grep -q '^B vs A: all timings ×1.300 ' &&
	grep -q 'a common shift cannot be told' "$TMP/uni.txt"; then
	ok uniform_shift_reported
else
	fail uniform_shift_reported "exit $rc; $(jq -c '.shift[1] | {ratio, verdict, error}' "$TMP/uni.json") $(head -3 "$TMP/uni.txt") $(cat "$TMP/err")"
fi

# One instance x2 on top of it: a regression relative to the shift, said so.
"$CB" compare --format json "$TMP/a" "$TMP/one" >"$TMP/one.json" 2>"$TMP/err"
"$CB" compare "$TMP/a" "$TMP/one" >"$TMP/one.txt" 2>>"$TMP/err"
if jq -e '[.instances[] | .key as $k | .metrics[] | .vs_baseline[1] | select(.verdict == "regression")
	| [$k, .verdict_kind, (.relative.ratio * 100 | round)]] == [["fault_anon/mthp_64K/8M/k=5", "relative", 200]]' "$TMP/one.json" >/dev/null &&
	grep -q 'fault_anon/mthp_64K/8M/k=5 ns_per_page: B/A .*slower than the common shift by ×2.0' "$TMP/one.txt"; then
	ok relative_regression
else
	fail relative_regression "$(jq -c '[.instances[] | .key as $k | .metrics[] | .vs_baseline[1] | select(.verdict != "not significant") | [$k, .verdict, .relative.ratio]]' "$TMP/one.json") $(cat "$TMP/err")"
fi

# Calibration: five runs of one kernel whose common factor drifts by about 2 %.
i=0
for r in 0.98 1.0 1.02 0.99 1.01; do
	i=$((i + 1))
	set_make "cal$i" "$r"
done
"$CB" compare --calibrate "$TMP/cal1" "$TMP/cal2" "$TMP/cal3" "$TMP/cal4" --out "$TMP/few.drift" >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'at least 5 runs' "$TMP/err" && [ ! -e "$TMP/few.drift" ]; then
	ok calibrate_needs_five
else
	fail calibrate_needs_five "exit $rc: $(cat "$TMP/err")"
fi
"$CB" compare --calibrate "$TMP"/cal[1-5] --out "$TMP/m.drift" >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 0 ] && jq -e '.runs == 5 and .shift_sd > 0.01 and .shift_sd < 0.03 and (.tests | length) == 40
	and .fingerprint.hostname != null' "$TMP/m.drift" >/dev/null; then
	ok calibrate_writes_drift
else
	fail calibrate_writes_drift "exit $rc: $(cat "$TMP/err") $(head -c 300 "$TMP/m.drift" 2>/dev/null)"
fi
# With it, one run per side judges the shift: x1.3 is a regression (exit 1), x1.005 is not (0).
set_make small 1.005
"$CB" compare --drift "$TMP/m.drift" --format json "$TMP/a" "$TMP/uni" >"$TMP/d.json" 2>"$TMP/err"
"$CB" compare --drift "$TMP/m.drift" --fail-on regression "$TMP/a" "$TMP/uni" >/dev/null 2>>"$TMP/err"
rc1=$?
"$CB" compare --drift "$TMP/m.drift" --fail-on regression "$TMP/a" "$TMP/small" >/dev/null 2>>"$TMP/err"
rc2=$?
if [ "$rc1" = 1 ] && [ "$rc2" = 0 ] && jq -e '.shift[1].verdict == "regression" and .shift[1].error == "drift"
	and .shift[1].ci_lo > 1.2 and .shift[1].ci_hi < 1.4' "$TMP/d.json" >/dev/null; then
	ok drift_judges_shift
else
	fail drift_judges_shift "exit $rc1 and $rc2 (want 1, 0): $(jq -c '.shift[1] | {ratio, ci_lo, ci_hi, verdict, error}' "$TMP/d.json") $(cat "$TMP/err")"
fi
# Another machine: refused.
set_make other 1.3 1 elsewhere
"$CB" compare --drift "$TMP/m.drift" "$TMP/a" "$TMP/other" >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'calibrated where hostname is' "$TMP/err"; then
	ok drift_refused_elsewhere
else
	fail drift_refused_elsewhere "exit $rc: $(cat "$TMP/err")"
fi

# Rounds: each round drifts by its own factor (±6 %), B is 3 % slower than A within every round.
# Paired by round the drift cancels and the shift is judged; unpaired, the runs' spread hides it.
args_a=() args_b=()
i=0
for r in 0.94 1.06 1.0 0.97 1.04; do
	i=$((i + 1))
	set_make "ra$i" "$r"
	set_make "rb$i" "$(awk -v r="$r" 'BEGIN { print r * 1.03 }')"
	args_a+=("$TMP/ra$i")
	args_b+=("$TMP/rb$i")
done
"$CB" compare --paired --format json "${args_a[@]}" -- "${args_b[@]}" >"$TMP/p.json" 2>"$TMP/err"
"$CB" compare --format json "${args_a[@]}" -- "${args_b[@]}" >"$TMP/u.json" 2>>"$TMP/err"
if jq -e '.unit == "round" and .shift[1].error == "rounds" and .shift[1].verdict == "regression"
	and .shift[1].ci_lo > 1.02 and .shift[1].ci_hi < 1.04
	and ([.instances[].metrics[].vs_baseline[1] | select(.test == "paired-t-log")] | length) == 40' "$TMP/p.json" >/dev/null &&
	jq -e '.unit == "run" and .shift[1].verdict == "not significant"' "$TMP/u.json" >/dev/null; then
	ok paired_rounds_cancel_drift
else
	fail paired_rounds_cancel_drift "$(jq -c '{unit, s: (.shift[1] | {ratio, ci_lo, ci_hi, verdict, error})}' "$TMP/p.json" "$TMP/u.json" | tr '\n' ' ') $(cat "$TMP/err")"
fi
"$CB" compare --paired "${args_a[@]:0:3}" -- "${args_b[@]:0:2}" >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'same number of runs' "$TMP/err"; then ok paired_needs_rounds; else fail paired_needs_rounds "exit $rc: $(cat "$TMP/err")"; fi

# The forest plot near the top of the HTML report: one row per instance with its ratio, interval
# and verdict code (3: slower than the shift), the shift and its band in the header.
if command -v gnuplot >/dev/null; then
	"$CB" compare --format html --out "$TMP/rep" "$TMP/a" "$TMP/one" >/dev/null 2>"$TMP/err"
	t=$TMP/rep/forest-1.tsv
	if [ -s "$TMP/rep/forest-1.png" ] && [ -s "$TMP/rep/forest-1.svg" ] && [ "$(tail -n +2 "$t" | wc -l)" = 40 ] &&
		awk -F'\t' 'NR == 1 && $2 > 1.29 && $2 < 1.31 && $3 <= $2 && $4 >= $2 { ok = 1 } END { exit !ok }' "$t" &&
		grep -q $'^fault_anon/mthp_64K/8M/k=5\t.*\t3$' "$t" && [ "$(awk -F'\t' 'NR > 1 && $5 != 0' "$t" | wc -l)" = 1 ] &&
		grep -q 'id="forest"' "$TMP/rep/report.html" &&
		[ "$(grep -n 'id="forest"' "$TMP/rep/report.html" | cut -d: -f1)" -lt "$(grep -n 'id="summary"' "$TMP/rep/report.html" | cut -d: -f1)" ]; then
		ok forest_plot
	else
		fail forest_plot "$(head -3 "$t" 2>&1) $(cat "$TMP/err")"
	fi
else
	skip forest_plot "gnuplot not installed (scripts/deps.sh plots installs it)"
fi
