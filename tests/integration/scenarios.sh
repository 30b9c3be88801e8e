# Every scenario run small as root on this kernel, with exact outcomes where the kernel's
# behaviour is deterministic. Contents are verified by the scenarios themselves: status ok
# means the child and the parent each read what they should.
. "$(dirname "$0")/lib.sh"

if ! is_root; then
	for s in fault_anon cow_child cow_parent cow_reuse cow_reuse_remote cow_child_reuse; do skip "$s" "needs root"; done
	exit 0
fi

SIZE=4M
PAGES=$((4 * 1024 * 1024 / $(getconf PAGESIZE)))

runs() { "$CB" run "$1" --size $SIZE --repeat 2 --warmup 1 --out "$TMP/$1.jsonl" 2>"$TMP/$1.err"; }

runs fault_anon
expect_all fault_anon_ok '.status == "ok"' "$TMP/fault_anon.jsonl"
expect_all fault_anon_one_fault_per_page ".faults.total == $PAGES and .faults.pages_by_count[\"1\"] == $PAGES" "$TMP/fault_anon.jsonl"
expect_all fault_anon_all_first_touch ".cow.first_touch == $PAGES and .cow.copy == 0 and .cow.reuse == 0" "$TMP/fault_anon.jsonl"
expect_all fault_anon_allocates '.page_allocs_per_page >= 1' "$TMP/fault_anon.jsonl"
expect_all fault_anon_latency '.latency_ns.p50 > 0 and .latency_ns.p50 <= .latency_ns.p99 and .latency_ns.p99 <= .latency_ns.max and .ns_per_page > 0' "$TMP/fault_anon.jsonl"
expect_all fault_anon_base_folios ".folio_pages_by_size == {}" "$TMP/fault_anon.jsonl"
# Both loops took exactly the faults the counting pass saw decided: nothing else is in their window.
# Base pages: ns_per_page from the untimed loop, no timer read in it.
expect_all fault_anon_loop_faults ".untimed_faults == $PAGES and .timed_faults == $PAGES and .ns_per_page_source == \"untimed pass\" and .ns_per_page_timer_ns == null" "$TMP/fault_anon.jsonl"
# 128 MiB: the timed loop's timestamp array (8 bytes per page, 256 KiB) comes as fresh mmap'd
# pages that fault unless pre-faulted (gcc had turned its memset(0) into calloc: 32,832 faults;
# at 64 MiB malloc's state decided, and a reused heap chunk hid it).
BIG=$((128 * 1024 * 1024 / $(getconf PAGESIZE)))
"$CB" run fault_anon --size 128M --repeat 1 --warmup 0 --out "$TMP/fault_anon_128M.jsonl" 2>"$TMP/fault_anon_128M.err"
expect_all fault_anon_128M_loop_faults ".timed_faults == $BIG and .untimed_faults == $BIG" "$TMP/fault_anon_128M.jsonl"

runs cow_child
expect_all cow_child_ok '.status == "ok"' "$TMP/cow_child.jsonl"
expect_all cow_child_all_copied ".cow.copy == $PAGES and .cow.reuse == 0 and .cow.nofault == 0" "$TMP/cow_child.jsonl"
expect_all cow_child_one_fault_per_page ".faults.total == $PAGES" "$TMP/cow_child.jsonl"
expect_all cow_child_one_alloc_per_copy '.page_allocs_per_page >= 1' "$TMP/cow_child.jsonl"
expect_all cow_child_base_folios ".folio_pages_by_size == {\"4K\": $PAGES}" "$TMP/cow_child.jsonl"
expect_all cow_child_reps '[.rep] | inside([1,2])' "$TMP/cow_child.jsonl"

runs cow_parent
expect_all cow_parent_ok '.status == "ok"' "$TMP/cow_parent.jsonl"
expect_all cow_parent_all_copied ".cow.copy == $PAGES and .cow.reuse == 0 and .cow.nofault == 0" "$TMP/cow_parent.jsonl"
expect_all cow_parent_one_fault_per_page ".faults.total == $PAGES" "$TMP/cow_parent.jsonl"

runs cow_reuse
expect_all cow_reuse_ok '.status == "ok"' "$TMP/cow_reuse.jsonl"
expect_all cow_reuse_all_reused ".cow.reuse == $PAGES and .cow.copy == 0 and .cow.nofault == 0" "$TMP/cow_reuse.jsonl"
expect_all cow_reuse_no_allocs '.counters["kmem:mm_page_alloc"] < 16' "$TMP/cow_reuse.jsonl"

