# THP and mTHP backings: exact outcomes per backing on this kernel, and THP settings left as
# they were after every run.
. "$(dirname "$0")/lib.sh"

THP=/sys/kernel/mm/transparent_hugepage
if ! is_root; then skip thp "needs root"; exit 0; fi
if [ ! -r $THP/hpage_pmd_size ]; then skip thp "no THP in this kernel"; exit 0; fi

PS=$(getconf PAGESIZE)
PMD=$(cat $THP/hpage_pmd_size)
SIZE=$((4 * PMD))                 # four PMD THPs
PAGES=$((SIZE / PS))
NPMD=4
PMD_H=$((PMD / 1024 / 1024))M
kver=$(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }')

thp_state() { cat $THP/enabled $THP/defrag $THP/hugepages-*/enabled 2>/dev/null | md5sum; }
# The settings and the journal are read between runs: no other cowbench may change them meanwhile.
own_machine || { fail own_machine "the machine lock was not free within $COWBENCH_WAIT_TIMEOUT s"; exit 0; }
before=$(thp_state)

# run NAME SCENARIO BACKING: one repetition, records in $TMP/NAME.jsonl; settings must be back.
run() {
	"$CB" run "$2" --backing "$3" --size $SIZE --repeat 1 --warmup 0 --out "$TMP/$1.jsonl" 2>"$TMP/$1.err"
	if [ "$(thp_state)" = "$before" ] && [ ! -e /run/cowbench/journal ]; then ok "$1_settings_restored"; else fail "$1_settings_restored" "THP settings changed after $2 --backing $3"; fi
	expect "$1_ok" '.status == "ok"' "$TMP/$1.jsonl"
}

run fault_thp fault_anon thp
expect fault_thp_one_fault_per_pmd ".faults.total == $NPMD and .vmstat_delta.thp_fault_alloc == $NPMD" "$TMP/fault_thp.jsonl"
expect fault_thp_folios ".folio_pages_by_size_after == {\"$PMD_H\": $PAGES}" "$TMP/fault_thp.jsonl"

