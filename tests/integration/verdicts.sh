# How `cowbench compare` decides, on result sets derived from the goldens (no root, no lock):
# --fail-on exit codes 0 / 1 / 125, --min-effect, --fdr, identical samples "not testable",
# disturbed repetitions left out and counted, runs as samples (A1 A2 A3 -- B1 B2 B3), hyperfine's
# per-instance figures counted once per run, and bad options (one line, exit 2).
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
G=tests/golden

# derive NAME JQ_FILTER [FROM]: a copy of a result set (default a) with its records filtered.
derive() {
	local name=$1 filter=$2 from=${3:-$G/a}
	mkdir -p "$TMP/$name"
	cp "$from/env.json" "$TMP/$name/env.json"
	jq -c "$filter" "$from/results.jsonl" >"$TMP/$name/results.jsonl"
}
# status NAME WANT ARGS...: compare's exit status must be WANT.
status() {
	local name=$1 want=$2 rc
	shift 2
	"$CB" compare "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else fail "$name" "exit $rc, want $want: $(head -c 300 "$TMP/err")"; fi
}

derive same '.'
# fault_anon/base with a small spread (0.16 %), and another boot of its kernel 1.5 % slower.
derive quiet 'if .scenario == "fault_anon" then .ns_per_page = 10000 + 10 * .rep else . end'
derive slower 'if .scenario == "fault_anon" then .ns_per_page = (10000 + 10 * .rep) * 1.015 else . end'
# cow_reuse/base skipped on the new side only: that comparison cannot be made.
derive skipped 'if .scenario == "cow_reuse" and .backing == "base" then .status = "skip" | .reason = "no THP" else . end'

# --fail-on, as git bisect run reads it: 0 good, 1 bad, 125 cannot judge.
status fail_on_regression_bad 1 --fail-on regression $G/a $G/b
status fail_on_change_bad 1 --fail-on change $G/a $G/b
status fail_on_metric_bad 1 --fail-on cow.copy $G/a $G/b
status fail_on_list_bad 1 --fail-on latency_ns.p99,nosuch $G/a $G/b
status fail_on_good 0 --fail-on regression,change $G/a "$TMP/same"
# Skipped on both sides alike (a one-CPU machine) hides nothing: still good.
derive skipped_a 'if .scenario == "cow_reuse" and .backing == "base" then .status = "skip" | .reason = "no THP" else . end'
status fail_on_skipped_both_good 0 --fail-on regression "$TMP/skipped_a" "$TMP/skipped"
status fail_on_skipped_cannot_judge 125 --fail-on regression $G/a "$TMP/skipped"
status fail_on_unknown_metric 125 --fail-on no_such_metric $G/a "$TMP/same"
# Output and exit status together: the text is still written.
"$CB" compare --fail-on regression $G/a $G/b >"$TMP/fo.txt" 2>/dev/null
if cmp -s "$TMP/fo.txt" $G/expected.txt; then ok fail_on_output_unchanged; else fail fail_on_output_unchanged "differs from expected.txt"; fi

# --min-effect: 1.5 % is significant (q < 0.05, CI excludes 1) but below the default 2 %.
ns() { jq -r "[.instances[] | select(.key == \"$1\") | .metrics[] | select(.name == \"$2\")][0].vs_baseline[1].$3" "$4"; }
"$CB" compare --format json "$TMP/quiet" "$TMP/slower" >"$TMP/slower2.json" 2>"$TMP/err"
"$CB" compare --format json --min-effect 1% "$TMP/quiet" "$TMP/slower" >"$TMP/slower1.json" 2>>"$TMP/err"
"$CB" compare --format json --min-effect 0.01 --fdr 1e-9 "$TMP/quiet" "$TMP/slower" >"$TMP/slower3.json" 2>>"$TMP/err"
v2=$(ns fault_anon/base/8M ns_per_page verdict "$TMP/slower2.json")
v1=$(ns fault_anon/base/8M ns_per_page verdict "$TMP/slower1.json")
q1=$(ns fault_anon/base/8M ns_per_page q "$TMP/slower1.json")
v3=$(ns fault_anon/base/8M ns_per_page verdict "$TMP/slower3.json")
if [ "$v2" = "not significant" ] && [ "$v1" = regression ] && jq -e '.min_effect == 0.01' "$TMP/slower1.json" >/dev/null; then
	ok min_effect
