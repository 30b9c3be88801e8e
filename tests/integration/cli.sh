# The command line: help, usage errors (exit 2, one line), list, env.
. "$(dirname "$0")/lib.sh"

# usage_error NAME ARGS...: exit status 2 and exactly one line on stderr.
usage_error() {
	local name=$1 rc lines
	shift
	"$CB" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ]; then ok "$name"; else fail "$name" "exit $rc, $lines stderr lines: $(head -c 300 "$TMP/err")"; fi
}

usage_error bad_size run cow_child --size 12Q
usage_error repeat_zero run cow_child --repeat 0
usage_error unknown_scenario run no_such_scenario
usage_error unknown_option run cow_child --bogus 1
usage_error missing_value run cow_child --size
usage_error bad_backing run cow_child --backing nosuch
usage_error unknown_command frobnicate
usage_error suite_missing_config suite
grep -q "12Q" "$TMP/err" 2>/dev/null || true

"$CB" run cow_child --size 12Q 2>"$TMP/err"
if grep -q -- '--size 12Q' "$TMP/err"; then ok size_error_names_value; else fail size_error_names_value "$(cat "$TMP/err")"; fi

for args in "--help" "run --help" "suite --help" "list --help" "env --help" "restore --help" "overhead --help"; do
	# shellcheck disable=SC2086
	if "$CB" $args >"$TMP/out" 2>&1 && grep -q usage "$TMP/out"; then ok "help_${args// /_}"; else fail "help_${args// /_}" "$(head -3 "$TMP/out")"; fi
done

"$CB" list >"$TMP/list"
for s in fault_anon cow_child cow_parent cow_reuse cow_reuse_remote; do
	if grep -q "^$s .*backings: base" "$TMP/list"; then ok "list_$s"; else fail "list_$s" "not listed"; fi
	if [ -f "$ROOT/bench/$s.c" ]; then ok "file_named_$s"; else fail "file_named_$s" "bench/$s.c missing"; fi
done

"$CB" env >"$TMP/env.json"
expect env_kernel_release ".kernel.release == \"$(uname -r)\"" "$TMP/env.json"
expect env_fields '.schema == 1 and (.cmdline | type) == "string" and has("thp") and has("swap") and has("cgroup") and has("cpu") and has("numa") and has("timer") and has("cowbench_version") and has("compiler")' "$TMP/env.json"
