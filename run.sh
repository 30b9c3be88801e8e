#!/usr/bin/env bash
# Thin driver: build (installing missing packages), run a config into results/, restore.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
	cat <<'TXT'
usage: ./run.sh [CONFIG]          build, then run CONFIG (default configs/quick.conf) into
                                  results/<kernel release>/<run id>/ and print a summary
       ./run.sh restore           put back kernel settings left by a killed run
       ./run.sh overhead [opts]   what the timer, counters and classification cost
       ./run.sh compare [--format F] [--out DIR] [--force] BASELINE_DIR OTHER_DIR...
                                  compare result sets (text, markdown, csv, tsv, json, html)
       ./run.sh plot [--out DIR] RESULT_DIR...
                                  gnuplot plots (PNG, SVG) of result sets against each other
       ./run.sh vm --kernel KERNEL [--config FILE] [--arch x86_64|arm64] [--accel auto|kvm|tcg] ...
                                  boot KERNEL (a file or debian:6.12) in QEMU, run CONFIG
                                  inside, bring the result set back (./run.sh vm --help)
       ./run.sh fleet INVENTORY [--config FILE] [--kernel KERNEL]... [--force] [--check]
                                  run CONFIG on every host of an Ansible inventory, fetch the
                                  result sets to results/<host>/, compare them (./run.sh fleet --help)
       ./run.sh env               print the environment record
       ./run.sh list              list the scenarios
Run as root: without it every scenario reports skip (PFNs, /proc/kpage* and tracepoints need it).
TXT
}

# build [ROLE...]: the run role's packages and those of the roles given (scripts/deps.sh),
# then the binary. stdout stays the command's own (compare --format json > f).
build() {
	scripts/deps.sh run "$@"
	make -s all >&2
}

# compare writes HTML (with plots: gnuplot) only when asked to.
compare_roles() {
	local prev=
	for a in "$@"; do
		if [[ ($prev == --format && $a == html) || $a == --format=html ]]; then
			echo plots
			return
		fi
		prev=$a
	done
}

case "${1:-}" in
-h | --help | help) usage ;;
restore) build && exec build/cowbench restore ;;
overhead) shift && build && exec build/cowbench overhead "$@" ;;
compare)
	shift
	# shellcheck disable=SC2046
	build $(compare_roles "$@") && exec build/cowbench compare "$@"
	;;
plot) shift && build plots && exec build/cowbench plot "$@" ;;
env) build && exec build/cowbench env ;;
vm)
	shift
	case " $* " in *" -h "* | *" --help "*) exec scripts/vm.sh --help ;; esac
	build vm && exec scripts/vm.sh "$@"
	;;
list) build && exec build/cowbench list ;;
fleet)
	shift
	case " $* " in *" -h "* | *" --help "*) exec scripts/fleet.sh --help ;; esac
	build fleet && exec scripts/fleet.sh "$@"
	;;
-*) usage >&2 && exit 2 ;;
*)
	config=${1:-configs/quick.conf}
	[ -r "$config" ] || { echo "run.sh: no config $config" >&2; exit 2; }
	build
	[ "$(id -u)" = 0 ] || echo "run.sh: not root: scenarios will report skip" >&2
	exec build/cowbench suite "$config"
	;;
esac
