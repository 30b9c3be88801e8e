#!/usr/bin/env bash
# `./run.sh fleet`: runs a config on every host of an Ansible inventory with the playbook in
# scripts/fleet/, brings each host's result sets back to OUT/<host>/<release>/<run id>/, then
# compares them all, grouped by host (OUT/fleet/<fleet id>/compare.txt and report/report.html).
# Exit status: 0 every host ok, 1 a host failed (the others' results are kept) or the
# comparison could not be made, 2 bad usage, config or inventory (before anything runs).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() {
	cat <<'TXT'
usage: ./run.sh fleet INVENTORY [--config FILE] [--kernel KERNEL]... [--limit HOST,...]
                      [--out DIR] [--force] [--check]
  INVENTORY   an Ansible inventory (INI or YAML); each host runs the config natively
  --config    the suite each host runs (default configs/quick.conf; host variable
              cowbench_config overrides it for one host)
  --kernel    also run the config in the VM runner on each host for this kernel (a file on the
              host or debian:<version>, as ./run.sh vm --kernel); repeatable
  --limit     only these inventory hosts (comma-separated names)
  --out       results root (default results): OUT/<host>/<release>/<run id>/
  --force     compare result sets from different machines (needed unless the hosts are alike)
  --check     Ansible check mode: reach the hosts, show what would run (grub entries of
              `kernels:`), change nothing
Host variables: cowbench_dir, cowbench_sync (source|binary), cowbench_config, kernels (installed
kernels to boot in turn with grub-reboot), cowbench_grub_cfg, cowbench_reboot_timeout; see
docs/fleets.md.
TXT
}
die2() { echo "fleet: $*" >&2; exit 2; }
die() { echo "fleet: $*" >&2; exit 1; }

inv='' config=configs/quick.conf out=results force='' check='' limit=''
kernels=()
while (($#)); do
	case $1 in
	-h | --help) usage && exit 0 ;;
	--config | --kernel | --limit | --out)
		(($# >= 2)) || die2 "$1 needs a value"
		case $1 in
		--config) config=$2 ;;
		--kernel) kernels+=("$2") ;;
		--limit) limit=$2 ;;
		--out) out=$2 ;;
		esac
		shift 2
		;;
	--force) force=--force && shift ;;
	--check) check=--check && shift ;;
	-*) die2 "unknown option '$1' (see ./run.sh fleet --help)" ;;
	*)
		[[ -z $inv ]] || die2 "unexpected argument '$1'"
		inv=$1 && shift
		;;
	esac
done
[[ -n $inv ]] || die2 "which inventory? (see ./run.sh fleet --help)"
[[ -f $inv && -r $inv ]] || die2 "$inv: no such inventory file"
[[ -f $config && -r $config ]] || die2 "--config $config: no such file"
inv=$(realpath "$inv") config=$(realpath "$config")
for t in ansible-playbook ansible-inventory; do
	command -v "$t" >/dev/null || die "$t not found (Debian: ansible-core; scripts/deps.sh fleet installs it)"
done

# The config, checked once here (file:line errors); each host checks it again against its kernel.
build/cowbench suite --dry-run "$config" >/dev/null || exit 2

