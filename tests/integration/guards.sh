# Guards that tell the kernel's work from a neighbour's: the measured task's own direct
# compaction is counted (a figure), another process's compaction and faults disturb nothing, and
# a background thread's CPU time during a loop marks it disturbed, naming the thread.
. "$(dirname "$0")/lib.sh"

if ! is_root; then skip guards "needs root"; exit 0; fi
THP=/sys/kernel/mm/transparent_hugepage

# The per-task counter counts the task's own compaction and not a child's (a forced path: a write
# to /proc/sys/vm/compact_memory compacts in the writer's context, as a direct compaction does).
out=$(COWBENCH_TEST_COMPACT=1 "$ROOT/build/unit_tests" perf_counts_own_compaction 2>&1)
case $out in
"ok "*) ok own_compaction_counted ;;
"skip "*) skip own_compaction_counted "${out#*: }" ;;
*) fail own_compaction_counted "$out" ;;
esac

# Neighbours on the other CPU: one compacts the machine over and over (compact_isolated,
# pgmigrate_success and compact_stall are system-wide: they move for everyone), one faults 64 MiB
# at a time (over glibc's largest mmap threshold: fresh pages every time). A PMD THP is not
# migrated by compaction (order >= pageblock order), so the measured pages stay where they are.
# Their work overlaps a pass only by chance: compaction waits for per-CPU drains on the measured
# CPU, which its SCHED_FIFO worker holds; the vmstat guard's unit test covers those counters.
neighbours=()
stop_neighbours() {
	for p in "${neighbours[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${neighbours[@]}"; do wait "$p" 2>/dev/null; done
	neighbours=()
}
trap 'stop_neighbours; rm -rf "$TMP"' EXIT
if [ "$(nproc)" -lt 2 ]; then
	skip guards "needs 2 CPUs (the neighbours run beside the measured one)"
	exit 0
fi
if [ ! -r $THP/hpage_pmd_size ] || [ ! -w /proc/sys/vm/compact_memory ]; then
	skip neighbours_not_disturbed "needs THP and /proc/sys/vm/compact_memory"
else
	PMD=$(cat $THP/hpage_pmd_size)
	taskset -c 1 bash -c 'while :; do echo 1 >/proc/sys/vm/compact_memory; done' &
	neighbours+=($!)
	taskset -c 1 perl -e 'while (1) { my $s = "x" x (64 << 20); }' &
	neighbours+=($!)
	"$CB" run fault_anon --backing thp --size $((16 * PMD)) --repeat 4 --warmup 0 --cpu 0 --out "$TMP/thp.jsonl" 2>"$TMP/thp.err"
	stop_neighbours
	recs=$(jq -c '{rep,status,reason,direct_compaction,v:(.vmstat_delta // {} | {compact_isolated,pgmigrate_success})}' "$TMP/thp.jsonl" | tr '\n' ' ' | head -c 900)
	if ! jq -se 'length >= 4' "$TMP/thp.jsonl" >/dev/null; then
		fail neighbours_not_disturbed "no records: $(head -c 300 "$TMP/thp.err")"
	elif jq -se 'any(.[]; (.reason // "") | test("compact|pgmigrate|collapse|background kernel work"))' "$TMP/thp.jsonl" >/dev/null; then
		fail neighbours_not_disturbed "the neighbours' work disturbed a repetition: $recs"
	else
		ok neighbours_not_disturbed
	fi
	# Their compaction is not the measured task's: its own count stays 0 (this machine's free
	# 2 MiB blocks serve the 16 faults without compacting).
	expect_all neighbour_compaction_not_own '.direct_compaction == 0 and .direct_reclaim == 0' "$TMP/thp.jsonl"
fi

# A background thread busy during the loops disturbs every try, naming itself and its ms. The
# stand-in is a busy process on the other CPU, watched as a kernel thread ($COWBENCH_TEST_KWORK):
# no kernel thread can be made to run on demand (khugepaged at scan_sleep_millisecs 0 blocks in
# lru_add_drain_all while the measured worker holds its CPU at SCHED_FIFO).
ln -s "$(command -v perl)" "$TMP/cbkwork"
taskset -c 1 "$TMP/cbkwork" -e '1 while 1' &
neighbours+=($!)
COWBENCH_TEST_KWORK=cbkwork "$CB" run fault_anon --backing base --size 8M --repeat 1 --warmup 0 --cpu 0 \
	--out "$TMP/kw.jsonl" 2>"$TMP/kw.err"
# The same busy process, not watched: another process's work disturbs nothing.
"$CB" run fault_anon --backing base --size 8M --repeat 1 --warmup 0 --cpu 0 --out "$TMP/busy.jsonl" 2>"$TMP/busy.err"
stop_neighbours
recs=$(jq -c '{rep,status,reason,k:.interference.timing.kernel_threads_ms.cbkwork}' "$TMP/kw.jsonl" | tr '\n' ' ' | head -c 900)
if jq -se 'length == 5 and all(.[:4][]; .status == "disturbed" and (.reason | test("^(timing|counting) pass: background kernel work: cbkwork ran [0-9.]+ ms around the [0-9.]+ ms loop$")))
	and (.[4].status == "skip" and (.[4].reason | test("disturbed in all 4 tries; last: [a-z]+ pass: background kernel work: cbkwork")))' \
	"$TMP/kw.jsonl" >/dev/null; then
	ok kthread_cpu_disturbs
else
	fail kthread_cpu_disturbs "want 4 tries disturbed by cbkwork, then a skip: $recs"
fi
# Every try's record keeps the thread's CPU time of both passes, and the pass its reason names
# saw 1 ms or more of it (under load the busy process may get no CPU during the other pass's loop).
if jq -se 'map(select(.status == "disturbed")) | length == 4 and
	all(.[]; (.interference.timing.kernel_threads_ms.cbkwork | type) == "number" and
		(.interference.counting.kernel_threads_ms.cbkwork | type) == "number" and
		.interference[.reason | capture("^(?<p>timing|counting) pass").p].kernel_threads_ms.cbkwork >= 1)' \
	"$TMP/kw.jsonl" >/dev/null; then
	ok kthread_cpu_recorded
else
	fail kthread_cpu_recorded "want interference.{timing,counting}.kernel_threads_ms.cbkwork: $recs"
fi
busy=$(jq -c '{rep,status,reason}' "$TMP/busy.jsonl" | tr '\n' ' ' | head -c 600)
if jq -se 'length >= 1 and (.[-1].status == "ok") and all(.[]; ((.reason // "") | test("background kernel work") | not)
	and (.interference.timing.kernel_threads_ms | has("cbkwork") | not))' "$TMP/busy.jsonl" >/dev/null; then
	ok busy_neighbour_not_disturbed
elif jq -se 'any(.[]; (.reason // "") | test("background kernel work"))' "$TMP/busy.jsonl" >/dev/null; then
	fail busy_neighbour_not_disturbed "an unwatched busy process disturbed it: $busy"
else
	skip busy_neighbour_not_disturbed "disturbed for another reason: $busy"
fi
