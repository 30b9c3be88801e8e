# Grouped bars: ns per page (mean over repetitions, 95 % CI error bars) of one scenario's
# instances, one bar per kernel.
# Input (TSV written by cowbench plot): header "TITLE<TAB>KERNEL<TAB>ci_lo<TAB>ci_hi..." then one
# row per instance: "LABEL<TAB>mean<TAB>lo<TAB>hi..." (3 columns per kernel, "-" when absent).
# Usage: gnuplot -e "in='bars-X.tsv'; out='bars-X.svg'; term='svg'" plots/bars.gp
set datafile separator "\t"
set datafile missing "-"
ttl = ''
stats in every ::0::0 using (ttl = strcol(1), 0) nooutput
# Every line counts (a constant): a kernel without this scenario has only "-" in its columns.
stats in using (1) nooutput
nk = (STATS_columns - 1) / 3
# A THP next to a 4 KiB page can differ 100-fold: beyond 20-fold, small bars vanish on a linear axis.
lo = 1e300; hi = 0
do for [k = 0:nk - 1] {
	undefine STATS_*
	stats in every ::1 using (column(2 + 3 * k)) nooutput
	if (exists('STATS_records') && STATS_records > 0) { lo = (STATS_min < lo ? STATS_min : lo); hi = (STATS_max > hi ? STATS_max : hi) }
}
if (term eq 'svg') {
	set terminal svg size 1000,520 noenhanced font 'sans,12' background '#ffffff'
} else {
	set terminal pngcairo size 1000,520 noenhanced font 'sans,10' background '#ffffff'
}
set output out
set title ttl
set ylabel 'time per page (ns)'
set xlabel 'backing'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 nomirror
set grid ytics
set key below height 1
islog = lo > 0 && hi / lo > 20
if (islog) { set logscale y; set ylabel 'time per page (ns, log scale)' } else { set yrange [0:*] }
# A CI reaching zero or below cannot be drawn on a log axis: there it goes down to a tenth of the mean.
low(c) = islog && column(c) <= 0 ? column(c - 1) / 10 : column(c)
plot for [k = 0:nk - 1] in using (column(2 + 3 * k)):(low(3 + 3 * k)):(column(4 + 3 * k)):xtic(1) \
    title columnheader(2 + 3 * k)