else
	fail min_effect "default: $v2, --min-effect 1%: $v1 (q $q1) $(cat "$TMP/err")"
fi
# --fdr: the same difference with q above a stricter rate is not significant.
if awk -v q="$q1" 'BEGIN { exit !(q > 1e-9) }' && [ "$v3" = "not significant" ]; then ok fdr_option; else fail fdr_option "q $q1, --fdr 1e-9: $v3"; fi
# Every test's q is at least its p, and the count of tests is the number adjusted together.
if jq -e '[.instances[].metrics[].vs_baseline[]? | select(.q != null)] as $t
	| ($t | length) == .tests and all($t[]; .q >= .p)' "$TMP/slower1.json" >/dev/null; then
	ok q_over_all_tests
else
	fail q_over_all_tests "$(jq -c '.tests' "$TMP/slower1.json")"
fi

# Identical samples: cow_reuse_remote's p50 and p99 are one bucket in every repetition of both.
"$CB" compare --format json $G/a "$TMP/same" >"$TMP/same.json" 2>"$TMP/err"
"$CB" compare $G/a "$TMP/same" >"$TMP/same.txt" 2>>"$TMP/err"
if [ "$(ns cow_reuse_remote/base/8M latency_ns.p50 verdict "$TMP/same.json")" = "not testable" ] &&
	[ "$(ns cow_reuse_remote/base/8M latency_ns.p50 ci_lo "$TMP/same.json")" = null ] &&
	grep -A3 '^  latency_ns.p50' "$TMP/same.txt" | grep -q ' =$' &&
	jq -e '[.instances[].metrics[].vs_baseline[]? | .verdict] | all(. != "regression" and . != "improvement" and . != "changed")' \
		"$TMP/same.json" >/dev/null; then
	ok identical_not_testable
else
	fail identical_not_testable "$(cat "$TMP/err") $(grep -A3 '^  latency_ns.p50' "$TMP/same.txt" | head -8)"
fi
# Two buckets apart in every repetition: the interval has the bucket's width, never [r, r].
derive twobuckets 'if .scenario == "cow_reuse_remote" then .latency_ns.p50 += 256 else . end'
"$CB" compare --format json $G/a "$TMP/twobuckets" >"$TMP/tb.json" 2>"$TMP/err"
lo=$(ns cow_reuse_remote/base/8M latency_ns.p50 ci_lo "$TMP/tb.json")
hi=$(ns cow_reuse_remote/base/8M latency_ns.p50 ci_hi "$TMP/tb.json")
if [ "$lo" != null ] && awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(h - l > 0.005) }' &&
	[ "$(ns cow_reuse_remote/base/8M latency_ns.p50 verdict "$TMP/tb.json")" = "not significant" ]; then
	ok resolution_floor
else
	fail resolution_floor "CI [$lo, $hi], $(ns cow_reuse_remote/base/8M latency_ns.p50 verdict "$TMP/tb.json")"
fi

