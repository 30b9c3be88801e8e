# scripts/deps.sh roles: what each installs, what ./run.sh asks for, nothing on stdout.
. "$(dirname "$0")/lib.sh"

# Stub package tools: nothing is installed, and "installing" only logs the request, so the
# missing packages stay missing and the caller stops right after asking for them.
mkdir -p "$TMP/stub"
cat >"$TMP/stub/dpkg-query" <<'SH'
#!/bin/sh
exit 1
SH
cat >"$TMP/stub/apt-get" <<SH
#!/bin/sh
echo "\$*" >>"$TMP/apt.log"
echo "apt-get chatter"
SH
chmod +x "$TMP/stub/dpkg-query" "$TMP/stub/apt-get"
run_stubbed() { : >"$TMP/apt.log"; (cd "$ROOT" && PATH="$TMP/stub:$PATH" "$@" >"$TMP/out" 2>"$TMP/err"); }
installs() { sed -n 's/^install -y --no-install-recommends //p' "$TMP/apt.log"; }
role_pkgs() { "$ROOT/scripts/deps.sh" --list "$1" | sed -n 's/^  Debian\/Ubuntu: //p' | tr '\n' ' ' | sed 's/ $//'; }

if ! is_root; then
	skip deps_roles "needs root (deps.sh asks for sudo otherwise)"
	exit 0
fi
run_pkgs=$(role_pkgs run)
# ./run.sh (the quick run) on a machine with nothing: the run role's packages, nothing else.
run_stubbed ./run.sh
rc=$?
got=$(installs)
if [ "$rc" != 0 ] && [ "$got" = "$run_pkgs" ] && ! grep -qE 'chromium|qemu|gnuplot|aarch64|ansible' <<<"$got"; then
	ok quick_run_installs_run_role_only
else
	fail quick_run_installs_run_role_only "exit $rc, asked for: $got"
fi
if [ ! -s "$TMP/out" ] && grep -q '^deps.sh: installing for run: gcc ' "$TMP/err" && grep -q 'apt-get chatter' "$TMP/err"; then
	ok deps_messages_on_stderr
else
	fail deps_messages_on_stderr "stdout: $(head -c 200 "$TMP/out")"
fi
run_stubbed ./run.sh plot /nonexistent
if [ "$(installs)" = "$run_pkgs $(role_pkgs plots)" ]; then ok plot_installs_plots; else fail plot_installs_plots "$(installs)"; fi
run_stubbed ./run.sh compare --format json /a /b
if [ "$(installs)" = "$run_pkgs" ]; then ok compare_json_no_plots; else fail compare_json_no_plots "$(installs)"; fi
run_stubbed ./run.sh compare --format html /a /b
if [ "$(installs)" = "$run_pkgs $(role_pkgs plots)" ]; then ok compare_html_installs_plots; else fail compare_html_installs_plots "$(installs)"; fi
# Each package once, in role order.
uniq_words() { tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ' | sed 's/ $//'; }
run_stubbed ./run.sh vm --kernel /nonexistent
if [ "$(installs)" = "$(echo "$run_pkgs $(role_pkgs vm)" | uniq_words)" ]; then ok vm_installs_vm; else fail vm_installs_vm "$(installs)"; fi
# Roles include others once: test = run vm plots fleet + its own.
run_stubbed scripts/deps.sh test
want=$(for r in run vm plots fleet test; do role_pkgs $r; echo " "; done | uniq_words)
if [ "$(installs)" = "$want" ]; then ok test_role_has_all; else fail test_role_has_all "$(installs) != $want"; fi
run_stubbed scripts/deps.sh nosuch
rc=$?
if [ "$rc" = 2 ] && grep -q "unknown role 'nosuch'" "$TMP/err"; then ok unknown_role; else fail unknown_role "exit $rc"; fi

# With every package present: silent, and ./run.sh compare's stdout is compare's alone.
if (cd "$ROOT" && scripts/deps.sh run >"$TMP/out" 2>&1) && [ ! -s "$TMP/out" ]; then ok deps_present_silent; else fail deps_present_silent "$(head -c 200 "$TMP/out")"; fi
(cd "$ROOT" && ./run.sh compare --format json tests/golden/a tests/golden/b >"$TMP/cmp.json" 2>"$TMP/cmp.err")
rc=$?
(cd "$ROOT" && "$CB" compare --format json tests/golden/a tests/golden/b >"$TMP/direct.json" 2>/dev/null)
if [ "$rc" = 0 ] && jq -e . "$TMP/cmp.json" >/dev/null && cmp -s "$TMP/cmp.json" "$TMP/direct.json"; then
	ok run_sh_compare_json_stdout_clean
else
	fail run_sh_compare_json_stdout_clean "exit $rc: $(head -c 200 "$TMP/cmp.json") $(head -c 200 "$TMP/cmp.err")"
fi
