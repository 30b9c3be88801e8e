# The VM runner (./run.sh vm = scripts/vm.sh): Debian's 6.1 and 6.12 kernels under emulation with
# tests/configs/vm-tiny.conf, compared with a native run of the same config; one arm64 kernel; and
# the ways a guest run fails (a panic, a kernel that never reaches init, a missing kernel file, an
# unknown Debian version, an interrupted run): a clear error, no QEMU left, no partial result set.
. "$(dirname "$0")/lib.sh"

VM=$ROOT/scripts/vm.sh
CONF=$ROOT/tests/configs/vm-tiny.conf
OUT=$TMP/results
export COWBENCH_JOURNAL=$TMP/journal

if ! is_root; then
	skip vm "needs root (the guest runs as root; the native comparison run needs it too)"
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip vm "qemu-system-x86_64 not installed (the vm role installs it: scripts/deps.sh vm)"
	exit 0
fi

# Our QEMUs are the only processes whose command line names a cowbench-vm work directory.
qemus() { pgrep -f 'cowbench-vm\.[A-Za-z0-9]{6}/initramfs' | wc -l; }
sets() { find "$OUT" -mindepth 2 -maxdepth 2 -type d 2>/dev/null | sort; }

# vm NAME ARGS...: runs the runner, stdout in $TMP/NAME.out, stderr in $TMP/NAME.err, status in
# $TMP/NAME.rc, seconds in $TMP/NAME.secs.
vm() {
	local name=$1 start=$SECONDS rc=0
	shift
	"$VM" --config "$CONF" --out "$OUT" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	echo "$rc" >"$TMP/$name.rc"
	echo $((SECONDS - start)) >"$TMP/$name.secs"
}

