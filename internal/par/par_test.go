package par

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// Every index is done exactly once, with at most workers calls at a time.
func TestEachDoesEveryIndexOnceWithinTheBound(t *testing.T) {
	for _, c := range []struct{ n, workers int }{{0, 4}, {1, 4}, {5, 1}, {100, 3}, {3, 8}} {
		seen := make([]atomic.Int32, c.n)
		var running, peak atomic.Int32
		Each(c.n, c.workers, func(i int) {
			r := running.Add(1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			seen[i].Add(1)
			running.Add(-1)
		})
		for i := range seen {
			if seen[i].Load() != 1 {
				t.Fatalf("n=%d workers=%d: index %d done %d times", c.n, c.workers, i, seen[i].Load())
			}
		}
		if int(peak.Load()) > max(c.workers, 1) {
			t.Fatalf("n=%d workers=%d: %d calls at once", c.n, c.workers, peak.Load())
		}
	}
}

// Issue 9: --workers 100000 cost 288 MB on a 1 MB root. Workers caps a
// request at MaxWorkersPerCPU per CPU and at the number of pieces.
func TestWorkersIsCapped(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, c := range []struct{ req, n, want int }{
		{100000, 1 << 20, MaxWorkersPerCPU * procs},
		{100000, 3, min(3, MaxWorkersPerCPU*procs)},
		{0, 1 << 20, procs},
		{-5, 1 << 20, procs},
		{2, 0, 1},
		{1, 10, 1},
	} {
		if got := Workers(c.req, c.n); got != c.want {
			t.Errorf("Workers(%d, %d) = %d, want %d", c.req, c.n, got, c.want)
		}
	}
}
