// chan: the Go peer of mnbench's `chan`.
//
// Two goroutines ping-pong one value over two unbuffered channels; each
// send hands off to a receiver already parked on the channel, so a
// round trip is two one-way handoffs. ns per handoff = elapsed / (2n).
//
// Run it twice (run.sh does): GOMAXPROCS=1 (mode=sameP: both goroutines
// on one P, each handoff is park + runnext switch) and GOMAXPROCS=2
// (mode=twoP: Go is free to run them on two Ps, so the handoff may include
// waking another thread; Go does not promise either placement, which is
// why the mode is named after GOMAXPROCS, not after where they ran).
package main

import (
	"flag"
	"runtime"
	"sync"

	"mnbench/peers/internal/stats"
)

func run(n int) float64 {
	ping := make(chan int)
	pong := make(chan int)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	var t0, t1 int64
	go func() {
		defer wg.Done()
		t0 = stats.Now()
		v := 0
		for i := 0; i < n; i++ {
			ping <- v
			v = <-pong
		}
		t1 = stats.Now()
		close(ping)
	}()
	wg.Wait()
	return float64(t1-t0) / float64(2*n)
}

func main() {
	reps := flag.Int("reps", 10, "measured repetitions (after one warm-up)")
	n := flag.Int("n", 200000, "round trips per repetition")
	flag.Parse()

	procs := runtime.GOMAXPROCS(0)
	mode := "sameP"
	if procs > 1 {
		mode = "twoP"
	}
	run(*n / 10) // warm-up
	var ns []float64
	for r := 0; r < *reps; r++ {
		ns = append(ns, run(*n))
	}
	stats.New("chan").KV("mode", mode).KV("gomaxprocs", procs).KV("n", 2**n).
		KV("reps", *reps).Sample("ns_per_handoff", ns).Print()
}
