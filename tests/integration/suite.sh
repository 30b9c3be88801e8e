# `cowbench suite`: the result directory, env.json, config errors with file:line.
. "$(dirname "$0")/lib.sh"

"$CB" suite "$ROOT/tests/configs/bad_key.conf" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "bad_key.conf:3: unknown key 'sise'" "$TMP/err"; then ok bad_config_names_line; else fail bad_config_names_line "exit $rc: $(cat "$TMP/err")"; fi

out=$TMP/res
COWBENCH_PROGRESS=1 "$CB" suite "$ROOT/tests/configs/small.conf" --out "$out" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" = 0 ]; then ok suite_exit; else fail suite_exit "exit $rc: $(tail -5 "$TMP/err")"; fi
for f in results.jsonl env.json summary.txt config.conf; do
	if [ -s "$out/$f" ]; then ok "writes_$f"; else fail "writes_$f" "missing"; fi
done
expect_all records_schema_1 '.schema == 1 and (.run_id | type) == "string" and (.status | IN("ok","skip","fail","error"))' "$out/results.jsonl"
if is_root; then
	n=$(undisturbed "$out/results.jsonl" | jq -s 'length')
	# 5 instances x 2 repetitions, one record each (cow_reuse_remote skips on one CPU: one record);
	# disturbed repetitions add records of their own, left out here.
	want=$(( $(nproc) >= 2 ? 10 : 9 ))
	why=$(all_disturbed "$out/results.jsonl")
	if [ -n "$why" ]; then
		skip record_per_repetition "$why"
	elif [ "$n" = "$want" ]; then ok record_per_repetition; else fail record_per_repetition "$n records, want $want"; fi
	expect_all suite_ok 'if .scenario == "cow_reuse_remote" and .status == "skip" then true else .status == "ok" end' "$out/results.jsonl"
	expect_all suite_sizes 'if .scenario == "cow_parent" then .size == 1048576 else .size == 2097152 end' "$out/results.jsonl"
fi
expect env_json '.kernel.release == "'"$(uname -r)"'" and (.run_id | type) == "string" and (.settings_applied | type) == "object"' "$out/env.json"
if grep -q '^scenario' "$out/summary.txt" && grep -q '^cow_child' "$out/summary.txt"; then ok summary_table; else fail summary_table "$(head -3 "$out/summary.txt")"; fi

