package replay

import (
	"container/heap"
	"errors"
	"io"

	"github.com/waltool/waltool/format"
)

// Stream yields one replica's mutations in log order (io.EOF at the end).
// The mutation may be reused after the next call.
type Stream interface {
	Next() (*format.Mutation, error)
}

// MergeStats counts what merging dropped.
type MergeStats struct {
	Emitted    int
	Duplicates int // a decree already emitted, same or lower ballot
	// Conflicts are decrees that showed up again with a higher ballot
	// after they were emitted: streams that disagree on committed data.
	Conflicts int
}

// Merge establishes the total order of one replica's mutations spread over
// several log streams (the multi-WAL question of raft-engine issue 258,
// answered with the replica's own sequence: decree, then ballot). For each
// decree the mutation with the highest ballot wins; equal ballots go to the
// lowest stream index, so the result is deterministic. A decree is emitted,
// in ascending order, once every unfinished stream's last_committed_decree
// has reached it (no stream can still hold a newer proposal for it), so
// memory is bounded by the uncommitted window, not by the log. What is left
// at the end (never committed by every stream) is emitted last with
// committed=false, still in decree order.
func Merge(streams []Stream, emit func(m *format.Mutation, committed bool) error) (MergeStats, error) {
	var st MergeStats
	type cur struct {
		s    Stream
		idx  int
		head *format.Mutation
		lcd  int64 // highest last_committed_decree read so far
		done bool
	}
	curs := make([]*cur, len(streams))
	heads := &mergeHeap{}
	advance := func(c *cur) error {
		m, err := c.s.Next()
		if errors.Is(err, io.EOF) {
			c.done, c.head = true, nil
			return nil
		}
		if err != nil {
			return err
		}
		c.head = m.Clone()
		c.lcd = max(c.lcd, m.LastCommittedDecree)
		heap.Push(heads, headItem{c.head, c.idx})
		return nil
	}
	for i, s := range streams {
		curs[i] = &cur{s: s, idx: i}
		if err := advance(curs[i]); err != nil {
			return st, err
		}
	}
	pending := map[int64]headItem{}
	var order decreeHeap
	emitted := int64(-1 << 62)
	var emittedBallot = map[int64]int64{} // only decrees of the last window, pruned below
	flush := func(upTo int64, committed bool) error {
		for order.Len() > 0 && order[0] <= upTo {
			d := heap.Pop(&order).(int64)
			it := pending[d]
			delete(pending, d)
			if err := emit(it.m, committed); err != nil {
				return err
			}
			st.Emitted++
			emitted = d
			emittedBallot[d] = it.m.Ballot
		}
		return nil
	}
	for heads.Len() > 0 {
		it := heap.Pop(heads).(headItem)
		c := curs[it.stream]
		d := it.m.Decree
		switch old, ok := pending[d]; {
		case d <= emitted:
			if b, seen := emittedBallot[d]; seen && it.m.Ballot > b {
				st.Conflicts++
			} else {
				st.Duplicates++
			}
		case !ok:
			pending[d] = it
			heap.Push(&order, d)
		case it.m.Ballot > old.m.Ballot || it.m.Ballot == old.m.Ballot && it.stream < old.stream:
			pending[d] = it
			st.Duplicates++
		default:
			st.Duplicates++
		}
		if err := advance(c); err != nil {
			return st, err
		}
		water := int64(1<<63 - 1)
		for _, c := range curs {
			if !c.done {
				water = min(water, c.lcd)
			}
		}
		if water == 1<<63-1 {
			continue // every stream ended; the rest is flushed below
		}
		if err := flush(water, true); err != nil {
			return st, err
		}
		if window := int64(len(streams)) * DefaultMaxPrepareCount; int64(len(emittedBallot)) > 4*window {
			for d := range emittedBallot {
				if d < water-window {
					delete(emittedBallot, d)
				}
			}
		}
	}
	// Committed by some stream: everything up to the highest lcd seen.
	var top int64
	for _, c := range curs {
		top = max(top, c.lcd)
	}
	if err := flush(top, true); err != nil {
		return st, err
	}
	return st, flush(1<<63-1, false)
}

type headItem struct {
	m      *format.Mutation
	stream int
}

// mergeHeap orders stream heads by decree, so streams advance together.
type mergeHeap []headItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].m.Decree != h[j].m.Decree {
		return h[i].m.Decree < h[j].m.Decree
	}
	return h[i].stream < h[j].stream
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(headItem)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type decreeHeap []int64

func (h decreeHeap) Len() int           { return len(h) }
func (h decreeHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h decreeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *decreeHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *decreeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// SliceStream is a Stream over mutations in memory (tests, small logs).
type SliceStream struct {
	ms []*format.Mutation
	i  int
}

// NewSliceStream returns a Stream over ms.
func NewSliceStream(ms ...*format.Mutation) *SliceStream { return &SliceStream{ms: ms} }

func (s *SliceStream) Next() (*format.Mutation, error) {
	if s.i >= len(s.ms) {
		return nil, io.EOF
	}
	s.i++
	return s.ms[s.i-1], nil
}
