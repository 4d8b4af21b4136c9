package journal

import (
	"fmt"
	"path/filepath"

	"github.com/waltool/waltool/vfs"
)

// A journal belongs to the root it was written in. Its steps name the
// root's files by absolute path (where they are, and where they go), so
// the journal of a root copied elsewhere, read in the copy, would resume
// or roll back the original, and read in a root moved elsewhere, act on
// paths that are no longer there: a rollback then stops at its first
// step, half done. Begin records the root's canonical path (Run.Root);
// a journal read in another root is refused by everything that would act
// on it (a step, Finish, Rollback, CheckRollback, a new Begin,
// RefuseUnfinished), before it changes anything, and named as such by
// State (WrittenFor).

// canonicalRoot is root made absolute with every symlink resolved: one
// name for a root however it is reached (a symlink to it, a relative
// path). It asks the OS, as rootlock does for the lock: symlinks are not
// something vfs models. A path the OS cannot resolve is only made
// absolute.
func canonicalRoot(root string) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		return filepath.Clean(root)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// foreignRoot is written, the root a run was written for (its Run.Root),
// when the run is read in root and root is another dir; "" when it is the
// same dir (by its canonical name, or by identity: a bind mount) or the
// journal predates Run.Root.
func foreignRoot(fsys vfs.FS, root, written string) string {
	if written == "" || canonicalRoot(root) == written {
		return ""
	}
	a, errA := fsys.Stat(root)
	b, errB := fsys.Stat(written)
	if errA == nil && errB == nil {
		ia, okA := vfs.Identity(a)
		ib, okB := vfs.Identity(b)
		if okA && okB && ia == ib {
			return ""
		}
	}
	return written
}

// ForeignError is the refusal of a journal written for another root.
type ForeignError struct {
	Run Run
	// Root is where the journal was read (absolute); WrittenFor the root
	// it was written for.
	Root, WrittenFor string
	// Copy: WrittenFor still holds the run (Root is a copy of it);
	// else the root was moved, or copied and the original removed.
	Copy bool
}

func (e *ForeignError) Is(target error) bool { return target == ErrForeign }

func (e *ForeignError) Error() string { return "journal: " + e.Explain() }

// Explain says what the journal is, whose, and what to do.
func (e *ForeignError) Explain() string {
	jd := filepath.Join(e.Root, DirName)
	if e.Copy {
		return fmt.Sprintf("%s was written for the root %s, and %s is a copy of it (%s holds the same run %s): "+
			"its steps name the files of %s, so resume, rollback and a new run refuse it here (they would change %s, not this copy). "+
			"To finish or undo the run, run the command on the original, %s. To keep the copy as a root of its own, check it "+
			"(`waltool verify`, `waltool replay --server-version ...`), then remove %s: the copy then has no history, and nothing to roll back",
			jd, e.WrittenFor, e.Root, e.WrittenFor, e.Run, e.WrittenFor, e.WrittenFor, e.WrittenFor, jd)
	}
	return fmt.Sprintf("%s was written for the root %s, which does not hold it any more: the root was moved here "+
		"(or copied, and the original removed). Its steps name the files under %s, so resume, rollback and a new run "+
		"refuse the run %s here. Move the root back to %s and run the command there. Only if you know that the run is not to be resumed or "+
		"rolled back any more (an interrupted run cannot be finished without its journal), check the root (`waltool verify`, "+
		"`waltool replay --server-version ...`) and remove %s",
		jd, e.WrittenFor, e.WrittenFor, e.Run, e.WrittenFor, jd)
}

// Foreign is a *ForeignError when the run was written for another root
// than the one it was read in (a copy of that root, or that root moved),
// nil when it is the root's own or predates the record of its root.
func (j *Journal) Foreign() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.foreignErr()
}

// foreignErr is Foreign with j.mu held.
func (j *Journal) foreignErr() error {
	if j.foreign == "" {
		return nil
	}
	here := j.root
	if abs, err := filepath.Abs(here); err == nil {
		here = abs
	}
	e := &ForeignError{Run: j.run, Root: here, WrittenFor: j.foreign}
	// A root that is gone, or whose journal cannot be read, holds no run.
	if runs, err := History(vfs.ReadOnly(j.fsys), j.foreign); err == nil {
		for _, r := range runs {
			e.Copy = e.Copy || r.run.ID == j.run.ID
		}
	}
	return e
}
