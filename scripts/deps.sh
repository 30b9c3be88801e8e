#!/usr/bin/env bash
# Installs the packages of the given roles on Debian/Ubuntu (apt-get) or Fedora (dnf), only the
# missing ones, and says which. Every message goes to stderr: the commands that call it (./run.sh
# compare --format json > f) keep stdout for their own output.
# Usage: scripts/deps.sh ROLE... [+DEBIAN_NAME:FEDORA_NAME | +NAME ...]   (extra packages)
#        scripts/deps.sh --list [ROLE...]     what each role installs (on stdout)
# Roles: run (build + ./run.sh), vm (./run.sh vm), plots (plot, compare --format html),
# fleet (the ./run.sh fleet controller), test (make check: all of them and the test tools),
# kernel (scripts/kernel-build.sh, make check-kernel: kernel build tools and the vm role).
# When everything is present it only asks the local package database: no network, no root.
set -euo pipefail

ROLES=(run vm plots fleet test kernel)
declare -A WHAT DEB FED INCLUDES
WHAT[run]="build cowbench and run suites (./run.sh, ./run.sh compare; a fleet host)"
DEB[run]="gcc make pkg-config libc6-dev libnuma-dev libpfm4-dev libjson-c-dev liburing-dev util-linux kmod hyperfine"
FED[run]="gcc make pkgconf-pkg-config glibc-devel numactl-devel libpfm-devel json-c-devel liburing-devel util-linux kmod hyperfine"
# scripts/vm.sh (kernels in QEMU, initramfs with busybox) and `make static ARCH=arm64`, whose
# cross libc comes from libc6-dev-arm64-cross: Fedora's aarch64 cross gcc has no libc to link
# userspace with, so that build is Debian-only.
WHAT[vm]="./run.sh vm: QEMU (x86_64 and arm64 guests), a busybox initramfs, the arm64 cross build"
DEB[vm]="qemu-system-x86 qemu-system-arm busybox-static cpio xz-utils zstd kmod file gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
FED[vm]="qemu-system-x86 qemu-system-aarch64 busybox cpio xz zstd kmod file"
WHAT[plots]="./run.sh plot and the plots in compare --format html"
DEB[plots]="gnuplot-nox"
FED[plots]="gnuplot"
WHAT[fleet]="./run.sh fleet controller: Ansible over SSH, the fleet's HTML report"
DEB[fleet]="ansible-core openssh-client"
FED[fleet]="ansible-core openssh-clients"
INCLUDES[fleet]="plots"
# Headless Chromium renders the HTML report in its test only: reports need no browser to be made.
WHAT[test]="make check: every role above, plus jq, headless Chromium (HTML report test), sshd (fleet test), stress-ng, clang (libFuzzer: make fuzz)"
DEB[test]="jq chromium openssh-server procps git stress-ng clang"
FED[test]="jq chromium openssh-server procps-ng git stress-ng clang compiler-rt"
INCLUDES[test]="run vm plots fleet"
# Building a kernel tree to boot with ./run.sh vm --kernel-tree; the sources themselves come as an
# extra package (scripts/kernel-build.sh asks for +linux-source-<version>).
WHAT[kernel]="scripts/kernel-build.sh, make check-kernel: build a kernel tree (and the vm role to boot it)"
DEB[kernel]="make gcc flex bison bc libelf-dev libssl-dev patch xz-utils"
FED[kernel]="make gcc flex bison bc elfutils-libelf-devel openssl-devel patch xz"
INCLUDES[kernel]="run vm"

say() { echo "deps.sh: $*" >&2; }
usage() {
	echo "usage: scripts/deps.sh ROLE... [+EXTRA...] | --list [ROLE...]   (roles: ${ROLES[*]})" >&2
	exit 2
}