# Progress (not a TTY): one "[i/N] ..." line per instance when it starts, and with
# COWBENCH_PROGRESS=1 a start and an end machine line per instance. The suite interleaves
# (order = interleaved, the default): round 1 starts every instance in order, round 2 visits each
# again for its 2nd repetition ("[i/N] ... rep 2/2 ...", "cowbench-progress rep I N 2 2"), and
# each instance ends after its last repetition.
n=$(sed -n 's/^cowbench: suite .*: \([0-9]*\) instance(s) .*/\1/p' "$TMP/err")
lines=$(grep -cE '^\[[0-9]+/'"$n"'\] [a-z_0-9]+/[a-z_0-9]+/[0-9]+[KMG] \.\.\. elapsed [0-9]+:[0-5][0-9], ETA ([0-9]+:[0-5][0-9])$' "$TMP/err")
if [ -n "$n" ] && [ "$lines" = "$n" ] && grep -q "^\[$n/$n\] cow_reuse_remote/base/2M " "$TMP/err"; then ok progress_lines; else fail progress_lines "$lines lines for $n instances: $(grep -m3 '^\[' "$TMP/err")"; fi
got=$(grep '^cowbench-progress ' "$TMP/err" | awk '{print $2, $3, $4}')
starts=$(grep '^cowbench-progress start ' "$TMP/err" | awk '{print $3}' | tr '\n' ' ')
ends=$(grep '^cowbench-progress end ' "$TMP/err" | awk '{print $3}' | sort -n | tr '\n' ' ')
# An instance's end comes after its start and after every rep line of it.
order_ok=$(grep '^cowbench-progress ' "$TMP/err" | awk '$2 == "start" { s[$3] = NR } $2 == "rep" { if (!s[$3] || $5 != 2 || $6 != 2) bad = 1; r[$3] = NR }
	$2 == "end" { if (!s[$3] || (r[$3] && r[$3] > NR)) bad = 1 } END { print bad ? "no" : "yes" }')
if [ "$starts" = "$(seq -s ' ' 1 "$n") " ] && [ "$ends" = "$starts" ] && [ "$order_ok" = yes ] &&
	[ "$(grep -c '^cowbench-progress start 1 ' "$TMP/err")" = 1 ] &&
	grep -qx "cowbench-progress start 3 $n cow_parent base 1048576 2" "$TMP/err" &&
	grep -qx "cowbench-progress rep 3 $n 2 2" "$TMP/err" &&
	grep -qE "^\[3/$n\] cow_parent/base/1M rep 2/2 \.\.\. elapsed" "$TMP/err" &&
	[ "$(grep -cE '^cowbench-progress end [0-9]+ [0-9]+ (ok|skip|fail|error|disturbed)$' "$TMP/err")" = "$n" ]; then
	ok progress_machine_lines
else
	fail progress_machine_lines "$(grep '^cowbench-progress' "$TMP/err" | head -8 | tr '\n' ';')"
fi
# Interleaved: repetition 1 of every instance before any repetition 2 (a disturbed repetition is
# tried again within its visit, with the same number); env.json says the order.
if jq -s -e '[.[] | select(.status == "ok" or .status == "disturbed") | .rep] | . == sort and (index(2) // 0) >= 3' \
	"$out/results.jsonl" >/dev/null; then
	ok interleaved_rounds
else
	fail interleaved_rounds "$(jq -c '[.scenario, .rep, .status]' "$out/results.jsonl" | tr '\n' ' ')"
fi
expect env_order '.order == "interleaved"' "$out/env.json"
# order = sequential: every repetition of an instance back to back, as before.
if is_root; then
	cat >"$TMP/seq.conf" <<'CONF'
size = 1M
repeat = 2
warmup = 0
order = sequential
run = fault_anon
run = cow_parent
CONF
	COWBENCH_PROGRESS=1 "$CB" suite "$TMP/seq.conf" --out "$TMP/seq" >/dev/null 2>"$TMP/seq.err"
	got=$(undisturbed "$TMP/seq/results.jsonl" | jq -r '"\(.scenario) \(.rep)"' | tr '\n' ' ')
	if [ "$got" = "fault_anon 1 fault_anon 2 cow_parent 1 cow_parent 2 " ] && ! grep -q 'cowbench-progress rep' "$TMP/seq.err" &&
		[ "$(jq -r .order "$TMP/seq/env.json")" = sequential ]; then
		ok sequential_order
	else
		fail sequential_order "records: $got; env order $(jq -r .order "$TMP/seq/env.json" 2>&1)"
	fi
fi
printf 'run = fault_anon\norder = random\n' >"$TMP/badorder.conf"
"$CB" suite "$TMP/badorder.conf" --out "$TMP/bo" >/dev/null 2>"$TMP/bo.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "badorder.conf:2: order: bad value 'random' (want interleaved or sequential)" "$TMP/bo.err" &&
	[ ! -e "$TMP/bo" ]; then
	ok order_bad_value
else
	fail order_bad_value "exit $rc: $(cat "$TMP/bo.err")"
fi
# Without COWBENCH_PROGRESS no machine lines.
cat >"$TMP/one.conf" <<'CONF'
size = 1M
repeat = 1
warmup = 0
run = fault_anon
run = fault_anon --size 2M
CONF
"$CB" suite "$TMP/one.conf" --out "$TMP/one" >/dev/null 2>"$TMP/one.err"
if ! grep -q cowbench-progress "$TMP/one.err" && [ "$(grep -c '^\[[12]/2\] fault_anon/base/' "$TMP/one.err")" = 2 ]; then ok progress_plain; else fail progress_plain "$(head -5 "$TMP/one.err")"; fi
# On a terminal: one live line rewritten in place, the summary rows on their own lines.
if command -v script >/dev/null; then
	TERM=xterm script -qec "'$CB' suite '$TMP/one.conf' --out '$TMP/tty' 2>&1" /dev/null >"$TMP/tty.out" </dev/null
	if grep -qE $'^\\[1/2\\] fault_anon/base/1M \\.\\.\\. elapsed [0-9]+:[0-9]{2}, ETA [0-9]+:[0-9]{2}\r\e\\[Kfault_anon  *base  *1M ok' "$TMP/tty.out" &&
		! grep -qE '^\[[12]/2\].*ETA [0-9:]+\r?$' "$TMP/tty.out" &&
		[ "$(grep -c 'fault_anon  *base ' "$TMP/tty.out")" = 2 ]; then
		ok progress_tty_live_line
	else
		fail progress_tty_live_line "$(cat -v "$TMP/tty.out" | head -8)"
	fi
else
	skip progress_tty_live_line "no script(1) for a pseudo-terminal"
fi

# --dry-run: the instances and estimates, exit 0; nothing written, no journal, no settings
# touched: it works unprivileged.
cat >"$TMP/dry.conf" <<'CONF'
thp_enabled = never
size = 4M
repeat = 3
run = fault_anon --backing base
run = cow_child --backing base --size 8M
CONF
mkdir -p "$TMP/cwd"
dry() { (cd "$TMP/cwd" && COWBENCH_JOURNAL="$TMP/journal" "$@"); }
thp_before=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
dry "$CB" suite --dry-run "$TMP/dry.conf" >"$TMP/dry.out" 2>"$TMP/dry.err"
rc=$?
thp_after=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
if [ "$rc" = 0 ] && grep -qE '^ +1  fault_anon +base +4M +3 +1 +[0-9.]+s$' "$TMP/dry.out" &&
	grep -qE '^ +2  cow_child +base +8M ' "$TMP/dry.out" && grep -qE '^estimated time: [0-9]+:[0-5][0-9] ' "$TMP/dry.out"; then
	ok dry_run_lists
else
	fail dry_run_lists "exit $rc: $(cat "$TMP/dry.out" "$TMP/dry.err" | head -8)"
fi
if [ ! -e "$TMP/journal" ] && [ -z "$(ls -A "$TMP/cwd")" ] && [ "$thp_before" = "$thp_after" ]; then ok dry_run_changes_nothing; else fail dry_run_changes_nothing "journal or files left: $(ls -A "$TMP/cwd")"; fi
dry "$CB" suite "$TMP/dry.conf" --dry-run --out "$TMP/x" >/dev/null 2>"$TMP/dry2.err"
rc=$?
if [ "$rc" = 2 ] && [ ! -e "$TMP/x" ]; then ok dry_run_no_out; else fail dry_run_no_out "exit $rc"; fi
dry "$CB" suite --dry-run "$ROOT/tests/configs/bad_key.conf" >/dev/null 2>"$TMP/dry3.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "bad_key.conf:3: unknown key 'sise'" "$TMP/dry3.err"; then ok dry_run_validates; else fail dry_run_validates "exit $rc: $(cat "$TMP/dry3.err")"; fi
if is_root && command -v setpriv >/dev/null; then
	install -m 0755 -d "$TMP/bin" && install -m 0755 "$CB" "$TMP/bin/cowbench" && install -m 0644 "$TMP/dry.conf" "$TMP/bin/"
	chmod 0755 "$TMP"
	(cd "$TMP/bin" && setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all \
		./cowbench suite --dry-run dry.conf >"$TMP/dry4.out" 2>"$TMP/dry4.err")
	rc=$?
	if [ "$rc" = 0 ] && cmp -s <(tail -n +2 "$TMP/dry.out") <(tail -n +2 "$TMP/dry4.out"); then ok dry_run_unprivileged; else fail dry_run_unprivileged "exit $rc: $(head -3 "$TMP/dry4.err")"; fi
fi
