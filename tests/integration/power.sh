# What compare finds of known effects multiplied into the committed real A/A pair
# (tests/power/data; `make power` prints the whole table). A few points of that table, asserted:
# - A/A: no timing verdict and no behaviour change, in both orders;
# - one instance ×2 found in most (more than half) of 15 instances tried one at a time;
# - every timing ×1.3 moves the reported common shift (.shift[1].ratio) by ×1.3 within 1 %, and
#   `--fail-on regression` exits non-zero (1, or 125 where one run per side cannot judge it);
# - fault_anon/thp's faults ×2 (4 → 8 for 2048 pages) is a behaviour change;
# - cow_reuse/base losing its reuse in 1 of 3 repetitions is a behaviour change, and
#   `--fail-on change` exits 1.
# No root and no lock: only compare and build/inject run, on files.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
PW_ROOT=$ROOT
# shellcheck source=tests/power/lib.sh
. "$ROOT/tests/power/lib.sh"
PW_A=$PW_DATA/a PW_B=$PW_DATA/b

if [ ! -x "$PW_INJECT" ] && ! make -s -C "$ROOT" build/inject >"$TMP/make.err" 2>&1; then
	fail inject_built "make build/inject: $(tail -3 "$TMP/make.err")"
	exit 0
fi

# The injector itself: a copy without effects is the input byte for byte; every effect at once
# still loads in the strict reader; a factor lands exactly; an effect with nothing to change is
# refused rather than measured as "not found".
pw_inject "$TMP/id" >/dev/null 2>"$TMP/inject.err"
if cmp -s "$PW_B/results.jsonl" "$TMP/id/results.jsonl" && cmp -s "$PW_B/env.json" "$TMP/id/env.json"; then
	ok inject_identity
else
	fail inject_identity "a copy without effects differs from its input: $(head -c 200 "$TMP/inject.err")"
fi
pw_inject "$TMP/all" --scale all=1.7 --faults 'fault_anon/*=3' --lose-reuse cow_reuse/base/8M:1 \
	--lose-reuse cow_reuse/thp/8M:3 >/dev/null 2>"$TMP/inject.err"
if pw_compare "$TMP/all.json" "$PW_A" "$TMP/all" && jq -e '.instances | length > 0' "$TMP/all.json" >/dev/null; then
	ok inject_valid
else
	fail inject_valid "compare does not read the injected set: $(head -c 300 "$TMP/all.json.err" "$TMP/inject.err")"
