# ./run.sh vm --rounds (scripts/vm.sh): two kernels booted A, B, A, B, ... one run per boot, then
# one comparison paired by round. Debian's 6.1 is A and 6.12 is B, under TCG with a one-instance
# config; QEMU is reached through a wrapper that notes each boot's kernel (the order the runner
# really booted, not what it says) and can make one boot fail as a QEMU that cannot start does.
# One runner, --rounds 3 whose round 2 B fails: the boots still go A, B, A, B, A, B, round 2 is
# left out whole, and rounds 1 and 3 are compared paired (five real boots, about two minutes).
. "$(dirname "$0")/lib.sh"

VM=$ROOT/scripts/vm.sh
export COWBENCH_JOURNAL=$TMP/journal

# Bad usage first: exit 2 before anything is built or booted.
usage() { # NAME WANT ARGS...
	local name=$1 want=$2 rc=0
	shift 2
	"$VM" "$@" >/dev/null 2>"$TMP/$name.err" || rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$want" "$TMP/$name.err"; then
		ok "$name"
	else
		fail "$name" "status $rc: $(head -c 300 "$TMP/$name.err")"
	fi
}
usage rounds_need_two_kernels "alternates two kernels" --kernel debian:6.12 --rounds 2
usage rounds_at_least_two "rounds must be 2 or more" --kernel debian:6.1 --kernel debian:6.12 --rounds 1
mkdir -p "$TMP/used/round1-A"
usage rounds_new_root "holds rounds already" --kernel debian:6.1 --kernel debian:6.12 --rounds 2 --out "$TMP/used"

if ! is_root; then
	skip vm_rounds "needs root (the guest's modules and QEMU run as root here)"
	exit 0
fi
real=$(command -v qemu-system-x86_64) || {
	skip vm_rounds "qemu-system-x86_64 not installed (the vm role installs it: scripts/deps.sh vm)"
	exit 0
}

# The runner's work directories go under $TMP: QEMUs of other checkouts are not ours to count.
export TMPDIR=$TMP
qemus() { pgrep -f "$TMP/cowbench-vm\.[A-Za-z0-9]{6}/initramfs" | wc -l; }
mkdir -p "$TMP/bin"
cat >"$TMP/bin/qemu-system-x86_64" <<SH
#!/bin/sh
# A boot (one with -kernel) appends its kernel's file name to \$QEMU_LOG; boot number \$QEMU_FAIL
# exits at once with status 1.
for a in "\$@"; do
	case \$prev in -kernel) k=\$(basename "\$a") ;; esac
	prev=\$a
done
if [ -n "\${k:-}" ]; then
	echo "\$k" >>"\$QEMU_LOG"
	if [ "\$(wc -l <"\$QEMU_LOG")" = "\${QEMU_FAIL:-0}" ]; then
		echo "qemu-system-x86_64: injected failure" >&2
		exit 1
	fi
fi
exec $real "\$@"
SH
chmod +x "$TMP/bin/qemu-system-x86_64"

printf 'size = 2M\nrepeat = 2\nwarmup = 0\nrun = fault_anon --backing base\n' >"$TMP/one.conf"
# rounds NAME N [FAIL]: the runner into $TMP/NAME, boots noted in $TMP/NAME.boots as A or B.
rounds() {
	local name=$1 n=$2 rc=0
	PATH=$TMP/bin:$PATH QEMU_LOG=$TMP/$name.log QEMU_FAIL=${3:-0} \
		"$VM" --kernel debian:6.1 --kernel debian:6.12 --rounds "$n" --accel tcg --config "$TMP/one.conf" \
		--timeout 600 --out "$TMP/$name" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	echo "$rc" >"$TMP/$name.rc"
	sed 's/^vmlinuz-6\.1\..*/A/; s/^vmlinuz-6\.12\..*/B/' "$TMP/$name.log" 2>/dev/null | paste -sd, >"$TMP/$name.boots"
}
start=$SECONDS
# Boot 4 is round 2's B.
rounds fail 3 4
echo "vm_rounds: the runner took $((SECONDS - start)) s" >&2

# compared NAME: the runner's comparison ran and exited 0.
compared() {
	[ "$(cat "$TMP/$1.rc")" = 0 ] && [ -s "$TMP/$1/compare.txt" ]
}
# sides NAME ROUND...: each round's two sets, A on 6.1 and B on 6.12.
sides() {
	local name=$1 r a b
	shift
	for r in "$@"; do
		a=$(jq -r .kernel.release "$TMP/$name/round$r-A/env.json" 2>/dev/null)
		b=$(jq -r .kernel.release "$TMP/$name/round$r-B/env.json" 2>/dev/null)
		[[ $a == 6.1.* && $b == 6.12.* ]] || return 1
	done
}

# --- three rounds, round 2's B fails: round 2 left out whole -------------------------------------

d=$TMP/fail
want="$ROOT/build/cowbench compare --paired $d/round1-A $d/round3-A -- $d/round1-B $d/round3-B"
if [ "$(cat "$TMP/fail.boots")" = A,B,A,B,A,B ] &&
	[ "$(cut -f1,2,3 "$d/rounds.tsv" | tail -n +2 | paste -sd' ')" = "1	A	debian:6.1 1	B	debian:6.12 2	A	debian:6.1 2	B	debian:6.12 3	A	debian:6.1 3	B	debian:6.12" ]; then
	ok rounds_boot_order_abab
else
	fail rounds_boot_order_abab "boots $(cat "$TMP/fail.boots"); rounds.tsv: $(cat "$d/rounds.tsv" 2>&1) $(grep -v 'guest|' "$TMP/fail.err" | tail -c 400)"
fi
if sides fail 1 3 && [ ! -e "$d/round2-A" ] && [ -s "$d/round2-A.left-out/env.json" ] && [ ! -e "$d/round2-B" ] &&
	grep -q "^2	B	debian:6.12	.*	failed: debian:6.12: QEMU exited (status 1) before the guest reached init: qemu-system-x86_64: injected failure" "$d/rounds.tsv" &&
	grep -q "^vm: round 2 left out, both sides: debian:6.12: QEMU exited" "$TMP/fail.err"; then
	ok rounds_failed_round_left_out
else
	fail rounds_failed_round_left_out "boots $(cat "$TMP/fail.boots"); $(ls "$d" 2>&1 | paste -sd' '); rounds.tsv: $(cat "$d/rounds.tsv" 2>&1) $(grep -v 'guest|' "$TMP/fail.err" | tail -c 400)"
fi
if [ "$(cat "$d/compare.cmd" 2>/dev/null)" = "$want" ] && grep -qxF "vm: $want" "$TMP/fail.err" &&
	[ "$(tail -1 "$TMP/fail.out")" = "$d" ] &&
	grep -q '^vm: comparing 2 of 3 rounds, paired by round; left out: round 2 (B: debian:6.12: QEMU exited' "$TMP/fail.err"; then
	ok rounds_compare_says_rounds_used
else
	fail rounds_compare_says_rounds_used "compare.cmd: $(cat "$d/compare.cmd" 2>&1); $(grep '^vm: ' "$TMP/fail.err" | tail -3)"
fi
if compared fail && grep -q 'runs paired by round' "$d/compare.txt"; then
	ok rounds_compared_without_the_failed_round
else
	fail rounds_compared_without_the_failed_round "status $(cat "$TMP/fail.rc"): $(grep -v 'guest|' "$TMP/fail.err" | tail -c 300)"
fi

[ "$(qemus)" = 0 ] && ok rounds_no_qemu_left || fail rounds_no_qemu_left "$(qemus) QEMU processes still running"