# Disturbed repetitions: left out of the statistics (their figures are wild here), counted.
mkdir -p "$TMP/disturbed"
cp $G/a/env.json "$TMP/disturbed/"
{
	cat $G/a/results.jsonl
	jq -c 'select(.scenario == "fault_anon" and .rep <= 2) | .status = "disturbed" | .reason = "numa_hint_faults 3"
		| .ns_per_page *= 3 | .cow.copy = 99' $G/a/results.jsonl
} >"$TMP/disturbed/results.jsonl"
"$CB" compare --format json $G/a "$TMP/disturbed" >"$TMP/dist.json" 2>"$TMP/err"
"$CB" compare $G/a "$TMP/disturbed" >"$TMP/dist.txt" 2>>"$TMP/err"
if jq -e '.instances[] | select(.key == "fault_anon/base/8M") | .disturbed == [0, 2] and .status == ["ok", "ok"]
	and (.behaviour_changes | length) == 0
	and ([.metrics[] | select(.name == "ns_per_page")][0] | .runs[1].n == 5 and .vs_baseline[1].verdict == "not significant")' \
	"$TMP/dist.json" >/dev/null && grep -A1 '^fault_anon/base/8M' "$TMP/dist.txt" | grep -qx '  disturbed repetitions left out: B 2'; then
	ok disturbed_excluded_counted
else
	fail disturbed_excluded_counted "$(jq -c '.instances[] | select(.key == "fault_anon/base/8M") | {disturbed, status}' "$TMP/dist.json") $(cat "$TMP/err")"
fi

# Runs as samples: three boots per side, each boot a little different.
for i in 1 2 3; do
	derive "a$i" "if .ns_per_page then .ns_per_page *= (1 + 0.01 * ($i - 2)) else . end"
	derive "b$i" "if .ns_per_page then .ns_per_page *= (1 + 0.01 * ($i - 2)) else . end" $G/b
	jq ".run_id = \"boot$i\"" $G/a/env.json >"$TMP/a$i/env.json"
	jq ".run_id = \"boot$i\"" $G/b/env.json >"$TMP/b$i/env.json"
done
"$CB" compare --format json "$TMP/a1" "$TMP/a2" "$TMP/a3" -- "$TMP/b1" "$TMP/b2" "$TMP/b3" >"$TMP/runs.json" 2>"$TMP/err"
"$CB" compare "$TMP/a1" "$TMP/a2" "$TMP/a3" -- "$TMP/b1" "$TMP/b2" "$TMP/b3" >"$TMP/runs.txt" 2>>"$TMP/err"
if jq -e '.unit == "run" and ([.runs[].label] == ["6.18.0 (3 runs)", "6.19.0-test (3 runs)"])
	and ([.runs[].members | length] == [3, 3])
	and (.instances[] | select(.key == "cow_reuse/base/8M") | [.metrics[] | select(.name == "ns_per_page")][0]
		| .runs[0].n == 3 and .runs[1].n == 3 and .vs_baseline[1].ratio > 1.09)
	and any(.notes[]; test("boot-to-boot variance is in the error"))' "$TMP/runs.json" >/dev/null &&
	grep -q '^Note: several runs per side' "$TMP/runs.txt" && grep -q '^    B   3 ' "$TMP/runs.txt"; then
	ok runs_as_samples
else
	fail runs_as_samples "$(jq -c '{unit, notes, l: [.runs[].label]}' "$TMP/runs.json" 2>&1 | head -c 400) $(cat "$TMP/err")"
fi
# The runs' spread is in the error: 1 % between boots makes a wider interval than the
# repetitions alone give (compare a1 with b1 only).
"$CB" compare --format json "$TMP/a1" "$TMP/b1" >"$TMP/one.json" 2>"$TMP/err"
w3=$(jq '[.instances[] | select(.key == "fault_anon/base/8M") | .metrics[] | select(.name == "ns_per_page")][0].vs_baseline[1] | .ci_hi - .ci_lo' "$TMP/runs.json")
w1=$(jq '[.instances[] | select(.key == "fault_anon/base/8M") | .metrics[] | select(.name == "ns_per_page")][0].vs_baseline[1] | .ci_hi - .ci_lo' "$TMP/one.json")
if jq -e '.unit == "repetition" and any(.notes[]; test("boot-to-boot variance is not in the error"))' "$TMP/one.json" >/dev/null &&
	awk -v a="$w3" -v b="$w1" 'BEGIN { exit !(a > b) }'; then
	ok one_run_says_so
