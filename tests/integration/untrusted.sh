#!/usr/bin/env bash
# Result sets are untrusted input (issue 15's reproducers): every bad set makes compare, compare
# --format html and plot exit 2 with one line naming the file (and line), before gnuplot runs,
# leaving no output; nothing blocks on a FIFO. Reads files only: no host lock needed.
. "$(dirname "$0")/lib.sh"

G=$ROOT/tests/golden
B=$TMP/sets
mkdir -p "$B"

# mk NAME: a copy of golden b to break.
mk() { rm -rf "${B:?}/$1"; cp -r "$G/b" "$B/$1"; }
# line N SED: applies SED to line N of NAME's results.jsonl.
edit() { sed -i "$2" "$B/$1/results.jsonl"; }

# bad NAME WANT: all three commands exit 2 with one stderr line holding WANT, no output.
bad() {
	local name=$1 want=$2 cmd rc out errs=""
	for cmd in compare html plot; do
		out=$TMP/out-$name-$cmd
		case $cmd in
		compare) timeout 20 "$CB" compare "$G/a" "$B/$name" >"$TMP/stdout" 2>"$TMP/stderr" ;;
		html) timeout 20 "$CB" compare --format html --out "$out" "$G/a" "$B/$name" >"$TMP/stdout" 2>"$TMP/stderr" ;;
		plot) PATH=/nonexistent-no-gnuplot:$PATH timeout 20 "$CB" plot --out "$out" "$G/a" "$B/$name" >"$TMP/stdout" 2>"$TMP/stderr" ;;
		esac
		rc=$?
		if [ "$rc" != 2 ] || [ "$(wc -l <"$TMP/stderr")" != 1 ] || ! grep -qF -- "$want" "$TMP/stderr" ||
			[ -s "$TMP/stdout" ] || [ -e "$out" ] || ls -a "$TMP" | grep -q "^\.\?out-$name-$cmd.*tmp"; then
			errs+="$cmd: exit $rc, '$(head -c 300 "$TMP/stderr" | tr '\n' '|')'; "
		fi
	done
	if [ -z "$errs" ]; then ok "bad_$name"; else fail "bad_$name" "want '$want': $errs"; fi
}

R=results.jsonl
mk env_fifo && rm "$B/env_fifo/env.json" && mkfifo "$B/env_fifo/env.json"
bad env_fifo "$B/env_fifo/env.json: not a regular file"
mk env_devzero && ln -sf /dev/zero "$B/env_devzero/env.json"
bad env_devzero "$B/env_devzero/env.json: a symbolic link"
mk results_fifo && rm "$B/results_fifo/$R" && mkfifo "$B/results_fifo/$R"
bad results_fifo "$B/results_fifo/$R: not a regular file"
mk two_on_a_line && edit two_on_a_line '2{N;s/\n//}'
bad two_on_a_line "$B/two_on_a_line/$R:2: corrupt record: trailing data"
mk trailing_garbage && edit trailing_garbage '3s/$/ xyz/'
bad trailing_garbage "$B/trailing_garbage/$R:3: corrupt record: trailing data"
mk env_trailing && echo '{}' >>"$B/env_trailing/env.json"
bad env_trailing "$B/env_trailing/env.json:$(($(wc -l <"$G/b/env.json") + 1)): corrupt: trailing data"
mk infinity && edit infinity '2s/"ns_per_page":[0-9.]*/"ns_per_page":Infinity/'
bad infinity "$B/infinity/$R:2: corrupt record: not JSON"
mk nan && edit nan '2s/"ns_per_page":[0-9.]*/"ns_per_page":NaN/'
bad nan "$B/nan/$R:2: corrupt record: not JSON"
mk huge_double && edit huge_double '2s/"ns_per_page":[0-9.]*/"ns_per_page":1e309/'
bad huge_double "$B/huge_double/$R:2: corrupt record: number out of the finite double range"
mk comment && edit comment '2s/^{/{\/* c *\//'
bad comment "$B/comment/$R:2: corrupt record: not JSON"
mk single_quotes && edit single_quotes "2s/\"scenario\"/'scenario'/"
bad single_quotes "$B/single_quotes/$R:2: corrupt record: not JSON"
mk schema_true && edit schema_true '2s/"schema":1/"schema":true/'
bad schema_true "$B/schema_true/$R:2: unknown schema version true"
mk schema_string && edit schema_string '2s/"schema":1/"schema":"1"/'
bad schema_string "$B/schema_string/$R:2: unknown schema version \"1\""
mk schema_real && edit schema_real '2s/"schema":1/"schema":1.9/'
bad schema_real "$B/schema_real/$R:2: unknown schema version 1.9"
mk int_overflow && edit int_overflow '2s/"ops":[0-9]*/"ops":99999999999999999999999/'
bad int_overflow "$B/int_overflow/$R:2: corrupt record: integer out of the 64-bit range"
mk negative_time && edit negative_time '2s/"ns_per_page":[0-9.]*/"ns_per_page":-5/'
bad negative_time "$B/negative_time/$R:2: field 'ns_per_page' is negative"
mk negative_count && edit negative_count '2s/"copy":[0-9]*/"copy":-1/'
bad negative_count "$B/negative_count/$R:2: field 'cow.copy' is negative"
mk duplicate && sed -n 2p "$G/b/$R" >>"$B/duplicate/$R"
bad duplicate "$B/duplicate/$R:$(($(wc -l <"$G/b/$R") + 1)): duplicate record: same instance, run_id, source and rep as line 2"
mk string_number && edit string_number '2s/"ns_per_page":\([0-9.]*\)/"ns_per_page":"\1"/'
bad string_number "$B/string_number/$R:2: field 'ns_per_page' must be a number or null, not string"
mk wrong_size && edit wrong_size '2s/"size_h":"8M"/"size_h":"4M"/'
bad wrong_size "$B/wrong_size/$R:2: fields 'size' and 'size_h' disagree"
mk slash_name && edit slash_name '2s/"backing":"base"/"backing":"ba\/se"/'
bad slash_name "$B/slash_name/$R:2: field 'backing' must be a non-empty name without '/'"
mk nul_byte && edit nul_byte '2s/"run_id"/"run\x00_id"/'
bad nul_byte "$B/nul_byte/$R:2: NUL byte in a record"
mk bad_utf8 && edit bad_utf8 '2s/"run_id":"/"run_id":"\xff/'
bad bad_utf8 "$B/bad_utf8/$R:2: corrupt record: invalid UTF-8"
mk dup_key && edit dup_key '2s/^{/{"rep":9,/'
bad dup_key "$B/dup_key/$R:2: corrupt record: an object repeats a member name"

