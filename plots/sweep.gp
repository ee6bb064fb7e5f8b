# sweep.gp - a metric against a swept setting or parameter: one line per
# combination of the other settings that differ (placement, memory
# policy...), each point the median of the repetition samples with the
# 95% CI of the median as an error bar.
#
# Data: one block per line (blocks two blank lines apart), each opening
# with a header whose second column names the line; then rows: 1 x
# (the value, or its position for words), 2 x as text, 3 median, 4 CI
# low, 5 CI high, 6 1 when there is a CI. Error bars are drawn first, the
# lines and points over them.
# Variables: nseries, logx (0/1), categorical (0/1; then ncats).

if (logx) set logscale x 2
set yrange [0 : *]
set key outside right top vertical
if (categorical) {
    set xrange [-0.5 : ncats - 0.5]
    plot for [i = 0 : nseries - 1] data index i \
             using (column(6) > 0 ? column(1) : 1/0):3:4:5 with yerrorbars lt i + 1 pt 0 notitle, \
         for [i = 0 : nseries - 1] data index i using 1:3:xtic(2) with linespoints lt i + 1 \
             title columnheader(2)
} else {
    set offsets graph 0.04, graph 0.04, 0, 0
    plot for [i = 0 : nseries - 1] data index i \
             using (column(6) > 0 ? column(1) : 1/0):3:4:5 with yerrorbars lt i + 1 pt 0 notitle, \
         for [i = 0 : nseries - 1] data index i using 1:3 with linespoints lt i + 1 \
             title columnheader(2)
}
