package journal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// damages of the scripted run's final tree that its rollback cannot undo,
// each with how to repair it. Each is met by a step the rollback undoes
// late, after steps it would already have undone, so a rollback that
// checks each step only when it gets to it stops half-way.
var damages = []struct {
	name          string
	damage, fix   func(t *testing.T, root string)
	errorsChanged bool
}{
	{
		// Created at the run's second step, undone among the last.
		name: "a created file appended to",
		damage: func(t *testing.T, root string) {
			appendTo(t, filepath.Join(root, "d1", "new", "a"), "x")
		},
		fix: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "d1", "new", "a"), content("a", 8000))
		},
		errorsChanged: true,
	},
	{
		// Created in a replica dir a later step moved: the rollback finds
		// it at the move's source once that move is undone.
		name: "a created file in a moved replica dir appended to",
		damage: func(t *testing.T, root string) {
			appendTo(t, filepath.Join(root, "d2", "1.4.pegasus", "plog", "log.2.5000"), "x")
		},
		fix: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "d2", "1.4.pegasus", "plog", "log.2.5000"), content("fold14", 3000))
		},
		errorsChanged: true,
	},
	{
		// Moved by a rename, recorded by identity: rewritten, another
		// mtime.
		name: "a moved file rewritten",
		damage: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "d2", "old1"), content("other", 7000))
		},
		fix: nil, // its identity cannot come back: not repaired
	},
	{
		name: "a file at a moved file's source",
		damage: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "d1", "old3"), []byte("new"))
		},
		fix: func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, "d1", "old3")); err != nil {
				t.Fatal(err)
			}
		},
		errorsChanged: true,
	},
	{
		// The dir the run made holds a file the rollback does not move
		// back: it could not remove the dir, after moving everything else.
		name: "a file in a dir the run made",
		damage: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "xfs", "archive", "notes"), []byte("operator's"))
		},
		fix: func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, "xfs", "archive", "notes")); err != nil {
				t.Fatal(err)
			}
		},
	},
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// A rollback that cannot undo one of its steps refuses before its first
// change: the tree stays as it is, the run is not marked rolling back,
// and once the cause is repaired the rollback restores the tree byte for
// byte.
func TestRollbackRefusedChangesNothing(t *testing.T) {
	initial, _ := trees(t)
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			root := tempRoot(t)
			setupTree(t, root)
			fsys := scriptFS(vfs.OS, root)
			if err := runScript(fsys, root); err != nil {
				t.Fatal(err)
			}
			d.damage(t, root)
			damaged := snapshot(t, root)
			j := open(t, fsys, root)
			_, err := j.Rollback()
			if err == nil || (d.errorsChanged && !errors.Is(err, ErrChanged)) {
				t.Fatalf("rollback: %v", err)
			}
			sameTree(t, "a refused rollback", snapshot(t, root), damaged)
			if st := j.State(); st.RollingBack || st.RolledBack || st.StepsUndone != 0 || !st.Finished {
				t.Fatalf("state after a refused rollback: %+v", st)
			}
			j.Close()
			// What the journal says on disk, too: the run is finished, not
			// rolling back, and can be checked and rolled back again.
			j = open(t, fsys, root)
			if st := j.State(); st.RollingBack || st.StepsUndone != 0 {
				t.Fatalf("state on disk after a refused rollback: %+v", st)
			}
			if d.fix == nil {
				return
			}
			d.fix(t, root)
			if err := CheckRollback(j); err != nil {
				t.Fatalf("check once repaired: %v", err)
			}
			if _, err := j.Rollback(); err != nil {
				t.Fatalf("rollback once repaired: %v", err)
			}
			sameTree(t, "rolled back", snapshot(t, root), initial)
		})
	}
}

// A rollback interrupted half-way (a power loss) is finished by the next,
// whose pre-check covers the steps still to undo: it refuses, changing
// nothing more, a damage among them, and completes once it is repaired.
func TestRollbackResumedChecksTheStepsLeft(t *testing.T) {
	initial, _ := trees(t)
	root := tempRoot(t)
	setupTree(t, root)
	if err := runScript(scriptFS(vfs.OS, root), root); err != nil {
		t.Fatal(err)
	}
	f := vfs.NewFaulty(vfs.OS)
	f.Inject(vfs.Fault{Op: vfs.OpRename, After: 3, Crash: true})
	if _, err := rollbackRoot(scriptFS(f, root), root); !errors.Is(err, vfs.ErrCrashed) {
		t.Fatalf("the rollback did not crash: %v", err)
	}
	j := open(t, vfs.OS, root)
	st := j.State()
	j.Close()
	if !st.RollingBack || st.StepsUndone == 0 {
		t.Fatalf("state after the crash: %+v", st)
	}
	// Step 2's file, undone last, is still there.
	damages[0].damage(t, root)
	crashed := snapshot(t, root)
	if _, err := rollbackRoot(scriptFS(vfs.OS, root), root); !errors.Is(err, ErrChanged) {
		t.Fatalf("rollback over a damage among the steps left: %v", err)
	}
	sameTree(t, "a refused resumed rollback", snapshot(t, root), crashed)
	j = open(t, vfs.OS, root)
	if st2 := j.State(); st2.StepsUndone != st.StepsUndone || !st2.RollingBack {
		t.Fatalf("state after the refused resumed rollback: %+v, was %+v", st2, st)
	}
	j.Close()
	damages[0].fix(t, root)
	if r, err := rollbackRoot(scriptFS(vfs.OS, root), root); err != nil || !r.Resumed {
		t.Fatalf("rollback once repaired: %+v %v", r, err)
	}
	sameTree(t, "rolled back", snapshot(t, root), initial)
}

// The pre-check of several runs (an upgrade, then a downgrade over it, as
// `migrate downgrade --restore-slog-archive` undoes them) sees each run on
// the tree the rollbacks before it leave, and refuses a damage in the
// older run before the newer one is touched.
func TestCheckRollbackOfSeveralRuns(t *testing.T) {
	root := tempRoot(t)
	setupTree(t, root)
	fsys := scriptFS(vfs.OS, root)
	if err := runScript(fsys, root); err != nil {
		t.Fatal(err)
	}
	if err := second(fsys, root); err != nil {
		t.Fatal(err)
	}
	runs, err := History(fsys, root)
	if err != nil || len(runs) != 2 {
		t.Fatalf("history: %d runs, %v", len(runs), err)
	}
	defer func() {
		for _, r := range runs {
			r.Close()
		}
	}()
	// The second run moved d1/c, which the first created, into its
	// archive: checked where the second's rollback puts it back.
	if err := CheckRollback(runs[1], runs[0]); err != nil {
		t.Fatalf("check: %v", err)
	}
	appendTo(t, filepath.Join(root, "d2", "archive2", "c"), "x")
	before := snapshot(t, root)
	if err := CheckRollback(runs[1], runs[0]); !errors.Is(err, ErrChanged) {
		t.Fatalf("check over a file of the older run changed: %v", err)
	}
	sameTree(t, "a check", snapshot(t, root), before)
}
