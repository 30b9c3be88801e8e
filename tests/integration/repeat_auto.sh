# repeat = auto: an instance repeats until the 95 % CI half-width of its mean ns_per_page is at
# most target_ci of the mean, or max_repeat repetitions, or max_time seconds; the last record
# says which stopped it, and the summary too. Config errors name file:line (exit 2).
. "$(dirname "$0")/lib.sh"

bad() {
	local name=$1 want=$2
	printf '%b' "$3" >"$TMP/$name.conf"
	"$CB" suite --dry-run "$TMP/$name.conf" >/dev/null 2>"$TMP/$name.err"
	local rc=$?
	if [ "$rc" = 2 ] && grep -qF "$name.conf:$want" "$TMP/$name.err"; then ok "$name"; else fail "$name" "exit $rc: $(cat "$TMP/$name.err")"; fi
}
bad conf_target_with_fixed_repeat "2: --target-ci goes with --repeat auto, not --repeat 5" 'repeat = 5\ntarget_ci = 1%\nrun = fault_anon\n'
bad conf_target_zero "2: --target_ci 0%: bad value" 'repeat = auto\ntarget_ci = 0%\nrun = fault_anon\n'
bad conf_max_repeat_small "1: --max_repeat 2: bad value (want 3 ... 100000)" 'max_repeat = 2\nrun = fault_anon\n'
bad conf_max_time_word "1: --max_time soon: bad value" 'max_time = soon\nrun = fault_anon\n'
bad conf_run_line_conflict "1: --max-time goes with --repeat auto, not --repeat 3" 'run = fault_anon --repeat 3 --max-time 5\n'
if "$CB" run fault_anon --repeat 4 --target-ci 1% >/dev/null 2>"$TMP/cli.err"; then
	fail cli_conflict "accepted --repeat 4 --target-ci 1%"
elif grep -q 'target-ci goes with --repeat auto' "$TMP/cli.err"; then ok cli_conflict; else fail cli_conflict "$(cat "$TMP/cli.err")"; fi

if ! is_root; then
	skip auto_stops "needs root (suites measure nothing without it)"
	exit 0
fi
# Three instances, one per way to stop. A target no real timing meets stops at max_repeat; a
# limit of 1 ms stops after the first repetition; a target of 99 % stops by the CI, at the first
# repetition (from the 3rd) whose CI is within it: the records' ci lets the rule be checked.
cat >"$TMP/auto.conf" <<'CONF'
size = 1M
warmup = 0
repeat = auto
max_time = 120
run = fault_anon --target-ci 0.0001% --max-repeat 4
run = cow_parent --max-time 0.001
run = fault_anon --size 2M --target-ci 99%
CONF
"$CB" suite "$TMP/auto.conf" --out "$TMP/auto" >/dev/null 2>"$TMP/auto.err"
rc=$?
if [ "$rc" != 0 ]; then
	fail auto_suite "exit $rc: $(tail -3 "$TMP/auto.err")"
	exit 0
fi
r=$TMP/auto/results.jsonl
ok_recs() { jq -c --arg s "$1" --arg z "$2" 'select(.scenario == $s and .size_h == $z and .status == "ok")' "$r"; }
got=$(ok_recs fault_anon 1M | jq -s -c '[length, (map(.repeat_auto.stopped_by)), .[-1].repeat_auto.max_repeat]')
if [ "$got" = '[4,[null,null,null,"max_repeat"],4]' ]; then ok stops_at_max_repeat; else fail stops_at_max_repeat "$got"; fi
got=$(ok_recs cow_parent 1M | jq -s -c '[length, .[-1].repeat_auto.stopped_by]')
if [ "$got" = '[1,"max_time"]' ]; then ok stops_at_max_time; else fail stops_at_max_time "$got"; fi
# Stopped by the target at the first repetition n >= 3 whose ci <= 0.99; none before it.
got=$(ok_recs fault_anon 2M | jq -s -c '. as $a | [length, .[-1].repeat_auto.stopped_by,
	(.[-1].repeat_auto.ci <= 0.99), ([$a[2:-1][] | .repeat_auto.ci <= 0.99] | any), (length >= 3 and length < 30)]')
if [ "$got" = '[3,"target_ci",true,false,true]' ] || jq -e '.[1] == "target_ci" and .[2] and (.[3] | not) and .[4]' <<<"$got" >/dev/null; then
	ok stops_at_target_ci
else
	fail stops_at_target_ci "$got: $(ok_recs fault_anon 2M | jq -c '[.rep, .ns_per_page, .repeat_auto.ci]' | tr '\n' ' ')"
fi
if grep -q '^  repeat auto: stopped by max_repeat after 4 repetition(s); 95% CI of the mean ns/page ±' "$TMP/auto/summary.txt" &&
	grep -q '^  repeat auto: stopped by max_time after 1 repetition(s)' "$TMP/auto/summary.txt"; then
	ok summary_says_stop
else
	fail summary_says_stop "$(grep -A1 '^fault_anon\|^cow_parent' "$TMP/auto/summary.txt" | head -8)"
fi
expect env_repeat_auto '.repeat_auto.max_time_s == 120 and .repeat_auto.max_repeat == 30 and .repeat_auto.target_ci == 0.01' "$TMP/auto/env.json"
