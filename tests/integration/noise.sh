# cowbench env --check (pyperf's system show): every check named, each warning with its fix, exit
# 0, nothing changed; compare names the noise sources a run recorded in env.json. No root, no lock.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
G=tests/golden

snap() { cat /proc/sys/kernel/randomize_va_space /proc/sys/kernel/numa_balancing 2>/dev/null; cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null; }
before=$(snap)
"$CB" env --check >"$TMP/check" 2>"$TMP/err"
rc=$?
checks=$(grep -oE '^(ok    |WARN  )[a-z_]+:' "$TMP/check" | awk '{print $2}' | sort -u | tr -d ':' | tr '\n' ' ')
want="aslr background_compaction balloon cpu_isolation damon governor hypervisor numa_balancing smt_sibling turbo "
if [ "$rc" = 0 ] && [ "$checks" = "$want" ]; then ok env_check_every_check; else fail env_check_every_check "exit $rc: $checks $(cat "$TMP/err")"; fi
warns=$(grep -c '^WARN  [a-z_]*:' "$TMP/check")
fixes=$(grep -c '^WARN      fix: ..' "$TMP/check")
# Without --cpu, the CPU a run measures on: the highest this process may use.
highest=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status | tr ',' '\n' | tail -1 | sed 's/.*-//')
if [ "$warns" = "$fixes" ] && head -1 "$TMP/check" | grep -q "^cowbench env --check: cpu$highest, $warns warning(s)$"; then
	ok env_check_fix_per_warning
else
	fail env_check_fix_per_warning "$warns warnings, $fixes fixes"
fi
# ASLR as this machine has it: the check must agree with the sysctl.
if [ "$(cat /proc/sys/kernel/randomize_va_space)" = 0 ]; then
	grep -q '^ok    aslr: kernel.randomize_va_space = 0$' "$TMP/check"
else
	grep -q '^WARN  aslr: kernel.randomize_va_space = [12]$' "$TMP/check"
fi && ok env_check_aslr_agrees || fail env_check_aslr_agrees "$(grep aslr "$TMP/check")"
if [ "$before" = "$(snap)" ]; then ok env_check_changes_nothing; else fail env_check_changes_nothing "settings changed"; fi
if "$CB" env --check --cpu 0 | head -1 | grep -q '^cowbench env --check: cpu0, '; then ok env_check_cpu_given; else fail env_check_cpu_given "$("$CB" env --check --cpu 0 | head -1)"; fi
"$CB" env --check --cpu >/dev/null 2>"$TMP/err"
if [ $? = 2 ]; then ok env_check_bad_argument; else fail env_check_bad_argument "$(cat "$TMP/err")"; fi

# A run whose env.json recorded noise: compare says so in text, markdown and HTML.
mkdir -p "$TMP/noisy"
cp $G/b/results.jsonl "$TMP/noisy/"
jq '.noise = {cpu: 0, warnings: [{check: "governor", found: "cpu0 governor powersave", fix: "cpupower frequency-set -g performance"},
	{check: "aslr", found: "kernel.randomize_va_space = 2", fix: "sysctl kernel.randomize_va_space=0"}], ok: []}' \
	$G/b/env.json >"$TMP/noisy/env.json"
"$CB" compare $G/a "$TMP/noisy" >"$TMP/n.txt" 2>"$TMP/err"
"$CB" compare --format markdown $G/a "$TMP/noisy" >"$TMP/n.md" 2>>"$TMP/err"
"$CB" compare --format html --out "$TMP/nhtml" $G/a "$TMP/noisy" 2>>"$TMP/err"
if grep -q '^Noise sources when B ran (cowbench env --check): governor, aslr.$' "$TMP/n.txt" &&
	grep -q '^Noise sources when A ran (cowbench env --check): none.$' "$TMP/n.txt" &&
	grep -q 'Noise sources when B ran (cowbench env --check): governor, aslr.' "$TMP/n.md" &&
	grep -q 'Noise sources when .*6.19.0-test.* ran (cowbench env --check): governor, aslr.' "$TMP/nhtml/report.html"; then
	ok compare_names_noise
else
	fail compare_names_noise "$(grep -i noise "$TMP/n.txt") $(cat "$TMP/err")"
fi
