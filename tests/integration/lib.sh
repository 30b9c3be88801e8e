# Shared by the integration tests: verdict lines and record assertions.
# Each test file sources this, then calls check/ok/fail/skip. Lines: "ok NAME", "FAIL NAME: why",
# "skip NAME: why".
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CB=$ROOT/build/cowbench
SUITE=$(basename "$0" .sh)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $SUITE/$1"; }
# One line each, whatever the reason holds: the runner and tests/repeat.sh keep only these lines.
fail() { echo "FAIL $SUITE/$1: ${2//$'\n'/ | }"; }
skip() { echo "skip $SUITE/$1: $2"; }
is_root() { [ "$(id -u)" = 0 ]; }

# Every cowbench a test starts waits for the machine lock while another cowbench measures (never
# failing or skipping because of it), bounded: a test never hangs on it for longer.
export COWBENCH_WAIT_TIMEOUT=${COWBENCH_WAIT_TIMEOUT:-1800}
# own_machine: for a test that reads machine-wide state between its own cowbench runs (the
# settings journal, THP sysfs), which another cowbench on the machine changes while it measures
# (a suite started beside make check replayed the stale journal that restore.sh had left for its
# own next run). The test takes the machine lock for the rest of its run, waiting its turn like any
# cowbench, and its own runs use a private lock: what it reads is its runs' alone. No-op unless
# root; 1 when the wait timed out.
own_machine() {
	is_root || return 0
	exec {OWN_MACHINE_FD}>>"${COWBENCH_LOCK:-/run/cowbench.lock}" || return 1
	flock -w "$COWBENCH_WAIT_TIMEOUT" "$OWN_MACHINE_FD" || return 1
	export COWBENCH_LOCK=$TMP/own.lock
}
# holds PID: waits until cowbench PID holds the machine lock (a suite started in the background
# waits for another cowbench first); 1 when PID ended without it.
holds() {
	local status=${COWBENCH_LOCK:-/run/cowbench.lock}
	status=${status%.lock}.status
	while kill -0 "$1" 2>/dev/null; do
		grep -qx "pid $1" "$status" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Records of FILE minus the disturbed ones (their preconditions broke during the pass: their
# figures are never asserted) and minus the record of an instance that gave up because every try
# of a repetition was disturbed (its other repetitions stand). When nothing is left, the
# assertion is a skip with that reason.
undisturbed() {
	jq -c 'select(.status != "disturbed" and ((.status == "skip" and ((.reason // "") | test("disturbed in all"))) | not))' "$1" 2>/dev/null
}
all_disturbed() {
	jq -r 'select(.status == "skip" and ((.reason // "") | test("disturbed in all"))) | .reason' "$1" 2>/dev/null | head -1
}

# expect NAME JQ_FILTER FILE: the filter must hold for the first (undisturbed) record of FILE.
expect() {
	local name=$1 filter=$2 file=$3 why
	# Read once: FILE may be a pipe (<(cowbench env)).
	cat "$file" >"$TMP/.expect.jsonl" 2>/dev/null
	file=$TMP/.expect.jsonl
	why=$(all_disturbed "$file")
	undisturbed "$file" | jq -cs 'first // empty' >"$TMP/.first.jsonl" 2>/dev/null
	if [ -n "$why" ] && [ ! -s "$TMP/.first.jsonl" ]; then
		skip "$name" "$why"
		return
	fi
	expect_all "$name" "$filter" "$TMP/.first.jsonl"
}

# expect_all NAME JQ_FILTER FILE: the filter must hold for every undisturbed record of FILE.
expect_all() {
	local name=$1 filter=$2 file=$3 got why
	cat "$file" >"$TMP/.expect_all.jsonl" 2>/dev/null
	file=$TMP/.expect_all.jsonl
	why=$(all_disturbed "$file")
	undisturbed "$file" >"$TMP/.undisturbed.jsonl"
	if [ -n "$why" ] && [ ! -s "$TMP/.undisturbed.jsonl" ]; then
		skip "$name" "$why"
		return
	fi
	file=$TMP/.undisturbed.jsonl
	got=$(jq -s "length > 0 and all(.[]; $filter)" "$file" 2>&1)
	if [ "$got" = true ]; then
		ok "$name"
	else
		fail "$name" "expected $filter for every record; got $got; records: $(jq -c '{rep,status,reason,cow,faults:.faults.per_page}' "$file" 2>/dev/null | head -c 600)"
	fi
}
