# The HTML report (`cowbench compare --format html`) opened in headless Chromium: it renders
# without console messages, its DOM holds the comparison tables and the inline SVG plots, and a
# screenshot is taken. Inputs: the hand-made result sets tests/golden/plot_a and plot_b.
. "$(dirname "$0")/lib.sh"

A=$ROOT/tests/golden/plot_a
B=$ROOT/tests/golden/plot_b
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

# chromium_run URL ARGS...: headless, no network, a throw-away profile; stdout and stderr to
# $TMP/chromium.out and $TMP/chromium.err.
chromium_run() {
	local url=$1 profile
	shift
	profile=$(mktemp -d -p "$TMP")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" "$url" \
		>"$TMP/chromium.out" 2>"$TMP/chromium.err"
}

out=$TMP/report
"$CB" compare --format html --out "$out" "$A" "$B" >/dev/null 2>"$TMP/stderr"
rc=$?
if [ "$rc" = 0 ] && [ -s "$out/report.html" ]; then ok report_written; else fail report_written "exit $rc: $(cat "$TMP/stderr")"; fi
html=$out/report.html
[ -s "$html" ] || exit 0

# Self-contained: nothing fetched (scripts, styles, fonts, images), no JavaScript.
if grep -Eiq '<script|<link|<img|<iframe|@import|src=|url\(["'\'']?(https?:|//)' "$html"; then
	fail self_contained "$(grep -Eio '<script|<link|<img|<iframe|@import|src=[^ >]*|url\([^)]*\)' "$html" | sort -u | head -5 | tr '\n' ' ')"
else
	ok self_contained
fi
if command -v gnuplot >/dev/null; then
	n=$(grep -c '<svg' "$html")
	# The result sets' plots and the forest plot of the comparison.
	if [ "$n" = 22 ] && ! grep -q '<?xml' "$html"; then ok inline_svg; else fail inline_svg "$n <svg> (want 22)"; fi
else
	skip inline_svg "gnuplot not installed: the report has no plots (scripts/deps.sh plots installs gnuplot-nox)"
fi

if [ -z "$CHROMIUM" ]; then
	skip chromium "chromium not installed (scripts/deps.sh test installs it: Debian chromium, Fedora chromium)"
	exit 0
fi

# The console check must be able to fail: a page with a script error is caught.
printf '<!DOCTYPE html><p>x</p><script>undefined_fn();</script>\n' >"$TMP/bad.html"
chromium_run "file://$TMP/bad.html" --dump-dom
if grep -q 'CONSOLE.*Uncaught' "$TMP/chromium.err"; then ok console_check_works; else fail console_check_works "no console line for a script error"; fi

chromium_run "file://$html" --dump-dom
rc=$?
dom=$TMP/dom.html
cp "$TMP/chromium.out" "$dom"
if [ "$rc" = 0 ] && grep -q '</html>' "$dom"; then ok dom_dump; else fail dom_dump "exit $rc: $(tail -3 "$TMP/chromium.err")"; fi
if grep -q 'CONSOLE\|Uncaught' "$TMP/chromium.err"; then
	fail no_console_errors "$(grep 'CONSOLE\|Uncaught' "$TMP/chromium.err" | head -3)"
else
	ok no_console_errors
fi
# The rendered tables: the runs, an instance with its verdicts, the behaviour change, a skip reason.
while IFS='|' read -r name want; do
	if grep -qF -- "$want" "$dom"; then ok "dom_$name"; else fail "dom_$name" "'$want' not in the rendered DOM"; fi
done <<'WANT'
run_label|6.19.0-rc1
instance_anchor|id="i-cow_reuse_thp_pte_8M"
instance_key|>cow_reuse/thp_pte/8M<
not_significant|class="l notsig">not significant<
improvement|class="l improvement">improvement (relative to the shift)<
behaviour_change|cow.copy 2048 → 0
skip_reason|needs a second CPU (1 online)
environment|<details><summary>6.18.0
WANT
if command -v gnuplot >/dev/null; then
	n=$(grep -o '<svg' "$dom" | wc -l)
	if [ "$n" = 22 ]; then ok dom_svg_plots; else fail dom_svg_plots "$n <svg> in the DOM (want 22)"; fi
fi

chromium_run "file://$html" --screenshot="$TMP/shot.png" --window-size=1280,2000
rc=$?
if [ "$rc" = 0 ] && [ "$(head -c 4 "$TMP/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 89504e47 ] &&
	[ "$(stat -c %s "$TMP/shot.png")" -gt 20000 ]; then
	ok screenshot
else
	fail screenshot "exit $rc: $(ls -l "$TMP/shot.png" 2>&1); $(tail -2 "$TMP/chromium.err")"
fi
# Kept for a look: build/report-test/ (report and screenshot of the last run).
mkdir -p "$ROOT/build/report-test" && cp "$TMP/shot.png" "$html" "$ROOT/build/report-test/" 2>/dev/null
