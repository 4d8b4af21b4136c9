package journal

import (
	"fmt"
	"path/filepath"
	"time"
)

// Undo is what a rollback did with one step.
type Undo struct {
	Step   int    `json:"step"`
	Op     string `json:"op"`
	Path   string `json:"path"`
	From   string `json:"from,omitempty"`
	Action string `json:"action"`
}

// Report is what Rollback did, in the order it did it (the steps in
// reverse).
type Report struct {
	Steps []Undo `json:"steps"`
	// AlreadyRolledBack: the run had been rolled back before; nothing done.
	AlreadyRolledBack bool `json:"already_rolled_back"`
	// Resumed: an earlier rollback had been interrupted; steps it undid
	// are listed with the action "undone earlier".
	Resumed bool `json:"resumed"`
}

// Rollback undoes every step of the run, done or only intended, in reverse
// order, so that the tree is byte for byte as before the run (the journal's
// own dir aside): a created file is removed (refused if its checksum is not
// the recorded one, unless the step never completed), a moved file is
// moved back (a rename, or a checked copy across filesystems) after its
// checksum is verified, a created dir is removed (refused if not empty).
// Every dir touched is fsync'd. It works on a finished run and on an
// interrupted one; its progress is journaled, so an interrupted rollback
// is completed by calling Rollback again (from Open). It stops at the
// first step it cannot undo, which stays in the tree with everything
// before it. An archived run is rolled back only once every run begun
// after it is (strictly newest first: see History); it refuses otherwise,
// changing nothing. Before its first change it checks every step still to
// undo (CheckRollback): one it could not undo (a file changed since the
// step, a destination taken, a dir it removes not empty) refuses the
// whole rollback, changing nothing; it stops part-way only on a failure
// of the filesystem itself. The caller holds the root's lock.
func (j *Journal) Rollback() (*Report, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := &Report{Steps: []Undo{}}
	if err := j.foreignErr(); err != nil {
		return r, err
	}
	if !j.rolledBack.IsZero() {
		r.AlreadyRolledBack = true
		return r, nil
	}
	for _, s := range j.byKey {
		if s.busy {
			return r, fmt.Errorf("%w: cannot roll back while %s %s is in progress", ErrState, s.op, s.path)
		}
	}
	if err := j.newestNotRolledBack(); err != nil {
		return r, err
	}
	// Every step still to undo is checked before the first change (and
	// before the rollback record, which blocks the run): a rollback that
	// would stop half-way on a file the run did not leave as it is (a
	// server wrote to a folded file, an operator put a file in the
	// archive dir) refuses instead, and the root stays as it is.
	if err := j.checkUndo(newNSFS(j.fsys)); err != nil {
		what := "nothing was undone"
		if j.undone > 0 {
			what = fmt.Sprintf("nothing more was undone (%d steps were undone before)", j.undone)
		}
		return r, fmt.Errorf("journal: rollback refused before its first change, %s: %w; the run stands as it was: find out what changed it (a server that ran on the root: then `waltool migrate downgrade` is the way back that keeps its writes), put it back, and rollback again", what, err)
	}
	r.Resumed = j.rollingBack
	if !j.rollingBack {
		if err := j.append(record{Kind: "rollback", Time: time.Now()}); err != nil {
			return r, err
		}
		j.rollingBack = true
	}
	for i := len(j.steps) - 1; i >= 0; i-- {
		s := j.steps[i]
		u := Undo{Step: s.n, Op: s.op, Path: s.path, From: s.from}
		if s.undone {
			u.Action = "undone earlier"
			r.Steps = append(r.Steps, u)
			continue
		}
		action, err := j.undo(s)
		u.Action = action
		if err != nil {
			u.Action = "failed: " + err.Error()
			r.Steps = append(r.Steps, u)
			return r, fmt.Errorf("journal: rollback stopped at step %d (%s %s), which is still in the tree with every step before it: %w; once the cause is fixed, rollback again completes it", s.n, s.op, s.path, err)
		}
		if err := j.append(record{Kind: "undone", Time: time.Now(), Step: s.n}); err != nil {
			r.Steps = append(r.Steps, u)
			return r, err
		}
		s.undone = true
		j.undone++
		r.Steps = append(r.Steps, u)
	}
	now := time.Now()
	if err := j.append(record{Kind: "rolledback", Time: now}); err != nil {
		return r, err
	}
	j.rolledBack = now
	return r, nil
}

