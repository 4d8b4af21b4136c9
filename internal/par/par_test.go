package par

import (
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
