#!/usr/bin/env bash
# `make power`: what `cowbench compare` finds of known effects. Takes a real A/A pair (by default
# the committed tests/power/data/a and b: configs/quick.conf run twice back to back on one kernel),
# multiplies effects into a copy of B with build/inject, compares A with it (--format json) and
# counts what the comparison found:
# - an instance is found when any of its timing metrics has the verdict regression or improvement
#   (the verdict that counts: absolute where the comparison has run-level error, else relative);
# - a behaviour change is an entry of its behaviour_changes;
# - the common shift is .shift[1].ratio, "not reported" when the comparison has none.
# Prints one markdown table (effect | tried | found | note), labelled native or TCG from A's
# env.json. Needs no root and no lock: nothing runs but compare and inject.
#
# usage: tests/power/power.sh [A B] [-- COMPARE_OPTION...]   (e.g. -- --drift FILE)
set -uo pipefail
PW_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PW_TMP=$(mktemp -d)
trap 'rm -rf "$PW_TMP"' EXIT
# shellcheck source=tests/power/lib.sh
. "$PW_ROOT/tests/power/lib.sh"

dirs=()
while (($#)) && [ "$1" != -- ]; do
	case $1 in
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
	*) dirs+=("$1") ;;
	esac
	shift
done
[ "${1:-}" = -- ] && shift
CMP=("$@")
case ${#dirs[@]} in
0) PW_A=$PW_DATA/a PW_B=$PW_DATA/b ;;
2) PW_A=${dirs[0]} PW_B=${dirs[1]} ;;
*) echo "usage: tests/power/power.sh [A B] [-- COMPARE_OPTION...]" >&2 && exit 2 ;;
esac
for x in "$PW_CB" "$PW_INJECT"; do
	[ -x "$x" ] || { echo "power.sh: no $x (make all build/inject)" >&2 && exit 2; }
done
command -v jq >/dev/null || { echo "power.sh: needs jq" >&2 && exit 2; }

ROWS=$PW_TMP/rows
: >"$ROWS"
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }

# shift_note JSON: the common shift as the comparison reports it.
shift_note() {
	local s v
	s=$(pw_shift "$1")
	v=$(pw_shift_verdict "$1")
	if [ -n "$s" ]; then printf 'shift ×%.3f%s' "$s" "${v:+ ($v)}"; else printf 'shift not reported'; fi
}

# The A/A comparison: the timing instances every effect below is tried on.
AA=$PW_TMP/aa.json
pw_compare "$AA" "$PW_A" "$PW_B" "${CMP[@]}"
rc=$?
if ! jq -e .instances "$AA" >/dev/null 2>&1; then
	echo "power.sh: compare $PW_A $PW_B failed (exit $rc): $(head -c 400 "$AA.err")" >&2
	exit 1
fi
pw_timing_keys "$AA" >"$PW_TMP/timing"
ntiming=$(wc -l <"$PW_TMP/timing")

