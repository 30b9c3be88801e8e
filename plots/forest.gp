# Forest plot of one side of a comparison: every instance's ratio to the baseline (its headline
# timing, ns_per_page where it has one) with its 95 % interval on a log axis, the common shift of
# the timings as a line, the instances' spread around it (shift × exp(±1.96 spread)) as a band,
# the shift's own interval where run-level error gave one, and verdicts marked.
# Input (TSV written by cowbench compare --format html): header
# "TITLE<TAB>shift<TAB>band_lo<TAB>band_hi<TAB>shift_lo<TAB>shift_hi" ("-" where absent), then one
# row per instance "KEY<TAB>ratio<TAB>lo<TAB>hi<TAB>code" (code 0 no verdict, 1 regression,
# 2 improvement, 3 regression relative to the shift, 4 improvement relative to it).
# Usage: gnuplot -e "in='forest-1.tsv'; out='forest-1.svg'; term='svg'" plots/forest.gp
set datafile separator "\t"
set datafile missing "-"
ttl = ''; sh = 0; blo = 0; bhi = 0; slo = 0; shi = 0
stats in every ::0::0 using (ttl = strcol(1), sh = column(2), blo = column(3), bhi = column(4), 0) nooutput
hasband = sh > 0 && blo > 0
stats in every ::0::0 using (slo = column(5), shi = column(6), 0) nooutput
hasci = slo > 0 && shi > 0
stats in every ::1 using 2 nooutput
rows = STATS_records
xmin = STATS_min; xmax = STATS_max
stats in every ::1 using 3 nooutput
xmin = STATS_min < xmin ? STATS_min : xmin
stats in every ::1 using 4 nooutput
xmax = STATS_max > xmax ? STATS_max : xmax
if (hasband) { xmin = blo < xmin ? blo : xmin; xmax = bhi > xmax ? bhi : xmax }
xmin = xmin < 1 ? xmin : 1
xmax = xmax > 1 ? xmax : 1
xmin = xmin <= 0 ? 0.01 : xmin
height = rows * 14 + 170
if (term eq 'svg') {
	set terminal svg size 900,height noenhanced font 'sans,11' background '#ffffff'
} else {
	set terminal pngcairo size 900,height noenhanced font 'sans,9' background '#ffffff'
}
set output out
set title ttl
set logscale x
set xrange [xmin / 1.1 : xmax * 1.1]
set yrange [0 : rows + 1]
set xlabel 'ratio to the baseline (log scale; > 1 slower for times)'
set ytics nomirror font ',8'
set grid xtics
set key below
if (hasband) { set object 1 rect from blo, graph 0 to bhi, graph 1 behind fillcolor rgb '#dde8f5' fillstyle solid 1.0 noborder }
if (hasci) { set object 2 rect from slo, graph 0 to shi, graph 1 behind fillcolor rgb '#9fbde0' fillstyle solid 1.0 noborder }
set arrow 1 from 1, graph 0 to 1, graph 1 nohead dashtype 2 linecolor rgb '#777777'
if (hasband) { set arrow 2 from sh, graph 0 to sh, graph 1 nohead linewidth 2 linecolor rgb '#1f5fa8' }
row(r) = rows - r
sel(c) = column(5) == c ? column(2) : NaN
plot \
	NaN with filledcurves fillcolor rgb '#dde8f5' title "instances' spread around the shift (not its uncertainty)", \
	NaN with lines linewidth 2 linecolor rgb '#1f5fa8' title 'common shift', \
	in every ::1 using 2:(row($0)):3:4:ytic(1) with xerrorbars pointtype 7 pointsize 0.5 linecolor rgb '#555555' title 'not significant', \
	in every ::1 using (sel(1)):(row($0)) with points pointtype 7 pointsize 0.9 linecolor rgb '#c0392b' title 'regression', \
	in every ::1 using (sel(2)):(row($0)) with points pointtype 7 pointsize 0.9 linecolor rgb '#1e8449' title 'improvement', \
	in every ::1 using (sel(3)):(row($0)) with points pointtype 6 pointsize 1.1 linecolor rgb '#c0392b' title 'slower than the shift', \
	in every ::1 using (sel(4)):(row($0)) with points pointtype 6 pointsize 1.1 linecolor rgb '#1e8449' title 'faster than the shift'
