# --numa placement and --events hardware counters, on every kind of scenario (a COW write loop
# run in a child, an op). Asserts what this machine does: one NUMA node here, so `remote` skips;
# no hardware PMU in this VM, so hardware events are `unsupported` with the reason.
. "$(dirname "$0")/lib.sh"

if ! is_root; then
	for t in numa_remote numa_local numa_interleave events_unsupported events_unknown counters_per_op; do
		skip "$t" "needs root"
	done
	exit 0
fi

SIZE=4M
PAGES=$((4 * 1024 * 1024 / $(getconf PAGESIZE)))
NODES=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
# perf exposes a hardware PMU as event source "cpu" (x86) or "armv8_*"/"cpu_*" (arm64).
HAVE_PMU=$(ls /sys/bus/event_source/devices 2>/dev/null | grep -cE '^(cpu|armv8|cpu_)' || true)

run() { # NAME SCENARIO ARGS...
	local name=$1 scn=$2
	shift 2
	"$CB" run "$scn" --size $SIZE --repeat 2 --warmup 1 "$@" --out "$TMP/$name.jsonl" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
}
rc_is() { # NAME WANT
	local got
	got=$(cat "$TMP/$1.rc")
	if [ "$got" = "$2" ]; then ok "$1_exit_$2"; else fail "$1_exit_$2" "exit $got: $(tail -c 300 "$TMP/$1.err")"; fi
}

expect numa_env_topology ".numa.available == true and .numa.nodes == $NODES" <("$CB" env)

run numa_remote cow_child --numa remote
if [ "$NODES" -lt 2 ]; then
	rc_is numa_remote 0
	expect_all numa_remote_skips ".status == \"skip\" and .reason == \"needs two NUMA nodes (this machine has $NODES)\" and .options == \"numa=remote\"" "$TMP/numa_remote.jsonl"
else
	expect_all numa_remote_ok '.status == "ok"' "$TMP/numa_remote.jsonl"
	expect_all numa_remote_pages_elsewhere "(.numa_pages_by_node | keys | length) == 1 and (.numa_pages_by_node | keys[0]) != (.numa_task_node | tostring) and ([.numa_pages_by_node[]] | add) == $PAGES" "$TMP/numa_remote.jsonl"
fi

# local: every page on the measuring task's node, for a write loop in the child and for an op.
for scn in cow_child fork; do
	run "numa_local_$scn" "$scn" --numa local
	rc_is "numa_local_$scn" 0
	expect_all "numa_local_${scn}_on_task_node" ".status == \"ok\" and .options == \"numa=local\" and .numa_pages_by_node == {(.numa_task_node | tostring): $PAGES}" "$TMP/numa_local_$scn.jsonl"
done
# The CPU's node from sysfs, not from cowbench.
CPU=$(jq -s '.[0].cpu' "$TMP/numa_local_cow_child.jsonl")
CPU_NODE=$(basename "$(ls -d /sys/devices/system/cpu/cpu"$CPU"/node[0-9]* 2>/dev/null | head -1)" | tr -dc 0-9)
expect_all numa_local_task_node_is_cpu_node ".numa_task_node == ${CPU_NODE:-0}" "$TMP/numa_local_cow_child.jsonl"

run numa_interleave cow_reuse --numa interleave
rc_is numa_interleave 0
expect_all numa_interleave_ok '.status == "ok" and .options == "numa=interleave" and .cow.reuse == '$PAGES "$TMP/numa_interleave.jsonl"
if [ "$NODES" -eq 1 ]; then
	expect_all numa_interleave_all_on_node0 ".numa_pages_by_node == {\"0\": $PAGES}" "$TMP/numa_interleave.jsonl"
else
	expect_all numa_interleave_spread "(.numa_pages_by_node | keys | length) == $NODES and ([.numa_pages_by_node[]] | add) == $PAGES" "$TMP/numa_interleave.jsonl"
fi

# Without --numa the policy is untouched and the placement still recorded.
run numa_none cow_child
expect_all numa_none_recorded ".options == \"\" and ([.numa_pages_by_node[]] | add) == $PAGES" "$TMP/numa_none.jsonl"

# --events replaces the default hardware set; the run goes on whatever the PMU says.
run events_hw cow_child --events cycles,instructions
rc_is events_hw 0
expect_all events_hw_ok '.status == "ok" and .options == "events=cycles,instructions" and .cow.copy == '$PAGES "$TMP/events_hw.jsonl"
expect_all events_hw_only_listed '(.counters | has("dTLB-load-misses") or has("iTLB-load-misses") or has("dTLB-refills")) | not' "$TMP/events_hw.jsonl"
if [ "$HAVE_PMU" -eq 0 ]; then
	expect_all events_hw_unsupported_here '[.counters.cycles, .counters.instructions] | all(.unsupported | type == "string" and startswith("perf_event_open: "))' "$TMP/events_hw.jsonl"
	expect_all events_hw_not_per_op '.counters_per_op | (has("cycles") or has("instructions")) | not' "$TMP/events_hw.jsonl"
else
	expect_all events_hw_counted '[.counters.cycles, .counters.instructions] | all(type == "number" and . > 0)' "$TMP/events_hw.jsonl"
fi

run events_unknown fork --events bogus_xyz
rc_is events_unknown 0
expect_all events_unknown_unsupported '.status == "ok" and .counters.bogus_xyz == {"unsupported": "unknown event bogus_xyz (libpfm4)"}' "$TMP/events_unknown.jsonl"

# Default set: the architecture's events, each a number or a reason.
run events_default cow_reuse
expect_all events_default_set '(.counters | has("cycles") and has("instructions")) and ([.counters[] | select(type == "object")] | all(.unsupported | length > 0))' "$TMP/events_default.jsonl"

# Per op: every supported counter / ops, ops = pages for a write loop, 1 for an op.
expect_all counters_per_op_write_loop ".ops == $PAGES and .counters_per_op[\"page-faults\"] == .counters[\"page-faults\"] / .ops and ([.counters | to_entries[] | select(.value | type == \"number\") | .key] | sort) == (.counters_per_op | keys | sort)" "$TMP/events_default.jsonl"
expect_all counters_per_op_op '.ops == 1 and .counters_per_op["kmem:mm_page_alloc"] == .counters["kmem:mm_page_alloc"]' "$TMP/events_unknown.jsonl"
expect_all counter_scaling_recorded '(.counter_scaling | keys | sort) == (.counters_per_op | keys | sort) and .counter_scaling["page-faults"] == 1' "$TMP/events_default.jsonl"
