package decrees

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A set must agree with a plain map under any insertion order.
func TestSetAgreesWithMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 200; round++ {
		var s, o Set
		in, ino := map[int64]bool{}, map[int64]bool{}
		for i := 0; i < 60; i++ {
			d := rng.Int64N(80)
			s.Add(d)
			in[d] = true
			e := rng.Int64N(80)
			o.Add(e)
			ino[e] = true
		}
		for d := int64(-1); d <= 81; d++ {
			if s.Contains(d) != in[d] {
				t.Fatalf("contains(%d)", d)
			}
		}
		if s.Len() != int64(len(in)) {
			t.Fatalf("len %d vs %d", s.Len(), len(in))
		}
		var want []Range
		for d := int64(0); d < 80; d++ {
			if in[d] && !ino[d] {
				if n := len(want); n > 0 && want[n-1].Last == d-1 {
					want[n-1].Last = d
				} else {
					want = append(want, Range{d, d})
				}
			}
		}
		if want == nil {
			want = []Range{}
		}
		if d := cmp.Diff(want, s.Minus(&o)); d != "" {
			t.Fatal(d)
		}
		for i := 1; i < len(s.r); i++ {
			if s.r[i].First <= s.r[i-1].Last+1 {
				t.Fatalf("ranges not disjoint and separated: %v", s.r)
			}
		}
	}
	if Format(Of(Range{1, 3}, Range{5, 5}).Ranges()) != "1..3,5" {
		t.Fatal("format")
	}
}

// Decrees at the ends of int64 (a hostile checkpoint dir, a forged
// mutation) neither wrap nor loop: every operation is O(ranges).
func TestExtremeDecrees(t *testing.T) {
	const maxD, minD = math.MaxInt64, math.MinInt64
	var s Set
	s.Add(maxD)
	s.Add(maxD - 1)
	s.Add(minD)
	s.Add(minD + 1)
	s.Add(0)
	if d := cmp.Diff([]Range{{minD, minD + 1}, {0, 0}, {maxD - 1, maxD}}, s.Ranges()); d != "" {
		t.Fatal(d)
	}
	if !s.Contains(maxD) || !s.Contains(minD) || s.Contains(1) || s.Len() != 5 {
		t.Fatalf("contains/len: %v %d", s.Ranges(), s.Len())
	}
	all := Of(Range{minD, maxD}) // every int64, at once
	if all.Len() != math.MaxInt64 || len(all.Ranges()) != 1 {
		t.Fatalf("all: %v %d", all.Ranges(), all.Len())
	}
	if got := all.Minus(&s); Count(got) != math.MaxInt64 || len(got) != 2 {
		t.Fatalf("all minus s: %v", got)
	}
	if got := s.Minus(all); len(got) != 0 {
		t.Fatalf("s minus all: %v", got)
	}
	wide := Of(Range{1, maxD})
	wide.AddRange(minD, 0)
	if d := cmp.Diff([]Range{{minD, maxD}}, wide.Ranges()); d != "" {
		t.Fatal(d)
	}
	var m Set
	m.AddRange(10, 20)
	m.AddRange(30, 40)
	m.AddRange(21, 29) // joins both
	m.AddRange(50, 40) // empty
	if d := cmp.Diff([]Range{{10, 40}}, m.Ranges()); d != "" {
		t.Fatal(d)
	}
}
