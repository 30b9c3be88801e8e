#!/usr/bin/env bash
# Boots a kernel in QEMU, runs a cowbench config inside it and brings the result set back to
# results/<guest release>/<run id>/, so kernels compare without rebooting the host.
# Called by `./run.sh vm`; see usage() and docs/vms.md ("Other kernels in a VM").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${COWBENCH_CACHE:-$root/cache}
B=${B:-build}

usage() {
	cat <<'TXT'
usage: ./run.sh vm --kernel KERNEL | --kernel-tree DIR [more of either ...] [--modules DIR]
                   [--config FILE] [--numa-nodes N]
                   [--mem 2G] [--cpus 2] [--accel auto|kvm|tcg] [--arch x86_64|arm64]
                   [--boot-timeout S] [--timeout S] [--append ARGS] [--out DIR]
                   [--tcg-threads single|multi] [--stall-timeout S] [--isolate CPUS]
                   [--rounds N]
  KERNEL      a bzImage, vmlinuz or vmlinux file, or debian:<version prefix> (debian:6.1,
              debian:6.12): the newest matching Debian linux-image package, downloaded into
              cache/kernels/ with its modules. Several --kernel: one run each, then a comparison
              (--rounds: two kernels alternately, below).
  --kernel-tree DIR  a built kernel source tree: boots arch/x86/boot/bzImage (arm64:
              arch/arm64/boot/Image; x86 boots the tree's vmlinux when it has a PVH entry),
              installs the tree's modules into a temporary directory (make modules_install
              INSTALL_MOD_PATH=...) when it has any, and puts its .config into env.json.
              Kernel files and trees (local builds) get result sets named <release>@<build id>
              (the image's short hash): a patched and an unpatched build of one release differ.
  --modules   the modules tree of a local kernel (INSTALL_MOD_PATH or lib/modules/<release>);
              without it, what the config needs (zram) must be built in
  --config    suite run in the guest (default configs/quick.conf)
  --cpus N    guest CPUs (default 2; more than the host has is fine under TCG)
  --numa-nodes N  guest NUMA nodes (default 1): memory split evenly, CPUs in contiguous blocks
              (a node without CPUs when there are fewer CPUs than nodes)
  --accel     auto tries KVM with a short boot probe and falls back to TCG emulation
  --boot-timeout  seconds for the guest to reach init (default 120; arm64 TCG 240)
  --timeout   hard limit for a whole guest run in seconds (default 3600)
  --append    extra kernel command-line arguments
  --tcg-threads  single (default: one host thread runs every vCPU; no cross-vCPU races in the
              emulator) or multi (a host thread per vCPU: in 20 vm-tiny runs here one guest
              died of the emulator's code-patching race, and single was as fast on 2 host CPUs)
  --stall-timeout  seconds without progress from the guest (an instance's start, later visit or
              end, an init step) before it counts as stuck (default 120); an instance's limit adds its
              size x (repetitions + 1) at 1 s per MiB under TCG (0.1 s under KVM). A stuck guest
              is killed and that kernel run once more under single-threaded TCG (env.json:
              vm.retried, vm.retry_reason), as is one that died after init under multi-threaded
              TCG. COWBENCH_VM_WATCHDOG=off: neither, only --timeout (tests/vm/thread-modes.sh).
  --isolate CPUS  keep the guest's housekeeping off CPUS (a list like 1-3; at least one CPU
              stays): isolcpus=domain,managed_irq,CPUS, irqaffinity and the soft-lockup watchdog on
              the others, and the guest's init moves kernel threads that span CPUS (kcompactd,
              kswapd) onto the others. init and the suite then run on the others (the measured
              CPU is the highest of them); tlb_* siblings are pinned onto CPUS and stay there.
              Recorded in env.json (vm.isolation) and the guest's cmdline. For tlb_* --siblings
              under TCG: see docs/vms.md ("Machine shapes this host lacks").
  --rounds N  with two kernels A and B: boot A, B, A, B, ... (N rounds, N >= 2), one run per
              boot, into OUT/round<r>-A/ and OUT/round<r>-B/ (OUT: --out, default
              results/rounds-<UTC time>; it must hold no rounds yet), the boot order in
              OUT/rounds.tsv; then `cowbench compare --paired A1 .. An -- B1 .. Bn`, printed,
              run, its command in OUT/compare.cmd and its output in OUT/compare.txt. A run that
              fails (after the retries above) leaves its round out whole: its other side is not
              booted (A failed) or its A set renamed round<r>-A.left-out (B failed).
  --out       results root (default results)
Timings under TCG are emulated; copy/reuse/fault counts, folio sizes and flush counts are the
guest kernel's own. `cowbench compare` marks emulated result sets.
TXT
}

die() {
	echo "vm: $*" >&2
	exit 1
}

usage_die() {
	echo "vm: $*" >&2
	echo "vm: see ./run.sh vm --help" >&2
	exit 2
}

kernels=() modules='' config=configs/quick.conf mem=2G cpus=2 accel=auto arch='' numa_nodes=1
boot_timeout='' timeout=3600 append='' out='' tcg_threads=single stall_timeout=120 isolate='' rounds=''

while (($#)); do
	case $1 in
	-h | --help) usage && exit 0 ;;
	--kernel | --kernel-tree | --modules | --config | --mem | --cpus | --accel | --arch | --boot-timeout | \
		--timeout | --append | --out | --tcg-threads | --stall-timeout | --numa-nodes | --isolate | --rounds)
		(($# >= 2)) || usage_die "$1 needs a value"
		case $1 in
		--kernel) kernels+=("$2") ;;
		--kernel-tree) kernels+=("tree:$2") ;;
		--modules) modules=$2 ;;
		--config) config=$2 ;;
		--mem) mem=$2 ;;
		--cpus) cpus=$2 ;;
		--accel) accel=$2 ;;
		--arch) arch=$2 ;;
		--boot-timeout) boot_timeout=$2 ;;
		--timeout) timeout=$2 ;;
		--append) append=$2 ;;
		--out) out=$2 ;;
		--tcg-threads) tcg_threads=$2 ;;
		--stall-timeout) stall_timeout=$2 ;;
		--numa-nodes) numa_nodes=$2 ;;
		--isolate) isolate=$2 ;;
		--rounds) rounds=$2 ;;
		esac
		shift 2
		;;
	*) usage_die "unexpected argument '$1'" ;;
	esac
done

