# Process-level phases timed by hyperfine (proc_startup, proc_fork): records per hyperfine run,
# skip with the reason when hyperfine is missing or the backing is not obtained.
. "$(dirname "$0")/lib.sh"

THP=/sys/kernel/mm/transparent_hugepage

"$CB" proc --phase nonsense --backing base --size 4K 2>"$TMP/usage.err"
rc=$?
if [ $rc = 2 ] && grep -q "^usage: cowbench proc" "$TMP/usage.err"; then ok proc_usage; else fail proc_usage "exit $rc: $(head -2 "$TMP/usage.err")"; fi

if ! is_root; then
	skip hyperfine "needs root (the backing is verified through /proc/kpageflags)"
	exit 0
fi

# Without hyperfine in PATH the instance is skip with the reason, and the run is no failure.
mkdir "$TMP/nohf"
PATH="$TMP/nohf" "$CB" run proc_startup --size 4M --repeat 2 --out "$TMP/nohf.jsonl" 2>"$TMP/nohf.err"
rc=$?
if [ $rc = 0 ]; then ok missing_exit_0; else fail missing_exit_0 "exit $rc: $(tail -2 "$TMP/nohf.err")"; fi
expect_all missing_is_skip '.status == "skip" and .reason == "hyperfine not installed" and .source == "hyperfine"' "$TMP/nohf.jsonl"

# The proc itself: a backing the kernel does not give under the current settings → exit 3 + reason.
if [ -e $THP/hugepages-64kB/enabled ] && grep -q '\[never\]' $THP/hugepages-64kB/enabled; then
	"$CB" proc --phase startup --backing mthp_64K --size 4M 2>"$TMP/proc.err"
	rc=$?
	if [ $rc = 3 ] && grep -q "^cowbench proc: backing mthp_64K wanted every page in a 64K folio, got 4K" "$TMP/proc.err"; then
		ok proc_backing_not_obtained
	else
		fail proc_backing_not_obtained "exit $rc: $(cat "$TMP/proc.err")"
	fi
else
	skip proc_backing_not_obtained "needs hugepages-64kB/enabled = never (it is the cowbench run that sets it)"
fi
"$CB" proc --phase fork --backing base --size 4M 2>"$TMP/proc.err"
rc=$?
if [ $rc = 0 ] && [ ! -s "$TMP/proc.err" ]; then ok proc_fork_exit_0; else fail proc_fork_exit_0 "exit $rc: $(cat "$TMP/proc.err")"; fi

if ! command -v hyperfine >/dev/null; then
	skip hyperfine_records "hyperfine not installed (make deps installs it)"
	exit 0
fi

PAGES=$((4 * 1024 * 1024 / $(getconf PAGESIZE)))
# run NAME SCENARIO BACKING [SIZE]: 3 repetitions into $TMP/NAME.jsonl
run() {
	"$CB" run "$2" --backing "$3" --size "${4:-4M}" --repeat 3 --warmup 1 --out "$TMP/$1.jsonl" 2>"$TMP/$1.err"
	local rc=$?
	if [ $rc = 0 ]; then ok "$1_exit_0"; else fail "$1_exit_0" "exit $rc: $(tail -2 "$TMP/$1.err")"; fi
}

records() {
	local f=$TMP/$1.jsonl
	expect_all "$1_ok" ".status == \"ok\" and .source == \"hyperfine\" and .scenario == \"$2\" and .pages == $PAGES" "$f"
	if [ "$(jq -cs '[.[].rep]' "$f")" = "[1,2,3]" ]; then ok "$1_reps"; else fail "$1_reps" "reps $(jq -cs '[.[].rep]' "$f")"; fi
	expect_all "$1_figures" '.ops == 1 and .ns_per_page > 0 and .cow == null and .faults == null and .timer_overhead_ns == null' "$f"
	# ns_per_page is the run's own time; hyperfine's summary brackets every run.
	expect_all "$1_time_is_the_run" '(.ns_per_page * .pages - .latency_ns.min | fabs) < 1 and .latency_ns.min == .latency_ns.max' "$f"
	# hyperfine's summary is the instance's: stored once (rep 1), bracketing every run.
	if jq -se '(map(select(.extra_timed.hyperfine_mean_ns != null)) | map(.rep)) == [1] and
		(.[0].extra_timed as $x | all(.[]; $x.hyperfine_mean_ns > 0 and $x.hyperfine_stddev_ns >= 0 and
		($x.hyperfine_min_ns - 1) <= .latency_ns.min and .latency_ns.min <= ($x.hyperfine_max_ns + 1)))' "$f" >/dev/null; then
		ok "$1_summary_once"
	else
		fail "$1_summary_once" "$(jq -c '[.rep, .extra_timed]' "$f" | tr '\n' ' ')"
	fi
}

run startup_base proc_startup base
records startup_base proc_startup
run fork_base proc_fork base
records fork_base proc_fork
if [ -r $THP/hpage_pmd_size ] && [ $((4 * 1024 * 1024 % $(cat $THP/hpage_pmd_size))) = 0 ]; then
	before=$(cat $THP/enabled $THP/hugepages-*/enabled | md5sum)
	run fork_thp proc_fork thp
	records fork_thp proc_fork
	if [ "$(cat $THP/enabled $THP/hugepages-*/enabled | md5sum)" = "$before" ]; then ok thp_settings_restored; else fail thp_settings_restored "THP settings changed"; fi

	# The proc finds the backing not obtained (here: not a whole number of THPs) → skip with its reason.
	run thp_1M proc_startup thp 1M
	expect thp_1M_skip_with_reason '.status == "skip" and .reason == "size is not a whole number of 2M folios (backing thp)"' "$TMP/thp_1M.jsonl"
else
	skip fork_thp "needs 2M THP"
fi