# A/A in both orders, at --fdr 0.05 and 0.2: nothing was injected, so anything found is false.
for order in "A vs B" "B vs A"; do
	for fdr in 0.05 0.2; do
		j=$PW_TMP/aa-${order// /}-$fdr.json
		if [ "$order" = "A vs B" ]; then
			pw_compare "$j" "$PW_A" "$PW_B" --fdr "$fdr" --fail-on regression,change "${CMP[@]}"
		else
			pw_compare "$j" "$PW_B" "$PW_A" --fdr "$fdr" --fail-on regression,change "${CMP[@]}"
		fi
		rc=$?
		row "A/A, $order, --fdr $fdr" "$(pw_timing_keys "$j" | wc -l)" "$(pw_found_keys "$j" | wc -l)" \
			"$(pw_changes "$j") behaviour changes; $(shift_note "$j"); --fail-on regression,change exits $rc"
	done
done

# One instance at a time, 15 timing instances evenly spread over the suite.
pw_pick 15 <"$PW_TMP/timing" >"$PW_TMP/picked"
for f in 1.5 2 3; do
	tried=0 found=0 others=0 missed=()
	while read -r key; do
		pw_inject "$PW_TMP/x" --scale "$key=$f" >/dev/null || continue
		pw_compare "$PW_TMP/x.json" "$PW_A" "$PW_TMP/x" "${CMP[@]}"
		tried=$((tried + 1))
		if [ "$(pw_found "$PW_TMP/x.json" "$key")" = 1 ]; then found=$((found + 1)); else missed+=("${key%/*}"); fi
		others=$((others + $(pw_found_keys "$PW_TMP/x.json" | grep -cvxF "$key")))
	done <"$PW_TMP/picked"
	note="others with a verdict: $others in $tried comparisons"
	((${#missed[@]} && ${#missed[@]} <= 8)) && note+="; missed: ${missed[*]}"
	row "one instance ×$f (each in turn)" "$tried" "$found" "$note"
done

# Ten instances at once, chosen by three seeds.
tried=0 found=0 others=0
for seed in 1 2 3; do
	pw_inject "$PW_TMP/x" --seed "$seed" --scale "@10=2" | awk '{ print $2 }' >"$PW_TMP/chosen" || continue
	pw_compare "$PW_TMP/x.json" "$PW_A" "$PW_TMP/x" "${CMP[@]}"
	pw_found_keys "$PW_TMP/x.json" >"$PW_TMP/hits"
	tried=$((tried + $(wc -l <"$PW_TMP/chosen")))
	found=$((found + $(grep -cxFf "$PW_TMP/chosen" "$PW_TMP/hits")))
	others=$((others + $(grep -cvxFf "$PW_TMP/chosen" "$PW_TMP/hits")))
done
row "ten instances ×2 (seeds 1-3)" "$tried" "$found" "others with a verdict: $others in 3 comparisons"

# Every instance: a uniformly slower kernel. The shift is what should show it.
for f in 1.02 1.05 1.10 1.20 1.3 1.5 2 3; do
	pw_inject "$PW_TMP/x" --scale "all=$f" >/dev/null || continue
	pw_compare "$PW_TMP/x.json" "$PW_A" "$PW_TMP/x" --fail-on regression "${CMP[@]}"
	rc=$?
	row "all ×$f" "$(pw_timing_keys "$PW_TMP/x.json" | wc -l)" "$(pw_found_keys "$PW_TMP/x.json" | wc -l)" \
		"$(shift_note "$PW_TMP/x.json") (A/A: $(shift_note "$AA" | sed 's/^shift //')); --fail-on regression exits $rc"
done

# Faults ×2 on THP instances of deterministic scenarios: an exact count that moved.
tried=0 found=0 dist=0 fail1=0 missed=()
while read -r key; do
	pw_inject "$PW_TMP/x" --faults "$key=2" >/dev/null || continue
	pw_compare "$PW_TMP/x.json" "$PW_A" "$PW_TMP/x" --fail-on change "${CMP[@]}"
	rc=$?
	tried=$((tried + 1))
	if [ "$(pw_changes "$PW_TMP/x.json" "$key")" -gt 0 ]; then found=$((found + 1)); else missed+=("${key%/*}"); fi
	[ "$(pw_outcome_moved "$PW_TMP/x.json" "$key" faults.total)" = 1 ] && dist=$((dist + 1))
	[ "$rc" = 1 ] && fail1=$((fail1 + 1))
done < <(pw_thp_fault_keys "$AA")
note="as a distribution, faults.total changed in $dist; --fail-on change exits 1 in $fail1"
((${#missed[@]} && ${#missed[@]} <= 8)) && note+="; missed: ${missed[*]}"
row "faults ×2 on a THP instance (each in turn)" "$tried" "$found" "$note"

# Reuse lost in k of the repetitions of each deterministic instance whose every repetition reused.
jq -r '.instances[] | select(.deterministic) | .key' "$AA" >"$PW_TMP/det"
pw_reuse_keys "$PW_B" | awk 'NR == FNR { det[$0] = 1; next } NF == 4 && ($1 in det)' "$PW_TMP/det" - >"$PW_TMP/reuse"
for k in 1 2; do
	tried=0 found=0 fail1=0
	while read -r key r1 r2 _; do
		opts=(--lose-reuse "$key:$r1")
		((k == 2)) && opts+=(--lose-reuse "$key:$r2")
		pw_inject "$PW_TMP/x" "${opts[@]}" >/dev/null || continue
		pw_compare "$PW_TMP/x.json" "$PW_A" "$PW_TMP/x" --fail-on change "${CMP[@]}"
		rc=$?
		tried=$((tried + 1))
		[ "$(pw_changes "$PW_TMP/x.json" "$key")" -gt 0 ] && found=$((found + 1))
		[ "$rc" = 1 ] && fail1=$((fail1 + 1))
	done <"$PW_TMP/reuse"
	row "a reuse lost in $k of 3 repetitions (each instance in turn)" "$tried" "$found" "--fail-on change exits 1 in $fail1"
done

label=$(pw_label "$PW_A")
echo "Power of cowbench compare ($("$PW_CB" --version 2>/dev/null | head -1 || echo cowbench)), $label:" \
	"$(jq -r '.kernel.release' "$PW_A/env.json") run $(jq -r .run_id "$PW_A/env.json") vs $(jq -r .run_id "$PW_B/env.json")," \
	"one run per side, $ntiming timing instances${CMP[*]:+, compare ${CMP[*]}}"
echo
echo "| effect injected into B ($label) | tried | found | note |"
echo "|---|---|---|---|"
cat "$ROWS"
