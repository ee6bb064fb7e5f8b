# hist.gp - the histogram of event latencies as recorded (every event, in
# log-linear buckets) on log-log axes: for each bucket, the share of
# events divided by the bucket's width in octaves, so that the buckets,
# narrower in log terms towards the top of each power of two, do not draw
# a saw-tooth; the tails stay visible on the log scale.
#
# Data: one block per configuration, opening with a header naming it;
# rows: 1 bucket centre (geometric), 2 density (% of events per octave),
# 3 bucket low, 4 bucket high (seconds when timeaxis).
# Variables: nseries, timeaxis (0/1), yfloor (the bottom of the y axis).

set logscale xy
if (timeaxis) set format x '%.0s %cs'
set format y '%g'
set mxtics 10
set grid xtics ytics mxtics lc rgb '#e3e3e3', lc rgb '#f2f2f2'
set yrange [yfloor : *]
set key below center horizontal maxcols 2
set bmargin 5.0 + ceil(nseries / 2.0) * 1.25
set style fill transparent solid 0.45 noborder
plot for [i = 0 : nseries - 1] data index i using 1:2:3:4:(yfloor):2 with boxxyerror lt i + 1 \
    title columnheader(1)
