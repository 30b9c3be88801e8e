#!/usr/bin/env bash
# Two throwaway SSH "hosts" on loopback for trying and testing `./run.sh fleet`: one sshd on
# 127.0.0.2 and one on 127.0.0.3, each with its own config and host key, a client key made for
# them, and an inventory naming them loop-a and loop-b. Nothing listens outside 127.0.0.0/8.
# Both are this machine: the fleet playbook runs their suites one at a time.
#   scripts/fleet/loopback.sh start DIR   writes DIR/inventory.ini, prints its path
#   scripts/fleet/loopback.sh stop DIR    stops both daemons, removes DIR's keys
set -euo pipefail

die() { echo "loopback: $*" >&2; exit 1; }
ADDRS=(127.0.0.2 127.0.0.3)
NAMES=(loop-a loop-b)

start() {
	local dir=$1 port user sshd a i up
	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	[[ -x $sshd ]] || die "no sshd (Debian: openssh-server; scripts/deps.sh test installs it)"
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
	chmod 0700 "$dir"
	user=$(id -un)
	# A free unprivileged port on both addresses (another user of the machine may hold some).
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 20000))
		ss -ltnH 2>/dev/null | awk '{print $4}' | grep -qE "[:.]$port\$" || break
	done
	ssh-keygen -q -t ed25519 -N '' -C cowbench-fleet-client -f "$dir/id_ed25519"
	cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
	: >"$dir/known_hosts"
	# sshd wants its privilege-separation directory; made here only if missing, removed by stop.
	if [[ ! -d /run/sshd ]]; then
		mkdir -p /run/sshd && chmod 0755 /run/sshd && touch "$dir/made-run-sshd"
	fi
	for i in "${!ADDRS[@]}"; do
		a=${ADDRS[$i]}
		ssh-keygen -q -t ed25519 -N '' -C "cowbench-fleet-$a" -f "$dir/host_$a"
		cat >"$dir/sshd_$a.conf" <<CONF
ListenAddress $a:$port
HostKey $dir/host_$a
PidFile $dir/sshd_$a.pid
AuthorizedKeysFile $dir/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $user
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PermitTunnel no
MaxStartups 30
LoginGraceTime 60
LogLevel ERROR
Subsystem sftp internal-sftp
CONF
		"$sshd" -f "$dir/sshd_$a.conf" -E "$dir/sshd_$a.log" || die "sshd on $a:$port did not start: $(tail -3 "$dir/sshd_$a.log")"
		echo "[$a]:$port $(cut -d' ' -f1,2 "$dir/host_$a.pub")" >>"$dir/known_hosts"
	done
	# Ready when a real login works (under load sshd and the first login can take seconds).
	for a in "${ADDRS[@]}"; do
		up=0
		for _ in $(seq 1 60); do
			if ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=5 -o IdentitiesOnly=yes -i "$dir/id_ed25519" \
				-o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes -p "$port" "$user@$a" true 2>/dev/null; then
				up=1 && break
			fi
			sleep 0.5
		done
		((up)) || { stop "$dir"; die "no login on $a:$port after 30 s"; }
	done
	{
		echo "# Two loopback hosts made by scripts/fleet/loopback.sh (both are this machine)."
		echo "[lab]"
		for i in "${!ADDRS[@]}"; do echo "${NAMES[$i]} ansible_host=${ADDRS[$i]}"; done
		echo "[lab:vars]"
		echo "ansible_port=$port"
		echo "ansible_user=$user"
		echo "ansible_ssh_private_key_file=$dir/id_ed25519"
		echo "ansible_ssh_common_args='-F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=$dir/known_hosts -o StrictHostKeyChecking=yes'"
		echo "ansible_python_interpreter=/usr/bin/python3"
	} >"$dir/inventory.ini"
	echo "$dir/inventory.ini"
}

stop() {
	local dir=$1 a pid
	[[ -d $dir ]] || return 0
	for a in "${ADDRS[@]}"; do
		pid=$(cat "$dir/sshd_$a.pid" 2>/dev/null) || continue
		# Only the daemon this script started: its pid file, its config on the command line.
		if [[ -n $pid ]] && grep -qF "$dir/sshd_$a.conf" "/proc/$pid/cmdline" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
	done
	[[ -e $dir/made-run-sshd ]] && rmdir /run/sshd 2>/dev/null
	rm -f "$dir"/id_ed25519* "$dir"/host_127.* "$dir"/authorized_keys "$dir"/known_hosts "$dir"/made-run-sshd \
		"$dir"/sshd_*.pid "$dir"/sshd_*.conf "$dir"/inventory.ini
}

case ${1:-} in
start) [[ $# == 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
stop) [[ $# == 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start|stop DIR" ;;
esac