# Different options are different instances, however long: never merged (the key once kept
# 30 characters of them).
mk long_opts
long=$(printf 'events=%0300d' 0)
jq -c --arg o "${long}A" 'select(.scenario == "fault_anon") | .options = $o' "$G/b/$R" >"$B/long_opts/$R"
jq -c --arg o "${long}B" 'select(.scenario == "fault_anon") | .options = $o' "$G/b/$R" >>"$B/long_opts/$R"
if "$CB" compare --format json "$B/long_opts" "$B/long_opts" >"$TMP/long.json" 2>"$TMP/stderr" &&
	[ "$(jq '[.instances[] | select(.key | startswith("fault_anon/"))] | length' "$TMP/long.json")" = 2 ]; then
	ok long_options_not_merged
else
	fail long_options_not_merged "$(head -c 300 "$TMP/stderr") $(jq -c '[.instances[].key]' "$TMP/long.json" 2>&1 | head -c 300)"
fi

# An env.json mTHP key that is not a size ("-1G") is shown as "?", no undefined shift (the
# sanitizer build reports one as an error).
mk mthp_key && jq '.thp.mthp["-1G"] = "never" | .thp.mthp["99999999999999999999G"] = "never"' "$G/b/env.json" >"$B/mthp_key/env.json.new" &&
	mv "$B/mthp_key/env.json.new" "$B/mthp_key/env.json"
san=$ROOT/build-san/cowbench
[ -x "$san" ] || san=$CB
if "$san" compare --force "$G/a" "$B/mthp_key" >"$TMP/stdout" 2>"$TMP/stderr"; then
	ok mthp_size_key_not_a_size
else
	fail mthp_size_key_not_a_size "exit $?: $(head -c 300 "$TMP/stderr")"
fi

# Output escaping: names from a set must not become formulas, gnuplot comments, terminal
# escapes, markdown or HTML.
mk evil
jq -c 'if .scenario == "cow_reuse" then .scenario = "=HYPERLINK(\"x\")" elif .scenario == "fault_anon" then .scenario = "#x\u001b[31m<b>|*_" else . end' \
	"$G/b/$R" >"$B/evil/$R.new" && mv "$B/evil/$R.new" "$B/evil/$R"
mk evil_base
jq -c 'if .scenario == "cow_reuse" then .scenario = "=HYPERLINK(\"x\")" elif .scenario == "fault_anon" then .scenario = "#x\u001b[31m<b>|*_" else . end' \
	"$G/a/$R" >"$B/evil_base/$R" && cp "$G/a/env.json" "$B/evil_base/env.json"
