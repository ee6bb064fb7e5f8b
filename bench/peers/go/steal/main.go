// steal: the Go peer of mnbench's `steal` (fan-out).
//
// One goroutine spawns -n tiny goroutines (atomic increment + wg.Done) on
// GOMAXPROCS=2. They all land on the spawner's P; the second P only gets
// work by stealing (Go's spawn wakes an idle P, whose M steals half of the
// spawner's run queue). ns per task is elapsed / n, from the first spawn
// to the last Done.
package main

import (
	"flag"
	"runtime"
	"sync"
	"sync/atomic"

	"mnbench/peers/internal/stats"
)

var counter int64

func run(n int) float64 {
	var wg sync.WaitGroup
	atomic.StoreInt64(&counter, 0)
	wg.Add(n)
	t0 := stats.Now()
	for i := 0; i < n; i++ {
		go func() {
			atomic.AddInt64(&counter, 1)
			wg.Done()
		}()
	}
	wg.Wait()
	ns := float64(stats.Now()-t0) / float64(n)
	if c := atomic.LoadInt64(&counter); c != int64(n) {
		stats.Fail("steal", "counter %d, want %d", c, n)
	}
	return ns
}

func main() {
	reps := flag.Int("reps", 10, "measured repetitions (after one warm-up)")
	n := flag.Int("n", 100000, "tasks per repetition")
	flag.Parse()

	run(*n) // warm-up: grows the free-G list like mnbench's warm-up rep
	var ns []float64
	for r := 0; r < *reps; r++ {
		ns = append(ns, run(*n))
	}
	stats.New("steal").KV("mode", "fanout").KV("gomaxprocs", runtime.GOMAXPROCS(0)).
		KV("n", *n).KV("reps", *reps).Sample("ns_per_task", ns).Print()
}