fi
got=$(jq -rs --slurpfile b <(jq -c 'select(.scenario == "fork" and .backing == "base")' "$PW_B/results.jsonl") '
	[.[] | select(.scenario == "fork" and .backing == "base")] as $x | ($x | length) > 0 and ($x | length) == ($b | length) and ([range($x | length)] | all(. as $i |
		($x[$i].ns_per_page / $b[$i].ns_per_page - 1.7 | fabs) < 1e-9 and
		([$x[$i].latency_ns, $x[$i].extra_timed] | add) as $t | ([$b[$i].latency_ns, $b[$i].extra_timed] | add) as $u
		| ($t | keys) == ($u | keys) and ($t | keys | all(($t[.] - $u[.] * 1.7 | fabs) <= 0.5))))' \
	"$TMP/all/results.jsonl" 2>&1)
got2=$(jq -r 'select(.scenario == "cow_reuse" and .backing == "base" and .status == "ok")
	| "\(.rep):\(.cow.reuse):\(.cow.copy)"' "$TMP/all/results.jsonl" | tr '\n' ' ')
if [ "$got" = true ] && [[ $got2 == "1:0:2048 2:2048:0 3:2048:0 " ]]; then
	ok inject_exact
else
	fail inject_exact "fork/base ×1.7: $got; cow_reuse/base rep:reuse:copy $got2"
fi
if "$PW_INJECT" --lose-reuse fault_anon/base/8M:1 "$PW_B" "$TMP/no1" 2>/dev/null ||
	"$PW_INJECT" --scale nosuch/base=2 "$PW_B" "$TMP/no2" 2>/dev/null || [ -e "$TMP/no1" ] || [ -e "$TMP/no2" ]; then
	fail inject_refuses "an effect with nothing to change was applied"
else
	ok inject_refuses
fi

# A/A, both orders: nothing was injected, so anything found is made up.
for order in ab ba; do
	if [ $order = ab ]; then pw_compare "$TMP/aa-$order.json" "$PW_A" "$PW_B"; else pw_compare "$TMP/aa-$order.json" "$PW_B" "$PW_A"; fi
	if ! jq -e .instances "$TMP/aa-$order.json" >/dev/null 2>&1; then
		fail "aa_${order}_compared" "compare failed: $(head -c 300 "$TMP/aa-$order.json.err")"
		exit 0
	fi
	found=$(pw_found_keys "$TMP/aa-$order.json" | tr '\n' ' ')
	if [ -z "$found" ]; then ok "aa_${order}_no_verdict"; else fail "aa_${order}_no_verdict" "timing verdicts in: $found"; fi
	changes=$(pw_changes "$TMP/aa-$order.json")
	if [ "$changes" = 0 ]; then
		ok "aa_${order}_no_change"
	else
		fail "aa_${order}_no_change" "$(jq -r '[.instances[].behaviour_changes[]] | join("; ")' "$TMP/aa-$order.json" | head -c 300)"
	fi
done
AA=$TMP/aa-ab.json

# One instance ×2, 15 instances evenly spread over the suite, one at a time.
pw_timing_keys "$AA" | pw_pick 15 >"$TMP/picked"
tried=0 found=0 missed=()
while read -r key; do
	pw_inject "$TMP/x" --scale "$key=2" >/dev/null 2>"$TMP/inject.err" || continue
	pw_compare "$TMP/x.json" "$PW_A" "$TMP/x"
	tried=$((tried + 1))
	if [ "$(pw_found "$TMP/x.json" "$key")" = 1 ]; then found=$((found + 1)); else missed+=("$key"); fi
done <"$TMP/picked"
if ((tried < 10)); then
	fail one_instance_x2_found "only $tried instances could be tried: $(head -c 200 "$TMP/inject.err")"
elif ((2 * found > tried)); then
	ok one_instance_x2_found
else
	fail one_instance_x2_found "found $found of $tried; missed ${missed[*]}"
fi

# Every timing ×1.3: the common shift must move by ×1.3 (within 1 %), relative to the A/A one.
pw_inject "$TMP/x" --scale "all=1.3" >/dev/null
pw_compare "$TMP/x.json" "$PW_A" "$TMP/x" --fail-on regression
rc=$?
s0=$(pw_shift "$AA")
s1=$(pw_shift "$TMP/x.json")
if [ -z "$s0" ] || [ -z "$s1" ]; then
	fail uniform_x1.3_shift "compare reports no common shift (.shift[1].ratio: A/A '${s0}', ×1.3 '${s1}')"
elif awk -v a="$s0" -v b="$s1" 'BEGIN { m = b / a / 1.3; exit !(m > 1 / 1.01 && m < 1.01) }'; then
	ok uniform_x1.3_shift
else
	fail uniform_x1.3_shift "shift ×$s1 against ×$s0 at A/A: moved ×$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.4f", b / a }'), not ×1.3 within 1 %"
fi
if [ "$rc" = 1 ] || [ "$rc" = 125 ]; then
	ok uniform_x1.3_fail_on_regression
else
	fail uniform_x1.3_fail_on_regression "--fail-on regression exits $rc on every timing ×1.3: $(head -c 200 "$TMP/x.json.err")"
fi

# fault_anon/thp: 4 faults for 2048 pages doubled; the count is exact, so this is a change.
key=fault_anon/thp/8M
if [ "$(jq -r --arg k $key '.instances[] | select(.key == $k) | .status == ["ok", "ok"] and .deterministic' "$AA")" != true ]; then
	skip thp_faults_x2_change "$key is not ok on both sides of the committed pair"
else
	pw_inject "$TMP/x" --faults "$key=2" >/dev/null
	pw_compare "$TMP/x.json" "$PW_A" "$TMP/x"
	if [ "$(pw_changes "$TMP/x.json" "$key")" -gt 0 ]; then
		ok thp_faults_x2_change
	else
		fail thp_faults_x2_change "$key: faults.total $(jq -r --arg k $key 'select(.scenario + "/" + .backing + "/" + .size_h == $k and .status == "ok") | .faults.total' "$PW_B/results.jsonl" | head -1) doubled, no behaviour change reported"
	fi
fi

# cow_reuse/base: every page reused in every repetition; repetition 2 of 3 copies them all.
key=cow_reuse/base/8M
if [ "$(jq -r --arg k $key '.instances[] | select(.key == $k) | .status == ["ok", "ok"] and .deterministic' "$AA")" != true ]; then
	skip reuse_lost_1_of_3_change "$key is not ok on both sides of the committed pair"
else
	pw_inject "$TMP/x" --lose-reuse "$key:2" >/dev/null
	pw_compare "$TMP/x.json" "$PW_A" "$TMP/x" --fail-on change
	rc=$?
	if [ "$(pw_changes "$TMP/x.json" "$key")" -gt 0 ]; then
		ok reuse_lost_1_of_3_change
	else
		fail reuse_lost_1_of_3_change "$key: cow.reuse lost in repetition 2 of 3, no behaviour change reported ($(jq -r --arg k $key '.instances[] | select(.key == $k) | .metrics[] | select(.name == "cow.reuse") | "compared as \(.kind), verdict \(.vs_baseline[1].verdict // .changed)"' "$TMP/x.json"))"
	fi
	if [ "$rc" = 1 ]; then
		ok reuse_lost_1_of_3_fail_on_change
	else
		fail reuse_lost_1_of_3_fail_on_change "--fail-on change exits $rc"
	fi
fi
