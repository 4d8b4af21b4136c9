// Package par runs independent pieces of work on a bounded number of
// goroutines: the writes and flushes of a plog round, the files of a
// benchmark round, the files verify scans.
package par

import (
	"sync"
	"sync/atomic"
)

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
