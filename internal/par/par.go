// Package par runs independent pieces of work on a bounded number of
// goroutines: the writes and flushes of a plog round, the files of a
// benchmark round, the files verify scans.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// MaxWorkersPerCPU caps a requested worker count: the work is reading and
// checksumming, which more goroutines than a few per CPU do not speed up,
// and each busy worker holds a read buffer (up to 1 MiB), so an unbounded
// count (--workers 100000) only costs memory.
const MaxWorkersPerCPU = 4

// Workers is the number of goroutines to use for n pieces of work when
// requested were asked for: one per CPU when requested <= 0, never more
// than MaxWorkersPerCPU per CPU nor more than n, at least 1.
func Workers(requested, n int) int {
	procs := runtime.GOMAXPROCS(0)
	w := requested
	if w <= 0 {
		w = procs
	}
	return max(1, min(w, MaxWorkersPerCPU*procs, n))
}

// Each calls f(i) for every i in [0, n) on up to workers goroutines, the
// calling one among them, and returns when every call has returned. The
// calls take the indexes in order, each as soon as a goroutine is free.
func Each(n, workers int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
