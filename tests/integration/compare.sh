# `cowbench compare`: golden outputs from two hand-written result sets (tests/golden/a, b), every
# format, --out written whole or not at all, bad input named by file:line, --force for another
# machine or other THP settings, and (root) two real suites with mTHP 64K off and on.
# After an intended change of an output format, regenerate the goldens from the repository root with
#   build/cowbench compare --format F tests/golden/a tests/golden/b >tests/golden/expected.EXT
# (F = text, tsv, json) and review the diff: the checks below pin what they must keep showing.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
G=tests/golden

# golden NAME FORMAT EXPECTED: the output must equal the expected file byte for byte.
golden() {
	local name=$1 fmt=$2 want=$3
	"$CB" compare --format "$fmt" $G/a $G/b >"$TMP/$name.out" 2>"$TMP/$name.err"
	local rc=$?
	if [ "$rc" = 0 ] && diff -u "$want" "$TMP/$name.out" >"$TMP/$name.diff"; then
		ok "$name"
	else
		fail "$name" "exit $rc $(head -c 300 "$TMP/$name.err"); diff: $(head -40 "$TMP/$name.diff")"
	fi
}
golden golden_text text $G/expected.txt
golden golden_tsv tsv $G/expected.tsv
golden golden_json json $G/expected.json
# Text is the default format.
"$CB" compare $G/a $G/b >"$TMP/default.out" 2>/dev/null
if cmp -s "$TMP/default.out" $G/expected.txt; then ok text_is_default; else fail text_is_default "differs from expected.txt"; fi

# What the goldens must show (so a regenerated golden cannot silently lose it).
t=$G/expected.txt
if grep -qx '  cow_reuse/thp_pte/8M: cow.copy 2048 → 0' $t && grep -qx '  cow_reuse/thp_pte/8M: cow.reuse 0 → 2048' $t; then
	ok text_behaviour_change
else
	fail text_behaviour_change "no copy → reuse change for cow_reuse/thp_pte/8M"
fi
if grep -q '^  cow_reuse/base/8M ns_per_page: B/A 1.103 \[1.096, 1.110\], p <1e-4: regression$' $t; then
	ok text_regression
else
	fail text_regression "cow_reuse/base/8M ns_per_page not listed as a regression"
fi
if grep -A3 '^fault_anon/base/8M' $t | grep -q '^    B   5 .* ~$' && ! grep -q 'fault_anon.*regression\|fault_anon.*improvement' $t; then
	ok text_not_significant
else
	fail text_not_significant "fault_anon/base/8M should be ~ (not significant)"
fi
if grep -qx '  cow_reuse_remote/base/8M  B: skip: needs a second CPU (1 online)' $t && grep -qx '  zap_munmap/base/8M  A: missing' $t; then
	ok text_skip_and_missing
else
	fail text_skip_and_missing "skip reason or missing instance not listed"
fi
if grep -A5 '^fork/base/8M' $t | grep -q '^    B   1 .* ?$'; then ok text_too_few_samples; else fail text_too_few_samples "fork B (n = 1) not marked ?"; fi
if grep -q 'regression' $t && grep -q 'improvement' $t && grep -q 'not significant' $t && grep -q 'too few samples' $t; then
	ok text_legend_words
else
	fail text_legend_words "the legend must name every mark in words"
fi
w=$(LC_ALL=C.UTF-8 wc -L <$t)
if [ "$w" -le 100 ]; then ok text_width; else fail text_width "$w columns (max 100)"; fi
if grep -q $'\033' $t; then fail text_no_colour_in_pipe "escape sequences in piped output"; else ok text_no_colour_in_pipe; fi
[ -s $G/expected.json ] && jq -e '[.instances[] | select(.key == "cow_reuse/thp_pte/8M") | .metrics[] | select(.name == "cow.copy")][0]
	| .values == [2048, 0] and .changed' $G/expected.json >/dev/null &&
	jq -e '[.instances[] | select(.key == "cow_reuse/base/8M") | .metrics[] | select(.name == "ns_per_page")][0]
	| .vs_baseline[1].verdict == "regression" and .vs_baseline[1].ci_lo > 1 and .vs_baseline[1].p_welch < 0.05' $G/expected.json >/dev/null &&
	jq -e '.schema == 1 and .forced == false and .baseline == "6.18.0" and ([.runs[].label] == ["6.18.0", "6.19.0-test"])' $G/expected.json >/dev/null
if [ $? = 0 ]; then ok json_shape; else fail json_shape "expected.json lacks the change, the regression or the header fields"; fi