# The parent unmapped the region after fork: the child alone maps and holds every page (the
# mapcount 1 is checked before the writes in every pass), so its writes reuse them, as the
# parent's do in cow_reuse. Base pages exactly; a PMD THP is reused whole on its first write
# (the rest need no fault); 64 KiB mTHP subpages one by one since 6.15 ("CoW reuse support for
# PTE-mapped THP"), copied before. Large backings skip with the reason where not obtained.
runs cow_child_reuse
expect_all cow_child_reuse_ok '.status == "ok"' "$TMP/cow_child_reuse.jsonl"
expect_all cow_child_reuse_all_reused ".cow.reuse == $PAGES and .cow.copy == 0 and .cow.nofault == 0 and .faults.total == $PAGES" "$TMP/cow_child_reuse.jsonl"
expect_all cow_child_reuse_base_folios ".folio_pages_by_size == {\"4K\": $PAGES}" "$TMP/cow_child_reuse.jsonl"
expect_all cow_child_reuse_no_allocs '.counters["kmem:mm_page_alloc"] < 16' "$TMP/cow_child_reuse.jsonl"
THP=/sys/kernel/mm/transparent_hugepage
kver=$(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }')
# bk NAME BACKING: one repetition into $TMP/NAME.jsonl (not in the records checked below);
# returns 1 after a skip line with the reason when the backing was not obtained.
bk() {
	"$CB" run cow_child_reuse --backing "$2" --size $SIZE --repeat 1 --warmup 0 --out "$TMP/$1.bk" 2>"$TMP/$1.err"
	if jq -es 'first.status == "skip"' "$TMP/$1.bk" >/dev/null 2>&1; then
		skip "$1" "$(jq -rs first.reason "$TMP/$1.bk")"
		return 1
	fi
	expect "$1_ok" '.status == "ok"' "$TMP/$1.bk"
}
if [ ! -r $THP/hpage_pmd_size ]; then
	skip cow_child_reuse_thp "no THP in this kernel"
elif bk cow_child_reuse_thp thp; then
	npmd=$((4 * 1024 * 1024 / $(cat $THP/hpage_pmd_size)))
	expect cow_child_reuse_thp_whole_folio ".cow.reuse == $npmd and .cow.nofault == $((PAGES - npmd)) and .cow.copy == 0 and .faults.total == $npmd and (.vmstat_delta.thp_split_pmd // 0) == 0" "$TMP/cow_child_reuse_thp.bk"
fi
if [ ! -e $THP/hugepages-64kB/enabled ] || [ "$(getconf PAGESIZE)" != 4096 ]; then
	skip cow_child_reuse_mthp_64K "no 64 KiB mTHP size with 4 KiB pages in this kernel"
elif bk cow_child_reuse_mthp_64K mthp_64K; then
	if [ "$kver" -ge 6015 ]; then want=reuse; else want=copy; fi
	expect "cow_child_reuse_mthp_64K_per_subpage_$want" ".cow.$want == $PAGES and .faults.total == $PAGES and .folio_pages_by_size == {\"64K\": $PAGES}" "$TMP/cow_child_reuse_mthp_64K.bk"
fi

if [ "$(nproc)" -ge 2 ]; then
	runs cow_reuse_remote
	expect_all cow_reuse_remote_ok '.status == "ok"' "$TMP/cow_reuse_remote.jsonl"
	expect_all cow_reuse_remote_classified ".cow.copy + .cow.reuse == $PAGES and .cow.nofault == 0" "$TMP/cow_reuse_remote.jsonl"
	expect_all cow_reuse_remote_reports_spurious '.extra.spurious_copy == .cow.copy' "$TMP/cow_reuse_remote.jsonl"
else
	"$CB" run cow_reuse_remote --size $SIZE --repeat 1 --out "$TMP/crr.jsonl" 2>/dev/null
	expect cow_reuse_remote_skips_on_one_cpu '.status == "skip" and (.reason | test("two CPUs"))' "$TMP/crr.jsonl"
fi

# Counters: a figure or an "unsupported" reason, never a silent 0 for what could not be measured.
all=$TMP/all.jsonl
cat "$TMP"/*.jsonl >"$all"
expect_all counters_value_or_reason '.counters | to_entries | all(.value | (type == "number") or ((.unsupported | type) == "string" and (.unsupported | length) > 0))' "$all"
expect_all hardware_counters_not_silent_zero '[.counters.cycles, .counters.instructions] | all((type == "object") or (. > 0))' "$all"
if [ "$(uname -m)" = x86_64 ]; then
	expect_all tlb_reasons_add_up '(.tlb_flush.by_reason | [.[] | values] | add) == .tlb_flush.total' "$all"
	expect_all tlb_copy_flushes "if .scenario == \"cow_child\" or .scenario == \"cow_parent\" then .tlb_flush.total >= $PAGES else true end" "$all"
fi
expect_all page_faults_match_tracepoint '.counters["page-faults"] == .counters["exceptions:page_fault_user"]' "$all"
expect_all no_latency_without_timing '.latency_ns.p50 != null and .ops > 0' "$all"
