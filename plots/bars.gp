# bars.gp - one horizontal bar per configuration: the median of the
# repetition samples, the 95% confidence interval of the median as an
# error bar (none below 6 repetitions), the value written beside it.
#
# Data, one row per configuration, drawn top to bottom: 1 label, 2 median,
# 3 CI low, 4 CI high, 5 repetitions, 6 the value as text, 7 where the
# text starts (the CI's end, or the median's when there is no CI), 8 1 when
# there is a CI. (An undefined x drops a row; undefined bar ends would
# still draw a cap at 0.)
# Variables: nrows; xmax, the largest median or CI end; scale, what the
# axis multiplies values by (a power of 1000, named in xlabel_text).

set yrange [nrows - 0.45 : -0.55]
set xrange [0 : xmax * scale * 1.25]
set ytics scale 0
set grid xtics noytics
set rmargin 6
unset key
set style fill solid 0.85 noborder
plot data using ($2 * scale / 2):0:($2 * scale / 2):(0.34):ytic(1) with boxxyerror lt 1, \
     data using (column(8) > 0 ? column(2) * scale : 1/0):0:($3 * scale):($4 * scale) \
         with xerrorbars lc rgb '#1a1a1a' lw 1.6 pt 0, \
     data using ($7 * scale):0:6 with labels left offset 0.8, 0 font ',11' \
         textcolor rgb '#1a1a1a'
