# Time per page against folio size: populate (fault_anon), fork, COW (cow_child), reuse
# (cow_reuse) and zap (zap_munmap), one line per phase (colour) and kernel (dash and point).
# Input (TSV written by cowbench plot): header "TITLE<TAB>PHASE, KERNEL<TAB>ci_lo<TAB>ci_hi..."
# then one row per folio size: "BYTES<TAB>mean<TAB>lo<TAB>hi..." (3 columns per phase and kernel,
# phase-major, 5 phases; "-" when absent).
# Usage: gnuplot -e "in='folio-8M.tsv'; out='folio-8M.svg'; term='svg'" plots/folio.gp
set datafile separator "\t"
set datafile missing "-"
nphases = 5
ttl = ''
stats in every ::0::0 using (ttl = strcol(1), 0) nooutput
stats in using 1 nooutput
nk = (STATS_columns - 1) / (3 * nphases)
if (term eq 'svg') {
	set terminal svg size 1100,720 noenhanced font 'sans,12' background '#ffffff'
} else {
	set terminal pngcairo size 1100,720 noenhanced font 'sans,10' background '#ffffff'
}
set output out
set title ttl
set logscale x 2
set logscale y
set xtics ('4K' 4096, '8K' 8192, '16K' 16384, '32K' 32768, '64K' 65536, '128K' 131072, \
    '256K' 262144, '512K' 524288, '1M' 1048576, '2M' 2097152, '4M' 4194304, '16M' 16777216, \
    '32M' 33554432, '512M' 536870912, '1G' 1073741824)
set offsets graph 0.03, graph 0.03, 0, 0
set xlabel 'folio size (bytes, log scale)'
set ylabel 'time per page (ns, log scale)'
set grid xtics ytics
set key below maxcols 2 height 1
set bars small
# One colour per phase (populate, fork, COW, reuse, zap); kernels differ by dash and point.
pal = '#7b2fbf #1a9850 #d62728 #1f77b4 #e08a00'
# A CI reaching zero or below cannot be drawn on a log axis: it goes down to a tenth of the mean.
low(c) = column(c) > 0 ? column(c) : column(c - 1) / 10
plot for [c = 0:nphases * nk - 1] in using 1:(column(2 + 3 * c)):(low(3 + 3 * c)):(column(4 + 3 * c)) \
    with yerrorlines lc rgb word(pal, c / nk + 1) dt 1 + c % nk pt ((c % nk) * 2 + 5) lw 1.5 title columnheader(2 + 3 * c)
