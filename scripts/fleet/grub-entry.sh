#!/usr/bin/env bash
# The grub-reboot name of an installed kernel: prints the entry ("Submenu>Entry", the form
# grub-reboot takes) and, on a second line, the kernel release it boots.
# Usage: grub-entry.sh RELEASE|ENTRY [GRUB_CFG]   (default /boot/grub/grub.cfg)
# RELEASE (6.12.0-1-amd64) picks the non-recovery entry "..., with Linux RELEASE"; ENTRY is an
# entry title, or "Submenu>Entry" as grub-reboot takes it. Reads grub-mkconfig's layout: top-level
# entries and submenus at column 0, a submenu's entries indented.
set -euo pipefail
want=${1:?usage: grub-entry.sh RELEASE|ENTRY [GRUB_CFG]}
cfg=${2:-/boot/grub/grub.cfg}
[[ -r $cfg ]] || { echo "grub-entry: cannot read $cfg" >&2; exit 1; }

# Every entry as "path<TAB>release" (path: "Submenu>Title" or "Title").
entries=$(awk '
	function title(line,   q, t) {
		q = substr(line, index(line, "menuentry") + 9)
		if (line ~ /^submenu/) q = substr(line, index(line, "submenu") + 7)
		sub(/^[ \t]*/, "", q)
		if (substr(q, 1, 1) == "\x27") { q = substr(q, 2); t = substr(q, 1, index(q, "\x27") - 1) }
		else if (substr(q, 1, 1) == "\"") { q = substr(q, 2); t = substr(q, 1, index(q, "\"") - 1) }
		else { t = q; sub(/[ \t].*/, "", t) }
		return t
	}
	/^submenu[ \t]/ { sub_title = title($0); next }
	/^menuentry[ \t]/ { sub_title = ""; t = title($0); path = t }
	/^[ \t]+menuentry[ \t]/ { t = title($0); path = (sub_title != "" ? sub_title ">" : "") t }
	/menuentry[ \t]/ {
		rel = ""
		if (match(t, /Linux [^ ]+/)) rel = substr(t, RSTART + 6, RLENGTH - 6)
		printf "%s\t%s\t%s\n", path, rel, (t ~ /recovery mode/ ? "recovery" : "")
	}' "$cfg")

pick=$(awk -F'\t' -v w="$want" '
	($1 == w || (index($1, ">") && substr($1, index($1, ">") + 1) == w)) { print $1 "\t" $2; found = 1; exit }
	$2 == w && $3 != "recovery" && !first { first = $1 "\t" $2 }
	END { if (!found && first) print first }' <<<"$entries")
if [[ -z $pick ]]; then
	echo "grub-entry: no entry for '$want' in $cfg (installed: $(cut -f2 <<<"$entries" | sort -u | grep . | tr '\n' ' '))" >&2
	exit 1
fi
printf '%s\n%s\n' "${pick%%$'\t'*}" "${pick#*$'\t'}"