else
	fail one_run_says_so "width 3 runs $w3, 1 run $w1; $(jq -c .notes "$TMP/one.json")"
fi
status runs_bad_separator 2 "$TMP/a1" -- -- "$TMP/b1"
status runs_trailing_separator 2 "$TMP/a1" "$TMP/a2" --

# hyperfine's summary is one figure per run, however many records carry a copy (old result sets).
derive hf 'if .scenario == "fork" then .extra_timed.hyperfine_mean_ns = 1000000 else . end'
derive hf2 'if .scenario == "fork" then .extra_timed.hyperfine_mean_ns = 1100000 else . end'
"$CB" compare --format json "$TMP/hf" "$TMP/hf2" >"$TMP/hf.json" 2>"$TMP/err"
if jq -e '[.instances[] | select(.key == "fork/base/8M") | .metrics[] | select(.name == "extra_timed.hyperfine_mean_ns")][0]
	| .runs[0].n == 1 and .vs_baseline[1].verdict == "too few samples"' "$TMP/hf.json" >/dev/null; then
	ok hyperfine_once_per_run
else
	fail hyperfine_once_per_run "$(cat "$TMP/err")"
fi

# Bad options: one line naming the problem, exit 2, nothing written.
for bad in "--min-effect abc" "--min-effect 150%" "--fdr 0" "--fdr 1.5" "--fail-on"; do
	"$CB" compare $bad $G/a $G/b >"$TMP/out" 2>"$TMP/err"
	rc=$?
	name=bad_option_$(echo "$bad" | tr -c 'a-z0-9' _)
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && [ ! -s "$TMP/out" ]; then ok "$name"; else fail "$name" "exit $rc: $(cat "$TMP/err")"; fi
done
if "$CB" compare --help | grep -q -- '-- B1 B2' && "$CB" compare --help | grep -q -- '--fail-on WHAT'; then
	ok help_documents_sides_and_fail_on
else
	fail help_documents_sides_and_fail_on "--help lacks the sides syntax or --fail-on"
fi

# One run per side on a loaded machine: 30 instances whose repetitions agree within 0.2 %, but
# whose runs differ by up to ±25 % (the run's state), and one that is really 10x slower. The
# run-to-run spread is estimated across the timing tests (Efron's empirical null) and added to
# every timing's error: the scatter gives no verdict, the real difference still does.
mkdir -p "$TMP/spread_a" "$TMP/spread_b"
cp $G/a/env.json "$TMP/spread_a/"
cp $G/b/env.json "$TMP/spread_b/"
jq '.kernel.release = "6.18.0"' $G/b/env.json >"$TMP/spread_b/env.json"
gen() {
	jq -nc --argjson side "$1" '
		range(0; 30) as $i | range(1; 6) as $rep
		| ([0.78, 0.85, 0.9, 0.93, 0.96, 0.98, 1.0, 1.02, 1.05, 1.08, 1.12, 1.17, 1.25] [$i % 13]) as $run
		| {schema: 1, run_id: "x", scenario: "fault_anon", backing: "base", size: 8388608, size_h: "8M",
		   options: "k=\($i)", pages: 2048, page_size: 4096, rep: $rep, repeat: 5, status: "ok", reason: null,
		   ns_per_page: (1000 * (1 + 0.002 * $rep) * (if $side == 1 then (if $i == 7 then 10 else $run end) else 1 end))}'
}
gen 0 >"$TMP/spread_a/results.jsonl"
gen 1 >"$TMP/spread_b/results.jsonl"
"$CB" compare --format json "$TMP/spread_a" "$TMP/spread_b" >"$TMP/spread.json" 2>"$TMP/err"
if jq -e '.shift[1].tau > 0.05 and .shift[1].verdict != "regression" and any(.notes[]; test("relative to the common shift"))
	and ([.instances[] | .key as $k | .metrics[] | .vs_baseline[1] | select(.verdict == "regression" or .verdict == "improvement") | $k]
		== ["fault_anon/base/8M/k=7"])
	and ([.instances[].metrics[].vs_baseline[1] | select(.verdict_kind == "relative")] | length) == 30' "$TMP/spread.json" >/dev/null; then
	ok run_spread_empirical_null
