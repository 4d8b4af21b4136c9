// Package decrees holds sets of Pegasus decrees as sorted ranges. A
// replica's decrees are nearly contiguous, so a set stays tiny however long
// the log: this is how replay, fixtures and reports keep memory bounded.
package decrees

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Range is the decrees First..Last, both inclusive.
type Range struct {
	First int64 `json:"first"`
	Last  int64 `json:"last"`
}

func (r Range) String() string {
	if r.First == r.Last {
		return fmt.Sprint(r.First)
	}
	return fmt.Sprintf("%d..%d", r.First, r.Last)
}

// Set is a set of decrees kept as sorted, disjoint, non-adjacent ranges.
// The zero value is empty and ready to use.
type Set struct {
	r []Range
}

// Of returns the set of the given ranges (a range with First > Last is
// empty).
func Of(rs ...Range) *Set {
	s := &Set{}
	for _, r := range rs {
		s.AddRange(r.First, r.Last)
	}
	return s
}

// Decrees are int64 on disk and a hostile file can hold any of them, so no
// arithmetic here may overflow: "d+1" and "d-1" are only taken where the
// bound check says they exist, and an adjacency test is written as a
// difference that cannot wrap.

// touches reports first <= b+1 (a range starting at first overlaps or
// adjoins one ending at b), computed without overflow.
func touches(b, first int64) bool { return first <= b || first-1 == b }

// Add inserts d; appending in ascending order is O(1).
func (s *Set) Add(d int64) { s.AddRange(d, d) }

// AddRange inserts first..last (both inclusive; nothing if first > last) in
// O(log n + ranges merged), whatever the width of the range.
func (s *Set) AddRange(first, last int64) {
	if first > last {
		return
	}
	n := len(s.r)
	// Fast path: appending above everything.
	if n == 0 || !touches(s.r[n-1].Last, first) {
		s.r = append(s.r, Range{first, last})
		return
	}
	// i: the first range that ends at or after first-1 (touches or is above).
	i := sort.Search(n, func(i int) bool { return touches(s.r[i].Last, first) })
	// j: one past the last range that starts at or before last+1.
	j := sort.Search(n, func(j int) bool { return s.r[j].First > last && !touches(last, s.r[j].First) })
	if i >= j {
		// Nothing to merge with: insert at i.
		s.r = append(s.r, Range{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = Range{first, last}
		return
	}
	merged := Range{min(first, s.r[i].First), max(last, s.r[j-1].Last)}
	s.r[i] = merged
	s.r = append(s.r[:i+1], s.r[j:]...)
}

// Contains reports whether d is in s.
func (s *Set) Contains(d int64) bool {
	i := sort.Search(len(s.r), func(i int) bool { return s.r[i].Last >= d })
	return i < len(s.r) && s.r[i].First <= d
}

// Len is the number of decrees in s.
// It saturates at math.MaxInt64 (a set can span every int64).
func (s *Set) Len() int64 { return Count(s.r) }

// Min and Max are the smallest and largest decree, 0 when s is empty.
func (s *Set) Min() int64 {
	if len(s.r) == 0 {
		return 0
	}
	return s.r[0].First
}

func (s *Set) Max() int64 {
	if len(s.r) == 0 {
		return 0
	}
	return s.r[len(s.r)-1].Last
}

// Minus returns the ranges of s that are not in o.
func (s *Set) Minus(o *Set) []Range {
	out := []Range{}
	j := 0
	for _, r := range s.r {
		lo := r.First
		for j < len(o.r) && o.r[j].Last < lo {
			j++
		}
		covered := false // o covers r from lo to its end
		for k := j; k < len(o.r) && o.r[k].First <= r.Last; k++ {
			if o.r[k].First > lo {
				out = append(out, Range{lo, o.r[k].First - 1})
			}
			if o.r[k].Last >= r.Last { // lo = Last+1 might not exist
				covered = true
				break
			}
			lo = max(lo, o.r[k].Last+1)
		}
		if !covered {
			out = append(out, Range{lo, r.Last})
		}
	}
	return out
}

// Ranges returns a copy of the ranges, never nil.
func (s *Set) Ranges() []Range { return append([]Range{}, s.r...) }

// Count is the number of decrees in rs, saturating at math.MaxInt64.
func Count(rs []Range) int64 {
	var n uint64
	for _, r := range rs {
		if r.First > r.Last {
			continue
		}
		w := uint64(r.Last) - uint64(r.First) + 1 // wraps to 0 only for all of int64
		if w == 0 || n+w < n || n+w > math.MaxInt64 {
			return math.MaxInt64
		}
		n += w
	}
	return int64(n)
}

// Format renders ranges as "1..5,7", "-" when empty.
func Format(rs []Range) string {
	if len(rs) == 0 {
		return "-"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}
