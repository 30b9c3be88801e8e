# A/A: two small suites run back to back on the same kernel and compared must give no
# regression, no improvement and no behaviour change. Nothing differs between them but time, so
# any verdict here is one the statistics made up.
# At the default --fdr 0.05, Benjamini-Hochberg bounds the chance of any verdict when nothing
# differs by 5 % per comparison even for a calibrated model, and with one run per side a run's
# own state (cow_child/base/2M's p99 9 % apart between two loaded runs, every repetition agreeing
# within its run: q 0.0067) is not in the error: an assertion at 0.05 fails now and then by
# design. So timing verdicts are asserted at --fdr 0.001 (a gross miscalibration, like the 39
# verdicts of 2676dbd, still shows) and counted at the default; behaviour changes are exact.
# It failed about one run in four while a suite ran its repetitions back to back: one slow period
# of the machine made every repetition of one instance slower in one run (cow_parent/base/2M
# 1.352); and ASLR gave each run its own page-table layout (fork's page allocations 15-18 per run).
# The suite now interleaves its instances' repetitions and runs without address randomization.
# Under stress-ng it failed once in 2026-12 on cow_reuse/thp's ns_per_page (9.3 vs 14.2 ns): the
# untimed loop's spurious faults, a number the CPU decides; on THP backings that figure now comes
# from the timing pass, which takes none.
# `make check-aa [N=10]` runs it N times.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

if ! is_root; then
	skip aa "needs root (suites measure nothing without it)"
	exit 0
fi
# Enough instances for the run-to-run spread to be estimated (at least 20 timing tests).
cat >"$TMP/aa.conf" <<-EOF2
	size = 2M
	repeat = 5
	warmup = 1
	run = fault_anon --backing base
	run = fault_anon --backing thp
	run = fault_anon --backing mthp_64K
	run = cow_child --backing base
	run = cow_child --backing thp
	run = cow_parent --backing base
	run = cow_reuse --backing base
	run = cow_reuse --backing thp
	run = fork --backing base
	run = zap_munmap --backing base
EOF2
for side in a b; do
	if ! "$CB" suite "$TMP/aa.conf" --out "$TMP/$side" >/dev/null 2>"$TMP/$side.err"; then
		fail aa_suite_$side "$(tail -3 "$TMP/$side.err")"
		exit 0
	fi
done
FDR=0.001
"$CB" compare --fdr $FDR --format json "$TMP/a" "$TMP/b" >"$TMP/aa.json" 2>"$TMP/err"
"$CB" compare --fdr $FDR "$TMP/a" "$TMP/b" >"$TMP/aa.txt" 2>>"$TMP/err"
"$CB" compare --format json "$TMP/a" "$TMP/b" >"$TMP/aa-default.json" 2>>"$TMP/err"
verdicts=$(jq -r '[.instances[].metrics[].vs_baseline[]? | .verdict] | map(select(. == "regression" or . == "improvement"
	or . == "changed")) | length' "$TMP/aa.json")
changes=$(jq -r '[.instances[].behaviour_changes[]] | length' "$TMP/aa.json")
at_default=$(jq -r '[.instances[].metrics[].vs_baseline[]? | .verdict] | map(select(. == "regression" or . == "improvement"
	or . == "changed")) | length' "$TMP/aa-default.json")
tests=$(jq -r '.tests' "$TMP/aa.json")
ok_both=$(jq -r '[.instances[] | select(.status == ["ok", "ok"])] | length' "$TMP/aa.json")
echo "# aa: $tests tests, $verdicts verdicts at --fdr $FDR ($at_default at 0.05), $changes behaviour changes, $ok_both instances ok on both; common shift $(jq -c '.shift[1] | {ratio, spread, verdict}' "$TMP/aa.json")"
if [ "$tests" -ge 20 ] && [ "$ok_both" -ge 8 ]; then
	ok aa_measured
else
	fail aa_measured "$tests tests, $ok_both instances ok on both sides: too little compared to mean anything"
fi
if [ "$verdicts" = 0 ]; then
	ok aa_no_timing_verdict
else
	fail aa_no_timing_verdict "$(sed -n '/^Significant/,/^Instances/p' "$TMP/aa.txt" | head -12)"
fi
if [ "$changes" = 0 ]; then
	ok aa_no_behaviour_change
else
	fail aa_no_behaviour_change "$(sed -n '/^Behaviour/,/^Significant/p' "$TMP/aa.txt" | head -12)"
fi
# AA_KEEP=DIR: the two result sets and the comparison are kept there (a failure's evidence).
if [ -n "${AA_KEEP:-}" ]; then mkdir -p "$AA_KEEP" && cp -r "$TMP/a" "$TMP/b" "$TMP/aa.json" "$TMP/aa.txt" "$TMP/aa-default.json" "$AA_KEEP/"; fi
# One run per side: a common shift beyond --min-effect (run drift: 17 % here between two runs)
# cannot be judged, so git bisect run is told 125, never 0 or 1; within it, 0.
"$CB" compare --fdr $FDR --fail-on regression,change "$TMP/a" "$TMP/b" >/dev/null 2>>"$TMP/err"
rc=$?
want=0
[ "$(jq -r '.shift[1].verdict // ""' "$TMP/aa.json")" = "cannot judge" ] && want=125
if [ "$rc" = "$want" ]; then ok aa_fail_on_good; else fail aa_fail_on_good "exit $rc, want $want (shift $(jq -c '.shift[1] | {ratio, verdict}' "$TMP/aa.json")) $(cat "$TMP/err")"; fi
