# cdf.gp - the distribution of event latencies: for each configuration the
# fraction of events at or below x, on a log time axis, with the 50th,
# 90th and 99th percentiles marked.
#
# Data: one block per configuration, opening with a header naming it;
# rows: 1 latency (seconds when timeaxis, else the metric's unit),
# 2 fraction of events <= it.
# Variables: nseries, timeaxis (0/1).

set logscale x
if (timeaxis) set format x '%.0s %cs'
set mxtics 10
set grid xtics mxtics ytics lc rgb '#e3e3e3', lc rgb '#f2f2f2'
set yrange [0 : 1.0]
set ytics 0.1 format '%.1f'
set key below center horizontal maxcols 2
set bmargin 5.0 + ceil(nseries / 2.0) * 1.25
set rmargin 7
do for [q in '0.5 0.9 0.99'] {
    set arrow from graph 0, first q+0 to graph 1, first q+0 nohead dt 2 lc rgb '#999999'
}
set label 11 'p50' at graph 1.01, first 0.5 left font ',10' textcolor rgb '#777777'
set label 12 'p90' at graph 1.01, first 0.9 left font ',10' textcolor rgb '#777777'
set label 13 'p99' at graph 1.01, first 0.99 left font ',10' textcolor rgb '#777777'
plot for [i = 0 : nseries - 1] data index i using 1:2 with steps lt i + 1 \
    title columnheader(1)
