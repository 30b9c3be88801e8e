#!/usr/bin/env bash
# Concurrent faults (lib/workers.c): fault_anon --threads 1 / --processes 1, fault_mmap_contention
# and which of their faults took mmap_lock, the skip where there are fewer CPUs than workers, and
# the mark on timings of workers that share CPUs with the rest of the machine.
source "$(dirname "$0")/lib.sh"

if ! is_root; then
	for t in threads1 processes1 contention too_many_threads shared_cpus; do skip "$t" "needs root"; done
	exit 0
fi
NCPU=$(getconf _NPROCESSORS_ONLN)
PAGES=1024
run_one() {
	local name=$1
	shift
	"$CB" run "$@" --size 4M --repeat 2 --warmup 1 --out "$TMP/$name.jsonl" 2>"$TMP/$name.err"
}
# Per-VMA locks (6.4): an anonymous fault takes its VMA's lock, not mmap_lock.
vma_locks() { [ "$(printf '6.4\n%s\n' "$(uname -r)" | sort -V | head -1)" = 6.4 ]; }
# The worker ran where it was pinned, and every page took one fault.
placed=".workers.per_worker | all(.cpu_seen == .cpu)"

run_one threads1 fault_anon --threads 1
expect_all threads1_ok '.status == "ok"' "$TMP/threads1.jsonl"
expect_all threads1_outcome ".faults.total == $PAGES and .cow.first_touch == $PAGES and .workers.mode == \"threads\"
	and .workers.cpus == [.cpu] and ($placed) and .workers.per_worker[0].faults == $PAGES and .workers.faults_per_s > 0
	and .workers.per_worker[0].latency_ns.p50 > 0 and .options == \"threads=1\"" "$TMP/threads1.jsonl"
# A fresh VMA's first fault may set up its anon_vma under mmap_lock (unless the VMA merged with a
# neighbour that had one): at most that one.
if vma_locks; then
	expect_all threads1_mmap_lock '.mmap_lock.faults <= 1 and .workers.per_worker[0].mmap_lock_faults == .mmap_lock.faults' \
		"$TMP/threads1.jsonl"
else
	skip threads1_mmap_lock "kernel $(uname -r) predates per-VMA locks (6.4)"
fi

run_one processes1 fault_anon --processes 1
expect_all processes1_outcome ".status == \"ok\" and .workers.mode == \"processes\" and ($placed)
	and .faults.total == $PAGES and .cow.first_touch == $PAGES" "$TMP/processes1.jsonl"

if ((NCPU < 2)); then
	skip contention "needs 2 CPUs (one faulting thread, one mapping), this machine has $NCPU"
else
	run_one contention fault_mmap_contention
	# The precondition holds by construction (the VMA's anon_vma set up before the loop; the
	# mapper's VMA between guards of its own): with per-VMA locks no fault takes mmap_lock,
	# without them every one does.
	if vma_locks; then lock='.mmap_lock.faults == 0 and .mmap_lock.per_fault == 0'; else lock='.mmap_lock.faults == .faults.total'; fi
	expect_all contention ".status == \"ok\" and $lock and .faults.total == $PAGES and ($placed)
		and .workers.background.cpu != .cpu and .workers.background.ops > 0" "$TMP/contention.jsonl"
fi

if ((NCPU + 1 > 64)); then
	skip too_many_threads "$NCPU CPUs: --threads cannot ask for more"
else
	run_one too_many fault_anon --threads $((NCPU + 1))
	expect too_many_threads ".status == \"skip\" and (.reason | test(\"--threads $((NCPU + 1)) needs $((NCPU + 1)) CPUs, one per thread; this process may run on $NCPU\"))" \
		"$TMP/too_many.jsonl"
fi

if ((NCPU < 2 || NCPU > 64)); then
	skip shared_cpus "$NCPU CPUs"
else
	# As many workers as CPUs: they run, and their timings say why they show no concurrency.
	run_one shared fault_anon --threads "$NCPU"
	expect_all shared_cpus ".status == \"ok\" and .workers.n == $NCPU and .workers.timings_valid == false
		and (.workers.timings_why | test(\"fewer than workers \\\\+ 1\")) and ($placed)
		and .faults.total == $PAGES" "$TMP/shared.jsonl"
fi
