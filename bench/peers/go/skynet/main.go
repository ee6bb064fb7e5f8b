// skynet: the Go peer of mnbench's `skynet`.
//
// The classic skynet benchmark: a 10-ary tree of goroutines with 1,000,000
// leaves (1,111,111 goroutines in all); each leaf sends its number, each
// inner node sums its children over an unbuffered channel. The sum must be
// 499999500000. Reports ms per run and peak RSS (VmHWM) at the end, which
// is the peak over the whole process (warm-up and all reps included), the
// same thing mnbench reads.
package main

import (
	"bufio"
	"flag"
	"os"
	"runtime"
	"strconv"
	"strings"

	"mnbench/peers/internal/stats"
)

// skynet is the original program's function, unchanged in shape.
func skynet(c chan int, num, size, div int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int)
	sum := 0
	for i := 0; i < div; i++ {
		sub := num + i*(size/div)
		go skynet(rc, sub, size/div, div)
	}
	for i := 0; i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func run(leaves int) (float64, int) {
	c := make(chan int)
	t0 := stats.Now()
	go skynet(c, 0, leaves, 10)
	sum := <-c
	return float64(stats.Now()-t0) / 1e6, sum
}

// vmHWM returns VmHWM from /proc/self/status in kB, or -1.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "VmHWM:") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				if v, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
					return v
				}
			}
		}
	}
	return -1
}

func main() {
	reps := flag.Int("reps", 10, "measured repetitions (after one warm-up)")
	leaves := flag.Int("leaves", 1000000, "leaves (a power of 10)")
	flag.Parse()

	want := *leaves * (*leaves - 1) / 2
	var ms []float64
	var sum int
	for r := -1; r < *reps; r++ { // r == -1 is the warm-up
		t, s := run(*leaves)
		if s != want {
			stats.Fail("skynet", "sum %d, want %d", s, want)
		}
		sum = s
		if r >= 0 {
			ms = append(ms, t)
		}
	}
	stats.New("skynet").KV("gomaxprocs", runtime.GOMAXPROCS(0)).KV("leaves", *leaves).
		KV("reps", *reps).KV("sum", sum).Sample("ms_per_run", ms).
		KV("peak_rss_kb", vmHWM()).Print()
}
