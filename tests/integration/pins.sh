# Pins, references and unsharing: exact outcomes on this kernel, data integrity, and skips with
# the reason where the feature is missing (O_DIRECT on tmpfs only, io_uring refused).
. "$(dirname "$0")/lib.sh"

SCENARIOS="pin_vmsplice pin_odirect pin_iouring"
if ! is_root; then
	for s in $SCENARIOS; do skip "$s" "needs root"; done
	exit 0
fi

PS=$(getconf PAGESIZE)
kver=$(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }')
THP=/sys/kernel/mm/transparent_hugepage

# run NAME SCENARIO BACKING SIZE REPEAT: records in $TMP/NAME.jsonl. Returns 1 (after a skip
# line with the reason) when the backing was not obtained, so the outcome checks are left out.
run() {
	local name=$1 scn=$2 bk=$3 size=$4 rep=$5 status
	"$CB" run "$scn" --backing "$bk" --size "$size" --repeat "$rep" --warmup $((rep > 1)) \
		--out "$TMP/$name.jsonl" 2>"$TMP/$name.err"
	status=$(undisturbed "$TMP/$name.jsonl" | jq -rs 'first.status // "none"' 2>/dev/null)
	if [ "$bk" != base ] && [ "$status" = skip ]; then
		skip "$name" "$(jq -rs first.reason "$TMP/$name.jsonl")"
		return 1
	fi
	expect_all "${name}_ok" '.status == "ok"' "$TMP/$name.jsonl"
	[ "$status" = ok ]
}

# The backings checked: base at 4 MiB with two repetitions; thp (four PMD THPs) and one mTHP size
# once each, where this kernel has them.
cases=("base 4M 2")
if [ -r $THP/hpage_pmd_size ]; then
	cases+=("thp $((4 * $(cat $THP/hpage_pmd_size) / 1048576))M 1")
	[ -e $THP/hugepages-64kB/enabled ] && [ "$PS" = 4096 ] && cases+=("mthp_64K 8M 1")
fi

for c in "${cases[@]}"; do
	read -r bk size rep <<<"$c"
	pages=$(($(numfmt --from=iec "$size") / PS))

	# The pipes hold references: every parent write copies, and the child reads the old data.
	if run "vmsplice_$bk" pin_vmsplice "$bk" "$size" "$rep"; then
		f=$TMP/vmsplice_$bk.jsonl
		expect_all "vmsplice_${bk}_all_copied" ".cow.copy == $pages and .cow.reuse == 0 and .cow.nofault == 0" "$f"
		expect_all "vmsplice_${bk}_no_leak" '.extra.leaked_pages == 0 and .reason == null' "$f"
		expect_all "vmsplice_${bk}_latency" '.latency_ns.p50 > 0 and .latency_ns.p50 <= .latency_ns.p99' "$f"
	fi

	# A read-only pin on a shared page unshares it without a write (FAULT_FLAG_UNSHARE, 5.19);
	# the child's writes then reuse its own copies.
	if run "odirect_$bk" pin_odirect "$bk" "$size" "$rep"; then
		f=$TMP/odirect_$bk.jsonl
		if [ "$kver" -ge 5019 ]; then
			expect_all "odirect_${bk}_unshared" ".extra.unshared_pages == $pages" "$f"
			expect_all "odirect_${bk}_then_reuse" ".cow.reuse == $pages and .cow.copy == 0 and .faults.total == $pages" "$f"
		else
			skip "odirect_${bk}_unshared" "FAULT_FLAG_UNSHARE is in 5.19 and later; this is $(uname -r)"
		fi
		expect_all "odirect_${bk}_write_timed" '.extra_timed.odirect_write_ns > 0' "$f"
	fi

	# Pinned long-term before fork: copied for the child at fork, no COW fault on either side.
	if run "iouring_$bk" pin_iouring "$bk" "$size" "$rep"; then
		f=$TMP/iouring_$bk.jsonl
		expect_all "iouring_${bk}_parent_nofault" ".cow.nofault == $pages and .faults.total == 0" "$f"
		expect_all "iouring_${bk}_eager_copy" ".extra.eager_copied_pages == $pages and .extra.child_write_faults == 0" "$f"
		expect_all "iouring_${bk}_fork_timed" '.extra_timed.fork_ns > 0' "$f"
	elif [ "$bk" = base ] && jq -es 'first.status == "skip"' "$TMP/iouring_base.jsonl" >/dev/null 2>&1; then
		expect iouring_unavailable_reason '.reason | test("io_uring")' "$TMP/iouring_base.jsonl"
	fi
done

# O_DIRECT with only tmpfs around (a private mount namespace: /var/tmp and the working directory
# on tmpfs): tmpfs takes O_DIRECT but buffers it, so nothing is pinned: skip with the reason.
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount -t tmpfs cowbench-test /var/tmp && cd /var/tmp &&
		exec "$1" run pin_odirect --size 1M --repeat 1 --warmup 0 --out "$2"' sh "$CB" "$TMP/odirect_tmpfs.jsonl" \
		2>"$TMP/odirect_tmpfs.err"
	expect odirect_tmpfs_skips '.status == "skip" and (.reason | test("tmpfs"))' "$TMP/odirect_tmpfs.jsonl"
else
	skip odirect_tmpfs_skips "no private mount namespace (unshare -m)"
fi

# io_uring refused (a seccomp filter makes io_uring_setup fail with ENOSYS, as on a kernel built
# without it): skip with the reason.
cat >"$TMP/nouring.c" <<'EOF'
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 125;
	execv(argv[1], argv + 1);
	return 127;
}
EOF
if cc -o "$TMP/nouring" "$TMP/nouring.c" 2>"$TMP/nouring.err"; then
	"$TMP/nouring" "$CB" run pin_iouring --size 1M --repeat 1 --warmup 0 --out "$TMP/iouring_enosys.jsonl" \
		2>"$TMP/iouring_enosys.err"
	expect iouring_enosys_skips '.status == "skip" and (.reason | test("io_uring_setup: Function not implemented"))' \
		"$TMP/iouring_enosys.jsonl"
else
	skip iouring_enosys_skips "cannot build the seccomp helper: $(head -c 200 "$TMP/nouring.err")"
fi

# io_uring on swapped-out pages: registering the buffers swaps them in and pins them; fork then
# copies them eagerly like resident ones.
if is_root; then
	"$CB" run pin_iouring --backing swapped --size 4M --repeat 1 --warmup 0 --out "$TMP/iouring_swapped.jsonl" 2>/dev/null
	if jq -e '.status == "skip"' "$TMP/iouring_swapped.jsonl" >/dev/null; then
		skip iouring_swapped "$(jq -r .reason "$TMP/iouring_swapped.jsonl")"
	else
		expect iouring_swapped_eager_copy '.status == "ok" and .extra.eager_copied_pages == 1024 and .cow.nofault == 1024 and .faults.total == 0' "$TMP/iouring_swapped.jsonl"
	fi
fi
