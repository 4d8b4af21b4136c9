package replay

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/format"
)

func m(b, d, lcd int64) *format.Mutation {
	return &format.Mutation{Gpid: g14, Ballot: b, Decree: d, LastCommittedDecree: lcd}
}

func merged(t *testing.T, streams ...[]*format.Mutation) ([]mu, []bool, MergeStats) {
	t.Helper()
	var ss []Stream
	for _, s := range streams {
		ss = append(ss, NewSliceStream(s...))
	}
	var got []mu
	var committed []bool
	st, err := Merge(ss, func(x *format.Mutation, c bool) error {
		got = append(got, mu{x.Ballot, x.Decree, x.LastCommittedDecree})
		committed = append(committed, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, committed, st
}

// A replica whose writes moved between two streams (raft-engine #258's
// write token): the merge orders by decree and the higher ballot wins.
func TestMergeOrdersByDecreeHigherBallotWins(t *testing.T) {
	a := []*format.Mutation{m(1, 1, 0), m(1, 2, 1), m(1, 5, 2), m(2, 6, 5)}
	b := []*format.Mutation{m(1, 3, 2), m(1, 4, 3), m(2, 5, 4), m(2, 7, 6)}
	got, committed, st := merged(t, a, b)
	want := []mu{{1, 1, 0}, {1, 2, 1}, {1, 3, 2}, {1, 4, 3}, {2, 5, 4}, {2, 6, 5}, {2, 7, 6}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(mu{})); d != "" {
		t.Fatal(d)
	}
	if !committed[5] || committed[6] || st.Duplicates != 1 {
		t.Fatalf("committed %v, stats %+v", committed, st)
	}
	// The same streams in the other order give the same result.
	got2, _, _ := merged(t, b, a)
	if d := cmp.Diff(want, got2, cmp.AllowUnexported(mu{})); d != "" {
		t.Fatal(d)
	}
}

// Property: however a replica's log is split over N streams (with copies,
// and stale lower-ballot proposals), the merge recovers, per decree, the
// highest-ballot mutation, in decree order.
func TestMergeProperty(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := rng.IntN(4) + 1
		streams := make([][]*format.Mutation, n)
		best := map[int64]int64{}
		var ballot int64 = 1
		var lcd int64
		for d := int64(1); d <= 60; d++ {
			if rng.IntN(10) == 0 {
				// A stale proposal at the old ballot, then a primary change.
				s := rng.IntN(n)
				streams[s] = append(streams[s], m(ballot, d, lcd))
				ballot++
			}
			x := m(ballot, d, lcd)
			best[d] = ballot
			for s := 0; s < n; s++ {
				if s == int(d)%n || rng.IntN(4) == 0 {
					streams[s] = append(streams[s], x)
				}
			}
			if rng.IntN(3) > 0 {
				lcd = d
			}
		}
		got, _, _ := merged(t, streams...)
		if len(got) != 60 {
			t.Fatalf("seed %d: %d decrees", seed, len(got))
		}
		for i, x := range got {
			if x.d != int64(i+1) || x.b != best[x.d] {
				t.Fatalf("seed %d: position %d is %+v, want decree %d ballot %d", seed, i, x, i+1, best[int64(i+1)])
			}
		}
	}
}
