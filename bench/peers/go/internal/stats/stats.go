// Package stats holds the few helpers every peer program shares: order
// statistics and the one-line `name key=value ...` output format, so that
// all seven programs print figures the same way.
package stats

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// base anchors Now. time.Since on a monotonic reading goes through the
// runtime's nanotime (vDSO clock_gettime(CLOCK_MONOTONIC)), the same clock
// mnbench's mnb_now_ns() reads, so Go and C timestamps mean the same thing.
var base = time.Now()

// Now returns monotonic nanoseconds since program start.
func Now() int64 { return int64(time.Since(base)) }

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

// Percentile is nearest-rank (no interpolation), so every figure printed
// is a value that was actually observed.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := sorted(xs)
	i := int(p/100*float64(len(s))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// Median of an even count is the mean of the two middle values.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := sorted(xs)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func MinMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := sorted(xs)
	return s[0], s[len(s)-1]
}

// F formats with precision that depends on magnitude: enough digits to
// compare runs, never a wall of them.
func F(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// Line builds one result line: `name key=value key=value ...`.
type Line struct{ b strings.Builder }

func New(name string) *Line {
	l := &Line{}
	l.b.WriteString(name)
	return l
}

// KV appends a key with a value printed as is (floats through F).
func (l *Line) KV(k string, v interface{}) *Line {
	var s string
	switch x := v.(type) {
	case float64:
		s = F(x)
	default:
		s = fmt.Sprint(x)
	}
	l.b.WriteString(" " + k + "=" + s)
	return l
}

// Sample appends a per-repetition metric: median under the metric's own
// name (the figure to compare), then _min and _max for the spread.
func (l *Line) Sample(metric string, perRep []float64) *Line {
	lo, hi := MinMax(perRep)
	return l.KV(metric, Median(perRep)).KV(metric+"_min", lo).KV(metric+"_max", hi)
}

// Latency appends a per-event metric pooled over all repetitions.
func (l *Line) Latency(metric string, events []float64) *Line {
	_, hi := MinMax(events)
	return l.KV(metric+"_p50", Percentile(events, 50)).
		KV(metric+"_p99", Percentile(events, 99)).
		KV(metric+"_max", hi)
}

func (l *Line) Print() { fmt.Println(l.b.String()) }

// Fail reports a broken run (wrong result, impossible ordering) and exits
// non-zero, so run.sh and anyone scripting the peers notice.
func Fail(name, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, name+": "+format+"\n", args...)
	os.Exit(1)
}
