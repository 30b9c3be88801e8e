# Without root every scenario must say skip with the reason, never print figures.
. "$(dirname "$0")/lib.sh"

if ! is_root || ! command -v setpriv >/dev/null; then
	skip unprivileged "needs root and setpriv to drop to nobody"
	exit 0
fi
# The clone may sit in a private directory: give nobody its own copy of the binary.
install -m 0755 -d "$TMP/bin" && install -m 0755 "$CB" "$TMP/bin/cowbench"
chmod 0755 "$TMP"
for s in fault_anon cow_child cow_parent cow_reuse cow_reuse_remote; do
	(cd "$TMP/bin" && setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all \
		./cowbench run "$s" --size 1M --repeat 1 >"$TMP/$s.jsonl" 2>"$TMP/$s.err")
	rc=$?
	if [ "$rc" != 0 ]; then fail "${s}_exit" "exit $rc: $(head -c 300 "$TMP/$s.err")"; continue; fi
	expect "${s}_skips_with_reason" '.status == "skip" and (.reason | test("root")) and (has("cow") | not) and (has("latency_ns") | not)' "$TMP/$s.jsonl"
done
