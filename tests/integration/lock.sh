# One measurement per machine: a suite started while another runs waits for it (one line naming
# the holder), then succeeds; --no-wait and --wait-timeout exit 4 with that line; the settings
# journal's directory is gone after a run.
. "$(dirname "$0")/lib.sh"

if ! is_root; then
	skip lock "needs root (unprivileged runs neither take nor wait for the machine lock)"
	exit 0
fi
LOCK=${COWBENCH_LOCK:-/run/cowbench.lock}
cat >"$TMP/tiny.conf" <<CONF
size = 2M
repeat = 1
warmup = 0
run = cow_reuse --backing base
CONF
# The first suite must still run when the others start: ~100 passes of 2M (5 to 20 s here).
sed 's/^repeat = 1$/repeat = 50/' "$TMP/tiny.conf" >"$TMP/long.conf"

"$CB" suite "$TMP/long.conf" --out "$TMP/first" >/dev/null 2>"$TMP/first.err" &
first=$!
if ! holds "$first"; then
	fail lock_first_holds "the first suite never held $LOCK: $(tail -2 "$TMP/first.err")"
	exit 0
fi

# --no-wait: exit 4 at once, one line naming the holder.
t0=$(date +%s.%N)
"$CB" suite "$TMP/tiny.conf" --out "$TMP/nowait" --no-wait >/dev/null 2>"$TMP/nowait.err"
rc=$? t1=$(date +%s.%N)
if [ "$rc" = 4 ] && [ "$(wc -l <"$TMP/nowait.err")" = 1 ] &&
	grep -q "^cowbench: not waiting (--no-wait): the machine lock $LOCK is held by pid $first (cowbench suite $TMP/long.conf --out $TMP/first) since .* UTC" "$TMP/nowait.err" &&
	[ ! -e "$TMP/nowait" ] && awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 2) }'; then
	ok no_wait_exits_4
else
	fail no_wait_exits_4 "exit $rc after $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s: $(cat "$TMP/nowait.err")"
fi

# --wait-timeout 1: waits about a second, then exit 4 with the line.
t0=$(date +%s.%N)
"$CB" run cow_reuse --size 2M --repeat 1 --wait-timeout 1 >"$TMP/timeout.jsonl" 2>"$TMP/timeout.err"
rc=$? t1=$(date +%s.%N)
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
if [ "$rc" = 4 ] && awk -v t="$took" 'BEGIN { exit !(t >= 1 && t < 4) }' && [ ! -s "$TMP/timeout.jsonl" ] &&
	grep -q "^cowbench: gave up after 1 s (--wait-timeout): the machine lock $LOCK is held by pid $first " "$TMP/timeout.err"; then
	ok wait_timeout_exits_4
else
	fail wait_timeout_exits_4 "exit $rc after $took s: $(cat "$TMP/timeout.err")"
fi

# A second suite waits, saying for whom and where it is, then runs once the first is done.
"$CB" suite "$TMP/tiny.conf" --out "$TMP/second" --wait-timeout 600 >/dev/null 2>"$TMP/second.err" &
second=$!
wait "$first"
rc1=$?
wait "$second"
rc2=$?
waited=$(grep -c "^cowbench: waiting for the machine lock $LOCK, held by pid $first (cowbench suite $TMP/long.conf --out $TMP/first) since .* UTC (.* ago), at \[1/1\] cow_reuse/base/2M" "$TMP/second.err")
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$waited" = 1 ] &&
	[ "$(jq -s 'map(select(.status == "ok")) | length' "$TMP/second/results.jsonl" 2>/dev/null)" = 1 ]; then
	ok second_suite_waits_then_runs
else
	fail second_suite_waits_then_runs "first exit $rc1, second exit $rc2, waiting lines $waited: $(head -3 "$TMP/second.err")"
fi
# The journal is removed once empty, and with it its directory. Checked under the machine lock
# (flock(1) on it): no other cowbench may be running and holding a journal of its own.
jdir=$(dirname "${COWBENCH_JOURNAL:-/run/cowbench/journal}")
if flock -w "$COWBENCH_WAIT_TIMEOUT" "$LOCK" test ! -e "$jdir"; then
	ok journal_dir_removed
else
	fail journal_dir_removed "$jdir left: $(ls -la "$jdir" 2>&1 | tail -3)"
fi
# Nor do the status file and the queue's tickets outlive their runs.
status=${LOCK%.lock}.status
if flock -w "$COWBENCH_WAIT_TIMEOUT" "$LOCK" sh -c 'test ! -e "$1" && ! ls "$2".q.* >/dev/null 2>&1' sh "$status" "$LOCK"; then
	ok status_and_tickets_removed
else
	fail status_and_tickets_removed "$(ls "$status" "$LOCK".q.* 2>&1)"
fi
