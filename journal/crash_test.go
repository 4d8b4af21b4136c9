package journal

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// opCounts is how many operations of each kind f saw.
func opCounts(f *vfs.Faulty) map[vfs.Op]int {
	m := map[vfs.Op]int{}
	for _, op := range allOps {
		if n := f.Count(op); n > 0 {
			m[op] = n
		}
	}
	return m
}

// TestCrashEverywhere crashes (a power loss through vfs.Faulty) the
// scripted run at every operation it makes, then from the tree the crash
// left either resumes (the same script against Open) to the tree of a run
// without a crash, or rolls back to the initial tree, byte for byte.
func TestCrashEverywhere(t *testing.T) {
	initial, final := trees(t)
	probe := tempRoot(t)
	setupTree(t, probe)
	pf := vfs.NewFaulty(vfs.OS)
	if err := runScript(scriptFS(pf, probe), probe); err != nil {
		t.Fatal(err)
	}
	counts := opCounts(pf)
	total := 0
	for _, op := range sortedKeys(counts) {
		total += counts[op]
	}
	t.Logf("%d crash points: %v", total, counts)
	if testing.Short() {
		t.Skip("short")
	}
	for _, op := range sortedKeys(counts) {
		for i := range counts[op] {
			name := fmt.Sprintf("%s#%d", op, i)
			crash := func(root string) {
				t.Helper()
				setupTree(t, root)
				f := vfs.NewFaulty(vfs.OS)
				f.Inject(vfs.Fault{Op: op, After: i, Crash: true})
				if err := runScript(scriptFS(f, root), root); !errors.Is(err, vfs.ErrCrashed) {
					t.Fatalf("%s: the run did not crash: %v", name, err)
				}
				if d := loadableTwice(root); d != "" {
					t.Fatalf("%s: two loadable copies after the crash: %s", name, d)
				}
			}
			// (a) resume.
			root := tempRoot(t)
			crash(root)
			if err := runScript(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
				t.Fatalf("%s: resume: %v", name, err)
			}
			sameTree(t, name+": resumed", snapshot(t, root), final)
			// Resuming a finished run again replays every step as a no-op.
			if err := runScript(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
				t.Fatalf("%s: second resume: %v", name, err)
			}
			sameTree(t, name+": resumed twice", snapshot(t, root), final)
			// And the resumed run still rolls back.
			if _, err := rollbackRoot(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
				t.Fatalf("%s: rollback after resume: %v", name, err)
			}
			sameTree(t, name+": resumed then rolled back", snapshot(t, root), initial)
			// (b) rollback from the same crash point.
			root = tempRoot(t)
			crash(root)
			if _, err := rollbackRoot(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
				t.Fatalf("%s: rollback: %v", name, err)
			}
			sameTree(t, name+": rolled back", snapshot(t, root), initial)
		}
	}
}

