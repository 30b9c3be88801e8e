# `cowbench suite`: the result directory, env.json, config errors with file:line.
. "$(dirname "$0")/lib.sh"

"$CB" suite "$ROOT/tests/configs/bad_key.conf" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "bad_key.conf:3: unknown key 'sise'" "$TMP/err"; then ok bad_config_names_line; else fail bad_config_names_line "exit $rc: $(cat "$TMP/err")"; fi

out=$TMP/res
"$CB" suite "$ROOT/tests/configs/small.conf" --out "$out" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" = 0 ]; then ok suite_exit; else fail suite_exit "exit $rc: $(tail -5 "$TMP/err")"; fi
for f in results.jsonl env.json summary.txt config.conf; do
	if [ -s "$out/$f" ]; then ok "writes_$f"; else fail "writes_$f" "missing"; fi
done
expect_all records_schema_1 '.schema == 1 and (.run_id | type) == "string" and (.status | IN("ok","skip","fail","error"))' "$out/results.jsonl"
if is_root; then
	n=$(jq -s 'length' "$out/results.jsonl")
	# 5 instances x 2 repetitions, one record each (cow_reuse_remote skips on one CPU: one record).
	want=$(( $(nproc) >= 2 ? 10 : 9 ))
	if [ "$n" = "$want" ]; then ok record_per_repetition; else fail record_per_repetition "$n records, want $want"; fi
	expect_all suite_ok 'if .scenario == "cow_reuse_remote" and .status == "skip" then true else .status == "ok" end' "$out/results.jsonl"
	expect_all suite_sizes 'if .scenario == "cow_parent" then .size == 1048576 else .size == 2097152 end' "$out/results.jsonl"
fi
expect env_json '.kernel.release == "'"$(uname -r)"'" and (.run_id | type) == "string" and (.settings_applied | type) == "object"' "$out/env.json"
if grep -q '^scenario' "$out/summary.txt" && grep -q '^cow_child' "$out/summary.txt"; then ok summary_table; else fail summary_table "$(head -3 "$out/summary.txt")"; fi
