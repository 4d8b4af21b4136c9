// Package decrees holds sets of Pegasus decrees as sorted ranges. A
// replica's decrees are nearly contiguous, so a set stays tiny however long
// the log: this is how replay, fixtures and reports keep memory bounded.
package decrees

import (
	"fmt"
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

// Of returns the set of the given ranges.
func Of(rs ...Range) *Set {
	s := &Set{}
	for _, r := range rs {
		for d := r.First; d <= r.Last; d++ {
			s.Add(d)
		}
	}
	return s
}

// Add inserts d; appending in ascending order is O(1).
func (s *Set) Add(d int64) {
	n := len(s.r)
	if n == 0 || d > s.r[n-1].Last+1 {
		s.r = append(s.r, Range{d, d})
		return
	}
	if d == s.r[n-1].Last+1 {
		s.r[n-1].Last = d
		return
	}
	// First range that ends at or after d-1.
	i := sort.Search(n, func(i int) bool { return s.r[i].Last >= d-1 })
	switch c := &s.r[i]; {
	case c.First <= d && d <= c.Last:
	case c.Last == d-1:
		c.Last = d
		if i+1 < n && s.r[i+1].First == d+1 {
			c.Last = s.r[i+1].Last
			s.r = append(s.r[:i+1], s.r[i+2:]...)
		}
	case c.First == d+1:
		c.First = d
	default:
		s.r = append(s.r, Range{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = Range{d, d}
	}
}

// Contains reports whether d is in s.
func (s *Set) Contains(d int64) bool {
	i := sort.Search(len(s.r), func(i int) bool { return s.r[i].Last >= d })
	return i < len(s.r) && s.r[i].First <= d
}

// Len is the number of decrees in s.
func (s *Set) Len() int64 {
	var n int64
	for _, r := range s.r {
		n += r.Last - r.First + 1
	}
	return n
}

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
		for k := j; k < len(o.r) && o.r[k].First <= r.Last && lo <= r.Last; k++ {
			if o.r[k].First > lo {
				out = append(out, Range{lo, o.r[k].First - 1})
			}
			lo = max(lo, o.r[k].Last+1)
		}
		if lo <= r.Last {
			out = append(out, Range{lo, r.Last})
		}
	}
	return out
}

// Ranges returns a copy of the ranges, never nil.
func (s *Set) Ranges() []Range { return append([]Range{}, s.r...) }

// Count is the number of decrees in rs.
func Count(rs []Range) int64 {
	var n int64
	for _, r := range rs {
		n += r.Last - r.First + 1
	}
	return n
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
