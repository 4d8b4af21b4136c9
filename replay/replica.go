package replay

import (
	"math"

	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// replica is the part of a Pegasus replica that log replay touches.
type replica struct {
	gpid          gpid.Gpid
	ballot        int64
	app           int64 // the app's last committed decree (RocksDB)
	durable       int64
	initPrivate   int64 // .init-info init_offset_in_private_log
	initShared    int64 // .init-info init_offset_in_shared_log
	plist         *prepareList
	keepMutations bool // retain payloads for the recovered stream
	emit          func(m *format.Mutation, at Loc)

	// The plog's in-memory state after its replay (mutation_log).
	plogMaxDecree    int64
	plogMaxCommit    int64 // max_commit_on_disk: max last_committed_decree accepted
	plogDecrees      decrees.Set
	plogMutations    int
	slogDecrees      decrees.Set
	slogMutations    int
	slogMaxDecree    int64 // 2.3's smax: accepted slog mutations
	appendedFromSlog int
	appendedMax      int64
	plogRead         int64 // mutations the plog replay delivered
	err              error
	slogAbort        bool    // err is a CHECK the slog replay hit (located there)
	last             outcome // what replayMutation did with the last mutation
}

// outcome is what replayMutation did with one mutation, for Options.OnSlog.
type outcome struct {
	ballotRaised, beforeStart, appended, prepared bool
}

func newReplica(g gpid.Gpid, durable, ballot, initPrivate, initShared int64, maxCount int) *replica {
	r := &replica{gpid: g, ballot: ballot, app: durable, durable: durable, initPrivate: initPrivate, initShared: initShared}
	r.plist = newPrepareList(durable, maxCount, r.execute)
	return r
}

// execute is replica::execute_mutation in PS_INACTIVE: the app applies a
// committed decree only if it is the next one; otherwise it skips it
// silently (after a reset jump the list runs ahead of the app).
func (r *replica) execute(e *entry) {
	if r.app == math.MaxInt64 || r.app+1 != e.decree {
		return
	}
	r.app = e.decree
	if r.emit != nil && e.m != nil {
		r.emit(e.m, e.at)
	}
}

// replayMutation is replica::replay_mutation (src/replica/replica_init.cpp,
// v2.4.0/v2.5.0; same in rdsn 2.3). It returns whether the log counts the
// mutation as accepted (which raises the log's max decree). at is where m
// was read, kept with the mutation for the recovered stream.
func (r *replica) replayMutation(m *format.Mutation, at Loc, private bool) (bool, error) {
	d := m.Decree
	r.last = outcome{}
	// "it's very import to keep the ballot"
	if m.Ballot > r.ballot {
		r.ballot = m.Ballot
		r.last.ballotRaised = true
	}
	if private && m.LogOffset < r.initPrivate {
		r.last.beforeStart = true
		return false, nil
	}
	if !private && m.LogOffset < r.initShared {
		r.last.beforeStart = true
		return false, nil
	}
	// Fix private log completeness when it is from shared: the server
	// appends the mutation to the plog. The append completes
	// asynchronously, and max_commit_on_disk only moves when it does, so
	// the threshold is modelled as the plog's value after its own replay
	// (the writes are still in flight; see docs/replay.md).
	if !private && d > r.plogMaxCommit {
		r.appendedFromSlog++
		r.appendedMax = max(r.appendedMax, d)
		r.last.appended = true
	}
	if d <= r.plist.lcd {
		return true, nil
	}
	if old := r.plist.get(d); old != nil && old.ballot >= m.Ballot {
		return true, nil
	}
	e := &entry{ballot: m.Ballot, decree: d, lcd: m.LastCommittedDecree}
	if r.keepMutations {
		e.m, e.at = m.Clone(), at
	}
	r.last.prepared = true
	return true, r.plist.prepare(e)
}

// recovered is what the replica holds once replay is over: every decree up
// to the app's last committed one, plus the prepared ones above it. It is
// the effect of replica::reset_prepare_list_after_replay (a soft commit to
// the app's decree, a no-op since the list is never behind the app, then
// prepare_list::truncate to it), computed without changing the list, so
// that it can be taken both after the plogs and after the slog.
func (r *replica) recovered() (committed int64, prepared []*entry) {
	return r.app, r.plist.above(r.app)
}

// snapshot copies the state that the slog replay changes, so that what a
// plog-only server (2.6) recovers can be compared with what 2.4 recovers.
func (r *replica) snapshot() (committed int64, prepared decrees.Set) {
	c, p := r.recovered()
	for _, e := range p {
		prepared.Add(e.decree)
	}
	return c, prepared
}