# Duplicate hosts: INI only (ansible merges them silently); a YAML inventory's duplicate keys are
# errors below (ANSIBLE_DUPLICATE_YAML_DICT_KEY).
dup=$(awk '
	/^[ \t]*([#;]|$)/ { next }
	/^[ \t]*\[/ { sect = $0; gsub(/[][ \t]/, "", sect); hosts = sect !~ /:(vars|children)$/; next }
	hosts {
		h = $1
		if ((sect SUBSEP h) in first) { printf "%d: duplicate host %s in [%s] (first at line %d)\n", NR, h, sect, first[sect, h]; exit }
		first[sect, h] = NR
		if (NF > 1 && (h in vars)) { printf "%d: host %s defined twice with variables (first at line %d)\n", NR, h, vars[h]; exit }
		if (NF > 1) vars[h] = NR
	}' "$inv")
[[ -z $dup ]] || die2 "$inv:$dup"

export ANSIBLE_INVENTORY_UNPARSED_FAILED=true ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED=true
export ANSIBLE_DUPLICATE_YAML_DICT_KEY=error ANSIBLE_RETRY_FILES_ENABLED=false
export ANSIBLE_DEPRECATION_WARNINGS=false ANSIBLE_LOCALHOST_WARNING=false
# Fewer SSH round trips per task (modules go over stdin); a host with sudo requiretty can set
# ANSIBLE_PIPELINING=false.
export ANSIBLE_PIPELINING=${ANSIBLE_PIPELINING:-true}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! ansible-inventory -i "$inv" --list >"$tmp/inv.json" 2>"$tmp/inv.err"; then
	die2 "$inv: bad inventory: $(grep -m1 -E 'ERROR|WARNING' "$tmp/inv.err" | sed 's/^[^:]*: *//' | tr -s ' \n' ' ' | cut -c1-300)"
fi
mapfile -t hosts < <(ansible all -i "$inv" --list-hosts 2>/dev/null | sed -n 's/^ \{4,\}//p')
((${#hosts[@]})) || die2 "$inv: no hosts"
for h in "${hosts[@]}"; do
	[[ $h =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die2 "$inv: host name '$h': use letters, digits, '.', '_', '-' (it names a results directory)"
done
if [[ -n $limit ]]; then
	IFS=, read -ra want <<<"$limit"
	for h in "${want[@]}"; do
		printf '%s\n' "${hosts[@]}" | grep -qxF -- "$h" || die2 "--limit: unknown host '$h' (inventory: ${hosts[*]})"
	done
	hosts=("${want[@]}")
fi

fleet_id=$(date -u +%Y%m%d-%H%M%S)
while [[ -e $out/fleet/$fleet_id ]]; do fleet_id=$fleet_id-x; done
fdir=$out/fleet/$fleet_id
mkdir -p "$fdir/status" "$tmp/stage" || die "cannot create $fdir"
fdir=$(realpath "$fdir") outabs=$(realpath "$out")

# The source as committed or changed, without what git ignores (build/, results/, cache/).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
		[[ -e $f ]] && printf '%s\0' "$f"
	done | tar --null -czf "$tmp/stage/source.tar.gz" -T -
else
	tar -czf "$tmp/stage/source.tar.gz" --exclude=./build --exclude=./results --exclude=./cache --exclude=./.git .
fi || die "cannot pack the source"

python3 - "$tmp/vars.json" "$fleet_id" "$tmp/stage" "$ROOT" "$config" "$fdir/status" "${kernels[@]}" <<'PY'
import json, sys
a = sys.argv[1:]
json.dump({"fleet_id": a[1], "fleet_stage": a[2], "fleet_repo": a[3], "fleet_config": a[4],
           "fleet_status": a[5], "fleet_kernels": a[6:]}, open(a[0], "w"))
PY

echo "fleet: $fleet_id: ${#hosts[@]} host(s): ${hosts[*]}; config $config${kernels:+; VM kernels ${kernels[*]}}" >&2
lim=$(IFS=,; echo "${hosts[*]}")
ansible-playbook -i "$inv" --limit "$lim" -e "@$tmp/vars.json" $check scripts/fleet/fleet.yml 2>&1 |
	tee "$fdir/ansible.log" >&2
prc=${PIPESTATUS[0]}

# Outcome per host, and its result sets unpacked into OUT/<host>/.
failed=0 sets=() round_groups=()
for h in "${hosts[@]}"; do
	st=$(cat "$fdir/status/$h" 2>/dev/null) || st="failed: no outcome recorded (unreachable during the run, or the playbook stopped: see $fdir/ansible.log)"
	got=''
	if [[ -s $tmp/stage/$h.tar.gz ]]; then
		mkdir -p "$out/$h"
		if tar -xzf "$tmp/stage/$h.tar.gz" -C "$out/$h" --strip-components=1; then
			while IFS= read -r d; do
				d=${d#./} d=${d#results/} d=${d%/env.json}
				[[ -n $d ]] || continue
				# Which host a set came from: compare labels it with this.
				python3 - "$out/$h/$d/env.json" "$h" "$fleet_id" <<'PY'
import json, sys
p, host, fid = sys.argv[1:4]
e = json.load(open(p))
e["fleet"] = {"host": host, "id": fid}
json.dump(e, open(p, "w"), indent=2)
PY
				[[ -s $out/$h/$d/results.jsonl ]] || continue
				got+=" $out/$h/$d"
				# Alternating boots (rounds=N) are compared on their own, paired by round.
				if [[ $d =~ (^|/)round[0-9]+-[AB]$ ]]; then
					[[ " ${round_groups[*]} " == *" $out/$h/${d%/*} "* ]] || round_groups+=("$out/$h/${d%/*}")
				else
					sets+=("$out/$h/$d")
				fi
			done < <(tar -tzf "$tmp/stage/$h.tar.gz" | grep '/env\.json$' | sort)
		fi
	fi
	[[ $st == ok ]] || failed=$((failed + 1))
	echo "$h: $st${got:+; result sets:$got}" | tee -a "$fdir/hosts.txt" >&2
done

rc=0
((failed == 0 && prc == 0)) || rc=1
if [[ -n $check ]]; then
	echo "fleet: check mode: nothing was run" >&2
elif ((${#sets[@]} >= 2)); then
	# One comparison of every set, host by host (hosts in inventory order, each host's sets by
	# release): each set its own column, so one kernel on two hosts is never pooled.
	if build/cowbench compare $force "${sets[@]}" >"$fdir/compare.txt" 2>"$tmp/cmp.err" &&
		build/cowbench compare --format html $force --out "$fdir/report" "${sets[@]}" 2>>"$tmp/cmp.err"; then
		cat "$fdir/compare.txt"
		echo "fleet: comparison in $fdir/compare.txt, report in $fdir/report/report.html" >&2
	else
		echo "fleet: comparison failed: $(tail -1 "$tmp/cmp.err")" >&2
		grep -q -- '--force' "$tmp/cmp.err" && [[ -z $force ]] &&
			echo "fleet: the hosts differ: compare anyway with ./run.sh fleet ... --force, or ./run.sh compare --force ${sets[*]}" >&2
		rm -f "$fdir/compare.txt"
		rc=1
	fi
else
	echo "fleet: ${#sets[@]} result set(s): nothing to compare" >&2
fi
# Each host's alternating boots: kernel A against kernel B, run i of A paired with run i of B.
for g in "${round_groups[@]}"; do
	mapfile -t pair < <(scripts/fleet/pair-rounds.sh "$g") || true
	if ((${#pair[@]} < 3)); then
		rc=1
		continue
	fi
	cmd=(build/cowbench compare --paired ${force:+"$force"} "${pair[@]}")
	nr=$(((${#pair[@]} - 1) / 2))
	rdir=$fdir/$(basename "$(dirname "$g")")-$(basename "$g")
	mkdir -p "$rdir"
	printf '%q ' "${cmd[@]}" | sed 's/ $//' >"$rdir/compare.cmd" && echo >>"$rdir/compare.cmd"
	echo "fleet: $g: $nr round(s) paired: $(cat "$rdir/compare.cmd")" >&2
	if "${cmd[@]}" >"$rdir/compare.txt" 2>"$tmp/cmp.err"; then
		cat "$rdir/compare.txt"
		echo "fleet: comparison of the rounds in $rdir/compare.txt" >&2
	else
		echo "fleet: comparison of the rounds of $g failed: $(tail -1 "$tmp/cmp.err")" >&2
		rc=1
	fi
done
echo "fleet: $((${#hosts[@]} - failed)) of ${#hosts[@]} host(s) ok; results in $out/<host>/, this run in $fdir" >&2
exit $rc
