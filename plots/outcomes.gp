# COW outcome of the written pages (copy / reuse / nofault, % of the pages) as stacked bars, one
# bar per backing and kernel, for one scenario.
# Input (TSV written by cowbench plot): header "TITLE<TAB>copy<TAB>reuse<TAB>nofault<TAB>run<TAB>kernel",
# then rows "BACKING (K)<TAB>copy %<TAB>reuse %<TAB>nofault %<TAB>K<TAB>KERNEL" ("-" where a kernel
# has no figures; K numbers the kernels), with an empty row (zeros, K = 0) between backings when
# there are several kernels.
# Usage: gnuplot -e "in='outcomes-X.tsv'; out='outcomes-X.svg'; term='svg'" plots/outcomes.gp
set datafile separator "\t"
set datafile missing "-"
ttl = ''
stats in every ::0::0 using (ttl = strcol(1), 0) nooutput
stats in every ::1 using 5 nooutput
rows = STATS_records
nk = int(STATS_max)
array kernel[nk]
stats in every ::1 using (column(5) > 0 ? kernel[int(column(5))] = strcol(6) : 0, 0) nooutput
width = rows * 30 + 250
width = width < 800 ? 800 : width
if (term eq 'svg') {
	set terminal svg size width,640 noenhanced font 'sans,12' background '#ffffff'
} else {
	set terminal pngcairo size width,640 noenhanced font 'sans,10' background '#ffffff'
}
set output out
set title ttl
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.75
set yrange [0:100]
set ylabel 'written pages (%)'
set xlabel nk > 1 ? 'backing (run)' : 'backing'
set xtics rotate by -45 nomirror
set grid ytics
set key below maxcols 1 height 1
set rmargin 8
plot in using 2:xtic(1) lc rgb '#d62728' title 'copy (new page)', \
    '' using 3 lc rgb '#2ca02c' title 'reuse (same page)', \
    '' using 4 lc rgb '#9e9e9e' title 'nofault (already writable)', \
    for [k = 1:nk] keyentry with boxes fc rgb '#ffffff' fs empty lc rgb '#ffffff' \
    title (nk > 1 ? sprintf('(%d) ', k) : 'run: ') . kernel[k]
