#!/usr/bin/env bash
# Builds Debian's linux-source-<version> package into a kernel tree that `./run.sh vm
# --kernel-tree` boots: `make tinyconfig` + configs/kernel.config (merge_config.sh) +
# `make olddefconfig`, at low priority. Used by `make check-kernel` (tests/kernel/check.sh).
# usage: scripts/kernel-build.sh [--version 6.12] [--patch FILE] [--from TREE] [--jobs N] DEST
#   --patch  a patch (-p1) applied to the tree before building (a copy of a file is patched,
#            never one shared with --from's tree)
#   --from   start from a copy of this already built tree: only what the patch touches rebuilds
# The sources come through the deps role for kernel builds (scripts/deps.sh installs them).
# DEST/.cowbench-built holds what was built; a second call with the same inputs does nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

version=6.12 patch='' from='' jobs=2 dest=''
while (($#)); do
	case $1 in
	--version) version=$2 && shift 2 ;;
	--patch) patch=$(realpath "$2") && shift 2 ;;
	--from) from=$(realpath "$2") && shift 2 ;;
	--jobs) jobs=$2 && shift 2 ;;
	-*) echo "kernel-build: unknown option $1" >&2 && exit 2 ;;
	*) dest=$1 && shift ;;
	esac
done
[[ -n $dest ]] || { echo "usage: scripts/kernel-build.sh [--version V] [--patch FILE] [--from TREE] DEST" >&2 && exit 2; }
fragment=$root/configs/kernel.config
arch=$(uname -m)
case $arch in
x86_64) image=arch/x86/boot/bzImage ;;
aarch64) image=arch/arm64/boot/Image ;;
*) echo "kernel-build: no kernel image path known for $arch" >&2 && exit 1 ;;
esac

"$root/scripts/deps.sh" kernel "+linux-source-$version:" >&2
tarball=$(ls /usr/src/linux-source-"$version".tar.* 2>/dev/null | head -1)
[[ -n $tarball ]] || { echo "kernel-build: linux-source-$version installed no /usr/src/linux-source-$version.tar.*" >&2 && exit 1; }

# What this tree is built from: a repeated call with the same inputs is a no-op.
stamp="source $(basename "$tarball") $(stat -c %s-%Y "$tarball")
fragment $(sha1sum <"$fragment" | cut -c1-12)
patch $( [[ -n $patch ]] && sha1sum <"$patch" | cut -c1-12 || echo none)
from ${from:-none}"
if [[ -f $dest/.cowbench-built && $(cat "$dest/.cowbench-built") == "$stamp" && -f $dest/$image ]]; then
	echo "kernel-build: $dest is built already" >&2
	exit 0
fi

start=$SECONDS
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
if [[ -n $from ]]; then
	[[ -f $from/$image ]] || { echo "kernel-build: --from $from has no $image" >&2 && exit 1; }
	echo "kernel-build: copying $from" >&2
	cp -a "$from" "$dest"
	rm -f "$dest/.cowbench-built"
else
	echo "kernel-build: unpacking $tarball" >&2
	mkdir -p "$dest.unpack"
	tar -xf "$tarball" -C "$dest.unpack"
	mv "$dest.unpack"/linux-source-* "$dest"
	rmdir "$dest.unpack"
fi
if [[ -n $patch ]]; then
	echo "kernel-build: applying $(basename "$patch")" >&2
	patch -d "$dest" -p1 --no-backup-if-mismatch <"$patch" >&2
fi

mk() { nice -n 10 make -C "$dest" -s "$@"; }
if [[ -z $from ]]; then
	mk tinyconfig >/dev/null
	(cd "$dest" && scripts/kconfig/merge_config.sh -m .config "$fragment") >"$dest/.merge-config.log" 2>&1 ||
		{ cat "$dest/.merge-config.log" >&2 && exit 1; }
	mk olddefconfig >/dev/null
	# Options of this arch the fragment asks for but the config does not have (a dependency
	# the fragment misses): said, not fatal, the suite skips what needs them.
	lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while IFS='=' read -r opt val; do
		grep -qx "$opt=$val" "$dest/.config" || echo "$opt"
	done | paste -sd ' ')
	[[ -z $lost ]] || echo "kernel-build: not in the final config (other arch or unmet dependency): $lost" >&2
fi
echo "kernel-build: building $(make -C "$dest" -s kernelrelease) in $dest (make -j$jobs, nice)" >&2
mk -j"$jobs" >&2
echo "$stamp" >"$dest/.cowbench-built"
echo "kernel-build: $dest/$image in $((SECONDS - start)) s" >&2
