#!/usr/bin/env bash
# The result sets of one run of alternating boots (DIR/round<r>-A/, DIR/round<r>-B/, as
# `rounds=N` leaves them), paired by round for `cowbench compare --paired`: prints the A sets in
# round order, then "--", then the B sets, one per line. A round with one side missing is left
# out whole, and stderr says so. Exit 1 when no round has both sides.
# Usage: pair-rounds.sh DIR
set -euo pipefail
dir=${1:?usage: pair-rounds.sh DIR}
declare -A side=()
for d in "$dir"/round*-[AB]; do
	[[ -d $d && -s $d/env.json ]] || continue
	n=$(basename "$d")
	[[ $n =~ ^round0*([0-9]+)-([AB])$ ]] || continue
	side[${BASH_REMATCH[1]}${BASH_REMATCH[2]}]=$d
done
a=() b=() left=()
mapfile -t rounds < <(printf '%s\n' "${!side[@]}" | sed 's/[AB]$//' | sort -nu)
for r in "${rounds[@]}"; do
	if [[ -n ${side[${r}A]:-} && -n ${side[${r}B]:-} ]]; then
		a+=("${side[${r}A]}") b+=("${side[${r}B]}")
	else
		left+=("$r")
	fi
done
((${#left[@]} == 0)) || echo "pair-rounds: $dir: round(s) ${left[*]} left out: a side has no result set" >&2
((${#a[@]})) || { echo "pair-rounds: $dir: no round with both sides" >&2; exit 1; }
printf '%s\n' "${a[@]}" -- "${b[@]}"
