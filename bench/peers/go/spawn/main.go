// spawn: the Go peer of mnbench's `spawn`.
//
// Two figures:
//   - throughput: one goroutine starts -n goroutines that only call
//     wg.Done, then waits for all of them; ns per goroutine covers create,
//     schedule, run and exit.
//   - latency: from `go f()` to f's first instruction, one goroutine at a
//     time, nothing else runnable.
//
// Run with GOMAXPROCS=1 for the comparison (run.sh does): with one P the
// figure is the scheduler's own cost, with no cross-thread wakeups in it.
package main

import (
	"flag"
	"runtime"
	"sync"

	"mnbench/peers/internal/stats"
)

func throughput(n int) float64 {
	var wg sync.WaitGroup
	wg.Add(n)
	t0 := stats.Now()
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return float64(stats.Now()-t0) / float64(n)
}

// latency times one spawn per trial. The spawner blocks on the channel
// right after `go`, because with one P the new goroutine (put in the P's
// runnext slot) cannot start before the spawner gives up the P; so the
// figure is newproc + the spawner parking + schedule + switch to the new
// goroutine, which is what "spawn onto an idle runtime" costs in Go.
// The stamp is taken by the child as its first action and sent back, so
// the send's cost is not in the figure.
func latency(trials int, out []float64) []float64 {
	ch := make(chan int64)
	for i := 0; i < trials; i++ {
		t0 := stats.Now()
		go func() { ch <- stats.Now() }()
		t1 := <-ch
		out = append(out, float64(t1-t0))
	}
	return out
}

func main() {
	reps := flag.Int("reps", 10, "measured repetitions (after one warm-up)")
	n := flag.Int("n", 100000, "goroutines spawned per repetition")
	trials := flag.Int("trials", 10000, "spawn-latency trials per repetition")
	flag.Parse()

	// One unmeasured repetition first: it grows the heap and fills the
	// runtime's free-G list, as mnbench's runner warms up before it measures.
	throughput(*n)
	latency(*trials, nil)

	var perG []float64
	var lat []float64
	for r := 0; r < *reps; r++ {
		perG = append(perG, throughput(*n))
		lat = latency(*trials, lat)
	}
	procs := runtime.GOMAXPROCS(0)
	stats.New("spawn").KV("mode", "throughput").KV("gomaxprocs", procs).KV("n", *n).
		KV("reps", *reps).Sample("ns_per_g", perG).Print()
	stats.New("spawn").KV("mode", "latency").KV("gomaxprocs", procs).KV("trials", len(lat)).
		Latency("spawn_to_run_ns", lat).Print()
}
