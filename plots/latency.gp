# Latency per write as a CDF: of one instance, one line per kernel (latency-*.tsv); or of the
# writes that faulted, one line per folio size and kernel (faultlat-*.tsv).
# Input (TSV written by cowbench plot): one block per line, blocks apart by two empty lines; each
# block's first line "TITLE<TAB>LABEL" (the title only in the first block), then rows
# "LATENCY_NS<TAB>PERCENT_AT_OR_BELOW" ("-" for a line without figures). An optional third cell in
# the first block's first line: lines per colour (the kernels of one folio size), told apart by dash.
# Usage: gnuplot -e "in='latency-X.tsv'; out='latency-X.svg'; term='svg'" plots/latency.gp
set datafile separator "\t"
set datafile missing "-"
ttl = ''
per = 1
stats in index 0 every ::0::0 using (ttl = strcol(1), per = (valid(3) && column(3) >= 1 ? int(column(3)) : 1), 0) nooutput
stats in using 1 nooutput
nk = STATS_blocks
if (term eq 'svg') {
	set terminal svg size 900,520 noenhanced font 'sans,12' background '#ffffff'
} else {
	set terminal pngcairo size 900,520 noenhanced font 'sans,10' background '#ffffff'
}
set output out
set title ttl
set logscale x
set format x '%.0s%cs'
set xlabel 'latency per write (s, log scale)'
set ylabel 'writes at or below this latency (%)'
set yrange [0:100]
set ytics 10
set grid xtics mxtics ytics
set key bottom right
# The values are in ns: scale to seconds so that the SI prefixes on the axis are right.
plot for [k = 0:nk - 1] in index k using ($1 * 1e-9):2 with lines lw 2 lc (k / per + 1) dt int(k % per) + 1 title columnheader(2)
