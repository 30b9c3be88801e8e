# ./run.sh fleet with real Ansible over real SSH: two sshd on 127.0.0.2 and 127.0.0.3
# (scripts/fleet/loopback.sh: own host keys, a throwaway client key, nothing outside loopback).
# Both "hosts" are this machine: the playbook runs their suites one at a time.
. "$(dirname "$0")/lib.sh"

if ! command -v ansible-playbook >/dev/null; then
	skip fleet "ansible-playbook not installed (scripts/deps.sh test installs ansible-core)"
	exit 0
fi
if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then
	skip fleet "sshd not installed (scripts/deps.sh test installs openssh-server)"
	exit 0
fi
LB=$TMP/lb
trap '"$ROOT/scripts/fleet/loopback.sh" stop "$LB"; rm -rf "$TMP"' EXIT
if ! inv=$("$ROOT/scripts/fleet/loopback.sh" start "$LB" 2>"$TMP/lb.err"); then
	fail loopback_hosts "$(cat "$TMP/lb.err")"
	exit 0
fi
ok loopback_hosts
# Slow logins under load must not count as unreachable hosts.
export ANSIBLE_TIMEOUT=60
# Each host's source tree in the clone's cache (incremental builds from one test run to the
# next); loop-a builds from source, loop-b gets the controller's static binary.
# Their suites wait for another cowbench on this machine like every test's, bounded alike.
cat >>"$inv" <<INI
cowbench_dir=$ROOT/cache/fleet-test/{{ inventory_hostname }}
cowbench_wait_timeout=$COWBENCH_WAIT_TIMEOUT
INI
sed -i 's/^loop-b .*/& cowbench_sync=binary/' "$inv"
cd "$ROOT" || exit 1
res=$TMP/res
tiny=tests/configs/fleet-tiny.conf

# 1. Both hosts: two result sets, one comparison, grouped by host.
./run.sh fleet "$inv" --config $tiny --out "$res" >"$TMP/1.out" 2>"$TMP/1.err"
rc=$?
sets_a=$(ls -d "$res"/loop-a/*/*/ 2>/dev/null | wc -l)
sets_b=$(ls -d "$res"/loop-b/*/*/ 2>/dev/null | wc -l)
if [ "$rc" = 0 ] && [ "$sets_a" = 1 ] && [ "$sets_b" = 1 ]; then ok two_result_sets; else fail two_result_sets "exit $rc, sets $sets_a + $sets_b: $(grep -E '^(loop|fleet)' "$TMP/1.err" | tail -5)"; fi
rel=$(uname -r)
for h in loop-a loop-b; do
	d=$(ls -d "$res/$h/$rel"/*/ 2>/dev/null | head -1)
	if [ -n "$d" ] && [ "$(jq -r .fleet.host "$d/env.json")" = "$h" ] &&
		[ "$(jq -s 'length' "$d/results.jsonl")" -ge 3 ] &&
		jq -se 'any(.[]; .scenario == "fault_anon" and .options == "numa=remote" and .status == "skip")' "$d/results.jsonl" >/dev/null; then
		ok "result_set_$h"
	else
		fail "result_set_$h" "$d: $(head -c 300 "$d/results.jsonl" 2>/dev/null)"
	fi
done
ncmp=$(ls "$res"/fleet/*/compare.txt 2>/dev/null | wc -l)
cmpf=$(ls "$res"/fleet/*/compare.txt 2>/dev/null | head -1)
if [ "$ncmp" = 1 ] && grep -q "^  A  loop-a: $rel " "$cmpf" && grep -q "^  B  loop-b: $rel " "$cmpf" &&
	cmp -s "$cmpf" "$TMP/1.out" && [ -s "$(dirname "$cmpf")/report/report.html" ]; then
	ok one_comparison_by_host
else
	fail one_comparison_by_host "$ncmp comparisons: $(head -4 "$cmpf" 2>/dev/null)"
fi
if grep -q '^loop-a: ok; result sets: ' "$TMP/1.err" && grep -q '^loop-b: ok; result sets: ' "$TMP/1.err" &&
	grep -q '"loop-a: native suite done: ' "$TMP/1.err" && grep -q '"loop-b: dry run of .*estimated time: ' "$TMP/1.err" &&
	grep -q '^fleet: 2 of 2 host(s) ok' "$TMP/1.err"; then
	ok per_host_progress
else
	fail per_host_progress "$(grep -E '^(loop|fleet)' "$TMP/1.err" | head -5)"
fi

# 2. Hosts fail on purpose: loop-b's config has an unknown key, loop-c (127.0.0.2 again) sets an
# mTHP size this kernel does not offer (the dry run warns, the suite exits 1), and nothing
# listens on 127.0.0.4: each named with the reason, exit 1, loop-a's results kept.
unoffered=/sys/kernel/mm/transparent_hugepage/hugepages-8kB/enabled
printf 'mthp_8K = always\nsize = 1M\nrepeat = 1\nwarmup = 0\nrun = fault_anon --backing base\n' >"$TMP/unoffered.conf"
cp "$inv" "$TMP/inv2.ini"
sed -i "s|^loop-b .*|& cowbench_config=$ROOT/tests/configs/bad_key.conf|; s|^loop-a .*|&\\nloop-down ansible_host=127.0.0.4\\nloop-c ansible_host=127.0.0.2 cowbench_sync=binary cowbench_config=$TMP/unoffered.conf|" "$TMP/inv2.ini"
./run.sh fleet "$TMP/inv2.ini" --config $tiny --out "$res" >"$TMP/2.out" 2>"$TMP/2.err"
rc=$?
sets_a=$(ls -d "$res"/loop-a/*/*/ 2>/dev/null | wc -l)
if [ "$rc" = 1 ] && grep -q "^loop-b: failed: config: .*bad_key.conf:3: unknown key 'sise'" "$TMP/2.err" &&
	grep -q '^loop-down: unreachable: ' "$TMP/2.err" && grep -q '^fleet: 1 of 4 host(s) ok' "$TMP/2.err" &&
	{ [ -e $unoffered ] || grep -q '^loop-c: failed: suite exit status 1: ' "$TMP/2.err"; }; then
	ok failing_hosts_named
