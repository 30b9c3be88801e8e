#!/usr/bin/env bash
# Swap backings and scenarios on real swap (the zram device each instance sets up), exact
# outcomes on this kernel (6.18), 4 MiB = 1024 pages; and the machine left with the swap devices,
# zram sizes and memory cgroups it had before.
source "$(dirname "$0")/lib.sh"
N=1024

if ! is_root; then
	skip all "needs root (swap set-up, pagemap PFNs)"
	exit 0
fi
# The machine's swap, zram and cgroups are read before and after: no other cowbench may change
# them meanwhile.
own_machine || { fail own_machine "the machine lock was not free within $COWBENCH_WAIT_TIMEOUT s"; exit 0; }

# Swap devices, every zram device's size, the memory cgroups below this process's own.
machine_state() {
	tail -n +2 /proc/swaps | awk '{print $1}' | sort
	for d in /sys/block/zram*; do [ -e "$d/disksize" ] && echo "$d $(cat "$d/disksize")"; done
	local cg
	cg=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
	[ -n "$cg" ] && [ -d "/sys/fs/cgroup/memory$cg" ] && find "/sys/fs/cgroup/memory$cg" -mindepth 1 -type d | sort
	ls /var/tmp/cowbench.swap 2>/dev/null
}
machine_state >"$TMP/before"

run() { # NAME SCENARIO BACKING [options]: records into $TMP/NAME.jsonl
	local name=$1 scn=$2 bk=$3
	shift 3
	"$CB" run "$scn" --backing "$bk" --size 4M --repeat 2 --warmup 0 "$@" >"$TMP/$name.jsonl" 2>"$TMP/$name.err"
}

run swapin swapin_write swapped
if jq -e 'select(.status == "skip")' "$TMP/swapin.jsonl" >/dev/null 2>&1; then
	skip all "no swap possible here: $(jq -r .reason "$TMP/swapin.jsonl" | head -1)"
	exit 0
fi
# Pageout + read: N major faults; the swap entry was exclusive, so the page came back writable.
expect_all swapin_write_read_major_faults ".status == \"ok\" and .extra.read_major_faults == $N" "$TMP/swapin.jsonl"
expect_all swapin_write_nofault ".cow.nofault == $N and .cow.copy == 0 and .cow.reuse == 0 and .cow.swapin == 0" "$TMP/swapin.jsonl"
expect_all swapin_write_swap_recorded '.swap | test("^zram ")' "$TMP/swapin.jsonl"

# The swap-in timed (swapin_read). Exact where the records show zswap off and the instance's zram
# as the only swap: every page a swap-in fault of its own (4 KiB), or one per 64 KiB folio
# brought back whole (mTHP swap-in from a synchronous device, 6.12+); the timing pass's faults
# equal the folios, so its faulting ops are known (fault_latency_ns where some ops did not fault;
# where every op faulted, latency_ns is theirs).
exact_swap() { # NAME FILE: 0 when every record has zswap off and zram as its only swap, else skip
	local why
	why=$(jq -r 'select(.status == "ok" or .status == "disturbed") | if .swap_state.zswap == "Y" then "zswap is on" elif (.swap | test("^zram [^;]*$") | not) then "not zram alone: \(.swap)" else empty end' "$2" | head -1)
	[ -z "$why" ] && return 0
	skip "$1" "$why"
	return 1
}
run read swapin_read swapped
if exact_swap swapin_read_faults "$TMP/read.jsonl"; then
	expect_all swapin_read_faults ".status == \"ok\" and .extra.read_major_faults == $N and .extra.read_minor_faults == 0 and .faults.total == $N and .folio_pages_by_size_after == {\"4K\": $N}" "$TMP/read.jsonl"
	expect_all swapin_read_fault_latency ".fault_latency_ns == null and (.fault_latency_withheld | startswith(\"every op faulted\")) and .latency_ns.p50 > 0 and .gib_per_s > 0 and .ns_per_page > 0" "$TMP/read.jsonl"
fi
expect_all swapin_read_state '(.swap_state.page_cluster | type) == "number" and (.swap_state.thp_defrag | type) == "string" and (.swap_state.mthp_delta | type) == "object"' "$TMP/read.jsonl"
if [ -d /sys/kernel/mm/transparent_hugepage/hugepages-64kB ]; then
	run readm swapin_read swapped_mthp_64K
	if exact_swap swapin_read_mthp_whole "$TMP/readm.jsonl"; then
		expect_all swapin_read_mthp_whole ".status == \"ok\" and .extra.swpout == 64 and .extra.read_major_faults == 64 and .faults.total == 64 and .folio_pages_by_size_after == {\"64K\": $N}" "$TMP/readm.jsonl"
		expect_all swapin_read_mthp_fault_latency '.fault_latency_ns.ops == 64 and .fault_latency_ns.p50 > .latency_ns.p50 and .swap_state.mthp_delta["64K"].swpin >= 64 and .swap_state.mthp_delta["64K"].swpin_fallback == 0' "$TMP/readm.jsonl"
	fi
	# The swap-out timed: 64 KiB folios written whole, not split (6.10+).
	run outm swapout mthp_64K
	if exact_swap swapout_mthp_no_split "$TMP/outm.jsonl"; then
		expect_all swapout_mthp_no_split ".status == \"ok\" and .extra.swapped_pages == $N and .extra.swpout == 64 and .extra.swpout_fallback == 0 and .swap_state.mthp_delta[\"64K\"].swpout_fallback == 0 and .gib_per_s > 0" "$TMP/outm.jsonl"
	fi
