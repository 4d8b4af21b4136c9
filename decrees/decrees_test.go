package decrees

import (
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