else
	fail failing_hosts_named "exit $rc: $(grep -E '^(loop|fleet)' "$TMP/2.err" | head -6)"
fi
if grep -q '^loop-a: ok; result sets: ' "$TMP/2.err" && [ "$sets_a" = 2 ] && [ "$(ls -d "$res"/loop-b/*/*/ | wc -l)" = 1 ]; then
	ok other_results_kept
else
	fail other_results_kept "loop-a has $sets_a sets: $(grep '^loop-a' "$TMP/2.err")"
fi

# 3. Bad input: one line, exit 2, before anything runs.
bad() {
	local name=$1 want=$2
	shift 2
	./run.sh fleet "$@" >"$TMP/b.out" 2>"$TMP/b.err"
	local rc=$? lines
	lines=$(wc -l <"$TMP/b.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -q -- "$want" "$TMP/b.err" && ! grep -q PLAY "$TMP/b.err"; then
		ok "$name"
	else
		fail "$name" "exit $rc, $lines lines: $(head -3 "$TMP/b.err")"
	fi
}
bad no_inventory "no such inventory" "$TMP/nonexistent.ini"
printf '[lab\nloop-a ansible_host=127.0.0.2\n' >"$TMP/broken.ini"
bad bad_inventory "bad inventory" "$TMP/broken.ini"
printf '[lab]\nloop-a ansible_host=127.0.0.2\nloop-b ansible_host=127.0.0.3\nloop-a ansible_host=127.0.0.3\n' >"$TMP/dup.ini"
bad duplicate_host "dup.ini:4: duplicate host loop-a" "$TMP/dup.ini"
bad unknown_host "unknown host 'loop-c'" "$inv" --limit loop-a,loop-c
bad bad_config "bad_key.conf:3: unknown key" "$inv" --config tests/configs/bad_key.conf

# 4. Kernel switching, as far as it goes without rebooting this machine: --check works out the
# grub entry of each `kernels:` release and sets and reboots nothing.
cp "$inv" "$TMP/inv3.ini"
sed -i "s|^loop-a .*|& kernels='[\"6.1.0-28-amd64\", \"6.12.9-amd64\"]' cowbench_grub_cfg=$ROOT/tests/fleet/grub.cfg|" "$TMP/inv3.ini"
./run.sh fleet "$TMP/inv3.ini" --limit loop-a --config $tiny --out "$TMP/res3" --check >"$TMP/3.out" 2>"$TMP/3.err"
rc=$?
if [ "$rc" = 0 ] &&
	grep -qF "\"loop-a: kernel 6.1.0-28-amd64: grub-reboot 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-28-amd64'\"" "$TMP/3.err" &&
	grep -qF "\"loop-a: kernel 6.12.9-amd64: grub-reboot 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.12.9-amd64'\"" "$TMP/3.err" &&
	[ "$(grep -A2 'TASK \[boot it once\]' "$TMP/3.err" | grep -c 'skipping: \[loop-a\]')" = 2 ] &&
	grep -q 'check mode: nothing was run' "$TMP/3.err" && [ -z "$(ls -A "$TMP/res3"/loop-a 2>/dev/null)" ]; then
	ok kernels_check_mode
else
	fail kernels_check_mode "exit $rc: $(grep -E 'grub-reboot|boot it once|skipping|fleet:' "$TMP/3.err" | head -8)"
fi
g=$ROOT/scripts/fleet/grub-entry.sh
if [ "$("$g" 6.1.0-28-amd64 tests/fleet/grub.cfg | tail -1)" = 6.1.0-28-amd64 ] &&
	[ "$("$g" 'Debian GNU/Linux' tests/fleet/grub.cfg | head -1)" = "Debian GNU/Linux" ] &&
	! "$g" 6.99-nosuch tests/fleet/grub.cfg 2>"$TMP/g.err" >/dev/null && grep -q "no entry for '6.99-nosuch'.*6.1.0-28-amd64" "$TMP/g.err"; then
	ok grub_entry_names
else
	fail grub_entry_names "$(cat "$TMP/g.err")"
fi

# 5. Alternating boots (rounds=2 with two `kernels:`), as far as --check goes: the grub entries in
# the order A, B, A, B, each boot skipped; a host with rounds but one kernel fails with the reason.
cp "$inv" "$TMP/inv5.ini"
sed -i "s|^loop-a .*|& rounds=2 kernels='[\"6.1.0-28-amd64\", \"6.12.9-amd64\"]' cowbench_grub_cfg=$ROOT/tests/fleet/grub.cfg|; s|^loop-b .*|& rounds=2 kernels='[\"6.1.0-28-amd64\"]' cowbench_grub_cfg=$ROOT/tests/fleet/grub.cfg|" "$TMP/inv5.ini"
./run.sh fleet "$TMP/inv5.ini" --config $tiny --out "$TMP/res5" --check >"$TMP/5.out" 2>"$TMP/5.err"
rc=$?
entry="Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux"
order=$(sed -n 's/.*"loop-a: round \([0-9]\) of 2, \([AB]\): kernel \([^:]*\): grub-reboot .*/\1\2 \3/p' "$TMP/5.err" | paste -sd,)
if [ "$order" = "1A 6.1.0-28-amd64,1B 6.12.9-amd64,2A 6.1.0-28-amd64,2B 6.12.9-amd64" ] &&
	grep -qF "\"loop-a: round 2 of 2, B: kernel 6.12.9-amd64: grub-reboot '$entry 6.12.9-amd64'\"" "$TMP/5.err" &&
	[ "$(grep -A2 'TASK \[boot it once\]' "$TMP/5.err" | grep -c 'skipping: \[loop-a\]')" = 4 ]; then
	ok rounds_boot_order_check_mode
else
	fail rounds_boot_order_check_mode "exit $rc, order '$order': $(grep -E 'round|boot it once|fleet:' "$TMP/5.err" | head -8)"
fi
if [ "$rc" = 1 ] && grep -q '^loop-b: failed: rounds: rounds=2 needs 2 or more rounds and two kernels (kernels: has 1, --kernel 0)' "$TMP/5.err" &&
	grep -q '^loop-a: ok' "$TMP/5.err"; then
	ok rounds_need_two_kernels
else
	fail rounds_need_two_kernels "exit $rc: $(grep -E '^(loop|fleet)' "$TMP/5.err" | head -4)"
fi
# What the controller compares: complete rounds in order, A sets then B sets; a round with one
# side missing left out whole (round 2 here), and said.
r=$TMP/rounds
for d in round1-A round1-B round2-A round3-A round3-B; do mkdir -p "$r/$d" && cp tests/golden/a/* "$r/$d/"; done
if [ "$(scripts/fleet/pair-rounds.sh "$r" 2>"$TMP/pr.err" | paste -sd' ')" = "$r/round1-A $r/round3-A -- $r/round1-B $r/round3-B" ] &&
	grep -q "round(s) 2 left out: a side has no result set" "$TMP/pr.err"; then
	ok rounds_paired_for_compare
else
	fail rounds_paired_for_compare "$(scripts/fleet/pair-rounds.sh "$r" 2>&1 | paste -sd' ')"
fi