# On a terminal regressions are red and improvements green; "not significant" never coloured.
if command -v script >/dev/null; then
	script -qec "$CB compare $G/a $G/b" /dev/null >"$TMP/tty.out" 2>&1
	if grep -q $'\033\[31m+' "$TMP/tty.out" && grep -q $'\033\[32m-' "$TMP/tty.out" &&
		! grep $'~' "$TMP/tty.out" | grep -q $'\033'; then
		ok tty_colour
	else
		fail tty_colour "$(grep -c $'\033' "$TMP/tty.out") coloured lines"
	fi
else
	skip tty_colour "no script(1) to give cowbench a terminal"
fi

"$CB" compare --format markdown $G/a $G/b >"$TMP/md" 2>&1
if grep -qF '| cow_reuse/base/8M | ns_per_page | B | 1.103 [1.096, 1.110] | <1e-4 | 0.0079 | **regression** |' "$TMP/md" &&
	grep -qF '| cow.copy | 2048 | 0 | **yes** |' "$TMP/md" && grep -qF '| cow_reuse_remote/base/8M | B | skip | needs a second CPU (1 online) |' "$TMP/md"; then
	ok markdown_tables
else
	fail markdown_tables "$(head -20 "$TMP/md")"
fi
"$CB" compare --format csv $G/a $G/b >"$TMP/csv" 2>&1
if [ "$(wc -l <"$TMP/csv")" = "$(wc -l <$G/expected.tsv)" ] && head -1 "$TMP/csv" | grep -q '^instance,scenario,backing,size_h,metric,' &&
	grep -q '^fork/base/8M,fork,base,8M,extra_timed.fork_exit_wait_ns,stat,ns,lower,B,6.19.0-test,ok,,1,' "$TMP/csv"; then
	ok csv_rows
else
	fail csv_rows "$(head -3 "$TMP/csv")"
fi

# --out: the file appears in DIR, and no temporary directory is left beside it.
mkdir -p "$TMP/outs"
"$CB" compare --format json --out "$TMP/outs/cmp" $G/a $G/b 2>"$TMP/err"
rc=$?
if [ "$rc" = 0 ] && cmp -s "$TMP/outs/cmp/compare.json" $G/expected.json && [ "$(ls -A "$TMP/outs")" = cmp ]; then
	ok out_dir
else
	fail out_dir "exit $rc, $(ls -A "$TMP/outs" "$TMP/outs/cmp" 2>&1 | tr '\n' ' ') $(cat "$TMP/err")"
fi
"$CB" compare --format tsv --out "$TMP/outs/cmp" $G/a $G/b 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && [ "$(ls -A "$TMP/outs/cmp")" = compare.json ] && grep -q 'not empty' "$TMP/err"; then
	ok out_dir_not_overwritten
else
	fail out_dir_not_overwritten "exit $rc: $(cat "$TMP/err")"
fi
"$CB" compare --format html $G/a $G/b >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'needs --out' "$TMP/err"; then ok html_needs_out; else fail html_needs_out "exit $rc: $(cat "$TMP/err")"; fi
"$CB" compare --format html --out "$TMP/outs/html" $G/a $G/b 2>"$TMP/err"
rc=$?
if [ "$rc" = 0 ] && [ -s "$TMP/outs/html/report.html" ] && [ "$(ls -A "$TMP/outs" | grep -c tmp)" = 0 ]; then
	ok html_report
else
	fail html_report "exit $rc: $(cat "$TMP/err")"
fi
"$CB" compare --format yaml $G/a $G/b >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "unknown format 'yaml'" "$TMP/err"; then ok bad_format; else fail bad_format "exit $rc: $(cat "$TMP/err")"; fi
"$CB" compare $G/a >/dev/null 2>"$TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'needs a baseline result directory and 1 to 25 others' "$TMP/err"; then
	ok needs_two_sets
else
	fail needs_two_sets "exit $rc: $(cat "$TMP/err")"
fi

# A result set compared with itself: nothing significant, nothing changed, labels made unique.
"$CB" compare --format json $G/a $G/a >"$TMP/self.json" 2>"$TMP/err"
if [ -s "$TMP/self.json" ] && jq -e '([.runs[].label] | unique | length) == 2 and ([.instances[].behaviour_changes[]] | length) == 0
	and all(.instances[].metrics[] | select(.kind == "stat") | .vs_baseline[1] | select(. != null);
		.verdict == "not significant" and .ratio == 1)' "$TMP/self.json" >/dev/null; then
	ok self_compare
else
	fail self_compare "$(jq -c '[.runs[].label]' "$TMP/self.json" 2>&1) $(cat "$TMP/err")"
fi