// TestCrashDuringRollback crashes a rollback of a finished run at every
// operation; rolling back again completes it, byte for byte.
func TestCrashDuringRollback(t *testing.T) {
	initial, final := trees(t)
	done := func(root string) {
		t.Helper()
		setupTree(t, root)
		if err := runScript(scriptFS(vfs.OS, root), root); err != nil {
			t.Fatal(err)
		}
		sameTree(t, "run", snapshot(t, root), final)
	}
	probe := tempRoot(t)
	done(probe)
	pf := vfs.NewFaulty(vfs.OS)
	if _, err := rollbackRoot(scriptFS(pf, probe), probe); err != nil {
		t.Fatal(err)
	}
	counts := opCounts(pf)
	t.Logf("rollback crash points: %v", counts)
	for _, op := range sortedKeys(counts) {
		for i := range counts[op] {
			name := fmt.Sprintf("%s#%d", op, i)
			root := tempRoot(t)
			done(root)
			f := vfs.NewFaulty(vfs.OS)
			f.Inject(vfs.Fault{Op: op, After: i, Crash: true})
			if _, err := rollbackRoot(scriptFS(f, root), root); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("%s: the rollback did not crash: %v", name, err)
			}
			if d := loadableTwice(root); d != "" {
				t.Fatalf("%s: two loadable copies after the crash: %s", name, d)
			}
			// A rollback begun (its record durable) blocks steps and a
			// new run; one crashed before leaves the run as it was.
			j, err := Open(vfs.OS, root)
			if err != nil {
				t.Fatal(err)
			}
			st := j.State()
			j.Close()
			if err := runScript(scriptFS(vfs.OS, root), root); st.RollingBack && !errors.Is(err, ErrState) {
				t.Fatalf("%s: a run resumed over an interrupted rollback: %v", name, err)
			} else if !st.RollingBack && err != nil {
				t.Fatalf("%s: resume of a run whose rollback never began: %v", name, err)
			}
			if st.RollingBack {
				if _, err := Begin(vfs.OS, root, Run{Command: "next"}); !errors.Is(err, ErrUnfinished) {
					t.Fatalf("%s: begin over an interrupted rollback: %v", name, err)
				}
			}
			r, err := rollbackRoot(scriptFS(vfs.NewFaulty(vfs.OS), root), root)
			if err != nil {
				t.Fatalf("%s: rollback again: %v", name, err)
			}
			sameTree(t, name+": rolled back", snapshot(t, root), initial)
			if r != nil && r.AlreadyRolledBack {
				t.Fatalf("%s: the crashed rollback claims to be complete", name)
			}
			// Now a new run may begin (the old journal is archived).
			j, err = Begin(vfs.OS, root, Run{Command: "next"})
			if err != nil {
				t.Fatalf("%s: begin after the rollback: %v", name, err)
			}
			j.Close()
		}
	}
}

// TestFaultsEverywhere injects ENOSPC and EIO at every write and sync
// point (file writes, torn half-way, fdatasyncs, dir fsyncs, creates):
// the run fails with the error, and from there, with or without a power
// loss on top, resume reaches the final tree and rollback the initial one.
func TestFaultsEverywhere(t *testing.T) {
	initial, final := trees(t)
	probe := tempRoot(t)
	setupTree(t, probe)
	pf := vfs.NewFaulty(vfs.OS)
	if err := runScript(scriptFS(pf, probe), probe); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		t.Skip("short")
	}
	points := 0
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync, vfs.OpSyncDir, vfs.OpCreate} {
		for i := range pf.Count(op) {
			for _, errno := range []error{syscall.ENOSPC, syscall.EIO} {
				for _, powerLoss := range []bool{false, true} {
					points++
					name := fmt.Sprintf("%s#%d %v crash=%v", op, i, errno, powerLoss)
					fail := func(root string) {
						t.Helper()
						setupTree(t, root)
						f := vfs.NewFaulty(vfs.OS)
						f.Inject(vfs.Fault{Op: op, After: i, Err: errno, Short: 700})
						err := runScript(scriptFS(f, root), root)
						if !errors.Is(err, errno) {
							t.Fatalf("%s: the run did not fail with the fault: %v", name, err)
						}
						if powerLoss {
							if err := f.Crash(); err != nil {
								t.Fatal(err)
							}
						}
						if d := loadableTwice(root); d != "" {
							t.Fatalf("%s: two loadable copies: %s", name, d)
						}
					}
					root := tempRoot(t)
					fail(root)
					if err := runScript(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
						t.Fatalf("%s: resume: %v", name, err)
					}
					sameTree(t, name+": resumed", snapshot(t, root), final)
					root = tempRoot(t)
					fail(root)
					if _, err := rollbackRoot(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
						t.Fatalf("%s: rollback: %v", name, err)
					}
					sameTree(t, name+": rolled back", snapshot(t, root), initial)
				}
			}
		}
	}
	t.Logf("%d fault points", points)
}