// undo reverts one step from whatever state the tree is in (the step may
// be done, half done, not started, or already undone by a rollback whose
// undone record was lost). Called with j.mu held.
func (j *Journal) undo(s *step) (string, error) {
	switch s.op {
	case OpCreate:
		changed, err := j.removeIf(s.tmp)
		if err != nil {
			return "", err
		}
		_, ok, err := exists(j.fsys, s.path)
		if err != nil {
			return "", err
		}
		action := "nothing to undo (never created)"
		if ok {
			if s.done {
				if err := j.verify(s, s.path); err != nil {
					return "", fmt.Errorf("not removing it: %w", err)
				}
			}
			// Not done: the step never completed, and the name was
			// checked absent before its intent, so the file is the run's.
			if err := j.fsys.Remove(s.path); err != nil {
				return "", err
			}
			changed, action = true, "removed"
		}
		if changed {
			if err := j.fsys.SyncDir(filepath.Dir(s.path)); err != nil {
				return "", err
			}
		}
		return action, nil
	case OpMove:
		action, err := j.undoMove(s)
		if err != nil {
			return "", err
		}
		if removed, err := j.removeIf(s.undoTmp); err != nil {
			return "", err
		} else if removed {
			if err := j.fsys.SyncDir(filepath.Dir(s.undoTmp)); err != nil {
				return "", err
			}
		}
		return action, nil
	case OpMoveDir:
		return j.undoMoveDir(s)
	case OpMkdir:
		if s.existed {
			return "nothing to undo (the dir existed before the run)", nil
		}
		if _, ok, err := exists(j.fsys, s.path); err != nil {
			return "", err
		} else if !ok {
			return "nothing to undo (never created)", nil
		}
		if err := j.fsys.Remove(s.path); err != nil {
			return "", fmt.Errorf("removing the dir the run created (is something else in it?): %w", err)
		}
		if err := j.fsys.SyncDir(filepath.Dir(s.path)); err != nil {
			return "", err
		}
		return "removed", nil
	}
	return "", fmt.Errorf("%w: unknown step kind %q", ErrCorrupt, s.op)
}

func (j *Journal) undoMove(s *step) (string, error) {
	if removed, err := j.removeIf(s.tmp); err != nil {
		return "", err
	} else if removed {
		if err := j.fsys.SyncDir(filepath.Dir(s.tmp)); err != nil {
			return "", err
		}
	}
	_, fromOK, err := exists(j.fsys, s.from)
	if err != nil {
		return "", err
	}
	_, toOK, err := exists(j.fsys, s.path)
	if err != nil {
		return "", err
	}
	switch {
	case fromOK && !toOK:
		if err := j.verify(s, s.from); err != nil {
			return "", err
		}
		return "nothing to undo (at its source)", nil
	case !fromOK && toOK:
		if err := j.verify(s, s.path); err != nil {
			return "", fmt.Errorf("not moving it back: %w", err)
		}
		if _, err := j.removeIf(s.undoTmp); err != nil {
			return "", err
		}
		if err := j.transfer(s, s.path, s.from, s.undoTmp); err != nil {
			return "", err
		}
		return "moved back", nil
	case fromOK && toOK:
		// A copy is complete on one side and the other not yet removed:
		// keep the source once it checks out; the target was checked
		// absent before the intent, so it is the run's.
		if err := j.verify(s, s.from); err != nil {
			return "", err
		}
		if err := j.fsys.Remove(s.path); err != nil {
			return "", err
		}
		if err := j.syncDirs(s.path, s.from); err != nil {
			return "", err
		}
		return "removed the copy at the target", nil
	}
	return "", fmt.Errorf("%w: step %d's file is neither at %s nor at %s", ErrChanged, s.n, s.from, s.path)
}

// newestNotRolledBack refuses to roll back j while a run begun after it is
// not rolled back: undoing j then would undo what that run's own steps
// stand on (a file it moved, the state its listing recorded), and its
// rollback could no longer restore the tree it found. Called with j.mu
// held.
func (j *Journal) newestNotRolledBack() error {
	if filepath.Clean(j.dir) == runDir(j.root) {
		return nil // the current run is the newest
	}
	runs, err := History(j.fsys, j.root)
	if err != nil {
		return err
	}
	later := false
	for _, o := range runs {
		if o.run.ID == j.run.ID {
			later = true
			continue
		}
		if later && o.rolledBack.IsZero() {
			return fmt.Errorf("%w: cannot roll back %s before %s, which began after it and is not rolled back: runs are rolled back newest first", ErrState, j.run, o.run)
		}
	}
	return nil
}