# instances DIR: one record per `run =` line, each ok or skip with a reason.
check_complete() {
	local name=$1 dir=$2 want got bad
	want=$(grep -c '^run *=' "$CONF")
	got=$(jq -s 'length' "$dir/results.jsonl" 2>/dev/null)
	bad=$(jq -c 'select(.status != "ok" and (.status != "skip" or (.reason // "") == "")) |
		{scenario, backing, status, reason}' "$dir/results.jsonl" 2>/dev/null | head -3)
	if [ "$got" = "$want" ] && [ -z "$bad" ] && [ -s "$dir/env.json" ]; then
		ok "$name"
	else
		fail "$name" "$got of $want records in $dir; not ok/skip-with-reason: ${bad:-none}"
	fi
}

# outcome NAME DIR SCENARIO BACKING JQ: the filter holds for that instance's record.
outcome() {
	local name=$1 dir=$2 sc=$3 bk=$4 filter=$5 got
	got=$(jq -c --arg s "$sc" --arg b "$bk" 'select(.scenario == $s and .backing == $b) |
		{status, reason, cow}' "$dir/results.jsonl")
	if [ -n "$got" ] && [ "$(jq -r "$filter" <<<"$got" 2>/dev/null)" = true ]; then
		ok "$name"
	else
		fail "$name" "$sc/$bk: expected $filter, got ${got:-no record}"
	fi
}

# --- failures first: they are quick and must leave nothing behind -----------------------------

before=$(sets)
vm missing --kernel "$TMP/no-such-vmlinuz"
if [ "$(cat "$TMP/missing.rc")" = 2 ] && grep -q "kernel file .*no-such-vmlinuz: not found" "$TMP/missing.err"; then
	ok missing_kernel_file
else
	fail missing_kernel_file "status $(cat "$TMP/missing.rc"): $(head -c 300 "$TMP/missing.err")"
fi

vm unknown --kernel debian:9.99
if [ "$(cat "$TMP/unknown.rc")" = 2 ] && grep -q "debian:9.99: no amd64 linux-image package matches (offered: .*6\.1" "$TMP/unknown.err"; then
	ok unknown_debian_version
else
	fail unknown_debian_version "status $(cat "$TMP/unknown.rc"): $(head -c 300 "$TMP/unknown.err")"
fi

# A kernel that loops before printing anything: a multiboot image of two instructions.
cat >"$TMP/hang.S" <<'ASM'
	.text
	.globl _start
	.align 4
	.long 0x1BADB002, 0, -0x1BADB002
_start:	cli
1:	hlt
	jmp 1b
ASM
if as --32 -o "$TMP/hang.o" "$TMP/hang.S" 2>/dev/null &&
	ld -m elf_i386 -Ttext=0x100000 -e _start -o "$TMP/hang.elf" "$TMP/hang.o" 2>/dev/null; then
	vm hang --kernel "$TMP/hang.elf" --accel tcg --boot-timeout 5
	if [ "$(cat "$TMP/hang.rc")" = 1 ] && [ "$(cat "$TMP/hang.secs")" -le 60 ] &&
		grep -q "did not reach init within 5s; no result set" "$TMP/hang.err"; then
		ok never_reaches_init
	else
		fail never_reaches_init "status $(cat "$TMP/hang.rc") after $(cat "$TMP/hang.secs")s: $(tail -c 300 "$TMP/hang.err")"
	fi
else
	skip never_reaches_init "cannot assemble a 32-bit multiboot image (binutils)"
fi

# rdinit names no file: the kernel falls back to a root device it does not have and panics.
vm panic --kernel debian:6.1 --accel tcg --append rdinit=/no-such-init
if [ "$(cat "$TMP/panic.rc")" = 1 ] && [ "$(cat "$TMP/panic.secs")" -le 120 ] &&
	grep -q "panicked before init: .*Kernel panic" "$TMP/panic.err"; then
	ok kernel_panic
else
	fail kernel_panic "status $(cat "$TMP/panic.rc"): $(grep -v 'guest|' "$TMP/panic.err" | tail -c 300)"
fi

# SIGTERM while the guest runs: QEMU goes with the runner.
"$VM" --config "$CONF" --out "$OUT" --kernel debian:6.1 --accel tcg >/dev/null 2>"$TMP/term.err" &
pid=$!
for _ in $(seq 1 300); do
	grep -q "cowbench-vm: init reached" "$TMP/term.err" && break
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid"
rc=$?
sleep 0.5
if [ "$rc" = 130 ] && [ "$(qemus)" = 0 ]; then
	ok interrupted_run
else
	fail interrupted_run "status $rc, $(qemus) QEMU left: $(grep -v 'guest|' "$TMP/term.err" | tail -c 300)"
fi

if [ "$(qemus)" = 0 ] && [ "$(sets)" = "$before" ]; then
	ok failures_leave_nothing
else
	fail failures_leave_nothing "$(qemus) QEMU running; result sets now: $(sets | tr '\n' ' ')"
fi

# --- two Debian kernels under emulation, compared with this machine ---------------------------

"$CB" suite "$CONF" --out "$TMP/native" >/dev/null 2>"$TMP/native.err"
check_complete native_complete "$TMP/native"
# One command, two kernels: a run each, then their comparison; the set paths are the last lines.
vm two --kernel debian:6.1 --kernel debian:6.12 --timeout 600
tail -2 "$TMP/two.out" | head -1 >"$TMP/k6.1.out"
tail -1 "$TMP/two.out" >"$TMP/k6.12.out"
if [ "$(cat "$TMP/two.rc")" = 0 ] && grep -q "^cowbench compare: 2 result sets" "$TMP/two.out" &&
	grep -q "cow_reuse/mthp_64K/2M  A: skip: no multi-size THP" "$TMP/two.out"; then
	ok two_kernels_one_command
else
	fail two_kernels_one_command "status $(cat "$TMP/two.rc"): $(head -c 300 "$TMP/two.out") $(grep -v 'guest|' "$TMP/two.err" | tail -c 300)"
fi
for v in 6.1 6.12; do
	dir=$(cat "$TMP/k$v.out")
	if [ ! -d "$dir" ]; then
		fail "debian_$v" "no result set: $(grep -v 'guest|' "$TMP/two.err" | tail -c 400)"
		continue
	fi
	rel=$(jq -r .kernel.release "$dir/env.json")
	virt=$(jq -r .virtualized "$dir/env.json")
	if [[ $rel == "$v".* || $rel == "$v"-* ]] && [[ $virt == tcg || $virt == kvm ]] &&
		[ "$dir" = "$OUT/$rel/$(jq -r .run_id "$dir/env.json")" ] &&
		[ "$(jq -r .vm.qemu "$dir/env.json")" != null ]; then
		ok "debian_${v}_result_set"
	else
		fail "debian_${v}_result_set" "$dir: release $rel, virtualized $virt"
	fi
	check_complete "debian_${v}_complete" "$dir"
	outcome "debian_${v}_first_touch" "$dir" fault_anon base '.cow.first_touch == 512'
	outcome "debian_${v}_cow_copy" "$dir" cow_child base '.cow.copy == 512'
	outcome "debian_${v}_reuse_base" "$dir" cow_reuse base '.cow.reuse == 512'
	outcome "debian_${v}_reuse_pmd_thp" "$dir" cow_reuse thp '.cow.reuse == 1 and .cow.nofault == 511'
	outcome "debian_${v}_hyperfine" "$dir" proc_startup base '.status == "ok"'
	# Pages read back from swap, then written: 6.1 maps an exclusive swap entry read-only on a
	# read fault, so each write faults and reuses the page; 6.12 maps it writable at swap-in.
	# The child's O_DIRECT write() from the shared buffer: 6.1 takes plain references (FOLL_GET),
	# so nothing is unshared and the child's writes copy; 6.12 pins (FOLL_PIN), which unshares
	# each page first, and the writes reuse them.
	if [ "$v" = 6.1 ]; then
		outcome debian_6.1_odirect_not_unshared "$dir" pin_odirect base '.status == "ok" and .cow.copy == 512'
	else
		outcome debian_6.12_odirect_unshared "$dir" pin_odirect base '.status == "ok" and .cow.reuse == 512'
	fi
	if [ "$v" = 6.1 ]; then
		outcome debian_6.1_swapin_then_write "$dir" swapin_write swapped '.status == "ok" and .cow.reuse == 256'
	else
		outcome debian_6.12_swapin_then_write "$dir" swapin_write swapped '.status == "ok" and .cow.nofault == 256'
	fi
done
# 6.1 has no multi-size THP; 6.12 has it but copies PTE-mapped large folios (reuse came in 6.15).
set61=$(cat "$TMP/k6.1.out") set612=$(cat "$TMP/k6.12.out")
[ -d "$set61" ] && outcome debian_6.1_no_mthp "$set61" cow_reuse mthp_64K \
	'.status == "skip" and (.reason | test("multi-size"))'
[ -d "$set612" ] && outcome debian_6.12_mthp_copied "$set612" cow_reuse mthp_64K '.cow.copy == 512'

if [ -d "$set61" ] && [ -d "$set612" ] && [ -s "$TMP/native/env.json" ]; then
	"$CB" compare --format json "$TMP/native" "$set61" "$set612" >"$TMP/cmp.json" 2>"$TMP/cmp.err"
	"$CB" compare "$TMP/native" "$set61" "$set612" >"$TMP/cmp.txt" 2>>"$TMP/cmp.err"
	r61=$(jq -r .kernel.release "$set61/env.json") r612=$(jq -r .kernel.release "$set612/env.json")
	if grep -qF "$r61" "$TMP/cmp.txt" && grep -qF "$r612" "$TMP/cmp.txt" &&
		[ "$(jq '[.runs[] | select(.virtualized == "tcg" or .virtualized == "kvm")] | length' "$TMP/cmp.json")" = 2 ]; then
		ok compare_lists_both_kernels
	else
		fail compare_lists_both_kernels "$(head -c 400 "$TMP/cmp.txt") $(head -c 200 "$TMP/cmp.err")"
	fi
	if grep -qi "emulat" "$TMP/cmp.txt"; then
		ok compare_marks_emulation
	else
		fail compare_marks_emulation "no mention of emulation in: $(head -c 400 "$TMP/cmp.txt")"
	fi
	if ! command -v gnuplot >/dev/null; then
		skip plot_marks_emulation "gnuplot not installed"
	elif "$CB" plot --out "$TMP/plots" "$TMP/native" "$set612" >/dev/null 2>&1 &&
		head -1 "$TMP/plots/bars-cow_reuse.tsv" | grep -qF "$r612 (TCG emulation)"; then
		ok plot_marks_emulation
	else
		fail plot_marks_emulation "legend: $(head -1 "$TMP/plots/bars-cow_reuse.tsv" 2>&1 | head -c 300)"
	fi
else
	fail compare_lists_both_kernels "missing result sets: native $TMP/native, 6.1 '$set61', 6.12 '$set612'"
fi

# --- a kernel file with its modules tree, as a local build would be ------------------------

kfile=$(ls "$ROOT"/cache/kernels/linux-image-6.12*-amd64/root/boot/vmlinuz-* 2>/dev/null | tail -1)
if [ -n "$kfile" ]; then
	mods=$(dirname "$(dirname "$kfile")")/lib/modules/$(basename "$kfile" | sed 's/^vmlinuz-//')
	vm local --kernel "$kfile" --modules "$mods" --timeout 600
	dir=$(tail -1 "$TMP/local.out")
	if [ "$(cat "$TMP/local.rc")" = 0 ] && [ -d "$dir" ] &&
		[ "$(jq -r .vm.kernel_source "$dir/env.json")" = "file:$(basename "$kfile")" ]; then
		ok kernel_file_with_modules
		# zram and ext4 came from --modules: swap and O_DIRECT measured, not skipped.
		outcome kernel_file_swapin "$dir" swapin_write swapped '.status == "ok"'
		outcome kernel_file_odirect "$dir" pin_odirect base '.status == "ok"'
	else
		fail kernel_file_with_modules "status $(cat "$TMP/local.rc"): $(grep -v 'guest|' "$TMP/local.err" | tail -c 400)"
	fi
else
	fail kernel_file_with_modules "no Debian 6.12 kernel in $ROOT/cache/kernels"
fi

# --- arm64 --------------------------------------------------------------------------------------

if ! command -v qemu-system-aarch64 >/dev/null; then
	skip debian_arm64 "qemu-system-aarch64 not installed (scripts/deps.sh vm installs qemu-system-arm)"
else
	vm arm64 --arch arm64 --kernel debian:6.12 --timeout 900
	dir=$(tail -1 "$TMP/arm64.out")
	if [ "$(cat "$TMP/arm64.rc")" = 0 ] && [ -d "$dir" ] &&
		[ "$(jq -r .kernel.machine "$dir/env.json")" = aarch64 ]; then
		ok debian_arm64_result_set
		check_complete debian_arm64_complete "$dir"
		outcome debian_arm64_cow_copy "$dir" cow_child base '.cow.copy == 512'
		outcome debian_arm64_reuse_pmd_thp "$dir" cow_reuse thp '.cow.reuse == 1 and .cow.nofault == 511'
		outcome debian_arm64_hyperfine "$dir" proc_startup base '.status == "ok"'
	else
		fail debian_arm64_result_set "status $(cat "$TMP/arm64.rc"): $(grep -v 'guest|' "$TMP/arm64.err" | tail -c 400)"
	fi
fi

[ "$(qemus)" = 0 ] && ok no_qemu_left || fail no_qemu_left "$(qemus) QEMU processes still running"
