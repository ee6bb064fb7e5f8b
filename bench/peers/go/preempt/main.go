// preempt: the Go peer of mnbench's `preempt`.
//
// GOMAXPROCS=1. Each trial makes a victim goroutine runnable in the P's
// local run queue behind a hog goroutine that spins in a loop with no
// calls (so only asynchronous preemption, sysmon's SIGURG after Go's fixed
// 10 ms slice, can take the P from it). The victim's start time, measured
// from the hog's start, is the figure:
//
//	start_delay_ms  victim start - hog start
//	latency_ms      victim start - (hog start + 10 ms), i.e. how late Go's
//	                preemption is past its nominal slice (sysmon only
//	                checks at its own, backing-off, tick).
//
// Percentiles are pooled over reps x trials.
//
// Phase: sysmon ticks every 10 ms once it has backed off, and a trial
// ends right at a tick (the preemption), so back-to-back trials would all
// start at the same point of sysmon's period and measure one value over
// and over (20.2 ms on the KVM guest this was written on). Before each
// trial the main goroutine therefore spins for a random 0..-jitter time,
// keeping the P busy (so sysmon stays in its backed-off steady state, as
// it would under a real CPU-bound load) while spreading the hog's start
// uniformly over sysmon's period. -jitter 0 shows the phase-locked value.
package main

import (
	"flag"
	"math/rand"
	"runtime"
	"sync/atomic"
	"time"

	"mnbench/peers/internal/stats"
)

const slice = 10 * time.Millisecond // Go's forcePreemptNS

var (
	victimRan int32
	sink      uint64
)

func hog(start *int64, done chan<- struct{}) {
	*start = stats.Now()
	x := uint64(1)
	// atomic.LoadInt32 is a compiler intrinsic on amd64 (a plain load, no
	// call), so this loop has no preemption check of its own; the load
	// keeps the compiler from hoisting the exit test out of the loop.
	for atomic.LoadInt32(&victimRan) == 0 {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
	done <- struct{}{}
}

func victim(start *int64, done chan<- struct{}) {
	*start = stats.Now()
	atomic.StoreInt32(&victimRan, 1)
	done <- struct{}{}
}

// trial returns victim start - hog start in ns.
func trial() int64 {
	var hs, vs int64
	done := make(chan struct{}, 2)
	atomic.StoreInt32(&victimRan, 0)
	// Order matters: `go` puts the new goroutine in the P's runnext slot
	// and pushes the previous occupant to the local run queue. Spawning
	// the victim first and the hog second leaves the hog in runnext (it
	// runs as soon as this goroutine parks) and the victim queued behind
	// it on the same P.
	go victim(&vs, done)
	go hog(&hs, done)
	<-done
	<-done
	if vs <= hs {
		stats.Fail("preempt", "victim ran before the hog (hog %d, victim %d)", hs, vs)
	}
	return vs - hs
}

func main() {
	reps := flag.Int("reps", 10, "repetitions of -trials trials")
	trials := flag.Int("trials", 50, "trials per repetition")
	jitter := flag.Duration("jitter", slice, "random busy spin (0..jitter) before each trial")
	pause := flag.Duration("pause", 0, "idle time (time.Sleep) between trials")
	flag.Parse()

	rng := rand.New(rand.NewSource(1)) // fixed seed: same spins every run

	trial() // warm-up
	var delay, late, repP50 []float64
	for r := 0; r < *reps; r++ {
		var d []float64
		for i := 0; i < *trials; i++ {
			if *jitter > 0 {
				until := stats.Now() + rng.Int63n(int64(*jitter))
				for stats.Now() < until {
				}
			}
			ns := trial()
			d = append(d, float64(ns)/1e6)
			late = append(late, float64(ns-int64(slice))/1e6)
			if *pause > 0 {
				time.Sleep(*pause)
			}
		}
		delay = append(delay, d...)
		repP50 = append(repP50, stats.Percentile(d, 50))
	}
	procs := runtime.GOMAXPROCS(0)
	stats.New("preempt").KV("gomaxprocs", procs).KV("slice_ms", slice.Milliseconds()).
		KV("jitter_ms", jitter.Milliseconds()).
		KV("trials", len(delay)).Latency("latency_ms", late).Latency("start_delay_ms", delay).
		Print()
	// Spread of the per-repetition medians, to show how stable the p50 is.
	stats.New("preempt").KV("gomaxprocs", procs).KV("reps", *reps).
		Sample("start_delay_ms_rep_p50", repP50).Print()
}
