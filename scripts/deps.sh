#!/usr/bin/env bash
# Installs what cowbench needs to build and test, on Debian/Ubuntu (apt-get) or Fedora (dnf).
# Usage: scripts/deps.sh [DEBIAN_NAME:FEDORA_NAME | NAME ...]   (extra packages; NAME alone = both)
# When everything is present it only asks the local package database: no network, no root.
set -euo pipefail

DEBIAN_PKGS=(gcc make pkg-config libc6-dev libnuma-dev libpfm4-dev libjson-c-dev liburing-dev jq util-linux procps git hyperfine gnuplot-nox chromium)
FEDORA_PKGS=(gcc make pkgconf-pkg-config glibc-devel numactl-devel libpfm-devel json-c-devel liburing-devel jq util-linux procps-ng git hyperfine gnuplot chromium)
# scripts/vm.sh (kernels in QEMU, initramfs with busybox) and `make static ARCH=arm64`, whose
# cross libc comes from libc6-dev-arm64-cross: Fedora's aarch64 cross gcc has no libc to link
# userspace with, so that build is Debian-only.
DEBIAN_PKGS+=(qemu-system-x86 qemu-system-arm busybox-static cpio xz-utils zstd kmod file
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
FEDORA_PKGS+=(qemu-system-x86 qemu-system-aarch64 busybox cpio xz zstd kmod file)

for pair in "$@"; do
	deb=${pair%%:*} fed=${pair#*:}
	[[ -n $deb ]] && DEBIAN_PKGS+=("$deb")
	[[ -n $fed ]] && FEDORA_PKGS+=("$fed")
done

# Prints the wanted packages ($2...) that are not in the newline-separated installed list ($1).
missing_of() {
	local -A have=()
	local p

	while read -r p; do
		[[ -n $p ]] && have[$p]=1
	done <<<"$1"
	shift
	for p in "$@"; do
		[[ -n ${have[$p]:-} ]] || printf '%s\n' "$p"
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
	echo "deps.sh: neither apt-get nor dnf found; install by hand:" >&2
	echo "  Debian/Ubuntu: ${DEBIAN_PKGS[*]}" >&2
	echo "  Fedora:        ${FEDORA_PKGS[*]}" >&2
	exit 1
fi

mapfile -t missing < <(missing_of "$(installed_list "${pkgs[@]}")" "${pkgs[@]}")
if ((${#missing[@]} == 0)); then
	echo "deps.sh: all ${#pkgs[@]} packages present"
	exit 0
fi

if [[ $distro == debian ]]; then
	cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
else
	cmd="dnf install -y ${missing[*]}"
fi

if ((EUID != 0)); then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	if command -v sudo >/dev/null; then
		echo "run: sudo sh -c '$cmd'" >&2
	else
		echo "run as root: $cmd" >&2
	fi
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
if [[ $distro == debian ]]; then
	# Always refresh once: fresh images ship without lists and old lists point at removed files.
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
	dnf install -y "${missing[@]}"
fi

mapfile -t still < <(missing_of "$(installed_list "${missing[@]}")" "${missing[@]}")
if ((${#still[@]})); then
	echo "deps.sh: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "deps.sh: installed ${missing[*]}"
