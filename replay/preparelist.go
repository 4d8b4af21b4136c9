package replay

import (
	"errors"
	"fmt"
	"math"

	"github.com/waltool/waltool/format"
)

// ErrAbort marks a state in which the Pegasus server hits a CHECK and
// aborts the whole process (not just the replica) while replaying.
var ErrAbort = errors.New("the server aborts (CHECK failure)")

// stuckError is a state in which the server's replay loops forever
// instead of aborting; to an operator it is the same verdict as ErrAbort
// (the server never comes up), so errors.Is(err, ErrAbort) holds.
type stuckError struct{ msg string }

func (e *stuckError) Error() string        { return "the server hangs (replay never ends): " + e.msg }
func (e *stuckError) Is(target error) bool { return target == ErrAbort }

// DefaultMaxPrepareCount is [replication] max_mutation_count_in_prepare_list.
const DefaultMaxPrepareCount = 110

// entry is what the prepare list keeps of a mutation: its identity, and
// the mutation itself only when the caller asked for the recovered stream.
type entry struct {
	ballot, decree, lcd int64
	m                   *format.Mutation
	at                  Loc // where m was read, with m
}

// mutationCache is mutation_cache (src/replica/mutation_cache.cpp), a ring
// of max_count slots over the decree window [start, end]; holes are empty
// slots. Ported field by field because its capacity rule and its window
// arithmetic decide when a real server aborts.
type mutationCache struct {
	array            []*entry
	maxCount         int
	interval         int // slots spanned, holes included
	startIdx, endIdx int
	startDec, endDec int64
}

func newMutationCache(init int64, maxCount int) *mutationCache {
	c := &mutationCache{array: make([]*entry, maxCount), maxCount: maxCount}
	c.reset(init, false)
	return c
}

func (c *mutationCache) reset(init int64, clear bool) {
	c.startDec, c.endDec = init, init
	c.startIdx, c.endIdx = 0, 0
	c.interval = 0
	if clear {
		for i := range c.array {
			c.array[i] = nil
		}
	}
}

func (c *mutationCache) minDecree() int64 { return c.startDec }
func (c *mutationCache) maxDecree() int64 { return c.endDec }
func (c *mutationCache) count() int       { return c.interval }

// put is mutation_cache::put; false is ERR_CAPACITY_EXCEEDED.
func (c *mutationCache) put(e *entry) (bool, error) {
	d := e.decree
	delta, tag := 0, 0
	switch {
	case c.interval == 0:
		delta, tag = 1, 0
	case d > c.endDec:
		delta, tag = span(c.endDec, d), 1
	case d < c.startDec:
		delta, tag = span(d, c.startDec), -1
	}
	if delta+c.interval > c.maxCount {
		return false, nil
	}
	idx := int(((d-c.endDec)+int64(c.endIdx)+int64(c.maxCount))%int64(c.maxCount)+int64(c.maxCount)) % c.maxCount
	if old := c.array[idx]; old != nil && old.ballot > e.ballot {
		return false, fmt.Errorf("%w: mutation_cache::put: decree %d ballot %d would replace ballot %d", ErrAbort, d, e.ballot, old.ballot)
	}
	c.array[idx] = e
	c.interval += delta
	switch {
	case tag > 0:
		c.endIdx, c.endDec = idx, d
	case tag < 0:
		c.startIdx, c.startDec = idx, d
	case c.interval == 1:
		c.startIdx, c.endIdx = idx, idx
		c.startDec, c.endDec = d, d
	}
	return true, nil
}

// span is hi-lo for lo <= hi, capped at math.MaxInt32: the C++ computes
// it in int64 and compares it with max_count, so any value past the
// capacity answers the same, and capping keeps a hostile decree from
// wrapping the difference.
func span(lo, hi int64) int {
	if d := uint64(hi) - uint64(lo); d < math.MaxInt32 {
		return int(d)
	}
	return math.MaxInt32
}

