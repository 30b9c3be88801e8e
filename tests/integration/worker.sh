# One fresh worker process per pass: nothing an earlier instance did (sibling threads on other
# CPUs, running on the other CPU) reaches a later instance's mm. cow_parent alone, after
# tlb_cow_copy and after cow_reuse_remote, in one suite: identical TLB flush counts per reason.
. "$(dirname "$0")/lib.sh"

if ! is_root; then skip worker "needs root (tracepoints)"; exit 0; fi
NCPU=$(getconf _NPROCESSORS_ONLN)
cat >"$TMP/w.conf" <<CONF
size = 2M
repeat = 2
warmup = 1
backing = base
run = cow_parent
run = tlb_cow_copy
run = cow_parent
run = cow_reuse_remote
run = cow_parent
CONF
"$CB" suite "$TMP/w.conf" --out "$TMP/w" 2>"$TMP/w.err"
R=$TMP/w/results.jsonl
if ! jq -e 'select(.scenario == "cow_parent") | .tlb_flush.by_reason' "$R" >/dev/null 2>&1; then
	skip worker_history_free "no tlb_flush counts: $(jq -r 'select(.scenario == "cow_parent") | .reason // .tlb_flush' "$R" | head -1)"
	exit 0
fi
# Every ok repetition of the three cow_parent instances: one distinct set of per-reason counts.
n=$(jq -c 'select(.scenario == "cow_parent" and .status == "ok") | .tlb_flush.by_reason' "$R" | sort -u | wc -l)
reps=$(jq -c 'select(.scenario == "cow_parent" and .status == "ok")' "$R" | wc -l)
if [ "$reps" -ge 3 ] && [ "$n" = 1 ]; then
	ok worker_history_free
else
	fail worker_history_free "$reps ok repetitions, $n distinct flush sets: $(jq -c 'select(.scenario == "cow_parent") | [.status, .tlb_flush.by_reason]' "$R" | tr '\n' ' ')"
fi
# The other instances really ran where they leave marks: a sibling and the other CPU.
if [ "$NCPU" -ge 2 ]; then
	expect worker_tlb_cow_copy_ran 'select(.scenario == "tlb_cow_copy") | .status == "ok" or .status == "disturbed"' "$R"
fi
# Default CPU: the highest allowed one, recorded.
expect_all worker_default_cpu_highest ".cpu == $((NCPU - 1))" "$R"
# Run as root, every pass's worker ran at SCHED_FIFO: load on its CPU could not preempt it.
expect_all worker_sched_fifo '.worker_sched == "fifo"' "$R"
# What every record of a write loop carries now: ns_per_page from the untimed pass, the timing
# pass's outcome agreeing with the counting pass's (cow_parent copies every page: deterministic),
# faults at the region apart from the rest, NUMA balancing off, the VMA count.
expect_all worker_untimed_ns_per_page 'select(.scenario == "cow_parent" and .status == "ok") | .ns_per_page_source == "untimed pass" and .ns_per_page > 0 and .ns_per_page_timed > 0' "$R"
expect_all worker_passes_agree 'select(.scenario == "cow_parent" and .status == "ok") | .cow_passes_agree == true and .cow_timing_pass.pfn_changed == .pages and .cow_untimed_pass.pfn_changed == .pages' "$R"
expect_all worker_faults_in_region 'select(.scenario == "cow_parent" and .status == "ok") | .faults.method == "address samples" and .faults.total == .pages and (.faults.outside_region | type) == "number"' "$R"
if [ -e /proc/sys/kernel/numa_balancing ]; then
	expect_all worker_numa_balancing_off 'select(.status == "ok") | .numa_balancing == "0"' "$R"
fi
expect_all worker_region_vmas 'select(.scenario == "cow_parent" and .status == "ok") | .region_vmas == 1' "$R"
