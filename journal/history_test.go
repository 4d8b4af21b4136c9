package journal

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/waltool/waltool/internal/crashtest"
	"github.com/waltool/waltool/vfs"
)

// second is a second run over the script's final tree, as a downgrade
// after an upgrade: it creates a file, moves one the first run created,
// and makes a dir.
func second(fsys vfs.FS, root string) error {
	j, err := Begin(fsys, root, Run{Command: "migrate downgrade", Args: []string{"--to", "2.3"}})
	if err != nil {
		return err
	}
	defer j.Close()
	p := func(parts ...string) string { return filepath.Join(append([]string{root}, parts...)...) }
	if err := j.Mkdir(p("d2", "archive2")); err != nil {
		return err
	}
	if err := j.Move(p("d1", "c"), p("d2", "archive2", "c")); err != nil {
		return err
	}
	if err := j.Create(p("d1", "log.1.9000"), writeChunks(content("start", 60))); err != nil {
		return err
	}
	return j.Finish()
}

// rollbackLast rolls back the run Last names.
func rollbackLast(fsys vfs.FS, root string) (*Report, error) {
	j, err := Last(fsys, root)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return j.Rollback()
}

// Two runs, the second over the first's result (an upgrade, then a
// downgrade): History lists both, oldest first; rollback undoes the newest
// (Last), then the one before it, each byte for byte; the older one is
// refused while the newer is not rolled back.
func TestHistoryRollsBackNewestFirst(t *testing.T) {
	root := tempRoot(t)
	setupTree(t, root)
	initial := snapshot(t, root)
	fsys := scriptFS(vfs.OS, root)
	if err := runScript(fsys, root); err != nil {
		t.Fatal(err)
	}
	afterFirst := snapshot(t, root)
	if err := second(fsys, root); err != nil {
		t.Fatal(err)
	}
	afterSecond := snapshot(t, root)

	runs, err := History(fsys, root)
	if err != nil || len(runs) != 2 || runs[0].Run().Command != "migrate upgrade" || runs[1].Run().Command != "migrate downgrade" ||
		!runs[0].State().Finished || !runs[1].State().Finished {
		t.Fatalf("history: %v %v", err, runs)
	}
	if _, err := runs[0].Rollback(); !errors.Is(err, ErrState) {
		t.Fatalf("rolling the older run back first: %v", err)
	}
	sameTree(t, "a refused rollback", snapshot(t, root), afterSecond)

	if _, err := rollbackLast(fsys, root); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "the second run rolled back", snapshot(t, root), afterFirst)
	if _, err := rollbackLast(fsys, root); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "both rolled back", snapshot(t, root), initial)
	if _, err := Last(fsys, root); !errors.Is(err, ErrNoRun) {
		t.Fatalf("last after both rolled back: %v", err)
	}
	runs, _ = History(fsys, root)
	if len(runs) != 2 || !runs[0].State().RolledBack || !runs[1].State().RolledBack {
		t.Fatalf("history after both rollbacks: %v", runs)
	}
	// A new run begins over it; the history keeps all three.
	j, err := Begin(fsys, root, Run{Command: "next"})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if runs, _ = History(fsys, root); len(runs) != 3 {
		t.Fatalf("history: %d runs", len(runs))
	}
}

// The second rollback (of the older, archived run, in its archived dir)
// crashed (a power loss) at every sync point and name change, names kept
// or taken back: rolling back again resumes it, byte for byte; until then
// no run may begin.
func TestHistoryCrashDuringTheOlderRollback(t *testing.T) {
	setup := func(root string) (initial map[string]string) {
		t.Helper()
		setupTree(t, root)
		initial = snapshot(t, root)
		fsys := scriptFS(vfs.OS, root)
		if err := runScript(fsys, root); err != nil {
			t.Fatal(err)
		}
		if err := second(fsys, root); err != nil {
			t.Fatal(err)
		}
		if _, err := rollbackLast(fsys, root); err != nil {
			t.Fatal(err)
		}
		return initial
	}
	probe := tempRoot(t)
	setup(probe)
	pf := vfs.NewFaulty(vfs.OS)
	if _, err := rollbackLast(scriptFS(pf, probe), probe); err != nil {
		t.Fatal(err)
	}
	points := crashtest.Points(pf)
	t.Logf("the older run's rollback: %s", crashtest.Summary(points))
	for _, p := range points {
		name := p.String()
		root := tempRoot(t)
		initial := setup(root)
		f := p.Faulty(vfs.OS, tempRoot(t))
		if _, err := rollbackLast(scriptFS(f, root), root); !errors.Is(err, vfs.ErrCrashed) {
			t.Fatalf("%s: the rollback did not crash: %v", name, err)
		}
		last, err := Last(vfs.OS, root)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st := last.State()
		if st.Run.Command != "migrate upgrade" {
			t.Fatalf("%s: the run to roll back next is %s", name, st.Run)
		}
		j, err := Begin(vfs.OS, root, Run{Command: "next"})
		if j != nil {
			j.Close()
		}
		if st.RollingBack && !errors.Is(err, ErrUnfinished) {
			t.Fatalf("%s: begin over an interrupted rollback: %v", name, err)
		} else if !st.RollingBack && err != nil {
			t.Fatalf("%s: begin: %v", name, err)
		} else if !st.RollingBack {
			continue // the crash came before the rollback began: a new run was possible, and began
		}
		if _, err := rollbackLast(scriptFS(vfs.NewFaulty(vfs.OS), root), root); err != nil {
			t.Fatalf("%s: rollback again: %v", name, err)
		}
		sameTree(t, name+": rolled back", snapshot(t, root), initial)
	}
}

// The history's order is the order the runs began in, whatever the clock
// did between them (Run.Prev, recorded by Begin): a clock stepped back
// between two runs must not make the older one the one to undo next.
func TestHistoryOrderSurvivesAClockSteppedBack(t *testing.T) {
	root := tempRoot(t)
	now := time.Now()
	for i, started := range []time.Time{now, now.Add(-time.Hour), now.Add(-2 * time.Hour)} {
		j, err := Begin(vfs.OS, root, Run{Command: fmt.Sprintf("run %d", i), Started: started})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Finish(); err != nil {
			t.Fatal(err)
		}
		j.Close()
	}
	runs, err := History(vfs.OS, root)
	if err != nil || len(runs) != 3 {
		t.Fatalf("history: %v, %d runs", err, len(runs))
	}
	for i, j := range runs {
		if j.Run().Command != fmt.Sprintf("run %d", i) {
			t.Fatalf("run %d of the history is %s", i, j.Run())
		}
	}
	if last, err := Last(vfs.OS, root); err != nil || last.Run().Command != "run 2" {
		t.Fatalf("last: %v %v", last, err)
	}
}