else
	skip swapin_read_mthp_whole "no 64 KiB mTHP in this kernel"
	skip swapout_mthp_no_split "no 64 KiB mTHP in this kernel"
fi
run out swapout base
expect_all swapout_base ".status == \"ok\" and .extra.swapped_pages == $N and .extra.writeback_polls >= 1 and .extra_timed.writeback_wait_ns > 0 and .folio_pages_by_size == {\"4K\": $N} and .folio_pages_by_size_after == {}" "$TMP/out.jsonl"
# On a swap file: through the swap cache, whose readahead brings up to 2^page-cluster pages a
# device read; every page still takes a fault to be mapped. The writes complete after
# MADV_PAGEOUT returns, and the written pages stay in the swap cache.
run readf swapin_read swapped --swap swapfile
if jq -e 'select(.status == "skip" and (.reason | test("swapfile")))' "$TMP/readf.jsonl" >/dev/null 2>&1; then
	skip swapin_read_swapfile "$(jq -r .reason "$TMP/readf.jsonl" | head -1)"
else
	expect_all swapin_read_swapfile ".status == \"ok\" and (.swap | test(\"^file \")) and .faults.total == $N and .extra.read_major_faults + .extra.read_minor_faults == $N and .extra.read_major_faults * pow(2; .swap_state.page_cluster) >= $N and .folio_pages_by_size_after == {\"4K\": $N}" "$TMP/readf.jsonl"
	run outf swapout base --swap swapfile
	expect_all swapout_swapfile ".status == \"ok\" and (.swap | test(\"^file \")) and .extra.swapped_pages == $N and .extra.writeback_polls >= 1" "$TMP/outf.jsonl"
fi

# Written while in the swap cache, unmapped: one fault per page maps the swap-cache page itself
# (no page allocated).
run swapcache swapcache_write swapcache
expect_all swapcache_write_swapin ".status == \"ok\" and .cow.swapin == $N and .cow.copy == 0 and .cow.first_touch == 0" "$TMP/swapcache.jsonl"
expect_all swapcache_write_no_alloc '.counters["kmem:mm_page_alloc"] == 0 and .counters["page-faults"] == '$N "$TMP/swapcache.jsonl"

# Paged out, forked, then the parent's munmap: nothing of the region is present at the op (every
# page a swap entry the child shares).
run zapfork zap_munmap_swapped_forked swapped
expect_all zap_swapped_forked_op '.status == "ok" and .ops == 1 and .cow == null and .ns_per_page > 0 and .folio_pages_by_size == {}' "$TMP/zapfork.jsonl"
# Swap entries shared by fork: the child's writes copy; after it exits the parent's swap entries
# are its own: its read finds each page in the swap cache (the child swapped it in there) but its
# PTE lost the exclusive marker at fork, so do_swap_page maps it read-only; the write fault then
# frees the swap-cache entry and reuses the page: every page, and no written page is left in the
# swap cache. Exact with faults counted from address samples (6 of 6 repetitions here); the
# fallback's counter reads around each write showed N-1 reuses + 1 nofault (one fault not
# attributed to its page), so there only the sum is asserted.
run fork swap_fork swapped
expect_all swap_fork_child_copies ".status == \"ok\" and .cow.copy == $N and .cow.reuse == 0" "$TMP/fork.jsonl"
expect_all swap_fork_parent_reuses ".extra.parent_copy == 0 and (if .faults.method == \"address samples\" then .extra.parent_reuse == $N and .extra.parent_nofault == 0 else .extra.parent_reuse + .extra.parent_nofault == $N end)" "$TMP/fork.jsonl"
expect_all swap_fork_swapcache_freed '.extra.parent_swapcache_after == 0' "$TMP/fork.jsonl"

# Large folios paged out whole (4 MiB = 2 THPs or 64 folios of 64 KiB); 64 KiB ones swap back
# in whole too (one major fault per folio); the writes after the read-back take no fault.
if [ -d /sys/kernel/mm/transparent_hugepage/hugepages-2048kB ]; then
	run thp swapin_write swapped_thp
	expect_all swapped_thp_whole ".status == \"ok\" and .extra.swpout == 2 and .extra.swpout_fallback == 0 and .cow.nofault == $N" "$TMP/thp.jsonl"
else
	skip swapped_thp_whole "no PMD THP in this kernel"
fi
if [ -d /sys/kernel/mm/transparent_hugepage/hugepages-64kB ]; then
	run mthp swapin_write swapped_mthp_64K
	expect_all swapped_mthp_whole ".status == \"ok\" and .extra.swpout == 64 and .extra.swpout_fallback == 0 and .extra.read_major_faults == 64 and .cow.nofault == $N" "$TMP/mthp.jsonl"
else
	skip swapped_mthp_whole "no 64 KiB mTHP in this kernel"
fi

# Without swap the swap backings are a skip with the reason, never a figure.
run noswap swapin_write swapped --swap none
expect_all no_swap_skips '.status == "skip" and (.reason | length > 0) and .cow == null' "$TMP/noswap.jsonl"
# Swap backings are not in "all": a scenario without them rejects them.
if "$CB" run cow_reuse --backing swapped --size 4M >/dev/null 2>&1; then
	fail swap_backing_rejected "cow_reuse accepted --backing swapped"
else
	ok swap_backing_rejected
fi

machine_state >"$TMP/after"
if cmp -s "$TMP/before" "$TMP/after"; then
	ok machine_left_as_found
else
	fail machine_left_as_found "before/after differ: $(diff "$TMP/before" "$TMP/after" | tr '\n' ' ')"
fi
