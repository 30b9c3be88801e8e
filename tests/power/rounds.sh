#!/usr/bin/env bash
# What runs per side, interleaved rounds and a drift file buy on this machine, measured, not
# assumed. Records N rounds of CONFIG on this kernel, alternating A and B (round r: rr-A then
# rr-B), as a developer alternates two kernels; both sides are one kernel, so every difference
# between them is the machine's. Then multiplies known effects into every B run with build/inject
# and asks compare what it finds with k = 2..N rounds paired (--paired), and with one run per side
# plus a drift file calibrated from the A runs. Prints one markdown table. Runs real suites: it
# waits for the machine lock like any suite (root).
#
# usage: tests/power/rounds.sh [--rounds N] [--config FILE] [--keep DIR] [--from DIR]
#   --from DIR   analyse rounds recorded earlier into DIR (r1-A r1-B ...) instead of recording
set -uo pipefail
PW_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PW_TMP=$(mktemp -d)
trap 'rm -rf "$PW_TMP"' EXIT
# shellcheck source=tests/power/lib.sh
. "$PW_ROOT/tests/power/lib.sh"

n=5 config=$PW_ROOT/configs/quick.conf keep= from=
while (($#)); do
	case $1 in
	--rounds) n=$2 && shift ;;
	--config) config=$2 && shift ;;
	--keep) keep=$2 && shift ;;
	--from) from=$2 && shift ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
	*) echo "usage: tests/power/rounds.sh [--rounds N] [--config FILE] [--keep DIR] [--from DIR]" >&2 && exit 2 ;;
	esac
	shift
done
((n >= 2 && n <= 12)) || { echo "rounds.sh: --rounds takes 2 to 12" >&2 && exit 2; }
dir=${from:-${keep:-$PW_TMP/rounds}}
if [ -z "$from" ]; then
	mkdir -p "$dir"
	for r in $(seq "$n"); do
		for s in A B; do
			echo "rounds.sh: round $r, side $s" >&2
			"$PW_CB" suite "$config" --out "$dir/r$r-$s" >/dev/null 2>"$dir/r$r-$s.err" ||
				{ echo "rounds.sh: the suite failed: $(tail -2 "$dir/r$r-$s.err")" >&2 && exit 1; }
		done
	done
fi
for r in $(seq "$n"); do
	for s in A B; do
		[ -s "$dir/r$r-$s/results.jsonl" ] || { echo "rounds.sh: no $dir/r$r-$s" >&2 && exit 2; }
	done
done
virt=$(jq -r '.virtualized // "native"' "$dir/r1-A/env.json")

# shift_of JSON: "×ratio verdict" of the common shift.
shift_of() {
	jq -r '.shift[1] | if . == null then "no shift" else "×\(.ratio) \(.verdict) [\(.ci_lo // "-"), \(.ci_hi // "-")]" end' "$1"
}
# inject_all F R: every B run of rounds 1..R times F (uniformly), into $PW_TMP/b<r>.
inject_all() {
	local f=$1 rounds=$2
	for r in $(seq "$rounds"); do
		PW_B=$dir/r$r-B pw_inject "$PW_TMP/b$r" --scale "all=$f" >/dev/null || return 1
	done
}

echo "Rounds of $(basename "$config") on $(jq -r '.kernel.release' "$dir/r1-A/env.json") ($virt), A and B one kernel: effects multiplied into every B run"
echo
echo "| rounds (runs per side) | effect in B | common shift, --paired | found |"
echo "|---|---|---|---|"
for f in 1 1.02 1.05 1.10; do
	for k in $(seq 2 "$n"); do
		inject_all "$f" "$k" 2>/dev/null || { [ "$f" = 1 ] || continue; }
		a=() b=()
		for r in $(seq "$k"); do
			a+=("$dir/r$r-A")
			if [ "$f" = 1 ]; then b+=("$dir/r$r-B"); else b+=("$PW_TMP/b$r"); fi
		done
		"$PW_CB" compare --paired --format json "${a[@]}" -- "${b[@]}" >"$PW_TMP/p.json" 2>/dev/null
		v=$(jq -r '.shift[1].verdict // ""' "$PW_TMP/p.json")
		found=no
		[ "$f" != 1 ] && [ "$v" = regression ] && found=yes
		[ "$f" = 1 ] && found=$([ "$v" = "not significant" ] && echo "no verdict (right)" || echo "$v (false)")
		echo "| $k | ×$f | $(shift_of "$PW_TMP/p.json") | $found |"
	done
done

# A drift file from the A runs (at least 5), then one run per side judged with it.
if ((n >= 5)); then
	a=()
	for r in $(seq "$n"); do a+=("$dir/r$r-A"); done
	"$PW_CB" compare --calibrate "${a[@]}" --out "$PW_TMP/m.drift" 2>"$PW_TMP/cal.err" >/dev/null
	echo
	echo "Drift file from the $n A runs: $(tail -1 "$PW_TMP/cal.err" | sed 's/^cowbench: compare: //')"
	echo
	echo "| one run per side, --drift | effect in B | common shift | --fail-on regression |"
	echo "|---|---|---|---|"
	for f in 1 1.02 1.05 1.10 1.20; do
		if [ "$f" = 1 ]; then bdir=$dir/r1-B; else inject_all "$f" 1 && bdir=$PW_TMP/b1; fi
		"$PW_CB" compare --drift "$PW_TMP/m.drift" --format json "$dir/r1-A" "$bdir" >"$PW_TMP/d.json" 2>/dev/null
		"$PW_CB" compare --drift "$PW_TMP/m.drift" --fail-on regression "$dir/r1-A" "$bdir" >/dev/null 2>&1
		echo "| 1 | ×$f | $(shift_of "$PW_TMP/d.json") | exit $? |"
	done
	echo
	echo "Single instances with the drift file (one run per side, $dir/r1-A vs r1-B):"
	echo
	PW_A=$dir/r1-A PW_B=$dir/r1-B bash "$PW_ROOT/tests/power/power.sh" "$dir/r1-A" "$dir/r1-B" -- --drift "$PW_TMP/m.drift" |
		grep -E '^\| (effect|---|A/A|one instance)'
fi
