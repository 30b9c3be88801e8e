# shellcheck shell=bash
# Shared by tests/power/power.sh (`make power`) and tests/integration/power.sh: known effects
# multiplied into a copy of a real result set (build/inject), `cowbench compare --format json`
# run on it, and what the comparison found counted from its JSON. Needs jq.
# The caller sets PW_ROOT (the tree) before sourcing it, then PW_A (the baseline) and PW_B (the
# set the effects go into).
PW_CB=$PW_ROOT/build/cowbench
PW_INJECT=$PW_ROOT/build/inject
PW_DATA=$PW_ROOT/tests/power/data

# A timing test: a statistical metric whose unit is a time (compare.h: "stat", not an outcome).
PW_TIMING='.kind == "stat" and (.outcome | not) and ((.unit // "") | test("^(ns|us|µs|ms|s)$|/s$"))'
# A timing test that was made: both sides had samples and the times were compared.
PW_TESTED='(.vs_baseline[1] | type == "object" and .compared != false and (.verdict // "too few samples") != "too few samples")'
# What counts as found: the verdict that counts (compare-contract: absolute where run-level error
# exists, else relative) says the instance moved.
PW_MOVED='(.vs_baseline[1].verdict // "") as $v | $v == "regression" or $v == "improvement"'

# pw_inject OUT [inject options]: a copy of PW_B at OUT with the effects; its lines on stdout.
pw_inject() {
	local out=$1
	shift
	rm -rf "$out"
	"$PW_INJECT" "$@" "$PW_B" "$out"
}

# pw_compare JSON BASE OTHER [compare options]: compare --format json into JSON; returns compare's
# exit status (the JSON is empty when it failed).
pw_compare() {
	local json=$1 base=$2 other=$3
	shift 3
	"$PW_CB" compare --format json "$@" "$base" "$other" >"$json" 2>"$json.err"
}

# pw_timing_keys JSON: instances with a timing test made (in the comparison's order).
pw_timing_keys() {
	jq -r ".instances[] | select(any(.metrics[]; $PW_TIMING and $PW_TESTED)) | .key" "$1"
}

# pw_found JSON KEY: 1 when instance KEY has a timing verdict, else 0.
pw_found() {
	jq -r --arg k "$2" '[.instances[] | select(.key == $k) | .metrics[] | select('"$PW_TIMING"') | select('"$PW_MOVED"')]
		| if length > 0 then 1 else 0 end' "$1"
}

# pw_found_keys JSON: instances with a timing verdict, one a line.
pw_found_keys() {
	jq -r ".instances[] | select(any(.metrics[]; $PW_TIMING and ($PW_MOVED))) | .key" "$1"
}

# pw_changes JSON [KEY]: behaviour changes (of instance KEY), counted.
pw_changes() {
	jq -r --arg k "${2:-}" '[.instances[] | select($k == "" or .key == $k) | .behaviour_changes[]?] | length' "$1"
}

# pw_outcome_moved JSON KEY NAME: 1 when outcome NAME of KEY, compared as a distribution, got a
# verdict ("changed"): not a behaviour change, but not silence either.
pw_outcome_moved() {
	jq -r --arg k "$2" --arg n "$3" '[.instances[] | select(.key == $k) | .metrics[] | select(.name == $n and .kind == "stat")
		| select((.vs_baseline[1].verdict // "") | test("changed|regression|improvement"))] | if length > 0 then 1 else 0 end' "$1"
}

# pw_shift JSON: the common shift of the timings, B vs A (.shift[1].ratio), or nothing when the
# comparison reports none.
pw_shift() {
	jq -r '(.shift // [])[1].ratio // empty' "$1" 2>/dev/null
}

# pw_shift_verdict JSON: the shift's own verdict, or nothing.
pw_shift_verdict() {
	jq -r '(.shift // [])[1].verdict // empty' "$1" 2>/dev/null
}

# pw_label DIR: "native" or "TCG" (env.json's virtualized; a KVM guest runs at hardware speed).
pw_label() {
	case "$(jq -r '.virtualized // "none"' "$1/env.json")" in
	tcg) echo TCG ;;
	kvm) echo "native (KVM guest)" ;;
	*) echo native ;;
	esac
}

# pw_pick N: N of the lines on stdin, evenly spaced (all of them when there are fewer).
pw_pick() {
	awk -v n="$1" '{ l[NR] = $0 } END { if (NR <= n) { for (i = 1; i <= NR; i++) print l[i]; exit }
		for (i = 0; i < n; i++) print l[1 + int(i * NR / n)] }'
}

# pw_thp_fault_keys JSON: THP-backed instances of deterministic scenarios whose fault totals are
# compared exactly on both sides (where doubling them is a behaviour change to report).
pw_thp_fault_keys() {
	jq -r '.instances[] | select(.backing == "thp" and .deterministic and .status == ["ok", "ok"])
		| select(any(.metrics[]; .name == "faults.total")) | .key' "$1"
}

# pw_reuse_keys DIR: instances whose every ok repetition reused pages, with their repetitions:
# "KEY REP..." (in a deterministic scenario, losing the reuse in one is a behaviour change).
pw_reuse_keys() {
	jq -rs 'map(select(.status == "ok")) | group_by([.scenario, .backing, .size_h, (.options // "")])[]
		| select(all(.[]; (.cow.reuse // 0) > 0))
		| "\(.[0].scenario)/\(.[0].backing)/\(.[0].size_h)\(if (.[0].options // "") != "" then "/" + .[0].options else "" end) \(map(.rep) | map(tostring) | join(" "))"' \
		"$1/results.jsonl"
}