# fault_latency_ns: the writes that faulted apart from the others. A 2 MiB THP fault zeroes 2 MiB
# (~110-140 us here, tens of us on any machine), the 511 writes after it in its PMD take no fault
# (tens of ns). Only where the region got PMD THPs (its folio layout says so).
# expect_fault_latency NAME FILE N: N faulting writes, their p50 above 10 us, the op p50 below 1 us.
expect_fault_latency() {
	local name=$1 file=$2 n=$3
	if [ "$(undisturbed "$file" | jq -s "length > 0 and all(.[]; .status == \"ok\" and .folio_pages_by_size_after == {\"$PMD_H\": .pages})")" != true ]; then
		skip "$name" "the region did not get $PMD_H THPs: $(jq -c '{status,reason,folio_pages_by_size_after}' "$file" | head -c 300)"
		return
	fi
	expect_all "$name" ".timed_faults == .faults.total and .fault_latency_withheld == null and .fault_latency_ns.ops == $n
		and .fault_latency_ns.p50 > 10000 and .latency_ns.p50 < 1000 and .fault_latency_ns.max >= .fault_latency_ns.p50
		and (.fault_latency_hist | map(.[2]) | add) == $n" "$file"
}
expect_fault_latency fault_thp_fault_latency "$TMP/fault_thp.jsonl" $NPMD
# Four faults have a p50 and a max, not a p90 or p99; 128 have all of them.
expect fault_thp_few_faults_no_p99 '.fault_latency_ns.p90 == null and .fault_latency_ns.p99 == null' "$TMP/fault_thp.jsonl"
"$CB" run fault_anon --backing thp --size $((128 * PMD)) --repeat 1 --warmup 0 --out "$TMP/fault_thp_128.jsonl" 2>"$TMP/fault_thp_128.err"
expect_fault_latency fault_thp_128_fault_latency "$TMP/fault_thp_128.jsonl" 128
expect fault_thp_128_p99 '.fault_latency_ns.p90 >= .fault_latency_ns.p50 and .fault_latency_ns.p99 >= .fault_latency_ns.p90' "$TMP/fault_thp_128.jsonl"

for d in $THP/hugepages-*kB; do
	[ -e "$d/enabled" ] || continue
	kb=${d##*hugepages-}
	kb=${kb%kB}
	[ $((kb * 1024)) -lt "$PMD" ] || continue
	if [ "$kb" -ge 1024 ]; then h=$((kb / 1024))M; else h=${kb}K; fi
	n=$((SIZE / (kb * 1024)))
	run "fault_mthp_$h" fault_anon "mthp_$h"
	# vmstat is global: with this size "always", cowbench's own heap may take a folio or two too.
	expect "fault_mthp_${h}_one_fault_per_folio" ".faults.total == $n and .vmstat_delta[\"mthp.${kb}kB.anon_fault_alloc\"] >= $n" "$TMP/fault_mthp_$h.jsonl"
	expect "fault_mthp_${h}_folios" ".folio_pages_by_size_after == {\"$h\": $PAGES}" "$TMP/fault_mthp_$h.jsonl"
done

# PMD THP: the child's first write splits its PMD, then every 4 KiB page is copied.
run child_thp cow_child thp
expect child_thp_split_then_copy ".vmstat_delta.thp_split_pmd == $NPMD and .cow.copy == $PAGES and .faults.total == $PAGES and .cow.folio_copy == 0" "$TMP/child_thp.jsonl"
expect child_thp_parent_kept_thp ".folio_pages_by_size == {\"$PMD_H\": $PAGES}" "$TMP/child_thp.jsonl"
# Every write faulted: its fault latency would repeat latency_ns, and is left out with the reason.
expect child_thp_fault_latency_left_out '.fault_latency_ns == null and (.fault_latency_withheld | test("every op faulted"))' "$TMP/child_thp.jsonl"
run parent_thp cow_parent thp
expect parent_thp_split_then_copy ".vmstat_delta.thp_split_pmd == $NPMD and .cow.copy == $PAGES" "$TMP/parent_thp.jsonl"
# After the child exited: one fault reuses each whole PMD THP, its other subpages need none.
run reuse_thp cow_reuse thp
expect reuse_thp_whole_folio ".cow.reuse == $NPMD and .cow.nofault == $((PAGES - NPMD)) and .cow.copy == 0 and .faults.total == $NPMD" "$TMP/reuse_thp.jsonl"
# Later faults in a PMD (stale read-only TLB pieces) are counted apart, one page per PMD faulted.
expect reuse_thp_spurious_apart "(.faults.spurious_pmd | type) == \"number\" and .faults.pages_by_count[\"1\"] == $NPMD and .faults.pages_by_count[\"2\"] == 0" "$TMP/reuse_thp.jsonl"
expect reuse_thp_no_split '(.vmstat_delta.thp_split_pmd // 0) == 0' "$TMP/reuse_thp.jsonl"
# An untimed loop can take such faults too, a number the CPU decides: on a PMD THP backing every
# repetition's ns_per_page comes from the timing pass, whose timer reads serialize the loop (it
# took exactly the decisions), its timer's cost per page stated; the untimed loop's faults kept.
expect_all reuse_thp_ns_per_page_timed '.ns_per_page_source == "timing pass" and .ns_per_page == .ns_per_page_timed
	and .ns_per_page_timer_ns > 0 and .timed_faults == .faults.total and (.untimed_faults | type) == "number"' "$TMP/reuse_thp.jsonl"
# The reuse faults are the first write of each PMD (the later spurious ones the timing pass does not
# take: its count equals the decisions).
# Where the timing pass took another count, which writes faulted is not known: withheld, saying so.
expect_all reuse_thp_fault_latency "(.fault_latency_withheld == null and .fault_latency_ns.ops == $NPMD and .timed_faults == $NPMD)
	or (.timed_faults != .faults.total and .fault_latency_ns == null and (.fault_latency_withheld | test(\"the timing pass took\")))" "$TMP/reuse_thp.jsonl"

# An mTHP is copied page by page, one fault each, not whole in its first fault (no kernel
# merged that): no page is a whole-folio copy, and none moved (the repetition was not disturbed).
run child_mthp cow_child mthp_64K
expect child_mthp_per_page_copy ".cow.copy == $PAGES and .faults.total == $PAGES and .cow.folio_copy == 0 and .folio_copy_folios == 0 and .cow.moved == 0" "$TMP/child_mthp.jsonl"
run child_thp_pte cow_child thp_pte
expect child_thp_pte_copy ".cow.copy == $PAGES and (.vmstat_delta.thp_split_pmd // 0) == 0" "$TMP/child_thp_pte.jsonl"
run child_single cow_child thp_single_pte
expect child_single_copy ".pages == $PAGES and .cow.copy == $NPMD and .ops == $NPMD" "$TMP/child_single.jsonl"

# PTE-mapped large folios after the child exited. 6.15 ("CoW reuse support for PTE-mapped THP")
# reuses each exclusive subpage, one fault each; from 6.5 to 6.14 do_wp_page never reused a subpage
# of a large folio, and before 6.5 the folio's refcount (one per mapped subpage) forced a copy.
run reuse_thp_pte cow_reuse thp_pte
run reuse_mthp cow_reuse mthp_64K
if [ "$kver" -ge 6015 ]; then want=reuse; else want=copy; fi
expect "reuse_thp_pte_per_subpage_$want" ".cow.$want == $PAGES and .faults.total == $PAGES" "$TMP/reuse_thp_pte.jsonl"
expect "reuse_mthp_per_subpage_$want" ".cow.$want == $PAGES and .faults.total == $PAGES" "$TMP/reuse_mthp.jsonl"
# A single remaining PTE of a large folio is copied on every kernel: since 6.15 on purpose, so the
# large folio can be freed ("just free up a large folio if only a single page is mapped").
run reuse_single cow_reuse thp_single_pte
expect reuse_single_copies ".cow.copy == $NPMD and .faults.total == $NPMD" "$TMP/reuse_single.jsonl"

run fork_thp fork thp
expect fork_thp_op '.ops == 1 and .cow == null and .ns_per_page > 0 and .extra_timed.fork_exit_wait_ns > 0' "$TMP/fork_thp.jsonl"
run munmap_thp zap_munmap thp
expect munmap_thp_frees ".folio_pages_by_size == {\"$PMD_H\": $PAGES} and .folio_pages_by_size_after == {}" "$TMP/munmap_thp.jsonl"
# remap: each PMD-mapped THP's mapping split into PTEs (vmstat is global: others may split too),
# the folios whole before and after.
run remap_thp remap thp
expect remap_thp_splits_pmds ".ops == 1 and .cow == null and .vmstat_delta.thp_split_pmd >= $NPMD and .folio_pages_by_size == {\"$PMD_H\": $PAGES} and .folio_pages_by_size_after == {\"$PMD_H\": $PAGES}" "$TMP/remap_thp.jsonl"
run dontneed_mthp zap_dontneed mthp_64K
expect dontneed_mthp_folios ".folio_pages_by_size == {\"64K\": $PAGES}" "$TMP/dontneed_mthp.jsonl"
run exit_thp zap_exit thp
run populate_thp populate_write thp
expect populate_thp_folios ".folio_pages_by_size == {} and .folio_pages_by_size_after == {\"$PMD_H\": $PAGES} and .vmstat_delta.thp_fault_alloc == $NPMD" "$TMP/populate_thp.jsonl"
run collapse collapse base
expect collapse_makes_thp ".folio_pages_by_size == {\"4K\": $PAGES} and .folio_pages_by_size_after == {\"$PMD_H\": $PAGES}" "$TMP/collapse.jsonl"

cat "$TMP"/*.jsonl >"$TMP/all"
expect_all outcomes_add_up 'if .cow == null then true else .cow.copy + .cow.reuse + .cow.nofault + .cow.first_touch == .ops end' "$TMP/all"

# A size that is not a whole number of folios is a skip with the reason, never a figure.
"$CB" run cow_child --backing thp --size $((PMD + PS)) --repeat 1 >"$TMP/odd.jsonl" 2>/dev/null
expect odd_size_skips '.status == "skip" and (.reason | test("whole number"))' "$TMP/odd.jsonl"
