#!/bin/busybox sh
# /init of the initramfs that scripts/vm.sh builds: mount what cowbench measures through, load the
# modules the host resolved, run the suite, send the result set back through the results port and
# power off. Every line starting "cowbench-vm:" is read by the host; keep their wording in step.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/root
# busybox mkswap has no -f; util-linux's (which lib/swap.c runs) is not in the initramfs.
rm -f /bin/mkswap
printf '#!/bin/sh\n[ "$1" = -f ] && shift\nexec /bin/busybox mkswap "$@"\n' >/bin/mkswap
chmod +x /bin/mkswap

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# Memory cgroups: v2 like a current distribution; pressure scenarios skip with a reason without.
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null &&
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null

arg() {
	for w in $(cat /proc/cmdline); do
		case $w in "$1"=*) echo "${w#*=}" && return ;; esac
	done
}

echo "cowbench-vm: init reached, kernel $(uname -r)"
if [ "$(arg cowbench.probe)" = 1 ]; then
	poweroff -f
fi
# Test hook (tests/integration/vm.sh): in this TCG mode the guest dies after init, as one hit
# by the emulator's code-patching race does; the host must run it again single-threaded.
die_in=$(arg cowbench.test_die)
if [ -n "$die_in" ] && [ "$die_in" = "$(arg cowbench.tcg_threads)" ]; then
	echo "cowbench-vm: test_die: powering off before the suite"
	poweroff -f
fi

# The host's defrag mode (enabled comes as transparent_hugepage= on the command line).
defrag=$(arg cowbench.thp_defrag)
[ -n "$defrag" ] && echo "$defrag" >/sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null

# --isolate (scripts/vm.sh): the kernel took isolcpus=domain,managed_irq and irqaffinity (init,
# and so the suite, runs on the housekeeping CPUs; no load balancing, unbound work or managed
# IRQs on the isolated ones); what the command line cannot move is moved here: kernel threads
# with an affinity of their own that spans isolated CPUs (kcompactd and kswapd take their node's
# CPUs and wake every 500 ms). Per-CPU threads stay. The host copies this line into env.json.
hk=$(arg cowbench.housekeeping)
if [ -n "$hk" ]; then
	moved=''
	for st in /proc/[0-9]*/status; do
		p=${st#/proc/}
		p=${p%/status}
		cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$st" 2>/dev/null)
		case $cpus in
		'' | "$hk") continue ;;
		*[!0-9]*) ;;       # a range or a list
		*) continue ;;     # one CPU: a per-CPU thread
		esac
		# Kernel threads only (no command line); PF_NO_SETAFFINITY ones refuse and stay.
		[ -s "/proc/$p/cmdline" ] && continue
		taskset -pc "$hk" "$p" >/dev/null 2>&1 && moved="$moved $(cat "/proc/$p/comm")"
	done
	echo "cowbench-vm: isolation: housekeeping CPUs $hk; kernel threads moved to them:${moved:- none}"
fi

while read -r m; do
	[ -n "$m" ] && { insmod "/lib/modules/$m" || echo "cowbench-vm: insmod $m failed"; }
done </cowbench/modules.list

# pin_odirect needs a block-backed file in /var/tmp: O_DIRECT on tmpfs is buffered (no pin).
# A zram device of its own (the swap scenarios take another), as ext2 through the ext4 driver;
# zram stores only what is written (zero pages as a flag), so 4G costs what a scenario uses.
mkdir -p /var/tmp
odirect_fs() {
	local id

	id=$(cat /sys/class/zram-control/hot_add) || return 1
	echo 4G >"/sys/block/zram$id/disksize" || return 1
	# zram has 4 KiB logical blocks: the 1 KiB default of mke2fs does not mount.
	mke2fs -b 4096 "/dev/zram$id" >/tmp/mke2fs.log 2>&1 || { cat /tmp/mke2fs.log; return 1; }
	mount -t ext2 "/dev/zram$id" /var/tmp || return 1
	echo "cowbench-vm: /var/tmp is ext2 on zram$id"
}
odirect_fs || echo "cowbench-vm: no block-backed /var/tmp (see above): pin_odirect will skip"

mkdir -p /out && cd /out
# The suite's machine progress lines go to the console with the rest of its stderr: the host's
# stall watchdog reads them (a wedged emulator sends nothing more).
export COWBENCH_PROGRESS=1
stall=$(arg cowbench.test_stall)
if [ -n "$stall" ] && [ "$stall" = "$(arg cowbench.tcg_threads)" ]; then
	# Test hook (tests/integration/vm.sh): in this TCG mode the guest goes silent at the suite's
	# first instance, as a wedged one does; the host's watchdog must retry it single-threaded.
	echo "cowbench-vm: test_stall: the suite stops at its first instance"
	/cowbench/cowbench suite /cowbench/config.conf 2>&1 | while read -r l; do
		echo "$l"
		case $l in "cowbench-progress start "*)
			kill -STOP $(pidof cowbench) 2>/dev/null
			while :; do sleep 3600; done ;;
		esac
	done
fi
/cowbench/cowbench suite /cowbench/config.conf
st=$?
echo "cowbench-vm: suite exit $st"

port=$(arg cowbench.port)
if [ -c "$port" ]; then
	# Raw keeps the tty from rewriting newlines; the host strips CRs anyway. Closing the port
	# waits for the UART to drain, so the end line is only there when everything before it is.
	stty -F "$port" raw -echo 2>/dev/null
	{
		echo "cowbench-vm-results-begin"
		tar -C /out/results -cf - . | gzip -1 | base64
		echo "cowbench-vm-results-end $st"
	} >"$port"
	echo "cowbench-vm: results sent"
else
	echo "cowbench-vm: no results port '$port'"
fi
sync
poweroff -f
