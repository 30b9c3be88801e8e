#!/usr/bin/env bash
# `make check-kernel` (opt-in, not part of `make check`): the kernel developer's loop end to end.
# Builds Debian's linux-source-6.12 twice in cache/kernel-6.12/ (tinyconfig + configs/kernel.config
# + olddefconfig; then the same tree with tests/kernel/never-reuse.patch, a one-line change of a
# COW decision in mm/memory.c), boots both through `./run.sh vm --kernel-tree` with
# tests/configs/vm-tiny.conf, asserts the 6.12 outcomes tests/integration/vm.sh knows on the
# unpatched build, and that `cowbench compare` finds the behaviour change (and, with
# --fail-on change, exits non-zero as a bisect script needs). Ends "N passed, N failed, N skipped".
. "$(dirname "$0")/../integration/lib.sh"
SUITE=kernel
CACHE=${COWBENCH_CACHE:-$ROOT/cache}
KDIR=$CACHE/kernel-6.12
CONF=$ROOT/tests/configs/vm-tiny.conf
OUT=$TMP/results
export TMPDIR=$TMP
log=$TMP/verdicts
start=$SECONDS

ok() { echo "ok $SUITE/$1" | tee -a "$log"; }
fail() { echo "FAIL $SUITE/$1: $2" | tee -a "$log"; }
skip() { echo "skip $SUITE/$1: $2" | tee -a "$log"; }
: >"$log"
summary() {
	echo "$(grep -c '^ok ' "$log") passed, $(grep -c '^FAIL ' "$log") failed, $(grep -c '^skip ' "$log") skipped"
	echo "check-kernel: $((SECONDS - start)) s" >&2
	! grep -q '^FAIL ' "$log"
}

if ! is_root; then
	skip kernel "needs root (the suite runs as root in the guest; apt installs the sources)"
	summary
	exit
fi

t=$SECONDS
if nice -n 10 "$ROOT/scripts/kernel-build.sh" "$KDIR/base" >"$TMP/build-base.log" 2>&1; then
	ok "built_6.12_tinyconfig_fragment ($((SECONDS - t)) s)"
else
	fail built_6.12_tinyconfig_fragment "$(tail -5 "$TMP/build-base.log")"
	summary
	exit
fi
t=$SECONDS
if nice -n 10 "$ROOT/scripts/kernel-build.sh" --from "$KDIR/base" --patch "$ROOT/tests/kernel/never-reuse.patch" \
	"$KDIR/never-reuse" >"$TMP/build-patched.log" 2>&1; then
	ok "built_6.12_patched ($((SECONDS - t)) s)"
else
	fail built_6.12_patched "$(tail -5 "$TMP/build-patched.log")"
	summary
	exit
fi
# Every option of the fragment this arch has made it into the config: none was dropped by a
# dependency the fragment does not name.
lost=$(grep -h 'not in the final config' "$TMP/build-base.log" "$KDIR/base/.merge-config.log" 2>/dev/null |
	grep -o 'CONFIG_[A-Z0-9_]*' | grep -v -E 'AMBA|ARM' | paste -sd ' ')
if [ -z "$lost" ]; then
	ok fragment_options_all_set
else
	fail fragment_options_all_set "dropped on $(uname -m): $lost"
fi

t=$SECONDS
"$ROOT/scripts/vm.sh" --kernel-tree "$KDIR/base" --kernel-tree "$KDIR/never-reuse" --config "$CONF" \
	--out "$OUT" --accel tcg --timeout 900 >"$TMP/vm.out" 2>"$TMP/vm.err"
rc=$?
base=$(tail -2 "$TMP/vm.out" | head -1) patched=$(tail -1 "$TMP/vm.out")
if [ -d "$base" ] && [ -d "$patched" ] && [ "$base" != "$patched" ]; then
	ok "two_builds_booted ($((SECONDS - t)) s, status $rc)"
else
	fail two_builds_booted "status $rc: $(grep -v 'guest|' "$TMP/vm.err" | tail -c 600)"
	summary
	exit
fi

# Named <release>@<image hash>: one release, two builds, two directories.
rel=$(jq -r .kernel.release "$base/env.json")
id1=$(jq -r .vm.build_id "$base/env.json") id2=$(jq -r .vm.build_id "$patched/env.json")
if [[ $rel == 6.12.* ]] && [ "$(basename "$(dirname "$base")")" = "$rel@$id1" ] &&
	[ "$(basename "$(dirname "$patched")")" = "$rel@$id2" ] && [ "$id1" != "$id2" ]; then
	ok result_sets_named_by_build
