// switch: the Go peer of mnbench's `switch`.
//
// Two goroutines each call runtime.Gosched() -n times on GOMAXPROCS=1, so
// every Gosched hands the only P to the other one: ns per switch is the
// elapsed time over the total number of Gosched calls (2n). Go's Gosched
// goes through the global run queue (it is a "yield to anyone"), which is
// part of what is being compared.
package main

import (
	"flag"
	"runtime"
	"sync"

	"mnbench/peers/internal/stats"
)

func run(n int) float64 {
	var wg sync.WaitGroup
	var start sync.WaitGroup
	wg.Add(2)
	start.Add(1)
	body := func() {
		defer wg.Done()
		// Both goroutines begin together so the first few yields are
		// not yields to nobody.
		start.Wait()
		for i := 0; i < n; i++ {
			runtime.Gosched()
		}
	}
	go body()
	go body()
	t0 := stats.Now()
	start.Done()
	wg.Wait()
	return float64(stats.Now()-t0) / float64(2*n)
}

func main() {
	reps := flag.Int("reps", 10, "measured repetitions (after one warm-up)")
	n := flag.Int("n", 500000, "Gosched calls per goroutine per repetition")
	flag.Parse()

	run(*n / 10) // warm-up
	var ns []float64
	for r := 0; r < *reps; r++ {
		ns = append(ns, run(*n))
	}
	stats.New("switch").KV("gomaxprocs", runtime.GOMAXPROCS(0)).KV("n", 2**n).
		KV("reps", *reps).Sample("ns_per_switch", ns).Print()
}