"$CB" compare --format csv "$B/evil_base" "$B/evil" >"$TMP/evil.csv" 2>"$TMP/stderr"
"$CB" compare --format tsv "$B/evil_base" "$B/evil" >"$TMP/evil.tsv" 2>>"$TMP/stderr"
if grep -q "^\"'=HYPERLINK" "$TMP/evil.csv" && ! grep -q '^"\?=' "$TMP/evil.csv" && grep -q "^'=HYPERLINK" "$TMP/evil.tsv" &&
	! grep -q '^=' "$TMP/evil.tsv"; then
	ok csv_tsv_no_formula
else
	fail csv_tsv_no_formula "$(grep -m2 HYPERLINK "$TMP/evil.csv" "$TMP/evil.tsv" | head -c 300) $(head -c 200 "$TMP/stderr")"
fi
"$CB" compare "$B/evil_base" "$B/evil" >"$TMP/evil.txt" 2>&1
"$CB" compare --format markdown "$B/evil_base" "$B/evil" >"$TMP/evil.md" 2>&1
if ! grep -q $'\033' "$TMP/evil.txt" "$TMP/evil.md" "$TMP/evil.csv" && grep -q '�' "$TMP/evil.txt" &&
	grep -qF '\#x�\[31m&lt;b&gt;\|\*\_' "$TMP/evil.md" && ! grep -q '<b>' "$TMP/evil.md"; then
	ok text_markdown_escaped
else
	fail text_markdown_escaped "$(grep -a -m2 'x.\[31m' "$TMP/evil.txt" "$TMP/evil.md" | cat -v | head -c 300)"
fi
"$CB" compare --format json "$B/evil_base" "$B/evil" >"$TMP/evil.json" 2>&1
if jq -e '[.instances[].scenario] | index("#x\u001b[31m<b>|*_")' "$TMP/evil.json" >/dev/null; then
	ok json_keeps_exact_strings
else
	fail json_keeps_exact_strings "$(head -c 300 "$TMP/evil.json")"
fi

# --out paths: one longer than the system allows is refused whole, never cut short.
long=$TMP/$(printf 'd%.0s' $(seq 250))/$(printf 'e%.0s' $(seq 250))/$(printf 'f%.0s' $(seq 250))
long=$long/$long/$long/$long/$long
"$CB" compare --format html --out "$long" "$G/a" "$G/b" >"$TMP/stdout" 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/stderr")" = 1 ] && grep -q 'path longer than' "$TMP/stderr"; then
	ok long_out_path_refused
else
	fail long_out_path_refused "exit $rc: $(head -c 200 "$TMP/stderr")"
fi

# Plots: a non-numeric baseline label with a scenario only the other set has (STATS_columns),
# the '#' scenario (legend), zero, tiny and huge values (log axes, ranges).
if ! command -v gnuplot >/dev/null; then
	skip plots_untrusted "gnuplot not installed (scripts/deps.sh plots)"
else
	P=$G/plot_a Q=$G/plot_b
	mk plot_label && cp "$P/$R" "$B/plot_label/$R" && jq '.kernel.release = "my-kernel"' "$P/env.json" >"$B/plot_label/env.json"
	mk plot_only && sed 's/"scenario":"cow_reuse"/"scenario":"#only_here"/' "$Q/$R" >"$B/plot_only/$R" && cp "$Q/env.json" "$B/plot_only/env.json"
	"$CB" plot --out "$TMP/pl" "$B/plot_label" "$B/plot_only" >/dev/null 2>"$TMP/stderr"
	rc=$?
	if [ "$rc" = 0 ] && head -1 "$TMP/pl/bars-_only_here.tsv" | grep -q $'^\u266fonly_here' && [ -s "$TMP/pl/bars-_only_here.svg" ]; then
		ok plot_label_and_one_sided_scenario
	else
		fail plot_label_and_one_sided_scenario "exit $rc: $(head -c 300 "$TMP/stderr")"
	fi
	for v in 0 1e-300 1e300 1.7e308; do
		for s in a b; do
			mk "pv$s"
			jq -c ".ns_per_page = $v | if .latency_ns then .latency_ns |= map_values($v) else . end |
				if .latency_hist then .latency_hist = [[0, $v, 5]] else . end" "$G/plot_$s/$R" >"$B/pv$s/$R"
			cp "$G/plot_$s/env.json" "$B/pv$s/env.json"
		done
		rm -rf "$TMP/pv" "$TMP/pvh"
		"$CB" plot --out "$TMP/pv" "$B/pva" "$B/pvb" >/dev/null 2>"$TMP/stderr" &&
			"$CB" compare --format html --out "$TMP/pvh" "$B/pva" "$B/pvb" >/dev/null 2>>"$TMP/stderr"
		rc=$?
		if [ "$rc" = 0 ]; then ok "plot_values_$v"; else fail "plot_values_$v" "exit $rc: $(head -c 300 "$TMP/stderr")"; fi
	done
fi