else
	fail result_sets_named_by_build "$base, $patched (release $rel, ids $id1 $id2)"
fi
env=$(jq -c '{src: .vm.kernel_source, cfg: .kernel_config_source, thp: .kernel_config.TRANSPARENT_HUGEPAGE,
	io_uring: .kernel_config.IO_URING}' "$base/env.json")
if [ "$env" = "{\"src\":\"tree:$(realpath "$KDIR/base")\",\"cfg\":\"/boot/config-$rel\",\"thp\":\"y\",\"io_uring\":\"y\"}" ]; then
	ok env_has_tree_and_config
else
	fail env_has_tree_and_config "$env"
fi

# instance DIR SCENARIO BACKING JQ: the filter holds for that instance's record.
instance() {
	local name=$1 dir=$2 sc=$3 bk=$4 filter=$5 got
	got=$(jq -c --arg s "$sc" --arg b "$bk" 'select(.scenario == $s and .backing == $b) |
		{status, reason, cow}' "$dir/results.jsonl")
	if [ -n "$got" ] && [ "$(jq -r "$filter" <<<"$got" 2>/dev/null)" = true ]; then
		ok "$name"
	else
		fail "$name" "$sc/$bk: expected $filter, got ${got:-no record}"
	fi
}
# The 6.12 outcomes of tests/integration/vm.sh (Debian's 6.12 build), on our own build of it.
want=$(grep -c '^run *=' "$CONF")
bad=$(jq -c 'select(.status != "ok" and (.status != "skip" or (.reason // "") == "")) | {scenario, backing, status, reason}' \
	"$base/results.jsonl" | head -3)
if [ "$(jq -s length "$base/results.jsonl")" = "$want" ] && [ -z "$bad" ]; then
	ok base_complete
else
	fail base_complete "$(jq -s length "$base/results.jsonl") of $want records; ${bad:-}"
fi
instance base_first_touch "$base" fault_anon base '.cow.first_touch == 512'
instance base_cow_copy "$base" cow_child base '.cow.copy == 512'
instance base_reuse_base "$base" cow_reuse base '.cow.reuse == 512'
instance base_reuse_pmd_thp "$base" cow_reuse thp '.cow.reuse == 1 and .cow.nofault == 511'
instance base_mthp_copied "$base" cow_reuse mthp_64K '.cow.copy == 512'
instance base_odirect_unshared "$base" pin_odirect base '.status == "ok" and .cow.reuse == 512'
instance base_swapin_then_write "$base" swapin_write swapped '.status == "ok" and .cow.nofault == 256'
instance base_hyperfine "$base" proc_startup base '.status == "ok"'
# The patch: a small folio no longer exclusive is copied, never reused; a PMD THP still is.
instance patched_reuse_base_copies "$patched" cow_reuse base '.cow.copy == 512 and .cow.reuse == 0'
instance patched_reuse_pmd_thp_unchanged "$patched" cow_reuse thp '.cow.reuse == 1 and .cow.nofault == 511'

"$CB" compare "$base" "$patched" >"$TMP/cmp.txt" 2>&1
if grep -q 'cow_reuse/base/2M: cow.copy 0 → 512' "$TMP/cmp.txt"; then
	ok compare_finds_behaviour_change
else
	fail compare_finds_behaviour_change "$(grep -i -A3 'behaviour' "$TMP/cmp.txt" | head -c 600)"
fi
if "$CB" compare --help 2>&1 | grep -q -- '--fail-on'; then
	"$CB" compare --fail-on change "$base" "$patched" >"$TMP/bisect.txt" 2>&1
	brc=$?
	"$CB" compare --fail-on change "$base" "$base" >"$TMP/same.txt" 2>&1
	src=$?
	if [ "$brc" != 0 ] && [ "$src" = 0 ]; then
		ok bisect_calls_patched_bad
	else
		fail bisect_calls_patched_bad "--fail-on change: patched status $brc, same build status $src"
	fi
else
	skip bisect_calls_patched_bad "compare has no --fail-on yet: the behaviour-change line is asserted above"
fi
summary
