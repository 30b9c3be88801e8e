#!/usr/bin/env bash
# The libraries cowbench links, for a cross build: Debian's -dev packages of ARCH (headers and
# static .a), unpacked into ${COWBENCH_CACHE:-<repo>/cache}/sysroot-ARCH. libc comes from the
# cross toolchain (libc6-dev-ARCH-cross), not from here.
# Usage: scripts/sysroot.sh ARCH [--refresh]   (ARCH a Debian architecture: arm64, amd64, ...)
# Idempotent: with the sysroot complete for the same package list it does nothing, offline;
# --refresh fetches the current versions again.
set -euo pipefail

me=sysroot.sh
die() {
	echo "$me: $*" >&2
	exit 1
}

if (($# < 1 || $# > 2)) || [[ ${2:---refresh} != --refresh ]]; then
	die "usage: $me ARCH [--refresh]"
fi
case $1 in
x86_64 | amd64) arch=amd64 triplet=x86_64-linux-gnu ;;
aarch64 | arm64) arch=arm64 triplet=aarch64-linux-gnu ;;
*)
	# Others as dpkg-dev knows them, when it is there.
	arch=$1
	triplet=$(dpkg-architecture -a "$arch" -qDEB_HOST_MULTIARCH 2>/dev/null) ||
		die "$arch: unknown Debian architecture"
	;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${COWBENCH_CACHE:-$(dirname "$here")/cache}
root=$cache/sysroot-$arch
stamp=$root/.cowbench-sysroot

# Package, then the files the build needs from it (relative to the sysroot).
WANT=(
	"libjson-c-dev usr/include/json-c/json.h usr/lib/$triplet/libjson-c.a"
	"libnuma-dev usr/include/numa.h usr/include/numaif.h usr/lib/$triplet/libnuma.a"
	"libpfm4-dev usr/include/perfmon/pfmlib_perf_event.h usr/lib/$triplet/libpfm.a"
	"liburing-dev usr/include/liburing.h usr/lib/$triplet/liburing.a"
)
pkgs=()
for w in "${WANT[@]}"; do
	pkgs+=("${w%% *}")
done

# Names of the wanted files missing under $1, one per line.
missing_in() {
	local w f

	for w in "${WANT[@]}"; do
		for f in ${w#* }; do
			[[ -e $1/$f ]] || echo "${w%% *}: $f"
		done
	done
}

if [[ ${2:-} != --refresh && -f $stamp ]] &&
	[[ $(awk '{ print $1 }' "$stamp" | sort) == "$(printf '%s\n' "${pkgs[@]}" | sort)" ]] &&
	[[ -z $(missing_in "$root") ]]; then
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.sysroot-$arch.lock"
flock 9
debs=$cache/debs-$arch
new=$root.new
rm -rf "$debs" "$new"
mkdir -p "$new"
trap 'rm -rf "$new" "$debs"' EXIT
out=$("$here/apt-arch.sh" "$arch" download "$debs" "${pkgs[@]}") || exit 1
mapfile -t files <<<"$out"
((${#files[@]} == ${#pkgs[@]})) || die "$arch: got ${#files[@]} packages for ${#pkgs[@]}: ${files[*]}"
for f in "${files[@]}"; do
	dpkg-deb -x "$f" "$new"
	# shellcheck disable=SC2016 # dpkg-deb's format, not the shell's
	dpkg-deb -W --showformat='${Package} ${Version}\n' "$f" >>"$new/.cowbench-sysroot.tmp"
done
lost=$(missing_in "$new")
[[ -z $lost ]] || die "$arch: packages lack $(paste -sd, <<<"$lost")"
# Docs and man pages are most of the unpacked size and no use to a compiler.
rm -rf "${new:?}/usr/share"
mv "$new/.cowbench-sysroot.tmp" "$new/.cowbench-sysroot"
rm -rf "$root"
mv "$new" "$root"
echo "$me: $root: $(awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' "$stamp") ($(du -sh "$root" | cut -f1))"
