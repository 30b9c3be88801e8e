#!/usr/bin/env bash
# Debian packages of one architecture, without adding that architecture to the machine.
# Usage: scripts/apt-arch.sh ARCH search REGEX       package names matching REGEX (names only)
#        scripts/apt-arch.sh ARCH download DIR PKG... the .deb files into DIR, prints their paths
#        scripts/apt-arch.sh ARCH update             refreshes the package lists
# ARCH is a Debian architecture (amd64, arm64, ...). The host's own uses the system apt. Any other
# gets a private apt state in ${COWBENCH_CACHE:-<repo>/cache}/apt-ARCH/ with the system's sources,
# refreshed when older than a day: dpkg's architectures and the system lists stay untouched.
set -euo pipefail

me=apt-arch.sh
die() {
	echo "$me: $*" >&2
	exit 1
}

(($# >= 2)) || die "usage: $me ARCH search REGEX | download DIR PKG... | update"
arch=$1 cmd=$2
shift 2
case $arch in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
esac
[[ $arch =~ ^[a-z0-9]+$ ]] || die "bad architecture '$arch'"
command -v apt-get >/dev/null || die "$arch: needs apt-get (Debian/Ubuntu)"
host=$(dpkg --print-architecture)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
apt_opts=()

# Non-comment "deb" lines of one-line sources (stdin) for architecture $1: lines restricted to
# other architectures are dropped, the rest are restricted to $1.
convert_list() {
	awk -v A="$1" '
	{ sub(/#.*/, "") }
	$1 != "deb" { next }
	{
		line = $0; opts = ""
		if (match(line, /\[[^]]*\]/)) {
			opts = substr(line, RSTART + 1, RLENGTH - 2)
			line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
		}
		n = split(opts, o, /[ \t]+/); keep = ""
		for (i = 1; i <= n; i++) {
			if (o[i] ~ /^arch[-+]?=/) {
				split(o[i], kv, "="); m = split(kv[2], a, ","); hit = 0
				for (j = 1; j <= m; j++)
					hit = hit || a[j] == A
				if ((o[i] ~ /^arch=/ && !hit) || (o[i] ~ /^arch-=/ && hit))
					next
			} else if (o[i] != "") {
				keep = keep " " o[i]
			}
		}
		sub(/^[ \t]*deb[ \t]+/, "", line)
		print "deb [arch=" A keep "] " line
	}'
}

# The same for deb822 .sources stanzas (stdin): Types reduced to deb, Architectures set to $1.
convert_sources() {
	awk -v A="$1" '
	function has(list, word,   n, w, i) {
		n = split(list, w, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (w[i] == word)
				return 1
		return 0
	}
	function flush(   i, k) {
		if (nf && has(val["types"], "deb") && tolower(val["enabled"]) != "no" &&
		    (!("architectures" in val) || has(val["architectures"], A)) &&
		    !has(val["architectures-remove"], A)) {
			print "Types: deb"
			print "Architectures: " A
			for (i = 1; i <= nf; i++) {
				k = key[i]
				if (k != "types" && k != "enabled" && k !~ /^architectures/)
					printf "%s", text[i]
			}
			print ""
		}
		nf = 0
		delete val
	}
	/^#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { if (nf) text[nf] = text[nf] $0 "\n"; next }
	{
		k = tolower(substr($0, 1, index($0, ":") - 1))
		v = substr($0, index($0, ":") + 1)
		gsub(/^[ \t]+|[ \t]+$/, "", v)
		key[++nf] = k; text[nf] = $0 "\n"; val[k] = v
	}
	END { flush() }'
}

# The files that exist among $@, each followed by an empty line (which ends a deb822 stanza).
cat_files() {
	local f

	for f in "$@"; do
		if [[ -f $f ]]; then
			cat "$f"
			echo
		fi
	done
}

# Regenerates the private sources from the system's and the config; refreshes the lists when
# the sources changed, when there are none or when they are a day old (or when $1 is "force").
private_setup() {
	local d=$cache/apt-$arch f new fresh lists rc=0

	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/state" "$d/sources.list.d"
	: >>"$d/status"
	cat >"$d/apt.conf" <<-EOF
		#clear APT::Architectures;
		APT::Architecture "$arch";
		APT::Architectures { "$arch"; };
		Dir::State "$d/state";
		Dir::State::Lists "$d/lists";
		Dir::State::status "$d/status";
		Dir::Cache "$d/cache";
		// Binary caches would be 70 MB to save half a second per call.
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
		Dir::Etc::SourceList "$d/sources.list";
		Dir::Etc::SourceParts "$d/sources.list.d";
		// The system's update hooks are about the system's lists, not these.
		#clear APT::Update::Post-Invoke;
		#clear APT::Update::Post-Invoke-Success;
	EOF
	((EUID != 0)) || echo 'APT::Sandbox::User "root";' >>"$d/apt.conf"
	apt_opts=(-c "$d/apt.conf")

	eval "$(apt-config shell SL Dir::Etc::SourceList/f SP Dir::Etc::SourceParts/d)"
	new=$(cat_files "$SL" "$SP"/*.list | convert_list "$arch")
	if [[ ! -f $d/sources.list || $new != "$(cat "$d/sources.list")" ]]; then
		printf '%s\n' "$new" >"$d/sources.list"
		rm -f "$d/updated"
	fi
	new=$(cat_files "$SP"/*.sources | convert_sources "$arch")
	if [[ ! -f $d/sources.list.d/system.sources || $new != "$(cat "$d/sources.list.d/system.sources")" ]]; then
		printf '%s\n' "$new" >"$d/sources.list.d/system.sources"
		rm -f "$d/updated"
	fi
	[[ -s $d/sources.list || -s $d/sources.list.d/system.sources ]] ||
		die "$arch: no deb sources in $SL or $SP"

	lists=$(compgen -G "$d/lists/*_Packages*" || true)
	fresh=$(find "$d/updated" -mmin -1440 2>/dev/null || true)
	if [[ ${1:-} == force || -z $lists || -z $fresh ]]; then
		apt-get "${apt_opts[@]}" -q update >"$d/update.log" 2>&1 || rc=$?
		lists=$(compgen -G "$d/lists/*_Packages*" || true)
		[[ -n $lists ]] || die "$arch: no package lists (network?); see $d/update.log"
		if ((rc)) || grep -q '^[WE]:' "$d/update.log"; then
			echo "$me: $arch: update incomplete, using what lists there are; see $d/update.log" >&2
		else
			touch "$d/updated"
		fi
	fi
}

host_setup() {
	eval "$(apt-config shell L Dir::State::Lists/d)"
	if [[ ${1:-} == force ]] || ! compgen -G "$L*_Packages*" >/dev/null; then
		((EUID == 0)) || die "$arch: apt-get update needs root (lists in $L)"
		apt-get -q update >/dev/null || die "$arch: apt-get update failed"
		compgen -G "$L*_Packages*" >/dev/null || die "$arch: no package lists (network?)"
	fi
	((EUID != 0)) || apt_opts=(-o APT::Sandbox::User=root)
}

setup() {
	if [[ $arch == "$host" ]]; then
		host_setup "$@"
		return
	fi
	cache=${COWBENCH_CACHE:-$repo/cache}
	mkdir -p "$cache/apt-$arch"
	# One update at a time when parallel builds share the cache.
	exec 9>"$cache/apt-$arch/.lock"
	flock 9
	private_setup "$@"
}

case $cmd in
update)
	(($# == 0)) || die "usage: $me ARCH update"
	setup force
	;;
search)
	(($# == 1)) || die "usage: $me ARCH search REGEX"
	setup
	out=$(apt-cache "${apt_opts[@]}" search --names-only -- "$1" 2>&1) ||
		die "$arch: search '$1': $(grep -m1 '^E:' <<<"$out" || echo "$out" | head -1)"
	[[ -z $out ]] || awk '{ print $1 }' <<<"$out" | sort -u
	;;
download)
	(($# >= 2)) || die "usage: $me ARCH download DIR PKG..."
	dir=${1%/}
	shift
	setup
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/.apt-arch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# Qualified names (pkg:arch, pkg:arch=version, pkg:arch/release): on the host arch a foreign
	# package of the same name could win otherwise.
	pkgs=()
	for p in "$@"; do
		if [[ $p == *:* ]]; then
			pkgs+=("$p")
		elif [[ $p =~ ^([^=/]+)([=/].*)?$ ]]; then
			pkgs+=("${BASH_REMATCH[1]}:$arch${BASH_REMATCH[2]}")
		else
			die "$arch: bad package name '$p'"
		fi
	done
	log=$( (cd "$tmp" && apt-get "${apt_opts[@]}" -q download "${pkgs[@]}") 2>&1) ||
		die "$arch: download failed: $(grep -m1 '^E:' <<<"$log" || echo "$log" | tail -1)"
	for f in "$tmp"/*.deb; do
		[[ -f $f ]] || die "$arch: download of $* gave no .deb files"
		mv -f "$f" "$dir/"
		echo "$dir/${f##*/}"
	done
	;;
*)
	die "unknown command '$cmd' (search, download, update)"
	;;
esac