func (c *mutationCache) popMin() *entry {
	if c.interval == 0 {
		return nil
	}
	e := c.array[c.startIdx]
	c.array[c.startIdx] = nil
	c.interval--
	c.startIdx = (c.startIdx + 1) % c.maxCount
	if c.interval == 0 {
		c.endDec, c.endIdx = c.startDec, c.startIdx
	} else {
		c.startDec++
	}
	return e
}

func (c *mutationCache) get(d int64) *entry {
	if d < c.startDec || d > c.endDec {
		return nil
	}
	return c.array[(int64(c.startIdx)+(d-c.startDec)+int64(c.maxCount))%int64(c.maxCount)]
}

// prepareList is prepare_list (src/replica/prepare_list.cpp) in the
// PS_INACTIVE state a replica is in while it replays its logs.
type prepareList struct {
	*mutationCache
	lcd    int64
	commit func(e *entry) // the committer: replica::execute_mutation
}

func newPrepareList(init int64, maxCount int, commit func(*entry)) *prepareList {
	return &prepareList{mutationCache: newMutationCache(init, maxCount), lcd: init, commit: commit}
}

func (p *prepareList) reset(init int64) {
	p.lcd = init
	p.mutationCache.reset(init, true)
}

// prepare is prepare_list::prepare for PS_INACTIVE: a last_committed_decree
// beyond everything cached jumps over the hole (reset, nothing applied);
// otherwise it commits hard up to it, which aborts the server if a decree
// in between is missing or ballots go down.
func (p *prepareList) prepare(e *entry) error {
	if e.decree <= p.lcd {
		return fmt.Errorf("%w: prepare_list::prepare: decree %d <= last committed %d", ErrAbort, e.decree, p.lcd)
	}
	if e.lcd > p.maxDecree() {
		p.reset(e.lcd)
	} else if e.lcd > p.lcd {
		if err := p.commitHard(e.lcd); err != nil {
			return err
		}
	}
	for span(p.minDecree(), e.decree) >= p.maxCount && e.decree > p.minDecree() && p.lcd > p.minDecree() {
		if p.count() == 0 {
			// pop_min on an empty cache moves nothing, so the server's
			// loop never ends. Reached after a mutation whose
			// last_committed_decree was not below its own decree reset
			// the list past it (a damaged or forged log).
			return &stuckError{fmt.Sprintf("prepare_list::prepare: decree %d: the pop_min loop never ends (empty cache, min_decree %d below last_committed_decree %d)",
				e.decree, p.minDecree(), p.lcd)}
		}
		p.popMin()
	}
	ok, err := p.put(e)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: mutation_cache::put: decree %d does not fit the prepare list window %d..%d of %d slots (ERR_CAPACITY_EXCEEDED)",
			ErrAbort, e.decree, p.minDecree(), p.maxDecree(), p.maxCount)
	}
	return nil
}

// commitHard is prepare_list::commit(d, COMMIT_TO_DECREE_HARD).
func (p *prepareList) commitHard(d int64) error {
	var lastBallot int64
	for p.lcd < d {
		d0 := p.lcd + 1
		e := p.get(d0)
		if e == nil {
			return fmt.Errorf("%w: prepare_list::commit: mutation %d is missing in prepare list (committing up to %d)", ErrAbort, d0, d)
		}
		if e.ballot < lastBallot {
			return fmt.Errorf("%w: prepare_list::commit: ballot of decree %d is %d, below %d of the decree before", ErrAbort, d0, e.ballot, lastBallot)
		}
		p.lcd++
		lastBallot = e.ballot
		p.commit(e)
	}
	return nil
}

// above returns the cached entries with a decree above d, in decree order.
func (p *prepareList) above(d int64) []*entry {
	var out []*entry
	if p.count() == 0 {
		return nil
	}
	// Walk the window by slot, not by decree, so that neither d+1 nor
	// maxDecree+1 is ever computed.
	for i := 0; i < p.count(); i++ {
		if e := p.array[(p.startIdx+i)%p.maxCount]; e != nil && e.decree > d {
			out = append(out, e)
		}
	}
	return out
}
