# Latency per write of one instance as a CDF, one line per kernel.
# Input (TSV written by cowbench plot): one block per kernel, blocks apart by two empty lines; each
# block's first line "TITLE<TAB>KERNEL" (the title only in the first block), then rows
# "LATENCY_NS<TAB>PERCENT_AT_OR_BELOW" ("-" for a kernel without figures).
# Usage: gnuplot -e "in='latency-X.tsv'; out='latency-X.svg'; term='svg'" plots/latency.gp
set datafile separator "\t"
set datafile missing "-"
ttl = ''
stats in index 0 every ::0::0 using (ttl = strcol(1), 0) nooutput
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
plot for [k = 0:nk - 1] in index k using ($1 * 1e-9):2 with lines lw 2 lc (k + 1) title columnheader(2)
