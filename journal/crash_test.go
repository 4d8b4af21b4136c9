package journal

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/waltool/waltool/internal/crashtest"
	"github.com/waltool/waltool/vfs"
)

// TestCrashEverywhere crashes (a power loss through vfs.Faulty) the
// scripted run at every sync point, and at every create, rename and
// remove and a sample of the writes (crashtest.Points), with the renames,
// removes and mkdirs no directory sync made durable kept, or taken back;
// then from the tree the crash left either resumes (the same script
// against Open) to the tree of a run without a crash, or rolls back to the
// initial tree, byte for byte.
func TestCrashEverywhere(t *testing.T) {
	initial, final := trees(t)
	probe := tempRoot(t)
	setupTree(t, probe)
	pf := vfs.NewFaulty(vfs.OS)
	if err := runScript(scriptFS(pf, probe), probe); err != nil {
		t.Fatal(err)
	}
	if u := pf.Unsynced(); len(u) > 0 {
		t.Fatalf("the run returned with changes not durable: %v", u)
	}
	points := crashtest.Points(pf)
	t.Logf("the script's run: %s", crashtest.Summary(points))
	if testing.Short() {
		t.Skip("short")
	}
	for _, p := range points {
		name := p.String()
		crash := func(root string) {
			t.Helper()
			setupTree(t, root)
			f := p.Faulty(vfs.OS, tempRoot(t))
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

// TestCrashDuringRollback crashes a rollback of a finished run at every
// sync point and name change (crashtest.Points), names kept or taken
// back; rolling back again completes it, byte for byte.
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
	if u := pf.Unsynced(); len(u) > 0 {
		t.Fatalf("the rollback returned with changes not durable: %v", u)
	}
	points := crashtest.Points(pf)
	t.Logf("the script's rollback: %s", crashtest.Summary(points))
	for _, p := range points {
		name := p.String()
		root := tempRoot(t)
		done(root)
		f := p.Faulty(vfs.OS, tempRoot(t))
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

// TestFaultsEverywhere injects ENOSPC and EIO at every write and sync
// point (file writes, torn half-way, fdatasyncs, dir fsyncs, creates) and
// EIO at every read and rename: the run fails with the error, naming the
// file it hit, and from there, with or without a power loss on top (which
// takes back the renames and removes no dir sync made durable), resume
// reaches the final tree and rollback the initial one. The default run
// tries a sample of each (crashtest.Spread), the long run all.
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
	for _, op := range []vfs.Op{vfs.OpWrite, vfs.OpSync, vfs.OpSyncDir, vfs.OpCreate, vfs.OpRead, vfs.OpRename} {
		errnos := []error{syscall.ENOSPC, syscall.EIO}
		if op == vfs.OpRead || op == vfs.OpRename {
			errnos = errnos[1:]
		}
		for _, i := range crashtest.Spread(pf.Count(op), 8) {
			for _, errno := range errnos {
				for _, powerLoss := range []bool{false, true} {
					points++
					name := fmt.Sprintf("%s#%d %v crash=%v", op, i, errno, powerLoss)
					fail := func(root string) {
						t.Helper()
						setupTree(t, root)
						f := vfs.NewFaulty(vfs.OS)
						f.SetCrashMode(vfs.CrashMode{Undo: vfs.UndoAll, Stash: tempRoot(t)})
						f.Inject(vfs.Fault{Op: op, After: i, Err: errno, Short: 700})
						err := runScript(scriptFS(f, root), root)
						if !errors.Is(err, errno) {
							t.Fatalf("%s: the run did not fail with the fault: %v", name, err)
						}
						if hit := f.Fired(); len(hit) != 1 || !strings.Contains(err.Error(), hit[0]) {
							t.Fatalf("%s: the error does not name the file the fault hit (%v): %v", name, hit, err)
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

// TestCrashDuringResume crashes the script's run at a spread of its dir
// fsyncs (names kept or taken back), then crashes its resume at every sync point and name change of the
// resume (names kept or taken back): resuming once more reaches the final
// tree, and rolling that back the initial one, byte for byte; a rollback
// straight after the second crash does too.
func TestCrashDuringResume(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	initial, final := trees(t)
	probe := tempRoot(t)
	setupTree(t, probe)
	pf := vfs.NewFaulty(vfs.OS)
	if err := runScript(scriptFS(pf, probe), probe); err != nil {
		t.Fatal(err)
	}
	firsts := crashtest.Points(pf, vfs.OpSyncDir)
	tried := 0
	for _, k := range crashtest.Sample(len(firsts), 4, 12) {
		first := firsts[k]
		crashed := func(root string) {
			t.Helper()
			setupTree(t, root)
			if err := runScript(scriptFS(first.Faulty(vfs.OS, tempRoot(t)), root), root); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("%s: the run did not crash: %v", first, err)
			}
		}
		root := tempRoot(t)
		crashed(root)
		rf := vfs.NewFaulty(vfs.OS)
		if err := runScript(scriptFS(rf, root), root); err != nil {
			t.Fatalf("%s: resume: %v", first, err)
		}
		points := crashtest.Points(rf)
		t.Logf("resume after %s: %s", first, crashtest.Summary(points))
		for i, p := range points {
			tried++
			name := fmt.Sprintf("%s, then the resume at %s", first, p)
			root := tempRoot(t)
			crashed(root)
			if err := runScript(scriptFS(p.Faulty(vfs.OS, tempRoot(t)), root), root); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("%s: the resume did not crash: %v", name, err)
			}
			if d := loadableTwice(root); d != "" {
				t.Fatalf("%s: two loadable copies after the crash: %s", name, d)
			}
			if i%2 == 1 {
				if _, err := rollbackRoot(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
					t.Fatalf("%s: rollback: %v", name, err)
				}
				sameTree(t, name+": rolled back", snapshot(t, root), initial)
				continue
			}
			if err := runScript(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
				t.Fatalf("%s: resume again: %v", name, err)
			}
			sameTree(t, name+": resumed", snapshot(t, root), final)
			if _, err := rollbackRoot(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
				t.Fatalf("%s: rollback after the resume: %v", name, err)
			}
			sameTree(t, name+": resumed, rolled back", snapshot(t, root), initial)
		}
	}
	t.Logf("%d crash points in resumes", tried)
}