# Exact outcomes: a consistent difference is a behaviour change; repetitions that disagree within
# a run (cow_reuse_remote's spurious copies) are noted, not reported as a change.
cp -r $G/a "$TMP/chg"
jq -c 'if .scenario == "cow_reuse_remote" and .rep == 1 then .cow.copy = 2000
	elif .scenario == "cow_reuse" and .backing == "base" then .cow.copy = 5 else . end' $G/a/results.jsonl >"$TMP/chg/results.jsonl"
"$CB" compare --format json $G/a "$TMP/chg" >"$TMP/chg.json" 2>"$TMP/err"
if [ -s "$TMP/chg.json" ] && jq -e '[.instances[].behaviour_changes[]] == ["cow_reuse/base/8M: cow.copy 0 → 5"]
	and any(.warnings[]; test("^cow_reuse_remote/base/8M: repetitions disagree on cow.copy.* in 6.18.0 \\(20260101-100000\\) #2"))' \
	"$TMP/chg.json" >/dev/null; then
	ok exact_change_vs_varied
else
	fail exact_change_vs_varied "$(jq -c '{w: .warnings, c: [.instances[].behaviour_changes[]]}' "$TMP/chg.json" 2>&1 | head -c 600) $(cat "$TMP/err")"
fi

# A kernel-release directory stands for its newest run.
mkdir -p "$TMP/rel/6.19.0-test"
cp -r $G/a "$TMP/rel/6.19.0-test/20260101-000000"
cp -r $G/b "$TMP/rel/6.19.0-test/20260102-000000"
"$CB" compare --format json $G/a "$TMP/rel/6.19.0-test" >"$TMP/rel.json" 2>"$TMP/err"
if [ -s "$TMP/rel.json" ] && jq -e '.runs[1].dir | endswith("/20260102-000000")' "$TMP/rel.json" >/dev/null; then
	ok release_dir_newest_run
else
	fail release_dir_newest_run "$(jq -c .runs "$TMP/rel.json" 2>&1) $(cat "$TMP/err")"
fi

# Bad input: exit 2, one line naming the file (and line), and no --out directory.
mkdir -p "$TMP/bad/empty"
cp -r $G/b "$TMP/bad/trunc" && head -c -1 $G/b/results.jsonl >"$TMP/bad/trunc/results.jsonl"
cp -r $G/b "$TMP/bad/corrupt" && sed -i '3s/.*/{"schema":1,"scenario":/' "$TMP/bad/corrupt/results.jsonl"
cp -r $G/b "$TMP/bad/schema" && sed -i '2s/"schema":1/"schema":7/' "$TMP/bad/schema/results.jsonl"
cp -r $G/b "$TMP/bad/noenv" && rm "$TMP/bad/noenv/env.json"
cp -r $G/b "$TMP/bad/disjoint" && sed -i 's/"scenario":"[a-z_]*"/"scenario":"zap_exit"/; s/"backing":"[a-z_]*"/"backing":"thp"/' "$TMP/bad/disjoint/results.jsonl"
bad() {
	local name=$1 dir=$2 want=$3 rc
	"$CB" compare --out "$TMP/bad/out" $G/a "$dir" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] && grep -qF -- "$want" "$TMP/bad.err" &&
		[ ! -e "$TMP/bad/out" ] && [ ! -s "$TMP/bad.out" ] && [ "$(ls -A "$TMP/bad" | grep -c tmp)" = 0 ]; then
		ok "bad_$name"
	else
		fail "bad_$name" "exit $rc, want one line with '$want': $(head -c 400 "$TMP/bad.err")"
	fi
}
bad missing_dir "$TMP/bad/nope" "$TMP/bad/nope: not a result directory"
bad empty_dir "$TMP/bad/empty" "$TMP/bad/empty: no results.jsonl"
bad truncated_line "$TMP/bad/trunc" "$TMP/bad/trunc/results.jsonl:$(wc -l <$G/b/results.jsonl): truncated record"
bad corrupt_line "$TMP/bad/corrupt" "$TMP/bad/corrupt/results.jsonl:3: corrupt record"
bad unknown_schema "$TMP/bad/schema" "$TMP/bad/schema/results.jsonl:2: unknown schema version 7"
bad no_env_json "$TMP/bad/noenv" "$TMP/bad/noenv/env.json"
bad no_common_instance "$TMP/bad/disjoint" "$TMP/bad/disjoint/results.jsonl: no instance in common"

