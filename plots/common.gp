# common.gp - the look every mnbench plot shares.
#
# `mnbench plot` writes each figure's script (plots/<name>.gp, next to its
# data <name>.dat) as: the variables below, this file, the figure's
# template (bars.gp, sweep.gp, cdf.gp, hist.gp), then the same figure again
# as SVG. Run `gnuplot <name>.gp` in that folder to draw it again.
#
# Strings from a run (benchmark and metric names, labels, the machine) are
# untrusted: they appear only in the data files (legends come from their
# column headers) or as single-quoted variables, never in double quotes,
# where gnuplot would run `backquoted` commands.
#
# Variables: out (file name without extension), data (the data file),
# title_text, subtitle_text, note_text, xlabel_text, ylabel_text,
# width, height (pixels).

set encoding utf8
set micro                       # %c writes µ, not u
set terminal pngcairo size width, height font 'DejaVu Sans,13' noenhanced
set termoption noenhanced
set output out . '.png'

set datafile separator "\t"
set key autotitle columnheader noenhanced

# Title, machine and notes at fixed distances from the top, in pixels.
top_px = strlen(note_text) > 0 ? 100.0 : 82.0
set tmargin at screen 1 - top_px / height
set label 1 title_text at screen 0.5, screen 1 - 28.0 / height center font ',17'
set label 2 subtitle_text at screen 0.5, screen 1 - 54.0 / height center font ',11' \
    textcolor rgb '#555555'
if (strlen(note_text) > 0) \
    set label 3 note_text at screen 0.5, screen 1 - 74.0 / height center \
        font ',10' textcolor rgb '#555555'

# Paul Tol's "bright" scheme (distinct for colour-blind readers), then grey
# and black.
set linetype 1 lc rgb '#4477AA' lw 2.2 pt 7 ps 1.2
set linetype 2 lc rgb '#EE6677' lw 2.2 pt 5 ps 1.1
set linetype 3 lc rgb '#228833' lw 2.2 pt 9 ps 1.4
set linetype 4 lc rgb '#CCBB44' lw 2.2 pt 11 ps 1.4
set linetype 5 lc rgb '#66CCEE' lw 2.2 pt 13 ps 1.3
set linetype 6 lc rgb '#AA3377' lw 2.2 pt 15 ps 1.2
set linetype 7 lc rgb '#888888' lw 2.2 pt 4 ps 1.2
set linetype 8 lc rgb '#000000' lw 2.2 pt 6 ps 1.2
# Beyond eight lines, the same colours dashed.
palette = '#4477AA #EE6677 #228833 #CCBB44 #66CCEE #AA3377 #888888 #000000'
do for [i = 1 : 8] {
    set linetype i + 8 lc rgb word(palette, i) lw 2.2 dt 2 pt i + 3 ps 1.2
}
set linetype cycle 16

set border 3 lc rgb '#333333' lw 1.2
set tics nomirror out scale 0.7 textcolor rgb '#222222'
set grid lc rgb '#e3e3e3' lw 1 dt 1
set xlabel xlabel_text
set ylabel ylabel_text
set key box lc rgb '#cccccc' opaque samplen 2.5 spacing 1.15
