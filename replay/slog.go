package replay

import (
	"errors"
	"fmt"
	"os"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/vfs"
)

// SlogMutation is one slog mutation the slog replay (<= 2.5) routed to a
// loaded replica, with what replica::replay_mutation did with it.
type SlogMutation struct {
	// M is valid during the call only (Clone it to keep it).
	M  *format.Mutation
	At Loc // the slog file and position it was read from
	// BallotRaised: its ballot raised the replica's (done before any
	// other test, even for a mutation ignored below).
	BallotRaised bool
	// BeforeValidStart: log_offset < init_offset_in_shared_log, ignored.
	BeforeValidStart bool
	// Appended: decree above the plog's max_commit_on_disk, so the server
	// appends it to the plog (the threshold is the plog's value after its
	// own replay: see docs/replay.md).
	Appended bool
	// Prepared: it went into the prepare list (prepare_list::prepare), so
	// it changes what the replica recovers.
	Prepared bool
}

// replaySlog is the shared half of replica_stub::initialize (≤ 2.5):
// mutation_log::open of the slog with replay_condition = each loaded
// replica's last committed decree after its plog replay, and the callback
// that routes each mutation to its replica's replay_mutation.
func replaySlog(fsys vfs.FS, path string, loaded map[gpid.Gpid]*replica, notLoaded map[gpid.Gpid]string, res *Result, progress func(int64), onSlog func(SlogMutation) error) *SlogResult {
	sr := &SlogResult{Path: path}
	var hookErr error
	dir, err := format.OpenDir(fsys, path)
	if errors.Is(err, os.ErrNotExist) {
		return sr
	}
	if err != nil {
		sr.Error, sr.err = err.Error(), err
		return sr
	}
	sr.Files = len(dir.Files)
	if dir.DuplicateIndex != nil {
		abort := fmt.Errorf("%w: %w", ErrAbort, dir.DuplicateIndex)
		res.Abort, res.abortErr = fmt.Sprintf("slog open: %v", abort), abort
		return sr
	}
	pr := newLogProgress(progress, dir)
	defer pr.finish()
	log, err := logrules.Open(fsys, dir)
	if err != nil {
		sr.Error, sr.err = fmt.Sprintf("slog open failed: %v", err), err
		return sr
	}
	cond := map[gpid.Gpid]int64{}
	for g, r := range loaded {
		cond[g] = r.plist.lcd
	}
	begin := logrules.SharedReplayStart(log.Headers(), cond)
	if len(log.Files) > 0 {
		sr.FirstFile = log.Files[begin].Name()
	}
	orphans := map[gpid.Gpid]*Orphan{}
	var abort error
	files := &locator{files: log.Files[begin:]}
	rep, err := log.Replay(begin, func(m *format.Mutation, pos format.Pos) error {
		sr.Mutations++ // delivered, the aborting one included
		pr.to(m.LogOffset + int64(pos.Size))
		r := loaded[m.Gpid]
		if r == nil || r.err != nil {
			o := orphans[m.Gpid]
			if o == nil {
				why := ReasonNoReplicaDir
				if w, ok := notLoaded[m.Gpid]; ok {
					why = "replica not loaded: " + w
				}
				o = &Orphan{Gpid: m.Gpid, MinDecree: m.Decree, MaxDecree: m.Decree, Reason: why}
				orphans[m.Gpid] = o
			}
			o.Mutations++
			o.MinDecree, o.MaxDecree = min(o.MinDecree, m.Decree), max(o.MaxDecree, m.Decree)
			return nil
		}
		var at Loc
		if r.keepMutations || onSlog != nil {
			at = files.at(m, pos)
		}
		ok, err := r.replayMutation(m, at, false)
		if err != nil {
			// A CHECK in replay aborts the whole server.
			err = locate(files, m, pos, err)
			r.err, r.slogAbort = err, true
			abort = err
			return err
		}
		if ok {
			r.slogMutations++
			r.slogDecrees.Add(m.Decree)
			r.slogMaxDecree = max(r.slogMaxDecree, m.Decree)
		}
		if onSlog != nil {
			o := r.last
			if err := onSlog(SlogMutation{M: m, At: at, BallotRaised: o.ballotRaised, BeforeValidStart: o.beforeStart, Appended: o.appended, Prepared: o.prepared}); err != nil {
				hookErr = err
				return err
			}
		}
		return nil
	})
	if hookErr != nil {
		sr.hookErr = hookErr
		return sr
	}
	sr.EndOffset = rep.EndOffset
	if abort != nil {
		res.Abort, res.abortErr = fmt.Sprintf("slog replay: %v", abort), abort
	} else if err != nil {
		sr.Error, sr.err = fmt.Sprintf("slog replay failed: %v", err), err
	}
	for _, o := range orphans {
		res.Orphans = append(res.Orphans, *o)
	}
	return sr
}