# Another machine or other THP settings need --force, and the output says it was forced.
cp -r $G/b "$TMP/thp"
jq '.thp.mthp["64kB"] = "always"' $G/b/env.json >"$TMP/thp/env.json"
cp -r $G/b "$TMP/host"
jq '.hostname = "bench2" | .cpu.model = "Other CPU"' $G/b/env.json >"$TMP/host/env.json"
for v in thp:"THP settings" host:"CPU model"; do
	d=${v%%:*} what=${v#*:}
	"$CB" compare --out "$TMP/f-$d" $G/a "$TMP/$d" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "differ in $what (6.18.0: .*; 6.19.0-test: .*needs --force" "$TMP/err" && [ ! -e "$TMP/f-$d" ]; then
		ok "${d}_needs_force"
	else
		fail "${d}_needs_force" "exit $rc: $(cat "$TMP/err")"
	fi
	"$CB" compare --force $G/a "$TMP/$d" >"$TMP/forced" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = 0 ] && grep -q "^  forced (--force): the result sets differ in $what" "$TMP/forced"; then
		ok "${d}_forced_says_so"
	else
		fail "${d}_forced_says_so" "exit $rc: $(head -12 "$TMP/forced") $(cat "$TMP/err")"
	fi
done
"$CB" compare --force --format json $G/a "$TMP/thp" >"$TMP/forced.json" 2>/dev/null
if [ -s "$TMP/forced.json" ] && jq -e '.forced and (.env_diff[] | select(.field == "thp") | .values[1] | test("64K=always"))' "$TMP/forced.json" >/dev/null; then
	ok forced_json_thp_diff
else
	fail forced_json_thp_diff "$(jq -c '{forced, env_diff}' "$TMP/forced.json" 2>&1 | head -c 400)"
fi

# End to end: two real suites, mTHP 64K never then always. The sys backing takes what the
# machine's settings give a plain mapping, so the report must show the behaviour change.
if ! is_root; then
	skip e2e_thp_force "needs root (suites measure nothing without it)"
elif [ ! -e /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled ]; then
	skip e2e_thp_force "no mTHP 64K on this kernel"
else
	before=$(cat /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled)
	suites_ok=1
	for v in never always; do
		cat >"$TMP/$v.conf" <<-EOF
			size = 2M
			repeat = 3
			warmup = 0
			mthp_64K = $v
			run = fault_anon --backing sys
			run = cow_reuse --backing base
		EOF
		if ! "$CB" suite "$TMP/$v.conf" --out "$TMP/e2e-$v" >/dev/null 2>"$TMP/e2e-$v.err"; then
			suites_ok=0
			if grep -q 'another cowbench run holds' "$TMP/e2e-$v.err"; then
				skip "e2e_suite_$v" "another cowbench run holds the settings journal"
			else
				fail "e2e_suite_$v" "$(tail -3 "$TMP/e2e-$v.err")"
			fi
		fi
	done
	if [ "$suites_ok" = 1 ]; then
		# The HTML report of the same comparison carries the behaviour change too.
		if "$CB" compare --force --format html --out "$TMP/e2e-report" "$TMP/e2e-never" "$TMP/e2e-always" 2>"$TMP/err" &&
			grep -q 'fault_anon/sys/2M: folio_pages_by_size_after 4K:512 → 64K:512' "$TMP/e2e-report/report.html"; then
			ok e2e_report_shows_change
		else
			fail e2e_report_shows_change "$(cat "$TMP/err")"
		fi
		"$CB" compare "$TMP/e2e-never" "$TMP/e2e-always" >/dev/null 2>"$TMP/err"
		rc=$?
		if [ "$rc" = 2 ] && grep -q 'differ in THP settings.*64K=always.*needs --force' "$TMP/err"; then
			ok e2e_thp_needs_force
		else
			fail e2e_thp_needs_force "exit $rc: $(cat "$TMP/err")"
		fi
		"$CB" compare --force "$TMP/e2e-never" "$TMP/e2e-always" >"$TMP/e2e.txt" 2>"$TMP/err"
		rc=$?
		if [ "$rc" = 0 ] && grep -q '^  forced (--force): the result sets differ in THP settings' "$TMP/e2e.txt" &&
			grep -A2 '^  thp$' "$TMP/e2e.txt" | grep -q '^    B  .*64K=always' &&
			grep -qx 'cow_reuse/base/2M' "$TMP/e2e.txt" && grep -q '^  cow.reuse: A 512, B 512$' "$TMP/e2e.txt" &&
			grep -q '^  fault_anon/sys/2M: folio_pages_by_size_after 4K:512 → 64K:512$' "$TMP/e2e.txt" &&
			grep -q '^  fault_anon/sys/2M: faults.per_page 1.00 → 0.06$' "$TMP/e2e.txt"; then
			ok e2e_thp_forced
		else
			fail e2e_thp_forced "exit $rc: $(head -30 "$TMP/e2e.txt") $(cat "$TMP/err")"
		fi
	fi
	after=$(cat /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled)
	if [ "$before" = "$after" ]; then ok e2e_settings_restored; else fail e2e_settings_restored "64K: $before → $after"; fi
fi