((${#kernels[@]})) || usage_die "which kernel? (--kernel PATH, --kernel debian:6.12 or --kernel-tree DIR)"
[[ -r $config ]] || usage_die "no config $config"
[[ $accel =~ ^(auto|kvm|tcg)$ ]] || usage_die "--accel must be auto, kvm or tcg"
[[ $tcg_threads =~ ^(single|multi)$ ]] || usage_die "--tcg-threads must be single or multi"
[[ $mem =~ ^[0-9]+[MG]?$ ]] || usage_die "--mem must look like 2G or 1536M"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || usage_die "--cpus must be a positive number"
[[ $numa_nodes =~ ^[1-9][0-9]*$ ]] || usage_die "--numa-nodes must be a positive number"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || usage_die "--timeout must be seconds"
[[ $stall_timeout =~ ^[1-9][0-9]*$ ]] || usage_die "--stall-timeout must be seconds"
[[ -z $boot_timeout || $boot_timeout =~ ^[1-9][0-9]*$ ]] || usage_die "--boot-timeout must be seconds"
((${#kernels[@]} == 1)) || [[ -z $modules ]] || usage_die "--modules applies to a single --kernel"
# --rounds: a result root of its own, holding no rounds yet (a round's order is its name).
if [[ -n $rounds ]]; then
	if ! [[ $rounds =~ ^[1-9][0-9]*$ ]] || ((rounds < 2)); then
		usage_die "--rounds must be 2 or more (one round gives each side one run: no run-level error)"
	fi
	((${#kernels[@]} == 2)) || usage_die "--rounds alternates two kernels: give --kernel (or --kernel-tree) twice"
	out=${out:-results/rounds-$(date -u +%Y%m%d-%H%M%S)}
	if [[ -e $out/rounds.tsv ]] || compgen -G "$out/round[0-9]*" >/dev/null; then
		usage_die "--out $out holds rounds already: give a new directory"
	fi
fi
out=${out:-results}

# --isolate: the CPU list, checked, and the housekeeping CPUs (the rest) as a list.
isolation_args='' housekeeping=''
if [[ -n $isolate ]]; then
	[[ $isolate =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || usage_die "--isolate $isolate: want a CPU list like 1-3 or 1,3"
	declare -A iso=()
	IFS=, read -ra parts <<<"$isolate"
	for p in "${parts[@]}"; do
		lo=${p%-*} hi=${p#*-}
		((10#$lo <= 10#$hi)) || usage_die "--isolate $isolate: $p runs backwards"
		((10#$hi < cpus)) || usage_die "--isolate $isolate: CPUs 0-$((cpus - 1)) only (--cpus $cpus)"
		lo=$((10#$lo)) hi=$((10#$hi))
		for ((c = lo; c <= hi; c++)); do iso[$c]=1; done
	done
	for ((c = 0; c < cpus; c++)); do
		[[ -n ${iso[$c]:-} ]] || housekeeping+=${housekeeping:+,}$c
	done
	[[ -n $housekeeping ]] || usage_die "--isolate $isolate: leaves no CPU for the guest's housekeeping (--cpus $cpus)"
	isolation_args="isolcpus=domain,managed_irq,$isolate rcu_nocbs=$isolate irqaffinity=$housekeeping sysctl.kernel.watchdog_cpumask=$housekeeping"
fi

# QEMU's -numa options: memory split evenly across the nodes, CPUs in contiguous blocks.
numa_args=()
if ((numa_nodes > 1)); then
	case $mem in
	*G) mem_mib=$((${mem%G} * 1024)) ;;
	*M) mem_mib=${mem%M} ;;
	*) mem_mib=$((mem / 1048576)) ;;
	esac
	((mem_mib % numa_nodes == 0 && mem_mib / numa_nodes >= 128)) ||
		usage_die "--numa-nodes $numa_nodes: --mem $mem must split into equal nodes of at least 128M"
	first=0
	for ((n = 0; n < numa_nodes; n++)); do
		# The first cpus % nodes nodes take one CPU more.
		count=$((cpus / numa_nodes + (n < cpus % numa_nodes ? 1 : 0)))
		numa_args+=(-object "memory-backend-ram,id=mem$n,size=$((mem_mib / numa_nodes))M")
		if ((count > 0)); then
			numa_args+=(-numa "node,nodeid=$n,memdev=mem$n,cpus=$first-$((first + count - 1))")
		else
			numa_args+=(-numa "node,nodeid=$n,memdev=mem$n")
		fi
		first=$((first + count))
	done
fi

host_arch=$(uname -m)
[[ $host_arch == aarch64 ]] && host_arch=arm64
arch=${arch:-$host_arch}
case $arch in
x86_64)
	deb_arch=amd64 triplet=x86_64-linux-gnu qemu=qemu-system-x86_64 console=ttyS0 port=/dev/ttyS1
	# The second UART needs no module: the result port works for a kernel built without any.
	machine=(-machine pc -vga none)
	port_args() { echo "-serial file:$1"; }
	transport_modules=()
	;;
arm64 | aarch64)
	arch=arm64 deb_arch=arm64 triplet=aarch64-linux-gnu qemu=qemu-system-aarch64 console=ttyAMA0
	port=/dev/hvc0
	# virt has one UART in QEMU 7.2: the results travel over a virtio console instead.
	machine=(-machine virt)
	port_args() { echo "-device virtio-serial-pci -chardev file,id=res,path=$1 -device virtconsole,chardev=res"; }
	transport_modules=(virtio_pci virtio_console)
	;;
*) usage_die "--arch must be x86_64 or arm64" ;;
esac
[[ -n $boot_timeout ]] || { [[ $arch == "$host_arch" ]] && boot_timeout=120 || boot_timeout=240; }
if [[ $accel == kvm ]]; then
	[[ $arch == "$host_arch" ]] || usage_die "--accel kvm: a $arch guest on a $host_arch host needs TCG"
	[[ -r /dev/kvm && -w /dev/kvm ]] || usage_die "--accel kvm: no usable /dev/kvm (--accel auto falls back to TCG)"
fi
command -v "$qemu" >/dev/null || die "$qemu not found (Debian: qemu-system-x86 / qemu-system-arm; ./run.sh vm installs them: scripts/deps.sh vm)"
qemu_version=$("$qemu" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')

# --- kernels ---------------------------------------------------------------------------------

# The ELF inside a bzImage: QEMU boots it through its PVH entry, seconds faster under TCG than
# the real-mode decompressor. Prints nothing when there is none or it lacks the PVH note.
extract_vmlinux() {
	local img=$1 dst=$2 off magic tool

	for magic in '\xfd\x37\x7a\x58\x5a\x00:xz' '\x1f\x8b\x08:gzip' '\x28\xb5\x2f\xfd:zstd'; do
		tool=${magic##*:}
		command -v "$tool" >/dev/null || continue
		off=$(LC_ALL=C grep -obUaP "${magic%:*}" "$img" | head -1 | cut -d: -f1) || true
		[[ -n $off ]] || continue
		tail -c +$((off + 1)) "$img" | "$tool" -dc 2>/dev/null >"$dst.tmp" || true
		if [[ $(head -c 4 "$dst.tmp" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] &&
			readelf -n "$dst.tmp" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
			mv "$dst.tmp" "$dst" && echo "$dst"
			return
		fi
	done
	rm -f "$dst.tmp"
}

# Downloads packages $2... of the guest's arch and unpacks them all into $1/root (replaced).
unpack_debs() {
	local dir=$1 deb
	shift

	echo "vm: fetching $* ($deb_arch) into $dir" >&2
	rm -rf "$dir" && mkdir -p "$dir/deb" || return 1
	"$root/scripts/apt-arch.sh" "$deb_arch" download "$dir/deb" "$@" >/dev/null || return 1
	for deb in "$dir"/deb/*.deb; do
		dpkg-deb -x "$deb" "$dir/root" || return 1
	done
	rm -rf "$dir/deb"
}

# debian:<prefix> -> sets kimage, kmoddir (the tree holding lib/modules/<rel>), krel, ksource.
resolve_debian() {
	local prefix=$1 re pkg dir

	[[ $prefix =~ ^[0-9]+(\.[0-9]+)*$ ]] || usage_die "debian:$prefix: want a version prefix like debian:6.12"
	re="^linux-image-${prefix//./\\.}([.+-]|\$)"
	pkg=$("$root/scripts/apt-arch.sh" "$deb_arch" search "$re" |
		grep -E -- "-$deb_arch\$" | grep -v -E -- '-(rt|cloud|dbg)-' | sort -V | tail -1) || true
	if [[ -z $pkg ]]; then
		local have
		have=$("$root/scripts/apt-arch.sh" "$deb_arch" search '^linux-image-[0-9]' 2>/dev/null |
			sed -n 's/^linux-image-\([0-9]*\.[0-9]*\).*/\1/p' | sort -uV | paste -sd ' ') || true
		usage_die "debian:$prefix: no $deb_arch linux-image package matches (offered: ${have:-none})"
	fi
	dir=$cache/kernels/$pkg
	if [[ ! -e $dir/.ready ]]; then
		unpack_debs "$dir" "$pkg" || die "debian:$prefix: cannot download and unpack $pkg"
		krel=$(ls "$dir/root/lib/modules" 2>/dev/null | head -1)
		[[ -n $krel ]] || die "$pkg has no lib/modules/<release>"
		depmod -b "$dir/root" "$krel" || die "depmod for $pkg failed"
		touch "$dir/.ready"
	fi
	krel=$(ls "$dir/root/lib/modules" | head -1)
	kimage=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | head -1)
	[[ -n $kimage ]] || die "$pkg has no /boot/vmlinuz-*"
	kmoddir=$dir/root ksource=debian:$pkg kconfig=$dir/root/boot/config-$krel
}

# tree:<dir> -> a built kernel tree: its image, release, .config and (installed here) modules.
resolve_tree() {
	local dir=$1 img vmlinux

	[[ -d $dir ]] || usage_die "--kernel-tree $dir: no such directory"
	dir=$(realpath "$dir")
	[[ -f $dir/Makefile && -f $dir/.config ]] || usage_die "--kernel-tree $dir: not a configured kernel tree (no Makefile and .config)"
	case $arch in
	x86_64) img=$dir/arch/x86/boot/bzImage ;;
	arm64) img=$dir/arch/arm64/boot/Image ;;
	esac
	if [[ ! -f $img ]]; then
		[[ $arch == x86_64 && -f $dir/arch/arm64/boot/Image ]] &&
			usage_die "--kernel-tree $dir: an arm64 build (arch/arm64/boot/Image): add --arch arm64"
		usage_die "--kernel-tree $dir: no ${img#"$dir"/} (build it: make -C $dir)"
	fi
	krel=$(cat "$dir/include/config/kernel.release" 2>/dev/null) ||
		krel=$(make -s -C "$dir" ARCH="${arch/x86_64/x86}" kernelrelease 2>/dev/null) || true
	[[ -n $krel ]] || die "--kernel-tree $dir: cannot tell its release (include/config/kernel.release)"
	kimage=$img kconfig=$dir/.config ksource=tree:$dir
	vmlinux=$dir/vmlinux
	# The tree's own ELF: no extraction, and the PVH entry boots faster under TCG.
	if [[ $arch == x86_64 && -f $vmlinux ]] && readelf -n "$vmlinux" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
		kvmlinux=$vmlinux
	fi
	if grep -q '^CONFIG_MODULES=y' "$dir/.config"; then
		kmoddir=$(mktemp -d "${TMPDIR:-/tmp}/cowbench-vm-modules.XXXXXX")
		mod_dirs+=("$kmoddir")
		echo "vm: installing the modules of $dir into $kmoddir" >&2
		# ARCH: a cross-built tree (arm64 on x86) is not the host's arch; without it kbuild
		# would take the host's and refuse or reconfigure the tree.
		make -s -C "$dir" ARCH="${arch/x86_64/x86}" modules_install INSTALL_MOD_PATH="$kmoddir" INSTALL_MOD_STRIP=1 \
			>"$kmoddir/.install.log" 2>&1 ||
			die "--kernel-tree $dir: make modules_install failed: $(tail -3 "$kmoddir/.install.log" | tr '\n' ' ')"
		[[ -e $kmoddir/lib/modules/$krel/modules.dep ]] || depmod -b "$kmoddir" "$krel" ||
			die "--kernel-tree $dir: depmod failed"
	fi
}

resolve_kernel() {
	local spec=$1

	kimage='' kmoddir='' krel='' ksource='' kconfig='' kvmlinux=''
	if [[ $spec == debian:* ]]; then
		resolve_debian "${spec#debian:}"
	elif [[ $spec == tree:* ]]; then
		resolve_tree "${spec#tree:}"
	else
		[[ -f $spec && -r $spec ]] || usage_die "kernel file $spec: not found"
		kimage=$(realpath "$spec") ksource=file:$(basename "$spec")
		if [[ -n $modules ]]; then
			[[ -d $modules ]] || usage_die "--modules $modules: no such directory"
			if [[ -d $modules/lib/modules ]]; then
				kmoddir=$(realpath "$modules") krel=$(ls "$modules/lib/modules" | head -1)
			elif [[ -e $modules/modules.order || -e $modules/modules.dep ]]; then
				# lib/modules/<release> itself: modprobe wants the tree above lib/.
				krel=$(basename "$(realpath "$modules")")
				kmoddir=$(realpath "$modules/../../..")
			else
				usage_die "--modules $modules: neither lib/modules/<release> nor a release directory"
			fi
			[[ -e $kmoddir/lib/modules/$krel/modules.dep ]] ||
				usage_die "--modules: $kmoddir/lib/modules/$krel has no modules.dep (run depmod -b)"
			# An INSTALL_PATH beside INSTALL_MOD_PATH leaves the config in boot/.
			[[ -r $kmoddir/boot/config-$krel ]] && kconfig=$kmoddir/boot/config-$krel
		fi
	fi
	if [[ -n $kvmlinux ]]; then
		kboot=$kvmlinux
	elif [[ $arch == x86_64 && $(head -c 4 "$kimage" | od -An -tx1 | tr -d ' ') != 7f454c46 ]]; then
		local elf=$cache/vmlinux/$(basename "$kimage")-$(stat -c %s-%Y "$kimage")
		if [[ ! -e $elf && ! -e $elf.none ]]; then
			mkdir -p "$cache/vmlinux"
			[[ -n $(extract_vmlinux "$kimage" "$elf") ]] || touch "$elf.none"
		fi
		[[ -e $elf ]] && kboot=$elf || kboot=$kimage
	else
		kboot=$kimage
	fi
}

# A static busybox of the guest's arch: the host's for the host's arch, else Debian's
# busybox-static of that arch unpacked into the cache.
guest_busybox() {
	local dir=$cache/busybox-$deb_arch bb

	bb=$(command -v busybox || true)
	if [[ $deb_arch == "$(dpkg --print-architecture 2>/dev/null)" && -n $bb ]] &&
		file -L "$bb" | grep -q 'statically linked'; then
		echo "$bb"
		return
	fi
	if [[ ! -x $dir/root/bin/busybox ]]; then
		unpack_debs "$dir" busybox-static ||
			die "cannot get busybox-static for $deb_arch (apt-get download busybox-static:$deb_arch)"
	fi
	[[ -x $dir/root/bin/busybox ]] || die "busybox-static for $deb_arch has no bin/busybox"
	echo "$dir/root/bin/busybox"
}

# hyperfine for the proc_* scenarios: a dynamic binary, so it goes in with its loader and the
# libraries it names. The host's own for the host's arch; else Debian's hyperfine, libc6 and
# libgcc-s1 of that arch unpacked into the cache. Prints the root to take them from, or nothing
# (the proc_* scenarios then skip: "hyperfine not installed").
guest_hyperfine_root() {
	local dir=$cache/hyperfine-$deb_arch hf

	if [[ $deb_arch == "$(dpkg --print-architecture 2>/dev/null)" ]]; then
		hf=$(command -v hyperfine || true)
		[[ -n $hf ]] && echo /
		return 0
	fi
	if [[ ! -x $dir/root/usr/bin/hyperfine ]]; then
		unpack_debs "$dir" hyperfine libc6 libgcc-s1 || true
	fi
	if [[ -x $dir/root/usr/bin/hyperfine ]]; then
		echo "$dir/root"
	else
		echo "vm: no hyperfine for $deb_arch: the proc_* scenarios will skip" >&2
	fi
	return 0
}

# Copies hyperfine from root $1 into the initramfs $2 with its loader and libraries.
add_hyperfine() {
	local from=$1 to=$2 hf interp lib f d

	hf=$from/usr/bin/hyperfine
	[[ $from == / ]] && hf=$(command -v hyperfine)
	interp=$(readelf -l "$hf" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
	for f in "$interp" $(readelf -d "$hf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[[ $f == /* ]] && lib=$from$f || lib=''
		for d in lib usr/lib lib64; do
			[[ -n $lib && -e $lib ]] && break
			lib=$(find "$from/$d" -maxdepth 2 -name "$f" 2>/dev/null | head -1)
		done
		[[ -n $lib && -e $lib ]] || return 1
		if [[ $f == /* ]]; then
			mkdir -p "$to$(dirname "$f")" && cp -L "$lib" "$to$f"
		else
			mkdir -p "$to/lib/$triplet" && cp -L "$lib" "$to/lib/$triplet/$f"
		fi
	done
	mkdir -p "$to/usr/bin" && cp "$hf" "$to/usr/bin/hyperfine"
}

# --- initramfs -------------------------------------------------------------------------------

# Prints the .ko files (dependencies first) of the modules that exist among $@, skipping built-ins.
module_files() {
	local m

	for m in "$@"; do
		modprobe -d "$kmoddir" -S "$krel" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++'
}

build_initramfs() {
	local dir=$1/initramfs ko name n=0

	rm -rf "$dir"
	mkdir -p "$dir"/{bin,dev,proc,sys,tmp,run,root,boot,lib/modules,cowbench}
	cp "$busybox" "$dir/bin/busybox"
	cp "$root/scripts/vm-init.sh" "$dir/init"
	chmod 755 "$dir/init"
	cp "$static_bin" "$dir/cowbench/cowbench"
	cp "$config" "$dir/cowbench/config.conf"
	[[ -n $kconfig && -r $kconfig ]] && cp "$kconfig" "$dir/boot/config-$krel"
	if [[ -n $hyperfine_root ]] && ! add_hyperfine "$hyperfine_root" "$dir"; then
		echo "vm: hyperfine's libraries not found: the proc_* scenarios will skip" >&2
		rm -f "$dir/usr/bin/hyperfine"
	fi
	: >"$dir/cowbench/modules.list"
	if [[ -n $kmoddir ]]; then
		# zram, the compressors it may be asked for, ext4 for /var/tmp on zram (pin_odirect),
		# and the results port's transport.
		while read -r ko; do
			[[ -n $ko ]] || continue
			n=$((n + 1))
			name=$(printf '%02d-%s' "$n" "$(basename "${ko%%.ko*}").ko")
			# Decompressed on the host: the guest's insmod then needs no decompressor.
			case $ko in
			*.ko.xz) xz -dc "$ko" >"$dir/lib/modules/$name" ;;
			*.ko.zst) zstd -qdc "$ko" >"$dir/lib/modules/$name" ;;
			*.ko.gz) gzip -dc "$ko" >"$dir/lib/modules/$name" ;;
			*) cp "$ko" "$dir/lib/modules/$name" ;;
			esac
			echo "$name" >>"$dir/cowbench/modules.list"
		done < <(module_files zram crypto-lzo-rle crypto-lzo crypto-lz4 crypto-zstd ext4 \
			"${transport_modules[@]}")
	fi
	# Uncompressed: the guest unpacks it faster under emulation than it would inflate it.
	(cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$1/initramfs.cpio"
}

# --- QEMU ------------------------------------------------------------------------------------

qpid=''
kill_qemu() {
	[[ -n $qpid ]] || return 0
	kill -TERM -- "-$qpid" 2>/dev/null || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL -- "-$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=''
}

work='' mod_dirs=()
cleanup() {
	local d

	# Under set -e an "a && b" whose b fails ends the shell: every step here must not fail.
	kill_qemu
	if [[ -n $work ]]; then rm -rf "$work" || true; fi
	for d in "${mod_dirs[@]}"; do rm -rf "$d" || true; done
	if [[ -n ${stream_pid:-} ]]; then kill "$stream_pid" 2>/dev/null || true; fi
	return 0
}
trap cleanup EXIT
trap 'echo "vm: interrupted" >&2; exit 130' INT TERM HUP
# set -e stops the runner silently where a command fails outside a condition (a loaded make check
# once saw vm.sh exit 1 after a retried guest with no word of why): say where.
trap 'echo "vm: stopped: \"$BASH_COMMAND\" failed (status $?) at scripts/vm.sh line $LINENO" >&2' ERR

# Boots the guest with accelerator $1 and extra command line $2, console to $work/console.log,
# results port to $work/port.out. Sets boot_state: done, no_init, exited. Returns QEMU's status
# (124 when the hard timeout killed it).
boot() {
	local acc=$1 extra=$2 show=$3 limit=$4 cpu accel_args start rc

	if [[ $acc == kvm ]]; then
		accel_args=(-accel kvm) cpu=host
		# An arm64 host's own interrupt controller; under TCG GICv3 (more than 8 CPUs).
		[[ $arch == arm64 ]] && machine=(-machine virt,gic-version=host)
	else
		[[ $arch == arm64 ]] && machine=(-machine virt,gic-version=max)
		accel_args=(-accel "tcg,thread=$run_threads") cpu=max
		# Emulated pointer authentication with QEMU's own cipher costs far less than QARMA.
		[[ $arch == arm64 ]] && cpu=max,pauth-impdef=on
	fi
	: >"$work/console.log"
	: >"$work/port.out"
	# shellcheck disable=SC2046 # port_args prints separate words on purpose
	setsid timeout -k 5 "$limit" "$qemu" "${machine[@]}" "${accel_args[@]}" -cpu "$cpu" \
		-m "$mem" -smp "$cpus" "${numa_args[@]}" -display none -monitor none -no-reboot -nodefaults \
		-kernel "$kboot" -initrd "$work/initramfs.cpio" \
		-append "console=$console panic=-1 quiet $cmdline $extra" \
		-serial "file:$work/console.log" $(port_args "$work/port.out") \
		</dev/null >"$work/qemu.out" 2>&1 &
	qpid=$!
	if [[ $show == 1 ]]; then
		tail --pid="$qpid" -n +1 -F "$work/console.log" 2>/dev/null |
			sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e '/^cowbench-progress /d' \
				-e 's/^/  guest| /' >&2 &
		stream_pid=$!
	fi
	start=$SECONDS
	boot_state=no_init
	wd_reset "$acc"
	while kill -0 "$qpid" 2>/dev/null; do
		if [[ $boot_state == no_init ]] && grep -q '^cowbench-vm: init reached' "$work/console.log"; then
			boot_state=running
		fi
		if [[ $boot_state == no_init ]] && ((SECONDS - start >= boot_timeout)); then
			kill_qemu
			boot_state=boot_timeout
			break
		fi
		if [[ $boot_state == running ]] && ! wd_check; then
			kill_qemu
			boot_state=stalled
			break
		fi
		sleep 0.2
	done
	rc=0
	if [[ -n $qpid ]]; then
		wait "$qpid" || rc=$?
		qpid=''
	fi
	if [[ $boot_state == no_init ]] && grep -q '^cowbench-vm: init reached' "$work/console.log"; then
		boot_state=running
	fi
	[[ $boot_state == running ]] && grep -q '^cowbench-vm-results-end' "$work/port.out" 2>/dev/null &&
		boot_state=done
	if [[ -n ${stream_pid:-} ]]; then
		sleep 0.3
		kill "$stream_pid" 2>/dev/null || true
		wait "$stream_pid" 2>/dev/null || true
		stream_pid=''
	fi
	return "$rc"
}

# --- the stall watchdog -------------------------------------------------------------------
# Progress is a new line on the guest's console from its init ("cowbench-vm: ...") or from the
# suite's COWBENCH_PROGRESS=1 lines ("cowbench-progress start I N SCENARIO BACKING SIZE_BYTES
# REPEAT", "cowbench-progress rep I N REP REPEAT" at each later visit, "cowbench-progress end I N
# STATUS"). Within an instance (from its start or rep line) the limit grows with what it touches;
# between instances and during init steps it is --stall-timeout. A guest whose emulator
# wedged (multi-threaded TCG, seen here mid-suite at 100 % CPU) sends nothing more.
wd_on=1
[[ ${COWBENCH_VM_WATCHDOG:-on} == off ]] && wd_on=0
declare -A wd_ilimit wd_iname
wd_reset() {
	wd_acc=$1 wd_seen=-1 wd_last=$SECONDS wd_limit=$stall_timeout wd_where='' wd_tick=0 stall_why=''
	wd_ilimit=() wd_iname=()
}

# 2097152 -> 2M, as the suite names sizes.
size_h() {
	local b=$1 u='' n

	for n in K M G; do
		((b >= 1024 && b % 1024 == 0)) || break
		b=$((b / 1024)) u=$n
	done
	echo "$b$u"
}

# Seconds an instance of SIZE_BYTES bytes and REPEAT repetitions may run without a word.
wd_instance_limit() {
	local mib=$((($1 + 1048575) / 1048576)) reps=$(($2 + 1))

	if [[ $wd_acc == kvm ]]; then
		echo $((stall_timeout + mib * reps / 10))
	else
		echo $((stall_timeout + mib * reps))
	fi
}

# Returns 1 (and sets stall_why) when the guest made no progress within its limit.
wd_check() {
	local n last f

	((wd_on)) || return 0
	# Once a second: the console log is read whole.
	((SECONDS != wd_tick)) || return 0
	wd_tick=$SECONDS
	n=$(grep -c -E '^(cowbench-progress |cowbench-vm: )' "$work/console.log" || true)
	if ((n != wd_seen)); then
		wd_seen=$n wd_last=$SECONDS
		last=$(grep -E '^(cowbench-progress |cowbench-vm: )' "$work/console.log" | tail -1 | tr -d '\r')
		read -ra f <<<"$last"
		if [[ ${f[0]} == cowbench-progress && ${f[1]} == start && ${#f[@]} -ge 8 &&
			${f[2]} =~ ^[0-9]+$ && ${f[6]} =~ ^[0-9]+$ && ${f[7]} =~ ^[0-9]+$ ]]; then
			# Kept for its later visits: their "rep" lines name only the instance.
			wd_ilimit[${f[2]}]=$(wd_instance_limit "${f[6]}" "${f[7]}")
			wd_iname[${f[2]}]="${f[4]}/${f[5]}/$(size_h "${f[6]}")"
			wd_limit=${wd_ilimit[${f[2]}]}
			wd_where="in instance ${f[2]}/${f[3]} ${wd_iname[${f[2]}]}"
		elif [[ ${f[0]} == cowbench-progress && ${f[1]} == rep && ${#f[@]} -ge 6 &&
			${f[2]} =~ ^[0-9]+$ && -n ${wd_ilimit[${f[2]}]:-} ]]; then
			# A later visit (interleaved suites; the last instance left runs the rest of its
			# repetitions in it): the instance's own limit, not the gap between instances.
			wd_limit=${wd_ilimit[${f[2]}]}
			wd_where="in instance ${f[2]}/${f[3]} ${wd_iname[${f[2]}]} rep ${f[4]}/${f[5]}"
		else
			wd_limit=$stall_timeout
			wd_where="after \"${last:0:80}\""
		fi
		return 0
	fi
	((SECONDS - wd_last > wd_limit)) || return 0
	stall_why="no progress for $((SECONDS - wd_last)) s $wd_where (limit $wd_limit s, $wd_acc${run_threads:+ $run_threads-threaded})"
	[[ $wd_acc == tcg ]] || stall_why="no progress for $((SECONDS - wd_last)) s $wd_where (limit $wd_limit s, $wd_acc)"
	return 1
}

# Whether KVM can run this guest: /dev/kvm alone says little (a PVM host offers it and then
# cannot run a stock kernel), so boot to the init marker with a short timeout.
probe_kvm() {
	local bt=$boot_timeout rc=0

	[[ $arch == "$host_arch" ]] || { kvm_why="guest arch $arch differs from host $host_arch" && return 1; }
	[[ -r /dev/kvm && -w /dev/kvm ]] || { kvm_why="no usable /dev/kvm" && return 1; }
	boot_timeout=30
	boot kvm cowbench.probe=1 0 40 || rc=$?
	boot_timeout=$bt
	[[ $boot_state == running ]] && return 0
	kvm_why="probe boot failed (status $rc): $(grep -m1 -i -E 'error|abort|fail' "$work/qemu.out" || tail -1 "$work/console.log" || true)"
	return 1
}

# The guest starts in the host's THP modes (Debian kernels default to "always"): a VM run and a
# native one then differ in the kernel only, and compare needs no --force. A config's
# thp_enabled / thp_defrag still apply on top inside the guest.
host_thp() {
	local t=/sys/kernel/mm/transparent_hugepage en df

	en=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$t/enabled" 2>/dev/null) || true
	df=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$t/defrag" 2>/dev/null) || true
	# mTHP sizes keep the guest kernel's defaults: a kernel without them (6.1) then compares with
	# one that has them, and each backing sets the sizes it needs anyway.
	echo "${en:+transparent_hugepage=$en} ${df:+cowbench.thp_defrag=$df}"
}

# The TCG threading, for env.json's vm section (lib/env.c reads cowbench.tcg_threads).
vm_tcg_word() { [[ $1 == tcg ]] && echo " cowbench.tcg_threads=$run_threads"; return 0; }

# Why a guest run brought nothing back, from its console.
failure_reason() {
	local panic

	panic=$(sed 's/\r//' "$work/console.log" | grep -m1 -E 'Kernel panic|BUG:|Oops' || true)
	case $boot_state in
	stalled)
		echo "the guest looks stuck: $stall_why" ;;
	boot_timeout)
		echo "the guest did not reach init within ${boot_timeout}s${panic:+ ($panic)}" ;;
	no_init)
		if [[ -n $panic ]]; then
			echo "the guest kernel panicked before init: $panic"
		else
			echo "QEMU exited (status $qemu_rc) before the guest reached init: $(tail -c 300 "$work/qemu.out" | tr '\n' ' ')"
		fi
		;;
	running)
		if ((qemu_rc == 124)); then
			echo "the guest run hit the ${timeout}s limit${panic:+ ($panic)}"
		else
			echo "the guest stopped before sending its results${panic:+: $panic}"
		fi
		;;
	esac
}

# Keeps the console of a failed or stuck run in cache/vm-logs; sets log to its path.
keep_log() {
	mkdir -p "$cache/vm-logs"
	log=$cache/vm-logs/$(date +%Y%m%d-%H%M%S)-${1//[^A-Za-z0-9._-]/_}-console.log
	cp "$work/console.log" "$log"
}

# env.json's vm.build_id: the short hash of the kernel image that ran.
note_build() {
	jq --arg id "$2" 'if .vm == null then . else .vm.build_id = $id end' "$1" >"$1.tmp" &&
		mv "$1.tmp" "$1"
}

# env.json's vm.isolation (--isolate): the CPUs, the kernel arguments, what the guest's init
# moved (its "cowbench-vm: isolation:" line); null without --isolate.
note_isolation() {
	local env=$1 line

	line=$(sed -n 's/\r$//; s/^cowbench-vm: isolation: //p' "$work/console.log" | head -1)
	jq --arg cpus "$isolate" --arg hk "$housekeeping" --arg args "$isolation_args" --arg init "$line" \
		'if .vm == null then . else .vm.isolation = (if $cpus == "" then null else
			{isolated_cpus: $cpus, housekeeping_cpus: $hk, kernel_args: $args,
			 init: (if $init == "" then null else $init end)} end) end' "$env" >"$env.tmp" &&
		mv "$env.tmp" "$env"
}

# env.json's vm.retried (false, or true with vm.retry_reason: why the first run was killed).
note_retry() {
	local env=$1 why=$2

	jq --arg why "$why" 'if .vm == null then . else .vm.retried = ($why != "") |
		.vm.retry_reason = (if $why == "" then null else $why end) end' "$env" >"$env.tmp" &&
		mv "$env.tmp" "$env"
}

# Moves the result set of $work/port.out into $out/<release>$1/<run id>/, or into $2 when given;
# prints its path.
unpack_results() {
	local tmp sets set dest suffix=${1:-} want=${2:-}

	mkdir -p "$out"
	tmp=$(mktemp -d "$out/.vm-unpack.XXXXXX")
	if ! sed 's/\r$//' "$work/port.out" |
		awk '/^cowbench-vm-results-begin$/ { on = 1; next } /^cowbench-vm-results-end/ { on = 0 } on' |
		base64 -d 2>/dev/null | tar -xz -C "$tmp" 2>/dev/null; then
		rm -rf "$tmp"
		return 1
	fi
	mapfile -t sets < <(cd "$tmp" && ls -d */*/ 2>/dev/null)
	if ((${#sets[@]} != 1)) || [[ ! -s $tmp/${sets[0]}env.json || ! -e $tmp/${sets[0]}results.jsonl ]]; then
		rm -rf "$tmp"
		return 1
	fi
	set=${sets[0]%/}
	dest=${want:-$out/${set%%/*}$suffix/${set#*/}}
	if [[ -e $dest ]]; then
		rm -rf "$tmp"
		echo "vm: $dest exists already" >&2
		return 1
	fi
	sed 's/\r$//' "$work/console.log" >"$tmp/$set/vm-console.log"
	mkdir -p "$(dirname "$dest")"
	mv "$tmp/$set" "$dest"
	rm -rf "$tmp"
	echo "$dest"
}

# --- main ------------------------------------------------------------------------------------

# Every kernel is resolved (and downloaded) first: a wrong name fails before anything is built.
K_IMAGE=() K_BOOT=() K_MODDIR=() K_REL=() K_SOURCE=() K_CONFIG=()
for spec in "${kernels[@]}"; do
	resolve_kernel "$spec"
	K_IMAGE+=("$kimage") K_BOOT+=("$kboot") K_MODDIR+=("$kmoddir") K_REL+=("$krel")
	K_SOURCE+=("$ksource") K_CONFIG+=("$kconfig")
done

busybox=$(guest_busybox)
hyperfine_root=$(guest_hyperfine_root)
echo "vm: building a static $arch cowbench" >&2
# Quiet unless it fails: glibc's static-NSS link warning (libnuma's getaddrinfo, never called)
# is noise here.
if ! build_log=$(make -C "$root" -s -j"$(nproc)" static ARCH="$arch" 2>&1); then
	echo "$build_log" >&2
	die "make static ARCH=$arch failed"
fi
static_bin=$root/$B/static-$arch/cowbench
[[ -x $static_bin ]] || die "no $static_bin after make static"
if ((wd_on)) && ! grep -qa 'cowbench-progress start' "$static_bin"; then
	echo "vm: this cowbench prints no progress lines: no stall watchdog, only --timeout" >&2
	wd_on=0
fi

# One guest run of kernel $1 (an index into kernels): boot, the retries above, the result set
# unpacked into DEST ($2; default <out>/<release>[@<build id>]/<run id>/). Sets dest; a run
# that brings nothing back sets run_error (the one line saying why) and returns 0: the caller
# dies with it, or, in --rounds, leaves that round out.
run_kernel() {
	local i=$1 want=${2:-} spec build_id suffix oops

	spec=${kernels[$i]} kimage=${K_IMAGE[$i]} kboot=${K_BOOT[$i]} kmoddir=${K_MODDIR[$i]}
	krel=${K_REL[$i]} ksource=${K_SOURCE[$i]} kconfig=${K_CONFIG[$i]}
	dest='' run_error='' run_acc=''
	work=$(mktemp -d "${TMPDIR:-/tmp}/cowbench-vm.XXXXXX")
	build_initramfs "$work"
	cmdline="$(host_thp) cowbench.port=$port cowbench.qemu=$qemu_version cowbench.arch=$arch cowbench.kernel_source=$ksource${isolation_args:+ $isolation_args cowbench.housekeeping=$housekeeping}${append:+ $append}"
	acc=$accel
	# One probe per invocation: what stops one stock kernel under KVM stops the next, and a
	# later kernel that fails under KVM anyway is run again under TCG below.
	if [[ $acc == auto && -z ${auto_acc:-} ]]; then
		if probe_kvm; then
			auto_acc=kvm
		else
			echo "vm: KVM not used ($kvm_why): emulating with TCG" >&2
			auto_acc=tcg
		fi
	fi
	[[ $acc == auto ]] && acc=$auto_acc
	how=$(basename "$kimage")
	[[ $kboot == "$kimage" ]] || how="$how as PVH vmlinux"
	run_threads=$tcg_threads retried=''
	[[ $acc == tcg ]] && how="$how, $run_threads-threaded"
	nodes=''
	((numa_nodes == 1)) || nodes=" in $numa_nodes NUMA nodes"
	[[ -z $isolate ]] || nodes="$nodes, CPUs $isolate isolated"
	echo "vm: booting $ksource ($how, $arch, $acc, $mem, $cpus CPUs$nodes, QEMU $qemu_version)" >&2
	qemu_rc=0
	boot "$acc" "cowbench.virtualized=$acc$(vm_tcg_word "$acc")" 1 "$timeout" || qemu_rc=$?
	if [[ $acc == kvm && $boot_state != done && $boot_state != stalled ]]; then
		if [[ $accel == kvm ]]; then
			run_error="$spec under KVM: $(failure_reason)"
			return 0
		fi
		# The probe only saw init: a KVM that breaks later (a PVM host) must not cost the run.
		echo "vm: the KVM run failed ($(failure_reason)): again under TCG" >&2
		acc=tcg qemu_rc=0
		boot "$acc" "cowbench.virtualized=$acc$(vm_tcg_word "$acc")" 1 "$timeout" || qemu_rc=$?
	fi
	if [[ $boot_state == running && $acc == tcg && $run_threads == multi && ${COWBENCH_VM_WATCHDOG:-on} != off ]] &&
		((qemu_rc != 124)); then
		# Reached init, then died without results under multi-threaded TCG: the emulator's
		# cross-vCPU code-patching race (an int3 oops in patched kernel text, seen here in 1 of
		# 20 runs) looks like this. The same retry as for a stuck guest; a kernel that fails
		# single-threaded too fails for a reason of its own, and that is what is reported.
		retried="the guest died under multi-threaded TCG: $(failure_reason)"
		keep_log "$spec-died"
		echo "vm: $spec: $retried; running this kernel once more under single-threaded TCG" >&2
		acc=tcg run_threads=single qemu_rc=0
		boot "$acc" "cowbench.virtualized=$acc$(vm_tcg_word "$acc")" 1 "$timeout" || qemu_rc=$?
	elif [[ $boot_state == stalled ]]; then
		# Once, in the mode without cross-vCPU races in the emulator: a kernel that hangs
		# there too hangs for a reason of its own, and that is the error reported.
		retried=$stall_why
		keep_log "$spec-stalled"
		echo "vm: $spec: the guest looks stuck ($stall_why): QEMU killed; running this kernel once more under single-threaded TCG" >&2
		acc=tcg run_threads=single qemu_rc=0
		boot "$acc" "cowbench.virtualized=$acc$(vm_tcg_word "$acc")" 1 "$timeout" || qemu_rc=$?
		[[ $boot_state != stalled ]] || stall_why="again after a retry under single-threaded TCG: $stall_why"
	fi
	run_acc=$acc
	if [[ $boot_state != done ]]; then
		keep_log "$spec"
		run_error="$spec: $(failure_reason); no result set (console: $log)"
		return 0
	fi
	guest_status=$(sed -n 's/\r$//; s/^cowbench-vm-results-end \([0-9]*\)$/\1/p' "$work/port.out")
	# A local build is named by its release and its image's short hash: two builds of one
	# release (patched, unpatched) must not land in one directory nor share a label.
	build_id=$(sha1sum <"$kimage" | cut -c1-7)
	suffix=''
	[[ $ksource == debian:* ]] || suffix=@$build_id
	if ! dest=$(unpack_results "$suffix" "$want"); then
		run_error="$spec: the results the guest sent are incomplete or unreadable; no result set"
		return 0
	fi
	note_build "$dest/env.json" "$build_id"
	note_retry "$dest/env.json" "$retried"
	note_isolation "$dest/env.json"
	[[ -z $retried ]] || echo "vm: $spec: result set from the retry under single-threaded TCG (first run: $retried)" >&2
	echo "vm: result set $dest (suite exit ${guest_status:-?})" >&2
	# The run finished, but a kernel that oopsed or warned on the way is what a developer
	# wants to hear about first: its figures may come from a broken kernel.
	oops=$(grep -m1 -E 'Oops|BUG:|WARNING:|Kernel panic' "$dest/vm-console.log" || true)
	[[ -z $oops ]] || echo "vm: the guest kernel logged: $oops (see $dest/vm-console.log)" >&2
	rm -rf "$work"
	work=''
}

# --rounds: A, B, A, B, ... into $out/round<r>-A|B/, a row per boot in $out/rounds.tsv; a round
# with a side that brought nothing back is left out whole; then one comparison, paired by round.
run_rounds() {
	local r side label name why result started start w=${#rounds} a_sets=() b_sets=() left=() crc=0

	mkdir -p "$out"
	printf 'round\tside\tkernel\tstarted\tseconds\taccel\tresult\n' >"$out/rounds.tsv"
	for ((r = 1; r <= rounds; r++)); do
		# Zero-padded to the width of N: the directories list in boot order.
		name=$(printf 'round%0*d' "$w" "$r") why=''
		for side in 0 1; do
			label=$([[ $side == 0 ]] && echo A || echo B)
			if [[ -n $why ]]; then
				printf '%s\t%s\t%s\t-\t-\t-\tnot run: round left out\n' "$r" "$label" "${kernels[$side]}" >>"$out/rounds.tsv"
				continue
			fi
			echo "vm: round $r of $rounds, $label: ${kernels[$side]}" >&2
			started=$(date -u +%Y-%m-%dT%H:%M:%SZ) start=$SECONDS
			run_kernel "$side" "$out/$name-$label"
			if [[ -n $work ]]; then rm -rf "$work"; fi
			work=''
			if [[ -n $run_error ]]; then
				why="$label: $run_error" result="failed: $run_error"
				echo "vm: round $r left out, both sides: $run_error" >&2
				if [[ $label == B && -d $out/$name-A ]]; then
					mv "$out/$name-A" "$out/$name-A.left-out"
				fi
			else
				result=$dest
				[[ ${guest_status:-1} == 0 ]] || status=${guest_status:-1}
			fi
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$label" "${kernels[$side]}" "$started" \
				$((SECONDS - start)) "${run_acc:--}" "$result" >>"$out/rounds.tsv"
		done
		if [[ -z $why ]]; then
			a_sets+=("$out/$name-A") b_sets+=("$out/$name-B")
		else
			left+=("round $r ($why)")
		fi
	done
	((${#a_sets[@]})) || die "no round finished: nothing to compare (boots in $out/rounds.tsv)"
	echo "vm: comparing ${#a_sets[@]} of $rounds rounds, paired by round${left:+; left out: ${left[*]}}" >&2
	cmd=("$root/$B/cowbench" compare --paired "${a_sets[@]}" -- "${b_sets[@]}")
	printf '%q ' "${cmd[@]}" | sed 's/ $//' >"$out/compare.cmd"
	echo >>"$out/compare.cmd"
	echo "vm: $(cat "$out/compare.cmd")" >&2
	"${cmd[@]}" >"$out/compare.txt" || crc=$?
	cat "$out/compare.txt"
	if ((crc)); then
		status=$crc
		echo "vm: the comparison exited $crc (command in $out/compare.cmd)" >&2
	fi
	echo "$out"
}

sets=() status=0
if [[ -n $rounds ]]; then
	run_rounds
	exit "$status"
fi
for i in "${!kernels[@]}"; do
	run_kernel "$i"
	[[ -z $run_error ]] || die "$run_error"
	sets+=("$dest")
	[[ ${guest_status:-1} == 0 ]] || status=${guest_status:-1}
done

if ((${#sets[@]} > 1)); then
	"$root/$B/cowbench" compare "${sets[@]}" || status=$?
fi
printf '%s\n' "${sets[@]}"
exit "$status"