else
	fail run_spread_empirical_null "$(jq -c '{shift, notes, v: [.instances[] | .key as $k | .metrics[] | .vs_baseline[1] | select(.verdict != "not significant") | [$k, .verdict, .ratio, .p]]}' "$TMP/spread.json" 2>&1 | head -c 800) $(cat "$TMP/err")"
fi
# The same runs as three per side: no spread estimated, the runs carry it.
"$CB" compare --format json "$TMP/spread_a" "$TMP/spread_a" -- "$TMP/spread_b" "$TMP/spread_b" >"$TMP/spread2.json" 2>"$TMP/err"
if jq -e '.unit == "run"
	and all(.instances[].metrics[].vs_baseline[1] | select(. != null and .verdict_kind != null); .verdict_kind == "absolute")' "$TMP/spread2.json" >/dev/null; then ok run_spread_only_single_runs; else fail run_spread_only_single_runs "$(cat "$TMP/err")"; fi
# Few repetitions a side: the heavier tails of their own Welch degrees of freedom count with the
# spread added. 30 instances, 3 repetitions each (±5 % within a run, ±8 % between runs), and one
# like fork/mthp_512K/8M in a quick.conf A/A here (111 vs 170 ns/page, Welch p 0.009): with the
# empirical null's tails alone it read p 0.0001 and a regression.
mkdir -p "$TMP/few_a" "$TMP/few_b"
cp "$TMP/spread_a/env.json" "$TMP/few_a/"
cp "$TMP/spread_b/env.json" "$TMP/few_b/"
genfew() {
	jq -nc --argjson side "$1" '
		def rec($k; $rep; $v): {schema: 1, run_id: "x", scenario: "fault_anon", backing: "base", size: 8388608,
			size_h: "8M", options: "k=\($k)", pages: 2048, page_size: 4096, rep: $rep, repeat: 3, status: "ok",
			reason: null, ns_per_page: $v};
		(range(0; 30) as $i | range(1; 4) as $rep
		 | ([0.92, 0.95, 0.97, 1.0, 1.03, 1.05, 1.08] [$i % 7]) as $run
		 | ([0.95, 1.0, 1.05] [($rep + $i) % 3]) as $noise
		 | rec($i; $rep; 1000 * $noise * (if $side == 1 then $run else 1 end))),
		(range(1; 4) as $rep | rec(99; $rep; (if $side == 1 then [177, 152, 182] else [124, 99, 110] end) [$rep - 1]))'
}
genfew 0 >"$TMP/few_a/results.jsonl"
genfew 1 >"$TMP/few_b/results.jsonl"
"$CB" compare --format json "$TMP/few_a" "$TMP/few_b" >"$TMP/few.json" 2>"$TMP/err"
if jq -e '.shift[1].tau > 0 and ([.instances[] | select(.key == "fault_anon/base/8M/k=99") | .metrics[]
		| select(.name == "ns_per_page") | .vs_baseline[1] | select(.verdict == "not significant" and .df < 10
		and .ratio > 1.5)] | length) == 1' "$TMP/few.json" >/dev/null; then
	ok run_spread_few_repetitions_tails
else
	fail run_spread_few_repetitions_tails "$(jq -c '{shift: .shift[1].tau, k99: [.instances[] | select(.key == "fault_anon/base/8M/k=99") | .metrics[0].vs_baseline[1]]}' "$TMP/few.json" 2>&1 | head -c 800) $(cat "$TMP/err")"
fi
# The price of one run per side, stated: with these tails a 3x difference of one instance in 30 is
# not significant at q < 0.05 (its p is shown); several runs per side is the way to see it.
