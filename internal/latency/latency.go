// Package latency summarises latency samples the same way for every write
// benchmark (waltool bench write and the bench/ module's etcd mode), so that
// their tables compare like with like.
package latency

import (
	"math"
	"slices"
)

// US are latency statistics in microseconds.
type US struct {
	Avg   float64 `json:"avg"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	P9999 float64 `json:"p9999"`
	Max   float64 `json:"max"`
}

// Of sorts ns (nanoseconds) and returns its statistics in µs; the
// q-quantile is the smallest value with at least q of the samples at or
// below it.
func Of(ns []int64) US {
	if len(ns) == 0 {
		return US{}
	}
	slices.Sort(ns)
	var sum float64
	for _, v := range ns {
		sum += float64(v)
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ns)))) - 1
		return float64(ns[max(0, min(i, len(ns)-1))]) / 1e3
	}
	return US{Avg: sum / float64(len(ns)) / 1e3, P50: q(0.5), P95: q(0.95), P99: q(0.99), P999: q(0.999), P9999: q(0.9999), Max: float64(ns[len(ns)-1]) / 1e3}
}
