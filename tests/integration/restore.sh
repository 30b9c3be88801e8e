# Settings come back: a suite that changes THP settings and is killed with SIGINT or SIGTERM
# restores them itself; after SIGKILL, `./run.sh restore` does it from the journal.
. "$(dirname "$0")/lib.sh"

THP=/sys/kernel/mm/transparent_hugepage
if ! is_root || [ ! -w $THP/defrag ]; then
	skip restore "needs root and THP sysfs"
	exit 0
fi
JOURNAL=/run/cowbench/journal
own_machine || { fail own_machine "the machine lock was not free within $COWBENCH_WAIT_TIMEOUT s"; exit 0; }
selected() { sed -n 's/.*\[\(.*\)\].*/\1/p' "$1"; }

# A setting that differs from the current one, on two files: the global defrag and one mTHP size.
defrag_was=$(selected $THP/defrag)
defrag_new=never
[ "$defrag_was" = never ] && defrag_new=madvise
mthp=$(ls -d $THP/hugepages-*kB 2>/dev/null | while read -r d; do [ -w "$d/enabled" ] && echo "$d"; done | head -1)
cat >"$TMP/slow.conf" <<CONF
thp_defrag = $defrag_new
size = 64M
repeat = 1000
warmup = 0
run = cow_child
CONF
if [ -n "$mthp" ]; then
	mthp_was=$(selected "$mthp/enabled")
	mthp_new=always
	[ "$mthp_was" = always ] && mthp_new=never
	kb=${mthp##*hugepages-}
	echo "mthp_${kb%kB}K = $mthp_new" >>"$TMP/slow.conf"
fi

state() { echo "$(selected $THP/defrag) ${mthp:+$(selected "$mthp/enabled")}"; }
before=$(state)

# Every process of a suite started with tag T (its forked workers and COW children inherit the
# variable): a SIGKILLed suite is over only when none is left.
tagged() { grep -lsz "^COWBENCH_TEST_TAG=$1\$" /proc/[0-9]*/environ | cut -d/ -f3; }
# suite_gone T: waits up to 10 s for every process of suite T to end; fails naming the survivors.
suite_gone() {
	for _ in $(seq 100); do
		[ -z "$(tagged "$1")" ] && return 0
		sleep 0.1
	done
	echo "$(tagged "$1" | tr '\n' ' ')"
	return 1
}

# start_suite: runs the slow suite in the background and waits until it changed the settings.
start_suite() {
	COWBENCH_TEST_TAG="$$.$1" "$CB" suite "$TMP/slow.conf" --out "$TMP/out.$1" >/dev/null 2>"$TMP/err.$1" &
	pid=$!
	holds "$pid" || return 1
	for _ in $(seq 100); do
		[ "$(selected $THP/defrag)" = "$defrag_new" ] && [ -e $JOURNAL ] && return 0
		sleep 0.1
	done
	return 1
}

for sig in INT TERM; do
	if ! start_suite "$sig"; then
		fail "sig${sig}_setup" "suite never changed the settings: $(cat "$TMP/err.$sig")"
		kill -9 "$pid" 2>/dev/null
		"$CB" restore >/dev/null 2>&1
		continue
	fi
	sleep 0.5
	kill -"$sig" "$pid"
	wait "$pid"
	if [ "$(state)" = "$before" ] && [ ! -e $JOURNAL ]; then ok "sig${sig}_restores"; else fail "sig${sig}_restores" "state '$(state)', want '$before'; journal $(ls $JOURNAL 2>&1)"; fi
	# Its last line says what it restored and where its partial results are, not a progress line.
	last=$(tail -n 1 "$TMP/err.$sig")
	if [[ $last == "cowbench: interrupted by SIG$sig: restored "*"$THP/defrag = $defrag_was"*"; partial results in $TMP/out.$sig" ]] &&
		{ [ -z "$mthp" ] || [[ $last == *"$mthp/enabled = $mthp_was"* ]]; } && [ -e "$TMP/out.$sig/results.jsonl" ]; then
		ok "sig${sig}_final_line"
	else
		fail "sig${sig}_final_line" "last line: $last"
	fi
done

if start_suite KILL; then
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	# Its forked children die with it (PR_SET_PDEATHSIG): none may live on holding the journal.
	if left=$(suite_gone "$$.KILL"); then ok sigkill_children_die; else fail sigkill_children_die "processes still alive 10 s after SIGKILL: $left"; fi
	# The test must be able to fail: the settings really are still changed now.
	if [ "$(state)" != "$before" ] && [ -e $JOURNAL ]; then ok sigkill_leaves_journal; else fail sigkill_leaves_journal "state '$(state)'"; fi
	"$ROOT/run.sh" restore >"$TMP/restore.out" 2>&1
	if [ "$(state)" = "$before" ] && [ ! -e $JOURNAL ]; then ok sigkill_run_sh_restore; else fail sigkill_run_sh_restore "state '$(state)', want '$before': $(cat "$TMP/restore.out")"; fi
	# The next run replays a stale journal by itself too.
	start_suite KILL2 && kill -KILL "$pid" && wait "$pid" 2>/dev/null
	suite_gone "$$.KILL2" >/dev/null
	"$CB" run cow_reuse --size 1M --repeat 1 >/dev/null 2>"$TMP/next.err"
	if [ "$(state)" = "$before" ] && grep -q "restored" "$TMP/next.err"; then ok next_run_replays_journal; else fail next_run_replays_journal "state '$(state)': $(cat "$TMP/next.err")"; fi
else
	fail sigkill_setup "suite never changed the settings: $(cat "$TMP/err.KILL")"
fi
# Whatever happened above, leave the machine as it was.
"$CB" restore >/dev/null 2>&1
