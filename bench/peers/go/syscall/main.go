// syscall: the Go peer of mnbench's `syscall`.
//
// GOMAXPROCS=1. Four sleeper goroutines loop on 1 ms nanosleeps made as
// real blocking system calls (syscall.Nanosleep goes through
// syscall.Syscall, i.e. entersyscall/exitsyscall, and the thread really
// blocks in the kernel; time.Sleep would park the goroutine on a timer
// instead and never block a thread). Beside them one compute goroutine
// runs a fixed CPU loop for -dur. Each repetition first runs the same
// compute loop alone for -dur (the baseline, same process, same moment),
// then with the sleepers.
//
// Figures:
//
//	compute_kept_pct  chunks/s with sleepers over chunks/s alone, x100.
//	sleeper_rate_pct  nanosleep calls started inside the compute window per
//	                  second, over the ideal 4 x 1000/s, x100.
//	handoff_us        P handoff latency, pooled over all repetitions.
//	stall_us          length of each compute stall that had a syscall in it.
//
// How handoff_us is measured. The compute loop does a fixed chunk of
// arithmetic (well under a microsecond) and then stamps the monotonic
// clock; whenever two consecutive stamps are more than -gap apart, the
// compute goroutine was off the CPU in between, and the pair
// (last stamp before, first stamp after) is kept as a stall. Each sleeper
// stamps the same clock right before entering nanosleep. With one P, a
// sleeper that enters the kernel keeps the P (status _Psyscall) until
// sysmon retakes it and hands it to another M; so for each stall the
// latest syscall entry that falls inside it is the syscall whose P was
// finally handed back to the compute goroutine, and
//
//	handoff = first compute stamp after the stall - that syscall entry.
//
// It includes sysmon noticing the P in syscall (it requires two of its
// ticks), handoffp/startm, waking a thread and schedule() picking the
// compute goroutine. The error is at most one compute chunk plus one clock
// read (the resume is only seen at the next stamp). Stalls with no syscall
// entry inside (host or interrupt noise) are ignored.
package main

import (
	"flag"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mnbench/peers/internal/stats"
)

const sleepers = 4

// chunkIters xorshift rounds per chunk: a dependent chain of ~3 ops each,
// a few hundred ns per chunk on a current x86, so a stall is resolved to
// well under a microsecond while the clock reads stay a small share.
const chunkIters = 256

var sink uint64

type stall struct{ a, b int64 }

// compute runs the CPU loop for dur ns; returns chunks done, the window,
// and the stalls longer than thresh ns.
func compute(dur, thresh int64, stalls []stall) (chunks, t0, t1 int64, out []stall) {
	x := sink | 1
	t0 = stats.Now()
	last, end := t0, t0+dur
	for last < end {
		for i := 0; i < chunkIters; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
		chunks++
		now := stats.Now()
		if now-last > thresh && len(stalls) < cap(stalls) {
			stalls = append(stalls, stall{last, now})
		}
		last = now
	}
	sink = x
	return chunks, t0, last, stalls
}

// sleeper records the time of each nanosleep entry into entries (kept
// preallocated so it never allocates inside the measurement).
func sleeper(stop *int32, entries *[]int64, wg *sync.WaitGroup) {
	defer wg.Done()
	ts := syscall.Timespec{Nsec: 1000000}
	e := *entries
	for atomic.LoadInt32(stop) == 0 {
		t := stats.Now()
		if len(e) < cap(e) {
			e = append(e, t)
		}
		syscall.Nanosleep(&ts, nil)
	}
	*entries = e
}

type result struct {
	kept, rate float64
	handoff    []float64 // us
	stalls     []float64 // us
}

func rep(dur time.Duration, thresh int64) result {
	d := int64(dur)
	buf := make([]stall, 0, 1<<16)

	// Baseline: the compute loop alone.
	done := make(chan struct{})
	var baseChunks, b0, b1 int64
	go func() {
		baseChunks, b0, b1, _ = compute(d, thresh, buf)
		close(done)
	}()
	<-done
	baseRate := float64(baseChunks) / float64(b1-b0)

	// With the sleepers. They start first and get a few ms to be in their
	// loops, so the compute window sees the steady state.
	var stop int32
	var wg sync.WaitGroup
	entries := make([][]int64, sleepers)
	capPer := int(d/1e6)*2 + 1000
	for i := range entries {
		entries[i] = make([]int64, 0, capPer)
		wg.Add(1)
		go sleeper(&stop, &entries[i], &wg)
	}
	time.Sleep(5 * time.Millisecond)
	done = make(chan struct{})
	var chunks, t0, t1 int64
	var stalls []stall
	go func() {
		chunks, t0, t1, stalls = compute(d, thresh, buf)
		atomic.StoreInt32(&stop, 1)
		close(done)
	}()
	<-done
	wg.Wait()

	var all []int64
	for _, e := range entries {
		all = append(all, e...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	inWindow := sort.Search(len(all), func(i int) bool { return all[i] > t1 }) -
		sort.Search(len(all), func(i int) bool { return all[i] >= t0 })

	var res result
	res.kept = 100 * (float64(chunks) / float64(t1-t0)) / baseRate
	res.rate = 100 * (float64(inWindow) / (float64(t1-t0) / 1e9)) / (sleepers * 1000)
	for _, s := range stalls {
		// Latest syscall entry inside the stall.
		i := sort.Search(len(all), func(i int) bool { return all[i] > s.b }) - 1
		if i < 0 || all[i] < s.a {
			continue
		}
		res.handoff = append(res.handoff, float64(s.b-all[i])/1e3)
		res.stalls = append(res.stalls, float64(s.b-s.a)/1e3)
	}
	return res
}

func main() {
	reps := flag.Int("reps", 10, "measured repetitions (after one warm-up)")
	dur := flag.Duration("dur", 500*time.Millisecond, "compute window, alone and with sleepers, per repetition")
	gap := flag.Duration("gap", 5*time.Microsecond, "a compute stamp interval above this is a stall")
	flag.Parse()

	rep(*dur/10, int64(*gap)) // warm-up
	var kept, rate, handoff, stalls []float64
	for r := 0; r < *reps; r++ {
		res := rep(*dur, int64(*gap))
		kept = append(kept, res.kept)
		rate = append(rate, res.rate)
		handoff = append(handoff, res.handoff...)
		stalls = append(stalls, res.stalls...)
	}
	procs := runtime.GOMAXPROCS(0)
	stats.New("syscall").KV("gomaxprocs", procs).KV("sleepers", sleepers).
		KV("dur_ms", dur.Milliseconds()).KV("reps", *reps).
		Sample("compute_kept_pct", kept).Sample("sleeper_rate_pct", rate).Print()
	stats.New("syscall").KV("gomaxprocs", procs).KV("events", len(handoff)).
		Latency("handoff_us", handoff).Latency("stall_us", stalls).Print()
}
