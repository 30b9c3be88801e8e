# TLB flushes with sibling threads of the measuring process spinning on other CPUs: a COW copy
# must shoot the old PTE down on the siblings' CPUs (IPI send per fault), a reuse needs no
# flush, a zap flushes once per op. Asserts what 6.18 on x86_64 does.
. "$(dirname "$0")/lib.sh"

SCN="tlb_cow_copy tlb_cow_reuse tlb_zap_munmap tlb_zap_dontneed tlb_zap_mprotect"
if ! is_root; then
	for s in $SCN; do skip "$s" "needs root"; done
	exit 0
fi

SIZE=4M
PAGES=$((4 * 1024 * 1024 / $(getconf PAGESIZE)))
NCPU=$(getconf _NPROCESSORS_ONLN)
OTHER=$((NCPU - 1))

runs() {
	local out=$1
	shift
	"$CB" run "$@" --size $SIZE --repeat 2 --warmup 1 --out "$TMP/$out.jsonl" 2>"$TMP/$out.err"
}

# More siblings than other CPUs: skip with the reason, never threads sharing a CPU.
runs too_many tlb_cow_copy --siblings $NCPU
expect too_many_siblings_skip ".status == \"skip\" and (.reason | test(\"needs $NCPU other online CPUs, this machine has $OTHER\"))" "$TMP/too_many.jsonl"

if [ "$NCPU" -lt 2 ]; then
	runs one tlb_cow_copy
	expect one_cpu_runs_without_siblings '.status == "ok" and .extra.siblings == 0' "$TMP/one.jsonl"
	for s in $SCN; do skip "${s}_siblings" "one CPU online: no sibling thread can run on another CPU"; done
	exit 0
fi

for s in $SCN; do runs "$s" "$s"; done
runs copy0 tlb_cow_copy --siblings 0

for s in $SCN; do expect_all "${s}_ok" '.status == "ok" and .extra.siblings == 1' "$TMP/$s.jsonl"; done
expect_all copy_siblings_0_ok '.status == "ok" and .extra.siblings == 0 and .options == "siblings=0"' "$TMP/copy0.jsonl"
expect_all copy_all_copied ".cow.copy == $PAGES and .cow.reuse == 0" "$TMP/tlb_cow_copy.jsonl"
expect_all reuse_all_reused ".cow.reuse == $PAGES and .cow.copy == 0" "$TMP/tlb_cow_reuse.jsonl"
expect_all copy_latency '.latency_ns.p50 > 0 and .latency_ns.p50 <= .latency_ns.p99' "$TMP/tlb_cow_copy.jsonl"
for s in tlb_zap_munmap tlb_zap_dontneed tlb_zap_mprotect; do
	expect_all "${s}_time" '.ops == 1 and .latency_ns.p50 > 0 and .ns_per_page > 0' "$TMP/$s.jsonl"
done

cat "$TMP"/tlb_*.jsonl "$TMP/copy0.jsonl" >"$TMP/all.jsonl"
if [ "$(uname -m)" != x86_64 ] || ! grep -q '^ *TLB:' /proc/interrupts; then
	# arm64 has no tlb:tlb_flush tracepoint: unsupported with the reason, and no made-up figure.
	expect_all no_tracepoint_unsupported '(.tlb_flush.unsupported | type) == "string" and (.extra | has("received_shootdowns_other_cpus") | not)' "$TMP/all.jsonl"
	exit 0
fi

# Per fault: the copy flushes the old PTE on every CPU running the mm, so one IPI send per copy
# with a sibling and none without; a reuse only makes the PTE writable.
expect_all copy_ipi_send_per_fault ".tlb_flush.by_reason.remote_send_ipi >= $PAGES and .tlb_flush.per_fault_by_reason.remote_send_ipi >= 1" "$TMP/tlb_cow_copy.jsonl"
# The two derived figures apart: one local flush per copy, and an IPI send per copy with a
# sibling (their events' sum, per_fault, counts the same flush twice).
expect_all copy_local_and_ipi_apart '.tlb_flush.local_per_fault == 1 and .tlb_flush.ipi_send_per_fault >= 1 and .tlb_flush.per_fault >= 2' "$TMP/tlb_cow_copy.jsonl"
expect_all copy0_local_no_ipi '.tlb_flush.local_per_fault == 1 and .tlb_flush.ipi_send_per_fault == 0' "$TMP/copy0.jsonl"
expect_all copy_siblings_0_no_ipi ".tlb_flush.by_reason.remote_send_ipi == 0 and .tlb_flush.by_reason.local_mm_shootdown >= $PAGES" "$TMP/copy0.jsonl"
expect_all reuse_no_ipi '.tlb_flush.by_reason.remote_send_ipi == 0 and .tlb_flush.total == 0' "$TMP/tlb_cow_reuse.jsonl"
for s in tlb_zap_munmap tlb_zap_dontneed tlb_zap_mprotect; do
	expect_all "${s}_ipi_send_per_op" '.tlb_flush.by_reason.remote_send_ipi >= 1' "$TMP/$s.jsonl"
done

# The system-wide view: every other online CPU counted, and the TLB interrupt row at least as
# high as the received shootdowns the per-CPU counters saw (it also counts this CPU's).
expect_all received_counted_on_other_cpus ".extra.received_shootdowns_cpus == $OTHER and ((.extra.received_shootdowns_other_cpus | type) == \"object\" or .extra.received_shootdowns_other_cpus >= 0)" "$TMP/all.jsonl"
expect_all interrupts_cover_received '(.extra.received_shootdowns_other_cpus | type) != "number" or .extra.interrupts_tlb_delta >= .extra.received_shootdowns_other_cpus' "$TMP/all.jsonl"
# Received shootdowns are a figure only where siblings were verified on their CPUs (disturbed
# records are left out) and the flush is delivered as an interrupt; a paravirtual flush (IPI
# sends traced, none received by a verified sibling) is recorded unsupported with the reason.
undisturbed "$TMP/tlb_cow_copy.jsonl" >"$TMP/copy_ok.jsonl"
pv=$(jq -r '.extra.received_shootdowns_other_cpus | objects | .unsupported // empty' "$TMP/copy_ok.jsonl" | head -1)
why=$(all_disturbed "$TMP/tlb_cow_copy.jsonl")
if [ -n "$why" ] && [ ! -s "$TMP/copy_ok.jsonl" ]; then
	skip copy_shootdowns_received "$why"
elif [ -n "$pv" ]; then
	expect_all copy_received_unsupported_pv '(.extra.received_shootdowns_other_cpus.unsupported | test("paravirtual")) and .tlb_flush.by_reason.remote_send_ipi >= 1' "$TMP/tlb_cow_copy.jsonl"
	skip copy_shootdowns_received "$pv"
else
	expect_all copy_shootdowns_received ".extra.received_shootdowns_other_cpus >= $PAGES and .extra.interrupts_tlb_delta >= $PAGES" "$TMP/tlb_cow_copy.jsonl"
	for s in tlb_zap_munmap tlb_zap_dontneed tlb_zap_mprotect; do
		expect_all "${s}_shootdown_received" '(.extra.received_shootdowns_other_cpus | type) == "number" and .extra.received_shootdowns_other_cpus >= 1 and .extra.interrupts_tlb_delta >= 1' "$TMP/$s.jsonl"
	done
fi
# Every record says how its siblings were verified: interrupt-length gaps are figures.
expect_all siblings_gaps_recorded '.extra.sibling_gaps >= 0 and .extra.sibling_gap_us >= 0' "$TMP/tlb_cow_copy.jsonl"