# The role and the roles it includes, each once.
declare -A seen_role=()
expand() {
	local r=$1 inc
	[[ -n ${WHAT[$r]:-} ]] || { echo "deps.sh: unknown role '$r' (roles: ${ROLES[*]})" >&2; exit 2; }
	[[ -n ${seen_role[$r]:-} ]] && return
	seen_role[$r]=1
	for inc in ${INCLUDES[$r]:-}; do expand "$inc"; done
	roles+=("$r")
}

list=0
roles=()
extra=()
for a in "$@"; do
	case $a in
	--list) list=1 ;;
	-h | --help) usage ;;
	+*) extra+=("${a#+}") ;;
	-*) usage ;;
	*) expand "$a" ;;
	esac
done
if ((list)); then
	((${#roles[@]})) || for r in "${ROLES[@]}"; do expand "$r"; done
	for r in "${roles[@]}"; do
		printf '%s: %s\n  Debian/Ubuntu: %s\n  Fedora: %s\n' "$r" "${WHAT[$r]}" "${DEB[$r]}" "${FED[$r]}"
		[[ -z ${INCLUDES[$r]:-} ]] || printf '  and the roles: %s\n' "${INCLUDES[$r]}"
	done
	exit 0
fi
((${#roles[@]})) || usage

DEBIAN_PKGS=() FEDORA_PKGS=()
for r in "${roles[@]}"; do
	read -ra p <<<"${DEB[$r]}" && DEBIAN_PKGS+=("${p[@]}")
	read -ra p <<<"${FED[$r]}" && FEDORA_PKGS+=("${p[@]}")
done
for pair in "${extra[@]}"; do
	deb=${pair%%:*} fed=${pair#*:}
	[[ -n $deb ]] && DEBIAN_PKGS+=("$deb")
	[[ -n $fed ]] && FEDORA_PKGS+=("$fed")
done

# Prints the wanted packages ($2...) that are not in the newline-separated installed list ($1),
# each once.
missing_of() {
	local -A have=()
	local p

	while read -r p; do
		[[ -n $p ]] && have[$p]=1
	done <<<"$1"
	shift
	for p in "$@"; do
		[[ -n ${have[$p]:-} ]] || printf '%s\n' "$p"
		have[$p]=1
	done
}

# One query for all packages keeps the nothing-missing case fast.
installed_list() {
	if [[ $distro == debian ]]; then
		dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
			awk '$NF == "installed" { print $1 }' || true
	else
		LC_ALL=C rpm -q --qf '%{NAME}\n' "$@" 2>/dev/null | grep -v ' is not installed$' || true
	fi
}

if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
	distro=debian
	pkgs=("${DEBIAN_PKGS[@]}")
elif command -v dnf >/dev/null && command -v rpm >/dev/null; then
	distro=fedora
	pkgs=("${FEDORA_PKGS[@]}")
else
	say "neither apt-get nor dnf found; install by hand for ${roles[*]}:"
	say "  Debian/Ubuntu: ${DEBIAN_PKGS[*]}"
	say "  Fedora:        ${FEDORA_PKGS[*]}"
	exit 1
fi

mapfile -t missing < <(missing_of "$(installed_list "${pkgs[@]}")" "${pkgs[@]}")
((${#missing[@]})) || exit 0

if [[ $distro == debian ]]; then
	cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
else
	cmd="dnf install -y ${missing[*]}"
fi

if ((EUID != 0)); then
	say "missing packages for ${roles[*]}: ${missing[*]}"
	if command -v sudo >/dev/null; then
		say "run: sudo sh -c '$cmd'"
	else
		say "run as root: $cmd"
	fi
	exit 1
fi

say "installing for ${roles[*]}: ${missing[*]}"
if [[ $distro == debian ]]; then
	# Always refresh once: fresh images ship without lists and old lists point at removed files.
	# Package manager chatter goes to stderr as well.
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
else
	dnf install -y "${missing[@]}" >&2
fi

mapfile -t still < <(missing_of "$(installed_list "${missing[@]}")" "${missing[@]}")
if ((${#still[@]})); then
	say "still missing after install: ${still[*]}"
	exit 1
fi
say "installed ${missing[*]}"
