# The VM runner's stall watchdog (scripts/vm.sh wd_check) on a console log written here, no guest:
# the limit it applies after each kind of progress line. Its functions are cut out of vm.sh
# between the section's two markers and sourced.
. "$(dirname "$0")/lib.sh"

sed -n '/^# --- the stall watchdog/,/^# Whether KVM can run this guest/p' "$ROOT/scripts/vm.sh" >"$TMP/wd.sh"
if ! grep -q '^wd_check()' "$TMP/wd.sh"; then
	fail watchdog_cut "scripts/vm.sh has no wd_check between the watchdog markers"
	exit 0
fi
# shellcheck disable=SC1091
. "$TMP/wd.sh"
work=$TMP stall_timeout=100 run_threads=multi
: >"$TMP/console.log"
wd_reset tcg
# step LINE: appends a console line, a second later runs wd_check; prints "limit|where".
step() {
	[ -n "$1" ] && printf '%s\n' "$1" >>"$TMP/console.log"
	wd_tick=-1
	wd_check
	echo "$wd_limit|$wd_where"
}
got=$(step "cowbench-vm: suite started")
[[ $got == "100|after \"cowbench-vm: suite started\"" ]] && ok watchdog_init_step || fail watchdog_init_step "$got"
# 8 MiB x (2 repetitions + warm-up) under TCG: 100 + 8 x 3.
got=$(step "cowbench-progress start 2 3 cow_child base 8388608 2")
[[ $got == "124|in instance 2/3 cow_child/base/8M" ]] && ok watchdog_start_line || fail watchdog_start_line "$got"
# $(step) ran in a subshell: once more in this shell, so that wd_ilimit keeps the instance.
step "cowbench-progress start 2 3 cow_child base 8388608 2" >/dev/null
step "cowbench-progress end 2 3 ok" >/dev/null
got="$wd_limit|$wd_where"
[[ $got == "100|after \"cowbench-progress end 2 3 ok\"" ]] && ok watchdog_between_instances || fail watchdog_between_instances "$got"
# A later visit (interleaved): the instance's own limit again, not the gap's.
step "cowbench-progress rep 2 3 2 2" >/dev/null
got="$wd_limit|$wd_where"
[[ $got == "124|in instance 2/3 cow_child/base/8M rep 2/2" ]] && ok watchdog_rep_line_instance_limit || fail watchdog_rep_line_instance_limit "$got"
# A rep line for an instance it never saw start: the plain stall limit.
step "cowbench-progress rep 3 3 2 2" >/dev/null
got="$wd_limit|$wd_where"
[[ $got == "100|after \"cowbench-progress rep 3 3 2 2\"" ]] && ok watchdog_rep_line_unknown || fail watchdog_rep_line_unknown "$got"
# No new line for longer than the limit: stuck, saying where.
wd_last=$((SECONDS - 101)) wd_tick=-1
# (101 s, or 102 when SECONDS ticks between the two lines)
if ! wd_check && [[ $stall_why =~ ^"no progress for 10"[12]" s after \"cowbench-progress rep 3 3 2 2\" (limit 100 s, tcg multi-threaded)"$ ]]; then
	ok watchdog_stuck
else
	fail watchdog_stuck "$stall_why"
fi
# A new guest run forgets the instances.
wd_reset tcg
[ "${#wd_ilimit[@]}" = 0 ] && ok watchdog_reset_forgets || fail watchdog_reset_forgets "${!wd_ilimit[*]}"
